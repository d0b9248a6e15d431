"""Fuzzing the request parsers: any JSON in, a model or an InputError (400) out; nothing else."""

from __future__ import annotations

from typing import Any

import orjson
from hypothesis import example, given
from hypothesis import strategies as st

from cds.errors import InputError
from cds.hooks.feedback import parse_feedback
from cds.hooks.registry import HOOKS, parse_hook_request, validate_context
from cds.hooks.request import HookRequest
from tests.fuzz.strategies import (
    FEEDBACK,
    GOLDEN,
    dumps,
    fuzz_settings,
    json_values,
    mutate,
    mutated_requests,
)

FUZZ = fuzz_settings()


def _parse_or_input_error(data: Any) -> HookRequest | None:
    """Parse like the service does; only InputError may escape (that is the 400)."""
    try:
        request = parse_hook_request(data)
    except InputError as exc:
        assert exc.http_status == 400
        assert exc.message.startswith("invalid hook request") or "context" in exc.message
        return None
    # what the parser let through is what the rest of the service relies on; a hook no
    # service answers is refused by the route before its context is read (its context is not
    # checked here: `validate_context`)
    assert isinstance(request.context, dict)
    if request.hook in HOOKS:
        assert isinstance(request.context["patientId"], str)
    validate_context(request.hook, request.context)
    return request


@FUZZ
@given(json_values())
def test_any_json_parses_or_is_an_input_error(data: Any) -> None:
    _parse_or_input_error(data)


@FUZZ
@given(mutated_requests())
def test_mutated_golden_requests_parse_or_are_input_errors(case: tuple[str, Any]) -> None:
    _, data = case
    # as the service sees it: through a JSON round trip (big ints become floats, etc.)
    try:
        data = orjson.loads(dumps(data))
    except orjson.JSONDecodeError:
        return
    _parse_or_input_error(data)


def test_every_golden_request_parses() -> None:
    for _, request in GOLDEN:
        assert _parse_or_input_error(request) is not None


def _feedback_at(timestamp: str) -> dict[str, Any]:
    item = {**FEEDBACK["feedback"][0], "outcomeTimestamp": timestamp}
    return {"feedback": [item]}


@FUZZ
@given(st.one_of(json_values(), mutate(FEEDBACK)))
# found by this test: a valid offset that moves year 1 / 9999 out of range in UTC (was a 500)
@example(_feedback_at("0001-01-01T00:00:00+14:00"))
@example(_feedback_at("9999-12-31T23:59:59-14:00"))
def test_feedback_parses_or_is_an_input_error(data: Any) -> None:
    try:
        parsed = parse_feedback(data)
    except InputError as exc:
        assert exc.http_status == 400
        return
    for item in parsed.feedback:  # what the store reads from each item must be usable
        assert item.outcome_at.tzinfo is not None
