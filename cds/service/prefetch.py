"""Prefetch resolution: make sure the data each prefetch template names is at hand.

Per declared key, the CDS Client's `prefetch` may hold (spec 2.0.1 §Prefetch):

* a resource or a complete Bundle: used as sent;
* `null`: the client knows there is no data, which is an answer, not a gap;
* an OperationOutcome: the client's own fetch failed, so we fetch it ourselves;
* nothing (key absent): not attempted, so we fetch it ourselves;
* a Bundle with a `next` link: one page of several, so we follow the links.

Fetches go to the request's `fhirServer` with `fhirAuthorization.access_token`, concurrently,
with a per-call and a total time budget, and only when `fhirServer` lies under an allowlisted
prefix and passes `Outbound.check_url` (http(s), no userinfo, no private/link-local address:
see outbound.py): a request cannot make us contact an arbitrary host (SSRF). Required keys
that can be had neither way raise `MissingDataError` (412); optional ones are logged and
skipped. The access token is never logged or stored, and logs name resource types, never
URLs (they hold patient ids).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import orjson

from cds.errors import MissingDataError
from cds.hooks.models import HookRequest
from cds.service.outbound import Outbound, UnsafeUrl, url_has_prefix

log = logging.getLogger(__name__)
#: An unavailable optional key is logged at WARNING at most this often per (key, reason); an
#: outage that starts later is still said, within this time.
_TELL_EVERY_S = 600
#: Most distinct (optional key, reason) pairs remembered for that.
_TOLD_MAX = 256

_TOKEN: Final = re.compile(r"\{\{\s*context\.([A-Za-z]+)\s*\}\}")
FHIR_JSON: Final = "application/fhir+json"


@dataclass(frozen=True)
class PrefetchKey:
    """One prefetch template a service declares, and whether it cannot answer without it."""

    key: str
    template: str
    required: bool


@dataclass(frozen=True)
class FetchPolicy:
    """Where and how long the service may fetch (from the settings)."""

    allowlist: Sequence[str]
    call_timeout: float
    total_timeout: float
    max_pages: int
    max_bytes: int = 8 * 1024 * 1024
    max_entries: int = 5000
    outbound: Outbound = field(default_factory=Outbound)


@dataclass
class Resolution:
    """The outcome of resolving one request's prefetch."""

    extra: list[tuple[str, object]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    #: Why each unavailable key could not be had (safe to log and to answer: no token, no id).
    reasons: dict[str, str] = field(default_factory=dict)


class Unavailable(Exception):
    """One key could not be fetched; the message is safe to log (no token)."""


@dataclass
class _Budget:
    """What one prefetch key may still read, all its pages together."""

    policy: FetchPolicy
    bytes_read: int = 0
    entries: int = 0

    def allow(self, size: int, where: str) -> None:
        """Unavailable if `size` more bytes would go past the budget."""
        if self.bytes_read + size > self.policy.max_bytes:
            raise Unavailable(f"{where}: more than {self.policy.max_bytes} bytes (fetch_max_bytes)")

    def read(self, size: int, where: str) -> None:
        self.allow(size, where)
        self.bytes_read += size

    def page(self, page: Mapping[str, Any], where: str) -> None:
        entries = page.get("entry") if page.get("resourceType") == "Bundle" else None
        self.entries += len(entries) if isinstance(entries, list) else 0
        if self.entries > self.policy.max_entries:
            limit = self.policy.max_entries
            raise Unavailable(f"{where}: more than {limit} entries (fetch_max_entries)")


def render(template: str, context: Mapping[str, Any]) -> str:
    """The relative FHIR URL of `template` for this call's context (2.0 context tokens only)."""

    def value(match: re.Match[str]) -> str:
        item = context.get(match.group(1))
        if not isinstance(item, str) or not item:
            raise Unavailable(f"context.{match.group(1)} is not a string")
        return item

    return _TOKEN.sub(value, template)


def next_link(resource: Mapping[str, Any]) -> str | None:
    """The `next` page URL of a Bundle, if any."""
    for link in resource.get("link") or []:
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def _needs_fetch(value: object) -> bool:
    return isinstance(value, Mapping) and value.get("resourceType") == "OperationOutcome"


class PrefetchResolver:
    """Fills a request's prefetch gaps from its FHIR server, within the policy."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy) -> None:
        self.client = client
        self.policy = policy
        self._told: dict[tuple[str, str], float] = {}
        """(optional key, reason) → when it was last logged at WARNING: an EHR that never
        sends a key would otherwise log it on every call (the cards say it each time)."""

    async def resolve(self, request: HookRequest, keys: Sequence[PrefetchKey]) -> Resolution:
        """Fetch what is missing or paged; MissingDataError naming required keys not had."""
        prefetch = request.prefetch or {}
        result = Resolution()
        tasks: dict[str, asyncio.Task[tuple[list[Mapping[str, Any]], str]]] = {}
        async with asyncio.TaskGroup() as group:
            for spec in keys:
                job = self._job(request, spec, prefetch)
                if job is not None:
                    tasks[spec.key] = group.create_task(self._bounded(spec, job))
        for spec in keys:
            task = tasks.get(spec.key)
            if task is None:
                continue
            pages, reason = task.result()
            if pages:
                result.fetched.append(spec.key)
                result.extra += [(f"fetched.{spec.key}", page) for page in pages]
            else:
                result.unavailable.append(spec.key)
                result.reasons[spec.key] = reason
        _check_required(result, keys)
        return result

    def _job(self, request: HookRequest, spec: PrefetchKey, prefetch: Mapping[str, Any]) -> Any:
        """The coroutine that completes `spec.key`, or None when nothing needs doing."""
        if spec.key in prefetch and prefetch[spec.key] is None:
            return None  # known empty
        value = prefetch.get(spec.key)
        if value is not None and not _needs_fetch(value):
            link = next_link(value) if value.get("resourceType") == "Bundle" else None
            return None if link is None else self._pages(request, link, follow_only=True)
        return self._fetch_key(request, spec)

    async def _bounded(self, spec: PrefetchKey, job: Any) -> tuple[list[Mapping[str, Any]], str]:
        """The pages of one key, or none and why, within the total time budget."""
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                pages: list[Mapping[str, Any]] = await job
                return pages, ""
        except (Unavailable, TimeoutError) as exc:
            reason = str(exc) or "total time budget exceeded (fetch_total_seconds)"
            if spec.required:
                log.warning("prefetch key %r unavailable: %s", spec.key, reason)
            elif self._time_to_tell((spec.key, reason)):
                log.warning(
                    "prefetch key %r unavailable: %s; evaluating without it (said at most "
                    "every %d minutes; meanwhile at debug level)",
                    spec.key,
                    reason,
                    _TELL_EVERY_S // 60,
                )
            else:
                log.debug(
                    "prefetch key %r unavailable: %s; evaluating without it", spec.key, reason
                )
            return [], reason

    def _time_to_tell(self, what: tuple[str, str]) -> bool:
        now = time.monotonic()
        last = self._told.get(what)
        if last is not None and now - last < _TELL_EVERY_S:
            return False
        if len(self._told) >= _TOLD_MAX:  # many distinct reasons: forget the oldest told
            del self._told[min(self._told, key=self._told.__getitem__)]
        self._told[what] = now
        return True

    async def _fetch_key(self, request: HookRequest, spec: PrefetchKey) -> list[Mapping[str, Any]]:
        base = self._server(request)
        url = f"{base}/{render(spec.template, request.context).lstrip('/')}"
        return await self._pages(request, url, follow_only=False)

    async def _pages(
        self, request: HookRequest, url: str, follow_only: bool
    ) -> list[Mapping[str, Any]]:
        """Read `url` and every `next` page after it (all of them, or the key is unavailable)."""
        base = self._server(request)
        pages: list[Mapping[str, Any]] = []
        budget = _Budget(self.policy)
        next_url: str | None = url
        while next_url is not None:
            if len(pages) >= self.policy.max_pages:
                raise Unavailable(f"more than {self.policy.max_pages} pages")
            if not url_has_prefix(next_url, base):
                raise Unavailable("a page link leaves the FHIR server")
            try:
                await self.policy.outbound.check_url(next_url, (base,))
            except UnsafeUrl as exc:
                raise Unavailable(f"fhirServer refused: {exc}") from None
            page = await self._get(request, next_url, base, budget)
            budget.page(page, _resource_type(next_url, base))
            pages.append(page)
            next_url = next_link(page) if page.get("resourceType") == "Bundle" else None
        return pages

    def _server(self, request: HookRequest) -> str:
        server = (request.fhirServer or "").rstrip("/")
        if not server:
            raise Unavailable("no fhirServer in the request")
        if not any(url_has_prefix(server, p.rstrip("/")) for p in self.policy.allowlist):
            raise Unavailable("fhirServer is not in fhir_server_allowlist")
        return server

    async def _get(
        self, request: HookRequest, url: str, base: str, budget: _Budget
    ) -> Mapping[str, Any]:
        headers = {"Accept": FHIR_JSON}
        if request.fhirAuthorization is not None:
            headers["Authorization"] = f"Bearer {request.fhirAuthorization.access_token}"
        where = _resource_type(url, base)  # paths and queries hold patient ids: log neither
        try:
            # httpx's timeout bounds each read, not the call: a server that drips a byte at a
            # time would hold the call until the total budget ran out
            async with asyncio.timeout(self.policy.call_timeout):
                content = await self._read(url, headers, where, budget)
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise Unavailable(f"{where}: timed out (fetch_timeout_seconds)") from exc
        except httpx.HTTPError as exc:
            raise Unavailable(f"{where}: {type(exc).__name__}") from exc
        try:
            body = orjson.loads(content.removeprefix(b"\xef\xbb\xbf"))  # some servers send a BOM
        except orjson.JSONDecodeError as exc:
            raise Unavailable(f"{where}: not JSON") from exc
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise Unavailable(f"{where}: not a FHIR resource")
        if body["resourceType"] == "OperationOutcome":
            raise Unavailable(f"{where}: the server answered an OperationOutcome")
        return body

    async def _read(self, url: str, headers: dict[str, str], where: str, budget: _Budget) -> bytes:
        """The body of a 200 answer, read no further than the key's byte budget."""
        async with self.client.stream(
            "GET", url, headers=headers, timeout=self.policy.call_timeout, follow_redirects=False
        ) as response:
            if response.status_code != 200:
                raise Unavailable(f"{where}: HTTP {response.status_code}")
            declared = response.headers.get("content-length", "")
            if declared.isdigit():
                budget.allow(int(declared), where)  # refused before reading anything
            chunks = []
            async for chunk in response.aiter_bytes():  # decoded: a gzip bomb counts in full
                budget.read(len(chunk), where)
                chunks.append(chunk)
        return b"".join(chunks)


def _resource_type(url: str, base: str) -> str:
    """What a fetch URL asks for, safe to log: `Patient/p1` and `Condition?patient=p1` give
    `Patient` and `Condition`."""
    rest = url[len(base) :].lstrip("/")
    return rest.split("?", 1)[0].split("/", 1)[0] or "the server base"


def _check_required(result: Resolution, keys: Sequence[PrefetchKey]) -> None:
    missing = [k.key for k in keys if k.required and k.key in result.unavailable]
    if missing:
        names = ", ".join(missing)
        raise MissingDataError(
            f"required prefetch data not supplied and not fetchable: {names}",
            details={"missing": missing},
        )
