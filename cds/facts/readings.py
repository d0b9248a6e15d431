"""An Observation's value as a reading in its value set's unit: Quantities (remembered),
integers, numbers written as text, data-absent reasons, and what cannot be read, said."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from cds.errors import UnitError
from cds.facts import units
from cds.facts.bounds import COMPARATORS
from cds.facts.concepts import status_code, words_of
from cds.facts.negation import plain
from cds.facts.timing import FactContext
from cds.facts.units import NO_RULE, ReadingRule
from cds.facts.valueset_parts import Exclusion
from cds.fhir import Resource

NOT_MEASURED = frozenset(
    {
        "unknown",
        "asked-unknown",
        "temp-unknown",
        "not-asked",
        "asked-declined",
        "not-performed",
        "not-applicable",
    }
)
"""Data-absent reasons (FHIR's data-absent-reason codes) that say nothing was measured, or
nobody knows a value. Every other reason (error, not-a-number, masked, as-text, unsupported,
...) may hide a reading: it makes an unreadable fact."""


def json_image(qty: Mapping[str, Any]) -> bytes | None:
    """A Quantity's JSON image, the key it is remembered under (None: not remembered)."""
    try:
        return orjson.dumps(qty)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
        return None


def plain_quantity(
    qty: Mapping[str, Any], image: bytes | None, vs: str, canonical: str, ctx: FactContext
) -> Reading:
    """`quantity_value` of a value set's reading, remembered per pack under the Quantity's
    JSON image (its value's type included: 1, 1.0 and true read differently): a third of the
    cost of the call, whose cache hashes the value set's whole reading rule every time."""
    memo = ctx.index.quantities
    key = (vs, canonical, image) if image is not None else None
    reading = memo.get(key) if key is not None else None
    if reading is None:
        reading = quantity_value(qty, canonical, ctx.index.readings.get(vs, NO_RULE))
        if key is not None:
            if len(memo) > 50_000:
                memo.clear()
            memo[key] = reading
    return reading


Reading = tuple[float | None, str | None, str | None, str | None]


def read_value(part: Resource, canonical: str | None, rule: ReadingRule) -> Reading | None:
    """(value, unit, as recorded, problem) of an Observation or component; None when the
    source says plainly that nothing was measured (not done, not asked, declined, unknown)."""
    qty = part.get("valueQuantity")
    if canonical is not None and isinstance(qty, dict):  # the common case, read directly
        return quantity_value(qty, canonical, rule)
    absent = part.get("dataAbsentReason")
    if canonical is not None and absent is not None and "valueQuantity" not in part:
        reason = status_code(absent)
        if reason in NOT_MEASURED:
            return None
        # measured, perhaps, but not given to us (error, not-a-number, masked, ...): an
        # unreadable reading, so a danger sign behind it is said, not dropped
        return None, None, None, f"no value: data absent ({reason or 'no reason given'})"
    return _observation_value(part, canonical, rule)


def _observation_value(res: Resource, canonical: str | None, rule: ReadingRule) -> Reading:
    """(value in canonical unit, unit, as recorded, problem) of an Observation."""
    if canonical is None:
        concept = res.get("valueCodeableConcept")
        return None, None, words_of(concept) if concept else None, None
    qty = res.get("valueQuantity")
    if isinstance(qty, dict):
        return quantity_value(qty, canonical, rule)
    integer = res.get("valueInteger")
    if isinstance(integer, int) and not isinstance(integer, bool):
        return _quantity(integer, None, None, None, canonical, rule)
    text = res.get("valueString")
    if isinstance(text, str):
        split = units.split_value_text(text)
        if split is not None and split[1] is not None:  # a number and its unit ("150 bpm")
            number, unit = split
            value, unit_out, _, problem = _quantity(str(number), unit, None, None, canonical, rule)
            if problem is None:
                return value, unit_out, text, None
        elif split is not None and (rule.unit_implied or rule.by_range):
            # a bare number under a code that says its unit ("Pulse" valued "136": /min), or
            # in a range only one unit holds (38.9 °C), read as a valueInteger is (stop 25)
            return _quantity(str(split[0]), None, None, None, canonical, rule)
        elif split is not None:  # a bare number whose unit cannot be told
            return (
                None,
                None,
                text,
                f"value '{text}' is a number without a unit ({canonical} expected)",
            )
        return None, None, text, f"value '{text}' is not a number in {canonical}"
    if "valueCodeableConcept" in res or "valueInteger" in res:
        shown = (
            words_of(res.get("valueCodeableConcept"))
            if "valueCodeableConcept" in res
            else (str(res.get("valueInteger")))
        )
        return None, None, shown, f"value '{shown}' is not a number in {canonical}"
    return None, None, None, "no value recorded"


_TEXT_COMPARATORS = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "\u2264": "<=", "\u2265": ">="}
"""A comparator as a ``valueString`` writes it before its number, and the Quantity's own."""


def bound_in_text(part: Resource) -> Mapping[str, Any] | None:
    """The Quantity a ``valueString`` such as ``">999 mL"`` or ``"< 88 %"`` writes in words (a
    bladder scanner's cap, a device's floor): a comparator, one number and a unit, read as a
    ``valueQuantity`` with that comparator is (`cds.facts.bounds`). None for any other text,
    a bound without a unit among them (a bare number's unit cannot be told)."""
    text = part.get("valueString")
    if not isinstance(text, str) or len(text) > 40:
        return None
    stripped = text.strip()
    sign = stripped[:2] if stripped[:2] in _TEXT_COMPARATORS else stripped[:1]
    comparator = _TEXT_COMPARATORS.get(sign)
    split = units.split_value_text(stripped[len(sign) :]) if comparator else None
    if split is None or split[1] is None:
        return None
    number, unit = split
    return {"value": str(number), "unit": unit, "comparator": comparator}


def unit_excluded(excluded: Exclusion, part: Resource) -> bool:
    """Does a reading's unit (its Quantity's unit or code, or a ``valueString``) name a
    quantity its value set leaves out, read by the set's ``excluded_by_text``? A "PVR" in
    Wood units or dyn.s/cm5 is the pulmonary vascular resistance, no bladder volume: not read
    at all, not even as a unit to re-check."""
    qty = part.get("valueQuantity")
    said = (qty.get("unit"), qty.get("code")) if isinstance(qty, dict) else ()
    return any(
        isinstance(u, str) and excluded.search(plain(u)) is not None
        for u in (*said, part.get("valueString"))
    )


_CONTAINERS = (list, dict)
"""A Quantity's value that is a JSON array or object (a tuple: ``list | dict`` would build a
union type on every reading)."""


def quantity_value(qty: Mapping[str, Any], canonical: str, rule: ReadingRule) -> Reading:
    raw_value, unit, code = qty.get("value"), qty.get("unit"), qty.get("code")
    comparator = qty.get("comparator")
    if isinstance(raw_value, _CONTAINERS):
        raw_value = str(raw_value)
    return _quantity(
        raw_value,
        unit if isinstance(unit, str) else None,
        code if isinstance(code, str) else None,
        comparator if isinstance(comparator, str) else None,
        canonical,
        rule,
    )


@lru_cache(maxsize=65_536, typed=True)  # typed: True must not share 1's answer
def _quantity(
    raw_value: object,
    unit: str | None,
    code: str | None,
    comparator: str | None,
    canonical: str,
    rule: ReadingRule,
) -> Reading:
    """A Quantity read, converted and checked against what a living patient can show; pure,
    so remembered (feeds repeat values and units)."""
    source = f"{raw_value} {unit or code or ''}".strip()
    if comparator and comparator not in COMPARATORS:
        return None, None, source, f"value {comparator}{source} has a comparator not understood"
    try:
        number = units.parse_decimal(raw_value)
        found: str | None
        shown = source  # what the evidence shows: the reading as it was read
        if rule.fraction_as_percent and units.is_ratio_unit(unit, code) and 0 <= number <= 1:
            number, found = number * 100, canonical  # SpO2 0.97 ("1", "{ratio}") is 97 %
            shown = f"{units.to_number(number):g} {canonical} (sent as {raw_value})"
        else:
            found = units.canonical_unit(unit, code)
        if found is None and not unit and not code and rule.by_range:
            found = units.unit_by_range(rule, number)  # 101.5 can only be °F, 38.6 only °C
            if found is not None:
                said = units.UNIT_WORDS.get(found, found)
                shown = f"{raw_value} {said} (sent without a unit)"
        if found is None:
            if not rule.unit_implied:
                return None, None, source, f"value {source} has no unit"
            found = canonical  # a heart rate of 150 is 150 /min, whatever else it lacks
            if not unit and not code:
                shown = f"{raw_value} {canonical}".strip()
        converted = units.convert(number, found, canonical)
        odd = units.implausible(rule, converted, canonical)
        if odd is not None:
            return None, None, source, f"value {source} cannot be right: {odd}"
        value = units.to_number(converted)
    except UnitError as exc:
        return None, None, source, f"value {source} could not be read: {exc.message}"
    return value, canonical, f"{comparator}{shown}" if comparator else shown, None
