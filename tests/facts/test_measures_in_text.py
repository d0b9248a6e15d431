"""stop24: a temperature written in free text ("HPI: LBP x3d. Tmax 101.5 at home") after a
word naming it is the fever sign at the rules' threshold, nothing below it, in the past or
under a denial or advice with a comparator, and a data-check item when in doubt."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.facts.measures_in_text import IN_DOUBT, measures_in_text
from tests.facts.test_observation_text import CTX, D, U, row
from tests.facts.test_observation_text_obs22 import topics

HPI = "History of present illness"
THRESHOLD = 38.0  # the pack's default fever_celsius
NUMBER_LEADS = [
    "T",
    "Temp",
    "temp",
    "Temperature",
    "Tmax",
    "T max",
    "Tmax of",
    "temp of",
    "febrile to",
]
LEADS = NUMBER_LEADS
"""'febrile' says a fever by itself, but 'febrile to' and a number is the number's to decide
(stop 25: 'febrile to 37.5' is no fever), so it is tried below the threshold and in the past
as every other lead is."""
NOW_WORDS = ["", " today", " this AM", " at home", " in triage", " on arrival", " yesterday"]
PAST_WORDS = [" last week", " 2 weeks ago", " a month ago", " previously"]
FILLER = ["LBP x3d.", "Back spasm since Sunday.", "Pt c/o low back pain;", "Seen for LBP,"]


def _read(text: str) -> list[tuple[float, str, str | None]]:
    return [(m.value, m.unit, m.bound) for m in measures_in_text(text, (), CTX)]


def tenths(low: float, high: float) -> st.SearchStrategy[float]:
    return st.integers(round(low * 10), round(high * 10)).map(lambda n: n / 10)


SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SLOW
@given(
    celsius=tenths(THRESHOLD, 42.9),
    lead=st.sampled_from(LEADS),
    when=st.sampled_from(NOW_WORDS),
    before=st.sampled_from(FILLER),
)
def test_any_celsius_fever_with_a_lead_word_is_the_urgent_sign(
    celsius: float, lead: str, when: str, before: str
) -> None:
    text = f"{before} {lead} {celsius:.1f}{when}"
    assert topics(row(HPI, text)) == {U}, text


@SLOW
@given(
    celsius=tenths(32.0, THRESHOLD - 0.1),
    lead=st.sampled_from(NUMBER_LEADS),
    when=st.sampled_from(NOW_WORDS),
    before=st.sampled_from(FILLER),
)
def test_below_the_threshold_is_never_a_card(
    celsius: float, lead: str, when: str, before: str
) -> None:
    text = f"{before} {lead} {celsius:.1f}{when}"
    assert topics(row(HPI, text)) == set(), text


@SLOW
@given(
    celsius=tenths(THRESHOLD, 42.9),
    lead=st.sampled_from(NUMBER_LEADS),
    past=st.sampled_from(PAST_WORDS),
)
def test_a_fever_its_words_date_in_the_past_is_nothing(
    celsius: float, lead: str, past: str
) -> None:
    text = f"LBP. {lead} {celsius:.1f}{past}"
    assert topics(row(HPI, text)) == set(), text


@given(
    fahrenheit=tenths(90.0, 110.0),
    spelling=st.sampled_from(["{}F", "{} F", "{}°F", "{} °F", "{} deg F", "{} degrees F", "{}"]),
)
def test_fahrenheit_spellings_convert_alike(fahrenheit: float, spelling: str) -> None:
    """101.5 read bare is °F by the pack's unit_by_range, as with any spelling of °F."""
    (read,) = _read("T " + spelling.format(f"{fahrenheit:.1f}"))
    assert read[0] == pytest.approx((fahrenheit - 32) * 5 / 9, abs=1e-3)
    assert read[1:] == ("Cel", None)


@given(
    celsius=tenths(32.0, 43.0),
    spelling=st.sampled_from(["{}C", "{} C", "{}°C", "{} °C", "{} deg C", "{}"]),
)
def test_celsius_spellings_read_alike(celsius: float, spelling: str) -> None:
    (read,) = _read("temp " + spelling.format(f"{celsius:.1f}"))
    assert read == (pytest.approx(celsius), "Cel", None)


@pytest.mark.parametrize(
    "text",
    [
        "LBP, no temps > 38",
        "denies T > 100.4",
        "Call if temp > 100.4",
        "Return for temp over 38",
        "fever defined as T ≥ 38",
        "call if temp 100.4 or higher",
        "Old T12 compression fracture",
        "oxycodone max 40 mg daily",
        "Tmax 39 last week",
        "L4-5 disc. Pain 7/10.",
    ],
)
def test_thresholds_advice_vertebrae_and_doses_are_no_reading(text: str) -> None:
    assert _read(text) == []
    assert topics(row(HPI, text)) == set()


@pytest.mark.parametrize(
    "text", ["T ?38.5", "T ~38.5", "T 38.9C (101F)", "T 3.9", "T 389", "Tmax >39 at home"]
)
def test_a_number_in_doubt_is_a_data_check_item_never_the_sign(text: str) -> None:
    (read,) = _read(text)
    assert read[2] is not None and read[2].startswith(IN_DOUBT)
    assert topics(row(HPI, f"LBP x3d. {text}")) == {D}


def test_a_vital_signs_line_is_read_at_its_temperature_only() -> None:
    assert _read("BP 120/80 HR 131 RR 16 T 36.8 SpO2 98%") == [(36.8, "Cel", None)]
    assert topics(row(HPI, "BP 120/80 HR 88 RR 16 T 36.8 SpO2 98%")) == set()


def test_a_site_threshold_moves_the_sign() -> None:
    text = "LBP x3d. T 38.4 in triage"
    assert topics(row(HPI, text)) == {U}
    assert topics(row(HPI, text), site={"fever_celsius": 38.5}) == set()


def test_a_doubt_below_the_threshold_says_nothing() -> None:
    assert topics(row(HPI, "LBP x3d. T ?36.5")) == set()
