"""Properties of a range of measured readings in words (brief ranges24, emergency physician
round er30): every reading counts, so the end in the sign's direction decides. A range whose
worst end crosses a threshold is the sign (a fast heart rate's high end, a low SpO2's or a
slow heart rate's low end, a fever's high end, in an HPI or a "Fever" row); one wholly on the
safe side is nothing; a hedged one is a data-check item, never the sign."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.facts.readings_in_text import readings_in_text
from tests.facts.test_observation_text import CTX, row
from tests.facts.test_observation_text_obs22 import D, E, U, topics

HPI = "History of present illness"
HR_HIGH, HR_LOW, SPO2_LOW, FEVER_C = 131, 40, 91, 38.0  # the pack's defaults
WATCHED = ["", " on monitor", " ranged", " on monitor overnight", " over shift"]
HEDGES = ["maybe ", "~", "approx "]
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DI = {"discharge-instructions"}


def _hpi(text: str) -> set[str]:
    return topics(row(HPI, text)) - DI


def _range(lead: str, low: float, high: float, watched: str) -> str:
    if watched == " ranged":
        return f"{lead} ranged {low:g}-{high:g}."
    return f"{lead} {low:g}-{high:g}{watched}."


@SLOW
@given(low=st.integers(60, 130), high=st.integers(HR_HIGH, 200), w=st.sampled_from(WATCHED))
def test_a_heart_rate_range_whose_high_end_crosses_is_the_sign(low: int, high: int, w: str) -> None:
    assert _hpi(_range("HR", low, high, w)) == {E}


@SLOW
@given(low=st.integers(20, HR_LOW), high=st.integers(HR_LOW + 1, 90), w=st.sampled_from(WATCHED))
def test_a_heart_rate_range_whose_low_end_crosses_is_the_sign(low: int, high: int, w: str) -> None:
    assert _hpi(_range("HR", low, high, w)) == {E}


@SLOW
@given(low=st.integers(70, SPO2_LOW), high=st.integers(SPO2_LOW + 1, 100))
def test_an_spo2_range_whose_low_end_crosses_is_the_sign(low: int, high: int) -> None:
    assert _hpi(f"SpO2 {low}-{high}% on RA.") == {E}


@SLOW
@given(
    low=st.integers(HR_LOW + 1, HR_HIGH - 2),
    span=st.integers(1, 40),
    w=st.sampled_from(WATCHED),
)
def test_a_heart_rate_range_wholly_safe_is_nothing(low: int, span: int, w: str) -> None:
    high = min(low + span, HR_HIGH - 1)
    if high > low:
        assert _hpi(_range("HR", low, high, w)) == set()


@SLOW
@given(low=st.integers(SPO2_LOW + 1, 98), span=st.integers(1, 5))
def test_an_spo2_range_wholly_safe_is_nothing(low: int, span: int) -> None:
    assert _hpi(f"SpO2 {low}-{min(low + span, 100)}% on RA.") == set()


@SLOW
@given(
    low=st.integers(350, 379).map(lambda t: t / 10),
    high=st.integers(380, 405).map(lambda t: t / 10),
    where=st.sampled_from(["hpi", "row"]),
)
def test_a_temperature_range_whose_high_end_is_a_fever_is_the_sign(
    low: float, high: float, where: str
) -> None:
    said = topics(row("Fever", f"{low:g}-{high:g}")) if where == "row" else None
    got = said if said is not None else topics(row(HPI, f"Temp {low:g}-{high:g} overnight."))
    assert got - DI == {U}


@SLOW
@given(low=st.integers(355, 370).map(lambda t: t / 10), span=st.integers(1, 9))
def test_a_temperature_range_wholly_below_a_fever_is_nothing(low: float, span: int) -> None:
    high = min(round(low + span / 10, 1), FEVER_C - 0.1)
    if high > low:
        assert _hpi(f"Temp {low:g}-{high:g} overnight.") == set()
        assert topics(row("Fever", f"{low:g}-{high:g}")) - DI == set()


@SLOW
@given(
    low=st.integers(100, 130),
    high=st.integers(HR_HIGH, 180),
    hedge=st.sampled_from(HEDGES),
)
def test_a_hedged_heart_rate_range_is_a_data_check_never_the_sign(
    low: int, high: int, hedge: str
) -> None:
    assert _hpi(f"HR {hedge}{low}-{high}") == {D}


@SLOW
@given(low=st.integers(370, 379).map(lambda t: t / 10), high=st.integers(380, 400))
def test_a_hedged_temperature_range_is_a_data_check_never_the_sign(low: float, high: int) -> None:
    assert _hpi(f"Temp ~{low:g}-{high / 10:g}") == {D}
    assert topics(row("Fever", f"~{low:g}-{high / 10:g}")) - DI == {D}


def test_a_range_is_read_with_both_its_ends() -> None:
    (said,) = readings_in_text("HR ranged 120-140 on monitor.", CTX)
    assert (said.value, said.bound) == (120, "?~140")


def test_a_fever_named_after_the_words_that_say_it_is_over_stays_urgent() -> None:
    assert _hpi("afebrile since arrival, fever 39 at home this AM") == {U}
    assert _hpi("Fever 38.5 on 11/20, afebrile since, fever again tonight") == {U}
    assert _hpi("Fever 38.5 on 11/20.") == {U}
    assert topics(row("Fever", "Tmax 38.9, afebrile since")) - DI == {D}  # undated: when?
