"""Resources from a hook call's prefetch and draft orders, as one patient's record."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

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

    ``entry`` sent as one object instead of a list is read as a list of one. An entry that is
    not a resource is reported in ``issues`` when a list is given (one bad entry must not hide
    the danger signs in the others), else it is an InputError.
    """
    if bundle is None:
        return []
    if not isinstance(bundle, Mapping) or not isinstance(bundle.get("resourceType"), str):
        raise InputError(f"{where} is not a FHIR resource (no resourceType)")
    if bundle["resourceType"] != "Bundle":
        return [bundle]
    entries = bundle.get("entry") or []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        message = f"{where}.entry is neither a list nor an entry"
        if issues is None:
            raise InputError(message)
        issues.append(DataIssue(rid=f"{where}.entry", message=message + "; not used"))
        return []
    out: list[Resource] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if resource is None and isinstance(entry, dict) and "resource" not in entry:
            continue  # an entry that carries no resource (a search link, a response) by design
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            message = f"{where}.entry[{i}] is not a FHIR resource (no resourceType)"
            if issues is None:
                raise InputError(message)
            issues.append(DataIssue(rid=f"{where}.entry[{i}]", message=message + "; not used"))
            continue
        out.append(resource)
    return out


def patient_record(patient_id: str, sources: Iterable[tuple[str, object]]) -> Record:
    """Gather resources from several sources, keeping only this patient's.

    Every reading counts: resources without an id are never merged, and two resources with
    the same type and id (a copy sent by two prefetch keys, or a preliminary and a final
    version of one Observation) are both kept unless their JSON is identical; the JSON is
    only compared when ids collide. A resource that names another patient is left out with an
    issue: counting another patient's fever for this one would be worse than missing it.
    """
    record, own = Record(), f"Patient/{patient_id}"
    seen: dict[tuple[str, str], Resource] = {}  # the first copy of each (type, id)
    more: dict[tuple[str, str], list[Resource]] = {}  # the other copies, if any
    images: dict[int, bytes] = {}  # id(resource) -> its sorted JSON, computed on collision

    def image(res: Resource) -> bytes:
        key = id(res)
        got = images.get(key)
        if got is None:
            try:
                got = orjson.dumps(res, option=orjson.OPT_SORT_KEYS)
            except (orjson.JSONEncodeError, TypeError):
                got = repr(key).encode()  # cannot be compared: kept as a distinct copy
            images[key] = got
        return got

    for where, payload in sources:
        for res in bundle_resources(payload, where, record.issues):
            rtype = res["resourceType"]
            if rtype == "OperationOutcome":
                continue
            rid = res.get("id")
            if isinstance(rid, str) and rid:
                key = (rtype, rid)
                first = seen.get(key)
                if first is None:
                    seen[key] = res
                else:  # ids collide: compare the JSON, only now
                    copies = more.setdefault(key, [first])
                    if any(c is res or image(c) == image(res) for c in copies):
                        continue  # truly the same reading, sent twice
                    copies.append(res)
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
