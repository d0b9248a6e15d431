"""A fever row's words (fix25a, er25b items 2 and 3): a range is the sign when its low end is
one and a data-check item when it is not; one reading in two units is the sign when they
agree; a reading the words place in the past is no current sign: weeks back nothing, over with
no date a data-check item."""

from __future__ import annotations

import pytest

from tests.facts.test_observation_text import row
from tests.facts.test_observation_text_obs22 import D, U, topics


@pytest.mark.parametrize(
    "value, expected",
    [
        ("38-39", {U}),
        ("38.5-39", {U}),
        ("38 to 39", {U}),
        ("101-102F", {U}),
        ("38C-39C", {U}),
        ("100-101F", {U}),  # 38.3 Cel at the high end: every reading counts
        ("37.5-38.5", {U}),
        ("99-100F", set()),  # 37.8 Cel at the high end: wholly below
        ("38C-102F", {D}),  # two units: no range
        ("39.2C (102.6F)", {U}),
        ("102.6F (39.2C)", {U}),
        ("38.9 °C/102 °F", {U}),
        ("39.2C (101.2F)", {D}),  # the two units disagree
        ("37.2C (99F)", set()),
        # weeks back: the fever's own words are excluded (er25d W2), no current sign at all
        ("Tmax 38.9 last week", set()),
        ("Tmax 38.9 last week, afebrile since", set()),
        ("Tmax 38.9 a week ago", set()),
        ("Tmax 38.9, afebrile since", {D}),  # when? perhaps an old one
        ("38.9 yesterday, afebrile since", {U}),  # dated recent: the sign
        ("Tmax 38.9 yesterday", {U}),
        ("temp 38.3 this AM", {U}),
        ("Tmax 38.9 at home", {U}),
    ],
)
def test_a_range_two_units_or_a_past_reading(value: str, expected: set[str]) -> None:
    assert topics(row("Fever", value)) - {"discharge-instructions"} == expected


def test_a_site_threshold_moves_the_high_end_of_a_range() -> None:
    site: dict[str, float | None] = {"fever_celsius": 38.5}
    assert topics(row("Fever", "37.5-38.4")) - {"discharge-instructions"} == {U}
    assert topics(row("Fever", "37.5-38.4"), site=site) - {"discharge-instructions"} == set()
    assert topics(row("Fever", "37.5-38.6"), site=site) - {"discharge-instructions"} == {U}
    assert topics(row("Fever", "38.6-39"), site=site) - {"discharge-instructions"} == {U}
