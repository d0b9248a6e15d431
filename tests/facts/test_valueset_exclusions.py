"""A value set's ``excluded_by_text`` read by entries (`cds.facts.valueset_parts`): words of
several lines leave the concept out only when the whole words and each entry (from one line
naming it to the next) do."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.facts.valueset_parts import Exclusion
from cds.pack.load import load_pack

INDEX = load_pack().index
WEAK = INDEX.excluded_by_text["leg_weakness"]
FEVER = INDEX.excluded_by_text["fever_condition"]
RADIATING = INDEX.excluded_by_text["radiating_leg_pain"]
SIMPLE = Exclusion.of([r"\bchronic\b"], [r"\bweak(ness)?\b"])


@pytest.mark.parametrize(
    ("exclusion", "words", "left_out"),
    [
        (WEAK, "L leg weakness, chronic since stroke", True),
        (WEAK, "L leg weakness, chronic since stroke\nR leg weakness new today", False),
        (WEAK, "R leg weakness new today\nL leg weakness, chronic since stroke", False),
        (WEAK, "chronic L leg weakness\nLBP x2d", True),  # the other line does not name it
        (WEAK, "L leg weakness\nchronic since CVA 2015", True),  # a wrapped qualifier (er27)
        (FEVER, "fevers 2 weeks ago, none since", True),
        (FEVER, "fevers 2 weeks ago\nfever again today", False),
        (FEVER, "Fever since last night\nLBP started 2 weeks ago", False),
        (SIMPLE, "weakness, chronic\nweakness, chronic", True),
        (SIMPLE, "weakness, chronic\nweakness", False),
        (SIMPLE, "weakness\n(chronic)", True),  # named once: the words whole
        (SIMPLE, "chronic\nweakness\nweakness, new", False),  # the second entry stays
        (SIMPLE, "chronic\nweakness", False),  # the entry naming it says no kind
        (RADIATING, "chronic sciatica\npain radiating down R leg since today", False),
    ],
)
def test_lines_naming_the_concept_are_read_each_on_its_own(
    exclusion: Exclusion, words: str, left_out: bool
) -> None:
    assert (exclusion.search(words) is not None) is left_out


LINE = st.lists(st.sampled_from(["weak", "weakness", "chronic", "new", ",", "x"]), max_size=6).map(
    " ".join
)


@given(LINE)
def test_one_line_is_read_as_the_pattern_reads_it(line: str) -> None:
    assert (SIMPLE.search(line) is None) is (SIMPLE.pattern.search(line) is None)


@given(st.lists(LINE, min_size=2, max_size=5))
def test_entries_never_leave_out_what_the_whole_words_keep(lines: list[str]) -> None:
    words = "\n".join(lines)
    if SIMPLE.pattern.search(words) is None:
        assert SIMPLE.search(words) is None


@given(st.lists(LINE, min_size=2, max_size=5))
def test_named_once_on_the_first_line_the_whole_words_decide(lines: list[str]) -> None:
    words = "\n".join(lines)
    naming = [k for k, line in enumerate(lines) if SIMPLE.names and SIMPLE.names.search(line)]
    if naming in ([], [0]):
        assert (SIMPLE.search(words) is None) is (SIMPLE.pattern.search(words) is None)
