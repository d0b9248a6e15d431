"""Offline evaluation of one request file: what ``cds evaluate`` does, without printing.

The request is read as the service reads it: against the keys its service declares (keys it
did not declare are ignored; a declared key that cannot be used, or that is one page of
several, is a data-check item, since nothing is fetched offline), and under the same settings
file (`site` overrides, `site_timezone` and `prefetch_templates`), so the cards are the
service's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from cds.call import call_of, prefetch_issues, unavailable_note
from cds.config import Settings
from cds.errors import InputError, UnknownServiceError
from cds.hooks.models import dump_response
from cds.hooks.prefetch import offline_resolution, read_prefetch, require_answerable
from cds.hooks.registry import parse_context, parse_hook_request
from cds.hooks.request import HookContext, HookRequest
from cds.pack.load import load_pack
from cds.pipeline import Evaluator
from cds.services import services_for


def parse_request(raw: bytes) -> tuple[HookRequest, HookContext | None]:
    """A hook request from JSON bytes, parsed as the service parses it (a UTF-8 byte order
    mark before it dropped), with its context parsed once (None for a hook the registry does
    not know); InputError else."""
    try:
        data = orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
    except orjson.JSONDecodeError as exc:
        raise InputError(f"request is not valid JSON: {exc}") from exc
    request = parse_hook_request(data, check_context=False)
    return request, parse_context(request.hook, request.context)


def evaluate_file(
    raw: bytes, pack_name: str | None, now: datetime, settings: Settings | None = None
) -> dict[str, Any]:
    """Evaluate a request with the pack's service for its hook; the response as JSON data.

    ``settings`` (``--config``) give the pack (unless ``pack_name`` names one), the site
    overrides and the site's time zone; without them, the pack's defaults and UTC.
    """
    parsed = parse_request(raw)  # a request that is no JSON is said before any pack is read
    settings = settings or Settings()
    pack = load_pack(pack_name or settings.pack)
    evaluator = Evaluator(pack, settings.site, timezone=settings.timezone)
    return _evaluate(evaluator, parsed, now, settings)


def evaluate_with(
    evaluator: Evaluator, raw: bytes, now: datetime, settings: Settings
) -> dict[str, Any]:
    """`evaluate_file` with the pack already loaded and compiled under ``settings``'s site
    (``evaluator``): what a caller evaluating many requests reuses (`cds.scenarios`)."""
    return _evaluate(evaluator, parse_request(raw), now, settings)


def _evaluate(
    evaluator: Evaluator,
    parsed: tuple[HookRequest, HookContext | None],
    now: datetime,
    settings: Settings,
) -> dict[str, Any]:
    request, context = parsed
    pack = evaluator.pack
    if context is None or request.hook not in pack.spec.pack.hooks:
        raise UnknownServiceError(f"pack {pack.id} has no service for hook '{request.hook}'")
    services = services_for(pack, settings.prefetch_templates)  # the service's own keys
    service = services[f"{pack.id}-{request.hook}"]
    received = read_prefetch(request.prefetch, service.keys)
    resolution = offline_resolution(received)
    notes = prefetch_issues(service.keys, resolution)
    call = call_of(service.hook, context, received.prefetch, now, notes=notes)
    evaluation = evaluator.run(call)
    keys = service.keys
    require_answerable(resolution, keys, evaluation.speaks)  # as the service's 412
    response = evaluation.response
    note = unavailable_note(resolution, call.issues)  # evaluated without some data: say so
    if note is not None:
        response = response.model_copy(update={"extension": note})
    return dump_response(response)
