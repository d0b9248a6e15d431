"""FHIR dates and times as feeds send them: partial dates, time zones, and worse."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from typing import NamedTuple

from cds.errors import InputError
from cds.instants import parse_datetime

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECONDS_PER_HOUR = 3_600_000_000


class ReadTime(NamedTuple):
    """A moment read from a record, with what we had to assume to read it.

    A named tuple: one is built for every time in a record, and a frozen dataclass cost
    1.7 µs each (bench/engine.py)."""

    at: datetime
    note: str | None
    epoch_us: int
    """``at`` in whole microseconds since 1970 (UTC): exact, and cheap to subtract."""


def _moment(at: datetime, note: str | None = None) -> ReadTime:
    return ReadTime(at, note, epoch_microseconds(at))


def read_time(raw: object, tz: tzinfo) -> ReadTime | None:
    """Read a FHIR date, dateTime or instant; None when it cannot be read.

    A partial date (``2026`` or ``2026-11``) is read as the *last* moment it can mean, so a
    recent sign is never pushed out of a look-back window by an imprecise date. A time without
    a zone (invalid FHIR, but sent) is read in ``tz``, the site's zone.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    parsed = _zoned(text)  # the common case first: a dateTime with its zone, nothing to assume
    if parsed is not None:
        return ReadTime(parsed, None, epoch_microseconds(parsed))
    return _read_text(text, tz) if text else None


def read_instant(raw: object, tz: tzinfo) -> datetime | None:
    """``read_time(raw, tz).at``, without building the ReadTime and its epoch for a zoned
    dateTime (batch replay reads several times a patient and needs only the moment)."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    parsed = _zoned(text)
    if parsed is not None:
        return parsed
    read = _read_text(text, tz) if text else None
    return read.at if read else None


def _zoned(text: str) -> datetime | None:
    """A stripped dateTime that carries its zone, read as it stands; None for anything else
    (a date, a time without a zone, junk: `_read_text` reads those, and remembers them)."""
    if len(text) <= 10:
        return None
    try:
        parsed = datetime.fromisoformat(text)  # 3.11+: reads "Z" too
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@lru_cache(maxsize=65_536)
def _read_text(text: str, tz: tzinfo) -> ReadTime | None:
    """read_time for a stripped string other than a zoned dateTime (partial dates, times
    without a zone, junk): pure, so remembered (feeds repeat their times)."""
    m = _DATE.match(text) if len(text) <= 10 else None  # a date: YYYY, YYYY-MM or YYYY-MM-DD
    if m:
        return _read_date(m, tz, text)
    try:
        parsed = parse_datetime(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return _moment(parsed.replace(tzinfo=tz), f"time {text} has no time zone")
    return _moment(parsed)


def _read_date(m: re.Match[str], tz: tzinfo, text: str) -> ReadTime | None:
    year, month, day = m.group(1), m.group(2), m.group(3)
    try:
        if day:
            last = date(int(year), int(month), int(day))
            note = None
        elif month:
            y, mo = int(year), int(month)
            last = date(y, mo, calendar.monthrange(y, mo)[1])
            note = f"date given only as {text}"
        else:
            last = date(int(year), 12, 31)
            note = f"date given only as {text}"
    except ValueError:
        return None
    return _moment(datetime.combine(last, time(23, 59, 59), tzinfo=tz), note)


def first_moment_us(raw: object, tz: tzinfo) -> int | None:
    """The earliest moment a FHIR date or dateTime can mean, in epoch microseconds: the start
    of a partial date (``2026-11`` → 1 November), the moment itself otherwise. Used to tell a
    record dated in the future from one dated today or this month."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    m = _DATE.match(text) if len(text) <= 10 else None
    if m is None:
        read = read_time(text, tz)
        return read.epoch_us if read is not None else None
    try:
        first = date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None
    return epoch_microseconds(datetime.combine(first, time(0, 0), tzinfo=tz))


def hours_between(earlier: datetime, later: datetime) -> float:
    """Hours from ``earlier`` to ``later``, rounded to 0.01 h (no float surprises at bounds)."""
    return round((later - earlier) / timedelta(hours=1), 2)


def epoch_microseconds(at: datetime) -> int:
    """An aware datetime as whole microseconds since 1970-01-01T00:00Z (exact; a third of
    the cost of ``// timedelta(microseconds=1)``)."""
    span = at - _EPOCH
    return (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds


def hours_from(earlier_us: int, later_us: int) -> float:
    """``hours_between`` on epoch microseconds: the same float (both divide the exact
    microsecond difference once), without datetime arithmetic on every fact."""
    return round((later_us - earlier_us) / _MICROSECONDS_PER_HOUR, 2)


def age_in_years(birth: date, on: date) -> int:
    """Completed years of age on a given day."""
    years = on.year - birth.year
    return years - ((on.month, on.day) < (birth.month, birth.day))


def utc(dt: datetime) -> datetime:
    """The same instant in UTC."""
    return dt.astimezone(UTC)


def parse_instant(text: str, option: str) -> datetime:
    """An evaluation time given on the command line (``--now``, ``--as-of``): ISO 8601 with a
    time zone, else InputError naming the option."""
    try:
        at = parse_datetime(text)
    except ValueError as exc:
        raise InputError(f"{option} '{text}' is not an ISO 8601 date-time") from exc
    if at.tzinfo is None:
        raise InputError(f"{option} '{text}' needs a time zone (e.g. 2026-11-26T10:00:00+04:00)")
    return at
