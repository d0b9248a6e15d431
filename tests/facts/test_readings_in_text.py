"""Tests for facts/readings_in_text.py (stop24, emergency physician round er29): a heart rate,
breathing rate or SpO2 written in free text after its own lead words is a reading of its value
set, the emergency sign at the rules' threshold (a site's included) and nothing below it;
advice and goals are never a reading; a reading dated before now, a bound, a range crossing
at one end only and an impossible number are data-check items, never the emergency card."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.facts.measures_in_text import IN_DOUBT, RANGE, UNREADABLE
from cds.facts.readings_in_text import readings_in_text
from tests.facts.test_observation_text import CTX, row
from tests.facts.test_observation_text_obs22 import D, E, topics

HPI = "History of present illness"
HR_HIGH, HR_LOW, SPO2_LOW, RR_HIGH, RR_LOW = 131, 40, 91, 25, 8  # the pack's defaults
HR_LEADS = ["HR", "HR:", "HR of", "heart rate", "Heart rate", "pulse", "Pulse", "pulse rate"]
SPO2_LEADS = ["SpO2", "SPO2", "spo2", "O2 sat", "O2 sats", "sats", "pulse ox", "SaO2"]
RR_LEADS = ["RR", "resp rate", "respirations", "Resp", "breathing rate"]
BEFORE = ["", "LBP x3d.", "Pt c/o low back pain;", "Vitals: BP 130/80", "Seen for LBP,"]
AFTER = ["", ", pt anxious.", " on RA", " at rest.", ", in pain"]
ADVICE = ["Call if {} > {}", "Return for {} over {}", "goal {} < {}", "keep {} > {}"]
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(text: str) -> list[tuple[str, float, str | None]]:
    return [(m.valueset, m.value, m.bound) for m in readings_in_text(text, CTX)]


@SLOW
@given(
    rate=st.integers(HR_HIGH, 250),
    lead=st.sampled_from(HR_LEADS),
    before=st.sampled_from(BEFORE),
    after=st.sampled_from(AFTER),
)
def test_any_heart_rate_at_the_threshold_with_a_lead_word_is_the_sign(
    rate: int, lead: str, before: str, after: str
) -> None:
    text = f"{before} {lead} {rate}{after}"
    assert _read(text) == [("heart_rate_obs", rate, None)], text
    assert topics(row(HPI, text)) == {E}, text


@SLOW
@given(
    rate=st.integers(HR_LOW + 1, HR_HIGH - 1),
    lead=st.sampled_from(HR_LEADS),
    before=st.sampled_from(BEFORE),
    after=st.sampled_from(AFTER),
)
def test_a_heart_rate_below_the_threshold_is_never_a_card(
    rate: int, lead: str, before: str, after: str
) -> None:
    text = f"{before} {lead} {rate}{after}"
    assert topics(row(HPI, text)) == set(), text


@SLOW
@given(spo2=st.integers(50, 100), lead=st.sampled_from(SPO2_LEADS), after=st.sampled_from(AFTER))
def test_an_spo2_is_the_sign_exactly_at_or_below_the_threshold(
    spo2: int, lead: str, after: str
) -> None:
    text = f"LBP. {lead} {spo2}%{after}"
    assert topics(row(HPI, text)) == ({E} if spo2 <= SPO2_LOW else set()), text


@SLOW
@given(rate=st.integers(0, 60), lead=st.sampled_from(RR_LEADS))
def test_a_breathing_rate_is_the_sign_outside_its_thresholds(rate: int, lead: str) -> None:
    text = f"LBP. {lead} {rate}, speaking in full sentences"
    sign = rate >= RR_HIGH or rate <= RR_LOW
    assert topics(row(HPI, text)) == ({E} if sign else set()), text


@SLOW
@given(
    advice=st.sampled_from(ADVICE),
    lead=st.sampled_from(["HR", "heart rate", "SpO2", "RR"]),
    number=st.integers(20, 200),
)
def test_advice_and_goals_are_never_a_reading(advice: str, lead: str, number: int) -> None:
    text = advice.format(lead, number)
    assert _read(text) == [], text
    assert topics(row(HPI, text)) == set(), text


def test_a_site_threshold_moves_the_sign() -> None:
    text = "LBP. HR 125, anxious"
    assert topics(row(HPI, text)) == set()
    assert topics(row(HPI, text), site={"heart_rate_high": 120}) == {E}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HR 136 yesterday, now 88", {D}),  # every reading counts: yesterday's in doubt
        ("HR 140s on arrival, now 90s", {E}),  # every reading counts (er32)
        ("HR 136, improved to 98 with fluids", {E}),
        ("HR 96, now 136", {E}),
        ("HR 136 yesterday", {D}),
        ("HR 136 on arrival", {E}),  # stop 25: a reading of this visit (was {D})
        ("HR 140 last week", set()),
        ("HR 120-140", {E}),
        ("SpO2 88-92%", {E}),
        ("HR 135-150", {E}),
        ("HR 100-120", set()),
        ("HR 130s", {D}),
        ("HR in the 140s", {E}),
        ("HR > 140", {D}),
        ("HR ~140", {D}),
        ("HR 400", {D}),
        ("SpO2 94% on 2L", set()),
        ("SpO2 89% on 2L NC", {E}),
        ("BP 130/80 HR 136 RR 16 T 36.8 SpO2 98%", {E}),
        ("BP 130/80 HR 88 RR 16 T 36.8 SpO2 98%", set()),
        ("BP 130/80", set()),
        ("P 138", set()),
        ("DP pulse 2+ bilaterally", set()),
        ("LBP x 48 hr, pain 10/10", set()),
        ("mother's HR 140", set()),
        ("PMH: SVT with HR 180s", {D}),
        ("denies HR > 100", set()),
        ("Temp 36.5-37.2 over shift", set()),
    ],
)
def test_readings_in_words(text: str, expected: set[str]) -> None:
    assert topics(row(HPI, text)) == expected, text


def test_what_each_reading_is_marked() -> None:
    assert _read("HR 120-140") == [("heart_rate_obs", 120, f"{RANGE}140")]
    assert _read("HR 136 yesterday") == [("heart_rate_obs", 136, IN_DOUBT)]
    assert _read("HR > 140") == [("heart_rate_obs", 140, IN_DOUBT + ">")]
    assert _read("HR 400") == [("heart_rate_obs", 400, UNREADABLE)]
    assert _read("SpO2 0.89") == [("oxygen_saturation_obs", pytest.approx(89), None)]


def test_an_unverified_note_is_a_data_check_item_never_the_sign() -> None:
    assert topics(row(HPI, "HR 150, anxious", status="preliminary")) == {D}
    assert topics(row(HPI, "HR 135-150", status="preliminary")) == {D}
