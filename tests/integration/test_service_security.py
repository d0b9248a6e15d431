"""Security of the real service (`python -m cds serve` as a subprocess, log level DEBUG): no
secret or patient identifier in its output, security headers, streamed body limits, SSRF."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.integration.test_service_http import ISS, KEY, Service
from tests.service.patient import (
    back_pain,
    fetching_request,
    full_prefetch,
    hook_request,
    outcome,
    temperature,
)
from tests.support.cds_server import run_cds_server
from tests.support.fhir_server import FhirServer, run_fhir_server
from tests.support.keys import jwks
from tests.support.recorder import Recorder, recording_server

# sekmet-fhir is a pinned dev dependency: without it these fail (run_fhir_server says why),
# they are never skipped in silence
pytestmark = pytest.mark.integration

FHIR_TOKEN = "fhir-token-7d1c0b9e4a"
PATIENT_ID = "pt-q7x2k9zv"
FAMILY, GIVEN = "Quillfeather", "Zephyrine"
PV = "back-spasm-patient-view"
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}")


@dataclass
class Setup:
    service: Service
    fhir: FhirServer
    refusing: Recorder  # allowlisted, answers 401 to every fetch
    rebound: Recorder  # allowlisted as http://127.1:PORT/ (a name, not a loopback literal)

    def post(self, http: httpx.Client, path: str, body: Any, **token: Any) -> httpx.Response:
        return http.post(
            self.service.url(path), json=body, headers=self.service.headers(path, **token)
        )

    def hook(self, http: httpx.Client, body: Any) -> httpx.Response:
        return self.post(http, f"/cds-services/{PV}", body)


def named_patient() -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": PATIENT_ID,
        "name": [{"family": FAMILY, "given": [GIVEN]}],
        "gender": "female",
        "birthDate": "1980-04-02",
    }


def load_patient(server: FhirServer) -> None:
    """The named patient under our own id (PUT), with back pain and a fever."""
    entries: list[dict[str, Any]] = [
        {"resource": named_patient(), "request": {"method": "PUT", "url": f"Patient/{PATIENT_ID}"}}
    ]
    for resource in (back_pain(PATIENT_ID), temperature(38.6, PATIENT_ID)):
        resource.pop("id")
        request = {"method": "POST", "url": resource["resourceType"]}
        entries.append({"resource": resource, "request": request})
    server.transaction({"resourceType": "Bundle", "type": "transaction", "entry": entries})


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    root = tmp_path_factory.mktemp("secure-service")
    with (
        run_fhir_server(FHIR_TOKEN) as fhir,
        recording_server(outcome("no token"), status=401) as refusing,
        recording_server({"resourceType": "Patient", "id": "x"}) as rebound,
    ):
        load_patient(fhir)
        settings = {
            "jwt_issuers": [{"iss": ISS, "jwks": jwks(KEY)}],
            "fhir_server_allowlist": [
                fhir.base_url,
                refusing.base + "/",
                f"http://127.1:{rebound.port}/",
            ],
            "fetch_timeout_seconds": 2.0,
            "max_body_bytes": 200_000,
            "log_level": "debug",
        }
        with run_cds_server(root, settings, Service) as service:
            yield Setup(service, fhir, refusing, rebound)


def fetching(server: str, prefetch: dict[str, Any] | None = None) -> dict[str, Any]:
    return fetching_request(server, FHIR_TOKEN, PATIENT_ID, prefetch)


def test_the_log_holds_no_token_jwt_or_patient_identifier(setup: Setup, http: httpx.Client) -> None:
    service = setup.service
    discovery = http.get(service.url("/cds-services"), headers=service.headers("/cds-services"))
    assert discovery.status_code == 200
    # fallback fetch of everything from the real FHIR server, with the access token
    fetched = setup.hook(http, fetching(setup.fhir.base_url))
    assert [c["source"]["topic"]["code"] for c in fetched.json()["cards"]] == ["urgent-sign"]
    # the named patient sent as prefetch
    prefetch = {**full_prefetch(PATIENT_ID), "patient": named_patient()}
    sent = setup.hook(http, hook_request(prefetch=prefetch, pid=PATIENT_ID))
    assert sent.status_code == 200 and sent.json()["cards"]
    # fetch failures are logged (with the URL's resource type only)
    failed = setup.hook(http, fetching(f"{setup.refusing.base}/r4"))
    assert failed.status_code == 412 and setup.refusing.paths
    refused = setup.hook(http, fetching(f"http://127.1:{setup.rebound.port}/r4"))
    assert refused.status_code == 412
    # a refused JWT is logged
    now = int(time.time())
    path = f"/cds-services/{PV}"
    expired = service.token(path, exp=now - 600, iat=now - 900)
    bad = http.post(
        service.url(path), json=prefetch, headers={"Authorization": f"Bearer {expired}"}
    )
    assert bad.status_code == 401
    # feedback
    item = {
        "card": fetched.json()["cards"][0]["uuid"],
        "outcome": "overridden",
        "overrideReason": {"userComment": "seen today"},
        "outcomeTimestamp": "2026-11-26T08:00:00Z",
    }
    feedback = setup.post(http, f"/cds-services/{PV}/feedback", {"feedback": [item]})
    assert feedback.status_code == 200

    log = service.log.read_text()
    assert " DEBUG " in log  # the level really was DEBUG
    assert "prefetch key 'patient' not had in full: Patient: HTTP 401" in log
    assert "fhirServer refused: 127.1 resolves to a loopback address" in log
    assert "refused a call" in log
    assert FHIR_TOKEN not in log
    assert JWT.search(log) is None, JWT.search(log)
    for identifier in (PATIENT_ID, FAMILY, GIVEN):
        assert identifier not in log, identifier


def test_a_chunked_body_over_the_limit_is_413(setup: Setup, http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"hook": "patient-view", "padding": "'
        for _ in range(250):
            yield b"x" * 1000
        yield b'"}'

    path = f"/cds-services/{PV}"
    response = http.post(
        setup.service.url(path), content=chunks(), headers=setup.service.headers(path)
    )
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert response.json()["issue"][0]["details"]["coding"][0]["code"] == "payload-too-large"


def test_real_answers_carry_security_headers_and_no_server_banner(
    setup: Setup, http: httpx.Client
) -> None:
    service = setup.service
    ok = http.get(service.url("/cds-services"), headers=service.headers("/cds-services"))
    unauthorized = http.get(service.url("/cds-services"))
    for response in (ok, unauthorized):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in response.headers
        assert "server" not in response.headers


def test_an_allowlisted_name_resolving_to_loopback_is_never_connected_to(
    setup: Setup, http: httpx.Client
) -> None:
    before = list(setup.rebound.connections)
    response = setup.hook(http, fetching(f"http://127.1:{setup.rebound.port}/r4"))
    assert response.status_code == 412
    assert setup.rebound.connections == before == []
