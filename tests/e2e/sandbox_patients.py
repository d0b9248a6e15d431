"""Test patients for the CDS Hooks Sandbox test, as one FHIR transaction of PUTs (fixed ids,
times relative to now so the look-back windows hold).

* `sandbox-red-flag`: low back pain, SpO2 86 % an hour ago (emergency), temperature 38.6 °C
  two hours ago (urgent).
* `sandbox-ckd-warfarin`: low back pain, chronic kidney disease stage 4, warfarin taken
  (an active MedicationRequest): an NSAID draft gets the caution and the swap to
  acetaminophen; a lumbar CT draft (the PAMA screen's default study) gets an imaging card.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

RED_FLAG: Final = "sandbox-red-flag"
CKD_WARFARIN: Final = "sandbox-ckd-warfarin"

LOINC = "http://loinc.org"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VITALS = {
    "coding": [
        {
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "vital-signs",
        }
    ]
}


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


def _patient(pid: str, family: str, given: str, birth: str, gender: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": pid,
        "name": [{"family": family, "given": [given]}],
        "gender": gender,
        "birthDate": birth,
    }


def _condition(pid: str, cid: str, system: str, code: str, display: str, days: int) -> Any:
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": f"Patient/{pid}"},
        "clinicalStatus": {"coding": [{"system": CLINICAL, "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
        "onsetDateTime": _ago(24 * days)[:10],
    }


def _vital(
    pid: str, oid: str, code: str, display: str, value: float, unit: str, hours: float
) -> Any:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [VITALS],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": _ago(hours),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def resources() -> list[dict[str, Any]]:
    """Every resource of both patients."""
    red, ckd = RED_FLAG, CKD_WARFARIN
    return [
        _patient(red, "Sandbox", "Rhea", "1975-03-14", "female"),
        _condition(red, f"{red}-lbp", ICD10, "M54.50", "Low back pain", 3),
        _vital(red, f"{red}-spo2", "59408-5", "Oxygen saturation by pulse oximetry", 86, "%", 1),
        _vital(red, f"{red}-temp", "8310-5", "Body temperature", 38.6, "Cel", 2),
        _patient(ckd, "Sandbox", "Walter", "1950-07-02", "male"),
        _condition(ckd, f"{ckd}-lbp", ICD10, "M54.50", "Low back pain", 4),
        _condition(ckd, f"{ckd}-ckd", SNOMED, "431857002", "Chronic kidney disease stage 4", 900),
        {
            "resourceType": "MedicationRequest",
            "id": f"{ckd}-warfarin",
            "status": "active",
            "intent": "order",
            "subject": {"reference": f"Patient/{ckd}"},
            "authoredOn": _ago(24 * 200)[:10],
            "medicationCodeableConcept": {
                "coding": [
                    {
                        "system": RXNORM,
                        "code": "855332",
                        "display": "Warfarin Sodium 5 MG Oral Tablet",
                    }
                ],
                "text": "Warfarin Sodium 5 MG Oral Tablet",
            },
        },
    ]


def transaction() -> dict[str, Any]:
    """A transaction Bundle that PUTs every resource at its fixed id."""
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"{r['resourceType']}/{r['id']}",
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources()
        ],
    }
