"""A draft order's medicine that the client named only by reference, fetched.

An order hook's draft MedicationRequest may give its drug as ``medicationReference`` to a
Medication the client did not send: not contained in the order, not beside it in
``draftOrders``, not in the prefetch. Its cautions (an NSAID in kidney disease) cannot be
checked without it, so the service reads it from ``fhirServer`` (with the request's
``fhirAuthorization``, under the same allowlist and limits as the prefetch keys), as
``fetched.medications``. One that cannot be had stays a data-check item naming the reference,
and a second item says why the server did not give it (an HTTP error, a time-out, another
resource type, the per-call limit), for the integrator to fix.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from cds.errors import InputError
from cds.facts.gather import bundle_resources
from cds.facts.model import DataIssue
from cds.fhir import FHIR_ID, medication_key
from cds.hooks.request import HookContext, HookRequest
from cds.service.prefetch import PrefetchResolver, Unavailable
from cds.urls import UnsafeUrl, normalise_url, url_has_prefix

log = logging.getLogger(__name__)

MAX_FETCHED: Final = 10
"""The most Medications read for one call (a Bundle of many draft orders must not become as
many fetches)."""


@dataclass
class DraftMedications:
    """What became of the draft orders' Medications the client did not send."""

    found: list[tuple[str, object]] = field(default_factory=list)
    """Each Medication read, as ``("fetched.medications", resource)``."""
    issues: list[DataIssue] = field(default_factory=list)
    """Why each one that was looked for could not be read (data-check items)."""


async def fetch_draft_medications(
    resolver: PrefetchResolver,
    request: HookRequest,
    context: HookContext,
    prefetch: Mapping[str, object],
) -> DraftMedications:
    """The Medications the draft orders reference and the client did not send, read from the
    FHIR server; nothing is looked for without a fhirServer."""
    drafts = getattr(context, "draftOrders", None)
    out = DraftMedications()
    if not request.fhirServer or drafts is None:
        return out
    sent = _sent_medications(drafts, prefetch)
    wanted = _unresolved(_resources(drafts), sent, request.fhirServer)
    read = await asyncio.gather(*(_read(resolver, request, path) for path in wanted[:MAX_FETCHED]))
    for path, (resource, reason) in zip(wanted, read, strict=False):
        if resource is not None:
            out.found.append(("fetched.medications", resource))
        else:
            out.issues.append(_unread(path, reason))
    out.issues += [
        _unread(path, f"not asked for: at most {MAX_FETCHED} are read for one call")
        for path in wanted[MAX_FETCHED:]
    ]
    return out


def _unread(path: str, reason: str) -> DataIssue:
    return DataIssue(
        rid=path,
        message=f"a draft order's medicine, which could not be read from the FHIR server "
        f"({reason}); its cautions were not checked",
        recheck="which medicine the order is for; the reason is for the EHR team and this "
        "service's operators",
        headline=f"draft order's medicine {path} could not be read from the FHIR server",
    )


async def _read(
    resolver: PrefetchResolver, request: HookRequest, path: str
) -> tuple[Mapping[str, Any] | None, str]:
    """The Medication at ``path``, or None and why not (words safe to answer: no token)."""
    try:
        resource = await resolver.read_resource(request, path)
    except TimeoutError:
        log.info("a draft order's Medication could not be fetched: timed out")
        return None, "timed out"
    except Unavailable as exc:
        log.info("a draft order's Medication could not be fetched: %s", exc)
        return None, str(exc) or "unavailable"
    kind = resource.get("resourceType")
    if kind != "Medication":
        return None, f"the server answered with {str(kind)[:40]!r}, not a Medication"
    return resource, ""


def _unresolved(drafts: Iterable[Mapping[str, Any]], sent: set[str], server: str) -> list[str]:
    """``Medication/<id>`` of each draft MedicationRequest's reference that nothing sent
    holds: relative, or absolute under ``server`` (contained ``#`` and ``urn:`` references are
    the client's to send; another server's Medication is not ours to read from this one)."""
    wanted: list[str] = []
    for res in drafts:
        if res.get("resourceType") != "MedicationRequest":
            continue
        ref = res.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, Mapping) else None
        if not isinstance(target, str) or target.startswith(("#", "urn:")):
            continue
        if "://" in target and not _under(target, server):
            continue
        key = medication_key(target)
        if key not in sent and key not in wanted and FHIR_ID.match(key[len("Medication/") :]):
            wanted.append(key)
    return wanted


def _under(url: str, server: str) -> bool:
    """Is the absolute ``url`` on the FHIR server ``server`` (a base URL)?"""
    try:
        return url_has_prefix(normalise_url(url), normalise_url(server).rstrip("/") + "/")
    except UnsafeUrl:
        return False


def _sent_medications(drafts: object, prefetch: Mapping[str, object]) -> set[str]:
    """``Medication/<id>`` of every Medication the client sent, in draftOrders or prefetch."""
    found = [*_resources(drafts)]
    for value in prefetch.values():
        found += _resources(value)
    return {f"Medication/{r.get('id')}" for r in found if r.get("resourceType") == "Medication"}


def _resources(value: object) -> list[Mapping[str, Any]]:
    """What a draftOrders or prefetch value holds, read as gather reads it (a Bundle, a bare
    list, one resource); nothing when it holds no resource (gather says so in the cards)."""
    try:
        return bundle_resources(value, "prefetch", [])
    except InputError:
        return []
