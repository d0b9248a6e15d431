"""FHIR R4 resources shaped as real EHR feeds send them (Epic-like and Oracle Health
(Cerner)-like), for the real-world corpus (make_cases.py) and the invariance property test.

Everything is relative to a fixed evaluation instant NOW; times are built with `at(hours)`.
Nothing here knows what cards a record should give: expectations live with each case.
"""

from __future__ import annotations

import copy
import re
import uuid
import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

Json = dict[str, Any]

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
NOW_ISO = "2026-11-26T10:00:00Z"

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10WHO = "http://hl7.org/fhir/sid/icd-10"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
COND_CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
COND_CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"
COND_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
DAR = "http://terminology.hl7.org/CodeSystem/data-absent-reason"
EPIC_FLOWSHEET = "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679"
EPIC_DX = "urn:oid:1.2.840.114350.1.13.0.1.7.2.728286"
EPIC_SEX = "urn:oid:1.2.840.114350.1.13.0.1.7.10.698084.130.657370.19999000"
CERNER_72 = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/72"
CERNER_400 = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/nomenclature"

BASE = {
    "epic": "https://fhir.epic.example.org/api/FHIR/R4",
    "cerner": "https://fhir-ehr.cerner.example.com/r4/ec2458f2-1e24-41c8-b71b-0e701af7583d",
}

SERVICE_KEYS = ("patient", "conditions", "observations", "medications", "medicationstatements")


def at(hours_ago: float, zone: str | None = "Z") -> str:
    """A dateTime `hours_ago` before NOW (negative: in the future), in `zone` ("Z", "-05:00",
    or None for a zone-less local time, read in the site zone, which is UTC here)."""
    t = NOW - timedelta(hours=hours_ago)
    if zone is None:
        return t.strftime("%Y-%m-%dT%H:%M:%S")
    if zone == "Z":
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    sign = -1 if zone.startswith("-") else 1
    hh, mm = zone[1:].split(":")
    offset = timedelta(hours=int(hh), minutes=int(mm)) * sign
    local = (t + offset).replace(tzinfo=None)
    return local.strftime("%Y-%m-%dT%H:%M:%S") + zone


def days(n: float) -> float:
    return n * 24.0


def cc(*codings: tuple[str | None, str, str], text: str | None = None) -> Json:
    """A CodeableConcept from (system, code, display) triples (system None: left out)."""
    out: Json = {}
    if codings:
        out["coding"] = [
            {**({"system": s} if s else {}), "code": c, **({"display": d} if d else {})}
            for s, c, d in codings
        ]
    if text is not None:
        out["text"] = text
    return out


def _h(text: str) -> int:
    return zlib.crc32(text.encode())


def new_id(seed: str) -> str:
    """A stable EHR-looking id from a seed."""
    return "e" + uuid.uuid5(uuid.NAMESPACE_URL, seed).hex[:22]


# --- Patient --------------------------------------------------------------------------------


def patient(pid: str, style: str = "epic") -> Json:
    if style == "cerner":
        return {
            "resourceType": "Patient",
            "id": pid,
            "meta": {"versionId": "4", "lastUpdated": at(days(40))},
            "identifier": [
                {
                    "type": {"coding": [{"code": "MR"}], "text": "MRN"},
                    "system": "urn:oid:2.16.840.1.113883.6.1000",
                    "value": "3000" + str(_h(pid) % 10000),
                }
            ],
            "active": True,
            "name": [{"use": "official", "text": "TEST, REALWORLD", "family": "TEST"}],
            "gender": "male",
            "birthDate": "1971-03-02",
        }
    return {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [
            {
                "use": "usual",
                "system": "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14",
                "value": "E" + str(_h(pid) % 100000),
            }
        ],
        "active": True,
        "name": [
            {"use": "official", "text": "Realworld Test", "family": "Test", "given": ["Realworld"]}
        ],
        "gender": "female",
        "birthDate": "1984-07-19",
        "extension": [
            {
                "url": "http://open.epic.com/FHIR/StructureDefinition/extension/legal-sex",
                "valueCodeableConcept": {
                    "coding": [
                        {
                            "system": EPIC_SEX,
                            "code": "female",
                        }
                    ]
                },
            }
        ],
    }


# --- Observation ----------------------------------------------------------------------------

# (LOINC, display, Epic flowsheet id, Cerner code set 72 id, UCUM unit)
VITALS: dict[str, tuple[str, str, str, str, str]] = {
    "hr": ("8867-4", "Heart rate", "8", "703511", "/min"),
    "rr": ("9279-1", "Respiratory rate", "9", "703540", "/min"),
    "spo2": (
        "59408-5",
        "Oxygen saturation in Arterial blood by Pulse oximetry",
        "10",
        "703498",
        "%",
    ),
    "temp": ("8310-5", "Body temperature", "6", "703558", "Cel"),
    "gcs": ("9269-2", "Glasgow coma score total", "1570", "703473", "{score}"),
    "avpu": ("67775-7", "Level of responsiveness (AVPU)", "3040", "4157461", ""),
}
EPIC_LABEL = {
    "hr": "Pulse",
    "rr": "Resp",
    "spo2": "SpO2",
    "temp": "Temp",
    "gcs": "Glasgow Coma Scale Score",
    "avpu": "AVPU",
}
CERNER_LABEL = {
    "hr": "Peripheral Pulse Rate",
    "rr": "Respiratory Rate",
    "spo2": "SpO2",
    "temp": "Temperature Oral",
    "gcs": "Glasgow Coma Score",
    "avpu": "Level of Consciousness",
}
UNIT_TEXT = {"/min": "/min", "%": "%", "Cel": "Cel", "{score}": "{score}", "": ""}


def vital_code(kind: str, style: str = "epic", *, loinc: str | None = None) -> Json:
    code, display, epic_id, cerner_id, _ = VITALS[kind]
    code = loinc or code
    if style == "cerner":
        codings: list[Json] = [
            {
                "system": CERNER_72,
                "code": cerner_id,
                "display": CERNER_LABEL[kind],
                "userSelected": True,
            },
            {"system": LOINC, "code": code, "display": display, "userSelected": False},
        ]
        return {"coding": codings, "text": CERNER_LABEL[kind]}
    codings = [
        {"system": EPIC_FLOWSHEET, "code": epic_id, "display": EPIC_LABEL[kind]},
        {"system": LOINC, "code": code, "display": display},
    ]
    if kind == "spo2":  # Epic sends both pulse-oximetry codes
        codings.append(
            {"system": LOINC, "code": "2708-6", "display": "Oxygen saturation in Arterial blood"}
        )
    return {"coding": codings, "text": EPIC_LABEL[kind]}


def quantity(
    value: Any, unit: str | None, code: str | None = None, system: str | None = UCUM
) -> Json:
    q: Json = {"value": value}
    if unit is not None:
        q["unit"] = unit
    if code is not None:
        q["code"] = code
        if system:
            q["system"] = system
    return q


def obs(
    pid: str,
    kind: str,
    value: Any = None,
    *,
    hours_ago: float = 2,
    zone: str | None = "Z",
    style: str = "epic",
    status: str = "final",
    oid: str | None = "auto",
    unit: str | None = "auto",
    ucum: str | None = "auto",
    value_key: str = "valueQuantity",
    code: Json | None = None,
    seed: str = "",
    last_updated_hours: float | None = None,
    absent: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Json:
    """One vital-sign Observation. `value_key` "valueQuantity" uses `unit`/`ucum`;
    "valueInteger"/"valueString"/"valueCodeableConcept" put `value` as given."""
    loinc_unit = VITALS[kind][4]
    if unit == "auto":
        unit = {
            "/min": "/min" if style == "epic" else "bpm" if kind == "hr" else "br/min",
            "%": "%",
            "Cel": "Cel" if style == "epic" else "DegC",
            "{score}": "{score}",
            "": "",
        }[loinc_unit]
    if ucum == "auto":
        ucum = loinc_unit
    resource: Json = {"resourceType": "Observation"}
    if oid == "auto":
        oid = new_id(f"{pid}/{kind}/{value}/{hours_ago}/{status}/{seed}")
    if oid is not None:
        resource["id"] = oid
    lu = hours_ago if last_updated_hours is None else last_updated_hours
    resource["meta"] = {"lastUpdated": at(lu - 0.05 if lu > 0.05 else lu)}
    resource["status"] = status
    resource["category"] = [
        {
            "coding": [{"system": OBS_CAT, "code": "vital-signs", "display": "Vital Signs"}],
            "text": "Vital Signs",
        }
    ]
    resource["code"] = code if code is not None else vital_code(kind, style)
    resource["subject"] = {"reference": f"Patient/{pid}"}
    resource["effectiveDateTime"] = at(hours_ago, zone)
    resource["issued"] = at(hours_ago - 0.02 if hours_ago > 0.02 else hours_ago)
    if absent is not None:
        resource["dataAbsentReason"] = {
            "coding": [{"system": DAR, "code": absent, "display": absent.title()}]
        }
    elif value_key == "valueQuantity":
        resource["valueQuantity"] = quantity(value, unit, ucum or None)
    else:
        resource[value_key] = value
    if style == "cerner":
        resource["performer"] = [{"reference": "Practitioner/12742069", "display": "Nurse, RN"}]
    if extra:
        resource.update(extra)
    return resource


def component(
    kind: str, value: Any, *, style: str = "epic", loinc: str | None = None, unit: str | None = None
) -> Json:
    u = VITALS[kind][4]
    return {
        "code": vital_code(kind, style, loinc=loinc),
        "valueQuantity": quantity(value, unit or ("bpm" if u == "/min" and kind == "hr" else u), u),
    }


def panel(
    pid: str,
    components: Sequence[Json],
    *,
    loinc: str = "85353-1",
    display: str = "Vital signs, weight, height, head circumference, oxygen saturation and BMI"
    " panel",
    hours_ago: float = 2,
    zone: str | None = "Z",
    status: str = "final",
    oid: str | None = "auto",
    seed: str = "",
) -> Json:
    resource: Json = {"resourceType": "Observation"}
    if oid == "auto":
        oid = new_id(f"{pid}/panel/{loinc}/{hours_ago}/{seed}")
    if oid is not None:
        resource["id"] = oid
    resource.update(
        {
            "meta": {"lastUpdated": at(hours_ago)},
            "status": status,
            "category": [{"coding": [{"system": OBS_CAT, "code": "vital-signs"}]}],
            "code": {
                "coding": [{"system": LOINC, "code": loinc, "display": display}],
                "text": display,
            },
            "subject": {"reference": f"Patient/{pid}"},
            "effectiveDateTime": at(hours_ago, zone),
            "component": list(components),
        }
    )
    return resource


# --- Condition ------------------------------------------------------------------------------

LBP = ((SNOMED, "279039007", "Low back pain"), (ICD10CM, "M54.50", "Low back pain, unspecified"))


def condition(
    pid: str,
    codings: Iterable[tuple[str | None, str, str]] = (),
    text: str | None = None,
    *,
    clinical: str | None = "active",
    verification: str | None = "confirmed",
    onset_hours: float | None = days(3),
    onset_zone: str | None = "Z",
    onset_period: bool = False,
    recorded_hours: float | None = None,
    category: str = "problem-list-item",
    style: str = "epic",
    cid: str | None = "auto",
    seed: str = "",
    extra: Mapping[str, Any] | None = None,
) -> Json:
    codings = list(codings)
    resource: Json = {"resourceType": "Condition"}
    if cid == "auto":
        cid = new_id(f"{pid}/cond/{codings}/{text}/{clinical}/{verification}/{onset_hours}/{seed}")
    if cid is not None:
        resource["id"] = cid
    resource["meta"] = {"lastUpdated": at((onset_hours or recorded_hours or 1) * 0.5)}
    if clinical is not None:
        resource["clinicalStatus"] = {
            "coding": [{"system": COND_CLIN, "code": clinical}],
            **({"text": clinical.title()} if style == "cerner" else {}),
        }
    if verification is not None:
        resource["verificationStatus"] = {"coding": [{"system": COND_VER, "code": verification}]}
    cat = {"coding": [{"system": COND_CAT, "code": category}]}
    if style == "epic" and category == "problem-list-item":
        cat["coding"].append(
            {
                "system": "urn:oid:1.2.840.114350.1.13.0.1.7.10.798268.300",
                "code": "1",
                "display": "Problem List Item",
            }
        )
    resource["category"] = [cat]
    code: Json = {}
    if codings:
        code["coding"] = [
            {**({"system": s} if s else {}), "code": c, **({"display": d} if d else {})}
            for s, c, d in codings
        ]
        if style == "epic" and text is None:
            code["coding"].insert(
                0,
                {
                    "system": EPIC_DX,
                    "code": str(_h(codings[0][1]) % 900000),
                    "display": codings[0][2],
                },
            )
    if text is not None:
        code["text"] = text
    elif codings:
        code["text"] = codings[0][2]
    resource["code"] = code
    resource["subject"] = {"reference": f"Patient/{pid}"}
    if onset_hours is not None:
        if onset_period:
            resource["onsetPeriod"] = {"start": at(onset_hours, onset_zone)}
        else:
            resource["onsetDateTime"] = at(onset_hours, onset_zone)
    if recorded_hours is not None:
        resource["recordedDate"] = at(recorded_hours)
    if extra:
        resource.update(extra)
    return resource


def lbp(pid: str, style: str = "epic", **kw: Any) -> Json:
    return condition(pid, LBP, style=style, **kw)


# --- Medications, orders, encounter -----------------------------------------------------------


def med_request(
    pid: str,
    rxcui: str,
    display: str,
    *,
    status: str = "active",
    intent: str = "order",
    mid: str | None = "auto",
    hours_ago: float = days(2),
    text: str | None = None,
) -> Json:
    resource: Json = {"resourceType": "MedicationRequest"}
    if mid == "auto":
        mid = new_id(f"{pid}/mr/{rxcui}/{status}")
    if mid is not None:
        resource["id"] = mid
    resource.update(
        {
            "status": status,
            "intent": intent,
            "medicationCodeableConcept": cc((RXNORM, rxcui, display), text=text or display),
            "subject": {"reference": f"Patient/{pid}"},
            "authoredOn": at(hours_ago),
        }
    )
    return resource


def med_statement(pid: str, rxcui: str, display: str, *, status: str = "active") -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": new_id(f"{pid}/ms/{rxcui}"),
        "status": status,
        "medicationCodeableConcept": cc((RXNORM, rxcui, display), text=display),
        "subject": {"reference": f"Patient/{pid}"},
        "effectivePeriod": {"start": at(days(400))},
    }


def service_request(
    pid: str,
    codings: Iterable[tuple[str | None, str, str]],
    text: str,
    *,
    status: str = "draft",
    reason: Json | None = None,
) -> Json:
    resource: Json = {
        "resourceType": "ServiceRequest",
        "id": new_id(f"{pid}/sr/{text}"),
        "status": status,
        "intent": "order",
        "category": [{"coding": [{"system": SNOMED, "code": "363679005", "display": "Imaging"}]}],
        "code": cc(*codings, text=text),
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": NOW_ISO,
    }
    if reason is not None:
        resource["reasonCode"] = [reason]
    return resource


def encounter(
    pid: str,
    eid: str,
    *,
    reason: Sequence[Json] = (),
    diagnosis: Sequence[Json] = (),
    status: str = "in-progress",
    style: str = "epic",
) -> Json:
    resource: Json = {
        "resourceType": "Encounter",
        "id": eid,
        "meta": {"lastUpdated": at(0.5)},
        "status": status,
        "class": {
            "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "code": "EMER",
            "display": "emergency",
        },
        "type": [
            {
                "coding": [
                    {
                        "system": "urn:oid:1.2.840.114350.1.13.0.1.7.10.698084.10110"
                        if style == "epic"
                        else CERNER_72,
                        "code": "102",
                        "display": "Emergency",
                    }
                ],
                "text": "Emergency",
            }
        ],
        "subject": {"reference": f"Patient/{pid}"},
        "period": {"start": at(6)},
    }
    if status == "finished":
        resource["period"]["end"] = NOW_ISO
    if reason:
        resource["reasonCode"] = list(reason)
    if diagnosis:
        resource["diagnosis"] = list(diagnosis)
    return resource


# --- Bundles and requests ---------------------------------------------------------------------


def searchset(
    resources: Sequence[Json | Any],
    *,
    style: str = "epic",
    rtype: str = "Observation",
    next_url: str | None = None,
    total: int | None = None,
    outcome: Json | None = None,
) -> Json:
    base = BASE[style]
    entries: list[Json] = []
    for r in resources:
        entry: Json = {}
        if isinstance(r, Mapping) and r.get("id") and r.get("resourceType"):
            entry["fullUrl"] = f"{base}/{r['resourceType']}/{r['id']}"
        entry["resource"] = r
        entry["search"] = {"mode": "match"}
        entries.append(entry)
    if outcome is not None:
        entries.append({"resource": outcome, "search": {"mode": "outcome"}})
    bundle: Json = {"resourceType": "Bundle", "type": "searchset"}
    if style == "cerner":
        bundle["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, repr(entries)[:200]))
    bundle["meta"] = {"lastUpdated": at(0.1)}
    bundle["total"] = total if total is not None else len(resources)
    links = [{"relation": "self", "url": f"{base}/{rtype}?patient=x"}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    bundle["link"] = links
    bundle["entry"] = entries
    return bundle


def outcome(text: str, code: str = "exception", severity: str = "error") -> Json:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": severity, "code": code, "diagnostics": text, "details": {"text": text}}
        ],
    }


def split_by_key(resources: Iterable[Json]) -> dict[str, list[Json]]:
    """Resources sorted into the service's prefetch keys by type."""
    keys: dict[str, list[Json]] = {
        "conditions": [],
        "observations": [],
        "medications": [],
        "medicationstatements": [],
    }
    by_type = {
        "Condition": "conditions",
        "Observation": "observations",
        "MedicationRequest": "medications",
        "MedicationStatement": "medicationstatements",
    }
    for r in resources:
        keys[by_type.get(str(r.get("resourceType")), "observations")].append(r)
    return keys


def request(
    hook: str,
    pid: str,
    resources: Sequence[Json],
    *,
    style: str = "epic",
    encounter_resource: Json | None = None,
    drafts: Sequence[Json] = (),
    override: Mapping[str, Any] | None = None,
    drop_keys: Sequence[str] = (),
) -> Json:
    """A CDS Hooks request with every declared prefetch key filled as an EHR fills it;
    `override` replaces a key's value as sent (a page with a next link, an OperationOutcome…)."""
    by_key = split_by_key(resources)
    rtypes = {
        "conditions": "Condition",
        "observations": "Observation",
        "medications": "MedicationRequest",
        "medicationstatements": "MedicationStatement",
    }
    prefetch: Json = {"patient": patient(pid, style)}
    for key, items in by_key.items():
        prefetch[key] = searchset(items, style=style, rtype=rtypes[key])
    context: Json = {
        "userId": "Practitioner/emer-doc-1" if style == "epic" else "Practitioner/12742069",
        "patientId": pid,
    }
    if hook == "encounter-discharge":
        eid = encounter_resource["id"] if encounter_resource else f"enc-{pid}"
        context["encounterId"] = eid
        prefetch["encounter"] = encounter_resource or encounter(pid, eid, style=style)
    elif encounter_resource is not None:  # the visit in context at any hook, sent as prefetch
        context["encounterId"] = encounter_resource["id"]
        prefetch["encounter"] = encounter_resource
    if hook in ("order-select", "order-sign"):
        context.setdefault("encounterId", f"enc-{pid}")
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": d} for d in drafts],
        }
        if hook == "order-select":
            context["selections"] = [f"{d['resourceType']}/{d['id']}" for d in drafts[:1]]
    for key, value in (override or {}).items():
        prefetch[key] = value
    for key in drop_keys:
        prefetch.pop(key, None)
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{hook}/{pid}")),
        "context": context,
        "prefetch": prefetch,
    }


# --- moving a request in time (the HTTP service evaluates at the real clock) -------------------

_DT = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def shift_times(value: Any, delta: timedelta) -> Any:
    """A deep copy of `value` with every dateTime/instant string moved by `delta`, keeping its
    form (zone or zone-less); date-only strings (birth dates) move by whole days."""
    if isinstance(value, str):
        m = _DT.match(value)
        if m:
            zone = m.group(4)
            naive = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}") + delta
            return naive.strftime("%Y-%m-%dT%H:%M:%S") + (zone or "")
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return (datetime.fromisoformat(value) + timedelta(days=delta.days)).strftime("%Y-%m-%d")
        return value
    if isinstance(value, list):
        return [shift_times(v, delta) for v in value]
    if isinstance(value, dict):
        return {k: shift_times(v, delta) for k, v in value.items()}
    return copy.deepcopy(value)
