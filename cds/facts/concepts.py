"""CodeableConcepts and statuses as records send them: codings, words and the value sets
a concept belongs to (remembered per pack), a medicine's concept, and the status codes that
decide which records count."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any, TypeVar

import orjson

from cds.facts.codes import normalize_code, normalize_system
from cds.facts.literals import Scans
from cds.facts.negation import plain
from cds.facts.valuesets import RecordCoding, ValueSetIndex
from cds.fhir import Resource, medication_key

R = TypeVar("R", bound=Mapping[str, Any])
T = TypeVar("T")

# The statuses that make a record count (the contract's "What data counts").
CONDITION_ACTIVE = {"active", "recurrence", "relapse"}
VERIFICATION_EXCLUDED = {"refuted", "entered-in-error"}

#: One of several candidate diagnoses being considered: uncertain, as "rule out" words are, so
#: never a current sign or symptom (an ``acute`` value set); it still counts for the others.
VERIFICATION_UNCERTAIN = "differential"
OBSERVATION_COUNTED = {"final", "amended", "corrected"}
OBSERVATION_UNVERIFIED = {"preliminary", "registered", "unknown"}
"""Readings nobody has validated yet (``unknown``: the source system does not know which
status applies): kept as facts with ``verified=False``, so a danger sign behind them reaches
the data-check card instead of vanishing."""
ORDER_ACTIVE = {"active", "on-hold"}
STATEMENT_ACTIVE = {"active", "on-hold", "intended"}


def as_list(value: object) -> list[Any]:
    """A FHIR array as feeds send it: a list, a single object instead of a list, or junk."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def rid_of(res: Resource) -> str:
    return f"{res.get('resourceType')}/{res.get('id', '?')}"


def codings_of(concept: object) -> tuple[list[RecordCoding], str]:
    """The codings and text of a CodeableConcept, tolerating what feeds get wrong."""
    if not isinstance(concept, dict):
        return [], ""
    codings = [  # as_list: a single coding is often sent as an object
        RecordCoding(
            str(c.get("system") or ""), str(c.get("code") or ""), str(c.get("display") or "")
        )
        for c in as_list(concept.get("coding"))
        if isinstance(c, dict)
    ]
    text = concept.get("text")
    return codings, text if isinstance(text, str) else ""


def words_of(concept: object) -> str:
    """What a concept says in words; its first code when it has no words."""
    codings, text = codings_of(concept)
    return words_from(codings, text)


def words_from(codings: list[RecordCoding], text: str) -> str:
    named = text or next((c.display for c in codings if c.display), "")
    if named:
        return named
    coded = next((c for c in codings if c.code), None)
    if coded is None:
        return "unnamed record"
    system = normalize_system(coded.system)
    return f"code {normalize_code(system, coded.code)} ({system or 'no system'})"


def read_concept(concept: object, index: ValueSetIndex) -> tuple[tuple[str, ...], str]:
    """(value sets, words) of a concept."""
    matched, words = read_concept_detail(concept, index)
    return tuple(vs for vs, _ in matched), words


Detail = tuple[tuple[tuple[str, bool], ...], str]
"""((value set, matched only by words), ...), words) of a concept."""


def image_key(concept: object) -> bytes | None:
    """A concept's JSON image: the key what it says is remembered under, per pack; None for
    no concept, or one that has none (an integer beyond 64 bits: read, not remembered)."""
    if not isinstance(concept, dict):
        return None
    try:
        return orjson.dumps(concept)
    except orjson.JSONEncodeError:
        return None


def remember(memo: dict[Any, T], key: object | None, hit: T) -> None:
    """Keep ``hit`` under ``key`` (None: not remembered) in a memo bounded at 50,000."""
    if key is not None:
        if len(memo) > 50_000:
            memo.clear()
        memo[key] = hit


def read_concept_detail(
    concept: object, index: ValueSetIndex, today: date | None = None, scans: Scans | None = None
) -> Detail:
    """((value set, matched only by words), ...), words) of a concept. Records repeat the
    same concepts endlessly (every heart rate carries 8867-4), so the answer is remembered
    per pack, bounded, under the concept's JSON image. With the evaluation's day (``today``),
    the exclusions a past year or month decides are read too (`dated_past`), after the memo.
    ``scans``: the call's memo of what the text patterns find in words
    (`cds.facts.literals.Scans`)."""
    key = image_key(concept)
    memo = index.concepts
    hit = memo.get(key) if key is not None else None
    if hit is None:
        codings, text = codings_of(concept)
        detail = index.match_detail(codings, text, scans)
        words = words_from(codings, text)
        if detail and not text and not any(c.display for c in codings):  # a code alone
            words = index.display_of(codings) or words  # the pack's name for it
        hit = (tuple((vs, not detail[vs]) for vs in sorted(detail)), words)
        remember(memo, key, hit)
    if today is not None and index.excluded_if_past and hit[0]:
        return dated_past(hit, concept, index, today)
    return hit


def dated_past(hit: Detail, concept: object, index: ValueSetIndex, today: date) -> Detail:
    """``hit`` without the value sets whose exclusions name a past year (``past_year``) or
    month (``past_month``, with or without its year) before ``today``'s in the concept's own
    words ("dengue fever 2019" read in 2026: a past disease, no fever now; "dengue fever 2026"
    stays one; "fever in October" read in December is last month's or older, "fever in
    December" may be this week's). A month without a year is this year's when it is not
    after ``today``'s, else last year's. A match in which no date took part holds as any
    exclusion does."""
    dated = index.excluded_if_past
    matched, words = hit
    if not any(vs in dated for vs, _ in matched):
        return hit
    codings, text = codings_of(concept)
    said = [plain(w) for w in (text, *(c.display for c in codings)) if w]
    gone = {
        vs
        for vs, _ in matched
        if vs in dated
        and any(
            _before(m, today) for pattern in dated[vs] for w in said for m in pattern.finditer(w)
        )
    }
    return (tuple(m for m in matched if m[0] not in gone), words) if gone else hit


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _before(m: re.Match[str], today: date) -> bool:
    """Does an exclusion's match hold on ``today``: no date in it, or one before today's year
    (``past_year`` alone) or month (``past_month``)?"""
    named = m.groupdict()
    year, month = named.get("past_year"), named.get("past_month")
    if month is None:
        return year is None or int(year) < today.year
    number = _MONTHS.index(month[:3].lower()) + 1
    if year is None:
        return number != today.month
    return (int(year), number) < (today.year, today.month)


def status_text(status: object) -> str | None:
    """A plain ``status`` code, as ``status_code`` reads it (without building a concept)."""
    return (status.strip().lower() or None) if isinstance(status, str) else None


def status_code(concept: object) -> str | None:
    """The first code of a status CodeableConcept (its words when it has none), lower case."""
    if not isinstance(concept, dict):
        return None
    for c in as_list(concept.get("coding")):
        code = c.get("code") if isinstance(c, dict) else None
        if code:
            return str(code).strip().lower()
    text = concept.get("text")
    return (text.strip().lower() or None) if isinstance(text, str) else None


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
    if not isinstance(target, str):  # a Reference may be its display alone ("Ibuprofen")
        return _display_text(ref)
    med = medication_of(res, meds)
    if med is None:
        return None if target.startswith("#") else _display_text(ref)
    return med.get("code")


def medication_of(res: Resource, meds: Mapping[str, Resource]) -> Mapping[str, Any] | None:
    """The Medication an order or statement references, contained or in ``meds``; None
    when it names its medicine in place or the Medication was not received."""
    ref = res.get("medicationReference") if "medicationCodeableConcept" not in res else None
    target = ref.get("reference") if isinstance(ref, Mapping) else None
    if not isinstance(target, str):
        return None
    if target.startswith("#"):
        for contained in as_list(res.get("contained")):
            if isinstance(contained, Mapping) and contained.get("id") == target[1:]:
                return contained
        return None
    return meds.get(medication_key(target))


def _display_text(ref: object) -> dict[str, str] | None:
    """A Reference's display as a concept's text, when it has one."""
    display = ref.get("display") if isinstance(ref, Mapping) else None
    return {"text": display} if isinstance(display, str) and display.strip() else None
