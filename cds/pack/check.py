"""``cds rules check`` and ``cds rules test``: a pack's validity, coverage and golden scenarios."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cds.errors import RulePackError
from cds.pack.compile import compile_pack
from cds.pack.load import Pack, load_pack

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "fhir_examples"
UUID_PLACEHOLDER = "<uuid>"


def coverage(pack: Pack) -> dict[str, list[str]]:
    """Statement id → what covers it (rules, passages, topics, suggestions, links)."""
    covered: dict[str, list[str]] = {s.id: [] for s in pack.spec.statements}
    for rule in pack.spec.rules:
        for c in rule.covers:
            covered.setdefault(c, []).append(f"rule {rule.id}")
    for p in pack.passages:
        for c in p.covers:
            covered.setdefault(c, []).append(f"instructions {p.id}")
    for topic in pack.spec.topics:
        for c in topic.covers:
            covered.setdefault(c, []).append(f"topic {topic.code}")
        labelled = [(s.label, s.covers) for s in topic.suggestions]
        labelled += [(ln.label, ln.covers) for ln in topic.links]
        for label, covers in labelled:
            for c in covers:
                covered.setdefault(c, []).append(f"topic {topic.code}: {label}")
    return covered


def check_pack(name: str | None) -> str:
    """Validate a pack; a RulePackError if anything is wrong, else a short report."""
    pack = load_pack(name)
    for hook in pack.spec.pack.hooks:
        compile_pack(pack, hook)
    uncovered = [sid for sid, by in coverage(pack).items() if not by]
    if uncovered:
        raise RulePackError(
            f"{pack.path / 'pack.yaml'}: statements covered by nothing (no rule, topic or "
            f"instructions.yaml passage covers them): {', '.join(uncovered)}"
        )
    return (
        f"{pack.label}: ok: {len(pack.spec.rules)} rules, {len(pack.valuesets)} value sets, "
        f"{len(pack.passages)} instruction passages, {len(pack.spec.statements)} statements "
        f"covered, hooks: {', '.join(pack.spec.pack.hooks)}"
    )


@dataclass(frozen=True)
class Scenario:
    """One golden example: a hook request, when it is evaluated, and the expected response."""

    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(self.meta["now"])

    @property
    def request_bytes(self) -> bytes:
        return (self.path / "request.json").read_bytes()

    @property
    def expected(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "expected-cards.json").read_text())
        return data


def scenarios(pack: Pack) -> list[Scenario]:
    """The pack's scenarios: ``fhir_examples/<pack id>/<name>/`` folders."""
    root = EXAMPLES_DIR / pack.id
    if not root.is_dir():
        return []
    return [
        Scenario(d, json.loads((d / "scenario.json").read_text()))
        for d in sorted(root.iterdir())
        if (d / "scenario.json").exists()
    ]


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
    """Evaluate a scenario's request as ``cds evaluate`` would; the normalised response."""
    from cds.evaluate import evaluate_file

    return normalise(evaluate_file(scenario.request_bytes, pack_name, scenario.now))


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
