"""FHIR R4 resources (plain dicts, as EHRs send them) → facts.

Pure: resources, the evaluation time and the pack's value sets in; facts and data issues out.
Which records count follows the contract ("What data counts"): statuses, look-back times,
units. A record that belongs to a value set but cannot be read is kept as an *unreadable*
fact with a note, so a danger sign is never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from cds.facts.concepts import OBSERVATION_COUNTED, rid_of, status_text
from cds.facts.copies import Extraction, newest_copies, withdrawn
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
    resources: Iterable[Resource], drafts: Iterable[Resource], ctx: FactContext
) -> Extraction:
    """Build the facts of one patient's record and of the hook's draft orders.

    Every reading counts: one fact per resource, panel component and copy (never merged by
    resource id: a final 80 and an amended 150 of one id are two readings, and the 150 is a
    sign)."""
    out = Extraction()
    recorded = list(resources)
    keys = [(r.get("resourceType"), r.get("id")) for r in recorded]
    lookup = _References(keys, recorded)
    try:
        repeated = len(set(keys)) < len(keys)
    except TypeError:  # an id that is a list or an object: junk, but the rest must be read
        repeated = True
    if repeated:  # rare: some id sent more than once
        counts: dict[str, int] = {}
        for rtype, some_id in keys:
            if isinstance(some_id, str) and some_id:
                counts[f"{rtype}/{some_id}"] = counts.get(f"{rtype}/{some_id}", 0) + 1
        out.copies = {key: n for key, n in counts.items() if n > 1}
    if out.copies:
        out.validated = {
            f"Observation/{r.get('id')}"
            for r in recorded
            if r.get("resourceType") == "Observation"
            and f"Observation/{r.get('id')}" in out.copies
            and status_text(r.get("status")) in OBSERVATION_COUNTED
        }
        out.newest = newest_copies(recorded, out.copies)
        out.retracted = {key for key, r in out.newest.items() if withdrawn(r)}
        out.disputed = {
            rid_of(r)
            for r in recorded
            if rid_of(r) in out.copies and rid_of(r) not in out.newest and withdrawn(r)
        }
    handlers = _HANDLERS
    for (rtype, _), res in zip(keys, recorded, strict=True):  # _extract_one, inlined
        handler = handlers.get(rtype) if isinstance(rtype, str) else None
        if handler is None:
            continue
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
    return Extraction(_mark_latest(facts), out.issues)


class _References(Mapping[str, Resource]):
    """The record's Medications and Conditions by reference (``Medication/<id>``), worked out
    on first use: only a medicine given by reference, an encounter's or an order's reasons
    look one up, and most records hold none of them."""

    def __init__(self, keys: list[tuple[Any, Any]], recorded: list[Resource]) -> None:
        self._keys, self._recorded = keys, recorded
        self._table: dict[str, Resource] | None = None

    def _built(self) -> dict[str, Resource]:
        if self._table is None:
            self._table = {
                f"{t}/{i}": r
                for (t, i), r in zip(self._keys, self._recorded, strict=True)
                if t == "Medication" or t == "Condition"
            }
        return self._table

    def __getitem__(self, key: str) -> Resource:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


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


def _mark_latest(facts: list[Fact]) -> list[Fact]:
    """Flag all but the most recent verified readable observation of each value set as not
    latest."""
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
    return facts
