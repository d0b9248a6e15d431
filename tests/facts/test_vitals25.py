"""stop25 (emergency physicians): vital signs in words that were misread, with no coded vitals.

A reading at this visit's start ("on arrival", "in triage") or at a time of day is current,
the sign at the threshold, and so is every reading after it: a later normal one hides no
earlier one that crossed (every reading counts, as every coded one does: er32); each number
of a trend counts; a saturation may follow how it was taken ("SpO2 on 2L 88%"); a
temperature dated by a span is the fever reported then, the rules' 14-day window deciding; a
fever reported "at home" after a normal reading counts; "febrile to" and a number is the
number's to decide. Advice and goals stay no reading whatever these words add."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.facts.extract import extract_facts
from cds.facts.measures_in_text import measures_in_text
from cds.facts.readings_in_text import readings_in_text
from cds.facts.said_dates import clock_in_words
from tests.facts.test_observation_text import CTX, NOW, row
from tests.facts.test_observation_text_obs22 import D, E, U, topics

HPI = "History of present illness"
HR_HIGH, HR_LOW, SPO2_LOW, FEVER = 131, 40, 91, 38.0  # the pack's defaults
VISIT = [" on arrival", " in triage", " at triage", " in the ED", " on presentation"]
CLOCK = [" at 14:00", " @ 0930", " @0930", " at 2 pm", " at 1400"]
LATER = [" at discharge", " on recheck", " on repeat", " now"]
SETTING = ["on 2L", "on RA", "on room air", "on 4 L NC", "on 2L NC", "on NRB", "on 3 LPM"]
FAST = settings(max_examples=60, deadline=None)
SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _hr(text: str) -> list[tuple[float, str | None]]:
    return [(m.value, m.bound) for m in readings_in_text(text, CTX)]


def _fast_or_slow(rate: int) -> bool:
    return rate >= HR_HIGH or rate <= HR_LOW


@FAST
@given(rate=st.integers(HR_LOW + 1, 250), when=st.sampled_from(VISIT + CLOCK))
def test_a_reading_of_this_visit_alone_is_current(rate: int, when: str) -> None:
    assert _hr(f"LBP. HR {rate}{when}, anxious") == [(rate, None)]


@SLOW
@given(rate=st.integers(HR_HIGH, 220), when=st.sampled_from(VISIT + CLOCK))
def test_a_fast_heart_rate_of_this_visit_is_the_emergency(rate: int, when: str) -> None:
    assert topics(row(HPI, f"HR {rate}{when}")) == {E}


@FAST
@given(
    first=st.integers(HR_HIGH, 220),
    then=st.integers(HR_LOW + 1, HR_HIGH - 1),
    when=st.sampled_from(VISIT),
    later=st.sampled_from(LATER),
)
def test_a_later_normal_reading_hides_no_earlier_one(
    first: int, then: int, when: str, later: str
) -> None:
    """'HR 136 on arrival, 92 at discharge': both were seen, the first is the emergency."""
    text = f"HR {first}{when}, {then}{later}"
    assert _hr(text) == [(first, None), (then, None)]
    assert topics(row(HPI, text)) == {E}, text


@FAST
@given(first=st.integers(HR_HIGH, 220), then=st.integers(60, 120), when=st.sampled_from(VISIT))
def test_beside_another_reading_it_still_counts(first: int, then: int, when: str) -> None:
    """'HR 136 on arrival, 92' or '... Repeat HR 92': the first was seen this visit."""
    for text in (f"HR {first}{when}, {then}", f"HR {first}{when}. Repeat HR {then}."):
        assert (first, None) in _hr(text), text


@FAST
@given(
    a=st.integers(30, 230),
    b=st.integers(30, 230),
    arrow=st.sampled_from(["->", " -> ", "→", " --> ", " => "]),
)
def test_each_number_of_a_trend_is_read(a: int, b: int, arrow: str) -> None:
    assert _hr(f"HR {a}{arrow}{b}") == [(a, None), (b, None)]


@SLOW
@given(a=st.integers(60, 200), b=st.integers(41, 200))
def test_a_trend_is_the_emergency_when_any_number_crosses(a: int, b: int) -> None:
    fast_or_slow = _fast_or_slow(a) or _fast_or_slow(b)
    assert topics(row(HPI, f"HR {a} -> {b}")) == ({E} if fast_or_slow else set())


@SLOW
@given(
    spo2=st.integers(70, 100),
    setting=st.sampled_from(SETTING),
    lead=st.sampled_from(["SpO2", "sats", "O2 sat"]),
)
def test_a_saturation_after_how_it_was_taken_is_read(spo2: int, setting: str, lead: str) -> None:
    text = f"{lead} {setting} {spo2}%"
    assert [(m.value, m.bound) for m in readings_in_text(text, CTX)] == [(spo2, None)]
    assert topics(row(HPI, text)) == ({E} if spo2 <= SPO2_LOW else set()), text


@FAST
@given(spo2=st.integers(70, 100), setting=st.sampled_from(SETTING))
def test_a_saturation_goal_after_how_it_is_given_stays_no_reading(spo2: int, setting: str) -> None:
    for text in (f"Keep SpO2 {setting} > {spo2}%", f"goal sats {setting} {spo2}%"):
        assert readings_in_text(text, CTX) == (), text


def tenths(low: float, high: float) -> st.SearchStrategy[float]:
    return st.integers(round(low * 10), round(high * 10)).map(lambda n: n / 10)


@SLOW
@given(celsius=tenths(35.5, 41.5), days=st.sampled_from([1, 2, 3, 5, 10, 12, 16, 20, 30]))
def test_a_temperature_dated_by_a_span_is_the_fever_then(celsius: float, days: int) -> None:
    text = f"LBP x3d. T {celsius} {days} days ago."
    fever = celsius >= FEVER and days <= 12  # the fever-reported window: 14 days
    assert topics(row(HPI, text)) == ({U} if fever else set()), text


@SLOW
@given(celsius=tenths(35.5, 41.5), when=st.sampled_from(CLOCK))
def test_a_temperature_at_a_time_of_day_is_current(celsius: float, when: str) -> None:
    text = f"T {celsius}{when}"
    assert [(m.value, m.bound) for m in measures_in_text(text, (), CTX)] == [(celsius, None)]
    assert topics(row(HPI, text)) == ({U} if celsius >= FEVER else set()), text


@SLOW
@given(first=tenths(36.0, 37.5), home=st.integers(97, 104))
def test_a_fever_reported_at_home_after_a_normal_reading_counts(first: float, home: int) -> None:
    text = f"T {first}, {home} at home"
    fever = (home - 32) / 1.8 >= FEVER
    assert topics(row(HPI, text)) == ({U} if fever else set()), text


@SLOW
@given(number=st.one_of(tenths(36.0, 41.0), st.integers(97, 105).map(float)))
def test_febrile_to_a_number_is_the_number_s_to_decide(number: float) -> None:
    celsius = number if number < 50 else (number - 32) / 1.8
    text = f"Febrile to {number:g} in triage."
    assert topics(row(HPI, text)) == ({U} if celsius >= FEVER - 1e-9 else set()), text


@FAST
@given(
    rate=st.integers(41, 250),
    before=st.sampled_from(["T 37.1 ", "BP 124/78 ", "Vitals: T 98.6 ", ""]),
    after=st.sampled_from([" R 18", " RR 22 BP 130/80", ", R 18", " bpm RR 20", " T 37"]),
)
def test_p_in_a_vital_signs_line_is_a_pulse(rate: int, before: str, after: str) -> None:
    text = f"{before}P {rate}{after}"
    assert [v for vs, v, _ in _all(text) if vs == "heart_rate_obs"] == [rate], text


@FAST
@given(
    rate=st.integers(41, 250),
    after=st.sampled_from(["", ".", " mg", " R 2", " pain", " in the plan", " 2L"]),
)
def test_p_outside_a_vital_signs_line_stays_unread(rate: int, after: str) -> None:
    text = f"Pt c/o LBP. P {rate}{after}"
    assert [v for vs, v, _ in _all(text) if vs == "heart_rate_obs"] == [], text


def _all(text: str) -> list[tuple[str, float, str | None]]:
    return [(m.valueset, m.value, m.bound) for m in readings_in_text(text, CTX)]


@FAST
@given(hour=st.integers(0, 23), minute=st.integers(0, 59), colon=st.booleans())
def test_a_clock_time_is_read_as_minutes(hour: int, minute: int, colon: bool) -> None:
    said = f" at {hour:02d}{':' if colon else ''}{minute:02d}"
    assert clock_in_words(said)[0] == hour * 60 + minute


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HR 136 on arrival", {E}),
        ("SpO2 88% on arrival", {E}),
        ("HR 136 on arrival, 92 at discharge", {E}),  # every reading counts (er32)
        ("HR 136 on arrival, now 92", {E}),
        ("HR 92 on arrival, 136 now", {E}),
        ("HR 136 in triage, 92", {E}),
        ("HR 92. HR 136 on arrival.", {E}),
        ("HR 136 @ 0930, 92 @ 1100", {E}),
        ("HR 92 @ 0930, 136 @ 1100", {E}),
        ("HR 136 @ 1100, 92 @ 0930", {E}),
        ("HR 136 at home", {D}),
        ("HR 136 2 days ago", {D}),
        ("HR 136 -> 98 -> 140", {E}),
        ("SpO2 88% -> 95% on 2L", {E}),
        ("HR 88 now (was 142 on arrival)", {E}),
        ("In triage HR 134; on reassessment HR 90.", {E}),
        ("HR 98 -> 136 after ambulating to the bathroom", {E}),
        ("HR 136 yesterday, now 88", {D}),
        ("HR 88 (was 142 yesterday)", {D}),
        ("T 38.9 two days ago", {U}),
        ("T 38.9 HR 88 BP 80/50", {U}),  # a blood pressure is no date ("80/50")
        ("T 38.9 two days ago HR 88 BP 90/60", {U}),
        ("T 38.9 on 13/40", {D}),
        ("T 39.2 -> 37.5", {U}),
        ("T 37.0 -> 37.5", set()),
        ("T 37.0, 101.2 at home last week", set()),
        ("febrile to 37.5", set()),
        ("febrile to ?38", {D}),
        ("febrile overnight", {U}),
        ("call if HR > 120 on arrival", set()),
        ("P 88", set()),
        ("P 138", set()),  # alone: a plan, a pain score, a page as often as a pulse
        ("Plan: P 138 R 2", set()),
        ("A/P 138 RR 16", set()),
        ("T 37.1 P 138 R 18 BP 124/78", {E}),
        ("BP 124/78, P 138, R 18, T 98.6", {E}),
        ("T 36.9 P 88 BP 128/76", set()),
    ],
)
def test_vitals_in_words(text: str, expected: set[str]) -> None:
    assert topics(row(HPI, text)) == expected, text


def test_a_problem_s_temperature_is_dated_by_its_words() -> None:
    """A Condition's words "LBP, T 38.9 2 days ago": the fever fact dated 2 days before the
    problem was recorded, as a coded one then would be."""
    cond = {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": "LBP, T 38.9 2 days ago"},
        "recordedDate": "2026-11-26T06:00:00Z",
    }
    facts = extract_facts([cond], (), CTX).facts
    (fever,) = [f for f in facts if f.valueset == "fever_condition"]
    assert fever.value == pytest.approx(38.9)
    assert fever.age_h == pytest.approx((NOW.hour - 6) + 48)
    assert fever.note is not None and "2 days ago" in fever.note
