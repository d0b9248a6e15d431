"""Test data for the service tests: a back-pain patient with a fever, as prefetch and Bundles."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


def missing(resolution: Any) -> str:
    """The required prefetch keys a resolution could not complete, as "patient, conditions"
    (the route answers 412 with them when nothing received puts the patient in scope)."""
    from cds.services import PREFETCH

    return ", ".join(resolution.missing_required(PREFETCH))


def patient(pid: str = "p1") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "gender": "female", "birthDate": "1980-04-02"}


def back_pain(pid: str = "p1", cid: str = "c1", subject: str | None = None) -> dict[str, Any]:
    """Low back pain (ICD-10-CM M54.50), active, onset 3 days ago."""
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": subject or f"Patient/{pid}"},
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        "code": {"coding": [{"system": ICD10, "code": "M54.50", "display": "Low back pain"}]},
        "onsetDateTime": _ago(72)[:10],
    }


def temperature(
    value: float, pid: str = "p1", oid: str = "o1", hours_ago: float = 2, subject: str | None = None
) -> dict[str, Any]:
    """A final body temperature in Cel."""
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8310-5", "display": "Body temperature"}]},
        "subject": {"reference": subject or f"Patient/{pid}"},
        "effectiveDateTime": _ago(hours_ago),
        "valueQuantity": {
            "value": value,
            "unit": "Cel",
            "system": "http://unitsofmeasure.org",
            "code": "Cel",
        },
    }


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def outcome(text: str = "fetch failed") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": text}],
    }


def full_prefetch(pid: str = "p1", fever: float = 38.5) -> dict[str, Any]:
    return {
        "patient": patient(pid),
        "conditions": searchset(back_pain(pid)),
        "observations": searchset(temperature(fever, pid)),
        "medications": None,
        "medicationstatements": None,
    }


def hook_request(
    hook: str = "patient-view",
    prefetch: dict[str, Any] | None = None,
    pid: str = "p1",
    **extra: Any,
) -> dict[str, Any]:
    context: dict[str, Any] = {"userId": "Practitioner/dr1", "patientId": pid}
    if hook in ("order-select", "order-sign"):
        draft = {
            "resourceType": "MedicationRequest",
            "id": "draft1",
            "status": "draft",
            "intent": "order",
            "subject": {"reference": f"Patient/{pid}"},
            "medicationCodeableConcept": {"text": "vitamin D"},
        }
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": draft}],
        }
        if hook == "order-select":
            context["selections"] = ["MedicationRequest/draft1"]
    if hook == "encounter-discharge":
        context["encounterId"] = "e1"
    body: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()), "context": context}
    if prefetch is not None:
        body["prefetch"] = prefetch
    body.update(extra)
    return body


def fetching_request(
    server: str, token: str, pid: str, prefetch: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A patient-view call that names a FHIR server and a bearer token to fetch with, as an
    EHR sends it when prefetch is partial or absent."""
    return hook_request(
        prefetch=prefetch or {},
        pid=pid,
        fhirServer=server,
        fhirAuthorization={
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
    )


def patient_bundle(pid: str = "p1", fever: float = 38.5) -> dict[str, Any]:
    """A collection Bundle with the patient, the back pain and the fever (for `cds call`)."""
    resources = [patient(pid), back_pain(pid), temperature(fever, pid)]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def transaction(fever: float = 38.5, temperatures: int = 1) -> dict[str, Any]:
    """A transaction Bundle for a FHIR server: urn:uuid references, server-assigned ids."""
    purl = f"urn:uuid:{uuid.uuid4()}"
    pat = patient()
    pat.pop("id")
    entries = [{"fullUrl": purl, "resource": pat, "request": {"method": "POST", "url": "Patient"}}]
    cond = back_pain(subject=purl)
    cond.pop("id")
    resources = [cond]
    for i in range(temperatures):
        obs = temperature(fever if i == 0 else 36.8, hours_ago=2 + i, subject=purl)
        obs.pop("id")
        resources.append(obs)
    for r in resources:
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": r,
                "request": {"method": "POST", "url": r["resourceType"]},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}
