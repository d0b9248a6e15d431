"""JWT authentication of CDS Clients, per the CDS Hooks best practices.

A call is accepted only when its bearer JWT: uses an asymmetric algorithm we allow (never
``none`` or HS*); names an `iss` we trust; is signed by a key of that issuer (inline JWKS, a
configured JWKS URL, or a `jku` inside the issuer's allowlisted prefixes, cached and re-read
when an unknown `kid` appears); has `aud` equal to the URL of the endpoint called; has `exp`
and `iat` within the leeway; carries a `jti` not seen before; and, where the issuer has a
tenant allowlist, a `tenant` in it. Every refusal is the same bare `AuthError` (401); the
reason goes to the log, never the token.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

import httpx
import jwt

from cds.config import JwtIssuer, Settings
from cds.errors import AuthError
from cds.service.outbound import Outbound, UnsafeUrl, url_has_prefix

log = logging.getLogger(__name__)

ALLOWED_ALGORITHMS: Final = frozenset({"ES384", "RS384", "ES256", "RS256", "ES512", "RS512"})
#: A JWKS URL is read again on an unknown kid at most this often (keys rotate, attackers spam).
REFETCH_INTERVAL_SECONDS: Final = 5.0
#: Replay-cache entries live until the token expires (plus leeway), at most this long.
MAX_TOKEN_LIFETIME_SECONDS: Final = 3600
_REPLAY_CACHE_LIMIT: Final = 100_000


class Refused(Exception):
    """Why a token was refused: logged, never sent to the client."""


class ReplayCache:
    """`jti` values seen, each kept until its token expires."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def check_and_add(self, iss: str, jti: str, expires_at: float) -> bool:
        """Remember `jti`; False if it was already seen (a replay)."""
        now = self._clock()
        with self._lock:
            if len(self._seen) > _REPLAY_CACHE_LIMIT // 2:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
            if len(self._seen) >= _REPLAY_CACHE_LIMIT:
                return False  # full of live tokens: refuse rather than forget
            key = (iss, jti)
            if key in self._seen and self._seen[key] > now:
                return False
            self._seen[key] = min(expires_at, now + MAX_TOKEN_LIFETIME_SECONDS)
            return True


class KeySets:
    """JWK Sets by URL, fetched with the injected client and re-read on an unknown kid."""

    def __init__(self, client: httpx.AsyncClient, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._sets: dict[str, tuple[float, dict[str, Mapping[str, Any]]]] = {}
        self._lock = asyncio.Lock()

    async def key(self, url: str, kid: str) -> Mapping[str, Any]:
        """The JWK with `kid` from the set at `url`."""
        cached = self._sets.get(url)
        if cached and kid in cached[1]:
            return cached[1][kid]
        async with self._lock:
            cached = self._sets.get(url)
            fresh = cached is not None and time.monotonic() - cached[0] < REFETCH_INTERVAL_SECONDS
            if not fresh:
                self._sets[url] = (time.monotonic(), await self._fetch(url))
        found = self._sets[url][1].get(kid)
        if found is None:
            raise Refused(f"kid {kid!r} not in JWKS {url}")
        return found

    async def _fetch(self, url: str) -> dict[str, Mapping[str, Any]]:
        try:
            response = await self._client.get(url, timeout=self._timeout, follow_redirects=False)
            response.raise_for_status()
            return keys_by_kid(response.json())
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
        self.replays = ReplayCache(clock)
        self.key_sets = KeySets(client, settings.fetch_timeout_seconds)
        self._clock = clock

    async def verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The JWT claims, or AuthError (bare 401). In development mode nothing is checked."""
        if self.dev_mode:
            return {}
        try:
            return await self._verify(authorization, audience)
        except (Refused, jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            log.warning("refused a call to %s: %s", audience, _reason(exc))
            raise AuthError("unauthorized") from None

    async def _verify(self, authorization: str | None, audience: str) -> dict[str, Any]:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused("no bearer token")
        token = token.strip()
        header = jwt.get_unverified_header(token)
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS:
            raise Refused(f"algorithm {alg!r} not allowed")
        if header.get("typ", "JWT") != "JWT" or not isinstance(kid, str):
            raise Refused("header needs typ JWT and a kid")
        unverified = jwt.decode(token, options={"verify_signature": False})
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise Refused("issuer not trusted")
        jwk = await self._key(issuer, kid, header.get("jku"))
        claims: dict[str, Any] = jwt.decode(
            token,
            key=jwt.PyJWK(dict(jwk), algorithm=alg).key,
            algorithms=[alg],
            audience=audience,
            issuer=issuer.iss,
            leeway=self.leeway,
            options={"require": ["iss", "aud", "exp", "iat", "jti"]},
        )
        self._check_claims(issuer, claims)
        return claims

    def _check_claims(self, issuer: JwtIssuer, claims: Mapping[str, Any]) -> None:
        if claims["iat"] > self._clock() + self.leeway:
            raise Refused("iat in the future")
        if issuer.tenants is not None and claims.get("tenant") not in issuer.tenants:
            raise Refused("tenant not allowed")
        if not self.replays.check_and_add(issuer.iss, str(claims["jti"]), claims["exp"]):
            raise Refused("jti replayed")

    async def _key(self, issuer: JwtIssuer, kid: str, jku: Any) -> Mapping[str, Any]:
        if jku is not None:
            if not isinstance(jku, str) or not any(
                url_has_prefix(jku, p) for p in issuer.jku_prefixes
            ):
                raise Refused("jku not allowlisted")
            try:
                await self.outbound.check_url(jku, issuer.jku_prefixes)
            except UnsafeUrl as exc:
                raise Refused(f"jku refused: {exc}") from None
            return await self.key_sets.key(jku, kid)
        if issuer.jwks is not None:
            inline = keys_by_kid(issuer.jwks)
            if kid in inline:
                return inline[kid]
        if issuer.jwks_url is not None:
            return await self.key_sets.key(issuer.jwks_url, kid)
        raise Refused(f"kid {kid!r} unknown for issuer")


def _reason(exc: Exception) -> str:
    """A log line for a refusal that cannot contain the token itself."""
    if isinstance(exc, Refused):
        return str(exc)
    return type(exc).__name__
