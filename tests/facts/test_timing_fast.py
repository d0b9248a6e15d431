"""The zoned-time fast path of fact building gives the hours the general reader gives.

`timing_of` reads a `YYYY-MM-DDThh:mm:ss` time whose zone suffix it has seen before as a naive
time against the evaluation time in that zone, and rounds the hours on the integer
microseconds (`_hours`): both must give the very float `round(us / 3.6e9, 2)` of the exact
span, including at the exact ties (a span of k × 36 s + 18 s) and for future times.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.facts.times import read_time
from cds.facts.timing import _OFFSETS, FactContext, _hours, timing_of
from cds.pack.load import load_pack

PACK = load_pack()
US_PER_HOUR = 3_600_000_000


def expected(raw: str, now: datetime) -> float:
    """The hours the general reader gives: exact microseconds, rounded once by ``round``."""
    read = read_time(raw, UTC)
    assert read is not None
    span = now.astimezone(UTC) - read.at.astimezone(UTC)
    us = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
    return round(us / US_PER_HOUR, 2)


@given(st.integers(min_value=-(10**15), max_value=10**16))
def test_hours_is_round_of_the_exact_span(us: int) -> None:
    assert repr(_hours(us)) == repr(round(us / US_PER_HOUR, 2))


@pytest.mark.parametrize("k", [0, 1, 2, 7, 99, 2_777, 9_999_999, 10_000_000])
def test_hours_at_exact_ties_and_beside_them(k: int) -> None:
    tie = k * 36_000_000 + 18_000_000  # halfway between two hundredths of an hour
    for us in (tie - 1, tie, tie + 1):
        assert repr(_hours(us)) == repr(round(us / US_PER_HOUR, 2))


@pytest.mark.parametrize("zone_hours", [-5, 0, 4, 5.5, 14])
def test_zoned_times_read_twice_give_the_general_readers_hours(zone_hours: float) -> None:
    """Each time is read twice: once to learn its zone (general path), once on the fast path;
    spans that are exact ties, future times and fractional seconds are among them."""
    now = datetime(2026, 11, 26, 12, 0, tzinfo=timezone(timedelta(hours=4)))
    ctx = FactContext(now, PACK.index, PACK.canonical_units)
    rng = random.Random(zone_hours)
    zone = timezone(timedelta(hours=zone_hours))
    for i in range(400):
        if i % 3 == 0:  # a whole number of 18 s: every other one an exact tie
            at = now - timedelta(seconds=18 * rng.randrange(-400, 200_000))
        else:
            at = now - timedelta(seconds=rng.randrange(-7_200, 10**8))
        raw = at.astimezone(zone).isoformat(timespec="seconds")
        if raw.endswith("+00:00") and i % 2:
            raw = raw[:-6] + "Z"
        if i % 7 == 0:
            raw = at.astimezone(zone).isoformat(timespec="milliseconds")  # never the fast path
        for _ in range(2):
            when, hours, known, note, ahead = timing_of({"t": raw}, ctx, ("t",))
            assert (when, known, note) == (raw, True, None)
            if at <= now:
                assert repr(hours) == repr(expected(raw, now)), raw
                assert ahead == 0.0
            else:  # after the evaluation time: never a negative age
                assert hours == 0.0
    assert now.astimezone(zone).isoformat(timespec="seconds")[19:] in _OFFSETS  # fast path met
