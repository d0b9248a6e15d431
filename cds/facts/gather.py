"""Resources from a hook call's prefetch and draft orders, as one patient's record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cds.errors import InputError
from cds.facts.model import DataIssue

Resource = Mapping[str, Any]
PATIENT_LINKS = ("subject", "patient", "beneficiary")


@dataclass
class Record:
    """One patient's resources, with what could not be used."""

    resources: list[Resource] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)


def bundle_resources(bundle: object, where: str) -> list[Resource]:
    """The resources of a Bundle (or a single resource); InputError when neither."""
    if bundle is None:
        return []
    if not isinstance(bundle, Mapping) or not isinstance(bundle.get("resourceType"), str):
        raise InputError(f"{where} is not a FHIR resource (no resourceType)")
    if bundle["resourceType"] != "Bundle":
        return [bundle]
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(f"{where}.entry is not a list")
    out: list[Resource] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, Mapping) else None
        if resource is None:
            continue
        if not isinstance(resource, Mapping) or not isinstance(resource.get("resourceType"), str):
            raise InputError(f"{where}.entry[{i}].resource is not a FHIR resource")
        out.append(resource)
    return out


def patient_record(patient_id: str, sources: Iterable[tuple[str, object]]) -> Record:
    """Merge resources from several sources, once each, keeping only this patient's.

    A resource that names another patient is left out with an issue: counting another
    patient's fever for this one would be worse than missing it.
    """
    record, seen = Record(), set()
    for where, payload in sources:
        for res in bundle_resources(payload, where):
            rtype = res["resourceType"]
            if rtype == "OperationOutcome":
                continue
            key = (rtype, res.get("id")) if res.get("id") else (rtype, id(res))
            if key in seen:
                continue
            seen.add(key)
            other = _other_patient(res, patient_id)
            if other:
                record.issues.append(
                    DataIssue(
                        rid=f"{rtype}/{res.get('id', '?')}",
                        message=f"belongs to {other}, not Patient/{patient_id}; not used",
                    )
                )
                continue
            record.resources.append(res)
    return record


def _other_patient(res: Resource, patient_id: str) -> str | None:
    if res.get("resourceType") == "Patient":
        rid = res.get("id")
        return f"Patient/{rid}" if rid and rid != patient_id else None
    for link in PATIENT_LINKS:
        ref = res.get(link)
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if isinstance(target, str) and "Patient/" in target:
            pid = target.rsplit("Patient/", 1)[1].split("/")[0]
            if pid != patient_id:
                return f"Patient/{pid}"
    return None
