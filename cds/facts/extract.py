"""FHIR R4 resources (plain dicts, as EHRs send them) → facts.

Pure: resources, the evaluation time and the pack's value sets in; facts and data issues out.
Which records count follows the contract ("What data counts"): statuses, look-back times,
units. A record that belongs to a value set but cannot be read is kept as an *unreadable*
fact with a note, so a danger sign is never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
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
    *,
    distinct: bool = False,
) -> Extraction:
    """Build the facts of one patient's record and of the hook's draft orders.

    Every reading counts: one fact per resource, panel component and copy (never merged by
    resource id: a final 80 and an amended 150 of one id are two readings, and the 150 is a
    sign). ``distinct``: the record is known to repeat no id (`cds.facts.gather.Record`), so
    copies are not looked for."""
    out = Extraction()
    recorded = list(resources)
    lookup = _References(recorded)
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
    """The record's Medications and Conditions by reference (``Medication/<id>``), worked out
    on first use: only a medicine given by reference, an encounter's or an order's reasons
    look one up, and most records hold none of them."""

    def __init__(self, recorded: list[Resource]) -> None:
        self._recorded = recorded
        self._table: dict[str, Resource] | None = None

    def _built(self) -> dict[str, Resource]:
        if self._table is None:
            self._table = {
                f"{t}/{r.get('id')}": r
                for r in self._recorded
                if (t := r.get("resourceType")) == "Medication" or t == "Condition"
            }
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


def _mark_latest(facts: list[Fact]) -> dict[str, Fact]:
    """Flag all but the most recent verified readable dated observation of each value set as
    not latest, and return those, by value set."""
    newest: dict[str, Fact] = {}
    observed: list[Fact] = []
    for f in facts:
        if f.kind == "observation":
            observed.append(f)
            if f.understood and f.verified and f.time_known:
                best = newest.get(f.valueset)
                if best is None or f.age_h < best.age_h:
                    newest[f.valueset] = f
    for f in observed:
        best = newest.get(f.valueset)
        if best is not None and best is not f:
            f.latest = False  # built a moment ago in this call: nothing else holds them yet
    return newest
