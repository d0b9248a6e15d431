"""A plain-Python engine for the same compiled rulesets: the test oracle for durable_rules.

``ReferenceEngine`` (a ``RuleEngine``, like ``DurableEngine``) reads the compiled JSON
(``$and``, ``$or``, ``$lt``/``$lte``/``$gt``/``$gte``, equality, ``alias$not``) and fires
every combination of facts that satisfies a rule's positive patterns when no fact satisfies
any of its negated ones. Slow and obviously right, by design.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from cds.engine import Firing
from cds.pack.compile import CompiledRuleset

_OPS = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
}


def matches(expr: dict[str, Any], fact: dict[str, Any]) -> bool:
    """Whether one fact satisfies one compiled expression."""
    (key, arg), *rest = expr.items()
    assert not rest, "one key per expression node"
    if key == "$and":
        return all(matches(e, fact) for e in arg)
    if key == "$or":
        return any(matches(e, fact) for e in arg)
    if key in _OPS:
        ((field, bound),) = arg.items()
        value = fact.get(field)
        return isinstance(value, int | float) and bool(_OPS[key](value, bound))
    return bool(fact.get(key) == arg)


class ReferenceEngine:
    """A ``RuleEngine`` in plain Python: it holds no state, so it is never busy."""

    @property
    def busy(self) -> bool:
        """Never: evaluations share nothing, so none waits for another."""
        return False

    def evaluate(self, ruleset: CompiledRuleset, facts: Sequence[dict[str, Any]]) -> list[Firing]:
        """All firings, sorted, as durable_rules should produce them."""
        firings: list[Firing] = []
        for rule in ruleset.definition.values():
            firings.extend(_rule_firings(rule, facts))
        return sorted(firings)


def _rule_firings(rule: dict[str, Any], facts: Sequence[dict[str, Any]]) -> list[Firing]:
    """One rule's firings: a combination of facts per match of its positive patterns, none
    when a fact matches one of its negated patterns."""
    positives: list[tuple[str, dict[str, Any]]] = []
    negatives: list[tuple[str, dict[str, Any]]] = []
    for term in rule["all"]:
        ((alias, expr),) = term.items()
        (negatives if alias.endswith("$not") else positives).append((alias, expr))
    if any(matches(expr, f) for _, expr in negatives for f in facts):
        return []
    positives.sort()
    candidates = [[f for f in facts if matches(expr, f)] for _, expr in positives]
    return [
        Firing(rule["run"], tuple(int(f["fid"]) for f in combo))
        for combo in itertools.product(*candidates)
    ]
