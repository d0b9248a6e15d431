"""A measure written in a sign's row ("Fever" valued "Tmax 38.9 at home", "102 at home"):
the number read in the unit of the value set that measures the sign (``measured_by``), and
the sign kept only when the rules' own thresholds call that number a sign.

The row's name asks the sign; its answer gives the number the patient or a clinician
measured. Read as the pack reads a reading of the measuring value set (its unit, its
``unit_by_range`` for a number sent with no unit, its ``plausible`` range), it is the sign
reported in words when it is at or above the threshold of a rule on that value set
(`CompiledRuleset.reach`, so a site's settings move it here too), and nothing below it
("Fever: Tmax 37.4" says nothing alarming). A range is readings that were taken, so its
worst end was seen: it is the sign when either end is one ("37.5-38.5", "100-101F": 38.5 and
101 °F were measured), nothing when both are on the safe side ("36.5-37.2"); one reading in
two units is read when they agree ("39.2C (102.6F)"). A number in doubt ("?38", "~38", two
units that disagree), one the words place in the past ("last week", "afebrile since") or
one that cannot be read stays the row's unclear answer: a data-check item, never a sign.
The words after the number that put it in doubt, date it or say it is over are the pack's
(``answers.yaml``, compiled in `cds.facts.answer_words`); the syntax around them is here.

An answer of readings each dated by its own words ("Tmax 38.9 last week, 39.1 today") is
read by its current ones, each as the answer would be if it were all: every reading counts,
so the highest decides, a range by its high end ("38.9 last week, 37.0 today": nothing;
"38.5 today, 37.0 this AM": the sign).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from cds.facts.answer_words import AnswerWords, measure_pattern
from cds.facts.bounds import Region, resolve_value
from cds.facts.model import DataIssue, Fact
from cds.facts.readings import quantity_value
from cds.facts.said_dates import UNPLACED, SaidDate, date_in_words
from cds.facts.timing import FactContext
from cds.facts.units import NO_RULE, UNIT_WORDS, ReadingRule

_AGREE = 0.005
"""How far apart (relatively) one reading written in two units may be, once converted, and
still be the same reading rounded ("38.9 °C (102 °F)": 38.89 °C)."""
_BARE = measure_pattern(())
"""A number measuring a value set without ``lead_words``: no word before it."""


class SaidMeasure(NamedTuple):
    """A sign's number read from a row's words: the sign's value set, the number in the
    measuring value set's unit, and that unit."""

    valueset: str
    value: float
    unit: str
    bound: str | None = None
    """`LOW_END` and the high end: the value is the low end of a range ("38-39"), the sign
    when either end is one, since every reading counts (`resolve_said_measures`)."""
    said_date: SaidDate | None = None
    """When its words date the reading ("2 days ago", "on 11/25"): the sign reported then
    (`cds.facts.said_dates`); None: at the record's own time."""
    reading: bool = False
    """A reading of the measuring value set itself, not its sign ("HR 136":
    `cds.facts.readings_in_text`): an Observation fact."""


class _Reading(NamedTuple):
    value: float
    unit: str
    low_end: bool = False
    said_date: SaidDate | None = None
    high: float | None = None
    """A range's high end, in ``unit`` ("36.5-37.2": 37.2)."""


_STOP = "stop"
"""An answer that is a number no reading can be (a range in two units, one reading in two
units that disagree): not understood, and no other measuring value set is tried."""


def measure_in_words(answer: str, signs: Iterable[str], ctx: FactContext) -> SaidMeasure | None:
    """The number a row's answer gives for one of its ``signs`` that a value set measures
    (``measured_by``), read in that value set's unit; None when the answer is no such number
    or cannot be read (out of the unit's ranges, implausible, in doubt).

    An answer of clauses (comma, semicolon) each a number its own words date, in the past
    ("38.9 last week") or now ("39.1 today"), is read by its clauses: the past ones set
    aside, the current ones read as one answer each, and the highest of them the value
    (every reading counts, as the contract says of a resource's several readings)."""
    index = ctx.index
    measured = [(vs, index.measured_by[vs]) for vs in signs if vs in index.measured_by]
    if not measured:
        return None
    answer = answer.strip()
    words = index.answers  # the words after the number (``answers.yaml``), compiled
    for vs, by in measured:
        canonical = ctx.canonical_units.get(by)
        if canonical is None:
            continue
        # the number, led by the measure's own words ("Tmax", "temp": ``lead_words``)
        pattern = index.measures.get(by, _BARE)
        rule = index.readings.get(by, NO_RULE)
        clauses = _dated_clauses(answer, pattern, words)
        if clauses is None:
            read = _measure(answer, pattern, words, canonical, rule)
            if read == _STOP:
                return None
            if isinstance(read, _Reading):
                return _said(vs, read)
            continue
        now = [_measure(c, pattern, words, canonical, rule) for c in clauses]
        readings = [r for r in now if isinstance(r, _Reading)]
        if _STOP in now:
            return None
        if not readings or len(readings) < len(now):
            continue  # all in the past, or a current one not read: not understood
        # every reading counts (the contract): the highest decides, as one alone would
        high = max(readings, key=lambda r: r.value if r.high is None else r.high)
        if any(_before(high, r) for r in readings):
            return None  # a later reading than the highest: which is in the rules' window?
        return _said(vs, high)
    return None


def _said(vs: str, read: _Reading) -> SaidMeasure:
    return SaidMeasure(vs, read.value, read.unit, _range_bound(read), read.said_date)


def _range_bound(read: _Reading) -> str | None:
    """`LOW_END` and the high end for a range ("36.5-37.2": ">=37.2"), None for one number."""
    if not read.low_end:
        return None
    return LOW_END if read.high is None else f"{LOW_END}{read.high!r}"


def _before(read: _Reading, other: _Reading) -> bool:
    """Whether ``read`` was taken before ``other`` by the dates their words give: a span
    back ("2 days ago"), a day, or none (the record's time, the latest)."""
    if read.said_date == other.said_date:
        return False
    if read.said_date is None:
        return False
    if other.said_date is None:
        return True
    if read.said_date.ago_h is not None and other.said_date.ago_h is not None:
        return read.said_date.ago_h > other.said_date.ago_h
    return True  # a span beside a day, or two days: not compared here, so in doubt


_CLAUSE = re.compile(r"\s*[,;]\s*")


def _dated_clauses(answer: str, pattern: re.Pattern[str], words: AnswerWords) -> list[str] | None:
    """The current clauses of an answer whose every clause is a number its own words date in
    the past or now ("Tmax 38.9 last week, 39.1 today": "39.1 today"); None when the answer
    is no such list (one clause, a clause without a number or without a date, or with both
    a past and a current one), and is read whole."""
    parts = _CLAUSE.split(answer)
    if len(parts) < 2:
        return None
    current = []
    for part in parts:
        match = pattern.fullmatch(part)
        if match is None:
            return None
        said, rest = date_in_words(match["rest"])
        past = words.number_in_past.search(rest) is not None
        if past == (said is not None or words.number_now.search(rest) is not None):
            return None  # undated, or dated both then and now
        if not past:
            current.append(part)
    return current


def _measure(
    answer: str, pattern: re.Pattern[str], words: AnswerWords, canonical: str, rule: ReadingRule
) -> _Reading | str | None:
    """One answer read as a number (`_Reading`); None when it is none (try another measuring
    value set), `_STOP` when it is one no reading can be (a range of two units, two units
    that disagree)."""
    match = pattern.fullmatch(answer)
    if match is None:
        return None
    said, rest = date_in_words(match["rest"])  # "38.9 2 days ago": dated, not in doubt
    if said is UNPLACED or words.number_in_doubt.search(rest):
        return None  # in doubt
    if words.number_in_past.search(rest):
        return None  # from the past
    if words.number_over.search(rest) and not (said or words.number_recent.search(rest)):
        return None  # over, and not dated recent: perhaps an old one
    read = _numbers(match, canonical, rule)
    return read._replace(said_date=said) if isinstance(read, _Reading) and said else read


def _numbers(match: re.Match[str], canonical: str, rule: ReadingRule) -> _Reading | str | None:
    """The number (or range, or one reading in two units) a measure's match gives."""
    first, unit = match["number"], match["unit"]
    second = match["high"] or match["other"]
    second_unit = match["high_unit"] or match["other_unit"]
    ranged = match["high"] is not None
    if ranged:  # "101-102F": one unit for both ends; two different ones are no range
        if unit and second_unit and unit.lower() != second_unit.lower():
            return _STOP
        unit = second_unit = unit or second_unit
    read = _read(first, unit, canonical, rule)
    if read is None:
        return None
    if second is None:
        return _Reading(*read)
    other = _read(second, second_unit, canonical, rule)
    if other is None:
        return _STOP
    if ranged:  # both ends: the one in the sign's direction decides (`resolve_said_measures`)
        return _Reading(*min(read, other), low_end=True, high=max(read, other)[0])
    if abs(read[0] - other[0]) > _AGREE * max(abs(read[0]), abs(other[0])):
        return _STOP  # two units that disagree: which reading is it?
    return _Reading(*read)


NOT_ONE = _STOP
"""`said_number`'s answer for a number no reading can be (two units that disagree)."""


def said_number(
    match: re.Match[str], valueset: str, canonical: str, rule: ReadingRule
) -> SaidMeasure | str | None:
    """The number of a measure's match (`measure_pattern`) as the sign ``valueset`` said
    with it, as a row's answer is read (`_numbers`); `NOT_ONE` when no reading can be it,
    None when it is no reading of the unit (`cds.facts.measures_in_text`)."""
    read = _numbers(match, canonical, rule)
    if isinstance(read, _Reading):
        return SaidMeasure(valueset, read.value, read.unit, _range_bound(read))
    return read


def _read(
    number: str, unit: str | None, canonical: str, rule: ReadingRule
) -> tuple[float, str] | None:
    """A number said in words, read in ``canonical`` as a Quantity would be; None when it
    cannot be (out of the unit's ranges, implausible)."""
    if unit is not None and len(unit) == 1:
        unit = unit.upper()  # "101.5f": the UCUM reader knows "F" and "C"
    value, found, _, problem = quantity_value({"value": number, "unit": unit}, canonical, rule)
    if problem is None and value is not None and found is not None:
        return value, found
    return None


def resolve_said_measures(
    facts: list[Fact],
    reach: Mapping[tuple[str, str], Sequence[Region]],
    measured_by: Mapping[str, str],
) -> tuple[list[Fact], list[DataIssue]]:
    """``facts`` with each sign read from a number in words (a Condition fact with a value,
    `measure_in_words`) kept when a rule on its measuring value set calls that number a sign
    (a verified reading's threshold), without the number, and left out when none does. A
    range said in words ("Fever: 37.5-38.5", "Temp 99.1-100.9 F overnight") is readings that
    were taken: the sign when either end is one (its worst end was seen; the note says which
    end reached the threshold), nothing when neither is. The thresholds are read by the
    measuring value set's rules, not the sign's (`resolve_value`). No data-check item comes
    from here: a range in doubt ("~38-39") is `cds.facts.measures_in_text`'s."""
    if not any(f.value is not None and f.kind == "condition" and f.by_text for f in facts):
        return facts, []
    out = []
    for f in facts:
        if (
            f.value is None
            or f.kind != "condition"
            or not f.by_text
            or f.valueset not in measured_by
        ):
            out.append(f)
            continue
        # by the thresholds of the value set that measures the sign (a body temperature's)
        regions = reach.get(("observation", measured_by[f.valueset]), ())
        ranged = f.bound is not None and f.bound.startswith(LOW_END) and len(f.bound) > 2
        high = float(f.bound[len(LOW_END) :]) if f.bound is not None and ranged else None
        ends = (f.value,) if high is None else (f.value, high)
        crossing = [v for v in ends if resolve_value(v, None, regions).sign == "certain"]
        if not crossing:
            continue  # "Temp 36.5-37.2 over shift": no reading of it is a sign
        unit = UNIT_WORDS.get(f.unit or "", f.unit or "")
        said = ""
        if high is not None:  # "Temp 99.1-100.9 F": the end that reached the threshold
            end = "high" if crossing[-1] == high else "low"
            said = f"a range of readings: its {end} end ({crossing[-1]:.1f} {unit}) reached"
            said += " the sign's threshold"
        elif f"{f.value:g}" not in f.display:  # "102 at home": the number it was read as
            said = f"read as {f.value:.1f} {unit}".strip()
        note = f"{f.note}; {said}" if f.note and said else f.note or said or None
        out.append(replace(f, value=None, unit=None, bound=None, note=note))
    return out, []


LOW_END = ">="
"""The ``bound`` of a Condition fact whose value is the low end of a range said in words
("Fever: 38-39"), followed by the high end (`SaidMeasure.bound`)."""


READ_FROM_WORDS = "read from the record's words"
"""The note of a reading a record's words give ("HR 136" in an HPI): no device measured it."""


def words_fact(
    valueset: str,
    rid: str,
    words: str,
    timing: tuple[str | None, float, bool, str | None],
    measure: SaidMeasure | None = None,
    *,
    said: str | None = None,
    by_text: bool = True,
) -> Fact:
    """The fact of what a record's words say of ``valueset``, dated by ``timing`` (time, age,
    whether known, its note): a Condition fact, with the number ``measure`` gives it when it
    measures this value set ("Fever: Tmax 38.9"), or an Observation fact when that number is a
    reading of its own ("HR 136"); ``said`` adds what the words say to the note ("r/o CES")."""
    when, age, known, note = timing
    measured = measure if measure is not None and measure.valueset == valueset else None
    reading = measured is not None and measured.reading
    said = READ_FROM_WORDS if reading else said
    return Fact(
        kind="observation" if reading else "condition",
        valueset=valueset,
        rid=rid,
        display=words,
        value=measured.value if measured is not None else None,
        unit=measured.unit if measured is not None else None,
        bound=measured.bound if measured is not None else None,
        time=when,
        age_h=age,
        time_known=known,
        note=(f"{note}; {said}" if note else said) if said else note,
        by_text=by_text,
    )
