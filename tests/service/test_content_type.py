"""A request body is read as JSON only when it says it is JSON, or says nothing, over HTTP:
a text/plain, form or XML body is a 415 OperationOutcome, at hook calls and feedback alike.
A browser sends such a "simple" POST cross-site without a CORS preflight: in development mode
it no longer writes cards or feedback into the store."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cds.store import Store
from tests.service.asgi import serve_settings, settings
from tests.service.patient import full_prefetch, hook_request
from tests.service.test_hardening import assert_security_headers

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "Application/JSON;charset=UTF-8",
    "application/fhir+json",
    "application/fhir+json; fhirVersion=4.0",
    "text/json",
]
NOT_JSON = [
    "text/plain",
    "text/plain; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/xml",
    "application/fhir+xml",
    "application/json-seq",
    "json",
]


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def body() -> bytes:
    return json.dumps(hook_request(prefetch=full_prefetch())).encode()


def feedback(card: str) -> bytes:
    item = {
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": "seen"},
        "outcomeTimestamp": "2026-11-26T08:00:00Z",
    }
    return json.dumps({"feedback": [item]}).encode()


def assert_refused_as_not_json(response: httpx.Response) -> None:
    assert response.status_code == 415, response.text
    assert response.headers["content-type"] == "application/json"
    (issue,) = response.json()["issue"]
    assert issue["code"] == "not-supported"
    assert issue["details"]["coding"][0]["code"] == "unsupported-media-type"
    assert issue["diagnostics"] == (
        "Content-Type is not JSON: send the request body as application/json "
        "(application/fhir+json and other +json types are read too)"
    )
    assert_security_headers(response)


@pytest.mark.parametrize("content_type", [*JSON_TYPES, None, ""])
async def test_a_json_body_or_one_with_no_content_type_is_read(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = await client.post(PV, content=body(), headers=headers)
    assert response.status_code == 200, response.text
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["urgent-sign"]


@pytest.mark.parametrize("content_type", NOT_JSON)
async def test_a_body_declared_as_something_else_is_a_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    response = await client.post(PV, content=body(), headers={"Content-Type": content_type})
    assert_refused_as_not_json(response)


async def test_an_xml_body_is_a_415_not_a_json_error(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, content=b"<x/>", headers={"Content-Type": "application/xml"})
    assert_refused_as_not_json(response)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded"])
async def test_feedback_declared_as_something_else_is_a_415(
    client: httpx.AsyncClient, content_type: str
) -> None:
    path = PV + "/feedback"
    card = "9368d37b-283f-44a0-93ea-547cebab93ed"
    response = await client.post(
        path, content=feedback(card), headers={"Content-Type": content_type}
    )
    assert_refused_as_not_json(response)


def store_report(tmp_path: Path) -> dict[str, tuple[int, int]]:
    """Per rule: cards recorded and feedback overriding them, read from the store's file."""
    store = Store(f"sqlite:///{tmp_path}/cds.sqlite3")
    try:
        return {row.rule_id: (row.cards, row.overridden) for row in store.report()}
    finally:
        store.close()


async def test_a_cross_site_simple_post_writes_nothing_in_development_mode(
    tmp_path: Path,
) -> None:
    """What a page on another site can make the developer's browser send with no preflight:
    text/plain or no Content-Type at all, with its Origin. Development mode refuses a POST
    from an origin not in cors_origins (401), whatever its type; text/plain without an
    Origin is a 415. Neither the hook call nor the feedback reaches the store; the same calls
    as JSON do (the control)."""
    evil = "https://evil.example"
    simple: dict[str, Any] = {"Content-Type": "text/plain", "Origin": evil}
    untyped: dict[str, Any] = {"Origin": evil}
    json_type = {"Content-Type": "application/json"}
    async with serve_settings(settings(tmp_path)) as client:
        for headers in (simple, untyped):
            refused = await client.post(PV, content=body(), headers=headers)
            assert refused.status_code == 401, refused.text
        assert_refused_as_not_json(
            await client.post(PV, content=body(), headers={"Content-Type": "text/plain"})
        )
    assert store_report(tmp_path) == {}  # the lifespan's end wrote every queued card
    async with serve_settings(settings(tmp_path)) as client:
        answer = await client.post(PV, content=body(), headers=json_type)
        (card,) = answer.json()["cards"]
        for headers in (simple, untyped):
            refused = await client.post(
                PV + "/feedback", content=feedback(card["uuid"]), headers=headers
            )
            assert refused.status_code == 401, refused.text
    assert store_report(tmp_path) == {"urg-fever-measured": (1, 0)}
    async with serve_settings(settings(tmp_path, cors_origins=[evil])) as client:
        listed = await client.post(PV, content=body(), headers={**json_type, "Origin": evil})
        assert listed.status_code == 200, listed.text  # an origin the site allows is served
    async with serve_settings(settings(tmp_path)) as client:
        stored = await client.post(
            PV + "/feedback", content=feedback(card["uuid"]), headers=json_type
        )
        assert (stored.status_code, stored.json()) == (200, {})
    assert store_report(tmp_path) == {"urg-fever-measured": (2, 1)}
