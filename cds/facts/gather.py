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


def bundle_resources(
    bundle: object, where: str, issues: list[DataIssue] | None = None
) -> list[Resource]:
    """The resources of a Bundle (or a single resource); InputError when neither.

    An entry that is not a resource is reported in ``issues`` when a list is given (one bad
    entry must not hide the danger signs in the others), else it is an InputError.
    """
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
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None:
            continue
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            message = f"{where}.entry[{i}].resource is not a FHIR resource (no resourceType)"
            if issues is None:
                raise InputError(message)
            issues.append(DataIssue(rid=f"{where}.entry[{i}]", message=message + "; not used"))
            continue
        out.append(resource)
    return out


def patient_record(patient_id: str, sources: Iterable[tuple[str, object]]) -> Record:
    """Merge resources from several sources, once each, keeping only this patient's.

    A resource that names another patient is left out with an issue: counting another
    patient's fever for this one would be worse than missing it.
    """
    record, seen, own = Record(), set(), f"Patient/{patient_id}"
    for where, payload in sources:
        for res in bundle_resources(payload, where, record.issues):
            rtype = res["resourceType"]
            if rtype == "OperationOutcome":
                continue
            rid = res.get("id")
            key = (rtype, rid) if isinstance(rid, str) and rid else (rtype, id(res))
            if key in seen:
                continue
            seen.add(key)
            other = _other_patient(res, rtype, patient_id, own)
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


def _other_patient(res: Resource, rtype: str, patient_id: str, own: str) -> str | None:
    """The other patient a resource names (``own`` is ``Patient/<patient_id>``), if any."""
    if rtype == "Patient":
        rid = res.get("id")
        return f"Patient/{rid}" if rid and rid != patient_id else None
    subject = res.get("subject")
    if (  # the common case first: the subject is this very patient, and no other link
        isinstance(subject, dict)
        and subject.get("reference") == own
        and "patient" not in res
        and "beneficiary" not in res
    ):
        return None
    for link in PATIENT_LINKS:
        ref = res.get(link)
        if ref is None:
            continue
        target = ref.get("reference") if isinstance(ref, dict) else None
        if target == own or not isinstance(target, str) or "Patient/" not in target:
            continue  # the common case first: a plain reference to this very patient
        pid = target.rsplit("Patient/", 1)[1].split("/")[0]
        if pid != patient_id:
            return f"Patient/{pid}"
    return None
