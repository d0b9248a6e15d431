"""The spine's rules engine is injected (issue 12, item 3): any ``RuleEngine`` runs it.

On every golden scenario (``fhir_examples/``, under its site settings) an Evaluator given the
plain-Python ``ReferenceEngine`` answers with the same cards, findings and rules as one given
a ``DurableEngine``; and the Evaluator says its engine's ``busy`` to the service.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from cds.call import request_call
from cds.engine import RuleEngine
from cds.engine.durable import DurableEngine
from cds.engine.reference import ReferenceEngine
from cds.hooks.models import dump_response
from cds.hooks.registry import parse_hook_request
from cds.pack.examples import Scenario, scenarios
from cds.pack.load import load_pack
from cds.pipeline import Evaluation, Evaluator, new_engine

PACK = load_pack()
SCENARIOS = scenarios(PACK)
DURABLE = DurableEngine()
REFERENCE = ReferenceEngine()
UUID = "00000000-0000-4000-8000-000000000000"


def evaluate(scenario: Scenario, engine: RuleEngine) -> Evaluation:
    """The scenario's hook call, evaluated by an Evaluator given this engine."""
    request = parse_hook_request(orjson.loads(scenario.request_bytes))
    evaluator = Evaluator(PACK, scenario.site, engine)
    return evaluator.run(request_call(request, scenario.now), new_uuid=lambda: UUID)


def topics(evaluation: Evaluation) -> list[str]:
    return [c.source.topic.code for c in evaluation.response.cards if c.source.topic]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_reference_engine_gives_durable_s_cards(scenario: Scenario) -> None:
    durable, reference = evaluate(scenario, DURABLE), evaluate(scenario, REFERENCE)
    answer: dict[str, Any] = dump_response(durable.response)
    assert dump_response(reference.response) == answer
    assert reference.findings == durable.findings
    assert reference.rules_by_topic == durable.rules_by_topic
    assert reference.in_scope == durable.in_scope
    # the same topics as the scenario's golden cards: the comparison is not vacuous
    assert topics(durable) == [c["source"]["topic"]["code"] for c in scenario.expected["cards"]]


def test_the_golden_scenarios_fire_rules_of_every_topic() -> None:
    fired = {topic for s in SCENARIOS for topic in evaluate(s, REFERENCE).rules_by_topic}
    assert fired == set(PACK.topics)


def test_the_evaluator_runs_the_engine_it_is_given_else_the_process_s() -> None:
    assert Evaluator(PACK, engine=REFERENCE).engine is REFERENCE
    process = Evaluator(PACK).engine
    assert isinstance(process, DurableEngine) and Evaluator(PACK).engine is process
    fresh = new_engine()
    assert isinstance(fresh, DurableEngine) and fresh not in (process, new_engine())


def test_the_evaluator_is_busy_while_its_engine_is() -> None:
    engine = DurableEngine()
    evaluator = Evaluator(PACK, engine=engine)
    assert not evaluator.busy
    with engine._lock:  # as an evaluation on another thread holds it
        assert evaluator.busy
    assert not Evaluator(PACK, engine=REFERENCE).busy
