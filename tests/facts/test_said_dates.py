"""Tests for facts/said_dates.py: the date a fever row's words give its reading ("38.9 2 days
ago", "Tmax 38.9 on 11/25"), placed by the record's own time, and what it makes of the row's
fact (dated then; the rules' window decides) at a fixed evaluation time (2026-11-26)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.facts.extract import FactContext, extract_facts
from cds.facts.said_dates import UNPLACED, SaidDate, _day, date_in_words, dated_timing
from cds.pack.load import load_pack

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
PACK = load_pack()
CTX = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=UTC)


@given(
    n=st.integers(min_value=0, max_value=999),
    unit=st.sampled_from(["h", "hr", "hrs", "hour", "hours", "d", "day", "days"]),
    gap=st.sampled_from(["", " "]),
    before=st.sampled_from(["", " at home", ", Tmax"]),
)
def test_a_span_ago_is_its_hours_and_leaves_no_number(
    n: int, unit: str, gap: str, before: str
) -> None:
    said, rest = date_in_words(f"{before} {n}{gap}{unit} ago")
    assert said is not None and said is not UNPLACED
    assert said.ago_h == n * (1 if unit.startswith("h") else 24)
    assert not any(c.isdigit() for c in rest)  # nothing left to put the number in doubt


@given(month=st.integers(1, 12), day=st.integers(1, 31), year=st.sampled_from(["", "/26", "/2026"]))
def test_a_day_is_read_month_first(month: int, day: int, year: str) -> None:
    said, rest = date_in_words(f" on {month}/{day}{year}")
    assert said is not None and (said.month, said.day) == (month, day)
    assert said.year == (2026 if year else None) and not rest.strip()


@given(written=st.dates(date(2001, 1, 1), date(2098, 12, 31)), said=st.dates(), year=st.booleans())
def test_a_day_is_never_after_the_record_nor_more_than_a_year_before_it(
    written: date, said: date, year: bool
) -> None:
    placed = _day(
        SaidDate(month=said.month, day=said.day, year=said.year if year else None), written
    )
    if placed is None:
        return
    assert placed <= written
    if not year:
        assert (written - placed).days < 366
    else:
        assert placed == said


@pytest.mark.parametrize(
    "words",
    [" on 11/25, 2 days ago", " 2 days ago, 3 hours ago", " on 11/25 or 11/24"],
)
def test_two_dates_cannot_be_placed(words: str) -> None:
    assert date_in_words(words)[0] is UNPLACED


@pytest.mark.parametrize("words", [" at home", " today", " 10 days", " 3 weeks ago", " 12/5/1"])
def test_no_date_here(words: str) -> None:
    assert date_in_words(words) == (None, words)


@given(ago=st.floats(0, 10_000), age=st.floats(0, 10_000))
def test_a_span_moves_the_fact_back_by_it(ago: float, age: float) -> None:
    placed = dated_timing(SaidDate(ago_h=ago, words="x"), (None, age, True, None), CTX)
    assert placed is not None and placed[1] == age + ago and placed[2]


def _row(value: str, effective: str = "2026-11-26T07:00:00Z") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "row",
        "status": "final",
        "code": {"text": "Fever"},
        "effectiveDateTime": effective,
        "valueString": value,
    }


def _read(value: str, effective: str = "2026-11-26T07:00:00Z") -> tuple[list[Any], list[str]]:
    out = extract_facts([_row(value, effective)], (), CTX)
    fevers = [f for f in out.facts if f.valueset == "fever_condition" and f.kind == "condition"]
    return fevers, [i.headline or i.message for i in out.issues]


@pytest.mark.parametrize(
    ("value", "time", "age_h"),
    [
        ("Tmax 38.9 on 11/25", "2026-11-25", 10.0),  # yesterday, read as its last moment
        ("38.9 on 11/25/2026", "2026-11-25", 10.0),
        ("38.9 on 11/25/26", "2026-11-25", 10.0),
        ("38.9 on 10/1", "2026-10-01", 55 * 24 + 10.0),  # out of the fever window: the rules'
        ("38.9 on 12/30", "2025-12-30", 330 * 24 + 10.0),  # last year's: months ahead this year
        ("38.9 2 days ago", "2026-11-24T07:00:00+00:00", 51.0),
        ("38.9 5 hours ago", "2026-11-26T02:00:00+00:00", 8.0),
    ],
)
def test_a_dated_reading_is_the_fever_reported_then(value: str, time: str, age_h: float) -> None:
    fevers, issues = _read(value)
    assert issues == []
    assert [(f.time, f.age_h) for f in fevers] == [(time, age_h)]
    assert "dated by its own words" in (fevers[0].note or "")


@pytest.mark.parametrize(
    "value",
    ["38.9 on 11/27", "38.9 on 11/27/2026", "38.9 on 2/30", "38.9 on 13/40", "38.9 on 1/1/2027"],
)
def test_a_day_that_cannot_be_placed_is_a_data_check(value: str) -> None:
    fevers, issues = _read(value)
    assert fevers == [] and issues == [f"“Fever: {value}”: answer not understood"]


def test_a_day_is_placed_by_the_record_not_the_evaluation() -> None:
    """A record written on 2025-12-31 saying "on 12/30" means the day before it, not a
    day of the evaluation's year."""
    fevers, _ = _read("38.9 on 12/30", "2025-12-31T07:00:00Z")
    assert [f.time for f in fevers] == ["2025-12-30"]
    assert fevers[0].age_h == pytest.approx(
        (NOW - datetime(2025, 12, 31, tzinfo=UTC)) / timedelta(hours=1)
    )


def test_leg_weakness_since_an_event_of_a_past_year_only() -> None:
    """ "since CVA 2015" is an old deficit; "since CVA 2026" in 2026 may be this year's."""
    for text, kept in (
        ("Known L leg weakness since CVA 2015", False),
        ("Known L leg weakness\nsince CVA 2015", False),
        ("L leg weakness since CVA 2026", True),
        ("L leg weakness since CVA 2015, new today", True),
    ):
        cond = {
            "resourceType": "Condition",
            "id": "c",
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"text": text},
            "onsetDateTime": "2026-11-23T10:00:00Z",
        }
        out = extract_facts([cond], (), CTX)
        assert any(f.valueset == "leg_weakness" for f in out.facts) is kept, text
