"""A patient's record as batch review replays it: parsed lines, when each resource entered
the record, and the prefetch keys an EHR would have sent each resource under.

Pure functions over plain resources (parsed by orjson: JSON objects are dicts, and
``isinstance(x, dict)`` takes 25 ns where the ABC check ``isinstance(x, Mapping)`` takes
85-140).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

from cds.facts.times import read_instant
from cds.fhir import FHIR_ID, Resource, medication_key
from cds.hooks.keys import ENCOUNTER, PREFETCH

#: When a resource entered the record, by type: the first element present is used.
RECORDED_AT: Mapping[str, tuple[str, ...]] = {
    "Condition": ("recordedDate", "onsetDateTime", "onsetPeriod"),
    "Observation": ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("dateAsserted", "effectiveDateTime", "effectivePeriod"),
    "ServiceRequest": ("authoredOn", "occurrenceDateTime"),
    "Encounter": ("period",),
}
#: The key each kind of resource comes under, read off the prefetch keys the service declares
#: (their templates' resource types; the Patient has its own place in a call), and those keys
#: in the order the service reads them. Recorded orders (ServiceRequest) have no key: the
#: service is never sent them (the orders being signed are the call's draft orders), so
#: neither is the spine.
PREFETCH_KEYS: Mapping[str, str] = {
    spec.template.split("?")[0].split("/")[0]: spec.key
    for spec in (*PREFETCH, ENCOUNTER)
    if spec.key != "patient"
}
KEY_ORDER = tuple(PREFETCH_KEYS.values())


def parse_lines(lines: Sequence[bytes]) -> tuple[list[Resource], int]:
    """A patient's raw lines parsed, repeated resources dropped; (resources, duplicates)."""
    return dedupe(orjson.loads(raw) for raw in lines)


def dedupe(parsed: Iterable[Any]) -> tuple[list[Resource], int]:
    """Keep the first of resources with the same type and id (Bulk exports repeat some)."""
    seen: set[tuple[str, str]] = set()
    out: list[Resource] = []
    duplicates = 0
    for res in parsed:
        rid = res.get("id")
        if isinstance(rid, str) and rid:
            key = (res["resourceType"], rid)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
        out.append(res)
    return out, duplicates


def read_at(res: Mapping[str, Any], *keys: str, tz: tzinfo = UTC) -> datetime | None:
    """The first readable time among ``keys`` (a Period counts by its start); a time without
    a zone is read in ``tz`` (the site's, as the spine reads it)."""
    for key in keys:
        raw = res.get(key)
        if isinstance(raw, dict):
            raw = raw.get("start")
        if raw is None:
            continue
        return instant(raw, tz)
    return None


def period_end(encounter: Mapping[str, Any], tz: tzinfo = UTC) -> datetime | None:
    period = encounter.get("period")
    if not isinstance(period, dict):
        return None
    return instant(period.get("end"), tz)


def instant(raw: object, tz: tzinfo = UTC) -> datetime | None:
    """``read_time(raw, tz).at``, or None (`cds.facts.times.read_instant`: the replay needs
    only the moment, several a patient)."""
    return read_instant(raw, tz)


@dataclass(frozen=True)
class TimedRecord:
    """A patient's resources with when each entered the record (read once per patient, since
    every replayed call filters the same record at its own time)."""

    resources: list[Resource]
    recorded: list[datetime | None]

    @classmethod
    def of(cls, resources: list[Resource], tz: tzinfo = UTC) -> TimedRecord:
        return cls(resources, [recorded_at(res, tz) for res in resources])

    def as_of(self, at: datetime) -> list[Resource]:
        """The record as it stood at ``at``: resources dated after it are left out."""
        return [
            res
            for res, when in zip(self.resources, self.recorded, strict=True)
            if when is None or when <= at
        ]


def recorded_at(res: Mapping[str, Any], tz: tzinfo = UTC) -> datetime | None:
    keys = RECORDED_AT.get(str(res.get("resourceType")), ())
    return read_at(res, *keys, tz=tz) if keys else None


def encounter_id(order: Mapping[str, Any]) -> str | None:
    ref = order.get("encounter")
    target = ref.get("reference") if isinstance(ref, dict) else None
    if isinstance(target, str) and target.startswith("Encounter/"):
        eid = target.split("/")[1]
        return eid if FHIR_ID.match(eid) else None
    return None


def referenced_medications(
    resources: Iterable[Resource], meds: Mapping[str, Resource]
) -> list[Resource]:
    """The Medications the record's orders point at (an EHR ``_include``s them)."""
    out: dict[str, Resource] = {}
    for res in resources:
        ref = res.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(target, str) and "Medication/" in target:
            key = medication_key(target)
            if key in meds:
                out[key] = meds[key]
    return list(out.values())


def prefetch_sources(
    resources: list[Resource],
    meds: Mapping[str, Resource],
    visit: str | None,
    also_for: Sequence[Resource] = (),
) -> list[tuple[str, Resource]]:
    """The record as an EHR would send it in prefetch: each resource with its key (the
    Patient, then one search's results per kind), as `cds.call.recorded_call` takes it.

    The ``encounter`` key holds the call's own visit (``visit``, its ``context.encounterId``)
    and no other: the service's template reads that one Encounter, so an older visit's reason
    never speaks for this call in batch either. Medications the record's orders (and the
    draft orders, ``also_for``) point at go with the medications, as an EHR's
    ``_include=MedicationRequest:medication`` does.
    """
    patient: list[tuple[str, Resource]] = []
    groups: dict[str, list[Resource]] = {key: [] for key in KEY_ORDER}
    for res in resources:
        rtype = str(res.get("resourceType"))
        if rtype == "Patient":
            patient = patient or [("prefetch.patient", res)]
        elif rtype == "Encounter":
            if visit is not None and res.get("id") == visit:
                groups["encounter"].append(res)
        elif rtype in PREFETCH_KEYS:
            groups[PREFETCH_KEYS[rtype]].append(res)
    groups["medications"] += referenced_medications([*resources, *also_for], meds)
    return [*patient, *((f"prefetch.{key}", r) for key in KEY_ORDER for r in groups[key])]
