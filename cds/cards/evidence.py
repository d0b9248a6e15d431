"""Evidence as a card says it: one line per record (what, value, when, where from), and the
time text: the site's zone, today's clock, the age as a clinician says it."""

from __future__ import annotations

from datetime import date, tzinfo
from functools import lru_cache

from cds.cards.context import CardContext
from cds.cards.quote import plain, quote, quote_id
from cds.facts.units import UNIT_WORDS
from cds.findings import Evidence
from cds.instants import parse_datetime


def value_text(value: str | None) -> str | None:
    """A recorded value for display: its UCUM unit code as a clinician writes the unit."""
    if not value:
        return value
    number, _, unit = value.rpartition(" ")
    if not number or unit not in UNIT_WORDS:
        return value
    return f"{number} {UNIT_WORDS[unit]}".rstrip()


def describe(e: Evidence, ctx: CardContext) -> str:
    """One line a clinician reads: what, value, when (site's zone, with its age), where from."""
    value = f", {shown_value(e.value)}" if e.value else ""
    # an age is the patient's now, not a timed record
    when = "" if e.kind == "patient" else f", {_when(e.time, e.age_h, ctx)}"
    # record text: inert in the card's Markdown, cut to length
    text = f"{quote(e.display)}{value}{when} ({quote_id(e.rid)})"
    return f"{text}; note: {quote(e.note, None)}" if e.note else text


def short_reading(e: Evidence, ctx: CardContext) -> str:
    """A short reading: value and when ("88 /min at 14:02 EST (1 h ago)")."""
    what = shown_value(e.value) if e.value else quote(e.display)
    return f"{what} {_when(e.time, e.age_h, ctx)} ({quote_id(e.rid)})"


@lru_cache(maxsize=8192)
def shown_value(value: str) -> str:
    """A recorded value as a card shows it: units in words, quoted (remembered: readings
    repeat the same values)."""
    return quote(value_text(value) or value)


@lru_cache(maxsize=4096)
def plain_value(value: str) -> str:
    """A recorded value as a card's summary shows it: units in words, plain text."""
    return plain(value_text(value) or value)


def _when(time: str | None, age_h: float | None, ctx: CardContext) -> str:
    """When, in the site's zone, with the age: "at 14:02 EST (1 h ago)"; today's readings
    show only the clock time, this year's the day too, older ones the full date."""
    if not time:
        return "time not recorded"
    age = age_of(time, age_h, ctx)
    stamp = _stamp(time, ctx.tz, ctx.today)
    return f"{stamp} ({age})" if age else stamp


def age_of(time: str | None, age_h: float | None, ctx: CardContext) -> str:
    """How long ago, as a clinician says it: a record dated by its day alone ("2026-12-07")
    is "today", "yesterday" or so many days ago in the site's calendar, never an age in hours
    or minutes that the day cannot tell ("just now", "40 h ago")."""
    if time is not None and len(time) == 10 and ctx.today is not None:
        try:
            day = date.fromisoformat(time)
        except ValueError:
            return age_text(age_h)
        return _days_text((ctx.today - day).days)
    return age_text(age_h)


def _days_text(days: int) -> str:
    if days < 0:
        return "dated in the future"
    if days < 2:
        return ("today", "yesterday")[days]
    if days < len(_DAYS_AGO):
        return _DAYS_AGO[days]
    return (
        _MONTHS_AGO[round(days / _MONTH_DAYS_MEAN)]
        if days < 731
        else f"{round(days / 365.25)} y ago"
    )


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
"""``f"{n:02d}"`` for a date's month and day, looked up: a format spec costs a third of a
card time's reading (every evidence time is new to the memo); so are the clock and this
year's days below."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CLOCKS = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
"""Each minute of the day as a card shows it ("14:02"), by ``hour * 60 + minute``."""
_MONTH_DAYS = ((), *(tuple(f"{month} {day}, " for day in range(32)) for month in _MONTHS))
"""A day of this year as a card shows it before the clock ("Nov 24, "), by month and day."""


@lru_cache(maxsize=8192)
def _stamp(time: str, tz: tzinfo, today: date | None) -> str:
    """A recorded time in the site's zone (remembered: evidence repeats the same times)."""
    try:
        moment = parse_datetime(time)
    except ValueError:
        return f"at {quote(time)}"  # the record's own words; no time we could read
    if len(time) <= 10:  # a date without a time of day
        return f"on {moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    local = (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(tz)
    clock = _CLOCKS[local.hour * 60 + local.minute]
    if local.date() == today:
        stamp = clock
    elif today is not None and local.year == today.year:
        stamp = _MONTH_DAYS[local.month][local.day] + clock
    else:
        stamp = f"{local.year:04d}-{_TWO_DIGITS[local.month]}-{_TWO_DIGITS[local.day]} {clock}"
    zone = local.tzname()
    return f"at {stamp} {zone}" if zone else f"at {stamp}"


def age_text(age_h: float | None) -> str:
    """How long ago, in the unit a clinician would say it, rounded to the nearest (a reading
    taken two hours ago is "2 h ago" whether it is seen a second before or after)."""
    if age_h is None:
        return ""
    if age_h < 1.0:  # from an hour on, the minutes round to 60 or more
        if age_h < -0.25:
            return "dated in the future"
        minutes = round(age_h * 60)
        if minutes < 1:
            return "just now"
        if minutes < 60:
            return f"{minutes} min ago"
    if age_h < 95.5:  # hours up to 4 days: a vital sign at 70 h is inside its 72 h window
        return _HOURS_AGO[round(age_h)]
    if age_h < 59.5 * 24:
        return _DAYS_AGO[round(age_h / 24)]
    if age_h < 2 * 365 * 24:
        return _MONTHS_AGO[round(age_h / (24 * _MONTH_DAYS_MEAN))]
    return f"{round(age_h / (365.25 * 24))} y ago"


_HOURS_AGO = tuple(f"{n} h ago" for n in range(96))
_DAYS_AGO = tuple(f"{n} d ago" for n in range(60))
_MONTHS_AGO = tuple(f"{n} mo ago" for n in range(25))
"""Ages in hours (under 95.5 h), days (under 60) and months (under two years) as said,
looked up: every evidence line and summary says one, and formatting the number cost most of
``age_text``. A clinician reads "23 mo ago", not "705 d ago" (fourth physician round)."""
_MONTH_DAYS_MEAN = 365.25 / 12
