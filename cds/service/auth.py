"""JWT authentication of CDS Clients, per the CDS Hooks best practices.

A call is accepted only when its bearer JWT: uses an asymmetric algorithm we allow (never
``none`` or HS*); names an `iss` we trust; is signed by a key of that issuer; has `aud` equal
to the URL of the endpoint called; has `exp` and `iat` within the leeway and `exp` at most
`max_token_lifetime_seconds` after `iat`; carries a `jti` not seen before; and, where the
issuer has a tenant allowlist, a `tenant` in it. Every refusal is the same bare `AuthError`
(401); the reason goes to the log, never the token.

The key for the token's `kid` comes from the issuer's configured keys first (inline `jwks`,
then `jwks_url`), whatever the token's `jku` says; only a `kid` they do not hold makes the
`jku` count, and then only a `jku` that, normalised (`normalise_url`), lies under one of the
issuer's `jku_prefixes`. JWK Sets are cached by URL (`KeySets`): at most
`jwks_cache_max_entries`, each re-read after `jwks_cache_max_age_seconds`, or on an unknown
`kid` at most every `REFETCH_INTERVAL_SECONDS`; each URL is fetched under its own lock, with
a time budget, so a slow key server holds only the calls that need its keys.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import httpx
import jwt

from cds.config import JwtIssuer, Settings
from cds.errors import AuthError
from cds.service.outbound import Outbound
from cds.urls import UnsafeUrl, normalise_url, url_has_prefix

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS: Final = frozenset({"ES384", "RS384", "ES256", "RS256", "ES512", "RS512"})
#: A JWKS URL is read again on an unknown kid (or after a failed read) at most this often
#: (keys rotate, attackers spam).
REFETCH_INTERVAL_SECONDS: Final = 5.0
#: Largest JWK Set read (a few keys are a few kB).
MAX_JWKS_BYTES: Final = 256 * 1024


#: Seconds between two log lines saying an issuer's replay table is full (a flood of tokens
#: must not flood the log: one line per refused request would).
FULL_TABLE_LOG_EVERY_S: Final = 60.0

Verdict = Literal["added", "replayed", "full"]


class Refused(Exception):
    """Why a token was refused: logged, never sent to the client."""


class _TableFull(Refused):
    """Refused because the issuer's replay table is full of live `jti`s: said in a log line
    of its own, at most once a minute per issuer, not with every refused request."""


class ReplayCache:
    """`jti` values seen, per issuer, each kept until its token can no longer be accepted.

    Each issuer has its own bound (`per_issuer`): a flood of tokens from one issuer fills only
    its own table. A table full of live `jti`s refuses that issuer's new tokens rather than
    forget one (forgetting would let it be replayed); `check_and_add` says which of the two
    refusals it was, so a full table is not logged as a replay.
    """

    def __init__(self, per_issuer: int, clock: Callable[[], float] = time.time) -> None:
        self._seen: dict[str, dict[str, float]] = {}
        self._pruned: dict[str, float] = {}
        self._per_issuer = per_issuer
        self._lock = threading.Lock()
        self._clock = clock

    def check_and_add(self, iss: str, jti: str, keep_until: float) -> Verdict:
        """Remember `jti` of `iss` until `keep_until` ("added"); "replayed" if it was already
        seen, "full" if the issuer's table is full of live ones (nothing remembered)."""
        now = self._clock()
        with self._lock:
            seen = self._seen.setdefault(iss, {})
            if jti in seen and seen[jti] > now:
                return "replayed"
            # expired entries go when the table is half full: at most once a second (a pass
            # over 50,000 entries costs milliseconds), or whenever it is full
            full = len(seen) >= self._per_issuer
            due = now - self._pruned.get(iss, float("-inf")) >= 1.0
            if full or (due and len(seen) >= self._per_issuer // 2):
                seen = self._seen[iss] = {k: t for k, t in seen.items() if t > now}
                self._pruned[iss] = now
            if len(seen) >= self._per_issuer:
                return "full"
            seen[jti] = keep_until
            return "added"


@dataclass
class _Entry:
    """One URL's JWK Set: its keys, when they were read and when a read was last tried
    (monotonic clock)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    keys: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    read_at: float | None = None
    tried_at: float | None = None


class KeySets:
    """JWK Sets by URL, fetched with the injected client, cached (bounded in number and age)
    and re-read on an unknown kid. Each URL has its own lock: a slow or hanging key server
    delays only the calls that need it, for at most `timeout` seconds."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        timeout: float,
        max_entries: int = 64,
        max_age: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._timeout = timeout
        self._max_entries = max_entries
        self._max_age = max_age
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def _entry(self, url: str) -> _Entry:
        entry = self._entries.get(url)
        if entry is None:
            entry = self._entries[url] = _Entry()
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)  # the least recently used
        self._entries.move_to_end(url)
        return entry

    def _usable(self, entry: _Entry, kid: str) -> Mapping[str, Any] | None:
        if entry.read_at is None or self._clock() - entry.read_at >= self._max_age:
            return None
        return entry.keys.get(kid)

    async def key(self, url: str, kid: str) -> Mapping[str, Any]:
        """The JWK with `kid` from the set at `url`."""
        entry = self._entry(url)
        found = self._usable(entry, kid)
        if found is not None:
            return found
        async with entry.lock:
            found = self._usable(entry, kid)
            if found is not None:
                return found
            tried = entry.tried_at
            interval = min(REFETCH_INTERVAL_SECONDS, self._max_age)
            if tried is not None and self._clock() - tried < interval:
                raise Refused(f"kid {kid!r} not in JWKS {url} (read or tried moments ago)")
            entry.tried_at = self._clock()
            keys = await self._fetch(url)
            entry.keys, entry.read_at = keys, self._clock()
        found = keys.get(kid)
        if found is None:
            raise Refused(f"kid {kid!r} not in JWKS {url}")
        return found

    async def _fetch(self, url: str) -> dict[str, Mapping[str, Any]]:
        try:
            async with asyncio.timeout(self._timeout):
                async with self._client.stream(
                    "GET", url, timeout=self._timeout, follow_redirects=False
                ) as response:
                    response.raise_for_status()
                    body = bytearray()
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_JWKS_BYTES:
                            raise ValueError("JWK Set too large")
            return keys_by_kid(json.loads(bytes(body)))
        except TimeoutError:
            raise Refused(f"cannot read JWKS {url}: no answer in {self._timeout} s") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise Refused(f"cannot read JWKS {url}: {type(exc).__name__}") from exc


def keys_by_kid(jwks: Any) -> dict[str, Mapping[str, Any]]:
    """The keys of a JWK Set by `kid` (keys without a kid are unusable: kid is REQUIRED)."""
    if not isinstance(jwks, Mapping) or not isinstance(jwks.get("keys"), list):
        raise ValueError("not a JWK Set")
    return {k["kid"]: k for k in jwks["keys"] if isinstance(k, Mapping) and "kid" in k}


class Authenticator:
    """Checks the `Authorization` header of every call; `verify` returns the claims."""

    def __init__(
        self,
        settings: Settings,
        client: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
        outbound: Outbound | None = None,
    ) -> None:
        self.outbound = outbound or Outbound(allow_private=settings.allow_private_fhir_servers)
        self.issuers = {i.iss: i for i in settings.jwt_issuers}
        self.dev_mode = settings.dev_mode
        self.leeway = settings.jwt_leeway_seconds
        self.max_lifetime = settings.max_token_lifetime_seconds
        self.replays = ReplayCache(settings.jwt_replay_cache_per_issuer, clock)
        self.key_sets = KeySets(
            client,
            settings.fetch_timeout_seconds,
            max_entries=settings.jwks_cache_max_entries,
            max_age=settings.jwks_cache_max_age_seconds,
        )
        self._clock = clock
        #: per issuer: when a full replay table was last logged, and refusals since then
        self._full_said: dict[str, float] = {}
        self._full_refused: dict[str, int] = {}

    async def verify(self, authorization: str | None, *audience: str) -> dict[str, Any]:
        """The JWT claims, or AuthError (bare 401). In development mode nothing is checked.
        ``audience``: the URLs the token's ``aud`` may name, the one called first."""
        if self.dev_mode:
            return {}
        try:
            return await self._verify(authorization, audience)
        except _TableFull as exc:
            log.debug("refused a call to %s: %s", audience[0], exc)  # said by _table_full
            raise AuthError("unauthorized") from None
        except (Refused, jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            log.warning("refused a call to %s: %s", audience[0], _reason(exc))
            raise AuthError("unauthorized") from None

    async def _verify(self, authorization: str | None, audience: tuple[str, ...]) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused("no bearer token")
        token = token.strip()
        header = jwt.get_unverified_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS:
            raise Refused(f"algorithm {alg!r} not allowed")
        if not _jwt_typ(header.get("typ", "JWT")) or not isinstance(kid, str):
            raise Refused("header needs typ JWT and a kid")
        unverified = jwt.decode(token, options={"verify_signature": False})
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise Refused("issuer not trusted")
        jwk, source = await self._key(issuer, kid, header.get("jku"))
        claims: dict[str, Any] = jwt.decode(
            token,
            key=jwt.PyJWK(dict(jwk), algorithm=alg).key,
            algorithms=[alg],
            audience=list(audience),
            issuer=issuer.iss,
            leeway=self.leeway,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
        self._check_claims(issuer, claims)
        log.debug(
            "verified a call to %s: iss %s, kid %s, key from %s",
            audience[0],
            issuer.iss,
            kid,
            source,
        )
        return claims

    def _check_claims(self, issuer: JwtIssuer, claims: Mapping[str, Any]) -> None:
        iat, exp = claims["iat"], claims["exp"]
        if iat > self._clock() + self.leeway:
            raise Refused("iat in the future")
        if exp - iat > self.max_lifetime:
            raise Refused(f"lifetime {exp - iat} s over {self.max_lifetime} s")
        if issuer.tenants is not None and claims.get("tenant") not in issuer.tenants:
            raise Refused("tenant not allowed")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti.strip():  # "" passes PyJWT's `require`
            raise Refused("jti empty")
        # accepted until exp + leeway, so remembered as long
        verdict = self.replays.check_and_add(issuer.iss, jti, exp + self.leeway)
        if verdict == "replayed":
            raise Refused("jti replayed")
        if verdict == "full":
            self._table_full(issuer.iss)
            raise _TableFull(f"replay table of issuer {issuer.iss} full")

    def _table_full(self, iss: str) -> None:
        """Say that `iss`'s replay table is full, at most once a minute per issuer, with how
        many of its tokens were refused for it meanwhile."""
        self._full_refused[iss] = self._full_refused.get(iss, 0) + 1
        now = time.monotonic()
        if now - self._full_said.get(iss, float("-inf")) < FULL_TABLE_LOG_EVERY_S:
            return
        self._full_said[iss] = now
        refused, self._full_refused[iss] = self._full_refused[iss], 0
        log.warning(
            "jti replay table of issuer %s is full of live tokens "
            "(jwt_replay_cache_per_issuer): its new tokens are refused with 401 until older "
            "ones expire, not replays; %d refused for this since last said (said at most "
            "once a minute)",
            iss,
            refused,
        )

    async def _key(self, issuer: JwtIssuer, kid: str, jku: Any) -> tuple[Mapping[str, Any], str]:
        """The key for `kid` and where it came from: the issuer's configured keys first,
        whatever the jku; an allowlisted jku only for a kid they do not hold."""
        if issuer.jwks is not None:
            inline = keys_by_kid(issuer.jwks)
            if kid in inline:
                return inline[kid], "configured jwks"
        configured: Refused | None = None
        if issuer.jwks_url is not None:
            try:
                return await self.key_sets.key(issuer.jwks_url, kid), "configured jwks_url"
            except Refused as exc:
                configured = exc
        if jku is None:
            raise configured or Refused(f"kid {kid!r} unknown for issuer")
        url = await self._allowed_jku(issuer, jku)
        return await self.key_sets.key(url, kid), "allowlisted jku"

    async def _allowed_jku(self, issuer: JwtIssuer, jku: Any) -> str:
        """The normalised `jku`, or Refused unless it lies under one of the issuer's
        (normalised) prefixes and its host may be contacted."""
        if not isinstance(jku, str):
            raise Refused("jku not a string")
        try:
            url = normalise_url(jku)
        except UnsafeUrl as exc:
            raise Refused(f"jku refused: {exc}") from None
        prefixes = issuer.jku_prefixes  # normalised by the settings
        if not any(url_has_prefix(url, p) for p in prefixes):
            raise Refused("jku not allowlisted")
        try:
            await self.outbound.check_url(url, prefixes)
        except UnsafeUrl as exc:
            raise Refused(f"jku refused: {exc}") from None
        return url


def _reason(exc: Exception) -> str:
    """A log line for a refusal that cannot contain the token itself."""
    if isinstance(exc, Refused):
        return str(exc)
    return type(exc).__name__


def _jwt_typ(typ: object) -> bool:
    """A JWT's header ``typ`` says JWT: compared without case, with or without the
    ``application/`` prefix (RFC 7515 section 4.1.9: a media type, case-insensitive, whose
    ``application/`` a sender may leave out; RFC 8725 section 3.11)."""
    if not isinstance(typ, str):
        return False
    name = typ.strip().lower()
    return name.removeprefix("application/") == "jwt"
