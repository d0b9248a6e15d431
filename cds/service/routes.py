"""The three CDS Hooks endpoints, plus `/healthz`. Each parses, authorises, gathers data,
calls the spine, and serialises; the clinical decisions are all in `Evaluator.run`.

Every GET route answers HEAD too, and each CDS Hooks path answers with a trailing slash as
well (`/cds-services/`): the same route, never a redirect.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final

import anyio
import anyio.to_thread
import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from cds.call import HookCall, call_of, prefetch_issues, unavailable_note
from cds.config import is_loopback
from cds.errors import (
    AuthError,
    InputError,
    MissingDataError,
    StoreUnavailable,
    UnknownServiceError,
)
from cds.hooks.feedback import parse_feedback_batch
from cds.hooks.models import Card, dump_discovery, dump_response
from cds.hooks.prefetch import read_prefetch, require_answerable
from cds.hooks.registry import parse_context, parse_hook_request
from cds.hooks.request import HookContext, HookRequest
from cds.pipeline import Evaluation
from cds.service.body import json_object, read_body
from cds.service.draft_medications import fetch_draft_medications
from cds.service.health import health_body
from cds.service.openapi import openapi_document
from cds.service.state import ServiceState, service_state
from cds.services import ServiceSpec, discovery
from cds.store import CardRecord, client_of, hash_patient

log = logging.getLogger("cds.service")
router = APIRouter()

#: Seconds a feedback call waits for the issued cards queued before it to be recorded (503 past).
FEEDBACK_FLUSH_S: Final = 5.0


@router.api_route("/cds-services", methods=["GET", "HEAD"])
@router.api_route("/cds-services/", methods=["GET", "HEAD"], include_in_schema=False)
async def get_discovery(request: Request) -> Response:
    """Discovery: the pack's services."""
    state = service_state(request)
    await _authorise(request)
    return _json(dump_discovery(discovery(state.services)))


@router.api_route("/healthz", methods=["GET", "HEAD"], include_in_schema=False)
async def get_health(request: Request) -> Response:
    """For load balancers: unauthenticated, no PHI; 200 while the service answers (hooks do not
    need the store), the body saying whether the store answers."""
    reachable = await service_state(request).store_probe.reachable()
    return _json(health_body(reachable))


@router.api_route("/openapi.json", methods=["GET", "HEAD"], include_in_schema=False)
async def get_openapi(request: Request) -> Response:
    """The OpenAPI document of the services (authorised like discovery)."""
    state = service_state(request)
    await _authorise(request)
    document = getattr(request.app.state, "openapi", None)
    if document is None:
        document = openapi_document(state.services, request.app.title, state.pack.version)
        request.app.state.openapi = document
    return _json(document)


@router.post("/cds-services/{service_id}")
@router.post("/cds-services/{service_id}/", include_in_schema=False)
async def call_service(request: Request, service_id: str) -> Response:
    """A hook call: resolve prefetch, evaluate, answer cards, record them after answering."""
    state = service_state(request)
    timer = _Timer()
    client = await _authorise(request)
    spec = _service(request, service_id)
    body = await read_body(request)
    small = len(body) <= state.settings.inline_max_bytes
    parse = partial(_parse_call, body, spec)  # a large body is parsed off the event loop too
    hook_request, context = parse() if small else await run_in_threadpool(parse)
    timer.lap("parse")
    received = read_prefetch(hook_request.prefetch, spec.keys)
    resolution = await state.resolver.resolve(hook_request, spec.keys, received)
    medications = await fetch_draft_medications(
        state.resolver, hook_request, context, received.prefetch
    )
    resolution.extra += medications.found
    timer.lap("prefetch")
    now = datetime.now(UTC)
    notes = [*prefetch_issues(spec.keys, resolution), *medications.issues]

    def evaluate() -> tuple[HookCall, Evaluation]:
        call = call_of(spec.hook, context, received.prefetch, now, resolution.extra, notes)
        return call, state.evaluator.run(call)

    call, evaluation = (
        # A small call is a few ms of pure Python at most: no longer than the GIL would hold
        # other requests anyway (switch interval 5 ms), and the hop to a worker thread and back
        # cost a third of a whole call (bench/service.py). Settings.inline_max_bytes.
        # If another call holds the engine (a large one, on a thread), wait on a thread, not
        # on the event loop.
        evaluate()
        if small and not resolution.fetched and not state.evaluator.busy
        else await run_in_threadpool(evaluate)
    )
    response = evaluation.response
    timer.lap("evaluate")
    try:
        require_answerable(resolution, spec.keys, evaluation.speaks)
    except MissingDataError as exc:  # a hook answer too: it says its Server-Timing
        from cds.service.app import operation_outcome  # app imports this module

        missing = operation_outcome(exc.http_status, exc.message, exc.code, exc.details)
        missing.headers["Server-Timing"] = timer.header()
        return missing
    note = unavailable_note(resolution, call.issues)  # evaluated without some data: say so
    if note is not None:
        response = response.model_copy(update={"extension": note})
    log.debug("%s: %d card(s); %s", spec.id, len(response.cards), timer.header())
    records = card_records(state, spec, context.patientId, evaluation, now, client)
    # built by the spine a moment ago (cards validated as they were made) and given only the
    # extension above: not validated a second time
    answer = _json(
        dump_response(response, validate=False), headers={"Server-Timing": timer.header()}
    )
    state.recorder.submit(records)  # written by its own thread: a slow store never holds a hook
    return answer


@router.post("/cds-services/{service_id}/feedback")
@router.post("/cds-services/{service_id}/feedback/", include_in_schema=False)
async def post_feedback(request: Request, service_id: str) -> Response:
    """Feedback on cards: each good item stored once; 400 naming the refused items (the good
    ones are stored all the same); 503 when the store is down."""
    state = service_state(request)
    client = await _authorise(request)
    _service(request, service_id)
    batch = parse_feedback_batch(
        json_object(await read_body(request)), state.settings.feedback_max_items
    )
    refused = dict(batch.refused)
    if batch.items:
        # not the evaluator's threads: the store may hang (locked)
        run = partial(anyio.to_thread.run_sync, limiter=state.store_limiter)
        # a card answered a moment ago may still wait in the recorder's queue: written first
        if not await run(state.recorder.flush, FEEDBACK_FLUSH_S):
            raise StoreUnavailable("store unavailable: issued cards are not recorded yet")
        if state.recorder.waiting(item.card for item in batch.items.values()):
            # its card was answered while the store was failing and waits to be written:
            # come back later, not "no card with this uuid" (400) for a card we did issue
            raise StoreUnavailable("store unavailable: a card of this feedback is not recorded yet")
        indexes = list(batch.items)
        outcome = await run(
            state.store.record_feedback,
            service_id,
            [batch.items[i] for i in indexes],
            datetime.now(UTC),
            client,
        )
        for position, refusal in outcome.refused.items():
            refused[indexes[position]] = f"{refusal.field}: {refusal.reason}"
    if refused:
        return _refused_feedback(batch.size, refused)
    return _json({})


def _refused_feedback(size: int, refused: dict[int, str]) -> Response:
    """400: an OperationOutcome whose issue lists the refused items (`expression`:
    ``feedback[i]``) and why, and says the others were stored."""
    from cds.service.app import operation_outcome  # app imports this module

    order = sorted(refused)
    stored = size - len(order)
    message = (
        f"{len(order)} of {size} feedback items refused"
        + (f" ({_stored(stored)})" if stored else "")
        + ": "
        + "; ".join(f"feedback[{i}]" + _at(refused[i]) for i in order)
    )
    response = operation_outcome(400, message, "invalid-feedback")
    body = orjson.loads(response.body)
    body["issue"][0]["expression"] = [f"feedback[{i}]" for i in order]
    return Response(orjson.dumps(body), status_code=400, media_type="application/json")


def _stored(count: int) -> str:
    """``the other one was stored``, ``the other 2 were stored``."""
    return "the other one was stored" if count == 1 else f"the other {count} were stored"


def _at(what: str) -> str:
    """``card: must be …`` → ``.card: must be …``; a message with no field → ``: message``."""
    field, sep, _ = what.partition(": ")
    return f".{what}" if sep and " " not in field else f": {what}"


async def _authorise(request: Request) -> str | None:
    """Refuse the request unless it may be answered; who it comes from (`client_of` its JWT;
    None in development mode)."""
    state = service_state(request)
    if state.settings.dev_mode:
        refuse_outside_development(request)
    called = state.settings.external_base_url + request.url.path
    return client_of(
        await state.auth.verify(request.headers.get("authorization"), *_audiences(called))
    )


def _audiences(called: str) -> tuple[str, ...]:
    """The URLs a call's JWT ``aud`` may name: the URL called; for feedback, also its
    service's URL, with or without a trailing slash (as the EHR registered it). The spec does
    not spell out feedback's audience, and some EHRs sign it with the service's (the token's
    ``jti`` is still spent once, whichever endpoint takes it)."""
    service, sep, rest = called.rstrip("/").rpartition("/feedback")
    return (called, service, f"{service}/") if sep and not rest else (called,)


def refuse_outside_development(request: Request) -> None:
    """AuthError unless a request may be answered without a JWT (development mode).

    Only a loopback Host name: a web page cannot reach the service through a DNS name rebound
    to 127.0.0.1. And no proxy header: a reverse proxy on the same host reaches it from
    loopback, often with a loopback Host (nginx sends the upstream address), and would serve
    every client unauthenticated. And no POST from a browser page whose origin is not in
    ``cors_origins``: a page on another site may send one without a CORS preflight (no
    Content-Type, or a "simple" one), and it would write cards and feedback into the store.
    Each reason is logged at warning level once per process.
    """
    reason = None
    via = proxy_header(request.scope["headers"])
    origin = request.headers.get("origin")
    if via is not None:
        reason = f"a request carrying a proxy header ({via})"
    elif not is_loopback(_host_name(request.headers.get("host", ""))):
        reason = "a request for a Host that is not a loopback name"
    elif (
        request.method == "POST"
        and origin is not None
        and origin not in service_state(request).settings.cors_origins
    ):
        reason = "a POST from a browser origin not in cors_origins"
    if reason is None:
        return
    said = service_state(request).dev_refusals
    if reason not in said:
        said.add(reason)
        log.warning(
            "development mode (no jwt_issuers) refused %s with 401: it answers only direct "
            "loopback calls; configure jwt_issuers to serve through a proxy (said once)",
            reason,
        )
    raise AuthError(f"development mode refused {reason}")


#: Headers a proxy adds (RFC 7239 `Forwarded`, RFC 9110 `Via`, the de-facto `X-Forwarded-*`,
#: nginx's usual `X-Real-IP`), lower-case as ASGI servers give header names.
PROXY_HEADERS: Final = {b"forwarded": "Forwarded", b"via": "Via", b"x-real-ip": "X-Real-IP"}


def proxy_header(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The proxy header among `headers`, as a kind ("Via", "X-Forwarded-*", ...), or None."""
    for raw, _ in headers:
        name = raw.lower()
        if name in PROXY_HEADERS:
            return PROXY_HEADERS[name]
        if name.startswith(b"x-forwarded-"):
            return "X-Forwarded-*"
    return None


def _host_name(host: str) -> str:
    """The name part of a Host header (``[::1]:8080`` → ``[::1]``, ``a:80`` → ``a``)."""
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _service(request: Request, service_id: str) -> ServiceSpec:
    spec = service_state(request).services.get(service_id)
    if spec is None:
        raise UnknownServiceError("no such service (see GET /cds-services)")
    return spec


def _parse_call(body: bytes, spec: ServiceSpec) -> tuple[HookRequest, HookContext]:
    """The hook call and its typed context (parsed once), its hook checked before its
    context: a call of another hook is told so, not that its context lacks what this hook's
    context needs."""
    hook_request = parse_hook_request(json_object(body), check_context=False)
    if hook_request.hook != spec.hook:
        raise InputError(f"service {spec.id} answers '{spec.hook}', not the request's hook")
    context = parse_context(spec.hook, hook_request.context)
    if context is None:  # a service is only ever made for a hook of the registry
        raise InputError(f"service {spec.id} answers no known hook")
    return hook_request, context


def card_records(
    state: ServiceState,
    spec: ServiceSpec,
    patient_id: str,
    evaluation: Evaluation,
    now: datetime,
    client: str | None = None,
) -> list[CardRecord]:
    """What the store keeps about each issued card (the patient as a keyed hash, and the
    client that received it: only it may give the card's feedback)."""
    patient = hash_patient(patient_id, state.hash_key)
    return [
        CardRecord(
            uuid=card.uuid,
            service_id=spec.id,
            pack_id=state.pack.id,
            pack_version=state.pack.version,
            topic=card.source.topic.code if card.source.topic else "",
            indicator=card.indicator,
            rule_ids=evaluation.rules_of(card) or (topic_rule(card),),
            patient_hash=patient,
            issued_at=now,
            suggestion_uuids=tuple(s.uuid for s in card.suggestions or () if s.uuid),
            client=client,
        )
        for card in evaluation.response.cards
        if card.uuid
    ]


def topic_rule(card: Card) -> str:
    """The rule id a card with no rule behind it is recorded under: ``topic:<its topic>``. A
    data-check card raised only for prefetch data that could not be had shows no rule's
    findings; without an id it would be invisible to `cds feedback report`."""
    return f"topic:{card.source.topic.code if card.source.topic else 'none'}"


def _json(data: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(data), media_type="application/json", headers=headers)


class _Timer:
    """Per-step durations for the Server-Timing header (auth+parse, prefetch, evaluate)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, (now - self.last) * 1000))
        self.last = now

    def header(self) -> str:
        return ", ".join(f"{name};dur={ms:.1f}" for name, ms in self.laps)
