"""Conditions, medicine orders and statements, service requests, visits and the Patient →
facts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cds.facts.concepts import (
    CONDITION_ACTIVE,
    ORDER_ACTIVE,
    STATEMENT_ACTIVE,
    VERIFICATION_EXCLUDED,
    VERIFICATION_UNCERTAIN,
    as_list,
    codings_of,
    medication_concept,
    read_concept,
    read_concept_detail,
    rid_of,
    status_code,
    status_text,
    words_of,
)
from cds.facts.condition_notes import read_notes
from cds.facts.copies import Extraction, copy_note
from cds.facts.doses import dosed
from cds.facts.model import Fact, FactKind
from cds.facts.negation import closes_as_past
from cds.facts.readings_in_text import condition_measures
from cds.facts.suspected import said_in_words, sign_after_denial, sign_considered, words_facts
from cds.facts.times import age_in_years, read_time
from cds.facts.timing import (
    FUTURE_TOLERANCE_H,
    NO_TIME,
    FactContext,
    Timing,
    in_future,
    plainly_past,
    timing_of,
)
from cds.facts.unnamed_medicines import unnamed_issue
from cds.facts.valuesets import Said
from cds.fhir import Resource

ORDER_REASON_RED_FLAG = "order_reason_red_flag"
"""The value set of a draft order's reason that names a red flag, affirmed or suspected
("r/o cauda equina", "concern for spinal epidural abscess"): what the order is FOR. It
supports the imaging, and is never a sign of the patient's (no emergency or urgent card)."""


def read_condition(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    given = res.get("verificationStatus")  # most conditions give none: no call to say so
    verification = status_code(given) if given is not None else None
    if verification in VERIFICATION_EXCLUDED:
        # "not cauda equina": the same words elsewhere in the record are no sign either
        out.refuted.update(read_concept(res.get("code"), ctx.index)[0])
        return
    if out.retracted and rid_of(res) in out.retracted:
        return  # its newest copy withdrew it (entered in error, refuted)
    clinical = status_code(res.get("clinicalStatus"))
    matched, display = read_concept_detail(res.get("code"), ctx.index, ctx.today)
    if clinical is not None and clinical not in CONDITION_ACTIVE:
        # resolved or inactive: only what counts when past (a GI bleed), else nothing at all
        matched = tuple(m for m in matched if m[0] in ctx.index.counts_resolved)
        if not matched:
            return
    considered: tuple[str, ...] = ()
    if verification == VERIFICATION_UNCERTAIN or _closed_in_words(res, matched, ctx):
        # only being considered, or its own words close it ("Urinary retention, resolved"):
        # not a sign, whatever clinicalStatus still says
        acute = ctx.index.acute
        if verification == VERIFICATION_UNCERTAIN:
            signs = ctx.index.signs  # a danger sign's, not the visit's own back pain
            named = ctx.index.match_suspected(*codings_of(res.get("code")))  # "r/o CES" too
            considered = tuple(sorted(vs for vs in named if vs in acute and vs in signs))
        matched = tuple((vs, by_text) for vs, by_text in matched if vs not in acute)
    # the time even of a condition in no value set: dated in the future, it is a data error
    # (most of a record's conditions are in no value set: a plainly past time is not read),
    # unless its words name a sign after a denial's list ("(-) fever, numbness L leg") or
    # suspect a red flag ("r/o cauda equina", dated as written: the symptom window decides)
    said: Said | None = None
    if not matched and not considered and plainly_past(res.get("onsetDateTime"), ctx):
        said = said_in_words(res.get("code"), ctx.index)  # its words read once, remembered
        if not (said[1] or said[2] or "note" in res):  # its notes are read even so
            return
    timing = timing_of(res, ctx, _ONSET)
    if timing[4] > FUTURE_TOLERANCE_H and in_future(
        timing, rid_of(res), out.issues, ctx, words_of(res.get("code"))
    ):
        return
    if matched:
        when, age, known, note, _ = timing
        if out.copies:
            note = copy_note(res, rid_of(res), out, note, ctx)
        _matched_facts(
            matched, display, "condition", rid_of(res), out, when, age, known, note, False
        )
    if clinical is None or clinical in CONDITION_ACTIVE:
        said = said or said_in_words(res.get("code"), ctx.index)
        out.facts += condition_measures(res.get("code"), matched, rid_of(res), timing, ctx)
        read_notes(res, ctx, out)  # what clinicians wrote on it since (Condition.note)
    if considered:  # a sign on the differential: ruled out yet? (er26 d17)
        doubted = said is not None and bool(said[2])  # "r/o CES": its words say so already
        out.facts += sign_considered(considered, display, rid_of(res), timing, ctx, doubted)
    if said is not None:
        out.facts += words_facts(said, rid_of(res), timing)


_ONSET = ("onsetDateTime", "onsetPeriod", "recordedDate")


def _closed_in_words(
    res: Resource, matched: tuple[tuple[str, bool], ...], ctx: FactContext
) -> bool:
    """Does a Condition coded as a current sign or symptom say in its own text that it is
    over ("Urinary retention, resolved")? Its words would not count alone (a past marker
    closing the entry), so its code does not either: the clinician's words beat a stale
    clinicalStatus. Read only when a code matched an ``acute`` value set."""
    if not matched:  # most of a record's conditions: in no value set
        return False
    acute = ctx.index.acute
    if not any(vs in acute and not by_text for vs, by_text in matched):
        return False
    code = res.get("code")
    text = code.get("text") if isinstance(code, dict) else None  # codings_of's text, alone
    return isinstance(text, str) and bool(text) and closes_as_past(text)


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
    matched, display = read_concept_detail(concept, ctx.index)
    _matched_facts(matched, display, kind, rid, out, when, age, known, note, draft)


def _dated_concept_facts(
    concept: object,
    kind: FactKind,
    res: Resource,
    ctx: FactContext,
    out: Extraction,
    keys: tuple[str, ...],
    *,
    draft: bool = False,
    meds: Mapping[str, Resource] | None = None,
) -> None:
    """`_concept_facts` at the time of the first of ``keys`` the record has, that time read
    only when the concept is in some value set (most of a record's medicines and orders are
    in none: their times, and their references, are not worth working out). A medicine's
    (``meds``: the Medications it may reference) dose is read where it decides (`dosed`)."""
    matched, display = read_concept_detail(concept, ctx.index)
    if meds is not None and ctx.index.doses:  # aspirin coded 1191: its dose says which it is
        matched = dosed(matched, res, concept, meds, ctx.index, out.issues if draft else None)
    if matched:
        when, age, known, note, _ = timing_of(res, ctx, keys)
        _matched_facts(matched, display, kind, rid_of(res), out, when, age, known, note, draft)


def _matched_facts(
    matched: tuple[tuple[str, bool], ...],
    display: str,
    kind: FactKind,
    rid: str,
    out: Extraction,
    when: str | None,
    age: float,
    known: bool,
    note: str | None,
    draft: bool,
) -> None:
    """One fact per value set a concept matched (``read_concept_detail``'s answer)."""
    for vs, by_text in matched:
        # positional, in Fact's field order: keywords cost 3x as much, on every fact
        out.facts.append(
            Fact(
                kind,  # kind
                vs,  # valueset
                rid,  # rid
                display,  # display
                None,  # value
                None,  # unit
                None,  # source_value
                when,  # time
                age,  # age_h
                known,  # time_known
                True,  # latest
                True,  # understood
                draft,  # draft
                note,  # note
                True,  # verified
                by_text,  # by_text
            )
        )


_AUTHORED = ("authoredOn",)
_STATED = ("effectiveDateTime", "effectivePeriod", "dateAsserted")
_ORDERED = ("authoredOn", "occurrenceDateTime")


def read_medication_request(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    status = status_text(res.get("status"))
    if not draft and status not in ORDER_ACTIVE:
        return
    concept = medication_concept(res, meds)
    if draft and (issue := unnamed_issue(res, concept, ctx)) is not None:
        out.issues.append(issue)  # its caution (an NSAID in kidney disease) must not vanish
    _dated_concept_facts(concept, "medication", res, ctx, out, _AUTHORED, draft=draft, meds=meds)
    if draft:
        _reasons(res, ctx, out, meds)


def read_medication_statement(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    if status_text(res.get("status")) not in STATEMENT_ACTIVE:
        return
    concept = medication_concept(res, meds)
    _dated_concept_facts(concept, "medication", res, ctx, out, _STATED, meds=meds)


def read_service_request(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    status = status_text(res.get("status"))
    if not draft and status not in ORDER_ACTIVE:
        return
    _dated_concept_facts(res.get("code"), "order", res, ctx, out, _ORDERED, draft=draft)
    if draft:
        _reasons(res, ctx, out, meds)


def _reasons(
    res: Resource, ctx: FactContext, out: Extraction, refs: Mapping[str, Resource]
) -> None:
    """A draft order's reasons count as diagnoses (the contract's scope). A reason naming a
    red flag, affirmed or only suspected ("r/o cauda equina"), also says what the order is
    for: an ``order_reason_red_flag`` fact, which supports imaging and raises no sign."""
    rid = rid_of(res)
    for concept in as_list(res.get("reasonCode")):
        _concept_facts(concept, "condition", rid, ctx, out, None, 0.0, False, None)
        codings, text = codings_of(concept)
        _order_reason(ctx.index.match_suspected(codings, text), words_of(concept), rid, out, ctx)
        out.facts += sign_after_denial(concept, rid, NO_TIME, ctx)  # "(-) fever, numbness L leg"
    _referenced_displays(res.get("reasonReference"), res, ctx, out, refs, NO_TIME)
    for ref in as_list(res.get("reasonReference")):
        display = ref.get("display") if isinstance(ref, Mapping) else None
        if isinstance(display, str) and display.strip():
            _order_reason(ctx.index.match_suspected([], display), display, rid, out, ctx)
            out.facts += sign_after_denial({"text": display}, rid, NO_TIME, ctx)


def _order_reason(
    matched: set[str], words: str, rid: str, out: Extraction, ctx: FactContext
) -> None:
    if not matched.isdisjoint(ctx.index.order_reason):
        out.facts.append(
            Fact(
                kind="condition",
                valueset=ORDER_REASON_RED_FLAG,
                rid=rid,
                display=words,
                time=None,
                age_h=0.0,
                time_known=False,
                draft=True,
                note="what the order is for (named or suspected), not a sign found",
            )
        )


def _referenced_displays(
    refs_given: object,
    res: Resource,
    ctx: FactContext,
    out: Extraction,
    refs: Mapping[str, Resource],
    timing: Timing,
) -> None:
    """References to Conditions the record does not hold, given with a display only: read as
    text-only conditions (``by_text``). A reference the record resolves is left to the
    Condition itself (its status decides)."""
    for ref in as_list(refs_given):
        if not isinstance(ref, Mapping):
            continue
        target = ref.get("reference")
        if isinstance(target, str) and _resolved(target, refs):
            continue
        display = ref.get("display")
        if isinstance(display, str) and display.strip():
            when, age, known, note, _ = timing
            concept = {"text": display}  # words only: every match is by_text
            _concept_facts(concept, "condition", rid_of(res), ctx, out, when, age, known, note)


def _resolved(target: str, refs: Mapping[str, Resource]) -> bool:
    key = target.split("/_history")[0]
    if "Condition/" in key:
        key = "Condition/" + key.rsplit("Condition/", 1)[1]
    return key in refs


def read_encounter(
    res: Resource, ctx: FactContext, out: Extraction, refs: Mapping[str, Resource], draft: bool
) -> None:
    if status_text(res.get("status")) == "entered-in-error":
        return
    timing = timing_of(res, ctx, ("period",))  # a planned visit may start later: not a data error
    rid = rid_of(res)
    when, age, known, note, _ = timing
    for concept in as_list(res.get("reasonCode")):
        _concept_facts(concept, "condition", rid, ctx, out, when, age, known, note)
        out.facts += words_facts(said_in_words(concept, ctx.index), rid, timing)
    _referenced_displays(res.get("reasonReference"), res, ctx, out, refs, timing)
    diagnoses = [
        d.get("condition") for d in as_list(res.get("diagnosis")) if isinstance(d, Mapping)
    ]
    _referenced_displays(diagnoses, res, ctx, out, refs, timing)
    for ref in [*as_list(res.get("reasonReference")), *diagnoses]:  # given as words alone
        if isinstance(ref, Mapping) and not _resolved(str(ref.get("reference", "")), refs):
            words = {"text": ref.get("display")}
            out.facts += words_facts(said_in_words(words, ctx.index), rid, timing)


def read_patient(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    birth = read_time(res.get("birthDate"), ctx.tz)
    if birth is None:
        return
    years = age_in_years(birth.at.date(), ctx.now.date())
    out.facts.append(
        Fact(
            kind="patient",
            valueset="age",
            rid=rid_of(res),
            display="age",
            value=float(years),
            unit="a",
            source_value=f"{years} years, born {res.get('birthDate')}",
            age_h=0.0,
        )
    )
