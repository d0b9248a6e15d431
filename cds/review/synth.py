"""``cds synth``: a reproducible synthetic population as Bulk Data NDJSON, with expected cards.

The files look like a real export (one type per file, ``manifest.json``, US Core-style codings
with ICD-10-CM and SNOMED CT, product-level RxNorm codes with displays, LOINC vital signs in
Celsius and Fahrenheit, medicationReference into a shared Medication file) and carry noise that
must not change any card: entered-in-error records, duplicated lines, non-lumbar imaging.

Each patient is given a *situation* (a draw per rule situation, at a controlled prevalence),
and ``expected.json`` states how many cards of each topic the review must produce, computed
from the situations by construction (`cds.review.synth_situations.expected_cards`), never by
running the engine. The expectations hold for the default ``--as-of last-discharge``. The
resources are built by `cds.review.synth_resources`.

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
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from cds.fhir import Resource
from cds.review.synth_resources import BASE, medication, patient_resources
from cds.review.synth_situations import (
    MEDS,
    PREVALENCE,
    Situation,
    count_situation,
    draw_situation,
    expected_cards,
)

TYPES = (
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "ServiceRequest",
    "Medication",
)


def synthesize(patients: int, seed: int, out: Path) -> dict[str, Any]:
    """Write the population into ``out``; returns the expectations (also ``expected.json``)."""
    files: dict[str, list[Resource]] = {t: [] for t in TYPES}
    files["Medication"] = [medication(name) for name in sorted(MEDS)]
    expected: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    situations: Counter[str] = Counter()
    for _pid, sit, resources in population(patients, seed):
        count_situation(situations, sit)
        for rtype, res in resources:
            files[rtype].append(res)
        for hook, topics in expected_cards(sit):
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
        sit = draw_situation(rng)
        resources = patient_resources(rng, n, sit)
        yield resources[0][1]["id"], sit, resources


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
