"""The plain runs a text pattern needs (`cds.facts.literals`): a pattern is run on some words
only when one of its runs is in them, so a run must be in every match, or a sign is lost."""

from __future__ import annotations

import glob
import json
import re
from functools import cache
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.facts.literals import LiteralIndex, required_literals
from cds.facts.negation import plain
from cds.facts.valuesets import ValueSetIndex
from cds.pack.load import Pack, load_pack


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


@pytest.mark.parametrize(
    ("pattern", "runs"),
    [
        (r"\bfevers?\b", {"fever"}),
        (r"\b(urinary|bladder) incontinence\b", {" incontinence"}),
        (r"\b(urinary|bladder)\b", {"urinary", "bladder"}),
        (r"(abc)?def", {"def"}),
        (r"(abc)?", set()),
        (r"(?!foo)bar", {"bar"}),
        (r"(?-i:\bLBP\b)", {"lbp"}),
        (r"^(?=.*\bfell\b).*", {"fell"}),  # what a look-ahead must find
        (r"^(?=.*\b(fell|fall)\b).*", {"ell", "all"}),  # re's parser takes out their "f"
        (r"(ab|c)d", set()),  # "c" then "d": no run of two in every match
        (r"x(yz)+", {"yz"}),
        (r"x(yz)*w", set()),
        (r"[CVPU]", set()),
    ],
)
def test_the_runs_of_a_pattern(pattern: str, runs: set[str]) -> None:
    assert required_literals(pattern) == runs


def _words(x: Any, out: set[str]) -> None:
    if isinstance(x, dict):
        for k, v in x.items():
            if k in ("text", "display", "valueString") and isinstance(v, str):
                out.add(v)
            else:
                _words(v, out)
    elif isinstance(x, list):
        for v in x:
            _words(v, out)


@cache
def record_words() -> tuple[str, ...]:
    """Every text, display and value in words of the corpus and the examples, and every
    phrase of the pack's text examples: the words real records hold."""
    out: set[str] = set()
    for name in glob.glob("tests/realworld/cases/*.json") + glob.glob(
        "fhir_examples/**/*.json", recursive=True
    ):
        with open(name) as f:
            _words(json.load(f), out)
    with open("rules/back-spasm/text-examples.yaml") as f:
        examples = yaml.safe_load(f)
    for spec in examples.values():
        for key in ("match", "not"):
            out.update(str(t) for t in (spec or {}).get(key) or [])
    return tuple(sorted(plain(w) for w in out))


def test_every_match_in_real_words_holds_one_of_its_runs(pack: Pack) -> None:
    words = record_words()
    assert len(words) > 1500
    for pattern, vs_id in pack.index.text:
        runs = required_literals(pattern.pattern)
        for w in words:
            if runs and pattern.search(w):
                assert any(r in w.lower() for r in runs), (vs_id, pattern.pattern, w)


def test_nearly_every_pattern_has_runs(pack: Pack) -> None:
    without = [vs for p, vs in pack.index.text if not required_literals(p.pattern)]
    assert len(without) <= 0.02 * len(pack.index.text), without


@cache
def index() -> ValueSetIndex:
    return load_pack().index


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.sampled_from(record_words()), min_size=1, max_size=4),
    glue=st.sampled_from([" ", ", ", ". ", "\n", "; no ", " denies "]),
)
def test_the_candidates_hold_every_pattern_that_matches(parts: list[str], glue: str) -> None:
    text = glue.join(parts)
    candidates = {id(p) for p, _ in index().by_runs.candidates([text])}
    for pattern, vs_id in index().text:
        if pattern.search(text):
            assert id(pattern) in candidates, (vs_id, pattern.pattern, text)


def test_no_words_no_candidates(pack: Pack) -> None:
    assert pack.index.by_runs.candidates([]) == []
    assert pack.index.by_runs.candidates(["", ""]) == []


def test_a_run_never_spans_two_words(pack: Pack) -> None:
    index = LiteralIndex([(re.compile("back pain", re.I), "x")])
    assert index.candidates(["back", "pain"]) == []
    assert index.candidates(["low", "back pain"]) != []
