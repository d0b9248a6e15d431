"""Tests for service/routes.py and app.py against the outside review of issue 11: development
mode behind a proxy, error bodies that never echo input, HEAD, trailing slashes, /healthz,
Retry-After, CORS allowed headers, `token_type` in any case. In process (httpx over ASGI); the
same behaviours through the real server are in tests/integration/test_service_edges.py."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest

from cds.store import Store
from tests.service.asgi import serve_settings, settings
from tests.service.patient import fetching_request, full_prefetch, hook_request

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
SENTINEL = "zq-sentinel-8c41"
FEEDBACK = {
    "feedback": [
        {
            "card": "0b5e3c1a-7d2f-4e8a-9c61-2f4d8e7a1b90",
            "outcome": "overridden",
            "overrideReason": {"userComment": "no"},
            "outcomeTimestamp": "2026-11-26T08:00:00Z",
        }
    ]
}


@pytest.fixture
async def client(tmp_path: Any) -> Any:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


# --- development mode behind a proxy (item 3) -------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"X-Forwarded-For": "203.0.113.9"},
        {"x-forwarded-host": "cds.example.org"},
        {"X-FORWARDED-PROTO": "https"},
        {"Forwarded": "for=203.0.113.9;proto=https"},
        {"Via": "1.1 nginx"},
        {"X-Real-IP": "203.0.113.9"},
    ],
)
async def test_development_mode_refuses_requests_through_a_proxy(
    client: httpx.AsyncClient, header: dict[str, str]
) -> None:
    """A same-host reverse proxy reaches us from loopback with a loopback Host (nginx sends
    the upstream address): without this, anyone reaching the proxy had no-token access."""
    paths = [("GET", "/cds-services"), ("POST", PV), ("POST", PV + "/feedback")]
    for method, path in paths:
        response = await client.request(method, path, json=FEEDBACK, headers=header)
        assert response.status_code == 401, (path, header)
        assert response.json()["issue"][0]["diagnostics"] == "unauthorized"
    assert (await client.get("/cds-services")).status_code == 200  # direct: answered


async def test_each_development_mode_refusal_is_logged_once(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cds.service"):
        for _ in range(5):
            await client.get("/cds-services", headers={"X-Forwarded-For": "203.0.113.9"})
            await client.get("/cds-services", headers={"Via": "1.1 proxy"})
            await client.get("/cds-services", headers={"Host": "rebound.example.com"})
    lines = [r.getMessage() for r in caplog.records if "development mode" in r.getMessage()]
    assert len(lines) == 3, lines
    assert sum("X-Forwarded-*" in line for line in lines) == 1
    assert sum("(Via)" in line for line in lines) == 1
    assert sum("not a loopback name" in line for line in lines) == 1


# --- error bodies never echo input (item 7) --------------------------------------------------


def _with_sentinel() -> list[tuple[str, dict[str, Any]]]:
    bad: list[tuple[str, dict[str, Any]]] = []
    body = hook_request(prefetch=full_prefetch(), pid=f"{SENTINEL} x")
    bad.append(("patientId", body))
    body = hook_request(prefetch=full_prefetch())
    body["context"]["userId"] = f"Practitioner/{SENTINEL} x"
    bad.append(("userId", body))
    body = hook_request(prefetch=full_prefetch())
    body["context"]["userId"] = f"Device/{SENTINEL}"
    bad.append(("userId type", body))
    bad.append(("fhirServer", hook_request(prefetch={}, fhirServer=f"ftp://{SENTINEL}")))
    body = fetching_request("https://fhir.example.org", "t", "p1")
    body["fhirAuthorization"]["token_type"] = SENTINEL
    bad.append(("token_type", body))
    bad.append(("hook", hook_request(prefetch=full_prefetch(), hook=SENTINEL)))
    body = hook_request("order-select", prefetch=full_prefetch())
    body["context"]["selections"] = [f"MedicationRequest/{SENTINEL} x"]  # not Type/id
    bad.append(("selections", body))
    body = hook_request(prefetch=full_prefetch())
    body["context"]["encounterId"] = f"{SENTINEL}/x"
    bad.append(("encounterId", body))
    return bad


@pytest.mark.parametrize(("field", "body"), _with_sentinel(), ids=lambda v: str(v)[:12])
async def test_a_400_never_echoes_input_values(
    client: httpx.AsyncClient, field: str, body: dict[str, Any]
) -> None:
    response = await client.post(PV, json=body)
    assert response.status_code == 400, (field, response.text)
    assert SENTINEL not in response.text, response.text


async def test_feedback_and_unknown_services_never_echo_input(client: httpx.AsyncClient) -> None:
    bad_time = {"feedback": [{**FEEDBACK["feedback"][0], "outcomeTimestamp": SENTINEL}]}
    bad_card = {"feedback": [{**FEEDBACK["feedback"][0], "card": 7, SENTINEL: 1}]}
    for body in (bad_time, bad_card, {"feedback": SENTINEL}):
        response = await client.post(PV + "/feedback", json=body)
        assert response.status_code == 400 and SENTINEL not in response.text, response.text
    unknown = await client.post(f"/cds-services/{SENTINEL}", json={})
    assert unknown.status_code == 404 and SENTINEL not in unknown.text
    mismatch = hook_request(prefetch=full_prefetch(), hook="order-sign")
    wrong = await client.post(PV, json=mismatch)
    assert wrong.status_code == 400 and "order-sign" not in wrong.text


# --- HEAD, trailing slashes (items 8 and 9) --------------------------------------------------


async def test_every_get_route_answers_head(client: httpx.AsyncClient) -> None:
    for path in ("/cds-services", "/cds-services/", "/healthz", "/openapi.json"):
        get = await client.get(path)
        head = await client.head(path)
        assert (get.status_code, head.status_code) == (200, 200), path
        assert head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]


async def test_trailing_slashes_answer_the_same_route_without_redirect(
    client: httpx.AsyncClient,
) -> None:
    discovery = await client.get("/cds-services/")
    assert discovery.status_code == 200 and "location" not in discovery.headers
    assert discovery.json() == (await client.get("/cds-services")).json()
    hook = await client.post(PV + "/", json=hook_request(prefetch=full_prefetch()))
    assert hook.status_code == 200 and hook.json()["cards"]
    card = hook.json()["cards"][0]["uuid"]  # feedback is taken only on a card the service issued
    item = {**FEEDBACK["feedback"][0], "card": card}
    feedback = await client.post(PV + "/feedback/", json={"feedback": [item]})
    assert feedback.status_code == 200, feedback.text


# --- /healthz, Retry-After (item 9) ----------------------------------------------------------


async def test_health_says_the_store_answers(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"Host": "lb.internal"})  # no JWT, any host
    assert response.status_code == 200
    assert response.json() == {"status": "pass", "checks": {"store": "pass"}}
    assert response.headers["cache-control"] == "no-store"


async def test_health_with_the_store_down_warns_without_details(tmp_path: Any) -> None:
    """Hooks keep answering without the store, so the instance stays in the load balancer
    (200); the body says the store fails, and nothing about why or where."""
    url = f"sqlite:///{tmp_path}/db/cds.sqlite3"
    async with serve_settings(settings(tmp_path), store=Store(url)) as client:
        (tmp_path / "db").rename(tmp_path / "moved")  # the database goes away after start-up
        health = await client.get("/healthz")
        feedback = await client.post(PV + "/feedback", json=FEEDBACK)
    assert health.status_code == 200
    assert health.json() == {"status": "warn", "checks": {"store": "fail"}}
    assert "sqlite" not in health.text and str(tmp_path) not in health.text
    assert feedback.status_code == 503
    assert feedback.headers["retry-after"] == "10"


async def test_retry_after_is_a_setting(tmp_path: Any) -> None:
    store = Store(f"sqlite:///{tmp_path}/db/cds.sqlite3")
    async with serve_settings(settings(tmp_path, retry_after_seconds=42), store=store) as client:
        (tmp_path / "db").rename(tmp_path / "moved")  # the database goes away after start-up
        feedback = await client.post(PV + "/feedback", json=FEEDBACK)
    assert (feedback.status_code, feedback.headers["retry-after"]) == (503, "42")


# --- CORS allowed headers (item 9) -------------------------------------------------------------


async def test_cors_allowed_headers_default_and_setting(tmp_path: Any) -> None:
    origin = "https://ehr.example.org"

    async def preflight(asked: str, **overrides: Any) -> httpx.Response:
        s = settings(tmp_path, cors_origins=[origin], **overrides)
        headers = {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": asked,
        }
        async with serve_settings(s) as client:
            return await client.options(PV, headers=headers)

    default = await preflight("authorization, content-type")
    assert default.status_code == 200
    assert "authorization" in default.headers["access-control-allow-headers"].lower()
    refused = await preflight("x-ehr-trace")
    assert refused.status_code == 400
    configured = await preflight("x-ehr-trace", cors_allow_headers=["X-EHR-Trace", "Authorization"])
    assert configured.status_code == 200
    assert "x-ehr-trace" in configured.headers["access-control-allow-headers"].lower()


# --- token_type (item 9) -----------------------------------------------------------------------


@pytest.mark.parametrize("token_type", ["bearer", "BEARER"])
async def test_a_lower_or_upper_case_token_type_is_accepted(
    client: httpx.AsyncClient, token_type: str
) -> None:
    body = fetching_request("https://fhir.example.org", "t", "p1", prefetch=full_prefetch())
    body["fhirAuthorization"]["token_type"] = token_type
    response = await client.post(PV, json=body)
    assert response.status_code == 200 and response.json()["cards"]
