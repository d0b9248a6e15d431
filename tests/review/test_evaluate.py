"""The batch's shortcut: it writes cards with ``dump_response(validate=False)`` (no second
validation of cards the evaluator has just built), which must be the service's serialisation,
byte for byte.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cds.hooks.models import (
    Action,
    Card,
    Coding,
    HookResponse,
    Source,
    Suggestion,
    dump_response,
    parse_hook_request,
)
from cds.pack.check import Scenario, scenarios
from cds.pack.load import load_pack
from cds.pipeline import Evaluator

PACK = load_pack()
SCENARIOS = scenarios(PACK)


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(PACK)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_unvalidated_dump_is_the_service_serialisation(
    scenario: Scenario, evaluator: Evaluator
) -> None:
    request = parse_hook_request(orjson.loads(scenario.request_bytes))
    response = evaluator.evaluate(request, scenario.meta["hook"], scenario.now)
    expected = dump_response(response)["cards"]
    assert orjson.dumps(dump_response(response, validate=False)["cards"]) == orjson.dumps(expected)


def test_unvalidated_dump_drops_null_and_empty_members_as_the_service_does() -> None:
    resource = {"resourceType": "MedicationRequest", "id": "m1", "note": [], "text": {"div": ""}}
    source = Source(label="S", url=None, icon="", topic=Coding(code="c", system="s", display=""))
    suggestions = [
        Suggestion(
            label="Change",
            isRecommended=False,
            actions=[Action(type="update", description="Update", resource=resource)],
        ),
        Suggestion(label="Nothing", actions=[]),
    ]
    response = HookResponse(
        cards=[
            Card(
                summary="Check this",
                indicator="warning",
                detail="",
                source=source,
                suggestions=suggestions,
                selectionBehavior="at-most-one",
                overrideReasons=[],
                links=[],
                extension={"trace": {"rules": [], "values": [None, 0, False, "", {}, [None]]}},
            ),
            Card(summary="Bare", indicator="info", source=Source(label="S"), extension={}),
        ],
    )
    cards = dump_response(response, validate=False)["cards"]
    assert orjson.dumps(cards) == orjson.dumps(dump_response(response)["cards"])
    assert cards == _pruned(response.model_dump(mode="json", exclude_none=True)["cards"])
    assert cards[1] == {"summary": "Bare", "indicator": "info", "source": {"label": "S"}}
    assert cards[0]["extension"] == {"trace": {"values": [None, 0, False, [None]]}}


def _pruned(value: Any) -> Any:
    """The spec's rule, written plainly: no null, "", [] or {} member; None kept in arrays."""

    def empty(v: Any) -> bool:
        return v is None or (isinstance(v, str | list | dict) and not v)

    if isinstance(value, dict):
        items = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if not empty(v)}
    if isinstance(value, list):
        return [v for v in map(_pruned, value) if v is None or not empty(v)]
    return value
