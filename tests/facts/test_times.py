"""Tests for facts/times.py: FHIR dates and times as feeds send them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.facts.times import (
    age_in_years,
    epoch_microseconds,
    first_moment_us,
    hours_between,
    hours_from,
    parse_datetime,
    read_time,
    utc,
)

TZ = timezone(timedelta(hours=4))


@pytest.mark.parametrize(
    "raw, expected, noted",
    [
        ("2026-11-26T08:30:00+04:00", datetime(2026, 11, 26, 8, 30, tzinfo=TZ), False),
        ("2026-11-26T04:30:00Z", datetime(2026, 11, 26, 4, 30, tzinfo=UTC), False),
        ("2026-11-26T04:30:00.123Z", datetime(2026, 11, 26, 4, 30, 0, 123000, tzinfo=UTC), False),
        ("2026-11-26", datetime(2026, 11, 26, 23, 59, 59, tzinfo=TZ), False),
        ("2026-11", datetime(2026, 11, 30, 23, 59, 59, tzinfo=TZ), True),
        ("2024-02", datetime(2024, 2, 29, 23, 59, 59, tzinfo=TZ), True),
        ("2026", datetime(2026, 12, 31, 23, 59, 59, tzinfo=TZ), True),
        ("  2026-11-26T08:30:00+04:00 ", datetime(2026, 11, 26, 8, 30, tzinfo=TZ), False),
        ("2026-11-26T08:30:00", datetime(2026, 11, 26, 8, 30, tzinfo=TZ), True),  # no zone
    ],
)
def test_read_time(raw: str, expected: datetime, noted: bool) -> None:
    read = read_time(raw, TZ)
    assert read is not None and read.at == expected and read.at.tzinfo is not None
    assert (read.note is not None) is noted


def test_partial_dates_are_the_last_moment_they_can_mean() -> None:
    month = read_time("2026-11", TZ)
    assert month is not None and month.note == "date given only as 2026-11"
    day = read_time("2026-11-30", TZ)
    assert day is not None and month.at == day.at


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "  ",
        "yesterday",
        "2026-13",
        "2026-02-30",
        "26/11/2026",
        "2026-11-26T25:00",
        12,
        2026.5,
        ["2026"],
        {"start": "2026"},
        True,
    ],
)
def test_unreadable_times_are_none(raw: object) -> None:
    assert read_time(raw, TZ) is None


@given(st.text(max_size=40))
def test_read_time_never_raises(raw: str) -> None:
    read = read_time(raw, TZ)
    assert read is None or read.at.tzinfo is not None


@given(st.datetimes(timezones=st.sampled_from([UTC, TZ, timezone(timedelta(hours=-10))])))
def test_iso_round_trip(moment: datetime) -> None:
    read = read_time(moment.isoformat(), TZ)
    assert read is not None and read.at == moment and read.note is None


def test_hours_between_rounds_to_hundredths_across_zones() -> None:
    earlier = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    later = datetime(2026, 11, 26, 12, 0, 36, tzinfo=TZ)
    assert hours_between(earlier, later) == 4.01
    assert hours_between(later, earlier) == -4.01
    assert utc(later) == datetime(2026, 11, 26, 8, 0, 36, tzinfo=UTC)


@pytest.mark.parametrize(
    "birth, on, years",
    [
        (date(1970, 6, 15), date(2026, 6, 14), 55),
        (date(1970, 6, 15), date(2026, 6, 15), 56),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
    ],
)
def test_age_in_years(birth: date, on: date, years: int) -> None:
    assert age_in_years(birth, on) == years


ZONES = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
)


@given(MOMENTS, MOMENTS)
def test_hours_from_epoch_microseconds_is_hours_between(a: datetime, b: datetime) -> None:
    """The extractor subtracts exact epoch microseconds instead of datetimes: the same
    microsecond count, so the same float, at any instant in any zone."""
    assert epoch_microseconds(a) == (a - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(
        microseconds=1
    )
    assert hours_from(epoch_microseconds(a), epoch_microseconds(b)) == hours_between(a, b)


@pytest.mark.parametrize(
    "text, first",
    [
        ("2026-11-26", datetime(2026, 11, 26, tzinfo=UTC)),
        ("2026-11", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-11-26T10:00:00Z", datetime(2026, 11, 26, 10, tzinfo=UTC)),
        ("2026-11-26T10:00:00", datetime(2026, 11, 26, 10, tzinfo=UTC)),
    ],
)
def test_first_moment_of_a_date_or_time(text: str, first: datetime) -> None:
    assert first_moment_us(text, UTC) == epoch_microseconds(first)


@pytest.mark.parametrize("junk", ["2026-13", "soon", 5, None])
def test_first_moment_of_junk_is_none(junk: object) -> None:
    assert first_moment_us(junk, UTC) is None


def test_zone_less_time_is_read_in_the_given_zone() -> None:
    site = timezone(timedelta(hours=-5))
    read = read_time("2026-11-26T08:00:00", site)
    assert read is not None and read.at.utcoffset() == timedelta(hours=-5)
    assert read.epoch_us == epoch_microseconds(datetime(2026, 11, 26, 13, tzinfo=UTC))


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-26t08:30:00z",
        "2026-11-26T08:30:00z",
        "2026-11-26t08:30:00Z",
        "2026-11-26t12:30:00+04:00",
    ],
)
def test_parse_datetime_reads_lower_case_t_and_z(text: str) -> None:
    """RFC 3339 section 5.6: `T` and `Z` may be lower case; `fromisoformat` reads neither."""
    assert parse_datetime(text) == datetime(2026, 11, 26, 8, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2026-11-26t", "z", "2026-11-26 08:30:00 zulu", "tomorrow"])
def test_parse_datetime_refuses_what_is_no_date_time(text: str) -> None:
    with pytest.raises(ValueError):
        parse_datetime(text)
