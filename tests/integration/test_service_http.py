"""The real service over HTTP: `python -m cds serve` as a subprocess, real JWTs, real SQLite,
fallback fetch from a real FHIR server (sekmet-fhir) and from a fault-injecting server of ours.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.service.patient import (
    fetching_request,
    full_prefetch,
    hook_request,
    outcome,
    transaction,
)
from tests.support.cds_server import CdsServer, run_cds_server
from tests.support.fhir_server import FhirServer, run_fhir_server
from tests.support.keys import (
    SigningKey,
    alg_none_token,
    hs256_public_key_token,
    jwks,
    make_token,
    new_key,
)

# sekmet-fhir is a pinned dev dependency: without it these fail (run_fhir_server says why),
# they are never skipped in silence
pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
ISS = "https://ehr.test"
FHIR_TOKEN = "fhir-access-token-do-not-log"
PV = "back-spasm-patient-view"
KEY = new_key("ehr-key-1")
JKU_KEY = new_key("ehr-jku-key")


# --- a fault-injecting FHIR server (and JWKS host) on loopback -----------------------------


@dataclass
class FaultServer:
    base: str
    paths: list[str] = field(default_factory=list)


def _handler(record: list[str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            record.append(self.path)
            mode = self.path.strip("/").split("/")[0]
            if mode == "jwks.json":
                self._send(200, json.dumps(jwks(JKU_KEY)).encode())
            elif mode == "timeout":
                time.sleep(2.0)
                self._send(200, b"{}")
            elif mode == "unauthorized":
                self._send(401, json.dumps(outcome("no token")).encode())
            elif mode == "error":
                self._send(500, b"internal error")
            elif mode == "malformed":
                self._send(200, b'{"resourceType": "Bundle", ')
            else:
                self._send(404, b"{}")

        def _send(self, status: int, body: bytes) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/fhir+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except OSError:
                pass  # the service gave up waiting (timeout case)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="module")
def faults() -> Iterator[FaultServer]:
    record: list[str] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(record))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FaultServer(f"http://127.0.0.1:{server.server_address[1]}", record)
    finally:
        server.shutdown()
        server.server_close()


# --- the real FHIR server with one patient --------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    server: FhirServer
    patient_id: str


@pytest.fixture(scope="module")
def fhir() -> Iterator[Loaded]:
    with run_fhir_server(FHIR_TOKEN) as server:
        # three temperatures (38.5 Cel recent, two normal), low back pain M54.50
        result = server.transaction(transaction(fever=38.5, temperatures=3))
        locations = [e["response"]["location"] for e in result["entry"]]
        (location,) = [loc for loc in locations if "Patient/" in loc]
        patient_id = location.split("Patient/")[1].split("/")[0]
        yield Loaded(server, patient_id)


# --- our service as a subprocess --------------------------------------------------------------


@dataclass
class Service(CdsServer):
    """The real `cds serve` (tests/support/cds_server.py), with this suite's JWT helpers."""

    def token(self, path: str, key: SigningKey = KEY, **kw: Any) -> str:
        return make_token(key, ISS, self.url(path), **kw)

    def headers(self, path: str, **kw: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(path, **kw)}"}


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, fhir: Loaded, faults: FaultServer
) -> Iterator[Service]:
    settings = {
        "jwt_issuers": [
            {"iss": ISS, "jwks": jwks(KEY), "jku_prefixes": [f"{faults.base}/jwks.json"]}
        ],
        "fhir_server_allowlist": [fhir.server.base_url, faults.base + "/"],
        "fetch_timeout_seconds": 0.5,
        "fetch_total_seconds": 1.5,
        "max_body_bytes": 200_000,
        "log_level": "info",
    }
    with run_cds_server(tmp_path_factory.mktemp("service"), settings, Service) as svc:
        yield svc


def call(
    service: Service, http: httpx.Client, body: Any, sid: str = PV, **token: Any
) -> httpx.Response:
    path = f"/cds-services/{sid}"
    return http.post(service.url(path), json=body, headers=service.headers(path, **token))


def with_server(fhir: Loaded, prefetch: dict[str, Any], server: str | None = None) -> Any:
    return fetching_request(server or fhir.server.base_url, FHIR_TOKEN, fhir.patient_id, prefetch)


def topics(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["source"]["topic"]["code"] for c in response.json()["cards"]]


# --- endpoints ----------------------------------------------------------------------------


def test_discovery(service: Service, http: httpx.Client) -> None:
    response = http.get(service.url("/cds-services"), headers=service.headers("/cds-services"))
    assert response.status_code == 200
    assert len(response.json()["services"]) == 4
    assert http.get(service.url("/cds-services")).status_code == 401


def test_hook_with_full_prefetch(service: Service, http: httpx.Client) -> None:
    assert topics(call(service, http, hook_request(prefetch=full_prefetch()))) == ["urgent-sign"]


def test_prefetch_null_is_known_empty(service: Service, http: httpx.Client) -> None:
    prefetch = {**full_prefetch(), "conditions": None}
    assert topics(call(service, http, hook_request(prefetch=prefetch))) == []


def test_absent_keys_are_fetched_from_the_fhir_server(
    service: Service, http: httpx.Client, fhir: Loaded
) -> None:
    assert topics(call(service, http, with_server(fhir, {}))) == ["urgent-sign"]


def test_operation_outcome_keys_are_fetched(
    service: Service, http: httpx.Client, fhir: Loaded
) -> None:
    prefetch = {"patient": outcome(), "conditions": outcome(), "observations": outcome()}
    assert topics(call(service, http, with_server(fhir, prefetch))) == ["urgent-sign"]


def test_paged_prefetch_follows_next_links(
    service: Service, http: httpx.Client, fhir: Loaded
) -> None:
    with fhir.server.client() as client:
        # oldest first, one per page: the fever is on the last page
        first = client.get(
            "Observation", params={"patient": fhir.patient_id, "_count": "1", "_sort": "date"}
        ).json()
        conditions = client.get("Condition", params={"patient": fhir.patient_id}).json()
        patient = client.get(f"Patient/{fhir.patient_id}").json()
    assert any(link["relation"] == "next" for link in first["link"])
    assert first["entry"][0]["resource"]["valueQuantity"]["value"] < 38
    prefetch = {"patient": patient, "conditions": conditions, "observations": first}
    assert topics(call(service, http, with_server(fhir, prefetch))) == ["urgent-sign"]
    # without the pages there is no fever
    first.pop("link")
    assert topics(call(service, http, with_server(fhir, prefetch))) == []


@pytest.mark.parametrize("mode", ["timeout", "unauthorized", "error", "malformed"])
def test_fhir_server_failures_are_412(
    service: Service, http: httpx.Client, fhir: Loaded, faults: FaultServer, mode: str
) -> None:
    started = time.monotonic()
    response = call(service, http, with_server(fhir, {}, server=f"{faults.base}/{mode}"))
    assert response.status_code == 412, response.text
    assert "patient, conditions" in response.json()["issue"][0]["diagnostics"]
    assert time.monotonic() - started < 3  # budgets hold (0.5 s per call, 1.5 s total)
    assert any(p.startswith(f"/{mode}/") for p in faults.paths)


def test_non_allowlisted_fhir_server_is_never_contacted(
    service: Service, http: httpx.Client, fhir: Loaded, faults: FaultServer
) -> None:
    before = list(faults.paths)
    host = faults.base.replace("127.0.0.1", "localhost")  # same server, not allowlisted
    response = call(service, http, with_server(fhir, {}, server=f"{host}/error"))
    assert response.status_code == 412
    assert faults.paths == before


@pytest.mark.parametrize(
    ("body", "sid", "status"),
    [
        (b"{oops", PV, 400),
        (
            json.dumps(hook_request("patient-view", full_prefetch())).encode(),
            "back-spasm-order-sign",
            400,
        ),
        (b"{}", "no-such-service", 404),
        (json.dumps(hook_request(prefetch={})).encode(), PV, 412),
        (b" " * 200_001, PV, 413),
    ],
    ids=["malformed", "hook-mismatch", "unknown-service", "missing-data", "too-large"],
)
def test_error_statuses(
    service: Service, http: httpx.Client, body: bytes, sid: str, status: int
) -> None:
    path = f"/cds-services/{sid}"
    response = http.post(service.url(path), content=body, headers=service.headers(path))
    assert response.status_code == status
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "Traceback" not in response.text


# --- JWT ------------------------------------------------------------------------------------


def _bad_tokens(service: Service) -> dict[str, str]:
    path = f"/cds-services/{PV}"
    now = int(time.time())
    return {
        "expired": service.token(path, exp=now - 300, iat=now - 600),
        "wrong-aud": service.token("/cds-services/back-spasm-order-sign"),
        "unknown-kid": service.token(path, key=new_key("unknown")),
        "alg-none": alg_none_token(KEY, ISS, service.url(path)),
        "hs256-public-key": hs256_public_key_token(KEY, ISS, service.url(path)),
        "jku-not-allowlisted": service.token(
            path, key=JKU_KEY, headers={"jku": "http://127.0.0.1:9/jwks.json"}
        ),
    }


def test_each_bad_jwt_is_a_bare_401(service: Service, http: httpx.Client) -> None:
    body = hook_request(prefetch=full_prefetch())
    for name, token in _bad_tokens(service).items():
        response = http.post(
            service.url(f"/cds-services/{PV}"),
            json=body,
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401, name
        assert response.json()["issue"][0]["diagnostics"] == "unauthorized", name
    assert token not in service.log.read_text()


def test_replayed_jti_is_refused(service: Service, http: httpx.Client) -> None:
    path = f"/cds-services/{PV}"
    headers = service.headers(path)
    body = hook_request(prefetch=full_prefetch())
    assert http.post(service.url(path), json=body, headers=headers).status_code == 200
    assert http.post(service.url(path), json=body, headers=headers).status_code == 401


def test_allowlisted_jku_is_fetched_and_accepted(
    service: Service, http: httpx.Client, faults: FaultServer
) -> None:
    jku = {"jku": f"{faults.base}/jwks.json"}
    response = call(service, http, hook_request(prefetch=full_prefetch()), key=JKU_KEY, headers=jku)
    assert response.status_code == 200
    assert "/jwks.json" in faults.paths


def test_access_token_is_never_logged(
    service: Service, http: httpx.Client, fhir: Loaded, faults: FaultServer
) -> None:
    call(service, http, with_server(fhir, {}, server=f"{faults.base}/unauthorized"))
    log = service.log.read_text()
    assert "prefetch key" in log  # the failure was logged ...
    assert FHIR_TOKEN not in log  # ... without the token


# --- feedback ---------------------------------------------------------------------------------


def test_feedback_is_idempotent_and_survives_a_restart(
    service: Service, http: httpx.Client
) -> None:
    cards = call(service, http, hook_request(prefetch=full_prefetch())).json()["cards"]
    item = {
        "card": cards[0]["uuid"],
        "outcome": "overridden",
        "overrideReason": {"userComment": "already treated"},
        "outcomeTimestamp": "2026-11-26T08:00:00Z",
    }
    path = f"/cds-services/{PV}/feedback"
    for _ in range(2):
        response = http.post(
            service.url(path), json={"feedback": [item]}, headers=service.headers(path)
        )
        assert (response.status_code, response.json()) == (200, {})
    service.stop()
    service.start()
    response = http.post(
        service.url(path), json={"feedback": [item]}, headers=service.headers(path)
    )
    assert response.status_code == 200
    report = subprocess.run(
        [sys.executable, "-m", "cds", "feedback", "report", "--config", str(service.config)],
        cwd=service.config.parent,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    line = next(ln for ln in report.stdout.splitlines() if "urg-fever-measured" in ln)
    assert line.split()[-5:] == [str(len_cards(service)), "0", "1", "100", "%"]


def len_cards(service: Service) -> int:
    """Cards recorded with rule urg-fever-measured so far (one per successful fever call)."""
    from cds.store import Store

    url = json.loads(service.config.read_text())["database_url"]
    rows = [r for r in Store(url).report() if r.rule_id == "urg-fever-measured"]
    return rows[0].cards
