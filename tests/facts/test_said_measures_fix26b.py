"""A fever row with readings each dated by its own words (fix26b, er25d W4): the current ones
decide ("Tmax 38.9 last week, 39.1 today" is the fever, as "39.1 today" alone is); a past one
alone stays as it was (nothing), a current one below the threshold beside a past fever is
nothing, two current ones are the sign when both are, and words not split into dated
readings are read whole, as before. And (item 3) one resolver for a value against thresholds,
exact or a bound, for a Quantity's comparator and a number said in words alike."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from cds.facts.bounds import resolve_bounds, resolve_value
from cds.facts.model import Fact
from cds.facts.said_measures import LOW_END, resolve_said_measures
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
        # two current readings: every reading counts, so the sign when one is
        ("39.1 today, 39.4 tonight", {U}),
        ("38.5 today, 37.0 this AM", {U}),
        ("37.0 this AM, 38.5 today", {U}),
        ("36.8 this AM, 37.2 today", set()),
        ("38.9 last week, 37.0 today, 39 tonight", {U}),
        ("37.5-38.5 today, 38.9 last week", {U}),  # a range's high end reached the threshold
        ("37.0-37.9 today, 38.9 last week", set()),  # a range wholly below it
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
    value = "Tmax 38.9 last week, 39.1 today, 39.4 tonight"
    assert topics(row("Fever", value)) - {"discharge-instructions"} == {U}
    high: dict[str, float | None] = {"fever_celsius": 39.2}  # 39.4 tonight is still one
    assert topics(row("Fever", value), site=high) - {"discharge-instructions"} == {U}
    higher: dict[str, float | None] = {"fever_celsius": 39.5}  # no current reading is
    assert topics(row("Fever", value), site=higher) - {"discharge-instructions"} == set()


# --- item 3: one resolver for a bound and a number said in words ------------------------------


@dataclass(frozen=True)
class Region:
    understood: bool = True
    verified: bool | None = True
    lowest: float | None = None
    highest: float | None = None
    lowest_strict: bool = False
    highest_strict: bool = False


FEVER = Region(lowest=38.0)
FEVER_UNVERIFIED = Region(verified=False, lowest=38.0)
NOT_UNDERSTOOD = Region(understood=False)


@pytest.mark.parametrize(
    "value, bound, sign",
    [
        (38.0, None, "certain"),  # an exact value: a sign when a sign's range holds it
        (37.9, None, "none"),
        (38.0, ">=", "certain"),  # every value it allows is a fever
        (37.5, ">=", "possible"),  # some are
        (37.9, ">", "possible"),
        (38.0, "<", "none"),  # none is
        (39.0, "<=", "possible"),
    ],
)
def test_one_resolver_for_a_value_exact_or_a_bound(
    value: float, bound: str | None, sign: str
) -> None:
    assert resolve_value(value, bound, (FEVER, FEVER_UNVERIFIED, NOT_UNDERSTOOD)).sign == sign


def _said(value: float, bound: str | None) -> Fact:
    return Fact(
        kind="condition",
        valueset="fever_condition",
        rid="Observation/row",
        display="Fever: said",
        value=value,
        unit="Cel",
        bound=bound,
        by_text=True,
    )


@pytest.mark.parametrize(
    "value, bound, kept, issue",
    [
        (38.5, None, True, None),
        (37.5, None, False, None),
        (38.0, LOW_END, True, None),
        # a range: the sign when its high end is one (every reading counts), never a check
        (37.5, f"{LOW_END}38.5", True, None),
        (37.5, f"{LOW_END}37.9", False, None),
    ],
)
def test_a_number_said_in_words_is_resolved_by_the_measuring_value_sets_thresholds(
    value: float, bound: str | None, kept: bool, issue: str | None
) -> None:
    # the thresholds are the body temperature's; the fever's own value set has none
    reach = {("observation", "fever_temperature_obs"): (FEVER, FEVER_UNVERIFIED, NOT_UNDERSTOOD)}
    measured_by = {"fever_condition": "fever_temperature_obs"}
    facts, issues = resolve_said_measures([_said(value, bound)], reach, measured_by)
    assert [f.value for f in facts] == ([None] if kept else [])
    assert [i.headline.startswith(f"“Fever: said”: {issue}") for i in issues if i.headline] == (
        [True] if issue else []
    )
    # the same value as a Quantity's bound on the body temperature: the same verdict
    if bound == LOW_END:
        reading = replace(_said(value, ">="), kind="observation", valueset="fever_temperature_obs")
        (out,) = resolve_bounds([reading], reach)
        assert out.verified is kept
