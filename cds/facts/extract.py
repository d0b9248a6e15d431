"""FHIR R4 resources (plain dicts, as EHRs send them) → facts.

Pure: resources, the evaluation time and the pack's value sets in; facts and data issues out.
Which records count follows the contract ("What data counts"): statuses, look-back times,
units. A record that belongs to a value set but cannot be read is kept as an *unreadable*
fact with a note, so a danger sign is never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar

import orjson

from cds.errors import UnitError
from cds.facts import units
from cds.facts.codes import normalize_code, normalize_system
from cds.facts.egfr import derived_egfr_facts
from cds.facts.model import DataIssue, Fact, FactKind
from cds.facts.times import age_in_years, epoch_microseconds, hours_from, read_time
from cds.pack.valuesets import Coding, ValueSetIndex

Resource = Mapping[str, Any]
R = TypeVar("R", bound=Mapping[str, Any])

CONDITION_ACTIVE = {"active", "recurrence", "relapse"}
VERIFICATION_EXCLUDED = {"refuted", "entered-in-error"}
OBSERVATION_COUNTED = {"final", "amended", "corrected"}
ORDER_ACTIVE = {"active", "on-hold"}
STATEMENT_ACTIVE = {"active", "on-hold", "intended"}
NOT_MEASURED = frozenset({"not-performed", "not-asked", "asked-declined", "not-applicable"})
"""Data-absent reasons (FHIR's data-absent-reason codes) that say no measurement was made.
Every other reason (error, not-a-number, masked, unknown, ...) may hide a reading: it makes
an unreadable fact."""


@dataclass(frozen=True)
class FactContext:
    """Everything fact building needs besides the resources."""

    now: datetime
    index: ValueSetIndex
    canonical_units: Mapping[str, str | None]
    """Value set id → the unit its values are compared in (None: unitless or not numeric)."""
    now_us: int = field(init=False, repr=False, compare=False)
    tz: tzinfo = field(init=False, repr=False, compare=False)
    """The evaluation time's zone: zone-less times in records are read in it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "now_us", epoch_microseconds(self.now))
        object.__setattr__(self, "tz", self.now.tzinfo or self.now.astimezone().tzinfo)


@dataclass
class Extraction:
    facts: list[Fact] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)


def extract_facts(
    resources: Iterable[Resource], drafts: Iterable[Resource], ctx: FactContext
) -> Extraction:
    """Build the facts of one patient's record and of the hook's draft orders."""
    out = Extraction()
    recorded = list(resources)
    lookup = medication_lookup(recorded)
    for res in recorded:
        _extract_one(res, ctx, out, lookup, draft=False)
    for res in drafts:
        _extract_one(res, ctx, out, lookup, draft=True)
    facts = _dedupe(out.facts)
    patient = next((r for r in recorded if r.get("resourceType") == "Patient"), None)
    facts += derived_egfr_facts(facts, patient, ctx)  # creatinine without an eGFR: CKD-EPI 2021
    return Extraction(_mark_latest(facts), out.issues)


def _extract_one(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], *, draft: bool
) -> None:
    rtype = res.get("resourceType")
    handler = _HANDLERS.get(rtype) if isinstance(rtype, str) else None
    if handler is None:
        return
    try:
        handler(res, ctx, out, meds, draft)
    except Exception as exc:  # a malformed record is reported, never a crash
        out.issues.append(DataIssue(rid=_rid(res), message=f"record could not be read: {exc}"))


def _items(value: object) -> list[Any]:
    """A FHIR array as feeds send it: a list, a single object instead of a list, or junk."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _rid(res: Resource) -> str:
    return f"{res.get('resourceType')}/{res.get('id', '?')}"


def _codings(concept: object) -> tuple[list[Coding], str]:
    """The codings and text of a CodeableConcept, tolerating what feeds get wrong."""
    if not isinstance(concept, dict):
        return [], ""
    codings = [  # _items: a single coding is often sent as an object
        Coding(str(c.get("system") or ""), str(c.get("code") or ""), str(c.get("display") or ""))
        for c in _items(concept.get("coding"))
        if isinstance(c, dict)
    ]
    text = concept.get("text")
    return codings, text if isinstance(text, str) else ""


def _words(concept: object) -> str:
    """What a concept says in words; its first code when it has no words."""
    codings, text = _codings(concept)
    return _words_of(codings, text)


def _words_of(codings: list[Coding], text: str) -> str:
    named = text or next((c.display for c in codings if c.display), "")
    if named:
        return named
    coded = next((c for c in codings if c.code), None)
    if coded is None:
        return "unnamed record"
    system = normalize_system(coded.system)
    return f"code {normalize_code(system, coded.code)} ({system or 'no system'})"


def read_concept(concept: object, index: ValueSetIndex) -> tuple[tuple[str, ...], str]:
    """(value sets, words) of a concept. Records repeat the same concepts endlessly (every
    heart rate carries 8867-4), so the answer is remembered per pack, bounded, under the
    concept's JSON image."""
    key: bytes | None = None
    if isinstance(concept, dict):
        try:
            key = orjson.dumps(concept)
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: read, not remembered
            key = None
    memo = index.concepts
    hit = memo.get(key) if key is not None else None
    if hit is None:
        codings, text = _codings(concept)
        hit = (tuple(sorted(index.match(codings, text))), _words_of(codings, text))
        if key is not None:
            if len(memo) > 50_000:
                memo.clear()
            memo[key] = hit
    return hit


def _status_text(status: object) -> str | None:
    """A plain ``status`` code, as ``_status_code`` reads it (without building a concept)."""
    return (status.strip().lower() or None) if isinstance(status, str) else None


def _status_code(concept: object) -> str | None:
    """The first code of a status CodeableConcept (its words when it has none), lower case."""
    if not isinstance(concept, dict):
        return None
    for c in _items(concept.get("coding")):
        code = c.get("code") if isinstance(c, dict) else None
        if code:
            return str(code).strip().lower()
    text = concept.get("text")
    return (text.strip().lower() or None) if isinstance(text, str) else None


def _timing(
    res: Resource, ctx: FactContext, *keys: str
) -> tuple[str | None, float, bool, str | None]:
    """(recorded time, age in hours, known, note) from the first time element present."""
    for key in keys:
        raw: object = res.get(key)
        if isinstance(raw, dict):  # a Period: its start
            raw = raw.get("start")
        if raw is None:
            continue
        read = read_time(raw, ctx.tz)
        if read is None:
            return str(raw), 0.0, False, f"time '{raw}' could not be read; treated as current"
        return str(raw), max(hours_from(read.epoch_us, ctx.now_us), 0.0), True, read.note
    return None, 0.0, False, None


def _condition(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    if _status_code(res.get("verificationStatus")) in VERIFICATION_EXCLUDED:
        return
    clinical = _status_code(res.get("clinicalStatus"))
    if clinical is not None and clinical not in CONDITION_ACTIVE:
        return
    when, age, known, note = _timing(res, ctx, "onsetDateTime", "onsetPeriod", "recordedDate")
    _concept_facts(res.get("code"), "condition", _rid(res), ctx, out, when, age, known, note)


def _concept_facts(
    concept: object,
    kind: FactKind,
    rid: str,
    ctx: FactContext,
    out: Extraction,
    when: str | None,
    age: float,
    known: bool,
    note: str | None,
    *,
    draft: bool = False,
) -> None:
    matched, display = read_concept(concept, ctx.index)
    for vs in matched:
        out.facts.append(
            Fact(
                kind=kind,
                valueset=vs,
                rid=rid,
                display=display,
                time=when,
                age_h=age,
                time_known=known,
                draft=draft,
                note=note,
            )
        )


def _observation(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    """An Observation, and each of its components (a vital-signs panel may carry the heart
    rate or temperature as a component rather than as an Observation of its own)."""
    status = res.get("status")
    if not isinstance(status, str) or status.strip().lower() not in OBSERVATION_COUNTED:
        return
    components = res.get("component")
    parts = [res, *(c for c in _items(components) if isinstance(c, dict))] if components else (res,)
    timing: tuple[str | None, float, bool, str | None] | None = None
    rid = ""
    for part in parts:
        matched, display = read_concept(part.get("code"), ctx.index)
        if not matched:
            continue
        if timing is None:  # read once, and only for observations we care about
            timing = _timing(
                res, ctx, "effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"
            )
            rid = _rid(res)
        when, age, known, note = timing
        for vs in matched:
            reading = _reading(part, ctx.canonical_units.get(vs), ctx)
            if reading is None:
                continue
            value, unit, source, problem = reading
            if problem:
                out.issues.append(DataIssue(rid=rid, message=problem))
            out.facts.append(
                Fact(
                    kind="observation",
                    valueset=vs,
                    rid=rid,
                    display=display,
                    value=value,
                    unit=unit,
                    source_value=source,
                    time=when,
                    age_h=age,
                    time_known=known,
                    understood=problem is None,
                    note=f"{note}; {problem}" if note and problem else note or problem,
                )
            )


def _reading(
    part: Resource, canonical: str | None, ctx: FactContext
) -> tuple[float | None, str | None, str | None, str | None] | None:
    """(value, unit, as recorded, problem) of an Observation or component; None when the
    source says plainly that nothing was measured (not done, not asked, declined)."""
    qty = part.get("valueQuantity")
    if canonical is not None and isinstance(qty, dict):  # the common case, read directly
        return _quantity_value(qty, canonical)
    absent = part.get("dataAbsentReason")
    if canonical is not None and absent is not None and "valueQuantity" not in part:
        reason = _status_code(absent)
        if reason in NOT_MEASURED:
            return None
        # measured, perhaps, but not given to us (error, not-a-number, masked, unknown, ...):
        # an unreadable reading, so a danger sign behind it is said, not dropped
        return None, None, None, f"no value: data absent ({reason or 'no reason given'})"
    return _observation_value(part, canonical, ctx)


def _observation_value(
    res: Resource, canonical: str | None, ctx: FactContext
) -> tuple[float | None, str | None, str | None, str | None]:
    """(value in canonical unit, unit, as recorded, problem) of an Observation."""
    if canonical is None:
        concept = res.get("valueCodeableConcept")
        return None, None, _words(concept) if concept else None, None
    qty = res.get("valueQuantity")
    if not isinstance(qty, dict):
        if "valueString" in res or "valueCodeableConcept" in res:
            shown = res.get("valueString") or _words(res.get("valueCodeableConcept"))
            return None, None, str(shown), f"value '{shown}' is not a number in {canonical}"
        return None, None, None, "no value recorded"
    return _quantity_value(qty, canonical)


def _quantity_value(
    qty: Mapping[str, Any], canonical: str
) -> tuple[float | None, str | None, str | None, str | None]:
    raw_value, unit, code = qty.get("value"), qty.get("unit"), qty.get("code")
    comparator = qty.get("comparator")
    if isinstance(raw_value, list | dict):
        raw_value = str(raw_value)
    return _quantity(
        raw_value,
        unit if isinstance(unit, str) else None,
        code if isinstance(code, str) else None,
        comparator if isinstance(comparator, str) else None,
        canonical,
    )


@lru_cache(maxsize=65_536, typed=True)  # typed: True must not share 1's answer
def _quantity(
    raw_value: object, unit: str | None, code: str | None, comparator: str | None, canonical: str
) -> tuple[float | None, str | None, str | None, str | None]:
    """A Quantity read and converted; pure, so remembered (feeds repeat values and units)."""
    source = f"{raw_value} {unit or code or ''}".strip()
    try:
        number = units.parse_decimal(raw_value)
        found = units.canonical_unit(unit, code)
        if found is None and canonical == "{score}":  # scores (GCS) are unitless: often no unit
            found = canonical
        if found is None:
            return None, None, source, f"value {source} has no unit"
        value = units.to_number(units.convert(number, found, canonical))
    except UnitError as exc:
        return None, None, source, f"value {source} could not be read: {exc.message}"
    return value, canonical, f"{comparator}{source}" if comparator else source, None


def _str(v: object) -> str | None:
    return v if isinstance(v, str) else None


def medication_lookup(resources: Iterable[R]) -> dict[str, R]:
    """The Medications among the resources, by their ``Medication/<id>`` reference."""
    return {
        f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"
    }


def medication_concept(res: Resource, meds: Mapping[str, Resource]) -> object:
    """The drug concept of a medication order or statement: its own, or that of the Medication
    it references (contained, or in ``meds``), or the reference's display as text."""
    if "medicationCodeableConcept" in res:
        return res.get("medicationCodeableConcept")
    ref = res.get("medicationReference")
    target = ref.get("reference") if isinstance(ref, Mapping) else None
    if not isinstance(target, str):
        return None
    if target.startswith("#"):
        for contained in _items(res.get("contained")):
            if isinstance(contained, Mapping) and contained.get("id") == target[1:]:
                return contained.get("code")
        return None
    key = "Medication/" + target.rsplit("Medication/", 1)[-1].split("/_history")[0]
    med = meds.get(key)
    if med is None and isinstance(ref, Mapping):
        return {"text": ref.get("display")} if ref.get("display") else None
    return med.get("code") if med is not None else None


def _medication_request(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    status = _status_text(res.get("status"))
    if not draft and status not in ORDER_ACTIVE:
        return
    when, age, known, note = _timing(res, ctx, "authoredOn")
    concept = medication_concept(res, meds)
    _concept_facts(concept, "medication", _rid(res), ctx, out, when, age, known, note, draft=draft)
    if draft:
        _reasons(res, ctx, out)


def _medication_statement(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    if _status_text(res.get("status")) not in STATEMENT_ACTIVE:
        return
    when, age, known, note = _timing(
        res, ctx, "effectiveDateTime", "effectivePeriod", "dateAsserted"
    )
    concept = medication_concept(res, meds)
    _concept_facts(concept, "medication", _rid(res), ctx, out, when, age, known, note)


def _service_request(
    res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool
) -> None:
    status = _status_text(res.get("status"))
    if not draft and status not in ORDER_ACTIVE:
        return
    when, age, known, note = _timing(res, ctx, "authoredOn", "occurrenceDateTime")
    _concept_facts(
        res.get("code"), "order", _rid(res), ctx, out, when, age, known, note, draft=draft
    )
    if draft:
        _reasons(res, ctx, out)


def _reasons(res: Resource, ctx: FactContext, out: Extraction) -> None:
    """A draft order's reasons count as diagnoses (the contract's scope)."""
    for concept in _items(res.get("reasonCode")):
        _concept_facts(concept, "condition", _rid(res), ctx, out, None, 0.0, False, None)


def _encounter(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    if _status_text(res.get("status")) == "entered-in-error":
        return
    when, age, known, note = _timing(res, ctx, "period")
    for concept in _items(res.get("reasonCode")):
        _concept_facts(concept, "condition", _rid(res), ctx, out, when, age, known, note)


def _patient(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    birth = read_time(res.get("birthDate"), ctx.tz)
    if birth is None:
        return
    years = age_in_years(birth.at.date(), ctx.now.date())
    out.facts.append(
        Fact(
            kind="patient",
            valueset="age",
            rid=_rid(res),
            display="age",
            value=float(years),
            unit="a",
            source_value=f"born {res.get('birthDate')}",
            age_h=0.0,
        )
    )


_HANDLERS = {
    "Condition": _condition,
    "Observation": _observation,
    "MedicationRequest": _medication_request,
    "MedicationStatement": _medication_statement,
    "ServiceRequest": _service_request,
    "Encounter": _encounter,
    "Patient": _patient,
}


def _dedupe(facts: list[Fact]) -> list[Fact]:
    """One fact per (resource, value set, draft): the same resource sent twice counts once.
    A readable one wins over an unreadable one (a panel's empty component must not hide its
    readable sibling in the same value set)."""
    seen: dict[tuple[str, str, str, bool], Fact] = {}
    for f in facts:
        key = (f.rid, f.kind, f.valueset, f.draft)
        kept = seen.get(key)
        if kept is None or (f.understood and not kept.understood):
            seen[key] = f
    return list(seen.values())


def _mark_latest(facts: list[Fact]) -> list[Fact]:
    """Flag all but the most recent readable observation of each value set as not latest."""
    newest: dict[str, Fact] = {}
    for f in facts:
        if f.kind == "observation" and f.understood and f.time_known:
            best = newest.get(f.valueset)
            if best is None or f.age_h < best.age_h:
                newest[f.valueset] = f
    for f in facts:
        if f.kind == "observation" and f.valueset in newest and newest[f.valueset] is not f:
            f.latest = False  # built a moment ago in this call: nothing else holds them yet
    return facts


def quantity_text(value: Decimal | float | None, unit: str | None) -> str:
    """A value with its unit for display."""
    return "" if value is None else f"{value} {unit or ''}".strip()
