"""A vital sign written in any free text ("HPI: HR 136, pt anxious.", "SpO2 89% on RA", a
vital-signs line "BP 130/80 HR 136 RR 16 T 36.8 SpO2 98%"): the number after one of a value
set's ``text_lead_words`` (pack data) when the pack marks it ``text_is_reading``, read as a
reading of that value set itself, in its unit and plausible range. It becomes an Observation
fact with the record's words as evidence (``by_text``), so the rules on the value set decide,
a site's thresholds included, and a heart rate of 136 written in words raises the card a
coded one would.

What is no current reading is not one here either:

- advice, a goal or a threshold ("call if HR > 120", "keep SpO2 > 92%", "goal HR < 110"), a
  relative's, a denial's bound ("no HR > 100"): nothing;
- a number its words date weeks back ("HR 140 last week"): nothing;
- readings one after another ("HR 136 on arrival, 92 at discharge", "In triage HR 134;
  on reassessment HR 90", "HR 88 now (was 142 on arrival)", "HR 136 @ 0930, 92 @ 1100") or
  a trend ("HR 142 -> 96"): every one counts, as every coded reading within the rules'
  window does (the contract's "every reading counts"; emergency physician round er32: a
  tachycardia that settled with fluids still asks for an assessment), so a later normal
  number never hides an earlier one that crossed;
- a reading dated before now ("HR 136 yesterday", "HR 136 2 days ago", "HR 140 at home",
  "HR 136 yesterday, now 88"), one in doubt ("HR ~140", "HR 140?"), one in a past history ("PMH: SVT
  with HR 180s"), a bound ("HR > 140"), a number no living patient shows ("HR 400"): marked
  `IN_DOUBT`, a data-check item when it may be the sign
  (`cds.facts.measures_in_text.resolve_in_doubt`), never the emergency card;
- a range ("HR ranged 120-140", "SpO2 88-92%", "HR 140s": 140-149) is readings that were
  taken, so its worst end was seen: the sign when either end is one (the high end for a high
  threshold, the low for a low one), nothing when both are on the safe side ("HR 100-120");
  a range in doubt ("HR maybe 120-140") a data-check item. One watched over a span up to now
  ("on monitor overnight": the pack's ``range_watched``) is current, not dated earlier.

A saturation's number may follow how it was taken ("SpO2 on 2L 88%": the pack's
``text_setting_words``). Not a reading at all: "HR" or "RR" in lower case ("48 hr" is
hours), a pulse grade ("pulse 2+"), a fraction ("HR 10/10"), a number glued to letters ("RR
2L"), "P" outside a vital-signs line ("P 138" alone: a plan, a pain score or a page as often
as a pulse; "T 37.1 P 138 R 18" is read, by the pack's lead word)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cds.facts.answer_words import AnswerWords
from cds.facts.concepts import words_of
from cds.facts.measures_in_text import (
    ARROW,
    DECADE,
    IN_DOUBT,
    NEXT_NAME,
    OR_MORE,
    RANGE,
    UNREADABLE,
    clause_end,
    lead_gap,
    measures_in_text,
    sentence_start,
    unverified,
)
from cds.facts.model import Fact
from cds.facts.negation import assertion
from cds.facts.readings import quantity_value
from cds.facts.said_dates import clock_in_words, date_in_words, dated_timing
from cds.facts.said_measures import SaidMeasure, words_fact
from cds.facts.timing import FactContext
from cds.facts.units import NO_RULE, ReadingRule

_VALUE = re.compile(
    r"(?P<number>\d{1,3}(?:\.\d+)?)(?P<tens>(?<=0)s)?(?![\d.])"
    r"(?:\s*(?:-|–|to)\s*(?P<high>\d{1,3}(?:\.\d+)?)(?P<high_tens>(?<=0)s)?(?![\d.]))?"
    r"(?:\s*(?P<unit>%|/\s?min\b|/m\b|bpm\b|per min(?:ute)?\b|(?:beats|breaths)\s?/\s?min\b))?",
    re.IGNORECASE,
)
"""A number, or a range of two, or a decade ("140s"), and a unit of the vital signs."""
_NO_READING = re.compile(r"\+|/\s*\d|(?<=\d)[^\W\d_]")
"""Just after the number: a pulse grade ("2+"), a fraction ("10/10"), letters ("2L")."""
_NEAR = 24
"""How far before a lead word a goal or advice word makes its number no reading."""
_CHANGED_TO = re.compile(
    r"(?:(?:now|then|since|and)\s+)?(?:down|up|improved|decreased|increased|dropped|fell|rose|"
    r"came down|went (?:up|down)|back|returned|settled)(?:\s+to)?",
    re.IGNORECASE,
)
"""Words opening a later clause with the reading since ("HR 140, improved to 98")."""
_YEAR = re.compile(r"(?<![\d/.-])((?:19|20)\d\d)(?![\d/.-])")
"""A year written alone ("2023"), not a date's part ("11/25/2023") nor a number's."""
_WAS = re.compile(r"^(?:was|were|initially|originally|at first)\b", re.IGNORECASE)
"""Words before a later clause's number that date nothing themselves."""
_HEDGE_REACH = 16
"""How far after a number a hedge ("or so", "approx") makes it one in doubt."""
_LATER = re.compile(r"\s*(?P<pre>[^\d\n]{0,24}?)\s*(?=\d)")
_HAS_DIGIT = re.compile(r"\S*\d\S*")
_Measure = tuple[str, str, ReadingRule]


def readings_in_text(text: str, ctx: FactContext) -> tuple[SaidMeasure, ...]:
    """Each reading a number in ``text`` is, led by a ``text_is_reading`` value set's
    ``text_lead_words`` (a `SaidMeasure` with ``reading`` set; its ``bound`` `IN_DOUBT` when
    in doubt, `RANGE` and the high end for a range)."""
    index = ctx.index
    if not index.text_readings or not text:
        return ()
    out: list[SaidMeasure] = []
    for by in sorted(index.text_readings):
        patterns, canonical = index.text_leads.get(by), ctx.canonical_units.get(by)
        if patterns is None or canonical is None:
            continue
        leads, threshold = patterns
        measure = (by, canonical, index.readings.get(by, NO_RULE))
        found = [
            _read_at(text, lead, measure, index.answers, threshold, ctx.today.year)
            for lead in leads.finditer(text)
        ]
        for reads in found:  # every reading counts, as every coded one does
            out += reads
    return tuple(out)


def _read_at(
    text: str,
    lead: re.Match[str],
    measure: _Measure,
    words: AnswerWords,
    threshold: re.Pattern[str],
    year: int,
) -> list[SaidMeasure]:
    """The readings one lead word leads: its own number (each of a trend's: "HR 142 -> 96"),
    and the later ones its clauses date ("HR 136 on arrival, 92 at discharge"), by when they
    were taken: every one counts, as every coded reading does."""
    led = lead_gap(text, lead, words)
    if led is None:
        return []
    gap, above, below, hedged = led
    end = clause_end(text, gap.start("num"))
    cut = NEXT_NAME.search(text, gap.end("num"), end)  # "HR 136 RR 16": the next vital
    stop = cut.start() if cut else end
    value = _VALUE.match(text, gap.start("num"), stop)
    if value is None or _NO_READING.match(text, value.end()):
        return []
    trend = [value]
    while arrow := ARROW.match(text, value.end(), stop):  # "HR 142 -> 96": each was seen
        after = _VALUE.match(text, arrow.end(), stop)
        if after is None or _NO_READING.match(text, after.end()):
            break
        value = after
        trend.append(value)
    said = assertion(text, lead.start(), gap.end("num"))
    comparator = (
        ">=" if OR_MORE.search(text, value.end(), end) else ">" if above else "<" if below else ""
    )
    if said in ("family", "hypothetical") or (comparator and said in ("negated", "uncertain")):
        return []  # a relative's, advice ("call if HR > 120"), a bound denied or doubted
    near = sentence_start(text, lead.start()) if comparator else lead.start() - _NEAR
    if threshold.search(text, max(near, sentence_start(text, lead.start())), lead.start()):
        return []  # a goal or a threshold ("goal HR < 110", "keep SpO2 > 92%")
    paren = text.find("(", value.end(), stop)  # "HR 88 now (was 142 on arrival)"
    if paren >= 0:
        end = stop = paren
    rest = text[value.end() : stop]
    when = _when(rest, words)
    if when == "earlier" and (value["high"] or value["tens"]) and words.range_watched.search(rest):
        when = _when(words.range_watched.sub(" ", rest), words)  # watched up to now
    if when == "past":
        return []  # "HR 140 last week"
    # in doubt: a hedge, a bound, a denial's or a doubt's reach, a past history's ("PMH: SVT
    # with HR 180s": then or now?), a time before now
    doubt = hedged or bool(comparator) or said in ("negated", "uncertain", "historical")
    doubt = doubt or when == "earlier"
    # "Holter 2023: max HR 160": an old test's, never the emergency; but "Room 2019: HR 150"
    # reads alike, so in doubt (a data-check item), not silence
    doubt = doubt or _past_year(text, lead.start(), rest if not when else "", year)
    hedge = _HAS_DIGIT.sub(" ", rest[:_HEDGE_REACH])  # "HR 140 or so", not "after ... to ..."
    doubt = doubt or words.number_in_doubt.search(hedge) is not None
    first = [r for v in trend for r in _read(v, measure, IN_DOUBT + comparator if doubt else None)]
    later = [] if cut else _later(text, end, measure, words)
    return [*first, *(_doubted(r) if w == "earlier" else r for r, w in later)]


def _past_year(text: str, lead: int, rest: str, year: int) -> bool:
    """Does the reading's clause name a year before ``year``, before its lead word ("Exercise
    stress test 2024: max HR 165", "SVT in 2021 with HR 150") or after an undated number
    ("SVT with HR 150 in 2021")? An old test's or episode's reading, most likely: in doubt,
    never the emergency (er33), and never silence (a room or bed number reads alike)."""
    start = max(text.rfind(c, 0, lead) for c in ",;.\n") + 1
    return any(int(y) < year for y in _YEAR.findall(f"{text[start:lead]} {rest}"))


def _when(rest: str, words: AnswerWords) -> str:
    """When the words after a number date it: "past" (weeks back: no current reading),
    "earlier" (before now: yesterday, a span or a day back, at home: in doubt), "visit" (at
    this visit's start, "on arrival", or at a time of day, "@ 0930"), "now", or "" (undated:
    the record's own time). A reading of this visit, now or undated counts."""
    clock, rest = clock_in_words(rest)
    dated, rest = date_in_words(rest)
    if words.number_in_past.search(rest) and not words.number_now.search(rest):
        return "past"
    visit = words.this_visit.search(rest) is not None
    rest = words.this_visit.sub(" ", rest)
    if dated is not None or words.reported.search(rest):
        return "earlier"
    if words.same_day.search(rest):  # "HR 150 today", "SpO2 88% this AM": the record's day
        return "now"
    if words.number_recent.search(rest):  # "HR 136 yesterday", "last night"
        return "earlier"
    if words.number_now.search(rest):
        return "now"
    return "visit" if visit or clock is not None else ""


def _later(
    text: str, end: int, measure: _Measure, words: AnswerWords
) -> list[tuple[SaidMeasure, str]]:
    """The readings of the clauses after the first, each a number its words date ("now 88",
    "88 now", "improved to 98", "90s this AM", "(was 142 on arrival)"), with when; up to the
    first that is not (one undated bare number: when "")."""
    out: list[tuple[SaidMeasure, str]] = []
    while end < len(text) and text[end] in ",;(":
        start, end = end + 1, clause_end(text, end + 1)
        later = _LATER.match(text, start, end)
        if later is None:
            break
        value = _VALUE.match(text, later.end(), end)
        if value is None or _NO_READING.match(text, value.end()):
            break
        cut = NEXT_NAME.search(text, value.end(), end)  # "..., 92 BP 80/50": no date
        pre, rest = later["pre"].strip(), text[value.end() : cut.start() if cut else end]
        pre = _WAS.sub("", pre).strip()  # "(was 142 on arrival)": dated by its own words
        changed = bool(pre) and _CHANGED_TO.fullmatch(pre) is not None
        when = "now" if changed else _when(f"{pre} {rest}", words)
        if not when and not pre:
            out += [(r, "") for r in _read(value, measure, None)]
        if not when or (pre and not changed and _when(pre, words) != when):
            break  # undated, or other words before it ("RR 16": another measure)
        for read in _read(value, measure, None):
            out += [] if when == "past" else [(read, when)]
    return out


def _read(value: re.Match[str], measure: _Measure, bound: str | None) -> list[SaidMeasure]:
    """The number (or range, or decade) of ``value`` as a reading of ``measure``; a number no
    living patient shows is `UNREADABLE`."""
    vs, canonical, rule = measure
    unit = re.sub(r"\s", "", value["unit"]) if value["unit"] else None
    low, high = value["number"], value["high"]
    if value["tens"]:  # "140s": 140-149
        high = high or str(int(float(low)) + 9)
    ends = [_in_unit(n, unit, canonical, rule) for n in (low, high) if n is not None]
    if any(e is None for e in ends):
        return [SaidMeasure(vs, float(low), canonical, UNREADABLE, reading=True)]
    values = sorted(e for e in ends if e is not None)
    if len(values) == 1 or values[0] == values[-1]:
        return [SaidMeasure(vs, values[0], canonical, bound, reading=True)]
    if bound is not None:  # a range in doubt: each end a data-check item if it may be a sign
        return [SaidMeasure(vs, v, canonical, IN_DOUBT, reading=True) for v in values]
    decade = DECADE if value["tens"] and not value["high"] else ""  # "HR 130s": one reading
    return [SaidMeasure(vs, values[0], canonical, f"{RANGE}{decade}{values[-1]:g}", reading=True)]


def _in_unit(number: str, unit: str | None, canonical: str, rule: ReadingRule) -> float | None:
    value, found, _, problem = quantity_value({"value": number, "unit": unit}, canonical, rule)
    return value if problem is None and found is not None else None


def _doubted(read: SaidMeasure) -> SaidMeasure:
    if read.bound is not None and read.bound.startswith(RANGE):
        high = read.bound[len(RANGE) :].lstrip(DECADE)  # each end in doubt: either may be one
        return read._replace(bound=RANGE + IN_DOUBT + high)
    return read._replace(bound=read.bound or IN_DOUBT)


def condition_measures(
    concept: object,
    matched: Iterable[tuple[str, bool]],
    rid: str,
    timing: tuple[str | None, float, bool, str | None, float],
    ctx: FactContext,
) -> list[Fact]:
    """The signs and readings a Condition's words measure ("LBP, Tmax 101.5 at home", "LBP,
    HR 136": `measures_in_text`, `readings_in_text`), each a fact with its number, dated as
    the Condition is; no sign its words or codes name already (``matched``)."""
    words = words_of(concept)
    said = measures_in_text(words, {vs for vs, _ in matched}, ctx) + readings_in_text(words, ctx)
    return [measure_fact(m, rid, words, timing[:4], ctx) for m in said]


def measure_fact(
    m: SaidMeasure,
    rid: str,
    words: str,
    timing: tuple[str | None, float, bool, str | None],
    ctx: FactContext,
) -> Fact:
    """The fact of a number read in free text, dated by its own words when they give a span
    or a day ("T 38.9 2 days ago": the sign reported then, the rules' window decides); in
    doubt when that date cannot be placed."""
    if m.said_date is None:
        return words_fact(m.valueset, rid, words, timing, m)
    dated = dated_timing(m.said_date, timing, ctx)
    if dated is None:
        return words_fact(m.valueset, rid, words, timing, unverified(m._replace(said_date=None)))
    return words_fact(m.valueset, rid, words, dated, m)
