"""A killed review resumes from DIR/progress.json and writes the same outputs."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from cds.review.local import ReviewOptions, run_review
from tests.review.helpers import SAMPLE, review

OUTPUTS = ("cards.ndjson", "errors.ndjson", "summary.json", "report.html")


def test_resume_after_a_kill_gives_identical_outputs(tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    review([SAMPLE], clean, workers=1)

    killed = tmp_path / "killed"
    from cds.review.progress import LogReporter

    with pytest.raises(KeyboardInterrupt):
        run_review(
            [SAMPLE], ReviewOptions(out=killed, workers=1), LogReporter(), _abort_after_shards=3
        )
    progress = orjson.loads((killed / "progress.json").read_bytes())
    assert len(progress["finished"]) == 3
    assert not (killed / "cards.ndjson").exists()

    review([SAMPLE], killed, workers=1)
    for name in OUTPUTS:
        assert (killed / name).read_bytes() == (clean / name).read_bytes(), name
    assert not (killed / "progress.json").exists()


def test_changed_input_starts_over(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    for f in SAMPLE.iterdir():
        (data / f.name).write_bytes(f.read_bytes())
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        from cds.review.progress import LogReporter

        run_review([data], ReviewOptions(out=out), LogReporter(), _abort_after_shards=2)
    patients = data / "Patient.000.ndjson"
    extra = orjson.dumps({"resourceType": "Patient", "id": "late-arrival"}) + b"\n"
    patients.write_bytes(patients.read_bytes() + extra)  # a new fingerprint
    summary = review([data], out)
    assert summary["patients"]["reviewed"] == 51
    assert summary["lines"]["read"] == 377  # the 376 lines of the sample and the new one
