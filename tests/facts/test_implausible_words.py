"""A reading no living patient shows is said in a clinician's words: the scale's bounds as
written ("3-15", not "3.0-15.0"), and no UCUM note ("{score}") as if it were a unit."""

from __future__ import annotations

from decimal import Decimal

from cds.cards.detail import readable_units
from cds.facts.units import ReadingRule, implausible


def test_a_score_out_of_its_scale_is_said_without_a_ucum_note() -> None:
    rule = ReadingRule(name="a Glasgow coma score total", low=Decimal("3"), high=Decimal("15"))
    said = implausible(rule, Decimal("0"), "{score}")
    assert said == (
        "0 is outside the possible range for a Glasgow coma score total (3-15); "
        "check the device and the unit"
    )


def test_a_unit_is_kept_and_an_open_bound_shown() -> None:
    rule = ReadingRule(name="a breathing rate", low=None, high=Decimal("100.0"))
    said = implausible(rule, Decimal("120"), "/min")
    assert said is not None and "(...-100 /min)" in said


def test_a_number_with_a_unit_of_no_words_keeps_one_space() -> None:
    assert readable_units("value 0 {score} cannot be right") == "value 0 cannot be right"
    assert readable_units("Temp 39.5 Cel") == "Temp 39.5 °C"
