"""When a record says it happened: fact building's context (`FactContext`), and a record's
time read as hours before the evaluation time (`Timing`), on a short path for the zoned
times feeds send; a record dated after the evaluation time is a data issue."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from cds.facts.literals import Scans
from cds.facts.model import DataIssue
from cds.facts.times import epoch_microseconds, first_moment_us, hours_from, read_time
from cds.facts.valuesets import ValueSetIndex
from cds.fhir import Resource

if TYPE_CHECKING:
    from cds.facts.observation_text import Said

FUTURE_TOLERANCE_H = 1.0
"""A reading dated more than this after the evaluation time is a data error, not a sign."""
_TOLERANCE = timedelta(hours=FUTURE_TOLERANCE_H)


@dataclass(frozen=True)
class FactContext:
    """Everything fact building needs besides the resources."""

    now: datetime
    index: ValueSetIndex
    canonical_units: Mapping[str, str | None]
    """Value set id → the unit its values are compared in (None: unitless or not numeric)."""
    site_tz: tzinfo = UTC
    """The site's zone: zone-less times in records are read in it (not in ``now``'s zone)."""
    now_us: int = field(init=False, repr=False, compare=False)
    now_utc: datetime = field(init=False, repr=False, compare=False)
    """``now`` in UTC (a fixed zone: subtracting a record's time from it is exact)."""
    tz: tzinfo = field(init=False, repr=False, compare=False)
    now_naive_utc: datetime = field(init=False, repr=False, compare=False)
    """``now_utc`` without its zone."""
    nows: dict[str, datetime] = field(init=False, repr=False, compare=False)
    """A zone suffix of `_OFFSETS` → ``now`` as a naive time in that zone (`timing_of`)."""
    today: date = field(init=False, repr=False, compare=False)
    """The day ``now`` is in, in the site's zone (words dated a year or a month before it are
    past: `cds.facts.concepts.dated_past`)."""
    scans: Scans = field(init=False, repr=False, compare=False)
    """This call's memo of what the pack's text patterns find in the words it reads."""
    said: dict[tuple[str, str, bool, bool | None], Said] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    """This call's memo of what a row's or a note's words say (`said_in_value`), by the
    row's name, its value in words and its yes or no: a note repeated on many problems (a
    template, a copied plan) is read once. Kept for the call only."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "now_us", epoch_microseconds(self.now))
        object.__setattr__(self, "now_utc", self.now.astimezone(UTC))
        # combine, not replace(tzinfo=None): the same naive time, at a fifteenth of the cost
        naive = datetime.combine(self.now_utc.date(), self.now_utc.time())
        object.__setattr__(self, "now_naive_utc", naive)
        # the zones records were seen to use so far (a copy first: another thread may add one)
        offsets = dict(_OFFSETS)
        nows = {suffix: self.now_naive_utc + offset for suffix, offset in offsets.items()}
        object.__setattr__(self, "nows", nows)
        object.__setattr__(self, "tz", self.site_tz)
        object.__setattr__(self, "today", self.now.astimezone(self.site_tz).date())
        object.__setattr__(self, "scans", Scans(self.index.by_runs))


Timing = tuple[str | None, float, bool, str | None, float]
"""(the time as recorded, hours before the evaluation time (never negative), known, note,
hours after the evaluation time of the earliest moment it can mean (0 if not)). A plain
tuple: one is read for every record (a named tuple cost more, bench/engine.py)."""
NO_TIME: Timing = (None, 0.0, False, None, 0.0)
_US_PER_HOUR = 3_600_000_000
_OFFSETS: dict[str, timedelta] = {}
"""What follows the seconds of a ``YYYY-MM-DDThh:mm:ss`` dateTime (``+04:00``, ``Z``) → its
UTC offset, for suffixes seen to mean exactly that offset (`_learn_offset`). Records use a
handful of zones, so `timing_of` reads the rest of such a time as a naive one."""
_HOUR_HUNDREDTHS_US = 36_000_000
_FAST_HOURS_US = 360_000_000_000_000
"""Below 100,000 h, a double's rounding error in the hours is far smaller than the distance
of any non-tied microsecond count from a tie: `_hours` may round the integer instead."""


def _hours(us: int) -> float:
    """``round(us / _US_PER_HOUR, 2)``, the same float, mostly without ``round``'s decimal
    conversion: the nearest hundredth worked out on the integer (an exact tie, or a time
    further than 100,000 h, goes to ``round`` itself)."""
    if 0 <= us < _FAST_HOURS_US:
        hundredths, rest = divmod(us, _HOUR_HUNDREDTHS_US)
        if rest != 18_000_000:
            return (hundredths + (rest > 18_000_000)) / 100
    return round(us / _US_PER_HOUR, 2)


_FROM_ISO = datetime.fromisoformat
"""Looked up once: the class attribute costs as much again as the parse, on every record."""


def _learn_offset(raw: str, parsed: datetime) -> None:
    """Remember what ``raw``'s suffix means when ``raw`` is a ``YYYY-MM-DDThh:mm:ss`` time
    followed by nothing but its zone, as checked here (a bounded memo: zones are few)."""
    suffix = raw[19:]
    if len(raw) not in (20, 25) or raw[10] != "T" or suffix[:1] not in ("+", "-", "Z"):
        return
    offset = parsed.utcoffset()
    if offset is None or len(_OFFSETS) >= 256:
        return
    try:
        local = datetime.fromisoformat(raw[:19])
    except ValueError:
        return
    if local == parsed.replace(tzinfo=None):
        _OFFSETS[suffix] = offset


def timing_of(res: Resource, ctx: FactContext, keys: tuple[str, ...]) -> Timing:
    """The recorded time of the first of ``keys`` present, read in the site's zone (a tuple
    given, not ``*keys``: packing the names anew for every record cost ~300 instructions)."""
    for key in keys:
        raw: object = res.get(key)
        if type(raw) is str:  # the common case: a "YYYY-MM-DDThh:mm:ss" and a zone known
            now_there = ctx.nows.get(raw[19:])
            if now_there is not None:
                try:
                    local: datetime | None = _FROM_ISO(raw[:19])
                except ValueError:
                    local = None
                if local is not None:
                    # the evaluation time as a naive time in the record's zone, minus the
                    # record's naive time: the exact span of the zoned subtraction of
                    # `_read_timing`, without its two utcoffset() calls; rounded as `_hours`
                    # does (inlined), a tie or a span out of its range left to it
                    span = now_there - local
                    us = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
                    hundredths, rest = divmod(us, _HOUR_HUNDREDTHS_US)
                    if 0 <= us < _FAST_HOURS_US and rest != 18_000_000:
                        return raw, (hundredths + (rest > 18_000_000)) / 100, True, None, 0.0
        elif isinstance(raw, dict):  # a Period: its start
            raw = raw.get("start")
        if raw is not None:
            return _read_timing(raw, ctx)
    return NO_TIME


def _read_timing(raw: object, ctx: FactContext) -> Timing:
    """`timing_of` of one recorded time, in general: any zone, partial dates, junk."""
    if isinstance(raw, str) and len(raw) > 10:  # a zoned dateTime, most often
        try:
            parsed: datetime | None = datetime.fromisoformat(raw.strip())
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:  # read_time's reading
            span = ctx.now_utc - parsed  # exact: the same microseconds as hours_from's
            us = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
            hours = _hours(us)
            suffix = raw[19:]
            if suffix not in ctx.nows:  # its zone perhaps not read yet: `timing_of` may next
                _learn_offset(raw, parsed)
                offset = _OFFSETS.get(suffix)
                if offset is not None:
                    ctx.nows[suffix] = ctx.now_naive_utc + offset
            if hours >= 0.0:  # before the evaluation time
                return raw, hours, True, None, 0.0
    read = read_time(raw, ctx.tz)
    if read is None:
        return str(raw), 0.0, False, f"time '{raw}' could not be read; treated as current", 0.0
    hours = hours_from(read.epoch_us, ctx.now_us)
    if hours >= 0.0:  # the common case: a time before the evaluation time
        return str(raw), hours, True, read.note, 0.0
    ahead = 0.0
    if hours < -FUTURE_TOLERANCE_H:  # a partial date means its last moment: ask its first
        first = first_moment_us(raw, ctx.tz)
        ahead = -hours_from(first if first is not None else read.epoch_us, ctx.now_us)
    return str(raw), 0.0, True, read.note, ahead if ahead > 0.0 else 0.0


def in_future(
    timing: Timing, rid: str, issues: list[DataIssue], ctx: FactContext, what: str
) -> bool:
    """True (with a data issue in ``issues`` naming the record: what, value, time) when a
    record is dated more than the tolerance after the evaluation time: a wrong clock or zone,
    not a sign."""
    when, _, _, _, ahead = timing
    if ahead <= FUTURE_TOLERANCE_H:
        return False
    read = read_time(when, ctx.tz)
    shown = when if read is None else read.at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M %Z")
    hours = f"{ahead:.0f}" if ahead >= 10 else f"{ahead:.1f}".removesuffix(".0")
    headline = f"{what} dated {shown}, {hours} h after the evaluation time"
    issues.append(
        DataIssue(
            rid=rid,
            message=f"{headline}; check the device clock or time zone",
            recheck="the device clock or the time zone of the source system",
            headline=headline,
        )
    )
    return True


def plainly_past(raw: object, ctx: FactContext) -> bool:
    """Whether a recorded time is plainly no later than the tolerance after the evaluation
    time (`in_future` would say nothing): a ``YYYY-MM-DDThh:mm:ss`` in a zone `timing_of`
    knows, compared without working out the hours. False when that cannot be told so."""
    if type(raw) is str:
        now_there = ctx.nows.get(raw[19:])
        if now_there is not None:
            try:
                return _FROM_ISO(raw[:19]) - now_there <= _TOLERANCE
            except ValueError:
                return False
    return False
