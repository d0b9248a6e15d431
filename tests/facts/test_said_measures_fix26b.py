"""A fever row with readings each dated by its own words (fix26b, er25d W4): the current ones
decide ("Tmax 38.9 last week, 39.1 today" is the fever, as "39.1 today" alone is); a past one
alone stays as it was (nothing), a current one below the threshold beside a past fever is
nothing, two current ones are the sign when both are, and words not split into dated
readings are read whole, as before."""

from __future__ import annotations

import pytest

from tests.facts.test_observation_text import row
from tests.facts.test_observation_text_obs22 import D, U, topics


@pytest.mark.parametrize(
    "value, expected",
    [
        # the lost danger sign: a current reading beside an old one
        ("Tmax 38.9 last week, 39.1 today", {U}),
        ("39.1 today, 38.9 last week", {U}),
        ("38.9 last week; 39.1 this AM", {U}),
        ("102F today; 100 last week", {U}),
        ("38-39 today, 38.9 last week", {U}),  # a range whose low end is a fever
        # two current readings: the sign when both are, a data check when one is not
        ("39.1 today, 39.4 tonight", {U}),
        ("38.5 today, 37.0 this AM", {D}),
        ("38.9 last week, 37.0 today, 39 tonight", {D}),
        ("37.5-38.5 today, 38.9 last week", {D}),  # a range's low end below the threshold
        # a current reading below the threshold beside a past fever: nothing
        ("38.9 last week, 37.0 today", set()),
        # unchanged: a past one alone, words not split into dated readings
        ("Tmax 38.9 last week", set()),
        ("39.1 today", {U}),
        ("38.9, 39.2 today", {D}),  # the first reading is not dated
        ("38.9 yesterday, afebrile since", {U}),
        ("Tmax 38.9, afebrile since", {D}),
        ("38.9 last week and today, 39 tonight", {D}),  # dated then and now
        ("?38.9 last week, 39.1 today", {D}),
        ("39.1 today, ~38 this AM", {D}),  # a current reading in doubt
    ],
)
def test_readings_dated_by_their_own_words(value: str, expected: set[str]) -> None:
    assert topics(row("Fever", value)) - {"discharge-instructions"} == expected


def test_a_site_threshold_moves_the_current_readings() -> None:
    site: dict[str, float | None] = {"fever_celsius": 39.2}
    value = "Tmax 38.9 last week, 39.1 today, 39.4 tonight"
    assert topics(row("Fever", value)) - {"discharge-instructions"} == {U}
    assert topics(row("Fever", value), site=site) - {"discharge-instructions"} == {D}
