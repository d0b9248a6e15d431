"""Tests for tests/support/fhir_server.py: the sekmet-fhir test server, started as a subprocess.

They pin the generic FHIR behaviour our integration tests rely on (bearer auth, transaction
Bundles with urn:uuid references, search, paging, async Bulk $export), so a different server
(e.g. HAPI) can be swapped in behind the same fixture.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.fhir_server import FhirServer, FhirServerError, run_fhir_server

# sekmet-fhir is a pinned dev dependency: without it these fail (run_fhir_server says why),
# they are never skipped in silence
pytestmark = pytest.mark.integration

TOKEN = "integration-test-token"
LOINC = "http://loinc.org"
IDENTIFIER_SYSTEM = "urn:oid:2.16.840.1.113883.19.5.99"
BODY_TEMPERATURES = (37.2, 38.4, 39.1)
EXPORT_TIMEOUT = 30.0


@dataclass(frozen=True)
class LoadedPatient:
    patient_id: str
    observation_ids: frozenset[str]


@pytest.fixture(scope="module")
def fhir_server() -> Iterator[FhirServer]:
    with run_fhir_server(TOKEN) as server:
        yield server


@pytest.fixture(scope="module")
def client(fhir_server: FhirServer) -> Iterator[httpx.Client]:
    with fhir_server.client() as authorised:
        yield authorised


@pytest.fixture(scope="module")
def loaded_patient(fhir_server: FhirServer, client: httpx.Client) -> LoadedPatient:
    mrn = uuid.uuid4().hex
    fhir_server.load_bundle(patient_bundle(mrn))
    found = client.get("Patient", params={"identifier": f"{IDENTIFIER_SYSTEM}|{mrn}"})
    found.raise_for_status()
    (patient,) = resources(found.json())
    observations = client.get("Observation", params={"patient": patient["id"]}).json()
    return LoadedPatient(patient["id"], frozenset(o["id"] for o in resources(observations)))


def patient_bundle(mrn: str) -> dict[str, Any]:
    """A transaction Bundle: one Patient and three body temperatures, linked by urn:uuid."""
    patient_url = f"urn:uuid:{uuid.uuid4()}"
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": patient_url,
            "resource": {
                "resourceType": "Patient",
                "identifier": [{"system": IDENTIFIER_SYSTEM, "value": mrn}],
                "name": [{"family": "Fixture", "given": ["Ada"]}],
                "gender": "female",
                "birthDate": "1980-04-02",
            },
            "request": {"method": "POST", "url": "Patient"},
        }
    ]
    for day, value in enumerate(BODY_TEMPERATURES, start=1):
        observation = {
            "resourceType": "Observation",
            "status": "final",
            "code": {
                "coding": [{"system": LOINC, "code": "8310-5", "display": "Body temperature"}]
            },
            "subject": {"reference": patient_url},
            "effectiveDateTime": f"2026-03-0{day}T08:00:00+02:00",
            "valueQuantity": {
                "value": value,
                "unit": "Cel",
                "system": "http://unitsofmeasure.org",
                "code": "Cel",
            },
        }
        entries.append(
            {
                "fullUrl": f"urn:uuid:{uuid.uuid4()}",
                "resource": observation,
                "request": {"method": "POST", "url": "Observation"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def resources(bundle: dict[str, Any]) -> list[dict[str, Any]]:
    """The search matches of a searchset Bundle (not includes or OperationOutcomes)."""
    return [
        e["resource"] for e in bundle.get("entry", []) if e.get("search", {}).get("mode") == "match"
    ]


def next_link(bundle: dict[str, Any]) -> str | None:
    return next(
        (link["url"] for link in bundle.get("link", []) if link["relation"] == "next"), None
    )


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": f"Basic {TOKEN}"}],
    ids=["no-token", "wrong-token", "wrong-scheme"],
)
def test_request_without_the_token_is_refused(
    fhir_server: FhirServer, headers: dict[str, str]
) -> None:
    with httpx.Client(timeout=10) as anonymous:
        response = anonymous.get(f"{fhir_server.base_url}/Patient", headers=headers)
    assert response.status_code in (401, 403)
    assert response.json()["resourceType"] == "OperationOutcome"


def test_capability_statement_needs_no_token(fhir_server: FhirServer) -> None:
    with httpx.Client(timeout=10) as anonymous:
        response = anonymous.get(f"{fhir_server.base_url}/metadata")
    assert response.status_code == 200
    assert response.json()["resourceType"] == "CapabilityStatement"


def test_transaction_bundle_loads_and_observations_are_found_by_patient(
    client: httpx.Client, loaded_patient: LoadedPatient
) -> None:
    response = client.get("Observation", params={"patient": loaded_patient.patient_id})

    bundle = response.json()
    assert response.status_code == 200
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 3
    found = resources(bundle)
    assert {o["id"] for o in found} == loaded_patient.observation_ids
    # urn:uuid references were rewritten to the Patient's server-assigned id
    assert {o["subject"]["reference"] for o in found} == {f"Patient/{loaded_patient.patient_id}"}
    assert sorted(o["valueQuantity"]["value"] for o in found) == list(BODY_TEMPERATURES)


def test_observation_search_by_patient_and_code(
    client: httpx.Client, loaded_patient: LoadedPatient
) -> None:
    params = {"patient": f"Patient/{loaded_patient.patient_id}", "code": f"{LOINC}|8310-5"}
    hits = client.get("Observation", params=params).json()
    misses = client.get("Observation", params={**params, "code": f"{LOINC}|8867-4"}).json()
    assert hits["total"] == 3
    assert misses["total"] == 0


def test_count_one_pages_through_next_links(
    client: httpx.Client, loaded_patient: LoadedPatient
) -> None:
    url: str | None = "Observation"
    params: dict[str, str] | None = {"patient": loaded_patient.patient_id, "_count": "1"}
    pages: list[list[dict[str, Any]]] = []
    while url is not None and len(pages) < 10:
        response = client.get(url, params=params)
        assert response.status_code == 200
        bundle = response.json()
        pages.append(resources(bundle))
        url, params = next_link(bundle), None  # the next link carries every parameter itself

    assert [len(page) for page in pages] == [1, 1, 1]
    assert {page[0]["id"] for page in pages} == loaded_patient.observation_ids


def test_failed_transaction_raises_and_is_rolled_back(
    fhir_server: FhirServer, client: httpx.Client
) -> None:
    mrn = uuid.uuid4().hex
    bundle = patient_bundle(mrn)
    bundle["entry"][1]["resource"]["subject"]["reference"] = f"urn:uuid:{uuid.uuid4()}"

    with pytest.raises(FhirServerError, match="unresolved reference"):
        fhir_server.load_bundle(bundle)

    found = client.get("Patient", params={"identifier": f"{IDENTIFIER_SYSTEM}|{mrn}"}).json()
    assert found["total"] == 0


def test_empty_token_is_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"), run_fhir_server(""):
        pass


def test_bulk_export_kickoff_poll_manifest_and_download(
    fhir_server: FhirServer, client: httpx.Client, loaded_patient: LoadedPatient
) -> None:
    kickoff = client.get(
        "Patient/$export",
        params={"_type": "Patient,Observation"},
        headers={"Prefer": "respond-async"},
    )
    assert kickoff.status_code == 202
    status_url = kickoff.headers["Content-Location"]

    manifest, polls = poll_export(client, status_url)

    assert polls >= 1
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []
    assert manifest["request"].startswith(f"{fhir_server.base_url}/Patient/$export")
    outputs = {item["type"]: item for item in manifest["output"]}
    assert set(outputs) == {"Patient", "Observation"}

    observations = download_ndjson(client, outputs["Observation"]["url"])
    assert len(observations) == outputs["Observation"]["count"]
    mine = [
        o for o in observations if o["subject"]["reference"].endswith(loaded_patient.patient_id)
    ]
    assert {o["id"] for o in mine} == loaded_patient.observation_ids
    patients = download_ndjson(client, outputs["Patient"]["url"])
    assert loaded_patient.patient_id in {p["id"] for p in patients}

    with httpx.Client(timeout=10) as anonymous:
        assert anonymous.get(outputs["Patient"]["url"]).status_code == 401
    assert client.delete(status_url).status_code == 202  # the client cleans up the job's files
    assert client.get(status_url).status_code == 404


def test_bulk_export_needs_prefer_respond_async(client: httpx.Client) -> None:
    response = client.get("Patient/$export")
    assert response.status_code == 400


def poll_export(client: httpx.Client, status_url: str) -> tuple[dict[str, Any], int]:
    """Poll a Bulk status URL until the manifest is ready, honouring Retry-After."""
    deadline = time.monotonic() + EXPORT_TIMEOUT
    polls = 0
    while time.monotonic() < deadline:
        status = client.get(status_url)
        polls += 1
        if status.status_code == 200:
            manifest: dict[str, Any] = status.json()
            return manifest, polls
        assert status.status_code == 202, status.text
        time.sleep(min(float(status.headers.get("Retry-After", "1")), 1.0))
    raise AssertionError(f"export at {status_url} not complete after {EXPORT_TIMEOUT} s")


def download_ndjson(client: httpx.Client, url: str) -> list[dict[str, Any]]:
    response = client.get(url, headers={"Accept": "application/fhir+ndjson"})
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/fhir+ndjson")
    return [json.loads(line) for line in response.text.splitlines() if line]
