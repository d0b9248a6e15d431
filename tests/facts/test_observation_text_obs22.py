"""Observation words (obs22): a temperature in a fever row's words, read in the unit of the
value set that measures a fever and a sign only at the rules' own threshold (a site's
setting moves it); an effort note after a comma; an injury in a history of present illness."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cds.call import request_call
from cds.hooks.registry import parse_hook_request
from cds.pipeline import Evaluator
from tests.facts.test_observation_text import NOW, PACK, REQUEST, facts_of, row

E, U, D = "emergency-sign", "urgent-sign", "data-check"


def topics(*resources: dict[str, Any], site: dict[str, float | None] | None = None) -> set[str]:
    """Card topics for the example's low back pain plus ``resources``, under ``site``."""
    request = copy.deepcopy(REQUEST)
    request["prefetch"]["observations"]["entry"] = [{"resource": r} for r in resources]
    request["prefetch"]["observations"]["total"] = len(resources)
    evaluator = Evaluator(PACK, site)
    response = evaluator.run(request_call(parse_hook_request(request), NOW)).response
    return {c.source.topic.code for c in response.cards if c.source.topic is not None}


# --- item 1: a temperature in a fever row's words -------------------------------------------


@pytest.mark.parametrize(
    "value, celsius",
    [
        ("Tmax 38.9 at home", 38.9),
        ("T 101.5F", 38.61),
        ("39.1 C", 39.1),
        ("102 at home", 38.89),
        ("temp 38.3 this AM", 38.3),
        ("Tmax 37.4", 37.4),
        ("38.5 °C at home", 38.5),
    ],
)
def test_a_number_in_a_fever_row_is_read_as_a_temperature(value: str, celsius: float) -> None:
    facts, issues = facts_of(row("Fever", value))
    (fever,) = [f for f in facts if f.kind == "condition" and f.valueset == "fever_condition"]
    assert fever.value == pytest.approx(celsius, abs=0.01) and fever.unit == "Cel"
    assert not issues


@pytest.mark.parametrize("value", ["?38", "38-39-40", "38C-102F", "~38.5", "31", "44", "250"])
def test_a_number_in_doubt_or_out_of_range_stays_an_unclear_answer(value: str) -> None:
    facts, issues = facts_of(row("Fever", value))
    assert not [f for f in facts if f.kind == "condition"]
    assert issues == [f"“Fever: {value}”: answer not understood"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Tmax 38.9 at home", {U}),
        ("102 at home", {U}),
        ("100.4", {U}),  # 38.0 Cel: at the threshold
        ("Tmax 37.4", set()),
        ("100.3", set()),
        ("?38", {D}),
    ],
)
def test_the_fever_sign_follows_the_threshold(value: str, expected: set[str]) -> None:
    assert topics(row("Fever", value)) - {"discharge-instructions"} == expected


def test_a_site_threshold_moves_the_sign_read_in_words() -> None:
    """The threshold is the compiled rules' own: a site's fever_celsius of 38.5 makes 38.3
    no fever, and 38.6 still one."""
    site: dict[str, float | None] = {"fever_celsius": 38.5}
    assert U in topics(row("Fever", "temp 38.3 this AM"))
    assert U not in topics(row("Fever", "temp 38.3 this AM"), site=site)
    assert U in topics(row("Fever", "temp 38.6 this AM"), site=site)


def test_a_number_after_a_yes_or_a_no_is_the_answer_it_follows() -> None:
    """A yes or no says it first: the number beside it changes nothing read before."""
    assert topics(row("Fever", "no fever, Tmax 37.2")) - {"discharge-instructions"} == set()
    assert U in topics(row("Fever", "Yes, Tmax 38.9"))


# --- item 2: an effort note after a comma ---------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("Physical findings", "4/5 BLE, give-way"),
        ("LLE motor strength", "4/5 bilateral LE, giveway"),
        ("Motor exam", "strength 4/5 RLE - give way effort"),
        ("LLE motor strength", "4/5 L leg, limited by pain"),
        ("Dorsiflexion L", "4/5, due to pain"),
        ("Physical findings", "4/5 BLE, give-way noted"),
    ],
)
def test_an_effort_note_after_a_comma_qualifies_the_grade(name: str, value: str) -> None:
    facts, issues = facts_of(row(name, value))
    assert "leg_weakness" not in {f.valueset for f in facts if f.kind == "condition"}
    assert not issues


@pytest.mark.parametrize(
    "name, value",
    [
        ("Physical findings", "4/5 L leg, new foot drop"),  # another finding
        ("LLE motor strength", "4/5 L leg, no give-way"),  # the effort denied
        ("Strength", "4/5 L leg - no give-way"),
        ("Strength", "give-way L, 3/5 RLE"),  # a grade after the note
        ("Strength", "4/5 RLE, give-way, 3/5 LLE"),
        ("Physical findings", "4/5 BLE, give-way L"),  # one leg's note: the other leg's 4/5
        ("Physical findings", "4/5 BLE, give-way. 3/5 L EHL"),
    ],
)
def test_a_deficit_the_note_does_not_qualify_stays_weakness(name: str, value: str) -> None:
    facts, _ = facts_of(row(name, value))
    assert "leg_weakness" in {f.valueset for f in facts if f.kind == "condition"}


# --- item 3: an injury in a history of present illness -------------------------------------


def hpi(text: str) -> dict[str, Any]:
    return row("History of Present illness Narrative", text, loinc="10164-2")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fell off ladder 2 days ago", {"trauma_fall"}),
        ("MVC 3 days ago, LBP since", {"trauma_motor_vehicle"}),
        ("assaulted last night, kicked in back", {"external_cause_injury"}),
        ("fell 6 weeks ago, pain since", {"injury_pain_since"}),
        ("MVC 2 months ago, pain since", {"injury_pain_since"}),
        ("fell off bike 2 years ago, healed", set()),
        ("fell 5 weeks ago", set()),
        ("denies fall or injury", set()),
        ("LBP x2 days, numbness L leg", {"numbness_paresthesia"}),
        ("LBP x 3 days after lifting, denies fever", set()),
    ],
)
def test_an_injury_in_a_history_of_present_illness(text: str, expected: set[str]) -> None:
    injuries = {
        "trauma_fall",
        "trauma_motor_vehicle",
        "external_cause_injury",
        "injury_pain_since",
        "numbness_paresthesia",
        "fever_condition",
    }
    facts, issues = facts_of(hpi(text))
    assert {f.valueset for f in facts if f.kind == "condition"} & injuries == expected
    assert not issues


def test_a_fall_screening_over_months_is_no_recent_injury() -> None:
    facts, issues = facts_of(row("Fallen in last 3 months", "Yes"))
    assert not [f for f in facts if f.kind == "condition"] and not issues
    facts, _ = facts_of(row("Mechanism of injury", "Fall from ladder"))
    assert "trauma_fall" in {f.valueset for f in facts if f.kind == "condition"}
