"""``cds rules test``: a pack's golden scenarios run as ``cds evaluate`` runs a request, and
compared with their expected cards (the scenarios themselves are data: ``cds.pack.examples``).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from cds.config import Settings
from cds.evaluate import evaluate_file, evaluate_with
from cds.pack.examples import Scenario, scenarios
from cds.pack.load import load_pack
from cds.pipeline import Evaluator

UUID_PLACEHOLDER = "<uuid>"


def normalise(response: dict[str, Any]) -> dict[str, Any]:
    """The response with volatile fields (card and suggestion uuids) replaced."""
    data: dict[str, Any] = json.loads(json.dumps(response))
    for card in data.get("cards", []):
        if "uuid" in card:
            card["uuid"] = UUID_PLACEHOLDER
        for s in card.get("suggestions", []):
            if "uuid" in s:
                s["uuid"] = UUID_PLACEHOLDER
    return data


def diff(expected: dict[str, Any], actual: dict[str, Any]) -> str:
    """A readable unified diff of two responses ('' when equal)."""
    a = json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, "expected", "actual", lineterm=""))


class ScenarioRunner:
    """Runs the scenarios of one pack as ``cds evaluate`` runs a request: the pack loaded once
    and compiled once per site's settings (loading and compiling are most of a lone
    evaluation's time, not what a scenario tests)."""

    def __init__(self, pack_name: str | None = None) -> None:
        self.pack_name = pack_name
        self.pack = load_pack(pack_name)
        self._evaluators: dict[str, Evaluator] = {}

    def run(self, scenario: Scenario) -> dict[str, Any]:
        """The scenario's request evaluated under its site settings (as ``--config`` with
        ``site:`` gives them); the normalised response."""
        settings = Settings(site=scenario.site) if scenario.site else Settings()
        key = json.dumps(settings.site, sort_keys=True)
        evaluator = self._evaluators.get(key)
        if evaluator is None:
            evaluator = Evaluator(self.pack, settings.site, timezone=settings.timezone)
            self._evaluators[key] = evaluator
        return normalise(evaluate_with(evaluator, scenario.request_bytes, scenario.now, settings))


def run_scenario(scenario: Scenario, pack_name: str | None = None) -> dict[str, Any]:
    """One scenario evaluated as ``cds evaluate`` would, under the scenario's site settings;
    the normalised response (many: `ScenarioRunner`)."""
    settings = Settings(site=scenario.site) if scenario.site else None
    return normalise(evaluate_file(scenario.request_bytes, pack_name, scenario.now, settings))


def run_pack_scenarios(name: str | None) -> tuple[int, list[str]]:
    """(failures, report lines) for every scenario of the pack."""
    runner = ScenarioRunner(name)
    lines, failures = [], 0
    found = scenarios(runner.pack)
    for sc in found:
        got = runner.run(sc)
        delta = diff(normalise(sc.expected), got)
        if delta:
            failures += 1
            lines += [f"FAIL {sc.name}", delta]
        else:
            lines.append(f"ok   {sc.name}")
    lines.append(f"{len(found) - failures} passed, {failures} failed")
    return failures, lines
