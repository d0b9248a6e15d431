"""Tests for review/evaluate.py: the shortcuts it takes are the service's results, byte for byte.

The batch builds its replayed requests without validating them again, writes cards without the
second validation of ``dump_response``; each must give what the service path gives.
"""

from __future__ import annotations

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
from cds.review.evaluate import card_dicts

PACK = load_pack()
SCENARIOS = scenarios(PACK)


@pytest.fixture(scope="module")
def evaluator() -> Evaluator:
    return Evaluator(PACK)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_card_dicts_are_the_service_serialisation(scenario: Scenario, evaluator: Evaluator) -> None:
    request = parse_hook_request(orjson.loads(scenario.request_bytes))
    response = evaluator.evaluate(request, scenario.meta["hook"], scenario.now)
    expected = dump_response(response)["cards"]
    assert orjson.dumps(card_dicts(response)) == orjson.dumps(expected)


def test_card_dicts_drop_null_and_empty_members_as_the_service_does() -> None:
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
    assert orjson.dumps(card_dicts(response)) == orjson.dumps(dump_response(response)["cards"])
