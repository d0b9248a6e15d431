"""``DurableEngine`` registers every rule with a ``cap``: one action brings a list of the
rule's pending matches, up to the cap, instead of one match each. These tests pin that every
match still comes through, beyond one action's cap too, as the plain-Python reference has it."""

from __future__ import annotations

from typing import Any

from cds.engine.durable import _CAP, DurableEngine
from cds.engine.reference import ReferenceEngine
from cds.pack.compile import CompiledRuleset


def pattern(kind: str) -> dict[str, Any]:
    return {"$and": [{"kind": kind}, {"valueset": "x"}]}


def facts(kind: str, fids: range) -> list[dict[str, Any]]:
    return [{"fid": fid, "kind": kind, "valueset": "x"} for fid in fids]


RULES = {
    "single": {"all": [{"p0": pattern("a")}], "run": "single"},
    "join": {"all": [{"p0": pattern("a")}, {"p1": pattern("b")}], "run": "join"},
    "guarded": {
        "all": [{"p0": pattern("b")}, {"n0$not": pattern("c")}],
        "run": "guarded",
    },
}


def test_a_join_with_more_matches_than_one_action_takes_fires_each_once() -> None:
    ruleset = CompiledRuleset("capped-join", RULES, frozenset({("c", "x")}))
    batch = facts("a", range(120)) + facts("b", range(120, 240))
    firings = DurableEngine().evaluate(ruleset, batch)
    assert len(firings) > _CAP  # the join's 14,400 matches take two actions
    assert firings == ReferenceEngine().evaluate(ruleset, batch)
    assert len([f for f in firings if f.rule == "join"]) == 120 * 120
    assert len(set(firings)) == len(firings)


def test_a_negated_pattern_still_holds_back_a_capped_rule() -> None:
    ruleset = CompiledRuleset("capped-not", RULES, frozenset({("c", "x")}))
    batch = facts("b", range(3)) + facts("c", range(3, 4))
    firings = DurableEngine().evaluate(ruleset, batch)
    assert [f.rule for f in firings] == []  # no "a": no single, no join; "c": no guarded
    assert firings == ReferenceEngine().evaluate(ruleset, batch)
