"""A hook call parsed once, at the edge: all the spine takes, and nothing else.

Each transport builds one `HookCall`. The HTTP service and ``cds evaluate`` build it from the
request they read, its context parsed once (`call_of`). Batch review builds it straight from
a patient's parsed resources, with no Bundle or request wrapped around them
(`recorded_call`). Either way the record is gathered by the same `patient_record`: one
patient's resources, each copy kept, another patient's left out and said. The spine
(`cds.pipeline.Evaluator.run`) then checks nothing again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cds.errors import InputError
from cds.facts.gather import Record, patient_record
from cds.facts.model import DataIssue
from cds.hooks.keys import PrefetchKey
from cds.hooks.prefetch import Resolution
from cds.hooks.registry import HOOKS, Hook, parse_context
from cds.hooks.request import HookContext, HookRequest, OrderSelectContext, draft_references


@dataclass(frozen=True, slots=True)
class HookCall:
    """One hook call: its hook, its parsed context, the patient's record, the draft orders
    (order hooks), the evaluation time and what the caller could not get."""

    hook: Hook
    context: HookContext
    """The call's context, parsed: the hook's own model off the wire, or the common fields
    (``userId``, ``patientId``, ``encounterId``) for a call batch review replays."""
    record: Record
    """The patient's resources from prefetch, from the FHIR server, or from a batch record."""
    drafts: Record
    """The draft orders of an order hook (none for the others)."""
    now: datetime
    """The evaluation time (zoned)."""
    notes: tuple[DataIssue, ...] = ()
    """What the caller could not get (a prefetch key the FHIR server failed to give): a sign
    in missing data was not checked, so the cards say it."""

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise InputError("the evaluation time must carry a time zone")

    @property
    def patient_id(self) -> str:
        return self.context.patientId

    @property
    def encounter_id(self) -> str | None:
        return self.context.encounterId or None

    @property
    def issues(self) -> list[DataIssue]:
        """Every data-check item of the call, in order: notes, record, drafts."""
        return [*self.notes, *self.record.issues, *self.drafts.issues]


def call_of(
    hook: Hook,
    context: HookContext,
    prefetch: Mapping[str, Any] | None,
    now: datetime,
    extra: Iterable[tuple[str, object]] = (),
    notes: Sequence[DataIssue] = (),
) -> HookCall:
    """The call of a request read off the wire: ``context`` already parsed as ``hook``'s
    (`cds.hooks.registry.parse_context`), ``prefetch`` as read against the service's keys,
    ``extra`` the resources fetched from the FHIR server (``fetched.<key>``, payload)."""
    patient_id = context.patientId
    sources = [*((f"prefetch.{k}", v) for k, v in (prefetch or {}).items()), *extra]
    record = patient_record(patient_id, sources, hook, context.encounterId)
    drafts = Record()
    if HOOKS[hook].draft_orders:
        orders = getattr(context, "draftOrders", None)
        drafts = patient_record(patient_id, [("context.draftOrders", orders)])
        drafts.urls = entry_urls(orders)
        if isinstance(context, OrderSelectContext):  # selections belong to order-select only
            drafts.issues += selection_issues(context.selections, orders)
    return HookCall(hook, context, record, drafts, now, tuple(notes))


def entry_urls(bundle: object) -> dict[str, Any]:
    """The resources of a Bundle's entries by their ``urn:`` fullUrl (``urn:uuid:…``), by
    which another entry may reference them."""
    entries = bundle.get("entry") if isinstance(bundle, dict) else bundle
    if not isinstance(entries, list):
        return {}
    return {
        url: entry["resource"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(url := entry.get("fullUrl"), str)
        and url.startswith("urn:")
        and isinstance(entry.get("resource"), dict)
    }


def recorded_call(
    hook: Hook,
    context: HookContext,
    resources: Iterable[tuple[str, Mapping[str, Any]]],
    drafts: Iterable[Mapping[str, Any]],
    now: datetime,
) -> HookCall:
    """The call batch review replays from a patient's parsed record: each resource with the
    prefetch key an EHR would have sent it under (``prefetch.<key>``, resource), gathered as
    the service gathers what it is sent; ``drafts`` the orders being signed."""
    patient_id = context.patientId
    record = patient_record(patient_id, resources, hook, context.encounterId)
    orders = patient_record(patient_id, [("context.draftOrders", d) for d in drafts])
    return HookCall(hook, context, record, orders, now)


def selection_issues(selections: object, drafts: object) -> list[DataIssue]:
    """order-select's `selections` that name no resource of `draftOrders`: a data-check item
    each (every draft order received was still checked), never a 400 that loses the cards."""
    if not isinstance(selections, list):
        return []
    known = draft_references(drafts)
    return [
        DataIssue(
            rid=f"context.selections[{index}]",
            message=(
                f"selection {reference} names no order in draftOrders; "
                "every draft order received was checked"
            ),
            recheck="which order was selected; ask the EHR team to check the selections it sends",
            headline=f"selection {reference} names no draft order",
        )
        for index, reference in enumerate(selections)
        if isinstance(reference, str) and reference not in known
    ]


def prefetch_issues(keys: Sequence[PrefetchKey], resolution: Resolution) -> list[DataIssue]:
    """The data-check items of a call's prefetch: each key that could not be had, or was read
    only in part, with what happened and what to re-check in the chart (the card's wording is
    the card builder's)."""
    recheck = {k.key: k.recheck for k in keys}
    return [
        DataIssue(rid=f"prefetch.{key}", message=message, recheck=recheck.get(key))
        for key, message in resolution.gaps()
    ]


def request_call(
    request: HookRequest, now: datetime, extra: Iterable[tuple[str, object]] = ()
) -> HookCall:
    """The call of a parsed request taken as sent, every prefetch key read as given: for
    tools and tests that hold a request but no service. The transports read prefetch against
    their service's keys, keep the context they parsed, and use `call_of`. InputError for a
    hook the registry does not know, or a context that is not that hook's."""
    context = parse_context(request.hook, request.context)
    if context is None:
        raise InputError(f"no hook '{request.hook}' is served here")
    return call_of(request.hook, context, request.prefetch, now, extra)  # type: ignore[arg-type]


#: Response extension listing the prefetch keys that could not be had, or only in part (the
#: cards were computed without the rest): `[{"key": "observations", "reason": "Observation:
#: HTTP 500"}, {"key": "conditions", "reason": "only the first 20 of 57 ...", "partial": true}]`.
UNAVAILABLE_EXTENSION: Final = "org.example.cds.prefetch-unavailable"


def unavailable_note(
    resolution: Resolution, issues: Sequence[DataIssue] = ()
) -> dict[str, Any] | None:
    """The response extension naming the prefetch keys evaluated without (or only in part),
    and why: a key the EHR's own search reported a problem with is partial too (``issues``
    carry it); None when every key was had in full."""
    unavailable = [
        {"key": key, "reason": resolution.reasons.get(key, "unavailable")}
        for key in resolution.unavailable
    ]
    partial = [
        {"key": key, "reason": note, "partial": True} for key, note in resolution.incomplete.items()
    ]
    said = {*resolution.unavailable, *resolution.incomplete}
    for issue in issues:
        if issue.partial_key is not None and issue.partial_key not in said:
            said.add(issue.partial_key)
            partial.append({"key": issue.partial_key, "reason": issue.message, "partial": True})
    return {UNAVAILABLE_EXTENSION: [*unavailable, *partial]} if unavailable or partial else None
