"""Tests for the parallel read of ``cds review`` (``local._partition_parallel``): byte ranges
read by several processes give the lines, counts, errors and outputs of one sequential read."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cds.review import local
from cds.review.sources import SourceFile, read_lines, read_range
from tests.review.helpers import SAMPLE, review


def _awkward_file(path: Path, count: int = 60) -> Path:
    """Lines of every length, blank lines, CRLF endings, bad JSON and no final newline."""
    lines = []
    for n in range(count):
        if n % 11 == 3:
            lines.append(b"{not json")
        elif n % 13 == 5:
            lines.append(b"")
        else:
            obs = {
                "resourceType": "Observation",
                "id": f"o{n}",
                "status": "final",
                "subject": {"reference": f"Patient/p{n % 7}"},
                "note": [{"text": "x" * (n * 7 % 50)}],
            }
            lines.append(orjson.dumps(obs) + (b"\r" if n % 5 == 0 else b""))
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize("chunk", [1, 2, 3, 17, 100, 10_000])
def test_consecutive_ranges_read_every_line_once(tmp_path: Path, chunk: int) -> None:
    src = SourceFile(_awkward_file(tmp_path / "obs.ndjson"), "ndjson")
    size = src.path.stat().st_size
    whole = [(x.line, x.raw, x.verdict) for x in read_lines(src)]
    pieced: list[tuple[int, bytes, object]] = []
    for start in range(0, size, chunk):
        before = len(pieced)
        pieced += [
            (before + x.line, x.raw, x.verdict)
            for x in read_range(src, start, min(start + chunk, size))
        ]
    assert pieced == whole


def test_parallel_read_gives_the_outputs_of_a_sequential_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra = _awkward_file(tmp_path / "more.ndjson", 1500)
    inputs = [SAMPLE, extra]
    review(inputs, tmp_path / "one", workers=1)
    monkeypatch.setattr(local, "READ_CHUNK", 700)  # ranges of the input / (4 x workers)
    units = local.read_units(local.discover(inputs), 2)
    assert len([u for u in units if u.source == units[-1].source]) >= 3, "more.ndjson is cut"
    review(inputs, tmp_path / "two", workers=2)
    errors = (tmp_path / "one" / "errors.ndjson").read_bytes()
    lines = {orjson.loads(e)["line"] for e in errors.splitlines()}
    assert len(lines) >= 100 and max(lines) > 1400, "errors in every range"
    for name in ("cards.ndjson", "summary.json", "errors.ndjson", "report.html"):
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    assert not list((tmp_path / "two").glob(".spill-*")), "the readers' files are removed"


def test_a_killed_parallel_run_resumes_to_the_same_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed run with parallel readers resumes to a clean run's outputs: the readers still
    count the lines of the shards already finished (the summary accounts for every line)."""
    import io

    from cds.review.local import ReviewOptions, run_review
    from cds.review.progress import LogReporter

    review([SAMPLE], tmp_path / "clean", workers=1)
    monkeypatch.setattr(local, "READ_CHUNK", 700)
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run_review(
            [SAMPLE],
            ReviewOptions(out=killed, workers=2),
            LogReporter(io.StringIO()),
            _abort_after_shards=3,
        )
    assert len(orjson.loads((killed / "progress.json").read_bytes())["finished"]) >= 3
    review([SAMPLE], killed, workers=2)
    for name in ("cards.ndjson", "summary.json", "errors.ndjson", "report.html"):
        assert (killed / name).read_bytes() == (tmp_path / "clean" / name).read_bytes(), name
