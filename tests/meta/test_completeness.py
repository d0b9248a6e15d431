"""Completeness: every sheet statement, contract topic, hook and rule is covered and exercised.

- every statement ID of shared/clinical/statements.md is in the pack and covered by something;
  those whose "covered by" column says "rule" are covered by at least one rule;
- the pack has the contract's seven topics, each with its contract indicator;
- every (service, topic) pair the contract allows is produced by at least one golden scenario,
  and no scenario produces a topic its service may not return;
- every rule fires in at least one scenario's expected cards (read from the card detail's
  ``_Source: …; rules: a, b; …_`` line), except rules switched off by default site settings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cds.pack.check import coverage
from cds.pack.examples import scenarios
from cds.pack.load import Pack, load_pack, setting_refs

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
STATEMENTS_MD = SHARED / "clinical" / "statements.md"
CONTRACT_MD = SHARED / "design" / "contract.md"

# The public contract (shared/design/contract.md, "Cards"): topic → indicator, and which
# topics each service may return.
CONTRACT_TOPICS = {
    "emergency-sign": "critical",
    "urgent-sign": "warning",
    "imaging-not-indicated": "warning",
    "imaging-supported": "info",
    "analgesic-caution": "warning",
    "sedation-caution": "info",
    "discharge-instructions": "info",
    "data-check": "warning",
}
_DANGER = {"emergency-sign", "urgent-sign", "data-check"}
_ORDERS = _DANGER | {
    "imaging-not-indicated",
    "imaging-supported",
    "analgesic-caution",
    "sedation-caution",
}
SERVICE_TOPICS = {
    "patient-view": _DANGER,
    "order-select": _ORDERS,
    "order-sign": _ORDERS,
    "encounter-discharge": _DANGER
    | {"discharge-instructions", "analgesic-caution", "sedation-caution"},
}

_ROW = re.compile(r"^\|\s*([A-Z]+\d+)\s*\|(.*)\|\s*$")
_RULES = re.compile(r"_Source: .*?; rules: ([a-z0-9, -]+);")


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


def _statement_rows() -> dict[str, str]:
    """Statement ID → its "covered by" column, from the shared source sheet."""
    if not STATEMENTS_MD.is_file():
        pytest.skip(f"shared clinical statements not available ({STATEMENTS_MD} is absent)")
    rows = {}
    for line in STATEMENTS_MD.read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line.strip())
        if m:
            rows[m.group(1)] = m.group(2).rsplit("|", 1)[-1].strip()
    assert rows, f"no statement rows found in {STATEMENTS_MD}"
    return rows


def _expected_cards() -> list[tuple[str, str, dict[str, object]]]:
    """(scenario, hook, card) for every card of every golden scenario."""
    out = []
    for sc in scenarios(load_pack()):
        for card in sc.expected["cards"]:
            out.append((sc.name, str(sc.meta["hook"]), card))
    return out


def _topic(card: dict[str, object]) -> str:
    source = card["source"]
    assert isinstance(source, dict)
    return str(source["topic"]["code"])


def test_every_statement_is_in_the_pack(pack: Pack) -> None:
    listed = {s.id for s in pack.spec.statements}
    missing = sorted(set(_statement_rows()) - listed)
    assert not missing, f"statements missing from pack.yaml `statements`: {missing}"


def test_every_statement_is_covered(pack: Pack) -> None:
    covered = coverage(pack)
    nothing = sorted(sid for sid in _statement_rows() if not covered.get(sid))
    assert not nothing, f"statements covered by nothing: {nothing}"


def test_rule_statements_are_covered_by_rules(pack: Pack) -> None:
    covered = coverage(pack)
    needs_rule = [sid for sid, by in _statement_rows().items() if re.search(r"\brule\b", by)]
    assert needs_rule, "statements.md should ask for rules somewhere"
    without = sorted(
        sid for sid in needs_rule if not any(c.startswith("rule ") for c in covered.get(sid, []))
    )
    assert not without, f"statements that need a rule but have none: {without}"


def test_contract_topics_and_indicators(pack: Pack) -> None:
    if CONTRACT_MD.is_file():  # the constant above must still say what the contract says
        text = CONTRACT_MD.read_text(encoding="utf-8")
        for code, indicator in CONTRACT_TOPICS.items():
            assert re.search(rf"\|\s*`{code}`\s*\|\s*{indicator}\s*\|", text), code
    problems = []
    for code, indicator in CONTRACT_TOPICS.items():
        topic = pack.topics.get(code)
        if topic is None:
            problems.append(f"{code}: missing from the pack")
        elif topic.indicator != indicator:
            problems.append(f"{code}: indicator {topic.indicator}, contract says {indicator}")
    assert not problems, "; ".join(problems)


def test_every_hook_is_a_service_of_the_pack(pack: Pack) -> None:
    assert set(pack.spec.pack.hooks) == set(SERVICE_TOPICS)


def test_every_service_topic_has_a_scenario() -> None:
    produced = {(hook, _topic(card)) for _, hook, card in _expected_cards()}
    missing = sorted(
        f"{hook}: {topic}"
        for hook, topics in SERVICE_TOPICS.items()
        for topic in topics
        if (hook, topic) not in produced
    )
    assert not missing, f"no golden scenario produces: {missing}"


def test_no_scenario_returns_a_topic_its_service_may_not() -> None:
    wrong = [
        f"{name} ({hook}): {_topic(card)}"
        for name, hook, card in _expected_cards()
        if _topic(card) not in SERVICE_TOPICS[hook]
    ]
    assert not wrong, wrong


def test_every_hook_has_a_no_card_scenario() -> None:
    """Negative patients too: each hook has a scenario whose expected response is empty."""
    empty = {str(sc.meta["hook"]) for sc in scenarios(load_pack()) if not sc.expected["cards"]}
    missing = sorted(set(SERVICE_TOPICS) - empty)
    assert not missing, f"hooks without a no-card scenario: {missing}"


def _off_by_default(pack: Pack) -> set[str]:
    """Rules that cannot fire under the default site settings (a null threshold)."""
    defaults = pack.setting_values()
    off = set()
    for rule in pack.spec.rules:
        if rule.enabled_by and defaults.get(rule.enabled_by) is None:
            off.add(rule.id)
        for ref in rule.when:
            if any(defaults.get(s) is None for s in setting_refs(pack.pattern(ref))):
                off.add(rule.id)
    return off


def test_every_rule_is_exercised(pack: Pack) -> None:
    fired: set[str] = set()
    for name, _, card in _expected_cards():
        m = _RULES.search(str(card["detail"]))
        assert m, f"{name}: card detail has no '_Source: …; rules: …_' line"
        fired |= {r.strip() for r in m.group(1).split(",")}
    unknown = fired - set(pack.rules)
    assert not unknown, f"expected cards name rules the pack does not have: {sorted(unknown)}"
    off = _off_by_default(pack)
    assert off <= {"imaging-supported-age"}, f"unexpectedly off by default: {sorted(off)}"
    never = sorted(set(pack.rules) - fired - off)
    assert not never, f"rules no golden scenario exercises: {never}"


def test_every_scenario_names_known_statements(pack: Pack) -> None:
    listed = {s.id for s in pack.spec.statements}
    bad = {
        sc.name: sorted(set(sc.meta["statements"]) - listed)
        for sc in scenarios(pack)
        if set(sc.meta["statements"]) - listed
    }
    assert not bad, bad
