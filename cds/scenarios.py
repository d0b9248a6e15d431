"""``cds rules test``: a pack's golden scenarios run as ``cds evaluate`` runs a request, and
compared with their expected cards (the scenarios themselves are data: ``cds.pack.examples``).
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from cds.config import Settings
from cds.evaluate import evaluate_file
from cds.pack.examples import Scenario, scenarios
from cds.pack.load import load_pack

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


def run_scenario(scenario: Scenario, pack_name: str | None = None) -> dict[str, Any]:
    """Evaluate a scenario's request as ``cds evaluate`` would, under the scenario's site
    settings (as ``--config`` with ``site:`` gives them); the normalised response."""
    settings = Settings(site=scenario.site) if scenario.site else None
    return normalise(evaluate_file(scenario.request_bytes, pack_name, scenario.now, settings))


def run_pack_scenarios(name: str | None) -> tuple[int, list[str]]:
    """(failures, report lines) for every scenario of the pack."""
    pack = load_pack(name)
    lines, failures = [], 0
    found = scenarios(pack)
    for sc in found:
        got = run_scenario(sc, name)
        delta = diff(normalise(sc.expected), got)
        if delta:
            failures += 1
            lines += [f"FAIL {sc.name}", delta]
        else:
            lines.append(f"ok   {sc.name}")
    lines.append(f"{len(found) - failures} passed, {failures} failed")
    return failures, lines
