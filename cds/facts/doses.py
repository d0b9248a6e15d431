"""An ingredient coded alone whose dose says what the medicine is (a value set's
``dose_decides``): aspirin coded RxNorm 1191 is an NSAID at an analgesic dose (325 mg or
more a dose) and low-dose aspirin, a blood thinner, below it (the threshold is pack data).

EHRs send such an order with its dose elsewhere (integrator review int25), so every place an
order says a dose is read: a strength in the order's words after the ingredient's name ("aspirin
325 MG Oral Tablet" as a coding's display, "aspirin 325 mg tablet" as its text), its
``dosageInstruction`` (a ``doseQuantity`` or ``doseRange`` in milligrams or grams, a count of
tablets with the one strength the order names, or its words: "650 mg PO q6h prn pain"), and
the ``ingredient.strength`` of a Medication it references. A product code or words that place
the order in one of the two value sets already count as one more dose said.

When every dose said is on one side of the threshold, the order moves to that side's value
set. When none is said it stays in the declaring value set (a dose not known). Doses that
disagree, or one that no dose of the medicine can be (650 g, a dose per kg, one in mL), keep
it there too, and a draft order so is a data-check item naming what was read, never silence.
What stays here is general syntax: numbers, mass units and tablet counts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final, NamedTuple

from cds.facts.concepts import as_list, codings_of, medication_of, rid_of, words_of
from cds.facts.model import DataIssue
from cds.facts.valueset_parts import DoseRule
from cds.facts.valuesets import ValueSetIndex
from cds.fhir import Resource

_MILLIGRAMS: Final = {
    **dict.fromkeys(("mg", "milligram", "milligrams"), Decimal(1)),
    **dict.fromkeys(("g", "gm", "gram", "grams"), Decimal(1000)),
    **dict.fromkeys(("mcg", "ug", "µg", "microgram", "micrograms"), Decimal("0.001")),
}
"""A mass unit, as a Quantity's code or unit or in words → milligrams in one of it."""

_COUNTS: Final = frozenset(
    {
        *("1", "each", "ea", "tbl", "tab", "tabs", "tablet", "tablets", "caplet", "caplets"),
        *("cap", "caps", "capsule", "capsules"),
    }
)
"""Units counting tablets or capsules (UCUM annotations without their braces: ``{tbl}``)."""

_AMOUNT: Final = re.compile(
    r"(?<![\w.,])(?P<n>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*"
    r"(?P<u>mg|milligrams?|g|gm|grams?|mcg|ug|µg|micrograms?)(?![\w])"
    r"(?:\s*/\s*(?P<per>kg|m2|m²|ml|l|day|d|24\s*h\w*)\b)?",
    re.IGNORECASE,
)
"""An amount of a mass in words ("650 mg", "1 g", "81mg"), with what it is per, if anything."""

_BOUND_BEFORE: Final = re.compile(
    r"\b(?:max(?:imum)?|not to exceed|do not exceed|nte|no more than|up to|limit)\b\W*$",
    re.IGNORECASE,
)
"""Words before an amount that make it a limit ("max 4000 mg a day"), not the dose."""

_DAILY: Final = frozenset({"day", "d"})
_LIQUID: Final = frozenset({"ml", "l"})
_SPLIT: Final = re.compile(r"[/+;,]")
"""Between a name and an amount: another ingredient's ("aspirin / caffeine 65 mg")."""


class Said(NamedTuple):
    """One dose the order says: milligrams (None: not a mass), where, and how it reads."""

    mg: Decimal | None
    said: str


def dosed(
    matched: tuple[tuple[str, bool], ...],
    res: Resource,
    concept: object,
    meds: Mapping[str, Resource],
    index: ValueSetIndex,
    issues: list[DataIssue] | None,
) -> tuple[tuple[str, bool], ...]:
    """The value sets of a medicine order or statement once its dose is read: ``matched``
    itself unless an ingredient whose dose decides is coded in it (or in the ingredients of
    the Medication it references). ``issues`` (a draft's) gets the data-check item of doses
    that disagree or cannot be a dose of the medicine."""
    found = dict(matched)
    med = medication_of(res, meds) if "medicationReference" in res else None
    for rule in index.doses.values():
        ingredients = _ingredients(med, rule, index) if med is not None else []
        if rule.own not in found and not ingredients:
            continue
        strengths, doses, wrong = _read(res, concept, med, ingredients, rule)
        sides = {_side(rule, s.mg) for s in [*strengths, *doses] if _plausible(rule, s.mg)}
        wrong += [s for s in [*strengths, *doses] if not _plausible(rule, s.mg)]
        sides |= {side for side in (rule.then, rule.below) if side in found}
        if wrong or len(sides) > 1:
            for side in (rule.then, rule.below):
                found.pop(side, None)
            found.setdefault(rule.own, False)
            if issues is not None:
                issues.append(_unclear(res, concept, rule, [*strengths, *doses], wrong))
        elif sides:
            side = sides.pop()
            for gone in (rule.own, rule.then, rule.below):
                if gone != side:
                    found.pop(gone, None)
            found.setdefault(side, False)
        else:
            found.setdefault(rule.own, False)
    return tuple(sorted((vs, by_text) for vs, by_text in found.items()))


def _side(rule: DoseRule, mg: Decimal | None) -> str:
    return rule.then if mg is not None and mg >= rule.at_least else rule.below


def _plausible(rule: DoseRule, mg: Decimal | None) -> bool:
    return mg is not None and rule.low <= mg <= rule.high


def _ingredients(med: Mapping[str, Any], rule: DoseRule, index: ValueSetIndex) -> list[Any]:
    """The ingredients of a Medication that are the rule's (by code or by name)."""
    out = []
    for ingredient in as_list(med.get("ingredient")):
        item = ingredient.get("itemCodeableConcept") if isinstance(ingredient, dict) else None
        codings, text = codings_of(item)
        if rule.own in index.match(codings) or any(
            rule.words.search(w) for w in (text, *(c.display for c in codings)) if w
        ):
            out.append(ingredient)
    return out


def _read(
    res: Resource,
    concept: object,
    med: Mapping[str, Any] | None,
    ingredients: list[Any],
    rule: DoseRule,
) -> tuple[list[Said], list[Said], list[Said]]:
    """(strengths, doses, doses in no mass unit) the order says."""
    strengths: list[Said] = []
    wrong: list[Said] = []
    codings, text = codings_of(concept)
    for words in dict.fromkeys(w for w in (text, *(c.display for c in codings)) if w):
        strengths += _named_strengths(words, rule)
    for ingredient in ingredients:
        ratio = ingredient.get("strength")
        ratio = ratio if isinstance(ratio, dict) else {}
        per = ratio.get("denominator")
        if isinstance(per, dict) and _unit(per) not in _COUNTS | {""}:
            continue  # a liquid's strength per mL says no dose
        said = _quantity(ratio.get("numerator"), "a strength of")
        if said is not None:
            (strengths if said.mg is not None else wrong).append(said)
    doses: list[Said] = []
    counts: list[tuple[Decimal, str]] = []
    for dosage in as_list(res.get("dosageInstruction") or res.get("dosage")):
        spoken = dosage.get("text") if isinstance(dosage, dict) else None
        if isinstance(spoken, str):
            doses += _instructed(spoken, wrong)
        for rate in as_list(dosage.get("doseAndRate")) if isinstance(dosage, dict) else []:
            rng = rate.get("doseRange") if isinstance(rate, dict) else None
            given = [rate.get("doseQuantity")] if isinstance(rate, dict) else []
            given += [rng.get("low"), rng.get("high")] if isinstance(rng, dict) else []
            for quantity in given:
                counted = _count(quantity)
                if counted is not None:
                    counts.append(counted)
                elif (said := _quantity(quantity, "a dose of")) is not None:
                    (doses if said.mg is not None else wrong).append(said)
    each = {s.mg for s in strengths}
    if len(each) == 1 and (mg := next(iter(each))) is not None:  # 2 tablets of 325 mg
        doses += [Said(n * mg, f"{_plain(n)} {unit} of {_plain(mg)} mg") for n, unit in counts]
    return strengths, doses, wrong


def _named_strengths(words: str, rule: DoseRule) -> list[Said]:
    """The strength the order's name gives after the ingredient's name ("aspirin EC 81 mg"),
    not another ingredient's ("aspirin / caffeine 65 mg"); with no such name, the one amount
    the words hold, if they hold only one."""
    out: list[Said] = []
    names = list(rule.words.finditer(words))
    for name in names:
        m = _AMOUNT.search(words, name.end())
        if m and not m["per"] and not _SPLIT.search(words, name.end(), m.start()):
            out.append(_said(m, f"{m[0].strip()} in its name"))
    if not names:
        amounts = list(_AMOUNT.finditer(words))
        if len(amounts) == 1 and not amounts[0]["per"]:
            out.append(_said(amounts[0], f"{amounts[0][0].strip()} in its name"))
    return out


def _instructed(words: str, wrong: list[Said]) -> list[Said]:
    """The amounts a dosage's words give as a dose ("650 mg PO q6h prn pain"), leaving out a
    limit ("max 4 g/day") and a liquid's strength; a dose per kg or m² is no dose in mg."""
    out: list[Said] = []
    for m in _AMOUNT.finditer(words):
        per = (m["per"] or "").lower()
        if _BOUND_BEFORE.search(words, 0, m.start()) or per in _DAILY or per in _LIQUID:
            continue
        if per.startswith("24"):
            continue
        said = _said(m, f'"{m[0].strip()}" in its instructions')
        if per:
            wrong.append(Said(None, said.said))
        else:
            out.append(said)
    return out


def _said(m: re.Match[str], said: str) -> Said:
    number = Decimal(m["n"].replace(",", ""))
    return Said(number * _MILLIGRAMS[m["u"].lower()], said)


def _unit(quantity: Mapping[str, Any]) -> str:
    unit = quantity.get("code") or quantity.get("unit")
    return str(unit).strip().strip("{}").lower() if unit is not None else ""


def _number(quantity: object) -> Decimal | None:
    value = quantity.get("value") if isinstance(quantity, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number > 0 else None


def _count(quantity: object) -> tuple[Decimal, str] | None:
    """A dose counted in tablets or capsules ("2 {tbl}"): (how many, the unit as sent)."""
    number = _number(quantity)
    if number is None or not isinstance(quantity, dict) or _unit(quantity) not in _COUNTS:
        return None
    shown = quantity.get("unit") or quantity.get("code")
    return number, str(shown).strip() or "tablets"


def _quantity(quantity: object, what: str) -> Said | None:
    """A Quantity as a dose said: in milligrams, or with ``mg`` None when its unit is no
    mass (mL, none at all); None when it holds no number."""
    number = _number(quantity)
    if number is None or not isinstance(quantity, dict):
        return None
    unit = _unit(quantity)
    shown = f"{what} {_plain(number)} {quantity.get('unit') or quantity.get('code') or ''}"
    factor = _MILLIGRAMS.get(unit)
    return Said(number * factor if factor is not None else None, shown.strip())


def _plain(number: Decimal) -> str:
    return f"{number.normalize():f}"


def _unclear(
    res: Resource, concept: object, rule: DoseRule, said: list[Said], wrong: list[Said]
) -> DataIssue:
    """The data-check item of an order whose doses disagree or cannot be a dose."""
    name = words_of(concept)[:60]
    read = "; ".join(dict.fromkeys(s.said for s in said if s not in wrong)) or "none"
    if wrong:
        odd = "; ".join(dict.fromkeys(s.said for s in wrong))
        bounds = f"{_plain(rule.low)}-{_plain(rule.high)} mg"
        why = f"{odd}, which cannot be {rule.reading} ({bounds})"
        short = "dose not understood"
    else:
        why = f"doses that disagree ({read})"
        short = "doses disagree"
    return DataIssue(
        rid=rid_of(res),
        message=(
            f"draft order for {name} with {why}; at {_plain(rule.at_least)} mg or more a dose "
            f"it is {rule.then_said}, below it {rule.below_said}: which it is was not decided"
        ),
        recheck=f"the dose of the {name} order, and its cautions",
        headline=f"{name} order: {short}",
    )
