"""The batch's shortcut: it writes cards with ``dump_response(validate=False)`` (no second
validation of cards the evaluator has just built), which must be the service's serialisation,
byte for byte.
"""

from __future__ import annotations

import orjson
import pytest

from cds.hooks.models import dump_response, parse_hook_request
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
