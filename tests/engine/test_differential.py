"""Differential test of engine/durable.py against engine/reference.py, both as ``RuleEngine``s.

Hypothesis generates random fact lists over the real compiled back-spasm rulesets (every hook,
with the default settings and with the age threshold switched on): kinds and value sets drawn
from those the rulesets mention (plus one they do not), values and ages on and around every
threshold and window the rulesets compare with, and random draft/latest/understood/
time_known/verified flags. durable_rules and the plain-Python reference must fire exactly the
same rules on exactly the same facts.

Generation is derandomized: each test also checks it is not vacuous (most rules fired, some
facts left out), and that check must not hinge on a lucky seed (seed 3 fired only 31 of 40).
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.engine import RuleEngine
from cds.engine.durable import DurableEngine
from cds.engine.reference import ReferenceEngine
from cds.facts.model import Fact
from cds.pack.compile import CompiledRuleset, compile_pack
from cds.pack.load import load_pack

PACK = load_pack()
# order-select and order-sign compile to the same ruleset: one of them is enough
CASES = [(hook, None) for hook in PACK.spec.pack.hooks if hook != "order-select"] + [
    ("order-sign", {"imaging_age_years": 50}),
]


def _walk(expr: dict[str, Any], out: dict[str, list[Any]]) -> None:
    """Collect what a compiled expression looks at: kinds, value sets, flags, numeric bounds."""
    ((key, arg),) = expr.items()
    if key in ("$and", "$or"):
        for e in arg:
            _walk(e, out)
    elif key.startswith("$"):
        ((field, bound),) = arg.items()
        out.setdefault(field, []).append(float(bound))
    else:
        out.setdefault(key, []).append(arg)


def _rules(ruleset: CompiledRuleset) -> list[list[dict[str, list[Any]]]]:
    """Each rule's patterns (positive and negated), as field → wanted values/bounds."""
    out = []
    for rule in ruleset.definition.values():
        patterns = []
        for term in rule["all"]:
            for expr in term.values():
                seen: dict[str, list[Any]] = {}
                _walk(expr, seen)
                patterns.append(seen)
        out.append(patterns)
    return out


def _near(bounds: list[float], low: float, high: float) -> st.SearchStrategy[float]:
    """On a bound, a hair or a step either side of it, or anywhere in [low, high]."""
    steps = st.sampled_from([-1.0, -0.01, 0.0, 0.0, 0.01, 1.0])
    on_bound = st.tuples(st.sampled_from(bounds), steps).map(
        lambda t: round(max(t[0] + t[1], 0.0), 2)
    )
    anywhere = st.floats(low, high).map(lambda x: round(x, 2))
    return st.one_of(on_bound, on_bound, anywhere)


def _mostly(wanted: Any, other: Any) -> st.SearchStrategy[Any]:
    """``wanted`` nine times in ten (``st.integers`` would favour the small end)."""
    return st.sampled_from([wanted] * 9 + [other])


def _fact(p: dict[str, list[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Facts aimed at one pattern: mostly its kind, value sets and flags, with numbers on
    and around its bounds. Built once per pattern (building strategies per draw is slow)."""
    fields: dict[str, st.SearchStrategy[Any]] = {
        "kind": _mostly(p["kind"][0], "condition"),
        "valueset": st.sampled_from(p["valueset"] * 9 + ["not-in-any-rule"]),
        "age_h": _near(p.get("age_h", [0.0]), 0, 20_000),
    }
    for flag in ("time_known", "latest", "understood", "draft", "verified"):
        wanted = p.get(flag)
        fields[flag] = _mostly(wanted[0], 1 - wanted[0]) if wanted else st.sampled_from([0, 1])
    value = _near(p.get("value", [0.0]), 0, 300)
    return st.tuples(st.fixed_dictionaries(fields), _mostly(True, False), value).map(
        lambda t: {**t[0], "value": t[2]} if t[1] else t[0]
    )


def _facts(ruleset: CompiledRuleset) -> st.SearchStrategy[list[dict[str, Any]]]:
    """Groups of facts, each aimed at one whole rule (so joins and negations meet) or at a
    few random patterns."""
    rules = _rules(ruleset)
    kept = _mostly(True, False)
    aimed = st.one_of(
        *(
            st.tuples(*(st.tuples(kept, _fact(p)) for p in rule)).map(
                lambda pairs: [f for keep, f in pairs if keep]
            )
            for rule in rules
        )
    )
    any_pattern = st.one_of(*(_fact(p) for rule in rules for p in rule))
    groups = st.lists(st.one_of(aimed, st.lists(any_pattern, max_size=3)), max_size=4)
    return groups.map(lambda gs: [{"fid": i, **f} for i, f in enumerate(f for g in gs for f in g)])


DURABLE: RuleEngine = DurableEngine()
REFERENCE: RuleEngine = ReferenceEngine()
RULESETS = {str(case): compile_pack(PACK, case[0], case[1]) for case in CASES}


@pytest.mark.parametrize("case", [str(c) for c in CASES])
def test_durable_matches_the_reference(case: str) -> None:
    ruleset = RULESETS[case]
    fired: set[str] = set()

    # no example database: the coverage asserted below is of the derandomized examples alone,
    # the same on every machine (replayed failures of a local database shifted it: 71 of 90)
    @settings(max_examples=700, deadline=None, derandomize=True, database=None)
    @given(_facts(ruleset))
    def check(facts: list[dict[str, Any]]) -> None:
        expected = REFERENCE.evaluate(ruleset, facts)
        assert DURABLE.evaluate(ruleset, facts) == expected
        fired.update(f.rule for f in expected)

    check()
    # not vacuous: the generated facts made most rules fire (and some not fire)
    rules = {rule["run"] for rule in ruleset.definition.values()}
    assert len(fired) >= 0.8 * len(rules), sorted(rules - fired)


def _as_fact(f: dict[str, Any]) -> Fact:
    return Fact(
        kind=f["kind"],
        valueset=f["valueset"],
        rid=f"X/{f['fid']}",
        display="generated",
        value=f.get("value"),
        age_h=f["age_h"],
        time_known=bool(f["time_known"]),
        latest=bool(f["latest"]),
        understood=bool(f["understood"]),
        draft=bool(f["draft"]),
        verified=bool(f["verified"]),
    )


@pytest.mark.parametrize("case", [str(c) for c in CASES])
def test_facts_left_out_of_the_engine_change_no_firing(case: str) -> None:
    """The pipeline asserts only facts some pattern may match (``may_match``): on the same
    generated facts, on and around every look-back, leaving the others out fires the same."""
    ruleset = RULESETS[case]
    left_out = 0

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(_facts(ruleset))
    def check(facts: list[dict[str, Any]]) -> None:
        nonlocal left_out
        kept = [f for f in facts if ruleset.may_match(_as_fact(f))]
        left_out += len(facts) - len(kept)
        assert REFERENCE.evaluate(ruleset, kept) == REFERENCE.evaluate(ruleset, facts)

    check()
    assert left_out > 0  # not vacuous: facts were left out, and nothing changed


@pytest.mark.parametrize("case", [str(c) for c in CASES])
def test_facts_sent_with_only_the_fields_read_fire_the_same(case: str) -> None:
    """The pipeline asserts each fact with only the fields the patterns on its kind and value
    set read (``engine_facts``): durable on those fires what the reference fires on the
    facts with every field, on and around every threshold and window."""
    ruleset = RULESETS[case]
    dropped = 0

    @settings(max_examples=300, deadline=None, derandomize=True)
    @given(_facts(ruleset))
    def check(facts: list[dict[str, Any]]) -> None:
        nonlocal dropped
        built = [_as_fact(f) for f in facts]
        full = [f.to_engine(i) for i, f in enumerate(built) if ruleset.may_match(f)]
        sent = ruleset.engine_facts(built)
        assert [f["fid"] for f in sent] == [f["fid"] for f in full]
        dropped += sum(len(a) - len(b) for a, b in zip(full, sent, strict=True))
        assert DURABLE.evaluate(ruleset, sent) == REFERENCE.evaluate(ruleset, full)

    check()
    assert dropped > 0  # not vacuous: fields were left out, and nothing changed
