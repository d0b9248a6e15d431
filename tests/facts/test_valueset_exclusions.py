"""A value set's ``excluded_by_text`` read line by line (`cds.facts.valueset_parts`): one line is
read whole, as before; of several, only the lines naming the concept, each on its own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.facts.valueset_parts import Exclusion
from cds.pack.load import load_pack

INDEX = load_pack().index
WEAK = INDEX.excluded_by_text["leg_weakness"]
FEVER = INDEX.excluded_by_text["fever_condition"]
SIMPLE = Exclusion.of([r"\bchronic\b"], [r"\bweak(ness)?\b"])


@pytest.mark.parametrize(
    ("exclusion", "words", "left_out"),
    [
        (WEAK, "L leg weakness, chronic since stroke", True),
        (WEAK, "L leg weakness, chronic since stroke\nR leg weakness new today", False),
        (WEAK, "R leg weakness new today\nL leg weakness, chronic since stroke", False),
        (WEAK, "chronic L leg weakness\nLBP x2d", True),  # the other line does not name it
        (FEVER, "fevers 2 weeks ago, none since", True),
        (FEVER, "fevers 2 weeks ago\nfever again today", False),
        (FEVER, "LBP x2d\nfevers 2 weeks ago, none since", True),  # read where it is written
        (FEVER, "Fever since last night\nLBP started 2 weeks ago", False),
        (SIMPLE, "weakness, chronic\nweakness, chronic", True),
        (SIMPLE, "weakness, chronic\nweakness", False),
        (SIMPLE, "chronic\nweakness", False),  # the line naming it does not say the kind
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
def test_several_lines_are_left_out_only_when_each_naming_one_is(lines: list[str]) -> None:
    naming = [line for line in lines if SIMPLE.names and SIMPLE.names.search(line)]
    expected = (
        all(SIMPLE.pattern.search(line) for line in naming)
        if naming
        else SIMPLE.pattern.search("\n".join(lines)) is not None
    )
    assert (SIMPLE.search("\n".join(lines)) is not None) is expected
