"""Build the back-spasm golden scenarios from compact descriptions.

    python fhir_examples/make_scenarios.py                  # write request.json, scenario.json
    python fhir_examples/make_scenarios.py --update-golden  # ... and expected-cards.json
    python fhir_examples/make_scenarios.py --check          # files up to date? (exit 1 if not)

Every patient here is hand-written and synthetic. Each scenario is one small
:class:`Scenario` in ``SCENARIOS``; the helpers (:func:`condition`, :func:`observation`,
:func:`med_request`, :func:`service_request`) write the FHIR R4 resources. Times are written
relative to the scenario's evaluation time (``ago(hours=71)``), in UTC, while the evaluation
time itself carries a +04:00 offset, so every look-back window is also a time-zone test.

``expected-cards.json`` is written ONLY with ``--update-golden``, by running the real
evaluator (``cds.scenarios.run_scenario``, the same path as ``cds rules test``). A golden
file is a clinical claim: after updating, read every changed card as a clinician would
(right topic and indicator, evidence naming the right resource, instructions personalised
correctly) before committing it.
"""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))  # run as a script from anywhere

OUT = ROOT / "back-spasm"
NOW = "2026-11-26T10:00:00+04:00"
BASE = "http://ehr.example.org/fhir"

ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"
SNOMED_OID = "urn:oid:2.16.840.1.113883.6.96"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"

Resource = dict[str, Any]


# --- time ---------------------------------------------------------------------------------


def ago(*, hours: float = 0, days: float = 0, weeks: float = 0, now: str = NOW) -> str:
    """A FHIR dateTime this long before ``now``, written in UTC (``...Z``)."""
    at = datetime.fromisoformat(now) - timedelta(hours=hours, days=days, weeks=weeks)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- resources ----------------------------------------------------------------------------


def _concept(code: str | None, system: str, display: str | None, text: str | None) -> Resource:
    concept: Resource = {}
    if code is not None:
        coding: Resource = {"system": system, "code": code}
        if display:
            coding["display"] = display
        concept["coding"] = [coding]
    if text:
        concept["text"] = text
    return concept


def condition(
    id: str,
    icd10: str | None,
    onset: str | None,
    *,
    display: str | None = None,
    system: str = ICD10,
    text: str | None = None,
    clinical: str = "active",
    verification: str = "confirmed",
    recorded: str | None = None,
) -> Resource:
    """A problem-list Condition; ``icd10`` is the code (in ``system``), None for text only."""
    res: Resource = {
        "resourceType": "Condition",
        "id": id,
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": clinical,
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
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-category",
                        "code": "problem-list-item",
                    }
                ]
            }
        ],
        "code": _concept(icd10, system, display, text),
    }
    if onset:
        res["onsetDateTime"] = onset
    if recorded:
        res["recordedDate"] = recorded
    return res


def observation(
    id: str,
    loinc: str,
    value: float | str,
    unit: str,
    ucum: str | None,
    effective: str,
    *,
    display: str | None = None,
    status: str = "final",
    category: str = "vital-signs",
) -> Resource:
    """An Observation with a valueQuantity (a str ``value`` becomes valueString)."""
    res: Resource = {
        "resourceType": "Observation",
        "id": id,
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": category,
                    }
                ]
            }
        ],
        "code": _concept(loinc, LOINC, display, None),
        "effectiveDateTime": effective,
    }
    if isinstance(value, str):
        res["valueString"] = value
        return res
    qty: Resource = {"value": value, "unit": unit}
    if ucum is not None:
        qty |= {"system": UCUM, "code": ucum}
    res["valueQuantity"] = qty
    return res


def med_request(
    id: str,
    rxnorm_or_text: str,
    status: str,
    *,
    display: str | None = None,
    authored: str | None = None,
    contained: bool = False,
) -> Resource:
    """A MedicationRequest: an RxNorm code (digits) or just text; ``contained`` puts the
    medicine in a contained Medication referenced as ``#med``."""
    if rxnorm_or_text.isdigit():
        concept = _concept(rxnorm_or_text, RXNORM, display, None)
    else:
        concept = _concept(None, RXNORM, None, rxnorm_or_text)
    res: Resource = {
        "resourceType": "MedicationRequest",
        "id": id,
        "status": status,
        "intent": "order",
    }
    if contained:
        res["contained"] = [{"resourceType": "Medication", "id": "med", "code": concept}]
        res["medicationReference"] = {"reference": "#med"}
    else:
        res["medicationCodeableConcept"] = concept
    res["authoredOn"] = authored or ago(hours=1)
    if status == "draft":
        res["dosageInstruction"] = [{"text": "as directed"}]
    return res


def service_request(
    id: str,
    loinc: str,
    display: str,
    *,
    status: str = "draft",
    reason: Resource | None = None,
) -> Resource:
    """A (draft) imaging ServiceRequest coded in LOINC."""
    res: Resource = {
        "resourceType": "ServiceRequest",
        "id": id,
        "status": status,
        "intent": "order",
        "category": [{"coding": [{"system": SNOMED, "code": "363679005", "display": "Imaging"}]}],
        "code": _concept(loinc, LOINC, display, None),
        "authoredOn": ago(hours=0.5),
    }
    if reason is not None:
        res["reasonCode"] = [reason]
    return res


def text_order(id: str, text: str) -> Resource:
    """A draft imaging ServiceRequest known only by its catalogue text (no code)."""
    res = service_request(id, "x", text)
    res["code"] = {"text": text}
    return res


def encounter(id: str, *, reason_text: str | None = None, diagnosis: str | None = None) -> Resource:
    """The discharge Encounter, with its reason given only as text and/or a diagnosis given only
    as a reference's display."""
    res: Resource = {
        "resourceType": "Encounter",
        "id": id,
        "status": "in-progress",
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "EMER",
            "display": "emergency",
        },
        "period": {"start": ago(hours=4)},
    }
    if reason_text:
        res["reasonCode"] = [{"text": reason_text}]
    if diagnosis:
        res["diagnosis"] = [{"condition": {"display": diagnosis}, "rank": 1}]
    return res


def vital(id: str, loinc: str, value: float, unit: str, ucum: str, display: str) -> Resource:
    return observation(id, loinc, value, unit, ucum, ago(hours=1), display=display)


def flowsheet(id: str, name: str, value: float, unit: str, status: str = "final") -> Resource:
    """A nursing flowsheet row sent under the EHR's local code alone, named in words (a
    bladder scan's post-void residual), an hour ago."""
    res = observation(id, "0", value, unit, unit, ago(hours=1), status=status, category="exam")
    res["code"] = {
        "coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "3040102774"}],
        "text": name,
    }
    return res


def _unverified(obs: Resource, status: str) -> Resource:
    """The Observation as a device feed sends it before validation."""
    return obs | {"status": status}


def coded_value(id: str, loinc: str, display: str, value: Resource) -> Resource:
    """An Observation whose value is a CodeableConcept (an ACVPU level, for example)."""
    res = observation(id, loinc, 0, "", None, ago(hours=1), display=display)
    res.pop("valueQuantity")
    res["valueCodeableConcept"] = value
    return res


def flowsheet_row(id: str, name: str, value: str) -> Resource:
    """A nursing flowsheet row from an hour ago: a local code named ``name``, its value in
    words (``valueString``), as Epic-like feeds send a triage or exam row."""
    res = observation(id, "0", value, "", None, ago(hours=1), category="exam")
    res["code"] = {
        "coding": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "304" + id}],
        "text": name,
    }
    return res


def sym(id: str, code: str | None, text_or_display: str, *, system: str = ICD10, days: float = 1):
    """A symptom Condition from a day ago: coded (with its display) or text only (code None)."""
    if code is None:
        return condition(id, None, ago(days=days), text=text_or_display)
    return condition(id, code, ago(days=days), display=text_or_display, system=system)


def red_flag_select(name: str, what: str, *records: Resource, meds: Sequence[Resource] = ()):
    """An X-ray being selected for back pain with one red-flag record: imaging supported."""
    return Scenario(
        name,
        SELECT,
        f"Back pain; {what}; lumbar X-ray being selected: imaging supported (red flag), never "
        "'not indicated' or an offer to remove the order.",
        ["IMG1"],
        conditions=[back_pain(), *records],
        medications=list(meds),
        drafts=[imaging()],
    )


# Common records.


def back_pain(id: str = "lbp", *, onset: str | None = None) -> Resource:
    """Low back pain, unspecified (M54.50), started three days ago unless told."""
    return condition(id, "M54.50", onset or ago(days=3), display="Low back pain, unspecified")


def temperature(id: str, value: float | str, unit: str, ucum: str | None, **kw: Any) -> Resource:
    effective = kw.pop("effective", ago(hours=2))
    return observation(id, "8310-5", value, unit, ucum, effective, display="Body temperature", **kw)


def heart_rate(id: str, value: float, **kw: Any) -> Resource:
    return observation(
        id, "8867-4", value, "beats/minute", "{beats}/min", ago(hours=1), display="Heart rate", **kw
    )


def absent(obs: Resource, reason: str) -> Resource:
    """The Observation with no value, and a dataAbsentReason instead."""
    obs.pop("valueQuantity", None)
    obs["dataAbsentReason"] = {
        "coding": [
            {"system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": reason}
        ]
    }
    return obs


XR_LUMBAR = ("24970-6", "XR Lumbar spine AP and Lateral")
MR_LUMBAR = ("24968-0", "MR Lumbar spine")
CT_LUMBAR = ("24963-1", "CT Lumbar spine")


def imaging(id: str = "img1", code: tuple[str, str] = XR_LUMBAR, **kw: Any) -> Resource:
    return service_request(id, code[0], code[1], **kw)


# --- scenarios ----------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    hook: str
    description: str
    statements: list[str]
    conditions: list[Resource] = field(default_factory=list)
    observations: list[Resource] = field(default_factory=list)
    medications: list[Resource] = field(default_factory=list)
    drafts: list[Resource] = field(default_factory=list)
    birth_date: str = "1979-05-14"
    gender: str = "female"
    now: str = NOW
    encounter: Resource | None = None
    """The discharge encounter (prefetch key ``encounter``, encounter-discharge only)."""
    site: dict[str, float] = field(default_factory=dict)
    """Site overrides of the pack's settings the scenario runs under (``"site"`` in
    scenario.json), e.g. ``{"imaging_age_years": 50}``."""

    @property
    def patient_id(self) -> str:
        return "pt-" + self.name[:60]

    def request(self) -> Resource:
        pid = self.patient_id
        context: Resource = {"userId": "Practitioner/dr-ortega", "patientId": pid}
        context["encounterId"] = "enc-" + self.name[:60]
        if self.hook in ("order-select", "order-sign"):
            context["draftOrders"] = _bundle("collection", [_subject(r, pid) for r in self.drafts])
            if self.hook == "order-select":
                context["selections"] = [f"{r['resourceType']}/{r['id']}" for r in self.drafts]
        prefetch: dict[str, Resource | None] = {
            "patient": {
                "resourceType": "Patient",
                "id": pid,
                "name": [{"family": "Synthetic", "given": ["Test"]}],
                "gender": self.gender,
                "birthDate": self.birth_date,
            }
        }
        if self.hook == "encounter-discharge":  # declared at discharge only; null: none
            visit = self.encounter  # the call's own visit: it carries context.encounterId
            prefetch["encounter"] = (
                {**_subject(visit, pid), "id": context["encounterId"]} if visit else None
            )
        for key, items in (
            ("conditions", self.conditions),
            ("observations", self.observations),
            ("medications", self.medications),
        ):
            prefetch[key] = (
                _bundle("searchset", [_subject(r, pid) for r in items]) if items else None
            )
        prefetch["medicationstatements"] = None  # every declared key answered (null: none)
        return {
            "hook": self.hook,
            "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{BASE}/scenario/{self.name}")),
            "context": context,
            "prefetch": prefetch,
        }

    def meta(self) -> Resource:
        meta: Resource = {
            "now": self.now,
            "description": self.description,
            "statements": self.statements,
            "hook": self.hook,
        }
        if self.site:
            meta["site"] = self.site
        return meta


def _subject(res: Resource, pid: str) -> Resource:
    out = dict(res)
    out["subject"] = {"reference": f"Patient/{pid}"}
    return out


def _bundle(kind: str, resources: Sequence[Resource]) -> Resource:
    entry = []
    for r in resources:
        item: Resource = {"fullUrl": f"{BASE}/{r['resourceType']}/{r['id']}", "resource": r}
        if kind == "searchset":
            item["search"] = {"mode": "match"}
        entry.append(item)
    bundle: Resource = {"resourceType": "Bundle", "type": kind}
    if kind == "searchset":
        bundle["total"] = len(entry)
    bundle["entry"] = entry
    return bundle


PV, SELECT, SIGN, DISCHARGE = "patient-view", "order-select", "order-sign", "encounter-discharge"

SCENARIOS: list[Scenario] = [
    # --- fever threshold and units (URG4) -------------------------------------------------
    Scenario(
        "fever-100-4-degf-card",
        PV,
        "Back pain; oral temperature 100.4 [degF] two hours ago: exactly 38.0 Cel, a fever.",
        ["URG4"],
        conditions=[back_pain()],
        observations=[temperature("temp1", 100.4, "[degF]", "[degF]")],
    ),
    Scenario(
        "fever-100-3-degf-none",
        PV,
        "Back pain; temperature 100.3 °F (unit written '°F'): just under 38 Cel, no card.",
        ["URG4"],
        conditions=[back_pain()],
        observations=[temperature("temp1", 100.3, "°F", "[degF]")],
    ),
    Scenario(
        "fever-38-0-cel-card",
        PV,
        "Back pain; temperature 38.0 Cel: at the threshold, a fever.",
        ["URG4"],
        conditions=[back_pain()],
        observations=[temperature("temp1", 38.0, "Cel", "Cel")],
    ),
    Scenario(
        "fever-37-9-cel-none",
        PV,
        "Back pain; temperature 37.9 Cel: below the threshold, no card.",
        ["URG4"],
        conditions=[back_pain()],
        observations=[temperature("temp1", 37.9, "Cel", "Cel")],
    ),
    Scenario(
        "fever-71-hours-old-card",
        PV,
        "Back pain; fever 38.6 Cel measured 71 h ago: inside the 72 h vital-sign window.",
        ["URG4"],
        conditions=[back_pain(onset=ago(days=4))],
        observations=[temperature("temp1", 38.6, "Cel", "Cel", effective=ago(hours=71))],
    ),
    Scenario(
        "fever-73-hours-old-none",
        PV,
        "Back pain; fever 38.6 Cel measured 73 h ago: outside the 72 h window, no card.",
        ["URG4"],
        conditions=[back_pain(onset=ago(days=4))],
        observations=[temperature("temp1", 38.6, "Cel", "Cel", effective=ago(hours=73))],
    ),
    Scenario(
        "fever-preliminary-or-error-none",
        PV,
        "Back pain; a preliminary 39.2 Cel and an entered-in-error 39.0 Cel: neither is an urgent "
        "sign; the unverified 39.2 is named in a data-check card.",
        ["URG4"],
        conditions=[back_pain()],
        observations=[
            temperature("temp-prelim", 39.2, "Cel", "Cel", status="preliminary"),
            temperature("temp-error", 39.0, "Cel", "Cel", status="entered-in-error"),
        ],
    ),
    Scenario(
        "temperature-unit-unreadable",
        PV,
        "Back pain; body temperature 38.9 in unit 'xyz': the urgent card says it was not read.",
        ["URG4"],
        conditions=[back_pain()],
        observations=[temperature("temp1", 38.9, "xyz", None)],
    ),
    Scenario(
        "heart-rate-absent-error-unreadable",
        PV,
        "Back pain; a heart rate an hour ago with no value, its dataAbsentReason 'error': a "
        "reading may exist, so the emergency card says it could not be read.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[absent(heart_rate("hr1", 0), "error")],
    ),
    # --- heart rate and oxygen thresholds (ER5, ER1) ---------------------------------------
    Scenario(
        "heart-rate-131-card",
        PV,
        "Back pain; heart rate 131 {beats}/min: at the high emergency threshold.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[heart_rate("hr1", 131)],
    ),
    Scenario(
        "unverified-danger-readings-data-check",
        PV,
        "Back pain; a device feed's readings not yet validated by a nurse (preliminary or "
        "registered): heart rate 150 and 35, breathing rate 30 and 6, SpO2 85 %, GCS 12, AVPU "
        "'Voice'. No emergency card from unverified data: one data-check card naming each.",
        ["ER1", "ER2", "ER3", "ER5"],
        conditions=[back_pain()],
        observations=[
            _unverified(heart_rate("hr-high", 150), "preliminary"),
            _unverified(heart_rate("hr-low", 35), "registered"),
            _unverified(
                vital("rr-high", "9279-1", 30, "breaths/minute", "/min", "Respiratory rate"),
                "preliminary",
            ),
            _unverified(
                vital("rr-low", "9279-1", 6, "breaths/minute", "/min", "Respiratory rate"),
                "preliminary",
            ),
            _unverified(
                vital("spo2", "59408-5", 85, "%", "%", "Oxygen saturation by pulse oximetry"),
                "preliminary",
            ),
            _unverified(
                vital("gcs", "9269-2", 12, "{score}", "{score}", "Glasgow coma score total"),
                "preliminary",
            ),
            _unverified(
                coded_value(
                    "avpu",
                    "67775-7",
                    "Level of responsiveness (AVPU)",
                    {
                        "coding": [
                            {"system": SNOMED, "code": "300202002", "display": "Responds to voice"}
                        ],
                        "text": "Voice",
                    },
                ),
                "preliminary",
            ),
        ],
    ),
    Scenario(
        "gcs-components-unverified-data-check",
        PV,
        "Back pain; GCS components from a device feed not yet validated: eye opening 3 and "
        "verbal 3 (preliminary), motor 5 (registered), no total. Like an unverified total, "
        "each is a data-check item, never an emergency card.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[
            _unverified(
                vital("gcs-e", "9267-6", 3, "{score}", "{score}", "Glasgow coma score eye opening"),
                "preliminary",
            ),
            _unverified(
                vital("gcs-v", "9270-0", 3, "{score}", "{score}", "Glasgow coma score verbal"),
                "preliminary",
            ),
            _unverified(
                vital("gcs-m", "9268-4", 5, "{score}", "{score}", "Glasgow coma score motor"),
                "registered",
            ),
        ],
    ),
    Scenario(
        "heart-rate-old-high-latest-normal-card",
        PV,
        "Back pain; heart rate 140 /min 20 h ago, 84 /min an hour ago: the emergency card "
        "names the 140 and shows the newer 84 beside it, so the clinician sees the trend.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[
            observation(
                "hr-old",
                "8867-4",
                140,
                "beats/minute",
                "{beats}/min",
                ago(hours=20),
                display="Heart rate",
            ),
            heart_rate("hr-new", 84),
        ],
    ),
    Scenario(
        "heart-rate-130-none",
        PV,
        "Back pain; heart rate 130 {beats}/min: below the high threshold, no card.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[heart_rate("hr1", 130)],
    ),
    Scenario(
        "heart-rate-40-muscle-relaxant-select",
        SELECT,
        "Back spasm (M62.830); heart rate 40 /min an hour ago and cyclobenzaprine being "
        "selected: emergency sign (slow heart rate) and a sedation caution.",
        ["ER5", "MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        observations=[heart_rate("hr1", 40)],
        drafts=[med_request("rx1", "828348", "draft", display="cyclobenzaprine 10 MG Oral Tablet")],
    ),
    Scenario(
        "heart-rate-41-none",
        PV,
        "Back pain; heart rate 41 /min: above the low threshold, no card.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[heart_rate("hr1", 41)],
    ),
    Scenario(
        "spo2-91-card",
        PV,
        "Back pain; SpO2 91 % by pulse oximetry: trouble breathing (emergency).",
        ["ER1"],
        conditions=[back_pain()],
        observations=[observation("spo2", "59408-5", 91, "%", "%", ago(hours=1), display="SpO2")],
    ),
    Scenario(
        "tachycardia-coded-with-rate-since",
        PV,
        "Back pain; tachycardia coded (R00.0) 3 h ago and a heart rate of 108 measured an hour "
        "ago, below the 131 threshold: the rate measured since does not bear out the coded sign, "
        "so no call-911 card (superseded_by_measure; ER physician review, fourth round).",
        ["ER5"],
        conditions=[
            back_pain(),
            condition("tachy", "R00.0", ago(hours=3), display="Tachycardia, unspecified"),
        ],
        observations=[heart_rate("hr", 108)],
    ),
    Scenario(
        "bladder-residual-850-card",
        PV,
        "Back pain; a bladder scan after voiding leaves 850 mL (a flowsheet row under a local "
        "code, named in words): urinary retention measured, a cauda equina bladder sign "
        "(emergency).",
        ["ER6"],
        conditions=[back_pain()],
        observations=[flowsheet("pvr", "Post Void Residual", 850, "mL")],
    ),
    Scenario(
        "bladder-residual-150-none",
        PV,
        "Back pain; post-void residual 150 mL: below the retention threshold, no card.",
        ["ER6"],
        conditions=[back_pain()],
        observations=[flowsheet("pvr", "Post Void Residual", 150, "mL")],
    ),
    Scenario(
        "bladder-residual-unverified-data-check",
        PV,
        "Back pain; a post-void residual of 0.42 L not yet validated (preliminary): no "
        "emergency card from it, a data-check item naming it.",
        ["ER6"],
        conditions=[back_pain()],
        observations=[flowsheet("pvr", "PVR", 0.42, "L", status="preliminary")],
    ),
    Scenario(
        "spo2-92-none",
        PV,
        "Back pain; SpO2 92 %: above the emergency threshold, no card.",
        ["ER1"],
        conditions=[back_pain()],
        observations=[observation("spo2", "59408-5", 92, "%", "%", ago(hours=1), display="SpO2")],
    ),
    # --- symptom window and statuses ------------------------------------------------------
    Scenario(
        "chills-13-days-card",
        PV,
        "Back pain; chills (R68.83) with onset 13 days ago: inside the 14-day symptom window.",
        ["URG5"],
        conditions=[back_pain(onset=ago(days=20)), condition("chills", "R68.83", ago(days=13))],
    ),
    Scenario(
        "chills-15-days-none",
        PV,
        "Back pain; chills (R68.83) with onset 15 days ago: outside the window, no card.",
        ["URG5"],
        conditions=[back_pain(onset=ago(days=20)), condition("chills", "R68.83", ago(days=15))],
    ),
    Scenario(
        "symptoms-resolved-or-refuted-none",
        PV,
        "Back pain; confusion marked resolved, fainting refuted, dyspnea entered in error: "
        "none of them counts, no card.",
        ["ER1", "ER2", "ER4"],
        conditions=[
            back_pain(),
            condition("confusion", "R41.0", ago(days=1), clinical="resolved"),
            condition("syncope", "R55", ago(days=1), verification="refuted"),
            condition("dyspnea", "R06.02", ago(days=1), verification="entered-in-error"),
        ],
    ),
    # --- scope -----------------------------------------------------------------------------
    Scenario(
        "out-of-scope-fever-no-back-pain",
        PV,
        "No back-pain diagnosis (knee pain); fever 39.4 Cel and chills: not this pack's "
        "patient, no cards.",
        ["URG4", "URG5"],
        conditions=[
            condition("knee", "M25.561", ago(days=2), display="Pain in right knee"),
            condition("chills", "R68.83", ago(days=1)),
        ],
        observations=[temperature("temp1", 39.4, "Cel", "Cel")],
    ),
    Scenario(
        "out-of-scope-discharge",
        DISCHARGE,
        "Discharge without a back-pain diagnosis (knee pain) but with CKD and active "
        "cyclobenzaprine: no instructions, no cautions.",
        ["MED3", "MED4"],
        conditions=[
            condition("knee", "M25.561", ago(days=2), display="Pain in right knee"),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
        medications=[med_request("rx1", "21949", "active", display="cyclobenzaprine")],
    ),
    # --- code variants ---------------------------------------------------------------------
    Scenario(
        "icd10-lowercase-no-dot-order-sign",
        SIGN,
        "Back pain coded 'm5450' and fever coded 'r509' (lowercase, no dot) with a lumbar "
        "X-ray being signed: reported fever supports imaging and is an urgent sign.",
        ["URG4", "IMG1"],
        conditions=[
            condition("lbp", "m5450", ago(days=5)),
            condition("fever", "r509", ago(days=1)),
        ],
        drafts=[imaging()],
    ),
    Scenario(
        "snomed-oid-codes",
        PV,
        "Low back pain (SNOMED 279039007) and dysuria (SNOMED 49650001), both sent with the "
        "SNOMED OID as system: urgent sign (painful urination).",
        ["URG6"],
        conditions=[
            condition("lbp", "279039007", ago(days=3), system=SNOMED_OID),
            condition("dysuria", "49650001", ago(days=1), system=SNOMED_OID),
        ],
    ),
    Scenario(
        "text-only-back-pain",
        PV,
        "A text-only problem 'Low back pain' (no code); breathing rate 26 /min: emergency.",
        ["ER1"],
        conditions=[condition("lbp", None, ago(days=2), text="Low back pain")],
        observations=[
            observation(
                "rr1",
                "9279-1",
                26,
                "breaths/minute",
                "{breaths}/min",
                ago(hours=3),
                display="Respiratory rate",
            )
        ],
    ),
    # --- emergency / urgent symptoms in the other hooks -----------------------------------
    Scenario(
        "emergency-symptoms-discharge",
        DISCHARGE,
        "Discharge; dyspnea (SNOMED), confusion, somnolence, syncope and bradycardia recorded "
        "in the last days: one emergency card listing each, plus the instructions.",
        ["ER1", "ER2", "ER3", "ER4", "ER5"],
        conditions=[
            back_pain(),
            condition("dyspnea", "267036007", ago(days=1), system=SNOMED, display="Dyspnea"),
            condition("confusion", "R41.0", ago(days=1), display="Disorientation, unspecified"),
            condition("drowsy", "R40.0", ago(days=1), display="Somnolence"),
            condition("syncope", "R55", ago(days=2), display="Syncope and collapse"),
            condition("brady", "R00.1", ago(days=1), display="Bradycardia, unspecified"),
        ],
    ),
    Scenario(
        "urgent-symptoms-order-select",
        SELECT,
        "Sciatica (M54.41; the diagnosis that brought the patient, no sign by itself), pain now "
        "spreading down the left leg (M79.605), tingling in both legs (R20.2), saddle numbness "
        "and dysuria this week; acetaminophen being selected, no caution condition: one urgent "
        "card only.",
        ["URG1", "URG2", "URG3", "URG6", "MED2"],
        conditions=[
            condition("sciatica", "M54.41", ago(days=3), display="Lumbago with sciatica, right"),
            condition(
                "leg-pain",
                "M79.605",
                ago(days=2),
                display="Pain in left leg",
                text="Back pain now spreading down the left leg",
            ),
            condition(
                "paresthesia",
                "R20.2",
                ago(days=2),
                display="Paresthesia of skin",
                text="Tingling and numbness in both legs",
            ),
            condition(
                "saddle",
                "449813001",
                ago(days=1),
                system=SNOMED,
                display="Numbness of saddle area",
            ),
            condition("dysuria", "R30.0", ago(days=1), display="Dysuria"),
        ],
        drafts=[med_request("rx1", "161", "draft", display="Acetaminophen")],
    ),
    Scenario(
        "bladder-control-breathing-order-sign",
        SIGN,
        "Back pain with new urinary incontinence, breathing rate 8 /min and an unreadable "
        "heart rate ('irregular'); lumbar MRI being signed: emergency card and imaging "
        "supported by possible cauda equina signs.",
        ["ER1", "ER5", "ER6", "IMG1"],
        conditions=[
            back_pain(),
            condition("incont", "R32", ago(days=1), display="Unspecified urinary incontinence"),
        ],
        observations=[
            observation(
                "rr1", "9279-1", 8, "/min", "/min", ago(hours=2), display="Respiratory rate"
            ),
            observation("hr1", "8867-4", "irregular", "", None, ago(hours=2), display="Heart rate"),
        ],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    # --- imaging ---------------------------------------------------------------------------
    Scenario(
        "imaging-not-indicated-order-sign",
        SIGN,
        "Back pain for 3 days, nothing else; lumbar X-ray being signed: not indicated, with a "
        "suggestion to remove the order.",
        ["IMG1"],
        conditions=[back_pain()],
        drafts=[imaging()],
    ),
    Scenario(
        "imaging-select-preliminary-fever-hedged",
        SELECT,
        "Back pain for 3 days; temperature 39.4 °C left preliminary 2 h ago; lumbar X-ray "
        "selected: the data-check card shows the unverified fever, and the imaging card says "
        "a possible red flag awaits confirmation and offers no removal.",
        ["IMG1", "URG4"],
        conditions=[back_pain()],
        observations=[temperature("temp1", 39.4, "°C", "Cel", status="preliminary")],
        drafts=[imaging()],
    ),
    Scenario(
        "imaging-age-50-site-setting-supported",
        SIGN,
        "Back pain for 3 days in a man of 62, nothing else; lumbar X-ray being signed at a "
        "site that supports imaging from age 50 (site setting imaging_age_years 50): "
        "supported by age, not flagged as unneeded.",
        ["IMG1"],
        conditions=[back_pain()],
        drafts=[imaging()],
        birth_date="1964-03-02",
        gender="male",
        site={"imaging_age_years": 50},
    ),
    Scenario(
        "imaging-fall-supported-order-select",
        SELECT,
        "Back pain after a fall (W19.XXXA) two days ago; lumbar MRI selected: supported by trauma.",
        ["IMG2"],
        conditions=[
            back_pain(onset=ago(days=2)),
            condition("fall", "W19.XXXA", ago(days=2), display="Unspecified fall"),
        ],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    Scenario(
        "imaging-pain-since-fall-order-select",
        SELECT,
        "Back pain; a problem entered today 'Fell down stairs 6 weeks ago, LBP since, no better "
        "w/ PT'; lumbar MRI selected: supported, named as pain lasting since the injury (not a "
        "recent injury).",
        ["IMG2", "IMG3"],
        conditions=[
            back_pain(onset=ago(days=2)),
            condition(
                "fall",
                None,
                ago(hours=3),
                text="Fell down stairs 6 weeks ago, LBP since, no better w/ PT",
            ),
        ],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    Scenario(
        "imaging-strain-not-trauma-order-select",
        SELECT,
        "Lumbar strain code alone (S39.012A, lifting); lumbar X-ray selected: a strain code is "
        "not trauma, so imaging is not indicated.",
        ["IMG1", "IMG2"],
        conditions=[
            condition(
                "strain",
                "S39.012A",
                ago(days=2),
                display="Strain of muscle, fascia and tendon of lower back, initial encounter",
            )
        ],
        drafts=[imaging()],
    ),
    Scenario(
        "imaging-pain-7-weeks-supported",
        SIGN,
        "Back pain with onset 7 weeks ago; lumbar X-ray being signed: persistent pain (at "
        "least 6 weeks) supports imaging.",
        ["IMG3"],
        conditions=[back_pain(onset=ago(weeks=7))],
        drafts=[imaging()],
    ),
    Scenario(
        "imaging-pain-5-weeks-not-indicated",
        SIGN,
        "Back pain with onset 5 weeks ago; lumbar X-ray being signed: not yet persistent, "
        "not indicated.",
        ["IMG1", "IMG3"],
        conditions=[back_pain(onset=ago(weeks=5))],
        drafts=[imaging()],
    ),
    Scenario(
        "imaging-order-alone-in-scope",
        SIGN,
        "No back-pain diagnosis, but a lumbar CT being signed: the draft lumbar imaging order "
        "puts the patient in scope; no supporting criterion.",
        ["IMG1"],
        drafts=[imaging(code=CT_LUMBAR)],
    ),
    Scenario(
        "imaging-red-flags-order-select",
        SELECT,
        "Back pain with breast-cancer history (Z85.3), weakness in both legs (M62.81) and fever "
        "38.4 Cel; lumbar MRI selected: imaging supported (three criteria) and an urgent card.",
        ["IMG1", "URG2", "URG4"],
        conditions=[
            back_pain(),
            condition("cancer-hx", "Z85.3", ago(weeks=300), display="History of breast cancer"),
            condition(
                "weakness",
                "M62.81",
                ago(days=2),
                display="Muscle weakness (generalized)",
                text="Weakness in both legs",
            ),
        ],
        observations=[temperature("temp1", 38.4, "Cel", "Cel")],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    Scenario(
        "imaging-osteomyelitis-history-sign",
        SIGN,
        "Back pain with vertebral osteomyelitis in the history (M46.26); lumbar MRI being "
        "signed: supported by a red flag in the history, the general criterion, since no more "
        "specific rule names that record (cancer history would be named as cancer).",
        ["IMG1"],
        conditions=[
            back_pain(),
            condition(
                "osteo", "M46.26", ago(weeks=80), display="Osteomyelitis of vertebra, lumbar"
            ),
        ],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    # --- pain-reliever cautions (MED2, MED3) -----------------------------------------------
    Scenario(
        "nsaid-ckd-caution",
        SIGN,
        "Back pain and CKD stage 3 (N18.30); ibuprofen being signed: caution (kidney disease) "
        "with a suggestion to switch to acetaminophen.",
        ["MED3"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "nsaid-opioid-combination-ckd-no-swap",
        SIGN,
        "Back pain and CKD stage 3; hydrocodone-ibuprofen (Vicoprofen) being signed: the "
        "kidney caution and the sedation card, but no swap to acetaminophen, which would drop "
        "the opioid the order also holds (except_valuesets).",
        ["MED3", "MED4"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
        drafts=[
            med_request("rx1", "HYDROcodone-ibuprofen (VICOPROFEN) 7.5-200 mg tablet", "draft")
        ],
    ),
    Scenario(
        "aspirin-butalbital-coded-ckd-no-swap",
        SIGN,
        "Back pain and CKD stage 3; aspirin 325 mg with butalbital and caffeine (Fiorinal) "
        "being signed, coded by its RxNorm product code alone: an analgesic dose of aspirin, "
        "so the kidney caution; no swap to acetaminophen, which would drop the butalbital "
        "(caution-nsaid-with-other-medicine says why).",
        ["MED3"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
        drafts=[
            med_request(
                "rx1",
                "238135",
                "draft",
                display="aspirin 325 MG / butalbital 50 MG / caffeine 40 MG Oral Tablet",
            )
        ],
    ),
    Scenario(
        "aspirin-ingredient-no-dose-ckd-hedged",
        SIGN,
        "Back pain and CKD stage 3; aspirin being signed coded by its RxNorm ingredient alone "
        "(1191), with no dose anywhere in the order: at 325 mg or more it is an NSAID, below "
        "it low-dose aspirin, so the kidney caution is raised, hedged by "
        "caution-aspirin-dose-unclear (check the dose), and no swap to acetaminophen is "
        "offered (it may be an antiplatelet).",
        ["MED3"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
        drafts=[med_request("rx1", "1191", "draft", display="aspirin")],
    ),
    Scenario(
        "nsaid-egfr-59-caution",
        SIGN,
        "Back pain; latest eGFR 59 mL/min/1.73m2 (two months ago); ibuprofen being signed: "
        "caution (eGFR below 60).",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "egfr",
                "98979-8",
                59,
                "mL/min/1.73m2",
                "mL/min/{1.73_m2}",
                ago(days=60),
                display="eGFR (CKD-EPI 2021)",
                category="laboratory",
            )
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "nsaid-egfr-60-none",
        SIGN,
        "Back pain; latest eGFR 60 mL/min/1.73m2; ibuprofen being signed: no caution.",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "egfr",
                "98979-8",
                60,
                "mL/min/1.73m2",
                "mL/min/{1.73_m2}",
                ago(days=60),
                display="eGFR (CKD-EPI 2021)",
                category="laboratory",
            )
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "nsaid-hba1c-6-5-caution",
        SELECT,
        "Back pain; latest HbA1c 6.5 % (three months ago); naproxen selected: caution "
        "(diabetes range).",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "a1c", "4548-4", 6.5, "%", "%", ago(days=90), display="HbA1c", category="laboratory"
            )
        ],
        drafts=[med_request("rx1", "7258", "draft", display="Naproxen")],
    ),
    Scenario(
        "nsaid-hba1c-6-4-none",
        SELECT,
        "Back pain; latest HbA1c 6.4 %, an older 7.1 % eight months ago; naproxen selected: "
        "only the latest result counts, no caution.",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "a1c", "4548-4", 6.4, "%", "%", ago(days=90), display="HbA1c", category="laboratory"
            ),
            observation(
                "a1c-old",
                "4548-4",
                7.1,
                "%",
                "%",
                ago(days=240),
                display="HbA1c",
                category="laboratory",
            ),
        ],
        drafts=[med_request("rx1", "7258", "draft", display="Naproxen")],
    ),
    Scenario(
        "nsaid-hba1c-mmol-mol-caution",
        SIGN,
        "Back pain; HbA1c 48 mmol/mol (IFCC; 6.54 % NGSP); naproxen being signed: caution.",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "a1c",
                "4548-4",
                48,
                "mmol/mol",
                "mmol/mol",
                ago(days=30),
                display="HbA1c",
                category="laboratory",
            )
        ],
        drafts=[med_request("rx1", "7258", "draft", display="Naproxen")],
    ),
    Scenario(
        "ibuprofen-product-code-blood-thinner",
        SELECT,
        "Back pain; active apixaban and a stopped warfarin; 'ibuprofen 600 MG Oral Tablet' "
        "(product-level RxNorm 197806) selected: caution naming apixaban only.",
        ["MED3"],
        conditions=[back_pain()],
        medications=[
            med_request("apix", "1364430", "active", display="apixaban", authored=ago(weeks=20)),
            med_request("warf", "11289", "stopped", display="Warfarin", authored=ago(weeks=60)),
        ],
        drafts=[
            med_request("rx1", "197806", "draft", display="ibuprofen 600 MG Oral Tablet"),
        ],
    ),
    Scenario(
        "blood-thinner-stopped-none",
        SIGN,
        "Back pain; warfarin stopped (the only blood thinner); naproxen being signed: no caution.",
        ["MED3"],
        conditions=[back_pain()],
        medications=[
            med_request("warf", "11289", "stopped", display="Warfarin", authored=ago(weeks=60))
        ],
        drafts=[med_request("rx1", "7258", "draft", display="Naproxen")],
    ),
    Scenario(
        "nsaid-liver-disease-no-swap",
        SELECT,
        "Back pain and cirrhosis (K74.60); ibuprofen selected: caution (liver disease), and "
        "no suggestion to switch to acetaminophen.",
        ["MED3"],
        conditions=[
            back_pain(),
            condition("cirrhosis", "K74.60", ago(weeks=80), display="Unspecified cirrhosis"),
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "nsaid-ulcer-bleeding-diabetes-anticoagulant",
        SIGN,
        "Back pain, peptic ulcer (K27.3), GI bleeding (K92.2), type 2 diabetes (E11.9) and "
        "long-term anticoagulant use (Z79.01); naproxen being signed: one caution naming each.",
        ["MED2", "MED3"],
        conditions=[
            back_pain(),
            condition("ulcer", "K27.3", ago(weeks=30), display="Acute peptic ulcer"),
            condition("gibleed", "K92.2", ago(weeks=30), display="GI hemorrhage, unspecified"),
            condition("dm2", "E11.9", ago(weeks=200), display="Type 2 diabetes mellitus"),
            condition(
                "anticoag", "Z79.01", ago(weeks=50), display="Long term use of anticoagulants"
            ),
        ],
        drafts=[med_request("rx1", "7258", "draft", display="Naproxen")],
    ),
    Scenario(
        "back-spasm-order-reason-in-scope",
        SIGN,
        "No back-pain Condition, but ibuprofen is ordered for 'Muscle spasm of back' "
        "(reasonCode M62.830); type 2 diabetes: in scope through the order's reason; caution.",
        ["MED3"],
        conditions=[condition("dm2", "E11.9", ago(weeks=200), display="Type 2 diabetes mellitus")],
        drafts=[
            med_request("rx1", "5640", "draft", display="Ibuprofen")
            | {"reasonCode": [_concept("M62.830", ICD10, "Muscle spasm of back", None)]}
        ],
    ),
    # --- sedating medicines (MED4) ---------------------------------------------------------
    Scenario(
        "muscle-relaxant-contained-medication",
        SIGN,
        "Back spasm; cyclobenzaprine ordered through a contained Medication (#med): "
        "sedation caution.",
        ["MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=1), display="Muscle spasm of back")],
        drafts=[med_request("rx1", "21949", "draft", display="cyclobenzaprine", contained=True)],
    ),
    Scenario(
        "opioid-order-select",
        SELECT,
        "Back pain; oxycodone 5 mg selected: sedation caution.",
        ["MED4"],
        conditions=[back_pain()],
        drafts=[
            med_request(
                "rx1", "1049621", "draft", display="oxycodone hydrochloride 5 MG Oral Tablet"
            )
        ],
    ),
    # --- discharge ------------------------------------------------------------------------
    Scenario(
        "discharge-standard-instructions",
        DISCHARGE,
        "Back pain, nothing else: the instructions include store-bought pain relievers and "
        "the general advice about sleepy medicines.",
        ["MED2", "FU1", "HC1"],
        conditions=[back_pain()],
    ),
    Scenario(
        "discharge-ckd-no-ibuprofen",
        DISCHARGE,
        "Back pain and CKD stage 3: the instructions drop 'take ibuprofen or naproxen' and add "
        "'stay away from'; an analgesic-caution card names the CKD.",
        ["MED2", "MED3"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
    ),
    Scenario(
        "discharge-nsaid-prescribed",
        DISCHARGE,
        "Back pain; going home on prescribed 'Ibuprofen 800 mg tablet, 1 tab three times a "
        "day', no risk factor: the store-bought ibuprofen and naproxen advice gives way to "
        "'do not add another NSAID'; an analgesic-caution card names the prescription.",
        ["MED2", "MED5"],
        conditions=[back_pain()],
        medications=[
            med_request("ibu", "Ibuprofen 800 mg tablet, 1 tab three times a day", "active")
        ],
    ),
    Scenario(
        "discharge-nsaid-prescribed-ckd-product-code",
        DISCHARGE,
        "Back pain and CKD stage 4; an active ibuprofen 600 mg order coded only by its RxNorm "
        "product code 197806, with no words: the caution names the CKD and the prescription.",
        ["MED2", "MED3", "MED5"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.4", ago(weeks=60), display="Chronic kidney disease, stage 4"),
        ],
        medications=[med_request("ibu6", "197806", "active")],
    ),
    Scenario(
        "discharge-nsaid-with-apixaban",
        DISCHARGE,
        "Back pain; going home on naproxen 500 mg (RxNorm product code only) and apixaban: the "
        "caution leads with the NSAID taken together with a blood thinner.",
        ["MED2", "MED3", "MED5"],
        conditions=[back_pain()],
        medications=[
            med_request("nap", "198014", "active"),
            med_request("apx", "Apixaban 5 mg tablet twice daily", "active"),
        ],
    ),
    Scenario(
        "discharge-cyclobenzaprine-active",
        DISCHARGE,
        "Back spasm; cyclobenzaprine active at discharge (oxycodone stopped): the no-driving "
        "passage and a sedation-caution card naming cyclobenzaprine only.",
        ["MED4", "MED5"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        medications=[
            med_request(
                "cyclo",
                "828348",
                "active",
                display="cyclobenzaprine hydrochloride 10 MG Oral Tablet",
            ),
            med_request(
                "oxy",
                "1049621",
                "stopped",
                display="oxycodone hydrochloride 5 MG Oral Tablet",
                authored=ago(weeks=10),
            ),
        ],
    ),
    Scenario(
        "discharge-heart-rate-40-fever",
        DISCHARGE,
        "Back pain; heart rate 40 /min and temperature 101.5 °F today: emergency and urgent "
        "cards besides the instructions.",
        ["ER5", "URG4"],
        conditions=[back_pain()],
        observations=[heart_rate("hr1", 40), temperature("temp1", 101.5, "°F", "[degF]")],
    ),
    # --- issue 10: danger signs (ER2, ER3, ER6) ---------------------------------------------
    Scenario(
        "retention-r33-9-card",
        PV,
        "Back pain; urinary retention R33.9 a day ago: new retention is a cauda equina bladder "
        "sign, an emergency (ER6).",
        ["ER6"],
        conditions=[back_pain(), sym("ret", "R33.9", "Retention of urine, unspecified")],
    ),
    Scenario(
        "retention-snomed-card",
        PV,
        "Back pain; acute retention of urine coded in SNOMED (236648008): emergency (ER6).",
        ["ER6"],
        conditions=[
            back_pain(),
            sym("ret", "236648008", "Acute retention of urine", system=SNOMED),
        ],
    ),
    Scenario(
        "retention-text-unable-to-urinate-card",
        PV,
        "Back pain; a text-only problem 'Unable to urinate since this morning': emergency (ER6).",
        ["ER6"],
        conditions=[back_pain(), sym("ret", None, "Unable to urinate since this morning")],
    ),
    Scenario(
        "retention-beside-imaging-select",
        SELECT,
        "Back pain; urinary retention R33.9; lumbar MRI being selected: the emergency card "
        "(ER6) beside an imaging-supported card (cauda equina sign).",
        ["ER6", "IMG1"],
        conditions=[back_pain(), sym("ret", "R33.9", "Retention of urine, unspecified")],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    Scenario(
        "bladder-residual-beside-imaging-select",
        SELECT,
        "Back pain; a bladder scan after voiding leaves 480 mL; lumbar MRI being selected: the "
        "emergency card (ER6) beside an imaging-supported card naming the residual, never "
        "'imaging not indicated' (measured retention is a cauda equina sign as the words are).",
        ["ER6", "IMG1"],
        conditions=[back_pain()],
        observations=[flowsheet("pvr", "Post Void Residual", 480, "mL")],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    Scenario(
        "suspected-ces-problem-select",
        SELECT,
        "Back pain; a problem entered yesterday reads 'Low back pain, cannot rule out cauda "
        "equina syndrome'; lumbar MRI being selected with no reason of its own: the suspicion "
        "is what the MRI is for, imaging supported (never 'not indicated' with a Remove); no "
        "emergency card for a doubt.",
        ["IMG1"],
        conditions=[
            back_pain(),
            sym("ces-q", None, "Low back pain, cannot rule out cauda equina syndrome"),
        ],
        drafts=[imaging(code=MR_LUMBAR)],
    ),
    Scenario(
        "gcs-12-card",
        PV,
        "Back pain; Glasgow coma score total 12 an hour ago: altered consciousness, emergency.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[vital("gcs", "9269-2", 12, "{score}", "{score}", "Glasgow coma score total")],
    ),
    Scenario(
        "gcs-13-no-unit-card",
        PV,
        "Back pain; Glasgow coma score total 13 sent with no unit at all (a score is unitless): "
        "read as 13, an emergency.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[
            observation("gcs", "9269-2", 13, "", None, ago(hours=2), display="GCS total")
        ],
    ),
    Scenario(
        "gcs-15-none",
        PV,
        "Back pain; Glasgow coma score total 15: fully alert, no card.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[vital("gcs", "9269-2", 15, "{score}", "{score}", "Glasgow coma score total")],
    ),
    Scenario(
        "gcs-verbal-4-card",
        PV,
        "Back pain; GCS verbal 4 (confused) recorded alone, without a total: emergency.",
        ["ER2"],
        conditions=[back_pain()],
        observations=[vital("gcsv", "9270-0", 4, "{score}", "{score}", "GCS verbal")],
    ),
    Scenario(
        "gcs-eye-3-motor-5-card",
        PV,
        "Back pain; GCS eye opening 3 and motor 5 recorded without a total: opens eyes only to "
        "voice and does not obey commands, an emergency.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[
            vital("gcse", "9267-6", 3, "{score}", "{score}", "GCS eye opening"),
            vital("gcsm", "9268-4", 5, "{score}", "{score}", "GCS motor"),
        ],
    ),
    Scenario(
        "avpu-voice-card",
        PV,
        "Back pain; level of responsiveness (AVPU) answered 'Voice' an hour ago: not alert, an "
        "emergency (NEWS2: 3 points). Needs the value of the Observation read as a fact.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[
            coded_value(
                "avpu",
                "67775-7",
                "Level of responsiveness (AVPU)",
                {
                    "coding": [
                        {"system": SNOMED, "code": "300202002", "display": "Responds to voice"}
                    ],
                    "text": "Voice",
                },
            )
        ],
    ),
    Scenario(
        "avpu-alert-none",
        PV,
        "Back pain; level of responsiveness (AVPU) answered 'Alert': no card.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[
            coded_value("avpu", "67775-7", "Level of responsiveness (AVPU)", {"text": "Alert"})
        ],
    ),
    Scenario(
        "loc-row-responds-to-voice-card",
        PV,
        "Back pain; triage row 'Level of consciousness' valued 'Responds to voice' an hour ago: "
        "not alert (AVPU 'V'), the emergency the coded answer raises, read from the words.",
        ["ER2", "ER3"],
        conditions=[back_pain()],
        observations=[flowsheet_row("loc", "Level of consciousness", "Responds to voice")],
    ),
    Scenario(
        "loc-row-yes-data-check",
        PV,
        "Back pain; a row named only 'LOC' valued 'Yes' an hour ago: a loss of consciousness or "
        "a level of consciousness, the row does not say which: a data check, no emergency card.",
        ["ER3", "ER4"],
        conditions=[back_pain()],
        observations=[flowsheet_row("locyes", "LOC", "Yes")],
    ),
    Scenario(
        "not-voided-since-arrival-data-check",
        PV,
        "Back pain; a flowsheet row 'Voiding' valued 'Has not voided since arrival' an hour ago:"
        " no time is said, so no retention's emergency card; a data check asks how long and "
        "whether the bladder is full (den25).",
        ["ER6"],
        conditions=[back_pain()],
        observations=[flowsheet_row("novoid", "Voiding", "Has not voided since arrival")],
    ),
    Scenario(
        "sign-after-denial-data-check",
        PV,
        "Back pain; a text-only problem '(-) fever, numbness L leg' a day ago: the leg numbness, "
        "named with its side after the list of denials, may be denied or found; a data check "
        "asks which, with no urgent card and the fever still denied (brief neg22).",
        ["URG2"],
        conditions=[back_pain(), sym("listed", None, "(-) fever, numbness L leg")],
    ),
    Scenario(
        "imaging-sign-after-denial-hedged",
        SELECT,
        "Back pain for 3 days; a text-only problem 'denies fever, weakness R leg' a day ago; "
        "lumbar X-ray selected: the data check asks whether the leg weakness was denied or "
        "found, and the imaging card says a possible red flag awaits confirmation and offers "
        "no removal (brief neg22).",
        ["IMG1", "URG2"],
        conditions=[back_pain(), sym("listed", None, "denies fever, weakness R leg")],
        drafts=[imaging()],
    ),
    Scenario(
        "delirium-f05-card",
        PV,
        "Back pain; delirium F05 a day ago: acute confusion, emergency (ER2).",
        ["ER2"],
        conditions=[
            back_pain(),
            sym("del", "F05", "Delirium due to known physiological condition"),
        ],
    ),
    Scenario(
        "ams-text-card",
        PV,
        "Back pain; a text-only problem 'AMS' (altered mental status): emergency (ER2).",
        ["ER2"],
        conditions=[back_pain(), sym("ams", None, "AMS")],
    ),
    Scenario(
        "cauda-equina-old-onset-none",
        PV,
        "Back pain; cauda equina syndrome G83.4 left active on the problem list, onset 200 days "
        "ago (outside the 14-day symptom window): history, not a recent sign (contract: "
        "emergency signs are in the patient's recent data), so no card on every visit.",
        ["ER6"],
        conditions=[
            back_pain(),
            condition("ces", "G83.4", ago(days=200), display="Cauda equina syndrome"),
        ],
    ),
    Scenario(
        "cauda-equina-recent-card",
        PV,
        "Back pain; cauda equina syndrome G83.4 diagnosed 2 days ago: an emergency sign.",
        ["ER6"],
        conditions=[
            back_pain(),
            condition("ces", "G83.4", ago(days=2), display="Cauda equina syndrome"),
        ],
    ),
    # --- issue 10: red flags support imaging (IMG1) ---------------------------------------
    red_flag_select(
        "red-flag-breast-cancer-c50-911",
        "breast cancer C50.911",
        condition(
            "ca",
            "C50.911",
            ago(days=300),
            display="Malignant neoplasm of unspecified site of right female breast",
        ),
    ),
    red_flag_select(
        "red-flag-prostate-cancer-c61",
        "prostate cancer C61",
        condition("ca", "C61", ago(days=400), display="Malignant neoplasm of prostate"),
    ),
    red_flag_select(
        "red-flag-myeloma-c90-00",
        "multiple myeloma C90.00",
        condition(
            "ca", "C90.00", ago(days=100), display="Multiple myeloma not having achieved remission"
        ),
    ),
    red_flag_select(
        "red-flag-cancer-history-snomed",
        "malignant neoplastic disease in SNOMED (363346000)",
        condition(
            "ca", "363346000", ago(days=3000), system=SNOMED, display="Malignant neoplastic disease"
        ),
    ),
    red_flag_select(
        "red-flag-cancer-history-text",
        "a text-only problem 'History of colon cancer, s/p resection 2019'",
        condition(
            "ca",
            None,
            None,
            text="History of colon cancer, s/p resection 2019",
            recorded=ago(days=900),
        ),
    ),
    red_flag_select(
        "red-flag-hiv-b20",
        "HIV disease B20",
        condition("hiv", "B20", ago(days=2000), display="Human immunodeficiency virus disease"),
    ),
    red_flag_select(
        "red-flag-kidney-transplant-immunosuppressant",
        "kidney transplant status Z94.0 and long-term immunosuppressant Z79.69",
        condition("tx", "Z94.0", ago(days=1500), display="Kidney transplant status"),
        condition(
            "imm",
            "Z79.69",
            ago(days=1500),
            display="Long term (current) use of other immunomodulators and immunosuppressants",
        ),
    ),
    red_flag_select(
        "red-flag-ivdu-text",
        "a text-only problem 'IVDU - heroin'",
        condition("iv", None, ago(days=30), text="IVDU - heroin"),
    ),
    red_flag_select(
        "red-flag-injection-drug-use-text",
        "a text-only problem 'Injection drug use'",
        condition("iv", None, ago(days=30), text="Injection drug use"),
    ),
    red_flag_select(
        "red-flag-prednisone-active",
        "an active prednisone 20 mg order (systemic steroid)",
        meds=[med_request("pred", "prednisone 20 MG Oral Tablet", "active", authored=ago(days=20))],
    ),
    red_flag_select(
        "red-flag-alendronate-active",
        "an active weekly alendronate order (an osteoporosis medicine, no osteoporosis on the "
        "problem list)",
        meds=[
            med_request(
                "aln", "alendronate 70 MG Oral Tablet, weekly", "active", authored=ago(days=90)
            )
        ],
    ),
    red_flag_select(
        "red-flag-osteoporosis-snomed",
        "osteoporosis in SNOMED (64859006)",
        condition("op", "64859006", ago(days=700), system=SNOMED, display="Osteoporosis"),
    ),
    red_flag_select(
        "red-flag-assault-y04",
        "an assault Y04.0XXA five days ago",
        condition(
            "as", "Y04.0XXA", ago(days=5), display="Assault by unarmed fight, initial encounter"
        ),
    ),
    red_flag_select(
        "red-flag-struck-by-object-w20",
        "struck by a falling object W20.8XXA five days ago",
        condition(
            "st",
            "W20.8XXA",
            ago(days=5),
            display="Other cause of strike by thrown, projected or falling object, "
            "initial encounter",
        ),
    ),
    red_flag_select(
        "red-flag-lower-back-injury-s39-92",
        "unspecified injury of lower back S39.92XA five days ago",
        condition(
            "inj",
            "S39.92XA",
            ago(days=5),
            display="Unspecified injury of lower back, initial encounter",
        ),
    ),
    Scenario(
        "overexertion-strain-not-indicated",
        SELECT,
        "Back strain S39.012A from overexertion X50.0XXA (lifting) two days ago, lumbar X-ray "
        "being selected: lifting is the non-traumatic mechanism, not a red flag: not indicated.",
        ["IMG1", "IMG2"],
        conditions=[
            condition(
                "strain",
                "S39.012A",
                ago(days=2),
                display="Strain of muscle, fascia and tendon of lower back, initial encounter",
            ),
            condition(
                "x50",
                "X50.0XXA",
                ago(days=2),
                display="Overexertion from strenuous movement or load, initial encounter",
            ),
        ],
        drafts=[imaging()],
    ),
    Scenario(
        "family-history-cancer-not-indicated",
        SELECT,
        "Back pain; family history of breast cancer Z80.3 only; lumbar X-ray being selected: "
        "a relative's cancer is not a red flag: not indicated.",
        ["IMG1"],
        conditions=[
            back_pain(),
            condition(
                "fh",
                "Z80.3",
                ago(days=900),
                display="Family history of malignant neoplasm of breast",
            ),
        ],
        drafts=[imaging()],
    ),
    # --- issue 10: medicine safety (MED2-MED5) ------------------------------------------------
    Scenario(
        "low-dose-aspirin-warfarin-no-swap",
        SELECT,
        "Back pain; active warfarin; aspirin 81 mg (antiplatelet) being selected: it is not an "
        "NSAID pain-reliever order, so no card offers to replace it with acetaminophen.",
        ["MED3"],
        conditions=[back_pain()],
        medications=[
            med_request(
                "warf",
                "855332",
                "active",
                display="warfarin sodium 5 MG Oral Tablet",
                authored=ago(days=90),
            )
        ],
        drafts=[med_request("asa", "243670", "draft", display="aspirin 81 MG Oral Tablet")],
    ),
    Scenario(
        "aspirin-81-text-is-blood-thinner",
        SELECT,
        "Back pain; active text-only 'Aspirin EC 81 mg daily'; ibuprofen being selected: the "
        "aspirin is an antiplatelet (blood thinner caution) and only the ibuprofen is swapped.",
        ["MED3"],
        conditions=[back_pain()],
        medications=[
            med_request("asa", "Aspirin EC 81 mg daily", "active", authored=ago(days=200))
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "percocet-cirrhosis-discharge",
        DISCHARGE,
        "Back pain; cirrhosis K74.60; going home on text-only 'Percocet 5/325': a liver caution, "
        "the acetaminophen-already-prescribed advice (no Tylenol offered), a sedation caution.",
        ["MED2", "MED3", "MED4", "MED5"],
        conditions=[
            back_pain(),
            condition("cirr", "K74.60", ago(days=400), display="Unspecified cirrhosis of liver"),
        ],
        medications=[med_request("perc", "Percocet 5/325 1 tab q6h prn", "active")],
    ),
    Scenario(
        "norco-cirrhosis-order-select",
        SELECT,
        "Back pain; cirrhosis K74.60; text-only 'Norco 5-325' being selected: it contains "
        "acetaminophen (liver caution) and is an opioid (sedation caution).",
        ["MED3", "MED4"],
        conditions=[
            back_pain(),
            condition("cirr", "K74.60", ago(days=400), display="Unspecified cirrhosis of liver"),
        ],
        drafts=[med_request("rx1", "Norco 5-325 mg tablet", "draft")],
    ),
    Scenario(
        "acetaminophen-with-norco-sign",
        SIGN,
        "Back pain; acetaminophen 1000 mg every 6 hours and Norco 10-325 every 4 hours signed "
        "together: acetaminophen twice (the caution names both orders), and the opioid's "
        "sedation caution.",
        ["MED2", "MED4", "MED5"],
        conditions=[back_pain()],
        drafts=[
            med_request("apap", "acetaminophen 1000 mg PO q6h", "draft"),
            med_request("norco", "Norco 10-325 mg tablet 1-2 tab q4h prn", "draft"),
        ],
    ),
    Scenario(
        "diazepam-sedation-select",
        SELECT,
        "Back spasm; diazepam 5 mg being selected for spasm: a benzodiazepine, sedation caution.",
        ["MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        drafts=[med_request("rx1", "diazepam 5 MG Oral Tablet", "draft")],
    ),
    Scenario(
        "oxycodone-select-with-active-diazepam-cyclobenzaprine",
        SELECT,
        "Back spasm; oxycodone being selected while diazepam and cyclobenzaprine are active: "
        "the sedation card names each combination (the order and the current medicine), "
        "slowed breathing for the opioid with the benzodiazepine, no alcohol.",
        ["MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        medications=[
            med_request("diaz", "diazepam 5 MG Oral Tablet", "active", authored=ago(weeks=3)),
            med_request(
                "cyclo",
                "828348",
                "active",
                display="cyclobenzaprine hydrochloride 10 MG Oral Tablet",
                authored=ago(days=2),
            ),
        ],
        drafts=[
            med_request(
                "rx1", "1049621", "draft", display="oxycodone hydrochloride 5 MG Oral Tablet"
            )
        ],
    ),
    Scenario(
        "oxycodone-select-with-active-diphenhydramine",
        SELECT,
        "Back pain; oxycodone being selected while diphenhydramine (Benadryl) is active: a "
        "sedating antihistamine beside the opioid, named as a pair on the sedation card.",
        ["MED4"],
        conditions=[back_pain()],
        medications=[
            med_request("dph", "3498", "active", display="diphenhydramine", authored=ago(weeks=8)),
        ],
        drafts=[
            med_request(
                "rx1", "1049621", "draft", display="oxycodone hydrochloride 5 MG Oral Tablet"
            )
        ],
    ),
    Scenario(
        "hydrocodone-select-with-active-gabapentin",
        SELECT,
        "Back pain; hydrocodone-acetaminophen (Norco) being selected while gabapentin is "
        "active: an opioid with a gabapentinoid, slowed breathing (FDA, 2019), named as a pair.",
        ["MED4"],
        conditions=[back_pain()],
        medications=[
            med_request("gaba", "25480", "active", display="gabapentin", authored=ago(weeks=10)),
        ],
        drafts=[med_request("rx1", "Norco 5-325 mg tablet", "draft")],
    ),
    Scenario(
        "pregabalin-sign-with-active-oxycodone",
        SIGN,
        "Back pain; pregabalin 75 mg being signed while oxycodone is active: the order is named "
        "with the opioid it joins (slowed breathing).",
        ["MED4"],
        conditions=[back_pain()],
        medications=[
            med_request(
                "oxy",
                "1049621",
                "active",
                display="oxycodone hydrochloride 5 MG Oral Tablet",
                authored=ago(days=3),
            ),
        ],
        drafts=[med_request("rx1", "pregabalin 75 mg capsule bid", "draft")],
    ),
    Scenario(
        "pregabalin-sign-with-active-cyclobenzaprine",
        SIGN,
        "Back spasm; pregabalin 75 mg being signed while cyclobenzaprine is active: the order "
        "is named with the muscle relaxant it joins (more drowsiness, slowed breathing).",
        ["MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        medications=[
            med_request(
                "cyclo",
                "828348",
                "active",
                display="cyclobenzaprine hydrochloride 10 MG Oral Tablet",
                authored=ago(days=2),
            ),
        ],
        drafts=[med_request("rx1", "pregabalin 75 mg capsule bid", "draft")],
    ),
    Scenario(
        "tylenol-pm-sign-with-active-cyclobenzaprine",
        SIGN,
        "Back spasm; text-only 'Tylenol PM Extra Strength' being signed while cyclobenzaprine "
        "is active: the sleep aid's antihistamine beside the muscle relaxant, named as a pair.",
        ["MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        medications=[
            med_request(
                "cyclo",
                "828348",
                "active",
                display="cyclobenzaprine hydrochloride 10 MG Oral Tablet",
                authored=ago(days=2),
            ),
        ],
        drafts=[med_request("rx1", "Tylenol PM Extra Strength caplet", "draft")],
    ),
    Scenario(
        "diazepam-cyclobenzaprine-sign-with-active-oxycodone",
        SIGN,
        "Back spasm; diazepam and cyclobenzaprine being signed while oxycodone is active: "
        "each order is named with the opioid it joins.",
        ["MED4"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        medications=[
            med_request(
                "oxy",
                "1049621",
                "active",
                display="oxycodone hydrochloride 5 MG Oral Tablet",
                authored=ago(days=1),
            )
        ],
        drafts=[
            med_request("rx1", "diazepam 5 MG Oral Tablet", "draft"),
            med_request(
                "rx2", "828348", "draft", display="cyclobenzaprine hydrochloride 10 MG Oral Tablet"
            ),
        ],
    ),
    Scenario(
        "discharge-oxycodone-diazepam-cyclobenzaprine",
        DISCHARGE,
        "Back spasm; oxycodone, diazepam and cyclobenzaprine active at discharge: the sedation "
        "card names both combinations, and the handout warns about slowed breathing and "
        "alcohol.",
        ["MED4", "MED5"],
        conditions=[condition("spasm", "M62.830", ago(days=2), display="Muscle spasm of back")],
        medications=[
            med_request(
                "oxy", "1049621", "active", display="oxycodone hydrochloride 5 MG Oral Tablet"
            ),
            med_request("diaz", "diazepam 5 MG Oral Tablet", "active"),
            med_request(
                "cyclo",
                "828348",
                "active",
                display="cyclobenzaprine hydrochloride 10 MG Oral Tablet",
            ),
        ],
    ),
    Scenario(
        "discharge-tramadol-hydroxyzine",
        DISCHARGE,
        "Back pain; tramadol and hydroxyzine (for itch) active at discharge: the sedation card "
        "names the pair, and the handout says they make the patient much sleepier together.",
        ["MED4", "MED5"],
        conditions=[back_pain()],
        medications=[
            med_request("tram", "tramadol 50 mg tablet q6h prn", "active"),
            med_request("hydx", "hydroxyzine HCl 25 mg tablet at bedtime prn itch", "active"),
        ],
    ),
    Scenario(
        "cirrhosis-discharge-nsaid-advice",
        DISCHARGE,
        "Back pain; cirrhosis K74.60; no pain medicine prescribed: the liver caution, and the "
        "handout warns about ibuprofen and naproxen as well as acetaminophen.",
        ["MED2", "MED3"],
        conditions=[
            back_pain(),
            condition("cirr", "K74.60", ago(days=400), display="Unspecified cirrhosis of liver"),
        ],
    ),
    Scenario(
        "creatinine-only-egfr-computed",
        SIGN,
        "Back pain; man of 70; creatinine 2.4 mg/dL 20 days ago and no eGFR; ibuprofen being "
        "signed: eGFR computed from creatinine (CKD-EPI 2021, about 28): kidney caution.",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "cr",
                "2160-0",
                2.4,
                "mg/dL",
                "mg/dL",
                ago(days=20),
                display="Creatinine",
                category="laboratory",
            )
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
        birth_date="1956-05-14",
        gender="male",
    ),
    Scenario(
        "creatinine-normal-no-caution",
        SIGN,
        "Back pain; man of 47; creatinine 80 µmol/L (0.9 mg/dL) and no eGFR; ibuprofen being "
        "signed: computed eGFR about 100, no kidney caution.",
        ["MED3"],
        conditions=[back_pain()],
        observations=[
            observation(
                "cr",
                "14682-9",
                80,
                "µmol/L",
                "umol/L",
                ago(days=20),
                display="Creatinine",
                category="laboratory",
            )
        ],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
        gender="male",
    ),
    # --- issue 10: scope --------------------------------------------------------------------
    Scenario(
        "scope-cauda-equina-only-retention",
        PV,
        "Only back diagnosis: cauda equina syndrome G83.4 (old onset); urinary retention R33.9: "
        "in scope, emergency.",
        ["ER6"],
        conditions=[
            condition("ces", "G83.4", ago(days=60), display="Cauda equina syndrome"),
            sym("ret", "R33.9", "Retention of urine, unspecified"),
        ],
    ),
    Scenario(
        "scope-disc-displacement-spo2-86",
        PV,
        "Only back diagnosis: lumbar disc displacement M51.26; SpO2 86 %: in scope, emergency.",
        ["ER1"],
        conditions=[
            condition(
                "disc",
                "M51.26",
                ago(days=10),
                display="Other intervertebral disc displacement, lumbar region",
            )
        ],
        observations=[vital("spo2", "59408-5", 86, "%", "%", "SpO2")],
    ),
    Scenario(
        "scope-lumbar-stenosis-spo2-86",
        PV,
        "Only back diagnosis: lumbar stenosis M48.062; SpO2 86 %: in scope, emergency.",
        ["ER1"],
        conditions=[
            condition(
                "sten",
                "M48.062",
                ago(days=400),
                display="Spinal stenosis, lumbar region with neurogenic claudication",
            )
        ],
        observations=[vital("spo2", "59408-5", 86, "%", "%", "SpO2")],
    ),
    Scenario(
        "scope-encounter-reason-text",
        DISCHARGE,
        "No back Condition; the discharge encounter's reason is only the text 'BACK PAIN - "
        "LOWER': in scope, the discharge instructions.",
        ["FU1"],
        encounter=encounter("enc", reason_text="BACK PAIN - LOWER"),
    ),
    Scenario(
        "scope-encounter-diagnosis-display",
        DISCHARGE,
        "No back Condition; the encounter's diagnosis is only a reference display 'Lumbago': in "
        "scope, the discharge instructions (needs Encounter.diagnosis read).",
        ["FU1"],
        encounter=encounter("enc", diagnosis="Lumbago"),
    ),
    # --- issue 10: text variants ------------------------------------------------------------
    Scenario(
        "text-xr-lumbar-2-3-views-not-indicated",
        SIGN,
        "Back pain 3 days; a draft order known only as 'XR LUMBAR SPINE 2-3 VIEWS': a lumbar "
        "radiograph with no supporting criterion: not indicated.",
        ["IMG1"],
        conditions=[back_pain()],
        drafts=[text_order("img1", "XR LUMBAR SPINE 2-3 VIEWS")],
    ),
    Scenario(
        "discharge-spo2-preliminary-data-check",
        DISCHARGE,
        "Back pain at discharge; a bedside monitor's SpO2 88 % still preliminary (not yet "
        "validated by a nurse): no emergency card from unverified data, a data-check card "
        "naming the reading beside the instructions.",
        ["ER1", "FU1"],
        conditions=[back_pain()],
        observations=[
            _unverified(
                vital("spo2", "59408-5", 88, "%", "%", "Oxygen saturation by pulse oximetry"),
                "preliminary",
            )
        ],
    ),
    Scenario(
        "xr-select-heart-rate-unreadable-data-check",
        SELECT,
        "Back pain 3 days; an X-ray of the lumbar spine being selected; a heart rate recorded "
        "as 'irregular' (no number): the imaging card, and a data-check card asking for the "
        "heart rate to be re-measured, never an emergency card.",
        ["IMG1", "ER5"],
        conditions=[back_pain()],
        observations=[
            observation("hr1", "8867-4", "irregular", "", None, ago(hours=2), display="Heart rate")
        ],
        drafts=[text_order("img1", "XR LUMBAR SPINE 2-3 VIEWS")],
    ),
    Scenario(
        "text-sob-card",
        PV,
        "Back pain; a text-only problem 'SOB': shortness of breath, emergency (ER1).",
        ["ER1"],
        conditions=[back_pain(), sym("sob", None, "SOB")],
    ),
    Scenario(
        "text-sobbing-none",
        PV,
        "Back pain; a text-only problem 'Tearful, sobbing': not shortness of breath, no card.",
        ["ER1"],
        conditions=[back_pain(), sym("mood", None, "Tearful, sobbing")],
    ),
    Scenario(
        "text-collapse-card",
        PV,
        "Back pain; a text-only problem 'Collapse': emergency (ER4).",
        ["ER4"],
        conditions=[back_pain(), sym("col", None, "Collapse")],
    ),
    Scenario(
        "text-incontinent-of-urine-card",
        PV,
        "Back pain; a text-only problem 'Incontinent of urine': emergency (ER6).",
        ["ER6"],
        conditions=[back_pain(), sym("inc", None, "Incontinent of urine")],
    ),
    Scenario(
        "text-numbness-groin-thighs-card",
        PV,
        "Back pain; 'Numbness of groin and inner thighs': saddle numbness, urgent (URG3).",
        ["URG3"],
        conditions=[back_pain(), sym("sad", None, "Numbness of groin and inner thighs")],
    ),
    Scenario(
        "text-decreased-perineal-sensation-card",
        PV,
        "Back pain; 'Decreased perineal sensation': saddle numbness, urgent (URG3).",
        ["URG3"],
        conditions=[back_pain(), sym("sad", None, "Decreased perineal sensation")],
    ),
    Scenario(
        "text-left-leg-numb-card",
        PV,
        "Back pain; 'Left leg numb': leg numbness, urgent (URG2).",
        ["URG2"],
        conditions=[back_pain(), sym("numb", None, "Left leg numb")],
    ),
    Scenario(
        "text-burning-urination-card",
        PV,
        "Back pain; 'Burning urination': urgent (URG6).",
        ["URG6"],
        conditions=[back_pain(), sym("dys", None, "Burning urination")],
    ),
    Scenario(
        "mri-reason-ro-cauda-equina",
        SIGN,
        "Back pain; lumbar MRI being signed with the reason 'r/o cauda equina': what the order "
        "is for supports the imaging (no 'not indicated', no offer to delete it); the suspicion "
        "is no sign of the patient's (no emergency or urgent card).",
        ["IMG1"],
        conditions=[back_pain()],
        drafts=[imaging("mri1", MR_LUMBAR, reason={"text": "r/o cauda equina"})],
    ),
    Scenario(
        "mri-reason-concern-epidural-abscess",
        SELECT,
        "Back pain; lumbar MRI selected for 'concern for spinal epidural abscess': imaging "
        "supported by the order's reason, no fever or emergency card from the suspicion.",
        ["IMG1"],
        conditions=[back_pain()],
        drafts=[imaging("mri1", MR_LUMBAR, reason={"text": "concern for spinal epidural abscess"})],
    ),
    Scenario(
        "ibuprofen-with-percocet-draft-no-swap",
        SIGN,
        "Back pain; ibuprofen and Percocet 5/325 signed together: the Percocet already holds "
        "acetaminophen, so the NSAID is not offered a swap to acetaminophen (it would double "
        "it); an NSAID beside one acetaminophen is no caution by itself (ER physician review, "
        "er25a), and the opioid is a sedating medicine.",
        ["MED2", "MED5"],
        conditions=[back_pain()],
        drafts=[
            med_request("rx1", "5640", "draft", display="Ibuprofen"),
            med_request("perc", "Percocet 5/325 1 tab q6h prn", "draft"),
        ],
    ),
    Scenario(
        "ibuprofen-with-naproxen-taken-select",
        SELECT,
        "Back pain; ibuprofen is being ordered while the patient takes naproxen 500 mg twice a "
        "day: a second NSAID adds bleeding and kidney harm without more relief, so a caution "
        "names both and offers the swap of the new order to acetaminophen.",
        ["MED2"],
        conditions=[back_pain()],
        medications=[med_request("nap", "Naproxen 500 mg BID", "active")],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "ibuprofen-with-naproxen-drafts-no-swap",
        SIGN,
        "Back pain; ibuprofen and naproxen signed together: two NSAIDs, so a caution names "
        "both, and no swap to acetaminophen is offered (both orders would become "
        "acetaminophen).",
        ["MED2"],
        conditions=[back_pain()],
        drafts=[
            med_request("rx1", "5640", "draft", display="Ibuprofen"),
            med_request("nap", "Naproxen 500 mg BID", "draft"),
        ],
    ),
    Scenario(
        "ibuprofen-with-percocet-ckd-no-swap",
        SIGN,
        "Back pain and CKD stage 3; ibuprofen and Percocet 5/325 signed together: the kidney "
        "caution lists the Percocet's acetaminophen as the reason no swap to acetaminophen is "
        "offered (it would double it).",
        ["MED2", "MED3", "MED5"],
        conditions=[
            back_pain(),
            condition("ckd", "N18.30", ago(weeks=100), display="Chronic kidney disease, stage 3"),
        ],
        drafts=[
            med_request("rx1", "5640", "draft", display="Ibuprofen"),
            med_request("perc", "Percocet 5/325 1 tab q6h prn", "draft"),
        ],
    ),
    Scenario(
        "acetaminophen-ordered-while-on-norco-select",
        SELECT,
        "Back pain; acetaminophen 1000 mg is being ordered while the patient takes Norco "
        "5-325: acetaminophen twice, a caution, and no swap to offer.",
        ["MED2", "MED5"],
        conditions=[back_pain()],
        medications=[med_request("norco", "Norco 5-325 mg tablet q6h prn", "active")],
        drafts=[med_request("apap", "Acetaminophen 1000 mg PO q6h prn", "draft")],
    ),
    Scenario(
        "ibuprofen-with-home-tylenol-none",
        SIGN,
        "Back pain; ibuprofen is being signed for a patient who takes Tylenol at home: an NSAID "
        "beside acetaminophen is the usual plan, no caution (ER physician review, er25a).",
        ["MED2"],
        conditions=[back_pain()],
        medications=[med_request("apap", "Tylenol Extra Strength 500 mg tablet", "active")],
        drafts=[med_request("rx1", "5640", "draft", display="Ibuprofen")],
    ),
    Scenario(
        "discharge-home-acetaminophen-instructions-only",
        DISCHARGE,
        "Back pain; going home taking acetaminophen, no risk factor: the instructions say not "
        "to add more acetaminophen, and no caution card is raised for it (er25a).",
        ["MED2", "MED5"],
        conditions=[back_pain()],
        medications=[med_request("apap", "Acetaminophen 500 mg tablet, 2 tabs q6h prn", "active")],
    ),
    Scenario(
        "chief-complaint-syncope-observation-card",
        PV,
        "Back pain; the chief complaint is recorded as an Observation (LOINC 8661-1) whose "
        "value is Syncope (SNOMED 271594007): fainting, an emergency (ER4).",
        ["ER4"],
        conditions=[back_pain()],
        observations=[
            coded_value(
                "cc",
                "8661-1",
                "Chief complaint",
                _concept("271594007", SNOMED, "Syncope", None),
            )
        ],
    ),
    Scenario(
        "hr-amended-then-entered-in-error-none",
        PV,
        "Back pain; heart rate 150 recorded, then the same Observation (version 2) marked "
        "entered-in-error: the reading is withdrawn, no card of any kind.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[
            heart_rate("hr1", 150) | {"meta": {"versionId": "1"}},
            heart_rate("hr1", 150, status="entered-in-error") | {"meta": {"versionId": "2"}},
        ],
    ),
    Scenario(
        "hr-150-corrected-to-82-card",
        PV,
        "Back pain; heart rate 150 (version 1) corrected to 82 (version 2) in the same "
        "Observation: any copy crossing the threshold is still a sign (contract), and its "
        "evidence says the newer copy reads 82.",
        ["ER5"],
        conditions=[back_pain()],
        observations=[
            heart_rate("hr1", 150) | {"meta": {"versionId": "1"}},
            heart_rate("hr1", 82, status="corrected") | {"meta": {"versionId": "2"}},
        ],
    ),
    Scenario(
        "spo2-fraction-display-card",
        PV,
        "Back pain; SpO2 sent as the fraction 0.89 (unit '1'): read as 89 %, an emergency, and "
        "shown as '89 % (sent as 0.89)'.",
        ["ER1"],
        conditions=[back_pain()],
        observations=[observation("spo2", "59408-5", 0.89, "1", "1", ago(hours=1), display="SpO2")],
    ),
    Scenario(
        "cauda-equina-differential-xray-check",
        SIGN,
        "Back pain; cauda equina syndrome (G83.4) coded today with verificationStatus "
        "differential; lumbar X-ray being signed: a candidate diagnosis is no emergency card, "
        "but never silent either: a data-check item asks whether it was ruled out, and the "
        "image is supported by what it is for (er26 d17).",
        ["ER6", "IMG1"],
        conditions=[
            back_pain(),
            condition(
                "ces",
                "G83.4",
                ago(hours=3),
                display="Cauda equina syndrome",
                verification="differential",
            ),
        ],
        drafts=[imaging()],
    ),
    Scenario(
        "cancer-history-remission-xray-supported",
        SIGN,
        "Back pain; a breast cancer history (Z85.3) whose clinicalStatus is remission; lumbar "
        "X-ray being signed: a cancer in remission is still the history the red flag means, so "
        "the image is supported (er26 o35).",
        ["IMG1"],
        conditions=[
            back_pain(),
            condition(
                "cancer-hx",
                "Z85.3",
                "2012-03-01",
                display="Personal history of malignant neoplasm of breast",
                clinical="remission",
            ),
        ],
        drafts=[imaging()],
    ),
]


# --- writing ------------------------------------------------------------------------------


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _files(sc: Scenario) -> dict[str, str]:
    return {"request.json": _dump(sc.request()), "scenario.json": _dump(sc.meta())}


def _golden(sc: Scenario) -> str:
    from cds.pack.examples import Scenario as Loaded
    from cds.scenarios import run_scenario

    return _dump(run_scenario(Loaded(OUT / sc.name, sc.meta())))


README_HEAD = """\
# Back-spasm golden scenarios

Each folder is one CDS Hooks 2.0 call to the `back-spasm` pack and the response it must get:

- `request.json`: the complete request (hook, hookInstance, context with `draftOrders` for
  the order hooks, and prefetch `patient`, `conditions`, `observations`, `medications`;
  a prefetch key is `null` when the patient has no such records);
- `scenario.json`: `now` (the evaluation time, with a +04:00 offset while record times are
  in UTC), a description, the sheet statement IDs it exercises, the hook, and, when the
  scenario runs under a site's settings, `site` (overrides of the pack's settings, e.g.
  `{"imaging_age_years": 50}`, passed to the evaluator as a `--config` `site:` would be);
- `expected-cards.json`: the response, normalised (card and suggestion uuids are `<uuid>`).

**Where the data comes from.** Every patient is hand-written and synthetic: no real person,
no export from an EHR. The requests are generated by `fhir_examples/make_scenarios.py` from
short Python descriptions (helpers `condition`, `observation`, `med_request`,
`service_request`); codes come from the pack's `rules/back-spasm/valuesets.json`, except
where a scenario tests a variant on purpose (lowercase ICD-10-CM without the dot, the SNOMED
OID, a text-only problem, a product-level RxNorm code matched by its display).

**Running them.** `cds rules test` (or `pytest tests/scenarios`) evaluates every folder and
shows a diff for any card that changed.

**Adding or changing one.** Edit `SCENARIOS` in `make_scenarios.py`, then run

    .venv/bin/python fhir_examples/make_scenarios.py --update-golden

which rewrites the requests, runs the real evaluator to write `expected-cards.json`, and
rewrites this README's table. Without `--update-golden` only the requests are written;
`--check` writes nothing and exits 1 when a file is out of date. **Read every changed
expected file as a clinician would** (right topic and indicator, evidence naming the right
resource, instructions personalised correctly) before committing: a golden file that encodes
a bug is worse than none.

| scenario | hook | topics (cards) | statements |
|---|---|---|---|
"""


def _readme() -> str:
    rows = []
    for sc in SCENARIOS:
        path = OUT / sc.name / "expected-cards.json"
        cards = json.loads(path.read_text())["cards"] if path.exists() else []
        topics = ", ".join(c["source"]["topic"]["code"] for c in cards) or "none"
        rows.append(f"| `{sc.name}` | {sc.hook} | {topics} | {', '.join(sc.statements)} |")
    return README_HEAD + "\n".join(rows) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update-golden",
        action="store_true",
        help="also (re)write expected-cards.json by running the real evaluator",
    )
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if any file differs"
    )
    args = parser.parse_args(argv)
    names = [sc.name for sc in SCENARIOS]
    if len(set(names)) != len(names):
        parser.error("scenario names are not unique")
    stale: list[str] = []
    for sc in SCENARIOS:
        folder = OUT / sc.name
        for fname, text in _files(sc).items():
            path = folder / fname
            if path.exists() and path.read_text() == text:
                continue
            stale.append(str(path.relative_to(ROOT)))
            if not args.check:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
        if args.update_golden and not args.check:
            (folder / "expected-cards.json").write_text(_golden(sc))
        elif not (folder / "expected-cards.json").exists():
            stale.append(f"{folder.relative_to(ROOT)}/expected-cards.json (missing)")
    readme = OUT / "README.md"
    if args.update_golden and not args.check:
        readme.write_text(_readme())
    elif not readme.exists() or readme.read_text() != _readme():
        stale.append(str(readme.relative_to(ROOT)))
    extra = (
        sorted(d.name for d in OUT.iterdir() if d.is_dir() and d.name not in names)
        if OUT.is_dir()
        else []
    )
    for name in extra:
        print(f"note: {name}/ is not generated by this script", file=sys.stderr)
    if args.check:
        for s in stale:
            print(f"out of date: {s}")
        return 1 if stale else 0
    print(f"{len(SCENARIOS)} scenarios in {OUT.relative_to(ROOT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
