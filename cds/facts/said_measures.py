"""A measure written in a sign's row ("Fever" valued "Tmax 38.9 at home", "102 at home"):
the number read in the unit of the value set that measures the sign (``measured_by``), and
the sign kept only when the rules' own thresholds call that number a sign.

The row's name asks the sign; its answer gives the number the patient or a clinician
measured. Read as the pack reads a reading of the measuring value set (its unit, its
``unit_by_range`` for a number sent with no unit, its ``plausible`` range), it is the sign
reported in words when it is at or above the threshold of a rule on that value set
(`CompiledRuleset.reach`, so a site's settings move it here too), and nothing below it
("Fever: Tmax 37.4" says nothing alarming). A number in doubt ("?38", "38-39", "~38") or
one that cannot be read stays the row's unclear answer: a data-check item, never a sign.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from cds.facts.answer_words import measure_pattern
from cds.facts.bounds import Region
from cds.facts.model import Fact
from cds.facts.readings import quantity_value
from cds.facts.timing import FactContext
from cds.facts.units import NO_RULE, UNIT_WORDS

_DOUBT = re.compile(
    r"[?~≈]|\d|\b(?:or|to|approx\w*|about|around|maybe|possibl\w*|probabl\w*|unsure"
    r"|not sure|unknown|unclear|reportedly|estimated|est)\b|^\s*[-–/]",
    re.IGNORECASE,
)
"""What in the rest of the answer puts its number in doubt: a question or tilde, a second
number (a range "38-39", "38 to 39", another reading), a hedge."""
_BARE = measure_pattern(())
"""A number measuring a value set without ``lead_words``: no word before it."""


class SaidMeasure(NamedTuple):
    """A sign's number read from a row's words: the sign's value set, the number in the
    measuring value set's unit, and that unit."""

    valueset: str
    value: float
    unit: str


def measure_in_words(answer: str, signs: Iterable[str], ctx: FactContext) -> SaidMeasure | None:
    """The number a row's answer gives for one of its ``signs`` that a value set measures
    (``measured_by``), read in that value set's unit; None when the answer is no such number
    or cannot be read (out of the unit's ranges, implausible, in doubt)."""
    index = ctx.index
    measured = [(vs, index.measured_by[vs]) for vs in signs if vs in index.measured_by]
    if not measured:
        return None
    answer = answer.strip()
    for vs, by in measured:
        canonical = ctx.canonical_units.get(by)
        if canonical is None:
            continue
        # the number, led by the measure's own words ("Tmax", "temp": ``lead_words``)
        match = index.measures.get(by, _BARE).fullmatch(answer)
        if match is None or _DOUBT.search(match["rest"]):
            continue
        unit = match["unit"]
        if unit is not None and len(unit) == 1:
            unit = unit.upper()  # "101.5f": the UCUM reader knows "F" and "C"
        rule = index.readings.get(by, NO_RULE)
        value, found, _, problem = quantity_value(
            {"value": match["number"], "unit": unit}, canonical, rule
        )
        if problem is None and value is not None and found is not None:
            return SaidMeasure(vs, value, found)
    return None


def resolve_said_measures(
    facts: list[Fact],
    reach: Mapping[tuple[str, str], Sequence[Region]],
    measured_by: Mapping[str, str],
) -> list[Fact]:
    """``facts`` with each sign read from a number in words (a Condition fact with a value,
    `measure_in_words`) kept when a rule on its measuring value set calls that number a sign
    (a verified reading's threshold), without the number, and left out when none does."""
    if not any(f.value is not None and f.kind == "condition" and f.by_text for f in facts):
        return facts
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
        regions = reach.get(("observation", measured_by[f.valueset]), ())
        if any(_sign_at(r, f.value) for r in regions):
            note = f.note
            if f"{f.value:g}" not in f.display:  # "102 at home": the number it was read as
                unit = UNIT_WORDS.get(f.unit or "", f.unit or "")
                said = f"read as {f.value:.1f} {unit}".strip()
                note = f"{note}; {said}" if note else said
            out.append(replace(f, value=None, unit=None, note=note))
    return out


def _sign_at(region: Region, value: float) -> bool:
    """Whether a verified, readable reading of ``value`` is in a pattern's value range."""
    if not region.understood or region.verified is False:
        return False
    if region.lowest is None and region.highest is None:
        return False
    low, high = region.lowest, region.highest
    above = low is None or (value > low if region.lowest_strict else value >= low)
    below = high is None or (value < high if region.highest_strict else value <= high)
    return above and below
