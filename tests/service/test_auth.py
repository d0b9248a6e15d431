"""Tests for service/auth.py: JWT acceptance and each refusal, all bare 401s."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds.config import JwtIssuer, load_settings
from cds.errors import AuthError
from cds.service.auth import Authenticator, ReplayCache, url_has_prefix
from cds.service.outbound import Outbound
from tests.service.asgi import serve_settings
from tests.service.patient import full_prefetch, hook_request
from tests.support.keys import alg_none_token, hs256_public_key_token, jwks, make_token, new_key

pytestmark = pytest.mark.anyio
ISS = "https://ehr.example.org"
AUD = "http://127.0.0.1:8080/cds-services/back-spasm-patient-view"
JKU_PREFIX = "https://ehr.example.org/keys/"
KEY = new_key("inline-1")
ROTATED = new_key("rotated-2")
STRANGER = new_key("stranger-3")  # a kid no configured key set holds


class JwksServer:
    """A MockTransport JWKS endpoint whose keys can rotate; counts requests."""

    def __init__(self, *keys: Any) -> None:
        self.keys = list(keys)
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        return httpx.Response(200, json=jwks(*self.keys))


def authenticator(jwks_server: JwksServer | None = None, **issuer: Any) -> Authenticator:
    config = {"iss": ISS, "jwks": jwks(KEY), "jku_prefixes": [JKU_PREFIX], **issuer}
    settings = load_settings(None, {"jwt_issuers": [config]})
    client = httpx.AsyncClient(transport=httpx.MockTransport(jwks_server or JwksServer()))
    return Authenticator(settings, client, outbound=Outbound(resolve=public))


async def public(host: str, port: int) -> list[str]:
    """A resolver for the test hosts: every name is one public address (nothing is sent)."""
    return ["93.184.215.14"]


async def test_a_valid_es384_token_is_accepted() -> None:
    claims = await authenticator().verify(f"Bearer {make_token(KEY, ISS, AUD)}", AUD)
    assert claims["iss"] == ISS and claims["aud"] == AUD


async def test_clock_skew_within_leeway_is_accepted() -> None:
    now = int(time.time())
    token = make_token(KEY, ISS, AUD, iat=now + 30, exp=now - 30)
    await authenticator().verify(f"Bearer {token}", AUD)


def _now() -> int:
    return int(time.time())


def _refusals() -> list[Any]:
    """Each token is made when its test runs (`time.time()` then): a time taken at collection
    was ten minutes old by the time a long suite reached the "iat in the future" case."""
    other = new_key("inline-1")  # same kid, different key: bad signature
    return [
        pytest.param(lambda: None, id="no-header"),
        pytest.param(lambda: "Basic abc", id="not-bearer"),
        pytest.param(lambda: "Bearer not-a-jwt", id="garbage"),
        pytest.param(lambda: make_token(KEY, ISS, AUD, exp=_now() - 120), id="expired"),
        pytest.param(lambda: make_token(KEY, ISS, AUD, iat=_now() + 600), id="iat-future"),
        pytest.param(lambda: make_token(KEY, ISS, AUD + "x"), id="wrong-aud"),
        pytest.param(lambda: make_token(KEY, "https://evil", AUD), id="unknown-iss"),
        pytest.param(lambda: make_token(KEY, ISS, AUD, jti=None), id="no-jti"),
        pytest.param(lambda: make_token(new_key("nope"), ISS, AUD), id="unknown-kid"),
        pytest.param(lambda: make_token(other, ISS, AUD), id="bad-signature"),
        pytest.param(lambda: alg_none_token(KEY, ISS, AUD), id="alg-none"),
        pytest.param(lambda: hs256_public_key_token(KEY, ISS, AUD), id="hs256-public-key"),
        pytest.param(
            lambda: make_token(STRANGER, ISS, AUD, headers={"jku": "https://evil.org/keys/jwks"}),
            id="jku-not-allowlisted",
        ),
        pytest.param(
            lambda: make_token(
                STRANGER, ISS, AUD, headers={"jku": "https://ehr.example.org.evil/k"}
            ),
            id="jku-prefix-trick",
        ),
    ]


@pytest.mark.parametrize("make", _refusals())
async def test_each_refusal_is_a_bare_auth_error(make: Any) -> None:
    server = JwksServer(KEY)
    token = make()
    header = token if token is None or token.startswith(("Basic", "Bearer")) else f"Bearer {token}"
    with pytest.raises(AuthError) as caught:
        await authenticator(server).verify(header, AUD)
    assert caught.value.message == "unauthorized"
    assert not any("evil" in url for url in server.requests)  # never fetch a foreign jku


async def test_a_replayed_jti_is_refused() -> None:
    auth = authenticator()
    header = f"Bearer {make_token(KEY, ISS, AUD)}"
    await auth.verify(header, AUD)
    with pytest.raises(AuthError):
        await auth.verify(header, AUD)


async def test_jku_keys_are_fetched_cached_and_refetched_on_rotation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = JwksServer(KEY)
    auth = authenticator(server, jwks=None)
    jku = {"jku": JKU_PREFIX + "jwks.json"}
    await auth.verify(f"Bearer {make_token(KEY, ISS, AUD, headers=jku)}", AUD)
    await auth.verify(f"Bearer {make_token(KEY, ISS, AUD, headers=jku)}", AUD)
    assert len(server.requests) == 1  # cached
    server.keys = [ROTATED]
    with pytest.raises(AuthError):  # unknown kid, but the set was read moments ago
        await auth.verify(f"Bearer {make_token(ROTATED, ISS, AUD, headers=jku)}", AUD)
    monkeypatch.setattr("cds.service.auth.REFETCH_INTERVAL_SECONDS", 0.0)
    await auth.verify(f"Bearer {make_token(ROTATED, ISS, AUD, headers=jku)}", AUD)
    assert len(server.requests) == 2


async def test_configured_jwks_url_is_used() -> None:
    server = JwksServer(ROTATED)
    auth = authenticator(server, jwks=None, jwks_url="https://ehr.example.org/keys/jwks.json")
    await auth.verify(f"Bearer {make_token(ROTATED, ISS, AUD)}", AUD)
    assert server.requests == ["https://ehr.example.org/keys/jwks.json"]


async def test_tenant_allowlist() -> None:
    auth = authenticator(tenants=["hospital-a"])
    await auth.verify(f"Bearer {make_token(KEY, ISS, AUD, tenant='hospital-a')}", AUD)
    for tenant in ("hospital-b", None):
        with pytest.raises(AuthError):
            await auth.verify(f"Bearer {make_token(KEY, ISS, AUD, tenant=tenant)}", AUD)


@pytest.mark.parametrize(
    ("url", "prefix", "inside"),
    [
        ("https://a.org/keys/x", "https://a.org", True),
        ("https://a.org", "https://a.org", True),
        ("https://a.org.evil/x", "https://a.org", False),
        ("https://a.org/keysx", "https://a.org/keys/", False),
        ("https://a.org/keys/x", "https://a.org/keys/", True),
    ],
)
def test_url_has_prefix_respects_boundaries(url: str, prefix: str, inside: bool) -> None:
    assert url_has_prefix(url, prefix) is inside


@pytest.fixture
async def jwt_client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    s = load_settings(
        None,
        {
            "database_url": f"sqlite:///{tmp_path}/cds.sqlite3",
            "jwt_issuers": [JwtIssuer(iss=ISS, jwks=jwks(KEY))],
            "host": "0.0.0.0",  # allowed: issuers are configured
            "base_url": "https://cds.example.org/",
        },
    )
    async with serve_settings(s) as client:
        yield client


async def test_every_endpoint_needs_a_token_for_its_own_url(
    jwt_client: httpx.AsyncClient,
) -> None:
    base = "https://cds.example.org/cds-services"
    pv = "/cds-services/back-spasm-patient-view"
    calls = [
        ("GET", "/cds-services", None, base),
        ("POST", pv, hook_request(prefetch=full_prefetch()), base + "/back-spasm-patient-view"),
        ("POST", pv + "/feedback", {"feedback": []}, base + "/back-spasm-patient-view/feedback"),
    ]
    for method, path, body, aud in calls:
        bare = await jwt_client.request(method, path, json=body)
        assert bare.status_code == 401
        assert bare.json()["issue"][0]["diagnostics"] == "unauthorized"
        wrong = make_token(KEY, ISS, base + "/other")
        refused = await jwt_client.request(
            method, path, json=body, headers={"Authorization": f"Bearer {wrong}"}
        )
        assert refused.status_code == 401
        ok = await jwt_client.request(
            method,
            path,
            json=body,
            headers={"Authorization": f"Bearer {make_token(KEY, ISS, aud)}"},
        )
        assert ok.status_code == 200, ok.text


async def test_feedback_takes_a_token_signed_for_its_service_once(
    jwt_client: httpx.AsyncClient,
) -> None:
    """Some EHRs sign feedback with the service's URL as ``aud`` (the spec does not spell it
    out): taken, once (its jti is then spent, at either endpoint); another service's URL is
    not."""
    base = "https://cds.example.org/cds-services"
    pv = "/cds-services/back-spasm-patient-view"
    for path in (pv + "/feedback", pv + "/feedback/"):
        token = make_token(KEY, ISS, base + "/back-spasm-patient-view")
        headers = {"Authorization": f"Bearer {token}"}
        ok = await jwt_client.post(path, json={"feedback": []}, headers=headers)
        assert ok.status_code == 200, ok.text
        again = await jwt_client.post(path, json={"feedback": []}, headers=headers)
        assert again.status_code == 401
        spent = await jwt_client.post(
            pv, json=hook_request(prefetch=full_prefetch()), headers=headers
        )
        assert spent.status_code == 401
    slashed = make_token(KEY, ISS, base + "/back-spasm-patient-view/")  # registered so
    ok = await jwt_client.post(
        pv + "/feedback", json={"feedback": []}, headers={"Authorization": f"Bearer {slashed}"}
    )
    assert ok.status_code == 200, ok.text
    other = make_token(KEY, ISS, base + "/back-spasm-order-sign")
    refused = await jwt_client.post(
        pv + "/feedback", json={"feedback": []}, headers={"Authorization": f"Bearer {other}"}
    )
    assert refused.status_code == 401
    discovery = make_token(KEY, ISS, base)
    refused = await jwt_client.post(
        pv + "/feedback", json={"feedback": []}, headers={"Authorization": f"Bearer {discovery}"}
    )
    assert refused.status_code == 401


def test_a_full_replay_table_frees_the_jtis_of_expired_tokens() -> None:
    """Full of live jtis, an issuer's new token is refused; once they expire, it is taken."""
    now = [1000.0]
    cache = ReplayCache(10, clock=lambda: now[0])
    assert all(cache.check_and_add(ISS, f"j{n}", now[0] + 5) == "added" for n in range(10))
    assert cache.check_and_add(ISS, "j10", now[0] + 5) == "full"  # full of live ones
    assert cache.check_and_add(ISS, "j3", now[0] + 5) == "replayed"  # not "full"
    assert cache.check_and_add("https://other", "j10", now[0] + 5) == "added"  # its own table
    now[0] += 6
    assert cache.check_and_add(ISS, "j10", now[0] + 5) == "added"
    assert cache.check_and_add(ISS, "j10", now[0] + 5) == "replayed"  # and it is remembered
