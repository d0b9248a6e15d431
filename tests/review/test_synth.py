"""Tests for cds/review/synth.py (and synth_situations.py, synth_resources.py): reproducible
files whose expectations the review meets."""

from __future__ import annotations

from pathlib import Path

import orjson

from cds.facts.valuesets import RecordCoding
from cds.pack.load import load_pack
from cds.review.synth import synthesize
from cds.review.synth_resources import RXNORM
from cds.review.synth_situations import MEDS
from tests.review.helpers import SAMPLE, review

INTENDED = {
    "ibuprofen": {"ibuprofen", "nsaid"},
    "naproxen": {"naproxen", "nsaid"},
    "acetaminophen": {"acetaminophen"},
    "cyclobenzaprine": {"muscle_relaxant"},
    "methocarbamol": {"muscle_relaxant"},
    "oxycodone": {"opioid"},
    "warfarin": {"anticoagulant"},
    "lisinopril": set(),
}


def test_same_seed_same_bytes(tmp_path: Path) -> None:
    synthesize(50, 2, tmp_path)
    for path in SAMPLE.iterdir():
        if path.suffix != ".md":
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_products_match_only_the_intended_value_sets() -> None:
    index = load_pack().index
    for name, (code, display) in MEDS.items():
        assert index.match([RecordCoding(RXNORM, code, display)]) == INTENDED[name], name


def test_a_larger_population_meets_its_expectations(tmp_path: Path) -> None:
    expected = synthesize(400, 11, tmp_path / "data")
    summary = review([tmp_path / "data"], tmp_path / "out", workers=2)
    assert summary["cards_by_hook_topic"] == expected["cards_by_hook_topic"]
    assert summary["calls"] == expected["calls"]
    manifest = orjson.loads((tmp_path / "data" / "manifest.json").read_bytes())
    assert sum(o["count"] for o in manifest["output"]) == summary["lines"]["read"]
    assert (
        expected["situations"]["noise_duplicate"]
        == (
            summary["lines"]["ignored_by_reason"][
                "duplicate resource (same type and id as an earlier line)"
            ]
        )
    )
