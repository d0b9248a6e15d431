"""Offline evaluation of one request file: what ``cds evaluate`` does, without printing."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from cds.errors import InputError, UnknownServiceError
from cds.hooks.models import HookRequest, dump_response, parse_hook_request
from cds.pack.load import load_pack
from cds.pipeline import Evaluator


def parse_request(raw: bytes) -> HookRequest:
    """A hook request from JSON bytes, parsed as the service parses it; InputError else."""
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InputError(f"request is not valid JSON: {exc}") from exc
    return parse_hook_request(data)


def evaluate_file(raw: bytes, pack_name: str | None, now: datetime) -> dict[str, Any]:
    """Evaluate a request with the pack's service for its hook; the response as JSON data."""
    request = parse_request(raw)
    pack = load_pack(pack_name)
    if request.hook not in pack.spec.pack.hooks:
        raise UnknownServiceError(f"pack {pack.id} has no service for hook '{request.hook}'")
    evaluator = Evaluator(pack)
    return dump_response(evaluator.evaluate(request, request.hook, now))
