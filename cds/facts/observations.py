"""Observations → facts: one per reading and value set, panel components and coded values
included; the plain shape most feeds send on a short path."""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import replace
from typing import Any

import orjson

from cds.facts.bounds import COMPARATORS
from cds.facts.concepts import (
    OBSERVATION_COUNTED,
    OBSERVATION_UNVERIFIED,
    as_list,
    read_concept_detail,
    rid_of,
)
from cds.facts.copies import Extraction, copy_note, value_text
from cds.facts.measures_in_text import unverified
from cds.facts.model import DataIssue, Fact
from cds.facts.observation_text import (
    NOTHING_SAID,
    Said,
    said_in_value,
    unclear_answer,
    unverified_finding,
)
from cds.facts.readings import (
    Reading,
    bound_in_text,
    json_image,
    plain_quantity,
    quantity_value,
    read_value,
    unit_excluded,
)
from cds.facts.readings_in_text import measure_fact
from cds.facts.said_dates import dated_timing
from cds.facts.said_measures import words_fact
from cds.facts.suspected import SIGN_AFTER_DENIAL
from cds.facts.timing import FUTURE_TOLERANCE_H, FactContext, Timing, in_future, timing_of
from cds.facts.units import NO_RULE
from cds.fhir import Resource

_NONE: frozenset[str] = frozenset()
_NO_READING: Reading = (None, None, None, None)
"""What a part without a numeric value set reads (not numeric: no value, no problem)."""
_EFFECTIVE = ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")


def read_observation(
    res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool
) -> None:
    """An Observation, and each of its components (a vital-signs panel may carry the heart
    rate or temperature as a component rather than as an Observation of its own): one fact
    per reading. A coded value (an ACVPU level of 'Voice') also makes a fact of the value
    sets the value belongs to."""
    if out.copies or not _plain_observation(res, ctx, out):
        _any_observation(res, ctx, out)


def _plain_observation(res: Resource, ctx: FactContext, out: Extraction) -> bool:
    """Read the Observation most feeds send, and say True: final, its code one concept, its
    value a Quantity, no component and no coded value (in a record without copies: the
    caller checks). Any other, or one dated in the future, is left untouched (False) for
    `_any_observation`, whose reading this is with every branch the plain shape cannot take
    left out: about half the work of an Observation (bench/engine.py)."""
    if res.get("status") != "final" or "component" in res or "valueCodeableConcept" in res:
        return False
    code = res.get("code")
    if code.__class__ is not dict:
        return False
    index = ctx.index
    try:  # read_concept_detail's memo, looked up here: nearly every concept is in it
        hit = index.concepts.get(orjson.dumps(code))
    except orjson.JSONEncodeError:
        hit = None
    matched, display = hit or read_concept_detail(code, index)
    if not matched:  # in no value set: nothing to read (most of a record's lab results)
        # unless its words state a finding (observation_text), or a grade does
        return "valueString" not in res and bare_grade(res) is None
    qty = res.get("valueQuantity")
    if qty.__class__ is not dict:
        return False
    timing = timing_of(res, ctx, _EFFECTIVE)
    if timing[4] > FUTURE_TOLERANCE_H:
        return False  # a data issue, said by the general reader
    when, age, known, note, _ = timing
    rid = f"Observation/{res.get('id', '?')}"  # rid_of, inlined (its type is known)
    canonical_units = ctx.canonical_units
    quantities, image = index.quantities, json_image(qty)
    for vs, by_text in matched:
        if vs in index.excluded_by_text and unit_excluded(index.excluded_by_text[vs], res):
            continue
        canonical = canonical_units.get(vs)
        reading = _NO_READING
        if canonical is not None:  # `plain_quantity`'s memo first (no image: never remembered)
            remembered = quantities.get((vs, canonical, image))  # type: ignore[arg-type]
            reading = remembered or plain_quantity(qty, image, vs, canonical, ctx)
        _, _, source, problem = reading
        if problem:
            out.issues.append(unreadable(rid, display, source, problem))
        out.facts.append(
            reading_fact(vs, rid, display, reading, when, age, known, note, True, by_text, qty)
        )
    return True


def _any_observation(res: Resource, ctx: FactContext, out: Extraction) -> None:
    """`read_observation` of any shape: statuses, components, coded values, copies."""
    if out.retracted and rid_of(res) in out.retracted:
        return  # its newest copy is entered-in-error: every copy of it is withdrawn
    status = res.get("status")
    shape: str | None = None  # what is malformed in the record, said on its facts
    if status == "final":  # the common case, as status_text reads it
        verified = True
    else:
        status = status.strip().lower() if isinstance(status, str) else ""
        if status in OBSERVATION_COUNTED:
            verified = True
        elif status in OBSERVATION_UNVERIFIED or not status:
            verified = False  # no status (absent, null, not a code): nobody said it is final
            if out.validated and rid_of(res) in out.validated:
                return  # a verified copy of the same reading supersedes it
            # the reading's own reason, on its card: its status, or that it gives none (a
            # copy's note names its status already)
            if not status:
                shape = NO_STATUS_NOTE
            elif not (out.copies and rid_of(res) in out.copies):
                shape = UNVERIFIED_NOTES.get(status)
        else:
            return
    readings, canonical_units = ctx.index.readings, ctx.canonical_units
    components = res.get("component")
    parts = (
        [res, *(c for c in as_list(components) if isinstance(c, dict))] if components else (res,)
    )
    timing: Timing | None = None
    rid = ""
    start = 0
    container: Set[str] = _NONE
    """Value sets of the resource's own code when it carries no value of its own but has
    components: a panel's heading, not a reading."""
    for n, part in enumerate(parts):
        code, trusted, malformed = part.get("code"), verified, shape
        if code.__class__ is list:  # a CodeableConcept sent as an array: read, not trusted
            code, trusted, malformed = _listed_concept(code), False, LISTED_CODE_NOTE
        matched, display = read_concept_detail(code, ctx.index)
        value_concept = part.get("valueCodeableConcept")
        valued: tuple[tuple[str, bool], ...] = ()
        if value_concept is not None and isinstance(value_concept, dict):
            valued, value_words = read_concept_detail(value_concept, ctx.index)
            own = {vs for vs, _ in matched}
            valued = tuple((vs, t) for vs, t in valued if vs not in own)
        said = NOTHING_SAID
        if (
            "valueString" in part
            or value_concept is not None
            or "valueBoolean" in part
            or "valueInteger" in part
        ) and not any(
            canonical_units.get(vs) for vs, _ in matched
        ):  # words a clinician wrote; a measure's words ("Temp: febrile") are unreadable
            said = said_in_value(part, code, ctx)
            if said.valuesets and valued:  # a coded answer's value sets are read as such
                kept = tuple(vs for vs in said.valuesets if all(vs != v for v, _ in valued))
                said = replace(said, valuesets=kept)
        if said is NOTHING_SAID and not matched and (grade := bare_grade(part)) is not None:
            said = _graded(part, code, grade, ctx)  # a row named for no sign: a grade?
        if not matched and not valued and said is NOTHING_SAID:
            continue
        if timing is None:  # read once, and only for observations we care about
            timing = timing_of(res, ctx, _EFFECTIVE)
            rid = f"Observation/{res.get('id', '?')}"  # rid_of, inlined (its type is known)
            if timing[4] > FUTURE_TOLERANCE_H and in_future(
                timing, rid, out.issues, ctx, _future_what(res, display)
            ):
                return
        when, age, known, note, _ = timing
        if out.copies:
            note = copy_note(res, rid, out, note, ctx)
        if malformed is not None:
            note = f"{note}; {malformed}" if note else malformed
        if n == 0 and components and not _has_value(part):
            container = {vs for vs, _ in matched}
            start = len(out.facts)
        qty = part.get("valueQuantity")
        quantity: Mapping[str, Any] | None = qty if isinstance(qty, dict) else bound_in_text(part)
        excluded = ctx.index.excluded_by_text
        for vs, by_text in matched:
            if vs in excluded and unit_excluded(excluded[vs], part):
                continue
            rule = readings.get(vs, NO_RULE)
            canonical = canonical_units.get(vs)
            if quantity is not None and canonical is not None:  # read_value's common case
                reading: Reading | None = quantity_value(quantity, canonical, rule)
            else:
                reading = read_value(part, canonical, rule)
            if reading is None:
                continue
            _, _, source, problem = reading
            if problem and not (n == 0 and vs in container):
                out.issues.append(unreadable(rid, display, source, problem))
            out.facts.append(
                reading_fact(
                    vs, rid, display, reading, when, age, known, note, trusted, by_text, quantity
                )
            )
        for vs, by_text in valued:
            answer = Fact(
                kind="observation",
                valueset=vs,
                rid=rid,
                display=display,  # the value is its evidence's value: said once (ER review)
                source_value=value_words,
                time=when,
                age_h=age,
                time_known=known,
                note=note,
                verified=trusted,
                by_text=by_text,
            )
            out.facts.append(answer)
            if ctx.canonical_units.get(vs) is None:
                # a symptom or diagnosis as an answer (chief complaint: Syncope): a condition
                # too, so the symptom rules (which read conditions) see it
                named = f"{display}: {value_words}"
                out.facts.append(
                    replace(answer, kind="condition", display=named, source_value=None)
                )
        if said is not NOTHING_SAID:
            said_facts(said, rid, (when, age, known, note), trusted, status, out, ctx)
    if container:  # the heading's "no value" goes when a component gave a reading of its kind
        given = {f.valueset for f in out.facts[start:] if f.understood}
        out.facts[start:] = [
            f
            for f in out.facts[start:]
            if not (
                f.valueset in container
                and f.valueset in given
                and f.value is None
                and not f.understood
                and f.source_value is None
            )
        ]


def said_facts(
    said: Said,
    rid: str,
    timing: tuple[str | None, float, bool, str | None],
    trusted: bool,
    status: str,
    out: Extraction,
    ctx: FactContext,
) -> None:
    """What an Observation's value says in words (`said_in_value`): Condition facts when the
    Observation counts; a data-check item when nobody has validated it yet, or when a row
    named for a sign has an answer that is neither yes nor no."""
    if said.valuesets and not trusted:
        state = f"status {status}" if status else "no status"
        if status in OBSERVATION_COUNTED:  # counted, but its code sent as a list: untrusted
            state = "its code sent as a list"
        out.issues.append(unverified_finding(rid, said.words, state))
    elif said.valuesets:
        measure = said.measure
        dated: tuple[str | None, float, bool, str | None] | None = timing
        if measure is not None and measure.said_date is not None:  # "Fever: 38.9 2 days ago"
            dated = dated_timing(measure.said_date, timing, ctx)  # the sign reported then
            if dated is None:  # a date that cannot be placed: an answer to ask about
                out.issues.append(unclear_answer(rid, said.words))
        for vs in said.valuesets:
            own = measure is not None and vs == measure.valueset
            if not own:
                out.facts.append(words_fact(vs, rid, said.words, timing, measure))
            elif dated is not None:
                out.facts.append(words_fact(vs, rid, said.words, dated, measure))
    for m in said.measures:  # "HPI: LBP x3d. Tmax 101.5 at home": by the threshold
        out.facts.append(
            measure_fact(unverified(m) if not trusted else m, rid, said.words, timing, ctx)
        )
    if said.unclear:
        out.issues.append(unclear_answer(rid, said.words, said.old_state))
    if said.listed:  # "HPI: (-) fever, numbness L leg": denied or found? (a data-check item)
        out.facts.append(words_fact(SIGN_AFTER_DENIAL, rid, said.words, timing))


def bare_grade(part: Resource) -> str | None:
    """A whole number from 0 to 5 sent with no unit (``valueInteger``, or a ``valueQuantity``
    with no unit, code or comparator), as a motor exam's grade ("LLE MOTOR STRENGTH" valued
    3): its words ("3"); None for any other value."""
    value = part.get("valueInteger")
    if value is None:
        qty = part.get("valueQuantity")
        if qty.__class__ is not dict or qty.keys() & {"unit", "code", "comparator"}:
            return None
        value = qty.get("value")
    if value.__class__ not in (int, float) or not 0 <= value <= 5 or value != int(value):
        return None
    return str(int(value))


def _graded(part: Resource, code: object, grade: str, ctx: FactContext) -> Said:
    """What a row in no value set says with a bare grade for its value: a finding its name
    and the grade state together ("LLE MOTOR STRENGTH: 3", a leg's strength below 5), else
    nothing. A number is no answer to a row named for a sign: those rows are in a value set
    and never reach here."""
    said = said_in_value({"valueString": grade}, code, ctx)
    return replace(said, unclear=False) if said.valuesets else NOTHING_SAID


NO_STATUS_NOTE = "the record gives no status; read as not yet verified"
UNVERIFIED_NOTES = {s: f"status {s}: not yet verified" for s in OBSERVATION_UNVERIFIED}
LISTED_CODE_NOTE = "its code was sent as a list, not as one code; read as not yet verified"


def _listed_concept(concepts: list[Any]) -> dict[str, Any]:
    """Several CodeableConcepts sent where FHIR has one: one concept of all their codings
    and the first text, so a danger sign behind it reaches the data-check card."""
    codings = [
        c for item in concepts if isinstance(item, dict) for c in as_list(item.get("coding"))
    ]
    text = next(
        (
            t
            for item in concepts
            if isinstance(item, dict) and isinstance(t := item.get("text"), str)
        ),
        None,
    )
    return {"coding": codings, "text": text} if text else {"coding": codings}


def _future_what(res: Resource, display: str) -> str:
    """What a future-dated Observation says: its name and value as recorded."""
    value = value_text(res)
    return f"{display} {value}" if value else display


def _has_value(part: Resource) -> bool:
    return "dataAbsentReason" in part or any(k.startswith("value") for k in part)


def unreadable(rid: str, display: str, source: str | None, problem: str) -> DataIssue:
    """A reading that could not be read, named by what it is ("PVR 320 dyn.s/cm5 could not
    be read"), not by its record id, in the data-check card's summary."""
    what = " ".join(f"{display} {source}".split()) if source else display
    return DataIssue(
        rid=rid,
        message=problem,
        recheck="the reading and its unit",
        headline=f"{what} could not be read",
    )


def reading_fact(
    vs: str,
    rid: str,
    display: str,
    reading: Reading,
    when: str | None,
    age: float,
    known: bool,
    note: str | None,
    verified: bool,
    by_text: bool,
    quantity: Mapping[str, Any] | None,
) -> Fact:
    """The fact of one reading (a value, or a problem reading it) of an Observation or one
    of its components; a comparator of its Quantity understood and read without a problem
    makes it a bound (anything else: no comparator, as `quantity_value` reads it)."""
    value, unit, source, problem = reading
    comparator = quantity.get("comparator") if quantity is not None and problem is None else None
    bound = comparator if isinstance(comparator, str) and comparator in COMPARATORS else None
    return Fact(  # positional, in Fact's field order (see records._matched_facts)
        "observation",  # kind
        vs,  # valueset
        rid,  # rid
        display,  # display
        value,  # value
        unit,  # unit
        source,  # source_value
        when,  # time
        age,  # age_h
        known,  # time_known
        True,  # latest
        problem is None,  # understood
        False,  # draft
        f"{note}; {problem}" if note and problem else note or problem,  # note
        verified,  # verified
        by_text,  # by_text
        bound,  # bound: a comparator (cds.facts.bounds reads it)
    )
