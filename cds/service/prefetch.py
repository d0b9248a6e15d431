"""Prefetch resolution: complete, as far as we can, the data each prefetch template names.

What the CDS Client sent is first read by `cds.hooks.prefetch.read_prefetch` (undeclared keys
ignored, unusable values named). Then, per declared key (spec 2.0.1 §Prefetch):

* a resource or a complete Bundle: used as sent;
* `null`: the client knows there is no data, which is an answer, not a gap;
* an OperationOutcome, or something that is not a FHIR resource: the client's own fetch failed,
  so we fetch it ourselves;
* nothing (key absent): not attempted, so we fetch it ourselves;
* a Bundle with a `next` link: one page of several, so we follow the links (a relative link
  is read against `fhirServer`; a link already read for the key stops the paging);
* an OperationOutcome whose issues are all information or warnings ("no matches"), sent or
  answered: an empty answer.

Nothing received is ever discarded: a key whose next page cannot be fetched, or that reaches
`fetch_max_pages`, `fetch_max_bytes` or `fetch_max_entries`, keeps the pages read so far (the
templates ask for the newest first) and is reported as incomplete; a key that cannot be had at
all is unavailable. Whether the call can still be answered is decided after the evaluation
(the route): only a required key missing for a patient the pack does not speak about is 412.

Fetches go to the request's `fhirServer` with `fhirAuthorization.access_token`, concurrently,
with a per-call and a total time budget, and only when `fhirServer` lies under an allowlisted
prefix and passes `Outbound.check_url` (http(s), no userinfo, no private/link-local address:
see outbound.py): a request cannot make us contact an arbitrary host (SSRF). The access token
is never logged or stored, and logs name resource types, never URLs (they hold patient ids).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin

import httpx
import orjson

from cds.fhir import bundle
from cds.hooks.keys import PrefetchKey
from cds.hooks.prefetch import (
    NOT_SENT,
    Received,
    Resolution,
    checked_note,
    informational_outcome,
    next_link,
    read_prefetch,
)
from cds.hooks.request import HookRequest
from cds.service.outbound import Outbound
from cds.urls import UnsafeUrl, normalise_url, url_has_prefix

__all__ = [
    "FetchPolicy",
    "PrefetchKey",
    "PrefetchResolver",
    "Resolution",
    "Unavailable",
    "next_link",
    "render",
]

log = logging.getLogger(__name__)
#: An unavailable optional key is logged at WARNING at most this often per (key, reason); an
#: outage that starts later is still said, within this time.
_TELL_EVERY_S = 600
#: Most distinct (optional key, reason) pairs remembered for that.
_TOLD_MAX = 256

_TOKEN: Final = re.compile(r"\{\{\s*context\.([A-Za-z]+)\s*\}\}")
FHIR_JSON: Final = "application/fhir+json"


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


class Unavailable(Exception):
    """One page could not be fetched; the message is safe to log (no token)."""


class _Limit(Unavailable):
    """A limit of the policy was reached: what was read is kept, the rest is cut off."""


@dataclass
class _Pages:
    """What one key's fetch read so far (kept even when it stops half-way)."""

    pages: list[Mapping[str, Any]] = field(default_factory=list)
    entries: int = 0
    total: int | None = None
    stopped: str = ""
    truncated: bool = False


@dataclass
class _Budget:
    """What one prefetch key may still read, all its pages together."""

    policy: FetchPolicy
    bytes_read: int = 0

    def allow(self, size: int, where: str) -> None:
        """_Limit if `size` more bytes would go past the budget."""
        if self.bytes_read + size > self.policy.max_bytes:
            raise _Limit(f"{where}: more than {self.policy.max_bytes} bytes (fetch_max_bytes)")

    def read(self, size: int, where: str) -> None:
        self.allow(size, where)
        self.bytes_read += size


def render(template: str, context: Mapping[str, Any]) -> str:
    """The relative FHIR URL of `template` for this call's context (2.0 context tokens only)."""

    def value(match: re.Match[str]) -> str:
        item = context.get(match.group(1))
        if not isinstance(item, str) or not item:
            raise Unavailable(f"context.{match.group(1)} is not a string")
        return item

    return _TOKEN.sub(value, template)


class PrefetchResolver:
    """Fills a request's prefetch gaps from its FHIR server, within the policy."""

    def __init__(self, client: httpx.AsyncClient, policy: FetchPolicy) -> None:
        self.client = client
        self.policy = policy
        self._told: dict[tuple[str, str], float] = {}
        """(optional key, reason) → when it was last logged at WARNING: an EHR that never
        sends a key would otherwise log it on every call (the cards say it each time)."""

    async def resolve(
        self,
        request: HookRequest,
        keys: Sequence[PrefetchKey],
        received: Received | None = None,
    ) -> Resolution:
        """Fetch what is missing, failed or paged; say what could not be had, and how much of
        each incomplete key was read. Never raises for missing data: the caller decides."""
        if received is None:
            received = read_prefetch(request.prefetch, keys)
        result = Resolution()
        tasks: dict[str, tuple[_Pages, asyncio.Task[None]]] = {}
        async with asyncio.TaskGroup() as group:
            for spec in keys:
                job = self._job(request, spec, received)
                if job is not None:
                    progress = _Pages()
                    task = group.create_task(self._bounded(spec, job(progress), progress))
                    tasks[spec.key] = (progress, task)
        for spec in keys:
            if spec.key in tasks:
                self._settle(spec.key, received, tasks[spec.key][0], result)
        return result

    def _job(self, request: HookRequest, spec: PrefetchKey, received: Received) -> Any:
        """What completes `spec.key` (a function of the progress record), or None."""
        if spec.key in received.follow:
            link = received.follow[spec.key]
            return lambda progress: self._pages(request, link, progress, "the next page link")
        if spec.key in received.fetch:
            return lambda progress: self._fetch_key(request, spec, progress)
        return None

    @staticmethod
    def _settle(key: str, received: Received, progress: _Pages, result: Resolution) -> None:
        """File one key's fetch into the resolution: whole, incomplete or unavailable."""
        if progress.pages:
            result.fetched.append(key)
            result.extra += [(f"fetched.{key}", page) for page in progress.pages]
        if not progress.stopped:
            return
        following = key in received.follow
        if not following and not progress.pages:
            result.unavailable.append(key)
            result.reasons[key] = progress.stopped
            if received.fetch.get(key, NOT_SENT) != NOT_SENT:
                result.sent[key] = received.fetch[key]
            return
        entries = progress.entries + (received.entries(key) if following else 0)
        total = received.total(key) if following else progress.total
        note = checked_note(entries, total, progress.stopped, truncated=progress.truncated)
        result.incomplete[key] = note

    async def _bounded(self, spec: PrefetchKey, job: Any, progress: _Pages) -> None:
        """Run one key's fetch within the total time budget; on failure say why in
        ``progress`` (its pages read so far stay)."""
        try:
            async with asyncio.timeout(self.policy.total_timeout):
                await job
        except (Unavailable, TimeoutError) as exc:
            progress.stopped = str(exc) or "total time budget exceeded (fetch_total_seconds)"
            progress.truncated = isinstance(exc, _Limit)
            self._tell(spec, progress.stopped)

    def _tell(self, spec: PrefetchKey, reason: str) -> None:
        if spec.required:
            log.warning("prefetch key %r not had in full: %s", spec.key, reason)
        elif self._time_to_tell((spec.key, reason)):
            log.warning(
                "prefetch key %r not had in full: %s; evaluating what was received (said at "
                "most every %d minutes; meanwhile at debug level)",
                spec.key,
                reason,
                _TELL_EVERY_S // 60,
            )
        else:
            log.debug(
                "prefetch key %r not had in full: %s; evaluating what was received",
                spec.key,
                reason,
            )

    def _time_to_tell(self, what: tuple[str, str]) -> bool:
        now = time.monotonic()
        last = self._told.get(what)
        if last is not None and now - last < _TELL_EVERY_S:
            return False
        if len(self._told) >= _TOLD_MAX:  # many distinct reasons: forget the oldest told
            del self._told[min(self._told, key=self._told.__getitem__)]
        self._told[what] = now
        return True

    async def _fetch_key(self, request: HookRequest, spec: PrefetchKey, progress: _Pages) -> None:
        base = self._server(request)
        url = f"{base}/{render(spec.template, request.context).lstrip('/')}"
        await self._pages(request, url, progress)

    async def _pages(
        self, request: HookRequest, url: str, progress: _Pages, what: str = "fhirServer"
    ) -> None:
        """Read `url` and every `next` page after it into ``progress``, up to the limits; a
        URL refused is named as ``what`` (the first) or as the next page link."""
        base = self._server(request)
        budget = _Budget(self.policy)
        next_url: str | None = urljoin(f"{base}/", url)  # a relative link: on the FHIR server
        seen: set[str] = set()
        while next_url is not None:
            try:
                next_url = normalise_url(next_url)  # what is sent is what is checked
            except UnsafeUrl as exc:
                raise Unavailable(f"{what} refused: {exc}") from None
            if next_url in seen:
                raise Unavailable("page link repeats")
            seen.add(next_url)
            if len(progress.pages) >= self.policy.max_pages:
                raise _Limit(f"more than {self.policy.max_pages} pages (fetch_max_pages)")
            if not url_has_prefix(next_url, base):
                raise Unavailable("a page link leaves the FHIR server")
            try:
                await self.policy.outbound.check_url(next_url, (base,))
            except UnsafeUrl as exc:
                raise Unavailable(f"{what} refused: {exc}") from None
            page = await self._get(request, next_url, base, budget)
            self._add(progress, page, _resource_type(next_url, base))
            what = "the next page link"
            link = next_link(page) if page.get("resourceType") == "Bundle" else None
            next_url = urljoin(f"{base}/", link) if link is not None else None

    def _add(self, progress: _Pages, page: Mapping[str, Any], where: str) -> None:
        """Keep one page; past `fetch_max_entries`, only its first entries, then stop."""
        entries = page.get("entry") if page.get("resourceType") == "Bundle" else None
        if isinstance(entries, Mapping):
            entries = [entries]
            page = {**page, "entry": entries}
        if progress.total is None and isinstance(page.get("total"), int):
            progress.total = page["total"]
        count = len(entries) if isinstance(entries, list) else 0
        room = self.policy.max_entries - progress.entries
        if count > room:
            progress.pages.append({**page, "entry": (entries or [])[:room]})
            progress.entries += room
            limit = self.policy.max_entries
            raise _Limit(f"{where}: more than {limit} entries (fetch_max_entries)")
        progress.pages.append(page)
        progress.entries += count

    async def read_resource(self, request: HookRequest, path: str) -> Mapping[str, Any]:
        """One resource by its relative ``path`` (``Medication/m1``) on the request's FHIR
        server, under the same policy as the keys; Unavailable when it cannot be had."""
        base = self._server(request)
        try:
            url = normalise_url(f"{base}/{path}")
            if not url_has_prefix(url, base):
                raise Unavailable("the reference leaves the FHIR server")
            await self.policy.outbound.check_url(url, (base,))
        except UnsafeUrl as exc:
            raise Unavailable(f"refused: {exc}") from None
        async with asyncio.timeout(self.policy.total_timeout):
            return await self._get(request, url, base, _Budget(self.policy))

    def _server(self, request: HookRequest) -> str:
        """The request's `fhirServer`, normalised, if it may be fetched from; else Unavailable
        (named in the 412 or the data-check card)."""
        if not request.fhirServer:
            raise Unavailable("no fhirServer in the request")
        if "?" in request.fhirServer or "#" in request.fhirServer:
            # `{fhirServer}/Patient/1` would put the path inside the query: the server would
            # answer its base, and the key would look fetched and empty.
            raise Unavailable("fhirServer has a query or fragment: it must be a base URL")
        try:
            server = normalise_url(request.fhirServer).rstrip("/")
        except UnsafeUrl as exc:
            raise Unavailable(f"fhirServer refused: {exc}") from None
        if not any(_under_prefix(server, prefix) for prefix in self.policy.allowlist):
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
        if informational_outcome(body):  # "no matches": an empty answer
            return bundle((), "searchset")
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


def _under_prefix(server: str, prefix: str) -> bool:
    """True if the normalised `server` lies under the allowlisted `prefix` (normalised too)."""
    try:
        return url_has_prefix(server, normalise_url(prefix).rstrip("/"))
    except UnsafeUrl:
        return False
