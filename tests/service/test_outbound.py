"""SSRF protections of service/outbound.py, prefetch.py and auth.py: which hosts the service may
contact, proven by transports and listeners that record (or fail on) every request."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import httpx
import pytest

from cds.config import load_settings
from cds.errors import AuthError
from cds.hooks.registry import parse_hook_request
from cds.service.app import create_app
from cds.service.auth import Authenticator
from cds.service.outbound import (
    Outbound,
    UnsafeUrl,
    address_kind,
    guarded_client,
    normalise_url,
    resolve_host,
)
from cds.service.prefetch import FetchPolicy, PrefetchResolver
from cds.services import PREFETCH
from tests.service.asgi import serve, settings
from tests.service.patient import back_pain, hook_request, missing, patient, searchset
from tests.support.keys import jwks, make_token, new_key
from tests.support.recorder import recording_server

pytestmark = pytest.mark.anyio
PUBLIC = "93.184.215.14"


def dns(table: dict[str, Sequence[str]]) -> Any:
    """A resolver answering from `table` (unknown names do not resolve)."""

    async def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError(f"unknown host {host}")
        return list(table[host])

    return resolve


class MustNotBeCalled:
    """A MockTransport handler that fails the test on any request."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        raise AssertionError(f"a request was sent to {request.url}")


class Fhir:
    """A MockTransport FHIR server answering every read, recording the URLs."""

    def __init__(self) -> None:
        self.requests: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if "/Patient/" in request.url.path:
            return httpx.Response(200, json=patient())
        return httpx.Response(200, json=searchset(back_pain()))


def policy(allowlist: Sequence[str], outbound: Outbound) -> FetchPolicy:
    return FetchPolicy(
        allowlist=tuple(allowlist),
        call_timeout=1.0,
        total_timeout=2.0,
        max_pages=3,
        outbound=outbound,
    )


def hook(server: str) -> Any:
    return parse_hook_request(hook_request(prefetch={}, fhirServer=server))


# --- address classes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("93.184.215.14", "public"),
        ("172.32.0.1", "public"),
        ("2606:4700:4700::1111", "public"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("100.64.0.1", "private"),
        ("fc00::1", "private"),
        ("::ffff:10.0.0.1", "private"),
        ("2002:a00:1::", "private"),  # 6to4 of 10.0.0.1
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("169.254.169.254", "forbidden"),
        ("fe80::1", "forbidden"),
        ("fe80::1%eth0", "forbidden"),
        ("::ffff:169.254.169.254", "forbidden"),
        ("64:ff9b::a9fe:a9fe", "forbidden"),  # NAT64 of 169.254.169.254
        ("0.0.0.0", "forbidden"),
        ("0.1.2.3", "forbidden"),
        ("::", "forbidden"),
        ("224.0.0.1", "forbidden"),
        ("ff02::1", "forbidden"),
        ("240.0.0.1", "forbidden"),
        ("255.255.255.255", "forbidden"),
    ],
)
def test_address_kinds(address: str, kind: str) -> None:
    assert address_kind(address) == kind


# --- fhirServer: refused before any request ---------------------------------------------------


ORG, R4 = "https://fhir.example.org/", "https://fhir.example.org/r4"


def resolving_to(*addresses: str) -> dict[str, list[str]]:
    return {"fhir.example.org": list(addresses)}


FORBIDDEN_SERVERS = [
    pytest.param(ORG, R4, resolving_to("10.0.0.7"), id="10/8"),
    pytest.param(ORG, R4, resolving_to("172.20.1.1"), id="172.16/12"),
    pytest.param(ORG, R4, resolving_to("192.168.0.9"), id="192.168/16"),
    pytest.param(ORG, R4, resolving_to("169.254.169.254"), id="metadata-169.254"),
    pytest.param(ORG, R4, resolving_to("fe80::1"), id="fe80"),
    pytest.param(ORG, R4, resolving_to("0.0.0.0"), id="unspecified"),
    pytest.param(ORG, R4, resolving_to("224.0.0.251"), id="multicast"),
    pytest.param(ORG, R4, resolving_to("127.0.0.1"), id="name-to-loopback"),
    pytest.param(ORG, R4, resolving_to("::ffff:10.0.0.1"), id="ipv4-mapped-private"),
    pytest.param(ORG, R4, resolving_to(PUBLIC, "10.9.9.9"), id="one-bad-address-of-two"),
    pytest.param(ORG, R4, {}, id="unresolvable"),
    pytest.param(
        "http://169.254.169.254/",
        "http://169.254.169.254/latest",
        {"169.254.169.254": ["169.254.169.254"]},
        id="literal-link-local",
    ),
    pytest.param(
        "http://10.0.0.7/", "http://10.0.0.7/fhir", {"10.0.0.7": ["10.0.0.7"]}, id="literal-10/8"
    ),
    pytest.param(
        "https://a@fhir.example.org/",
        "https://a@fhir.example.org/r4",
        resolving_to(PUBLIC),
        id="userinfo",
    ),
    pytest.param(
        "https://a:b@fhir.example.org/",
        "https://a:b@fhir.example.org/r4",
        resolving_to(PUBLIC),
        id="userinfo-password",
    ),
]


@pytest.mark.parametrize(("allowlist", "server", "table"), FORBIDDEN_SERVERS)
async def test_allowlisted_server_on_a_forbidden_address_is_never_contacted(
    allowlist: str, server: str, table: dict[str, list[str]]
) -> None:
    transport = MustNotBeCalled()
    client = httpx.AsyncClient(transport=httpx.MockTransport(transport))
    resolver = PrefetchResolver(client, policy([allowlist], Outbound(resolve=dns(table))))
    assert missing(await resolver.resolve(hook(server), PREFETCH)) == "patient, conditions"
    assert transport.requests == []


async def test_a_loopback_literal_named_in_the_allowlist_is_contacted() -> None:
    for host in ("127.0.0.1", "localhost", "[::1]"):
        base = f"http://{host}:8080/fhir"
        server = Fhir()
        client = httpx.AsyncClient(transport=httpx.MockTransport(server))
        # the real resolver: these names need no network
        resolver = PrefetchResolver(client, policy([base], Outbound(resolve=resolve_host)))
        result = await resolver.resolve(hook(base), PREFETCH)
        assert "patient" in result.fetched and server.requests, base


async def test_a_name_spelling_loopback_differently_is_not_a_loopback_host() -> None:
    transport = MustNotBeCalled()
    client = httpx.AsyncClient(transport=httpx.MockTransport(transport))
    for base in ("http://127.1:8080/fhir", "http://2130706433:8080/fhir"):  # both are 127.0.0.1
        resolver = PrefetchResolver(client, policy([base], Outbound(resolve=resolve_host)))
        assert missing(await resolver.resolve(hook(base), PREFETCH))
    assert transport.requests == []


async def test_allow_private_opens_private_addresses_only() -> None:
    table = {
        "fhir.internal": ["10.0.0.7"],
        "metadata.internal": ["169.254.169.254"],
        "loop.internal": ["127.0.0.1"],
    }
    outbound = Outbound(allow_private=True, resolve=dns(table))
    server = Fhir()
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    allowlist = ["https://fhir.internal/", "https://metadata.internal/", "https://loop.internal/"]
    resolver = PrefetchResolver(client, policy(allowlist, outbound))
    await resolver.resolve(hook("https://fhir.internal/r4"), PREFETCH)
    assert server.requests
    contacted = len(server.requests)
    for refused in ("https://metadata.internal/r4", "https://loop.internal/r4"):
        assert missing(await resolver.resolve(hook(refused), PREFETCH))
    assert len(server.requests) == contacted


async def test_a_page_link_is_checked_again_and_not_followed_to_a_private_address() -> None:
    """Every page is checked, not only the first: the name may resolve differently later."""
    answers = iter([[PUBLIC]])

    async def changing(host: str, port: int) -> list[str]:
        return next(answers, ["10.0.0.7"])  # public once, then private

    seen: list[str] = []

    def paged(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=searchset(back_pain(), next_url=R4 + "/Condition?p=2"))

    client = httpx.AsyncClient(transport=httpx.MockTransport(paged))
    resolver = PrefetchResolver(client, policy([R4], Outbound(resolve=changing)))
    prefetch = {"patient": patient(), "observations": None, "medications": None}
    request = parse_hook_request(hook_request(prefetch=prefetch, fhirServer=R4))
    assert missing(await resolver.resolve(request, PREFETCH)) == "conditions"
    assert seen == [R4 + "/Condition?patient=p1"]


@pytest.mark.parametrize(
    ("url", "prefixes", "reason"),
    [
        ("ftp://fhir.example.org/r4", ["ftp://fhir.example.org/"], "scheme"),
        ("file:///etc/passwd", ["file:///"], "scheme"),
        ("https://a@fhir.example.org/r4", ["https://a@fhir.example.org/"], "userinfo"),
        ("https://fhir.example.org@evil.org/r4", ["https://fhir.example.org"], "userinfo"),
        ("https://fhir.example.org\\@evil.org/", ["https://fhir.example.org"], "userinfo"),
        ("https://fhir.example.org:8443/r4", ["https://fhir.example.org"], "allowlisted"),
        ("https://evil.org/r4", ["https://"], "allowlisted"),  # a bare scheme allows nothing
    ],
)
async def test_check_url_refusals(url: str, prefixes: list[str], reason: str) -> None:
    outbound = Outbound(resolve=dns({"fhir.example.org": [PUBLIC], "evil.org": [PUBLIC]}))
    with pytest.raises(UnsafeUrl, match=reason):
        await outbound.check_url(url, prefixes)


# --- jku: refused before any request ----------------------------------------------------------

ISS = "https://ehr.example.org"
AUD = "http://127.0.0.1:8080/cds-services/back-spasm-patient-view"
KEY = new_key("jku-key")


KEYS = "https://ehr.example.org/keys/"


@pytest.mark.parametrize(
    ("prefix", "jku", "address"),
    [
        pytest.param(KEYS, KEYS + "jwks.json", "10.1.1.1", id="private"),
        pytest.param(KEYS, KEYS + "jwks.json", "169.254.169.254", id="link-local"),
        pytest.param(KEYS, KEYS + "jwks.json", "127.0.0.1", id="name-to-loopback"),
        pytest.param(
            KEYS,
            "https://u@ehr.example.org/keys/jwks.json",
            PUBLIC,
            id="userinfo",
        ),
    ],
)
async def test_allowlisted_jku_on_a_forbidden_address_is_never_fetched(
    prefix: str, jku: str, address: str
) -> None:
    transport = MustNotBeCalled()
    s = load_settings(None, {"jwt_issuers": [{"iss": ISS, "jku_prefixes": [prefix]}]})
    client = httpx.AsyncClient(transport=httpx.MockTransport(transport))
    auth = Authenticator(s, client, outbound=Outbound(resolve=dns({"ehr.example.org": [address]})))
    token = make_token(KEY, ISS, AUD, headers={"jku": jku})
    with pytest.raises(AuthError):
        await auth.verify(f"Bearer {token}", AUD)
    assert transport.requests == []


async def test_the_same_jku_on_a_public_address_is_fetched() -> None:
    """The control of the test above: the refusal is the address, nothing else."""
    fetched: list[str] = []

    def keys(request: httpx.Request) -> httpx.Response:
        fetched.append(str(request.url))
        return httpx.Response(200, json=jwks(KEY))

    s = load_settings(
        None, {"jwt_issuers": [{"iss": ISS, "jku_prefixes": ["https://ehr.example.org/keys/"]}]}
    )
    client = httpx.AsyncClient(transport=httpx.MockTransport(keys))
    auth = Authenticator(s, client, outbound=Outbound(resolve=dns({"ehr.example.org": [PUBLIC]})))
    token = make_token(KEY, ISS, AUD, headers={"jku": "https://ehr.example.org/keys/jwks.json"})
    await auth.verify(f"Bearer {token}", AUD)
    assert fetched == ["https://ehr.example.org/keys/jwks.json"]


# --- redirects ----------------------------------------------------------------------------------


def redirecting(seen: list[str]) -> httpx.MockTransport:
    """Every URL redirects to the metadata service; records what was requested."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/latest"})

    return httpx.MockTransport(handler)


async def test_fhir_fetch_does_not_follow_redirects_even_on_a_following_client() -> None:
    seen: list[str] = []
    client = httpx.AsyncClient(transport=redirecting(seen), follow_redirects=True)
    outbound = Outbound(resolve=dns({"fhir.example.org": [PUBLIC]}))
    resolver = PrefetchResolver(client, policy(["https://fhir.example.org/r4"], outbound))
    assert missing(await resolver.resolve(hook("https://fhir.example.org/r4"), PREFETCH))
    assert seen and not any("169.254" in url for url in seen)


async def test_jwks_fetch_does_not_follow_redirects_even_on_a_following_client() -> None:
    seen: list[str] = []
    client = httpx.AsyncClient(transport=redirecting(seen), follow_redirects=True)
    s = load_settings(
        None,
        {"jwt_issuers": [{"iss": ISS, "jwks_url": "https://ehr.example.org/keys/jwks.json"}]},
    )
    auth = Authenticator(s, client, outbound=Outbound(resolve=dns({})))
    with pytest.raises(AuthError):
        await auth.verify(f"Bearer {make_token(KEY, ISS, AUD)}", AUD)
    assert seen == ["https://ehr.example.org/keys/jwks.json"]


def test_the_service_client_ignores_proxies_and_redirects() -> None:
    client = guarded_client(Outbound())
    assert client.follow_redirects is False
    assert client.trust_env is False


# --- at connect time: DNS rebinding, with real sockets ------------------------------------------


async def public(host: str, port: int) -> list[str]:
    return [PUBLIC]


async def loopback(host: str, port: int) -> list[str]:
    return ["127.0.0.1"]


async def test_a_name_rebound_to_loopback_after_the_check_is_not_connected_to() -> None:
    """DNS rebinding: the check sees a public address, the connection would go to 127.0.0.1."""
    with recording_server(patient()) as listener:
        # 127.1 is 127.0.0.1 to the system resolver too, but not a loopback name to us
        base = f"http://127.1:{listener.port}/fhir"
        async with guarded_client(Outbound(resolve=loopback)) as client:
            resolver = PrefetchResolver(client, policy([base], Outbound(resolve=public)))
            assert missing(await resolver.resolve(hook(base), PREFETCH))
        assert listener.connections == []


async def test_the_rebinding_test_would_see_a_connection_from_an_unguarded_client() -> None:
    """The control: without the connect-time check the listener does record the fetch."""
    with recording_server(patient()) as listener:
        base = f"http://127.1:{listener.port}/fhir"
        async with httpx.AsyncClient() as client:
            resolver = PrefetchResolver(client, policy([base], Outbound(resolve=public)))
            await resolver.resolve(hook(base), PREFETCH)
        assert listener.connections


async def test_the_guarded_client_reaches_a_loopback_server_named_in_the_allowlist() -> None:
    with recording_server(patient()) as listener:
        base = f"{listener.base}/fhir"
        outbound = Outbound()
        async with guarded_client(outbound) as client:
            result = await PrefetchResolver(client, policy([base], outbound)).resolve(
                hook(base), PREFETCH
            )
        assert "patient" in result.fetched and listener.connections


async def test_the_app_refuses_an_allowlisted_name_that_resolves_to_loopback(
    tmp_path: Any,
) -> None:
    """End to end through create_app's own client and the system resolver."""
    with recording_server(patient()) as listener:
        allowlist = [f"http://127.1:{listener.port}/", f"{listener.base}/"]
        app = create_app(settings(tmp_path, fhir_server_allowlist=allowlist))
        async with serve(app) as client:
            pv = "/cds-services/back-spasm-patient-view"
            refused = await client.post(
                pv, json=hook_request(prefetch={}, fhirServer=f"http://127.1:{listener.port}/r4")
            )
            assert refused.status_code == 412
            assert listener.connections == []
            allowed = await client.post(
                pv, json=hook_request(prefetch={}, fhirServer=f"{listener.base}/r4")
            )
        assert allowed.status_code == 200  # the listener answers a Patient for every key
        assert listener.connections


async def test_a_slow_or_odd_resolver_is_a_refusal_not_a_crash() -> None:
    async def slow(host: str, port: int) -> list[str]:
        await asyncio.sleep(5)
        return [PUBLIC]

    async def odd(host: str, port: int) -> list[str]:
        return ["not-an-address"]

    with pytest.raises(UnsafeUrl, match="does not resolve"):
        await Outbound(resolve=slow, resolve_timeout=0.05).check_url(R4, [ORG])
    with pytest.raises(UnsafeUrl, match="not an IP address"):
        await Outbound(resolve=odd).check_url(R4, [ORG])


# --- dot segments, query and fragment in fhirServer (issue 11, item 7) ----------------------

ORG_R4 = "https://fhir.example.org/r4"


@pytest.mark.parametrize(
    ("url", "normalised"),
    [
        ("https://fhir.example.org/r4/../admin", "https://fhir.example.org/admin"),
        ("https://fhir.example.org/r4/%2e%2e/admin", "https://fhir.example.org/admin"),
        ("https://fhir.example.org/r4/%2E./x/.%2e/admin", "https://fhir.example.org/admin"),
        ("https://fhir.example.org/r4/./Patient/1", "https://fhir.example.org/r4/Patient/1"),
        ("HTTPS://FHIR.example.org/r4", "https://fhir.example.org/r4"),
        ("https://fhir.example.org/r4/a?x=%2e%2e", "https://fhir.example.org/r4/a?x=%2e%2e"),
    ],
)
def test_normalise_url_resolves_dot_segments_as_a_server_does(url: str, normalised: str) -> None:
    assert normalise_url(url) == normalised


@pytest.mark.parametrize(
    "url",
    [
        "https://fhir.example.org/r4\\..\\admin",
        "https://fhir.example.org/r4/..%2fadmin",
        "https://fhir.example.org/r4/..%5Cadmin",
    ],
)
def test_normalise_url_refuses_ambiguous_slashes(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="backslash or an encoded slash"):
        normalise_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://fhir.example.org/r4/..;/admin",
        "https://fhir.example.org/r4;x=1/Patient/1",
        "https://fhir.example.org/r4/..%3b/admin",
        "https://fhir.example.org/r4/..%3B/admin",
    ],
)
def test_normalise_url_refuses_path_parameters(url: str) -> None:
    """`/r4/..;/admin` is under `/r4/` as a string, and `/admin` to a server that strips
    path parameters before resolving dot segments (Tomcat, Jetty)."""
    with pytest.raises(UnsafeUrl, match="path parameter"):
        normalise_url(url)


def test_a_semicolon_in_the_query_is_not_a_path_parameter() -> None:
    assert normalise_url("https://fhir.example.org/r4/x?a=1;b=2") == (
        "https://fhir.example.org/r4/x?a=1;b=2"
    )


@pytest.mark.parametrize(
    "server",
    [
        f"{ORG_R4}/../admin",
        f"{ORG_R4}/%2e%2e/admin",
        f"{ORG_R4}/%2E%2E/%2e%2e/internal/r4",
        f"{ORG_R4}/..%2fadmin",
        f"{ORG_R4}\\..\\admin",
        f"{ORG_R4}/..;/admin",
        f"{ORG_R4}/..%3B/admin",
    ],
)
async def test_a_dot_dot_fhir_server_cannot_leave_the_allowlisted_prefix(server: str) -> None:
    """`https://fhir.example.org/r4/` is allowlisted; `/r4/../admin` passed the raw string
    prefix check, and httpx sent `/admin/Patient/p1`."""
    transport = MustNotBeCalled()
    client = httpx.AsyncClient(transport=httpx.MockTransport(transport))
    outbound = Outbound(resolve=dns({"fhir.example.org": [PUBLIC]}))
    resolver = PrefetchResolver(client, policy([f"{ORG_R4}/"], outbound))
    resolution = await resolver.resolve(hook(server), PREFETCH)
    assert missing(resolution) == "patient, conditions"
    assert transport.requests == []


async def test_a_dot_segment_that_stays_inside_the_prefix_is_fetched_normalised() -> None:
    server = Fhir()
    client = httpx.AsyncClient(transport=httpx.MockTransport(server))
    outbound = Outbound(resolve=dns({"fhir.example.org": [PUBLIC]}))
    resolver = PrefetchResolver(client, policy([f"{ORG_R4}/"], outbound))
    resolution = await resolver.resolve(hook(f"{ORG_R4}/x/%2e%2e/"), PREFETCH)
    assert "patient" in resolution.fetched
    assert server.requests and all(u.startswith(f"{ORG_R4}/") for u in server.requests)
    assert not any("%2e" in u or "/x/" in u for u in server.requests)


@pytest.mark.parametrize("link", ["/../admin/x", "/..;/admin/x", "/..%3b/admin/x"])
async def test_a_page_link_with_dot_segments_is_not_followed_out_of_the_server(
    link: str,
) -> None:
    """A `next` link `…/r4/../admin/x` (or `…/r4/..;/admin/x`, which a server stripping
    path parameters reads as `/admin/x`) is under the base as a string, not as a path."""
    requests: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if "/Patient/" in request.url.path:
            return httpx.Response(200, json=patient())
        return httpx.Response(200, json=searchset(back_pain(), next_url=f"{ORG_R4}{link}"))

    client = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    outbound = Outbound(resolve=dns({"fhir.example.org": [PUBLIC]}))
    resolver = PrefetchResolver(client, policy([f"{ORG_R4}/"], outbound))
    await resolver.resolve(hook(ORG_R4), PREFETCH)
    assert requests and not any("/admin" in u for u in requests)


@pytest.mark.parametrize(
    "server", [f"{ORG_R4}?_format=json", f"{ORG_R4}/?x=1", f"{ORG_R4}#frag", f"{ORG_R4}?"]
)
async def test_a_fhir_server_with_a_query_or_fragment_is_refused_by_name(server: str) -> None:
    """`{fhirServer}/Patient/p1` would put the path inside the query: the server answered its
    base, and the keys looked fetched and empty. Now each key says why it was not had (412
    here, a data-check item when what was received puts the patient in scope)."""
    transport = MustNotBeCalled()
    client = httpx.AsyncClient(transport=httpx.MockTransport(transport))
    outbound = Outbound(resolve=dns({"fhir.example.org": [PUBLIC]}))
    resolver = PrefetchResolver(client, policy([f"{ORG_R4}/"], outbound))
    resolution = await resolver.resolve(hook(server), PREFETCH)
    assert missing(resolution) == "patient, conditions"
    assert "query or fragment" in resolution.reasons["patient"]
    assert transport.requests == []


async def test_a_query_in_fhir_server_is_said_in_the_answer(tmp_path: Any) -> None:
    """Through the app: the cards come from the prefetch received, and the key that needed
    the server is named with the reason (the data-check card, the response extension)."""
    prefetch = {
        "patient": patient(),
        "conditions": searchset(back_pain()),
        "medications": None,
        "medicationstatements": None,
    }
    body = hook_request(prefetch=prefetch, fhirServer=f"{ORG_R4}?_format=json")
    app = create_app(settings(tmp_path, fhir_server_allowlist=[f"{ORG_R4}/"]))
    async with serve(app) as client:
        response = await client.post("/cds-services/back-spasm-patient-view", json=body)
    assert response.status_code == 200
    (note,) = response.json()["extension"]["org.example.cds.prefetch-unavailable"]
    assert note["key"] == "observations" and "query or fragment" in note["reason"]
    topics = [card["source"]["topic"]["code"] for card in response.json()["cards"]]
    assert "data-check" in topics
