"""When a reading said in a sign's row was taken, in the row's own words ("Fever" valued
"38.9 2 days ago", "Tmax 38.9 on 11/25"): a span before the record ("N hours ago", "N days
ago") or a day of the calendar ("on M/D", "on M/D/YY", "on M/D/YYYY", read month first as US
records write it).

A dated reading is the sign reported *then*: its fact is dated so, and the rules' own window
decides whether it is recent (a fever reported 2 days ago is one, one 20 days ago is none).
A date that cannot be placed is no reading at all but an answer not understood: two dates
in one answer, a day that does not exist ("13/40"), a day after the record was written, or
a day without a year that falls just after the record in its year (a slip of the pen or of
the year, `_AMBIGUOUS_DAYS`); a day without a year further ahead than that is last year's
("on 12/30" written in January).

This is general syntax (numbers, the English numerals and the units of time), not clinical
vocabulary, so it is here rather than in the pack: the words that date a reading more
loosely ("last week", "a few days ago", "today") are the pack's (``answers.yaml``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from cds.facts.timing import FactContext

Dated = tuple[str | None, float, bool, str | None]
"""(the time, hours before the evaluation time, known, note): a fact's timing."""


class SaidDate(NamedTuple):
    """A reading's date in words: ``ago_h`` hours before the record, or a calendar day
    (``year`` None when the words give none)."""

    ago_h: float | None = None
    month: int = 0
    day: int = 0
    year: int | None = None
    words: str = ""
    """The words that date it ("2 days ago", "on 11/25"), for the card's note."""


UNPLACED = SaidDate(words="?")
"""Words that date a reading more than once: it cannot be placed."""

_NUMERALS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
_AGO = re.compile(
    rf"\b(?P<n>\d{{1,3}}|{'|'.join(_NUMERALS)})\s*(?P<unit>h|hrs?|hours?|d|days?)\s+ago\b",
    re.IGNORECASE,
)
_ON = re.compile(
    r"(?:\bon\s+)?(?<![\w/.-])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\w/.-])",
    re.IGNORECASE,
)
_CLOCK = re.compile(
    r"(?:\bat|@)\s*(?:(?P<h12>1[0-2]|0?[1-9])(?::(?P<m12>[0-5]\d))?\s*(?P<half>[ap])\.?m\b\.?"
    r"|(?P<h>[01]?\d|2[0-3]):?(?P<m>[0-5]\d)(?![\d:])(?:\s*(?:h|hrs)\b)?)",
    re.IGNORECASE,
)
"""A clock time after a reading ("at 14:00", "@ 0930", "at 2 pm"): when on the record's day."""
_AMBIGUOUS_DAYS = 31
"""A day without a year at most this far after the record, in its year, cannot be placed:
a slip more likely than a reading of last year ("on 11/27" written on 11/26)."""


def date_in_words(rest: str) -> tuple[SaidDate | None, str]:
    """The date the words after a reading give, and the words without it; (None, rest) when
    they give none, (`UNPLACED`, rest) when they give more than one."""
    found = [*_AGO.finditer(rest), *_ON.finditer(rest)]
    if not found:
        return None, rest
    if len(found) > 1:
        return UNPLACED, rest
    m = found[0]
    left = f"{rest[: m.start()]} {rest[m.end() :]}"
    if m.re is _AGO:
        n = m["n"].lower()
        count = _NUMERALS[n] if n in _NUMERALS else int(n)
        hours = count * (1 if m["unit"].lower().startswith("h") else 24)
        return SaidDate(ago_h=float(hours), words=m[0].strip()), left
    year = int(m["y"]) if m["y"] else None
    if year is not None and year < 100:
        year += 2000
    return SaidDate(month=int(m["m"]), day=int(m["d"]), year=year, words=m[0].strip()), left


def clock_in_words(rest: str) -> tuple[int | None, str]:
    """The clock time (minutes after midnight) the words after a reading give, and the words
    without it; (None, rest) when they give none. A time of day dates a reading within the
    record's own day: the record's time, for the rules' windows (its order beside another
    clock time is the reader's, `cds.facts.readings_in_text`)."""
    m = _CLOCK.search(rest)
    if m is None:
        return None, rest
    if m["h"] is not None:
        minutes = int(m["h"]) * 60 + int(m["m"])
    else:
        hour = int(m["h12"]) % 12 + (12 if m["half"].lower() == "p" else 0)
        minutes = hour * 60 + int(m["m12"] or 0)
    return minutes, f"{rest[: m.start()]} {rest[m.end() :]}"


def dated_timing(said: SaidDate, timing: Dated, ctx: FactContext) -> Dated | None:
    """The record's ``timing`` moved to the date its words give the reading; None when the
    date cannot be placed (a data-check item: "answer not understood")."""
    _, age, known, note = timing
    if said is UNPLACED:
        return None
    written = ctx.now_utc - timedelta(hours=age)
    if said.ago_h is not None:
        moment = written - timedelta(hours=said.ago_h)
        placed = _noted(note, f"the reading dated by its own words ({said.words})")
        return moment.isoformat(), age + said.ago_h, known, placed
    day = _day(said, written.astimezone(ctx.site_tz).date())
    if day is None:
        return None
    # a day is read as its last moment, as a partial date is: never pushed out of a window
    end = datetime.combine(day + timedelta(days=1), time(), ctx.site_tz)
    day_age = max(0.0, (ctx.now_utc - end).total_seconds() / 3600)
    placed = _noted(note, f"the reading dated by its own words ({said.words})")
    return day.isoformat(), day_age, known, placed


def _day(said: SaidDate, written: date) -> date | None:
    """The calendar day of ``said`` by the record's own day; None when it cannot be placed."""
    try:
        day = date(said.year or written.year, said.month, said.day)
    except ValueError:
        return None  # no such day ("13/40", "2/30")
    if day <= written:
        return day
    if said.year is not None or (day - written).days <= _AMBIGUOUS_DAYS:
        return None  # after the record was written: a slip, not a reading
    try:
        return day.replace(year=day.year - 1)  # "on 12/30" written in January
    except ValueError:  # 29 February of a leap year, read in the year after
        return None


def _noted(note: str | None, said: str) -> str:
    return f"{note}; {said}" if note else said
