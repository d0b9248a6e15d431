"""``rules/back-spasm/text-examples.yaml``: the phrases that exercise the text patterns.

Each value set with text patterns lists realistic EHR phrases (problem-list entries, reasons
for visit, medication names as order catalogues write them). They are tested here through the
real ``ValueSetIndex.match_detail`` (negation and all), so they are not decoration: every
``match`` phrase must match its value set by words, every ``not`` phrase must not, and every
text pattern must be exercised by at least one ``match`` phrase of its own value set. The
loader rejects a file with an unknown key or an unknown value set.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from pathlib import Path

import pytest

from cds.errors import RulePackError
from cds.pack.check import example_texts, silent_text_patterns
from cds.pack.load import RULES_DIR, load_pack

PACK = load_pack()
MATCH = [(vs, p) for vs, ex in PACK.text_examples.items() for p in ex.match]
NOT = [(vs, p) for vs, ex in PACK.text_examples.items() for p in ex.not_]
LISTED = [(vs, p) for vs, ex in PACK.text_examples.items() for p in ex.listed]
PATTERNS = [(vs.id, i, t) for vs in PACK.valuesets.values() for i, t in enumerate(vs.text)]


def test_every_value_set_with_text_patterns_has_examples() -> None:
    missing = sorted({vs for vs, _, _ in PATTERNS} - set(PACK.text_examples))
    assert not missing, f"value sets with text patterns but no text examples: {missing}"
    assert len(MATCH) >= len(PATTERNS), "at least one phrase per pattern"
    assert NOT, "some phrases that must not match"


@pytest.mark.parametrize(("vs", "phrase"), MATCH, ids=[f"{v}:{p}" for v, p in MATCH])
def test_phrase_matches_its_value_set_by_words(vs: str, phrase: str) -> None:
    detail = PACK.index.match_detail([], phrase)
    assert detail.get(vs) is False, f"{phrase!r} should match {vs} by words; got {detail}"


@pytest.mark.parametrize(("vs", "phrase"), NOT, ids=[f"{v}:{p}" for v, p in NOT])
def test_not_phrase_does_not_match(vs: str, phrase: str) -> None:
    detail = PACK.index.match_detail([], phrase)
    assert vs not in detail, f"{phrase!r} must not match {vs}; got {detail}"


@pytest.mark.parametrize(
    ("vs", "i", "pattern"), PATTERNS, ids=[f"{v}[{i}]" for v, i, _ in PATTERNS]
)
def test_every_pattern_is_exercised_by_its_own_examples(vs: str, i: int, pattern: str) -> None:
    regex = re.compile(pattern, re.IGNORECASE)
    phrases = PACK.text_examples[vs].match
    assert any(regex.search(p) for p in phrases), (
        f"{vs}.text[{i}] {pattern!r}: no phrase of text-examples.yaml exercises it"
    )


@pytest.mark.parametrize(("vs", "phrase"), LISTED, ids=[f"{v}:{p}" for v, p in LISTED])
def test_listed_phrase_is_neither_matched_nor_silent(vs: str, phrase: str) -> None:
    """A ``placed`` sign named with its own side or place after a denial's list, or a danger
    sign marked NEW in capitals in one: not the sign, not denied either (a
    ``sign_after_denial`` data-check item; briefs neg22, lines24)."""
    assert vs not in PACK.index.match_detail([], phrase), phrase
    assert vs in PACK.index.match_listed([], phrase), phrase


def test_every_placed_value_set_has_listed_examples() -> None:
    placed = {vs.id for vs in PACK.valuesets.values() if vs.placed}
    assert placed == {
        "leg_weakness",
        "numbness_paresthesia",
        "saddle_anesthesia",
        "radiating_leg_pain",
    }
    listed = {vs for vs, _ in LISTED}
    assert placed <= listed, "each placed set has listed phrases"
    assert listed <= placed | PACK.index.signs, "listed phrases only of placed sets or signs"


def test_check_counts_the_phrases_as_examples() -> None:
    texts = example_texts(PACK)
    requests_only = example_texts(dataclasses.replace(PACK, text_examples={}))
    assert set(texts) == set(requests_only) | {p for _, p in MATCH}  # `not` phrases: never
    assert silent_text_patterns(PACK, texts) == []
    assert silent_text_patterns(PACK, requests_only), "the examples file is what covers them"


def test_a_pattern_with_no_example_is_reported(tmp_path: Path) -> None:
    """Without the examples file a pattern no request exercises is a warning again."""
    copy = tmp_path / "back-spasm"
    shutil.copytree(RULES_DIR / "back-spasm", copy)
    (copy / "text-examples.yaml").unlink()
    pack = load_pack(copy)
    assert pack.text_examples == {}
    found = silent_text_patterns(pack, [])
    assert len(found) == len(PATTERNS)


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ("\nchills:\n", "\nchils:\n", ("chils", "unknown value set")),
        (
            "\nchills:\n  match:\n",
            "\nchills:\n  nots: []\n  match:\n",
            ("chills.nots", "not permitted"),
        ),
        ("\nchills:\n", "\nrenal_lab_egfr:\n", ("renal_lab_egfr", "no text patterns")),
    ],
    ids=["unknown-valueset", "unknown-key", "valueset-without-patterns"],
)
def test_loader_rejects_a_broken_file(
    tmp_path: Path, old: str, new: str, words: tuple[str, ...]
) -> None:
    copy = tmp_path / "back-spasm"
    shutil.copytree(RULES_DIR / "back-spasm", copy)
    path = copy / "text-examples.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RulePackError) as err:
        load_pack(copy)
    assert "text-examples.yaml" in str(err.value)
    for w in words:
        assert w in str(err.value)
