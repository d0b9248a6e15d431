"""Tests for cds/review/local.py and report.py on the committed sample (fhir_examples/bulk)."""

from __future__ import annotations

import re
from pathlib import Path

import orjson
import pytest

from tests.review.helpers import SAMPLE, read_ndjson, review


@pytest.fixture(scope="module")
def sample_review(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    review([SAMPLE], out, workers=1)
    return out


def test_summary_matches_expected(sample_review: Path) -> None:
    expected = orjson.loads((SAMPLE / "expected.json").read_bytes())
    summary = orjson.loads((sample_review / "summary.json").read_bytes())
    assert summary["cards_by_topic"] == expected["cards_by_topic"]
    assert summary["cards_by_hook_topic"] == expected["cards_by_hook_topic"]
    assert summary["calls"] == expected["calls"]
    assert summary["cards"] == expected["cards"]
    assert summary["patients"]["reviewed"] == expected["patients"]
    assert summary["lines"]["read"] == expected["lines"]
    assert summary["lines"]["balanced"] is True
    assert summary["lines"]["errors"] == 0


def test_every_card_line_is_a_service_response(sample_review: Path) -> None:
    lines = read_ndjson(sample_review / "cards.ndjson")
    assert lines, "the sample produces cards"
    for line in lines:
        assert set(line) == {"patient", "hook", "at", "cards"}
        assert line["patient"].startswith("Patient/")
        assert line["hook"] in ("encounter-discharge", "order-sign")
        assert all(card["source"]["topic"]["code"] for card in line["cards"])


def test_two_workers_give_the_same_outputs(sample_review: Path, tmp_path: Path) -> None:
    review([SAMPLE], tmp_path, workers=2)
    for name in ("cards.ndjson", "summary.json", "errors.ndjson", "report.html"):
        assert (tmp_path / name).read_bytes() == (sample_review / name).read_bytes(), name


def test_spilled_shards_give_the_same_outputs(sample_review: Path, tmp_path: Path) -> None:
    review([SAMPLE], tmp_path, workers=1, memory_mb=0)
    assert not list(tmp_path.glob(".spill-*")), "spill files are removed"
    assert (tmp_path / "summary.json").read_bytes() == (sample_review / "summary.json").read_bytes()
    # more shards when spilling: the same lines, in another shard order
    spilled = sorted((tmp_path / "cards.ndjson").read_bytes().splitlines())
    assert spilled == sorted((sample_review / "cards.ndjson").read_bytes().splitlines())


def test_report_is_self_contained_and_links_patients(sample_review: Path) -> None:
    html = (sample_review / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>")
    refs = re.findall(r"""(?:src|href)\s*=\s*['"]([^'"]*)['"]""", html)
    assert refs and all(r.startswith("#") for r in refs)
    assert not re.search(r"<(link|img|iframe|script)[^>]+(src|href)=", html)
    assert "<svg" in html
    ids = set(re.findall(r"id='([^']+)'", html))
    assert {r[1:] for r in refs} <= ids  # every anchor has a target
    flagged = {
        line["patient"]
        for line in read_ndjson(sample_review / "cards.ndjson")
        if any(c["indicator"] in ("critical", "warning") for c in line["cards"])
    }
    assert flagged and all(p in html for p in flagged)


def test_report_escapes_text(tmp_path: Path) -> None:
    from cds.review.report import write_report

    card = {
        "summary": "<script>alert(1)</script>",
        "indicator": "warning",
        "detail": "a & b <img src=http://x>",
        "source": {"topic": {"code": "t<1>"}},
    }
    line = {"patient": "Patient/<b>", "hook": "order-sign", "at": "x", "cards": [card]}
    (tmp_path / "cards.ndjson").write_bytes(orjson.dumps(line) + b"\n")
    write_report(tmp_path, {"pack": "p<1>", "cards_by_topic": {"t<1>": 1}})
    html = (tmp_path / "report.html").read_text()
    assert "<script>alert" not in html and "<img src=http" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html


def test_report_from_the_shards_flagged_lines_is_the_one_cards_ndjson_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run writes report.html from the lines its shards flagged (no second read of
    cards.ndjson): the same bytes as the report made from cards.ndjson alone, with the cap on
    listed patients reached, so the patients past it are counted from the flagged lines too."""
    from cds.pack.load import load_pack
    from cds.review import report

    monkeypatch.setattr(report, "MAX_PATIENTS", 3)
    out = tmp_path / "run"
    summary = review([SAMPLE], out, workers=2)
    written = (out / "report.html").read_bytes()
    assert re.search(rb"<p class='meta'>\d+ more patients with critical or warning", written)
    indicators = {t.code: t.indicator for t in load_pack(None).spec.topics}
    report.write_report(out, summary, indicators)
    assert (out / "report.html").read_bytes() == written
