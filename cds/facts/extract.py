"""FHIR R4 resources (plain dicts, as EHRs send them) → facts.

Pure: resources, the evaluation time and the pack's value sets in; facts and data issues out.
Which records count follows the contract ("What data counts"): statuses, look-back times,
units. A record that belongs to a value set but cannot be read is kept as an *unreadable*
fact with a note, so a danger sign is never dropped in silence.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from itertools import groupby
from operator import methodcaller

from cds.facts.concepts import rid_of
from cds.facts.copies import Extraction, find_copies
from cds.facts.egfr import derived_egfr_facts
from cds.facts.model import DataIssue, Fact
from cds.facts.observations import read_observation
from cds.facts.records import (
    read_condition,
    read_encounter,
    read_medication_request,
    read_medication_statement,
    read_patient,
    read_service_request,
)
from cds.facts.timing import FactContext
from cds.fhir import Resource

#: What callers use: the spine builds a `FactContext` and calls `extract_facts` with it.
__all__ = ["Extraction", "FactContext", "extract_facts"]


def extract_facts(
    resources: Iterable[Resource],
    drafts: Iterable[Resource],
    ctx: FactContext,
    urls: Mapping[str, Resource] | None = None,
    *,
    distinct: bool = False,
) -> Extraction:
    """Build the facts of one patient's record and of the hook's draft orders.

    Every reading counts: one fact per resource, panel component and copy (never merged by
    resource id: a final 80 and an amended 150 of one id are two readings, and the 150 is a
    sign). A draft order's medicine may be a Medication sent beside it in ``draftOrders``,
    referenced by id or by the entry's ``fullUrl`` (``urls``: ``urn:uuid:…`` → resource).
    ``distinct``: the record is known to repeat no id (`cds.facts.gather.Record`), so copies
    are not looked for."""
    out = Extraction()
    recorded = list(resources)
    drafts = list(drafts)
    lookup = _References(recorded, drafts, urls)
    if not distinct and _maybe_repeated(recorded):  # rare: some id sent more than once
        find_copies(recorded, out)
    handlers = _HANDLERS
    # a prefetch key's Bundle is nearly always of one type: its handler is looked up once
    for rtype, run in groupby(recorded, _TYPE):
        handler = handlers.get(rtype) if isinstance(rtype, str) else None
        if handler is None:
            continue
        for res in run:
            try:
                handler(res, ctx, out, lookup, False)
            except Exception as exc:  # a malformed record is reported, never a crash
                out.issues.append(
                    DataIssue(rid=rid_of(res), message=f"record could not be read: {exc}")
                )
    for res in drafts:
        _extract_one(res, ctx, out, lookup, draft=True)
    facts = out.facts
    if out.refuted:
        facts = [f for f in facts if not (f.by_text and f.valueset in out.refuted)]
    patient = next((r for r in recorded if r.get("resourceType") == "Patient"), None)
    facts += derived_egfr_facts(facts, patient, ctx)  # creatinine without an eGFR: CKD-EPI 2021
    return Extraction(facts, out.issues, latest=_mark_latest(facts))


class _References(Mapping[str, Resource]):
    """The record's and the draft orders' Medications and Conditions by reference
    (``Medication/<id>``; a draft Bundle's ``urn:uuid:`` entries by their fullUrl), worked out
    on first use: only a medicine given by reference, an encounter's or an order's reasons
    look one up, and most records hold none of them."""

    def __init__(
        self,
        recorded: list[Resource],
        drafts: list[Resource],
        urls: Mapping[str, Resource] | None = None,
    ) -> None:
        self._recorded = recorded
        self._drafts = drafts
        self._urls = urls
        self._table: dict[str, Resource] | None = None

    def _built(self) -> dict[str, Resource]:
        if self._table is None:
            self._table = {
                f"{t}/{r.get('id')}": r
                for r in (*self._recorded, *self._drafts)
                if (t := r.get("resourceType")) == "Medication" or t == "Condition"
            }
            for url, r in (self._urls or {}).items():  # `medication_key` of a urn: Medication/urn:…
                if r.get("resourceType") == "Medication":
                    self._table.setdefault(f"Medication/{url}", r)
        return self._table

    def __getitem__(self, key: str) -> Resource:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


_TYPE = methodcaller("get", "resourceType")


def _maybe_repeated(recorded: list[Resource]) -> bool:
    """Whether some id may be sent more than once: two resources share an id (of any type:
    `find_copies` counts them by type), or an id cannot be compared (a list: junk, but the
    rest must be read). One set of ids, not of (type, id) pairs: nearly every record has
    none repeated."""
    try:
        return len({r.get("id") for r in recorded}) < len(recorded)
    except TypeError:
        return True


def _extract_one(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], *, draft: bool
) -> None:
    rtype = res.get("resourceType")
    handler = _HANDLERS.get(rtype) if isinstance(rtype, str) else None
    if handler is None:
        problem = _misnamed(rtype) if draft else None
        if problem is not None:
            out.issues.append(  # a draft order that may be one we check, misnamed: say so
                DataIssue(
                    rid=rid_of(res),
                    message=f"draft order whose resourceType is {problem}; not checked",
                    recheck="the order itself; ask the EHR team to check the draft orders it sends",
                )
            )
        return
    try:
        handler(res, ctx, out, meds, draft)
    except Exception as exc:  # a malformed record is reported, never a crash
        out.issues.append(DataIssue(rid=rid_of(res), message=f"record could not be read: {exc}"))


_HANDLERS = {
    "Condition": read_condition,
    "Observation": read_observation,
    "MedicationRequest": read_medication_request,
    "MedicationStatement": read_medication_statement,
    "ServiceRequest": read_service_request,
    "Encounter": read_encounter,
    "Patient": read_patient,
}
_MISSPELT = {name.lower(): name for name in _HANDLERS}
"""A handled type by its lower-case spelling: a draft sent as 'medicationrequest' is named."""


def _misnamed(rtype: object) -> str | None:
    """What is wrong with a draft order's type that no reader handles: a handled one misspelt
    ('medicationrequest', 'MedicationRequest '), or no FHIR R4 type at all ('MedicationOrder',
    DSTU2's name; 'MedicationRequests'); None for a real type no rule reads (NutritionOrder)."""
    if not isinstance(rtype, str):
        return None  # gather names a resource without a resourceType
    shown = repr(rtype[:40])
    meant = _MISSPELT.get(rtype.strip().lower())
    if meant is not None:
        return f"{shown}, not '{meant}'"
    if rtype[:1].isupper() and rtype.lower() in _fhir_names():
        return None
    return f"{shown}, which is no FHIR R4 resource type"


@cache
def _fhir_names() -> frozenset[str]:
    """FHIR R4 type names in lower case: the model modules of fhir.resources' R4B package
    (R4's resources match), loaded only when a draft's type is no reader's."""
    import fhir.resources.R4B as r4b

    return frozenset(module.name for module in pkgutil.iter_modules(r4b.__path__))


def _mark_latest(facts: list[Fact]) -> dict[str, Fact]:
    """Flag all but the most recent verified readable dated observation of each value set as
    not latest, and return those, by value set."""
    newest: dict[str, Fact] = {}
    observed: list[Fact] = []
    for f in facts:
        if f.kind == "observation":
            observed.append(f)
            if f.understood and f.verified and f.time_known and not f.by_text:  # not "HR 88"
                best = newest.get(f.valueset)
                if best is None or f.age_h < best.age_h:
                    newest[f.valueset] = f
    for f in observed:
        best = newest.get(f.valueset)
        if best is not None and best is not f:
            f.latest = False  # built a moment ago in this call: nothing else holds them yet
    return newest
