"""An exclusion naming a month (``past_month``) holds only for a month before the
evaluation's: "fever in October" read in December is past, read in October it may be this
week's (`cds.facts.concepts.dated_past`, through the pack's fever and chills exclusions)."""

from __future__ import annotations

from datetime import date

import pytest

from cds.facts.concepts import read_concept_detail
from cds.pack.load import load_pack

INDEX = load_pack().index


def _fever(words: str, today: date) -> bool:
    matched, _ = read_concept_detail({"text": words}, INDEX, today)
    return "fever_condition" in {vs for vs, _ in matched}


@pytest.mark.parametrize(
    ("words", "today", "fever"),
    [
        ("Fever in October.", date(2026, 12, 8), False),
        ("Fever in October.", date(2026, 10, 20), True),  # this month: may be this week's
        ("Fever in December.", date(2027, 1, 5), False),  # last year's December
        ("Fever in January.", date(2026, 12, 8), False),  # this year's January
        ("Fever in June 2025.", date(2026, 6, 20), False),  # a year gone
        ("Fever in June 2026.", date(2026, 6, 20), True),
        ("Fever in June 2027.", date(2026, 6, 20), True),  # ahead: not past
        ("In Oct. she had fevers with the flu.", date(2026, 12, 8), False),
        ("Fever in October, again since yesterday.", date(2026, 12, 8), True),
        ("Fever may be viral.", date(2026, 12, 8), True),  # "may" is no month here
    ],
)
def test_a_month_dates_a_fever(words: str, today: date, fever: bool) -> None:
    assert _fever(words, today) is fever
