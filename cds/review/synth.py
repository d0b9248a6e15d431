"""``cds synth``: a reproducible synthetic population as Bulk Data NDJSON, with expected cards.

The files look like a real export (one type per file, ``manifest.json``, US Core-style codings
with ICD-10-CM and SNOMED CT, product-level RxNorm codes with displays, LOINC vital signs in
Celsius and Fahrenheit, medicationReference into a shared Medication file) and carry noise that
must not change any card: entered-in-error records, duplicated lines, non-lumbar imaging.

Each patient is given a *situation* (a draw per rule situation, at a controlled prevalence),
and ``expected.json`` states how many cards of each topic the review must produce, computed
from the situations by construction (see `_expected_cards`), never by running the engine.
The expectations hold for the default ``--as-of last-discharge``.

Timeline of a patient (S = start of the index visit):
  onset of back pain (S-2 d, or S-70 d when the pain is persistent), recorded at onset;
  a prior opioid prescription at S-1 d (some patients);
  the index Encounter S .. S+4 h; vital signs at S+1 h; orders signed at S+2 h;
  discharge at S+4 h. Comorbidities and labs are older (years, 30 days).

Temperatures spread around the fever threshold (38.0 °C by default): fevers from 38.0 to
39.4 °C, some normal readings just under it (37.5 to 37.9 °C), half of them written in °F
(rounded to 0.1 °F, so 38.3 °C is written 100.9 °F and compared as 38.28 °C). A patient has
a fever when the value the rules compare, in °C, is at least 38.0. One reading in five gives
its time without a zone (wall time of the visit's zone, UTC-5): a site in UTC reads it 5 hours
earlier, still inside every window the expectations rely on.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from cds.fhir import Resource

TZ = timezone(timedelta(hours=-5))
BASE = datetime(2025, 1, 6, 8, 0, tzinfo=TZ)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
OBS_CAT = "http://terminology.hl7.org/CodeSystem/observation-category"
TYPES = (
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "ServiceRequest",
    "Medication",
)

#: Fevers (°C) and normal readings just under the threshold, drawn evenly.
FEVERS_C = (38.0, 38.1, 38.2, 38.3, 38.4, 38.6, 39.0, 39.4)
NEAR_FEVER_C = (37.5, 37.7, 37.8, 37.9)
NORMAL_C = 36.9
FEVER_AT_C = Decimal("38.0")
"""The pack's default ``fever_celsius``: the expectations hold under it."""

#: Prevalence of each situation (of in-scope patients unless said otherwise).
PREVALENCE = {
    "in_scope": 0.8,  # of all patients: a back-pain diagnosis
    "encounter": 0.95,  # of all patients: an index visit (else: no discharge call)
    "older_visit": 0.3,
    "heart_rate_high": 0.1,
    "fever": 0.12,
    "near_fever": 0.15,  # of patients without fever: a reading from 37.5 to 37.9 °C
    "comorbidity": 0.25,
    "imaging": 0.3,
    "imaging_support": 0.5,  # of imaging orders: persistent pain or a recent fall
    "nsaid": 0.3,
    "relaxant": 0.2,
    "prior_opioid": 0.1,
    "noise_error_condition": 0.05,
    "noise_error_vital": 0.05,
    "noise_duplicate": 0.05,
    "noise_error_order": 0.03,
    "noise_chest_xray": 0.05,
}

# (code, display) of product-level RxNorm SCDs; the pack matches them by ingredient words.
MEDS = {
    "ibuprofen": ("197806", "Ibuprofen 600 MG Oral Tablet"),
    "naproxen": ("198014", "Naproxen 500 MG Oral Tablet"),
    "acetaminophen": ("198440", "Acetaminophen 500 MG Oral Tablet"),
    "cyclobenzaprine": ("828348", "Cyclobenzaprine Hydrochloride 10 MG Oral Tablet"),
    "methocarbamol": ("197943", "Methocarbamol 500 MG Oral Tablet"),
    "oxycodone": ("1049621", "Oxycodone Hydrochloride 5 MG Oral Tablet"),
    "warfarin": ("855332", "Warfarin Sodium 5 MG Oral Tablet"),
    "lisinopril": ("314076", "Lisinopril 10 MG Oral Tablet"),
}
COMORBIDITIES = ("diabetes", "ckd", "egfr_low", "hba1c_high", "warfarin")


@dataclass
class Situation:
    """What was drawn for one patient."""

    in_scope: bool
    encounter: bool
    older_visit: bool
    heart_rate_high: bool
    fever: bool
    """The temperature the rules compare (in °C) is at least ``FEVER_AT_C``."""
    temperature: float
    """The temperature as written, in ``temperature_unit``."""
    temperature_unit: str
    comorbidity: str | None
    imaging: str | None  # None, "unsupported", "persistent", "fall"
    nsaid: str | None
    relaxant: str | None
    prior_opioid: bool
    noise: frozenset[str]


def synthesize(patients: int, seed: int, out: Path) -> dict[str, Any]:
    """Write the population into ``out``; returns the expectations (also ``expected.json``)."""
    files: dict[str, list[Resource]] = {t: [] for t in TYPES}
    files["Medication"] = [_medication(name) for name in sorted(MEDS)]
    expected: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    situations: Counter[str] = Counter()
    for _pid, sit, resources in population(patients, seed):
        _count_situation(situations, sit)
        for rtype, res in resources:
            files[rtype].append(res)
        for hook, topics in _expected_cards(sit):
            calls[hook] += 1
            expected.update(topics)
            for topic in topics:
                expected[f"{hook} {topic}"] += 1
    return _write(out, files, patients, seed, expected, calls, situations)


def population(
    patients: int, seed: int
) -> Iterator[tuple[str, Situation, list[tuple[str, Resource]]]]:
    """Each patient's id, situation and resources, in a reproducible order."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311  # synthetic data, not security
    for n in range(patients):
        sit = _draw(rng)
        resources = _patient_resources(rng, n, sit)
        yield resources[0][1]["id"], sit, resources


def _draw(rng: random.Random) -> Situation:
    p = PREVALENCE

    def draw(key: str) -> bool:
        return rng.random() < p[key]

    in_scope = draw("in_scope")
    encounter = draw("encounter")
    comorbidity = rng.choice(COMORBIDITIES) if draw("comorbidity") else None
    imaging = None
    if in_scope and draw("imaging"):
        imaging = rng.choice(("persistent", "fall")) if draw("imaging_support") else "unsupported"
    noise = {k for k in p if k.startswith("noise_") and draw(k)}
    if not in_scope:
        noise.discard("noise_duplicate")  # only the back-pain Condition is duplicated
    if comorbidity:
        noise.discard("noise_error_condition")  # an erroneous diabetes next to a real one
    return Situation(
        in_scope=in_scope,
        encounter=encounter,
        older_visit=draw("older_visit"),
        heart_rate_high=draw("heart_rate_high"),
        **_temperature(rng, draw("fever"), draw("near_fever")),
        comorbidity=comorbidity,
        imaging=imaging,
        nsaid=rng.choice(("ibuprofen", "naproxen", "acetaminophen")) if draw("nsaid") else None,
        relaxant=rng.choice(("cyclobenzaprine", "methocarbamol")) if draw("relaxant") else None,
        prior_opioid=in_scope and draw("prior_opioid"),
        noise=frozenset(noise),
    )


def _temperature(rng: random.Random, fever: bool, near: bool) -> dict[str, Any]:
    """A reading in °C or °F (half each) and whether it is a fever as the rules compare it:
    the °F value rounded as written, converted back to °C to 4 places."""
    celsius = rng.choice(FEVERS_C) if fever else rng.choice(NEAR_FEVER_C) if near else NORMAL_C
    if rng.random() < 0.5:
        value, unit = round(celsius * 9 / 5 + 32, 1), "[degF]"
        compared = ((Decimal(str(value)) - 32) * 5 / 9).quantize(Decimal("0.0001"))
    else:
        value, unit, compared = celsius, "Cel", Decimal(str(celsius))
    return {"fever": compared >= FEVER_AT_C, "temperature": value, "temperature_unit": unit}


def _expected_cards(sit: Situation) -> list[tuple[str, list[str]]]:
    """The calls the review replays for this patient and the topics of their cards.

    This restates the pack's contract for the situations drawn (see the module docstring for
    the timeline): out-of-scope patients get no cards at all.
    """
    out: list[tuple[str, list[str]]] = []
    signs = [
        t for t, on in (("emergency-sign", sit.heart_rate_high), ("urgent-sign", sit.fever)) if on
    ]
    if sit.prior_opioid:  # signed the day before the visit: no signs yet
        out.append(("order-sign", ["sedation-caution"] if sit.in_scope else []))
    if sit.imaging or sit.nsaid or sit.relaxant:
        topics = list(signs)
        if sit.imaging:
            supported = sit.imaging != "unsupported" or sit.fever
            topics.append("imaging-supported" if supported else "imaging-not-indicated")
        if sit.nsaid and sit.comorbidity:
            topics.append("analgesic-caution")
        if sit.relaxant:
            topics.append("sedation-caution")
        out.append(("order-sign", topics if sit.in_scope else []))
    if sit.encounter:
        topics = [*signs, "discharge-instructions"]
        # the standard advice (store-bought pain relievers) meets a caution: a comorbidity, or
        # acetaminophen or an NSAID already prescribed at this visit (no extra on top of it)
        if sit.comorbidity or sit.nsaid:
            topics.append("analgesic-caution")
        if sit.relaxant or sit.prior_opioid:
            topics.append("sedation-caution")
        out.append(("encounter-discharge", topics if sit.in_scope else []))
    return out


def _count_situation(counter: Counter[str], sit: Situation) -> None:
    counter["older_visit"] += sit.older_visit and sit.encounter
    for key in ("in_scope", "encounter", "heart_rate_high", "fever", "prior_opioid"):
        counter[key] += bool(getattr(sit, key))
    for key in ("comorbidity", "imaging", "nsaid", "relaxant"):
        value = getattr(sit, key)
        if value:
            counter[f"{key}:{value}"] += 1
    counter.update(sorted(sit.noise))


# ---------------------------------------------------------------------------------------------
# Resources


def _patient_resources(rng: random.Random, n: int, sit: Situation) -> list[tuple[str, Resource]]:
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


def _medication(name: str) -> Resource:
    code, display = MEDS[name]
    return {
        "resourceType": "Medication",
        "id": f"med-{name}",
        "code": {"coding": [{"system": RXNORM, "code": code, "display": display}], "text": display},
    }


def _write(
    out: Path,
    files: dict[str, list[Resource]],
    patients: int,
    seed: int,
    expected: Counter[str],
    calls: Counter[str],
    situations: Counter[str],
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    outputs = []
    for rtype in TYPES:
        name = f"{rtype}.000.ndjson"
        body = b"".join(orjson.dumps(r) + b"\n" for r in files[rtype])
        (out / name).write_bytes(body)
        outputs.append({"type": rtype, "url": name, "count": len(files[rtype])})
    manifest = {
        "transactionTime": BASE.isoformat(),
        "request": f"synth?patients={patients}&seed={seed}",
        "requiresAccessToken": False,
        "output": outputs,
        "error": [],
    }
    (out / "manifest.json").write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    topics = {k: v for k, v in sorted(expected.items()) if " " not in k}
    doc: dict[str, Any] = {
        "patients": patients,
        "seed": seed,
        "as_of": "last-discharge",
        "lines": sum(o["count"] for o in outputs),
        "calls": dict(sorted(calls.items())),
        "cards": sum(topics.values()),
        "cards_by_topic": topics,
        "cards_by_hook_topic": {k: v for k, v in sorted(expected.items()) if " " in k},
        "situations": dict(sorted(situations.items())),
        "prevalence": PREVALENCE,
    }
    (out / "expected.json").write_bytes(orjson.dumps(doc, option=orjson.OPT_INDENT_2) + b"\n")
    return doc
