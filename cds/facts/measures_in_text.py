"""A measure said in any free text ("HPI: LBP x3d. Tmax 101.5 at home", "T 38.9 in triage",
a problem's words "LBP, temp 39.2 this AM"): the number after one of the measuring value
set's ``text_lead_words`` (pack data), read as a sign's row reads its answer
(`cds.facts.said_measures`: the unit by range, 101.5 °F, 38.9 °C; "°F", "C", "deg"; the
pack's words after the number, ``answers.yaml``), and made the sign's Condition fact with
that number, kept by the rules' own threshold (`resolve_said_measures`: a site's setting moves
it), so "T 37.1" or "afebrile, Tmax 37.6" say nothing.

Every reading counts: a trend's ("T 39.2 -> 37.5"), and one after the first that its words
date or place ("T 37.0, 101.2 at home": a fever reported). A number its words date by a span
or a day ("T 38.9 2 days ago", "on 11/25") is the sign reported then, the rules' window
deciding, as a fever row's is (`cds.facts.said_dates`); a time of day ("at 14:00") is the
record's day. What is no reading is not one here either:

- a number its words place in the past ("Tmax 39 last week", "2 weeks ago"): nothing;
- a bound or threshold under a denial or advice ("no temps > 38", "denies T > 100.4", "call
  if temp > 100.4", "return for temp over 38", "fever defined as T ≥ 38"): nothing; the
  negation reader (`cds.facts.negation.assertion`) says which words deny or advise, the
  pack's ``threshold_words`` which define a threshold;
- a number in doubt ("T ?38.5", "~38.5", two units that disagree, a hedge after it, a bound
  affirmed, a denial's or a differential's reach over a plain number, a number no temperature
  can be unless its decimal point moved: "T 3.9", "T 389"): a fact marked `IN_DOUBT`, which
  `resolve_in_doubt` makes a data-check item when the rules' threshold says it may be the
  sign, and nothing when even its highest reading is below it; never an urgent card.

A number no temperature can be even with its decimal point moved ("T12 fracture", "T 4") is
not read: "T" leads a vertebra as often as a temperature. A vital-signs line ("BP 120/80 HR
88 RR 16 T 36.8 SpO2 98%") is read at its temperature only: the words after the number stop
at the next capitalised name with a number ("SpO2 98")."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from cds.facts.answer_words import AnswerWords, measure_pattern
from cds.facts.bounds import Region, resolve_value
from cds.facts.model import DataIssue, Fact
from cds.facts.negation import assertion
from cds.facts.readings import quantity_value
from cds.facts.said_dates import UNPLACED, clock_in_words, date_in_words
from cds.facts.said_measures import LOW_END, NOT_ONE, SaidMeasure, said_number
from cds.facts.timing import FactContext
from cds.facts.units import NO_RULE, ReadingRule

IN_DOUBT = "?"
"""The ``bound`` of a sign's Condition whose number in words is in doubt; after it, the
comparator it was said with ("?>": "T > 38"), or "!" when no reading can be it."""
DECADE = "s"
"""After `RANGE`, before the high end: a decade ("HR 130s"), one reading somewhere in it, not
a range of readings: the sign when every value is, a data-check item when some are."""
UNREADABLE = IN_DOUBT + "!"
"""The ``bound`` of a number no reading of its measure can be, whatever the thresholds."""
RANGE = IN_DOUBT + "~"
"""The ``bound`` of a range read as readings ("HR 120-140": `cds.facts.readings_in_text`),
its value the low end, then the high end (after `IN_DOUBT` when its record is unverified or
the words hedge it, "~38-39"): the sign when either end is one, as every reading counts."""

_NUMBER = measure_pattern(())
"""A number and its unit (or a range, or one reading in two units), then the rest."""
GAP = re.compile(r"(?P<gap>(?:(?![.,;]\s)[^\d\n;])*?)(?P<num>\d+(?:\.\d+)?)")
"""From a lead word to its number: the words between, on one line and in one clause."""
GAP_MOST = 24
_FILLER = re.compile(
    r"\b(?:was|is|were|of|reached|peaked at|up to|as high as|as low as|down to|measured|"
    r"recorded|at|than|in the|ranging|ranged|read|reads|reading|showed|shows|showing|"
    r"on (?:the )?monitor|on tele(?:metry)?)\b|[:=]",
    re.IGNORECASE,
)
"""Syntax between a lead word and its number that changes nothing ("temp was 39.2", "HR in
the 140s", "pulse ox read 82%")."""
ABOVE = re.compile(
    r">=?|≥|\b(?:over|above|greater|higher|more|exceeding|at least)\b", re.IGNORECASE
)
BELOW = re.compile(r"<=?|≤|\b(?:under|below|less|lower|at most)\b", re.IGNORECASE)
OR_MORE = re.compile(r"^\s*(?:\+|or (?:higher|more|above|greater|over)\b)", re.IGNORECASE)
"""After the number: a threshold, not a reading ("call if temp 100.4 or higher")."""
_CLAUSE_END = re.compile(r"[\n;,]|\.(?=\s|$)")
"""Where a number's words end: a comma, a semicolon, a line's or a sentence's end."""
NEXT_NAME = re.compile(r"(?<=\s)[A-Z][A-Za-z]*\d?[A-Za-z]*\s*[:=]?\s*\d")
"""The next capitalised name with a number in a vital-signs line ("SpO2 98", "HR 88")."""
_DECIMALS = re.compile(r"\d+(?:\.\d+)?")
ARROW = re.compile(r"\s*(?:-+>|=+>|→|⟶|⇒)\s*(?=\d)")
"""Between two readings of a trend ("HR 136 -> 98", "T 39.2 → 37.5"): the later after it."""


def measures_in_text(text: str, found: Iterable[str], ctx: FactContext) -> tuple[SaidMeasure, ...]:
    """Each sign a number in ``text`` measures, led by the measure's ``text_lead_words``, as
    read (a `SaidMeasure`, its ``bound`` `IN_DOUBT` when in doubt); none for a sign in
    ``found``, which the words affirm already."""
    index = ctx.index
    if not index.text_leads or not text:
        return ()
    out: list[SaidMeasure] = []
    for sign, by in index.measured_by.items():
        patterns = index.text_leads.get(by)
        canonical = ctx.canonical_units.get(by)
        if patterns is None or canonical is None or sign in found or by in index.text_readings:
            continue
        measure = (sign, canonical, index.readings.get(by, NO_RULE))
        leads, threshold = patterns
        for lead in leads.finditer(text):
            out += _said_at(text, lead, measure, index.answers, threshold)
    return tuple(out)


class LeadGap(NamedTuple):
    """What stands between a lead word and its number ("temp was 39.2", "HR > 140")."""

    gap: re.Match[str]
    """The words between (``gap``) and the number (``num``)."""
    above: bool
    """A comparator above ("HR > 140", "temp over 38"): a threshold, not a reading."""
    below: bool
    hedged: bool
    """A word of doubt ("T ~38.5", "HR maybe 140")."""


def lead_gap(text: str, lead: re.Match[str], words: AnswerWords) -> LeadGap | None:
    """The number a lead word leads and the words before it; None when there is none on its
    line and clause within ``GAP_MOST`` characters, or other words stand between ("temp
    normal at 10 am", "HR regular at 10 am": no number of this measure)."""
    gap = GAP.match(text, lead.end())
    if gap is None or len(gap["gap"]) > GAP_MOST:
        return None
    between = _FILLER.sub(" ", gap["gap"])
    above, below = ABOVE.search(between) is not None, BELOW.search(between) is not None
    hedged = words.number_in_doubt.search(between) is not None
    between = ABOVE.sub(" ", BELOW.sub(" ", between))
    if re.search(r"[^\W\d_]", words.number_in_doubt.sub(" ", between)):
        return None
    return LeadGap(gap, above, below, hedged)


def _said_at(
    text: str,
    lead: re.Match[str],
    measure: tuple[str, str, ReadingRule],
    words: AnswerWords,
    threshold: re.Pattern[str],
) -> list[SaidMeasure]:
    """The numbers one lead word leads, read: its own, then each clause after it that is a
    number its words date ("Tmax 38.9 last week, 39.1 today"); none that is no current
    reading and cannot be one (``measure``: the sign, the measure's unit and reading rule)."""
    led = lead_gap(text, lead, words)
    if led is None:
        return []
    gap, above, below, hedged = led
    end = clause_end(text, gap.end("num"))
    rest = text[gap.end("num") : end]
    comparator = ">=" if OR_MORE.search(rest) else ">" if above else "<" if below else ""
    said = assertion(text, lead.start(), gap.end("num"))
    if said in ("family", "hypothetical") or (comparator and said in ("negated", "uncertain")):
        return []  # a relative's, advice ("call if temp > 38"), or a threshold denied or doubted
    if comparator and threshold.search(text, sentence_start(text, lead.start()), lead.start()):
        return []  # a threshold defined ("fever defined as T ≥ 38")
    doubt = hedged or said in ("negated", "uncertain")
    starts, stops = [gap.start("num")], []
    arrow = ARROW.match(text, gap.end("num"), end)
    while arrow is not None:  # "T 39.2 -> 37.5": a trend, each a reading (every one counts)
        stops.append(arrow.start())
        starts.append(arrow.end())
        number = _DECIMALS.match(text, arrow.end())
        arrow = ARROW.match(text, number.end(), end) if number else None
    out = []
    for start, stop in zip(starts, [*stops, end], strict=True):
        read = _reading(text, start, stop, measure, words, doubt, said, comparator)
        out += [read] if read is not None else []
    while end < len(text) and text[end] == ",":  # "Tmax 38.9 last week, 39.1 today"
        start = end + 1 + len(text[end + 1 :]) - len(text[end + 1 :].lstrip(" "))
        end = clause_end(text, start)
        dated = _NUMBER.fullmatch(text[start:end].rstrip())
        rest = dated["rest"] if dated is not None else ""
        if dated is None or not (
            words.number_in_past.search(rest)
            or words.number_recent.search(rest)
            or words.reported.search(rest)  # "T 37.0, 101.2 at home": a fever reported
            or date_in_words(rest)[0] not in (None, UNPLACED)
        ):
            break
        read = _reading(text, start, end, measure, words, doubt, said, "")
        out += [read] if read is not None else []
    return out


def clause_end(text: str, i: int) -> int:
    end = _CLAUSE_END.search(text, i)
    return end.start() if end else len(text)


def _reading(
    text: str,
    start: int,
    end: int,
    measure: tuple[str, str, ReadingRule],
    words: AnswerWords,
    doubt: bool,
    said: str,
    comparator: str,
) -> SaidMeasure | None:
    """The number at ``start`` and its words to ``end`` (its clause), read as a row's answer
    is: None when its words date it in the past or it is no reading of the measure at all;
    `IN_DOUBT` when the words around it (``doubt``, ``said``: what the negation reader says of
    it, a ``comparator``) or after it put it in doubt."""
    sign, canonical, rule = measure
    whole_rest = text[start:end]
    number = _DECIMALS.match(whole_rest)
    if number is None:
        return None
    cut = NEXT_NAME.search(text, start + number.end(), end)
    # "T 38.9 at 14:00": a time of day, the record's day; "T 38.9 2 days ago": dated so; up
    # to the next vital's name ("T 38.9 BP 90/60": no date)
    own = text[start + number.end() : cut.start() if cut else end]
    dated, own = date_in_words(clock_in_words(own)[1])
    whole_rest = own + (text[cut.start() : end] if cut else "")
    if words.number_in_past.search(whole_rest) and not words.number_recent.search(whole_rest):
        return None  # "Tmax 39 last week": no current reading
    match = _NUMBER.fullmatch(text[start : cut.start() if cut else end].rstrip())
    read = said_number(match, sign, canonical, rule) if match is not None else None
    if read is None:  # "T 3.9": a temperature only with its decimal point moved
        return _moved(number[0], sign, canonical, rule)
    if read == NOT_ONE or not isinstance(read, SaidMeasure) or match is None:
        return SaidMeasure(sign, float(number[0]), canonical, UNREADABLE)
    rest = date_in_words(clock_in_words(match["rest"])[1])[1]
    recent = dated is not None or words.number_recent.search(whole_rest) is not None
    if (
        comparator
        or doubt
        or dated is UNPLACED
        or words.number_in_doubt.search(rest)
        or (words.number_over.search(rest) and not recent)
        or (said == "historical" and not recent)
    ):
        return _doubted(read, comparator)
    return read._replace(said_date=dated)


def _doubted(read: SaidMeasure, comparator: str) -> SaidMeasure:
    """A number in doubt: `IN_DOUBT` and its comparator; a range ("~38-39") a `RANGE` in
    doubt, so its high end is tested too, never its low end alone."""
    if read.bound and read.bound.startswith(LOW_END) and len(read.bound) > len(LOW_END):
        return read._replace(bound=RANGE + IN_DOUBT + read.bound[len(LOW_END) :])
    return read._replace(bound=IN_DOUBT + comparator)


def sentence_start(text: str, i: int) -> int:
    """Where the sentence holding ``i`` starts (after a full stop, a semicolon, a line)."""
    starts = [text.rfind(c, 0, i) for c in (". ", ";", "\n")]
    return max(starts) + 1 if max(starts) >= 0 else 0


def _moved(number: str, sign: str, canonical: str, rule: ReadingRule) -> SaidMeasure | None:
    """A number no temperature is as written ("T 3.9", "T 389") read with its decimal point
    moved, the highest reading it may be, in doubt; None when none is a reading ("T12")."""
    digits = number.replace(".", "")
    best: tuple[float, str] | None = None
    for i in range(1, len(digits) + 1):
        value, unit, _, problem = quantity_value(
            {"value": f"{digits[:i]}.{digits[i:] or '0'}", "unit": None}, canonical, rule
        )
        if problem is None and value is not None and unit is not None:
            if best is None or value > best[0]:
                best = (value, unit)
    if best is None:
        return None
    return SaidMeasure(sign, best[0], best[1], IN_DOUBT)


def resolve_in_doubt(
    facts: list[Fact],
    reach: Mapping[tuple[str, str], Sequence[Region]],
    measured_by: Mapping[str, str],
    names: Mapping[str, str] | None = None,
) -> tuple[list[Fact], list[DataIssue]]:
    """``facts`` without the signs and readings read from a number in doubt (`IN_DOUBT`), and
    a data-check item for each that the rules' threshold on its measuring value set (a
    reading's own: ``names`` say what each measures, "a heart rate") says may be the sign
    (its number, or a value its bound allows, crossing it; or no reading at all). A range of
    readings (`RANGE`: "HR ranged 120-140 on monitor") is the sign when either end crosses:
    its worst end was seen (the end in the sign's direction, "SpO2 88-92%": 88), kept as a
    reading at that end with a note; left out when neither does; a data-check item when its
    record is unverified or its words hedge it and an end crosses."""
    if not any(f.bound and f.bound.startswith(IN_DOUBT) for f in facts):
        return facts, []
    out, issues = [], []
    for f in facts:
        reading = f.kind == "observation" and f.by_text
        if not (
            f.bound and f.bound.startswith(IN_DOUBT) and (reading or f.valueset in measured_by)
        ):
            out.append(f)
            continue
        regions = reach.get(("observation", f.valueset if reading else measured_by[f.valueset]), ())
        name = (names or {}).get(f.valueset, "a reading") if reading else None
        if f.bound.startswith(RANGE) and f.value is not None:
            high, doubted = f.bound[len(RANGE) :], f.bound[len(RANGE) :].startswith(IN_DOUBT)
            ends = (f.value, float(high[len(IN_DOUBT) :] if doubted else high.lstrip(DECADE)))
            crossing = [v for v in ends if resolve_value(v, None, regions).sign == "certain"]
            if doubted and crossing:  # unverified: never the sign by itself
                issues.append(_in_doubt(f, None, name))
            elif high.startswith(DECADE) and len(crossing) == 1:  # "HR 130s": one reading
                issues.append(_range_in_doubt(f, name or "a reading", crossing[0] == ends[1]))
            elif crossing:  # every reading counts: the end in the sign's direction decides
                out += _range_ends(f, ends, crossing, regions)
            continue
        comparator = f.bound[len(IN_DOUBT) :] or None
        if comparator == "!" or (
            f.value is not None and resolve_value(f.value, comparator, regions).sign != "none"
        ):
            issues.append(_in_doubt(f, comparator, name))
    return out, issues


def _in_doubt(f: Fact, comparator: str | None, name: str | None = None) -> DataIssue:
    bound = comparator and comparator != "!"
    if name is not None:  # a vital sign's reading in words ("HR 136 yesterday", "HR 400")
        why = (
            "as a bound or a threshold, not a reading"
            if bound
            else "outside what a living patient shows (a slip or another measure?)"
            if comparator == "!"
            else "dated before now, or in doubt as written (a hedge, a denial's reach)"
        )
        return DataIssue(
            rid=f.rid,
            message=f"“{f.display}”: {name} in words {why}: perhaps a danger sign, not surely",
            recheck=f"{name} now, with whoever recorded it",
            headline=f"“{f.display}”: {name} in words, in doubt",
            possible_sign=True,
        )
    why = (
        "as a bound or a threshold, not a reading"
        if bound
        else "in doubt as written (a hedge, a unit, a decimal point, a denial's reach)"
    )
    return DataIssue(
        rid=f.rid,
        message=f"“{f.display}”: a temperature in words {why}: perhaps a fever, not surely",
        recheck="the temperature itself, with whoever recorded it",
        headline=f"“{f.display}”: a fever in words, in doubt",
        possible_sign=True,
    )


def _range_ends(
    f: Fact, ends: tuple[float, float], crossing: list[float], regions: Sequence[Region]
) -> list[Fact]:
    """A range of readings whose ``crossing`` ends are signs: a reading at each end that
    crosses a different sign's threshold ("HR 35-140": slow and fast), one at the low end
    when both cross the same ("HR 135-150"), each with a note saying the range reached it."""
    both = len(crossing) == 2 and any(
        resolve_value(ends[0], None, [r]).sign == "certain"
        and resolve_value(ends[1], None, [r]).sign == "certain"
        for r in regions
    )
    out = []
    for value in crossing[:1] if both else crossing:
        end = "both ends" if both else f"its {'low' if value == ends[0] else 'high'} end"
        said = f"a range of readings: {end} ({value:g}) reached the sign's threshold"
        note = f"{f.note}; {said}" if f.note else said
        out.append(replace(f, value=value, bound=None, note=note))
    return out


def _range_in_doubt(f: Fact, name: str, high: bool) -> DataIssue:
    end = "high" if high else "low"
    return DataIssue(
        rid=f.rid,
        message=(
            f"“{f.display}”: {name} in words given as a decade that crosses a danger sign's "
            f"threshold at its {end} end only: perhaps a sign, not surely"
        ),
        recheck=f"{name} now, with whoever recorded it",
        headline=f"“{f.display}”: a decade, a sign only at its {end} end?",
        possible_sign=True,
    )


def unverified(said: SaidMeasure) -> SaidMeasure:
    """A number in the words of a record nobody has validated yet: in doubt (a data-check
    item when it may be the sign), never the sign by itself."""
    if said.bound and said.bound.startswith(RANGE):  # "HR 120-140": each end in doubt
        return (
            said
            if said.bound[len(RANGE) :].startswith(IN_DOUBT)
            else said._replace(bound=RANGE + IN_DOUBT + said.bound[len(RANGE) :].lstrip(DECADE))
        )
    if said.bound and said.bound.startswith(IN_DOUBT):
        return said
    return _doubted(said, said.bound or "")
