"""Security headers on every answer, CORS only for configured origins, and request-body limits
(JSON object only, nesting depth)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.config import JwtIssuer
from cds.service.body import MAX_JSON_DEPTH, json_depth_exceeds
from tests.service.asgi import call_with_a_fault, serve_settings, settings
from tests.service.patient import full_prefetch, hook_request
from tests.support.keys import jwks, new_key

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
ORIGIN = "https://ehr.example.org"
EXPECTED = {
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
Call = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def assert_security_headers(response: httpx.Response, hsts: bool = False) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    if hsts:
        assert response.headers["strict-transport-security"] == "max-age=31536000"
    else:
        assert "strict-transport-security" not in response.headers


async def _feedback(c: httpx.AsyncClient) -> httpx.Response:
    return await c.post(PV + "/feedback", json={"feedback": []})


async def _too_large(c: httpx.AsyncClient) -> httpx.Response:
    return await c.post(PV, content=b" " * 20_001)


async def _preflight(c: httpx.AsyncClient, origin: str = ORIGIN) -> httpx.Response:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    return await c.options(PV, headers=headers)


CALLS: list[tuple[str, int, Call]] = [
    ("discovery", 200, lambda c: c.get("/cds-services")),
    ("hook", 200, lambda c: c.post(PV, json=hook_request(prefetch=full_prefetch()))),
    ("feedback", 200, _feedback),
    ("malformed", 400, lambda c: c.post(PV, content=b"{")),
    ("unknown-route", 404, lambda c: c.get("/nowhere")),
    ("unknown-service", 404, lambda c: c.post("/cds-services/x", json={})),
    ("wrong-method", 405, lambda c: c.delete(PV)),
    ("missing-data", 412, lambda c: c.post(PV, json=hook_request(prefetch={}))),
    ("too-large", 413, _too_large),
    ("cors-preflight-allowed", 200, _preflight),
    ("cors-preflight-refused", 400, lambda c: _preflight(c, "https://evil.example")),
]


@pytest.mark.parametrize("hsts", [False, True], ids=["no-hsts", "hsts"])
async def test_every_answer_carries_the_security_headers(tmp_path: Any, hsts: bool) -> None:
    s = settings(tmp_path, max_body_bytes=20_000, cors_origins=[ORIGIN], hsts=hsts)
    async with serve_settings(s) as client:
        for name, status, call in CALLS:
            response = await call(client)
            assert response.status_code == status, (name, response.text)
            assert_security_headers(response, hsts)


@pytest.mark.parametrize("hsts", [False, True])
async def test_a_500_carries_the_security_headers(tmp_path: Any, hsts: bool) -> None:
    body = hook_request(prefetch=full_prefetch())
    response = await call_with_a_fault(settings(tmp_path, hsts=hsts), PV, body, "boom")
    assert response.status_code == 500
    assert_security_headers(response, hsts)


async def test_a_401_carries_the_security_headers(tmp_path: Any) -> None:
    issuer = JwtIssuer(iss="https://ehr.test", jwks=jwks(new_key("k")))
    async with serve_settings(settings(tmp_path, jwt_issuers=[issuer])) as client:
        response = await client.get("/cds-services")
    assert response.status_code == 401
    assert_security_headers(response)


# --- CORS ---------------------------------------------------------------------------------------


async def test_cors_answers_only_listed_origins(tmp_path: Any) -> None:
    async with serve_settings(settings(tmp_path, cors_origins=[ORIGIN])) as client:
        listed = await _preflight(client)
        unlisted = await _preflight(client, "https://evil.example")
        simple_listed = await client.get("/cds-services", headers={"Origin": ORIGIN})
        simple_unlisted = await client.get(
            "/cds-services", headers={"Origin": "https://evil.example"}
        )
    assert listed.headers["access-control-allow-origin"] == ORIGIN
    assert simple_listed.headers["access-control-allow-origin"] == ORIGIN
    exposed = simple_listed.headers["access-control-expose-headers"].lower()
    assert "server-timing" in exposed and "retry-after" in exposed  # readable by the page
    for refused in (unlisted, simple_unlisted):
        assert "access-control-allow-origin" not in refused.headers
    for response in (listed, unlisted, simple_listed, simple_unlisted):
        assert "access-control-allow-credentials" not in response.headers


async def test_without_cors_origins_no_origin_is_answered(tmp_path: Any) -> None:
    async with serve_settings(settings(tmp_path)) as client:
        preflight = await _preflight(client)
        simple = await client.get("/cds-services", headers={"Origin": ORIGIN})
    assert preflight.status_code == 405
    for response in (preflight, simple):
        assert not any(h.startswith("access-control-") for h in response.headers)


# --- body limits ----------------------------------------------------------------------------------


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def nested(levels: int) -> Any:
    """`levels` arrays/objects nested in one another (an object at the bottom)."""
    value: Any = {"leaf": True}
    for i in range(levels - 1):
        value = [value] if i % 2 else {"n": value}
    return value


def hook_with_extension_depth(total: int) -> bytes:
    """A valid hook request whose deepest nesting is exactly `total` (the body is level 1)."""
    body = hook_request(prefetch=full_prefetch())
    body["extension"] = {"org.example.deep": nested(total - 2)}
    raw = orjson.dumps(body)
    assert _depth(orjson.loads(raw)) == total
    return raw


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


async def test_a_body_nested_to_the_limit_is_accepted(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, content=hook_with_extension_depth(MAX_JSON_DEPTH))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", [PV, PV + "/feedback"])
async def test_a_body_nested_past_the_limit_is_400(client: httpx.AsyncClient, path: str) -> None:
    response = await client.post(path, content=hook_with_extension_depth(MAX_JSON_DEPTH + 1))
    assert response.status_code == 400
    assert f"deeper than {MAX_JSON_DEPTH}" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_absurd_nesting_is_400_not_a_crash(client: httpx.AsyncClient, depth: int) -> None:
    for body in (b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        response = await client.post(PV, content=body)
        assert response.status_code == 400, response.text
        assert response.json()["resourceType"] == "OperationOutcome"


@pytest.mark.parametrize("path", [PV, PV + "/feedback"])
async def test_a_body_that_is_not_a_json_object_is_400(
    client: httpx.AsyncClient, path: str
) -> None:
    for body in (b"[]", b"[{}]", b'"hook"', b"42", b"null", b"true"):
        response = await client.post(path, content=body)
        assert response.status_code == 400, body
        diagnostics = response.json()["issue"][0]["diagnostics"]
        assert diagnostics == "request body must be a JSON object", body


def test_depth_check_reads_the_text_exactly() -> None:
    assert not json_depth_exceeds(b"{}", 1)
    assert json_depth_exceeds(b'{"a": {}}', 1)
    assert not json_depth_exceeds(b'{"a": [1, 2, {"b": "c"}]}', 3)
    assert json_depth_exceeds(b'{"a": [1, 2, {"b": []}]}', 3)
    # brackets and quotes inside strings, escaped or not, are text, not nesting
    assert not json_depth_exceeds(b'{"a": "[[[{{{", "b\\"[": "\\"]]"}', 1)
    assert json_depth_exceeds(b'{"a": ["}}}]]]"]}', 1)
    deep = b'{"d":' * 50_000 + b"{}" + b"}" * 50_000  # far past any recursion limit
    assert json_depth_exceeds(deep, MAX_JSON_DEPTH)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=3)
    | st.sampled_from(['"', "\\", "[{", "}]", '\\"]', '"{\\'])
    | st.text(alphabet='{}[]"\\ab', max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=40,
)


@given(data=st.dictionaries(st.text(max_size=2), JSON, max_size=3), limit=st.integers(0, 8))
def test_depth_check_agrees_with_the_definition(data: dict[str, Any], limit: int) -> None:
    """Against the tree's depth, on texts full of brackets, quotes and backslashes in strings,
    compact or indented."""
    expected = _depth(data) > limit
    assert json_depth_exceeds(json.dumps(data).encode(), limit) == expected
    indented = json.dumps(data, indent=2, ensure_ascii=False).encode()
    assert json_depth_exceeds(indented, limit) == expected
