"""The FHIR resources `cds synth` writes for one patient's situation, with stable ids.

US Core-style records (ICD-10-CM and SNOMED CT codings, LOINC vital signs with times in three
forms, product-level RxNorm codes, half of the prescriptions by `medicationReference`) and the
noise that must not change any card (entered-in-error records, a duplicate, a chest X-ray).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from cds.fhir import Resource
from cds.review.synth_situations import MEDS, Situation

TZ = timezone(timedelta(hours=-5))
BASE = datetime(2025, 1, 6, 8, 0, tzinfo=TZ)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"


def patient_resources(rng: random.Random, n: int, sit: Situation) -> list[tuple[str, Resource]]:
    pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    start = BASE + timedelta(days=rng.randrange(0, 300), hours=rng.randrange(0, 10))
    b = _Builder(rng, pid, start)
    b.patient(n, rng)
    enc = b.encounter(start, start + timedelta(hours=4)) if sit.encounter else None
    if sit.older_visit and sit.encounter:  # no index visit: no visits at all
        old = start - timedelta(days=200)
        b.encounter(old, old + timedelta(hours=2))
        b.vital("heart_rate", 72, old + timedelta(hours=1))
    if sit.in_scope:
        onset = start - timedelta(days=70 if sit.imaging == "persistent" else 2)
        back = b.condition(("M54.50", "279039007", "Low back pain"), onset, "encounter-diagnosis")
        if "noise_duplicate" in sit.noise:
            b.out.append(("Condition", back))
    else:
        b.condition(("I10", "38341003", "Essential hypertension"), start - timedelta(days=900))
        b.med_request("lisinopril", start - timedelta(days=400), enc)
    if sit.imaging == "fall":
        b.condition(("W19.XXXA", "217082002", "Accidental fall"), start - timedelta(days=3))
    vitals_at = start + timedelta(hours=1)
    b.vital("heart_rate", 135 if sit.heart_rate_high else 78, vitals_at)
    b.temperature(sit.temperature, sit.temperature_unit, vitals_at)
    _comorbidity(b, sit.comorbidity, start)
    _noise(b, sit, start, vitals_at, enc)
    signed = start + timedelta(hours=2)
    if sit.imaging:
        b.service_request(("24972-2", "XR Lumbar spine Views"), signed, enc)
    if sit.nsaid:
        b.med_request(sit.nsaid, signed, enc)
    if sit.relaxant:
        b.med_request(sit.relaxant, signed, enc)
    if sit.prior_opioid:
        b.med_request("oxycodone", start - timedelta(days=1), None)
    return b.out


def _comorbidity(b: _Builder, which: str | None, start: datetime) -> None:
    if which == "diabetes":
        b.condition(("E11.9", "44054006", "Type 2 diabetes mellitus"), start - timedelta(days=2000))
    elif which == "ckd":
        b.condition(
            ("N18.30", "433144002", "Chronic kidney disease stage 3"), start - timedelta(days=800)
        )
    elif which == "egfr_low":
        b.lab(
            ("33914-3", "Glomerular filtration rate/1.73 sq M.predicted by MDRD"),
            45,
            "mL/min/{1.73_m2}",
            start - timedelta(days=30),
        )
    elif which == "hba1c_high":
        b.lab(
            ("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood"),
            8.1,
            "%",
            start - timedelta(days=40),
        )
    elif which == "warfarin":
        b.med_request("warfarin", start - timedelta(days=200), None)


def _noise(
    b: _Builder, sit: Situation, start: datetime, vitals_at: datetime, enc: str | None
) -> None:
    if "noise_error_condition" in sit.noise:
        b.condition(
            ("E11.9", "44054006", "Type 2 diabetes mellitus"),
            start - timedelta(days=100),
            error=True,
        )
    if "noise_error_vital" in sit.noise:
        b.vital("heart_rate", 152, vitals_at, status="entered-in-error")
    if "noise_error_order" in sit.noise:
        b.med_request("ibuprofen", start + timedelta(hours=3), enc, status="entered-in-error")
    if "noise_chest_xray" in sit.noise:
        b.service_request(("36643-5", "XR Chest 2 Views"), start + timedelta(hours=2), enc)


class _Builder:
    """Builds one patient's resources with stable ids."""

    def __init__(self, rng: random.Random, pid: str, start: datetime) -> None:
        self.rng, self.pid, self.start = rng, pid, start
        self.out: list[tuple[str, Resource]] = []
        self.count = 0

    def _id(self) -> str:
        self.count += 1
        return f"{self.pid[:8]}-{self.count}"

    def _add(self, res: Resource) -> Resource:
        self.out.append((res["resourceType"], res))
        return res

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def patient(self, n: int, rng: random.Random) -> None:
        birth = datetime(1945, 1, 1) + timedelta(days=rng.randrange(0, 365 * 55))
        self._add(
            {
                "resourceType": "Patient",
                "id": self.pid,
                "meta": {
                    "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]
                },
                "identifier": [
                    {"system": "urn:oid:2.16.840.1.113883.19.5.99", "value": f"MRN{n:07d}"}
                ],
                "name": [
                    {"family": f"Synth{n}", "given": [rng.choice(("Ada", "Ben", "Cleo", "Dan"))]}
                ],
                "gender": rng.choice(("female", "male")),
                "birthDate": birth.date().isoformat(),
            }
        )

    def encounter(self, start: datetime, end: datetime) -> str:
        res: dict[str, Any] = {
            "resourceType": "Encounter",
            "id": self._id(),
            "status": "finished",
            "class": {
                "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                "code": "EMER",
                "display": "emergency",
            },
            "subject": self.subject,
            "period": {"start": start.isoformat(), "end": end.isoformat()},
        }
        self._add(res)
        return str(res["id"])

    def condition(
        self,
        code: tuple[str, str, str],
        onset: datetime,
        category: str = "problem-list-item",
        error: bool = False,
    ) -> Resource:
        icd, sct, display = code
        verification = "entered-in-error" if error else "confirmed"
        return self._add(
            {
                "resourceType": "Condition",
                "id": self._id(),
                "clinicalStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                            "code": "active",
                        }
                    ]
                },
                "verificationStatus": {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": verification,
                        }
                    ]
                },
                "category": [{"coding": [{"system": CAT, "code": category}]}],
                "code": {
                    "coding": [
                        {"system": ICD, "code": icd, "display": display},
                        {"system": SCT, "code": sct, "display": display},
                    ],
                    "text": display,
                },
                "subject": self.subject,
                "onsetDateTime": onset.isoformat(),
                "recordedDate": onset.isoformat(),
            }
        )

    def _observation(
        self,
        code: tuple[str, str],
        category: str,
        at: datetime,
        value: float,
        unit: str,
        status: str = "final",
    ) -> None:
        draw = self.rng.random()
        if draw < 0.4:  # with the visit's offset
            when = at.isoformat()
        elif draw < 0.8:  # in UTC
            when = at.astimezone(UTC).isoformat()
        else:  # wall time without a zone: read in the site's zone
            when = at.replace(tzinfo=None).isoformat()
        self._add(
            {
                "resourceType": "Observation",
                "id": self._id(),
                "status": status,
                "category": [{"coding": [{"system": OBS_CAT, "code": category}]}],
                "code": {
                    "coding": [{"system": LOINC, "code": code[0], "display": code[1]}],
                    "text": code[1],
                },
                "subject": self.subject,
                "effectiveDateTime": when.replace("+00:00", "Z"),
                "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            }
        )

    def vital(self, which: str, value: float, at: datetime, status: str = "final") -> None:
        assert which == "heart_rate"
        self._observation(("8867-4", "Heart rate"), "vital-signs", at, value, "/min", status)

    def temperature(self, value: float, unit: str, at: datetime) -> None:
        self._observation(("8310-5", "Body temperature"), "vital-signs", at, value, unit)

    def lab(self, code: tuple[str, str], value: float, unit: str, at: datetime) -> None:
        self._observation(code, "laboratory", at, value, unit)

    def med_request(self, name: str, at: datetime, enc: str | None, status: str = "active") -> None:
        code, display = MEDS[name]
        res: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": self._id(),
            "status": status,
            "intent": "order",
            "subject": self.subject,
            "authoredOn": at.isoformat(),
            "requester": {
                "reference": "Practitioner?identifier=http://hl7.org/fhir/sid/us-npi|9999912345"
            },
        }
        if self.rng.random() < 0.5:  # as Bulk exports do: half by reference
            res["medicationReference"] = {"reference": f"Medication/med-{name}"}
        else:
            res["medicationCodeableConcept"] = {
                "coding": [{"system": RXNORM, "code": code, "display": display}],
                "text": display,
            }
        if enc:
            res["encounter"] = {"reference": f"Encounter/{enc}"}
        self._add(res)

    def service_request(self, code: tuple[str, str], at: datetime, enc: str | None) -> None:
        res: dict[str, Any] = {
            "resourceType": "ServiceRequest",
            "id": self._id(),
            "status": "active",
            "intent": "order",
            "category": [{"coding": [{"system": SCT, "code": "363679005", "display": "Imaging"}]}],
            "code": {
                "coding": [{"system": LOINC, "code": code[0], "display": code[1]}],
                "text": code[1],
            },
            "subject": self.subject,
            "authoredOn": at.isoformat(),
        }
        if enc:
            res["encounter"] = {"reference": f"Encounter/{enc}"}
        self._add(res)


def medication(name: str) -> Resource:
    code, display = MEDS[name]
    return {
        "resourceType": "Medication",
        "id": f"med-{name}",
        "code": {"coding": [{"system": RXNORM, "code": code, "display": display}], "text": display},
    }
