"""Hypothesis strategies for hostile CDS Hooks traffic.

Three sources of input, from least to most realistic:

* `json_values`: any JSON document (deep, unicode, huge and tiny numbers, empty containers);
* `raw_bodies`: bytes that are not always JSON (truncated, byte-flipped, NaN, lone surrogates,
  1,000-deep nesting);
* `mutated_requests`: a golden request from fhir_examples/back-spasm/*/request.json with a few
  mutations at random places of its tree: wrong types, null, missing keys, huge/tiny numbers,
  odd units, bad dates, deep nesting, unicode, duplicated list items.

`garbage_resources` are FHIR-shaped objects (a string `resourceType`) whose other members are
junk; `danger_request` hides one well-formed danger sign among them.
"""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.service.patient import hook_request

ROOT: Final = Path(__file__).resolve().parents[2]
GOLDEN_DIR: Final = ROOT / "fhir_examples" / "back-spasm"
PACK: Final = "back-spasm"
HOOKS: Final = ("patient-view", "order-select", "order-sign", "encounter-discharge")
SERVICES: Final = tuple(f"{PACK}-{hook}" for hook in HOOKS)
#: FUZZ_EXPLORE=1: random (not derandomised) runs with 10x the examples, to hunt for new bugs.
EXPLORE: Final = os.environ.get("FUZZ_EXPLORE") == "1"


def fuzz_settings(max_examples: int = 200) -> settings:
    """Bounded, and by default the same examples on every run (CI must not flake)."""
    return settings(
        max_examples=max_examples * (10 if EXPLORE else 1),
        deadline=None,
        derandomize=not EXPLORE,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


#: Every status the service may answer a hook call with (docs/service.md, "Errors").
HOOK_STATUSES: Final = frozenset({200, 400, 404, 412, 413})


def _golden() -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(GOLDEN_DIR.glob("*/request.json")):
        request = json.loads(path.read_text())
        out.append((f"{PACK}-{request['hook']}", request))
    return out


#: (service id, request) of every golden scenario.
GOLDEN: Final = _golden()

ODD_NUMBERS: Final = (
    0,
    -0.0,
    -1,
    1e-300,
    5e-324,
    1e-7,
    1e300,
    1.7976931348623157e308,
    2**63,
    -(2**63) - 1,
    2**64,
    10**30,
    140,
    0.1 + 0.2,
)
ODD_STRINGS: Final = (
    "",
    " ",
    "null",
    "NaN",
    "Infinity",
    "-0",
    "1e400",
    "1,5",
    "140",
    "\u0000",
    "\ufeff",
    "\u202e140",
    "日本語",
    "💥" * 50,
    "a" * 10_000,
    # dates and times
    "2026-02-30",
    "2026-13-01",
    "0000-00-00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "2026-11-26T25:61:61Z",
    "2026-11-26T10:00:00",
    "2026",
    "2026-11",
    "yesterday",
    # units
    "°F",
    "℉",
    "[degF]",
    "degF",
    "Cel",
    "K",
    "{beats}/min",
    "/min",
    "bpm",
    "mmol/L",
    "mL/min/{1.73_m2}",
    "%",
    "kg",
    # codes, references and URLs
    "M54.50",
    "m5450",
    "8867-4",
    "urn:oid:2.16.840.1.113883.6.96",
    "Patient/",
    "Patient/../../etc/passwd",
    "http://",
    "javascript:alert(1)",
    "{{context.patientId}}",
)
_REPLACEMENTS: Final = st.one_of(
    st.sampled_from(ODD_NUMBERS),
    st.sampled_from(ODD_STRINGS),
    st.none(),
    st.booleans(),
    st.just([]),
    st.just({}),
)


def json_values(max_leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars of every kind, nested lists and objects."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=30),
        st.sampled_from(ODD_STRINGS),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.text(max_size=12), inner, max_size=4),
        ),
        max_leaves=max_leaves,
    )


def dumps(value: Any) -> bytes:
    """JSON as a sloppy client writes it: big ints kept, NaN written bare, surrogates escaped."""
    return json.dumps(value, allow_nan=True).encode()


#: A valid feedback body: one overridden card, one accepted suggestion.
FEEDBACK = {
    "feedback": [
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"code": "reason-1", "system": "https://example.org/reasons"},
                "userComment": "seen",
            },
            "outcomeTimestamp": "2026-11-26T08:00:00Z",
        },
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ee",
            "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
            "outcomeTimestamp": "2026-11-26T08:00:00+01:00",
        },
    ]
}


# --------------------------------------------------------------------------------------------
# Mutations of golden requests


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path in a JSON tree (the root excluded)."""
    out: list[tuple[Any, ...]] = []
    items: Any = ()
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    for key, item in items:
        out.append((*path, key))
        out.extend(_paths(item, (*path, key)))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        doc = doc[key]
    return doc


def _nest(value: Any, depth: int) -> Any:
    for i in range(depth):
        value = [value] if i % 2 else {"x": value}
    return value


MUTATIONS: Final = (
    "replace",
    "delete",
    "null",
    "retype",
    "wrap-list",
    "unwrap",
    "deep",
    "duplicate",
    "unicode",
    "json",
)


@st.composite
def mutate(draw: st.DrawFn, doc: Any, max_mutations: int = 4) -> Any:
    """`doc` (copied) with 1..max_mutations mutations at random paths."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        value = parent[key]
        kind = draw(st.sampled_from(MUTATIONS))
        if kind == "replace":
            parent[key] = draw(_REPLACEMENTS)
        elif kind == "delete":
            del parent[key]
        elif kind == "null":
            parent[key] = None
        elif kind == "retype":  # same content, another JSON type
            if isinstance(value, str):
                parent[key] = int(value) if value.isdigit() else [value]
            elif isinstance(value, bool | int | float):
                parent[key] = str(value)
            elif isinstance(value, list):
                parent[key] = {str(i): v for i, v in enumerate(value)}
            elif isinstance(value, dict):
                parent[key] = list(value.values())
        elif kind == "wrap-list":
            parent[key] = [value]
        elif kind == "unwrap":  # a one-item list sent as the item, as some feeds do
            parent[key] = value[0] if isinstance(value, list) and value else value
        elif kind == "deep":
            parent[key] = _nest(value, draw(st.integers(10, 200)))
        elif kind == "duplicate" and isinstance(value, list) and value:
            parent[key] = value + [copy.deepcopy(value[-1])] * draw(st.integers(1, 50))
        elif kind == "unicode":
            parent[key] = draw(st.text(min_size=1, max_size=40))
        elif kind == "json":
            parent[key] = draw(json_values(8))
    return doc


@st.composite
def mutated_requests(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(service id, mutated golden request); a few are sent to another service."""
    service, request = draw(st.sampled_from(GOLDEN))
    if draw(st.integers(0, 9)) == 0:
        service = draw(st.sampled_from(SERVICES))
    return service, draw(mutate(request))


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """Bodies that are often not JSON at all."""
    _, request = draw(st.sampled_from(GOLDEN))
    text = json.dumps(request).encode()
    kind = draw(st.sampled_from(("truncate", "flip", "insert", "bytes", "special")))
    if kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    if kind == "flip":
        at = draw(st.integers(0, len(text) - 1))
        return text[:at] + bytes([text[at] ^ draw(st.integers(1, 255))]) + text[at + 1 :]
    if kind == "insert":
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.binary(min_size=1, max_size=20)) + text[at:]
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    return draw(
        st.sampled_from(
            (
                b"",
                b"null",
                b"[]",
                b"{}",
                b'"hook"',
                b"NaN",
                b'{"hook": NaN}',
                b'{"hook": "\\ud800"}',
                b"\xef\xbb\xbf{}",
                b"\xff\xfe{\x00}\x00",
                b"[" * 1000 + b"]" * 1000,
                b'{"a":' * 1000 + b"1" + b"}" * 1000,
                b'{"hook": "patient-view", "hook": "order-sign"}',
            )
        )
    )


# --------------------------------------------------------------------------------------------
# A danger sign hidden among garbage

PATIENT_ID: Final = "fuzz-patient"
_FHIR_TYPES: Final = (
    "Observation",
    "Condition",
    "MedicationRequest",
    "MedicationStatement",
    "ServiceRequest",
    "Encounter",
    "Medication",
    "Patient",
    "Bundle",
    "OperationOutcome",
    "Practitioner",
    "Claim",
)
#: Members the fact builder reads; garbage puts junk in them.
_MEMBERS: Final = (
    "id",
    "status",
    "code",
    "subject",
    "patient",
    "clinicalStatus",
    "verificationStatus",
    "onsetDateTime",
    "onsetPeriod",
    "recordedDate",
    "effectiveDateTime",
    "effectivePeriod",
    "issued",
    "valueQuantity",
    "valueString",
    "valueCodeableConcept",
    "component",
    "medicationCodeableConcept",
    "medicationReference",
    "contained",
    "authoredOn",
    "reasonCode",
    "period",
    "birthDate",
    "category",
)


def heart_rate(value: float = 140, minutes_ago: int = 30) -> dict[str, Any]:
    """A final LOINC heart rate in /min, `minutes_ago` before now: an emergency sign at 140."""
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {
        "resourceType": "Observation",
        "id": "danger-hr",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "effectiveDateTime": at.isoformat(timespec="seconds"),
        "valueQuantity": {
            "value": value,
            "unit": "/min",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }


def low_back_pain() -> dict[str, Any]:
    """An active ICD-10-CM low back pain (M54.50), recorded yesterday."""
    return {
        "resourceType": "Condition",
        "id": "danger-lbp",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},
        "recordedDate": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
    }


@st.composite
def garbage_resources(draw: st.DrawFn) -> dict[str, Any]:
    """A FHIR-shaped object (string resourceType, id never one of ours) with junk members."""
    members = draw(
        st.dictionaries(
            st.sampled_from(_MEMBERS), st.one_of(_REPLACEMENTS, json_values(6)), max_size=8
        )
    )
    kind = draw(st.one_of(st.sampled_from(_FHIR_TYPES), st.text(min_size=1, max_size=10)))
    members.pop("id", None)
    resource: dict[str, Any] = {"resourceType": kind, **members}
    if draw(st.booleans()):
        # any JSON scalar; an array or object id is a known bug (tests/fuzz/test_found_bugs.py)
        resource["id"] = draw(
            st.one_of(
                st.text(max_size=8).map(lambda s: f"g-{s}"),
                st.integers(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.booleans(),
                st.none(),
            )
        )
    return resource


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


@st.composite
def danger_request(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    """(service id, request): a back-pain patient with HR 140 /min, among garbage resources."""
    hook = draw(st.sampled_from(HOOKS))
    buckets: dict[str, list[dict[str, Any]]] = {k: [] for k in ("conditions", "observations")}
    buckets["medications"] = []
    for resource in draw(st.lists(garbage_resources(), max_size=25)):
        buckets[draw(st.sampled_from(sorted(buckets)))].append(resource)
    for resource in (heart_rate(), low_back_pain()):
        bucket = buckets[draw(st.sampled_from(sorted(buckets)))]
        bucket.insert(draw(st.integers(0, len(bucket))), resource)
    prefetch = {
        "patient": {"resourceType": "Patient", "id": PATIENT_ID, "birthDate": "1980-01-01"},
        **{key: _bundle(items) for key, items in buckets.items()},
    }
    # the context each hook needs (draft order, selection, encounter), as the service tests
    # build it; a fixed hookInstance keeps examples reproducible
    request = hook_request(
        hook, prefetch, pid=PATIENT_ID, hookInstance="7d1f3c52-5a0b-4c39-9a61-3a0d2f0e9b11"
    )
    return f"{PACK}-{hook}", request
