"""JWT key handling against a real JWKS host on loopback (issue 11 item 5).

Real ES384 JWTs signed by test keys; `Authenticator` with the service's own guarded HTTP
client, fetching from a `ThreadingHTTPServer` that decodes and normalises request paths the
way a static file server does (so a `jku` that escapes its prefix really reaches other keys).
Each test names the protection it guards; removing that protection makes it fail.
"""

from __future__ import annotations

import asyncio
import json
import logging
import posixpath
import threading
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from cds.config import load_settings
from cds.errors import AuthError
from cds.service.auth import Authenticator
from cds.service.outbound import Outbound, guarded_client
from tests.support.keys import SigningKey, jwks, make_token, new_key

pytestmark = pytest.mark.anyio
ISS = "https://ehr.example.org"
OTHER_ISS = "https://other-ehr.example.org"
AUD = "http://127.0.0.1:8080/cds-services/back-spasm-patient-view"
CONFIGURED = new_key("configured-1")
PUBLISHED = new_key("published-2")  # served under /keys/ only
PRIVATE = new_key("private-3")  # served outside the allowlisted prefix


@dataclass
class KeyHost:
    """A JWKS host: /keys/* serves PUBLISHED, /private/* PRIVATE, /slow/* answers after
    `slow_seconds`, /drip/* sends its body one byte at a time; records decoded paths."""

    base: str = ""
    paths: list[str] = field(default_factory=list)
    keys: dict[str, list[SigningKey]] = field(
        default_factory=lambda: {"keys": [PUBLISHED], "private": [PRIVATE], "slow": [PUBLISHED]}
    )
    slow_seconds: float = 3.0

    def handler(self) -> type[BaseHTTPRequestHandler]:
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                # as a Java server does: decode %xx, strip each segment's path parameters
                # (`;...`), then resolve . and .. segments
                raw = urllib.parse.unquote(self.path.split("?")[0])
                raw = "/".join(segment.split(";", 1)[0] for segment in raw.split("/"))
                path = posixpath.normpath(raw)
                host.paths.append(path)
                top = path.strip("/").split("/")[0]
                if top == "slow":
                    time.sleep(host.slow_seconds)
                if top == "drip":
                    self._drip()
                    return
                if top not in host.keys:
                    self._send(404, b"{}")
                    return
                self._send(200, json.dumps(jwks(*host.keys[top])).encode())

            def _drip(self) -> None:
                body = json.dumps(jwks(PUBLISHED)).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    for byte in body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(0.2)  # each byte well inside any read timeout
                except OSError:
                    pass

            def _send(self, status: int, body: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def key_host() -> Iterator[KeyHost]:
    host = KeyHost()
    server = ThreadingHTTPServer(("127.0.0.1", 0), host.handler())
    server.daemon_threads = True
    host.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def make_auth() -> AsyncIterator[Any]:
    clients = []

    def make(*issuers: dict[str, Any], **settings: Any) -> Authenticator:
        s = load_settings(None, {"jwt_issuers": list(issuers), **settings})
        outbound = Outbound()  # loopback only where the URL names it: the key host does
        client = guarded_client(outbound)
        clients.append(client)
        return Authenticator(s, client, outbound=outbound)

    yield make
    for client in clients:
        await client.aclose()


def bearer(key: SigningKey, iss: str = ISS, **kw: Any) -> str:
    return f"Bearer {make_token(key, iss, AUD, **kw)}"


async def refused(auth: Authenticator, header: str) -> None:
    with pytest.raises(AuthError) as caught:
        await auth.verify(header, AUD)
    assert caught.value.message == "unauthorized"  # bare, whatever the reason


# --- configured keys first ------------------------------------------------------------------


UNREACHABLE = {"jku": "https://sandbox.cds-hooks.org/.well-known/jwks.json"}


async def test_inline_keys_are_used_whatever_the_jku_says(make_auth: Any) -> None:
    """The sandbox's case: a jku on a host unreachable offline, the key configured inline."""
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED)})
    claims = await auth.verify(bearer(CONFIGURED, headers=UNREACHABLE), AUD)
    assert claims["iss"] == ISS


async def test_jwks_url_keys_are_used_and_the_jku_is_never_fetched(
    make_auth: Any, key_host: KeyHost
) -> None:
    issuer = {
        "iss": ISS,
        "jwks_url": f"{key_host.base}/keys/jwks.json",
        "jku_prefixes": [f"{key_host.base}/private/"],
    }
    auth = make_auth(issuer)
    jku = {"jku": f"{key_host.base}/private/jwks.json"}
    await auth.verify(bearer(PUBLISHED, headers=jku), AUD)
    assert key_host.paths == ["/keys/jwks.json"]  # the configured URL only, not the jku


async def test_a_kid_the_configured_keys_lack_needs_an_allowlisted_jku(
    make_auth: Any, key_host: KeyHost
) -> None:
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED), "jku_prefixes": []})
    await refused(auth, bearer(PUBLISHED, headers={"jku": f"{key_host.base}/keys/jwks.json"}))
    assert key_host.paths == []  # not allowlisted: never fetched
    allowed = make_auth(
        {"iss": ISS, "jwks": jwks(CONFIGURED), "jku_prefixes": [f"{key_host.base}/keys/"]}
    )
    await allowed.verify(bearer(PUBLISHED, headers={"jku": f"{key_host.base}/keys/jwks.json"}), AUD)
    assert key_host.paths == ["/keys/jwks.json"]


# --- jku normalised before it is matched -----------------------------------------------------


@pytest.mark.parametrize(
    "escape",
    [
        "/keys/../private/jwks.json",
        "/keys/%2e%2e/private/jwks.json",
        "/keys/%2E%2E/private/jwks.json",
        "/keys/.%2e/private/jwks.json",
        "/keys/./../private/jwks.json",
        "/keys/..%2fprivate/jwks.json",
        "/keys/%252e%252e/private/jwks.json",
        "/keys/..;/private/jwks.json",  # path parameters, stripped by the server before `..`
        "/keys/..;x=1/private/jwks.json",
        "/keys/..%3b/private/jwks.json",
        "/keys/..%3B/private/jwks.json",
    ],
)
async def test_a_jku_escaping_its_prefix_is_never_fetched(
    make_auth: Any, key_host: KeyHost, escape: str
) -> None:
    auth = make_auth({"iss": ISS, "jku_prefixes": [f"{key_host.base}/keys/"]})
    await refused(auth, bearer(PRIVATE, headers={"jku": key_host.base + escape}))
    assert not any(p.startswith("/private") for p in key_host.paths), key_host.paths


@pytest.mark.parametrize(
    "spelling",
    [
        "{base}/keys/./jwks.json",
        "{base}/keys/sub/../jwks.json",
        "{base}/keys/%6Awks.json",  # %6A is j
        "HTTP://127.0.0.1:{port}/keys/jwks.json",
    ],
)
async def test_other_spellings_of_an_allowlisted_jku_are_fetched_normalised(
    make_auth: Any, key_host: KeyHost, spelling: str
) -> None:
    """The control of the test above: normalising keeps what lies inside the prefix."""
    port = key_host.base.rsplit(":", 1)[1]
    auth = make_auth({"iss": ISS, "jku_prefixes": [f"{key_host.base}/keys/"]})
    jku = spelling.format(base=key_host.base, port=port)
    await auth.verify(bearer(PUBLISHED, headers={"jku": jku}), AUD)
    assert key_host.paths == ["/keys/jwks.json"]


def test_a_prefix_with_userinfo_stops_start_up() -> None:
    from cds.errors import ConfigError

    with pytest.raises(ConfigError, match="userinfo"):
        load_settings(None, {"jwt_issuers": [{"iss": ISS, "jku_prefixes": ["https://u@a.org/"]}]})


# --- the key cache: bounded in entries and age ------------------------------------------------


async def test_the_key_cache_keeps_at_most_its_bound_of_urls(
    make_auth: Any, key_host: KeyHost
) -> None:
    auth = make_auth(
        {"iss": ISS, "jku_prefixes": [f"{key_host.base}/keys/"]}, jwks_cache_max_entries=3
    )
    urls = [f"{key_host.base}/keys/set-{n}.json" for n in range(10)]
    for url in urls:
        await auth.verify(bearer(PUBLISHED, headers={"jku": url}), AUD)
    assert len(auth.key_sets) == 3
    # the oldest was dropped: using it again reads it again; the newest is still cached
    await auth.verify(bearer(PUBLISHED, headers={"jku": urls[-1]}), AUD)
    await auth.verify(bearer(PUBLISHED, headers={"jku": urls[0]}), AUD)
    assert key_host.paths.count("/keys/set-9.json") == 1
    assert key_host.paths.count("/keys/set-0.json") == 2


async def test_a_cached_key_set_is_read_again_after_its_age(
    make_auth: Any, key_host: KeyHost
) -> None:
    """A key the host withdrew stops being accepted once the cached set is too old."""
    url = f"{key_host.base}/keys/jwks.json"
    auth = make_auth({"iss": ISS, "jwks_url": url}, jwks_cache_max_age_seconds=0.3)
    await auth.verify(bearer(PUBLISHED), AUD)
    await auth.verify(bearer(PUBLISHED), AUD)
    assert key_host.paths == ["/keys/jwks.json"]  # cached while young
    key_host.keys["keys"] = [CONFIGURED]  # PUBLISHED withdrawn (compromised)
    await asyncio.sleep(0.4)
    await refused(auth, bearer(PUBLISHED))
    assert key_host.paths == ["/keys/jwks.json"] * 2


# --- fetches: one lock per URL, a time budget -----------------------------------------------


async def test_a_slow_key_host_does_not_hold_a_fetch_of_another_url(
    make_auth: Any, key_host: KeyHost
) -> None:
    issuer = {"iss": ISS, "jku_prefixes": [f"{key_host.base}/keys/", f"{key_host.base}/slow/"]}
    auth = make_auth(issuer, fetch_timeout_seconds=2.0)
    slow = asyncio.create_task(
        auth.verify(bearer(PUBLISHED, headers={"jku": f"{key_host.base}/slow/jwks.json"}), AUD)
    )
    await asyncio.sleep(0.2)  # the slow fetch holds its URL's lock now
    started = time.monotonic()
    await auth.verify(bearer(PUBLISHED, headers={"jku": f"{key_host.base}/keys/jwks.json"}), AUD)
    fast = time.monotonic() - started
    assert not slow.done()
    assert fast < 0.5, f"the fast fetch waited {fast:.2f} s behind the slow one"
    with pytest.raises(AuthError):
        await slow  # 3 s of silence against a 2 s budget


async def test_a_key_host_dripping_its_answer_is_cut_at_the_time_budget(
    make_auth: Any, key_host: KeyHost
) -> None:
    """Each byte comes well inside httpx's read timeout; only the overall budget stops it."""
    auth = make_auth(
        {"iss": ISS, "jku_prefixes": [f"{key_host.base}/drip/"]}, fetch_timeout_seconds=1.0
    )
    started = time.monotonic()
    await refused(auth, bearer(PUBLISHED, headers={"jku": f"{key_host.base}/drip/jwks.json"}))
    assert time.monotonic() - started < 2.0


# --- token lifetime and replay ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "lifetime", "accepted"),
    [
        (None, 300, True),
        (None, 301, False),
        (None, 3600, False),
        (600, 600, True),
        (600, 601, False),
    ],
)
async def test_a_token_living_longer_than_the_lifetime_is_refused(
    make_auth: Any, setting: int | None, lifetime: int, accepted: bool
) -> None:
    extra = {} if setting is None else {"max_token_lifetime_seconds": setting}
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED)}, **extra)
    now = int(time.time())
    header = bearer(CONFIGURED, iat=now, exp=now + lifetime)
    if accepted:
        await auth.verify(header, AUD)
    else:
        await refused(auth, header)


async def test_a_token_without_iat_is_refused(make_auth: Any) -> None:
    """CDS Hooks 2.0 requires iat (and exp): without it the lifetime cannot be bounded."""
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED)})
    await refused(auth, bearer(CONFIGURED, iat=None))


async def test_a_jti_is_kept_while_its_token_is_accepted_within_the_leeway(
    make_auth: Any,
) -> None:
    """A token past its exp but inside the leeway is still accepted, so its jti must still be
    remembered: a cache kept only until exp let it be replayed for the whole leeway."""
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED)}, jwt_leeway_seconds=60)
    now = int(time.time())
    header = bearer(CONFIGURED, iat=now - 100, exp=now - 30)
    await auth.verify(header, AUD)
    await refused(auth, header)


async def test_one_issuers_flood_does_not_crowd_out_another_issuers_jtis(
    make_auth: Any,
) -> None:
    auth = make_auth(
        {"iss": ISS, "jwks": jwks(CONFIGURED)},
        {"iss": OTHER_ISS, "jwks": jwks(CONFIGURED)},
        jwt_replay_cache_per_issuer=10,
    )
    kept = bearer(CONFIGURED, iss=OTHER_ISS)
    await auth.verify(kept, AUD)
    flood = [bearer(CONFIGURED, iss=ISS) for _ in range(15)]
    outcomes = []
    for header in flood:
        try:
            await auth.verify(header, AUD)
            outcomes.append(True)
        except AuthError:
            outcomes.append(False)
    assert outcomes == [True] * 10 + [False] * 5  # the flooding issuer's table is full
    await refused(auth, kept)  # the other issuer's jti is still remembered
    await auth.verify(bearer(CONFIGURED, iss=OTHER_ISS), AUD)  # and its new tokens pass


@pytest.mark.parametrize("jti", ["", "   "])
async def test_an_empty_jti_is_refused_like_a_missing_one(make_auth: Any, jti: str) -> None:
    """PyJWT's `require` lets "" through; an empty jti cannot tell two tokens apart, so the
    replay check would be a check of nothing (every token after the first a "replay")."""
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED)})
    await refused(auth, bearer(CONFIGURED, jti=jti))
    await refused(auth, bearer(CONFIGURED, jti=None))  # the missing one, for comparison
    await auth.verify(bearer(CONFIGURED), AUD)


async def test_a_full_replay_table_is_said_apart_from_replays_and_not_per_request(
    make_auth: Any, caplog: pytest.LogCaptureFixture
) -> None:
    auth = make_auth({"iss": ISS, "jwks": jwks(CONFIGURED)}, jwt_replay_cache_per_issuer=10)
    first = bearer(CONFIGURED)
    await auth.verify(first, AUD)
    for _ in range(9):
        await auth.verify(bearer(CONFIGURED), AUD)
    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="cds.service.auth"):
        for _ in range(25):  # a flood of new tokens once the table is full
            await refused(auth, bearer(CONFIGURED))
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1, warnings  # one line for the flood, not 25
        assert "replay table of issuer" in warnings[0] and "full" in warnings[0]
        assert "replayed" not in warnings[0]
        caplog.clear()
        await refused(auth, first)  # a real replay is still said as one, on its own line
        warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(warnings) == 1 and "jti replayed" in warnings[0], warnings
