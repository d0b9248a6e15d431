"""Pins durable_rules 2.0.28 behaviour our wrapper relies on.

Tests for engine/durable.py. Each trap of shared/design/engine-notes.md (A3) is pinned twice:
once directly against durable (a ``durable.engine.Host`` subclass with no timer threads, and
the low-level ``durable_rules_engine`` calls the wrapper makes), so that an upgrade that
changes it fails loudly here; and once through :class:`cds.engine.durable.DurableEngine`, to
show the wrapper handles it. The wrapper tests that state what any ``RuleEngine`` must do (not
how durable is wrapped) run the plain-Python ``ReferenceEngine`` too, through the Protocol.
"""

from __future__ import annotations

import itertools
import json
import random
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import durable_rules_engine
import pytest
from durable.engine import Host, MessageNotHandledException

from cds.engine import Firing, RuleEngine
from cds.engine.durable import DurableEngine
from cds.engine.reference import ReferenceEngine
from cds.errors import EngineError, RuleActionFailed
from cds.facts.model import Fact
from cds.facts.units import to_number
from cds.pack.compile import CompiledRuleset, compile_pack
from cds.pack.load import load_pack

_names = itertools.count(1)


class RawHost(Host):  # type: ignore[misc]
    """durable as it comes, minus the timer threads; actions record (rule, alias → fid)."""

    def __init__(self) -> None:
        self.fired: list[tuple[str, dict[str, Any]]] = []
        super().__init__()

    def _run(self) -> None:
        """No background dispatch: everything below happens on the calling thread."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        def act(c: Any) -> None:
            matched = c._m or {}
            self.fired.append((action_name, {a: matched[a].get("fid") for a in sorted(matched)}))
            if action_name == "raises":
                raise ValueError("action failed on purpose")

        return act


@pytest.fixture(scope="module")
def host() -> RawHost:
    return RawHost()


REFERENCE: RuleEngine = ReferenceEngine()


@pytest.fixture
def engine() -> DurableEngine:
    return DurableEngine()


@pytest.fixture(params=["durable", "reference"])
def rule_engine(request: pytest.FixtureRequest) -> RuleEngine:
    """Each ``RuleEngine``, for what any engine must do: durable (new) and the reference."""
    return DurableEngine() if request.param == "durable" else ReferenceEngine()


def register(host: RawHost, rules: dict[str, Any]) -> Any:
    """Register rules under a fresh name (a name registers once) and return the ruleset.

    A warm-up rule is fired once first: a state created before a ruleset's first action can
    not be deleted without a segfault (pinned in a subprocess in section 12).
    """
    name = f"contract-{next(_names)}"
    warm = {"__w": {"all": [{"w": {"kind": "__w"}}], "run": "w"}}
    host.register_rulesets({name: json.loads(json.dumps({**rules, **warm}))})
    ruleset = host.get_ruleset(name)
    _code, offset = durable_rules_engine.assert_facts(
        ruleset._handle, '[{"kind": "__w", "sid": "w"}]'
    )
    ruleset.do_actions(offset, lambda _e, _s: None)
    ruleset.delete_state("w")
    host.fired = []
    return ruleset


def raw_batch(host: RawHost, ruleset: Any, facts: list[dict[str, Any]]) -> tuple[int, list[Any]]:
    """What the wrapper does, without its mitigations: one batch, run the actions, delete."""
    sid = f"s{next(_names)}"
    host.fired = []
    code, offset = durable_rules_engine.assert_facts(
        ruleset._handle, json.dumps([{**f, "sid": sid} for f in facts])
    )
    ruleset.do_actions(offset, lambda _e, _s: None)
    ruleset.delete_state(sid)
    return code, list(host.fired)


def pattern(kind: str, valueset: str = "x") -> dict[str, Any]:
    return {"$and": [{"kind": kind}, {"valueset": valueset}]}


def fact(fid: Any, kind: str, valueset: str = "x", **extra: Any) -> dict[str, Any]:
    return {"fid": fid, "kind": kind, "valueset": valueset, **extra}


def compiled(rules: dict[str, Any], negated: set[tuple[str, str]] | None = None) -> CompiledRuleset:
    return CompiledRuleset(f"wrapped-{next(_names)}", rules, frozenset(negated or set()))


ONE = {"r": {"all": [{"p0": pattern("a")}], "run": "r"}}
NOT = {"r": {"all": [{"p0": pattern("a")}, {"n0$not": pattern("b")}], "run": "r"}}
JOIN = {"j": {"all": [{"p0": pattern("a")}, {"p1": pattern("a")}], "run": "j"}}
GT5 = {"n": {"all": [{"p0": {"$and": [{"kind": "a"}, {"$gt": {"value": 5}}]}}], "run": "n"}}


# ------------------------------------------------------------------ 1. unmatched fact in a batch


def test_raw_batch_with_unmatched_fact_runs_no_action(host: RawHost) -> None:
    rs = register(host, ONE)
    host.fired = []
    with pytest.raises(MessageNotHandledException):
        host.assert_facts(rs._name, [fact(1, "a", sid="u1"), fact(2, "zzz", sid="u1")])
    assert host.fired == []  # the matched fact's action is left queued for a timer thread
    code, offset = durable_rules_engine.assert_facts(
        rs._handle, json.dumps([fact(1, "a", sid="u2"), fact(2, "zzz", sid="u2")])
    )
    assert code == 1  # "not handled", yet an action is queued at ``offset``
    rs.do_actions(offset, lambda _e, _s: None)
    assert ("r", {"p0": 1}) in host.fired
    for sid in ("u1", "u2"):
        rs.delete_state(sid)


def test_wrapper_runs_actions_of_a_batch_with_unmatched_fact(rule_engine: RuleEngine) -> None:
    ruleset = compiled(ONE)
    assert rule_engine.evaluate(ruleset, [fact(1, "a"), fact(2, "zzz")]) == [Firing("r", (1,))]
    assert rule_engine.evaluate(ruleset, [fact(1, "zzz")]) == []


# ------------------------------------------------------------------ 2. $not depends on order


def test_raw_not_is_checked_only_when_the_positive_fact_arrives(host: RawHost) -> None:
    rs = register(host, NOT)
    assert raw_batch(host, rs, [fact(1, "a"), fact(2, "b")])[1] == [("r", {"p0": 1})]  # misfire
    assert raw_batch(host, rs, [fact(2, "b"), fact(1, "a")])[1] == []


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_wrapper_not_is_right_in_both_orders(rule_engine: RuleEngine, order: list[int]) -> None:
    ruleset = compiled(NOT, {("b", "x")})
    facts = [fact(1, "a"), fact(2, "b")]
    assert rule_engine.evaluate(ruleset, [facts[i] for i in order]) == []
    assert rule_engine.evaluate(ruleset, [fact(1, "a"), fact(3, "c")]) == [Firing("r", (1,))]


def test_compiled_pack_lists_every_negated_kind_first() -> None:
    pack = load_pack()
    ruleset = compile_pack(pack, "order-sign")
    negated = {
        (e["$and"][0]["kind"], vs["valueset"] if isinstance(vs, dict) else vs)
        for rule in ruleset.definition.values()
        for term in rule["all"]
        for alias, e in term.items()
        if alias.endswith("$not")
        for vs in (e["$and"][1].get("$or") or [e["$and"][1]])
    }
    assert negated and negated == set(ruleset.negated_first)


# ------------------------------------------------------------------ 3. identical facts dropped


def test_raw_identical_facts_are_dropped(host: RawHost) -> None:
    rs = register(host, ONE)
    code, fired = raw_batch(host, rs, [{"kind": "a", "valueset": "x"}] * 2)
    assert code == 2  # "already observed", silently, inside a batch
    assert len(fired) == 1


def test_wrapper_facts_differ_by_fid(rule_engine: RuleEngine) -> None:
    same = Fact(kind="condition", valueset="x", rid="Condition/1", display="d")
    sent = [same.to_engine(0), same.to_engine(1)]
    assert "id" not in sent[0] and "sid" not in sent[0]
    rules = {"r": {"all": [{"p0": pattern("condition")}], "run": "r"}}
    assert rule_engine.evaluate(compiled(rules), sent) == [Firing("r", (0,)), Firing("r", (1,))]


# ------------------------------------------------------------------ 4. numbers vs text


def test_raw_strings_and_numbers_compare_as_text(host: RawHost) -> None:
    rs = register(host, GT5)
    facts = [
        fact(1, "a", value="9"),  # '9' > 5: true
        fact(2, "a", value="10"),  # '10' > 5: false (text)
        fact(3, "a", value=9.0),
        fact(4, "a", value=10.0),
    ]
    fired = {f["p0"] for _, f in raw_batch(host, rs, facts)[1]}
    assert fired == {1, 3, 4}


def test_wrapper_facts_send_values_as_floats(rule_engine: RuleEngine) -> None:
    f = Fact(kind="observation", valueset="x", rid="Observation/1", display="d", value=10)
    sent = f.to_engine(7)
    assert type(sent["value"]) is float and type(sent["age_h"]) is float
    assert rule_engine.evaluate(compiled(GT5), [{**sent, "kind": "a"}]) == [Firing("n", (7,))]


# ------------------------------------------------------------------ 5. exponents


def test_raw_single_fact_with_exponent_is_refused(host: RawHost) -> None:
    rs = register(host, GT5)
    with pytest.raises(durable_rules_engine.error, match="204"):
        durable_rules_engine.assert_fact(rs._handle, '{"kind": "a", "value": 1e-07, "sid": "e"}')
    assert durable_rules_engine.assert_fact(
        rs._handle, '{"kind": "a", "value": 1.0e-07, "sid": "e"}'
    ) == (1, 1)
    rs.delete_state("e")


RAW_BATCH_EXPONENT = """
import durable_rules_engine
from durable.engine import Host
class H(Host):
    def _run(self): pass
    def get_action(self, name): return lambda c: None
h = H()
h.register_rulesets({"e": {"n": {"all": [{"p0": {"$gt": {"value": 5}}}], "run": "n"}}})
rs = h.get_ruleset("e")
code, offset = durable_rules_engine.assert_facts(rs._handle, '[{"value": 1e-7, "sid": "1"}]')
print("code", code, flush=True)
rs.do_actions(offset, lambda e, s: None)
print("survived", flush=True)
"""


def test_raw_batch_with_exponent_reports_success_then_crashes() -> None:
    """In a batch the parse error is not reported; the bogus state offset segfaults."""
    run = subprocess.run(
        [sys.executable, "-c", RAW_BATCH_EXPONENT], capture_output=True, text=True, timeout=60
    )
    assert "code 0" in run.stdout
    assert "survived" not in run.stdout and run.returncode != 0


def test_wrapper_refuses_exponent_numbers_and_keeps_working(engine: DurableEngine) -> None:
    ruleset = compiled(GT5)
    with pytest.raises(EngineError, match="exponent"):
        engine.evaluate(ruleset, [fact(1, "a", value=1e-07)])
    with pytest.raises(EngineError, match="exponent"):
        engine.evaluate(ruleset, [fact(1, "a", value=1e16)])
    # a value-set name that looks like an exponent is not a number
    assert engine.evaluate(ruleset, [fact(2, "a", "x1e5", value=6.0)]) == [Firing("n", (2,))]


@pytest.mark.parametrize("raw", ["1e-07", "0.00004", "0.000123456", "123456789012.5", "-0"])
def test_to_number_never_prints_an_exponent(raw: str) -> None:
    from decimal import Decimal

    number = to_number(Decimal(raw))
    assert "e" not in repr(number) and b"e" not in json.dumps(number).encode()


# ------------------------------------------------------------------ 6. a name registers once


def test_raw_ruleset_name_registers_once(host: RawHost) -> None:
    rs = register(host, ONE)
    with pytest.raises(Exception, match="already registered"):
        host.register_rulesets({rs._name: json.loads(json.dumps(ONE))})


def test_wrapper_registers_each_name_once(engine: DurableEngine) -> None:
    ruleset = compiled(ONE)
    for _ in range(3):
        assert engine.evaluate(ruleset, [fact(1, "a")]) == [Firing("r", (1,))]
    assert [r._name for r in engine._host._ruleset_list] == [ruleset.name]
    assert "run" in ruleset.definition["r"]  # durable pops "run": the wrapper sends a copy


# ------------------------------------------------------------------ 7. exceptions in actions


def test_raw_action_exception_is_swallowed_into_the_state(host: RawHost) -> None:
    rs = register(host, {"r": {"all": [{"p0": pattern("a")}], "run": "raises"}})
    states: list[Any] = []
    code, offset = durable_rules_engine.assert_facts(
        rs._handle, json.dumps([fact(1, "a", sid="x1")])
    )
    rs.do_actions(offset, lambda e, s: states.append((e, s)))
    assert code == 0
    assert states[0][0] is None and "action failed on purpose" in states[0][1]["exception"]
    rs.delete_state("x1")


def test_wrapper_raises_rule_action_failed_and_recovers(engine: DurableEngine) -> None:
    ruleset = compiled(ONE)
    with pytest.raises(RuleActionFailed):
        engine.evaluate(ruleset, [fact("not-a-number", "a")])  # the collector's int() fails
    assert engine.evaluate(ruleset, [fact(1, "a")]) == [Firing("r", (1,))]


# ------------------------------------------------------------------ 8. live states are capped


def test_raw_live_sessions_are_capped_at_1024(host: RawHost) -> None:
    rs = register(host, ONE)
    created = []
    with pytest.raises(MemoryError):
        for i in range(1100):
            durable_rules_engine.assert_facts(
                rs._handle, json.dumps([fact(1, "zzz", sid=f"cap{i}")])
            )
            created.append(f"cap{i}")
    assert len(created) == 1024
    # left alive on purpose: deleting a state whose pool slot never ran an action segfaults


def test_wrapper_deletes_every_state(engine: DurableEngine) -> None:
    ruleset = compiled(NOT, {("b", "x")})
    for i in range(1100):
        facts = [fact(1, "a"), fact(2, "b")] if i % 3 == 0 else [fact(1, "a"), fact(2, "zzz")]
        expected = [] if i % 3 == 0 else [Firing("r", (1,))]
        assert engine.evaluate(ruleset, facts) == expected
    handle = engine._host.get_ruleset(ruleset.name)
    with pytest.raises(durable_rules_engine.error):
        handle.get_state("1100")


# ------------------------------------------------------------------ 9. firing order


def test_raw_firing_order_is_not_assertion_order(host: RawHost) -> None:
    rs = register(host, ONE)
    fired = [f["p0"] for _, f in raw_batch(host, rs, [fact(i, "a") for i in range(1, 6)])[1]]
    assert sorted(fired) == [1, 2, 3, 4, 5] and fired != [1, 2, 3, 4, 5]


def test_wrapper_sorts_firings(rule_engine: RuleEngine) -> None:
    rules = {**ONE, "b": {"all": [{"p0": pattern("a")}], "run": "b"}}
    got = rule_engine.evaluate(compiled(rules), [fact(i, "a") for i in range(1, 6)])
    assert got == sorted(got) and len(got) == 10


# ------------------------------------------------------------------ 10. one fact, two aliases


def test_raw_join_never_binds_one_fact_to_two_aliases(host: RawHost) -> None:
    rs = register(host, JOIN)
    fired = sorted(
        tuple(f.values()) for _, f in raw_batch(host, rs, [fact(1, "a"), fact(2, "a")])[1]
    )
    assert fired == [(1, 2), (2, 1)]
    assert raw_batch(host, rs, [fact(1, "a")])[1] == []


def test_wrapper_join_is_the_cross_product_like_the_reference(engine: DurableEngine) -> None:
    """Registered with ``dist: false``, a join fires when each pattern has a matching fact."""
    ruleset = compiled(JOIN)
    for facts in ([fact(1, "a")], [fact(1, "a"), fact(2, "a")]):
        assert engine.evaluate(ruleset, facts) == REFERENCE.evaluate(ruleset, facts)
    assert engine.evaluate(ruleset, [fact(1, "a")]) == [Firing("j", (1, 1))]


# ------------------------------------------------------------------ 11. threads


def _random_facts(rng: random.Random, kinds: list[tuple[str, str]]) -> list[dict[str, Any]]:
    facts = []
    for fid in range(rng.randint(0, 12)):
        kind, valueset = rng.choice(kinds)
        facts.append(
            {
                "fid": fid,
                "kind": kind,
                "valueset": valueset,
                "age_h": float(rng.choice([0, 24, 71.99, 72, 72.01, 336, 720, 1008, 9000])),
                "time_known": rng.randint(0, 1),
                "latest": rng.randint(0, 1),
                "understood": int(rng.random() < 0.85),
                "draft": rng.randint(0, 1),
                **(
                    {"value": float(rng.choice([5, 8, 25, 38, 39.5, 40, 60, 91, 131, 6.5]))}
                    if rng.random() < 0.8
                    else {}
                ),
            }
        )
    return facts


def _kinds(ruleset: CompiledRuleset) -> list[tuple[str, str]]:
    out = set()
    for rule in ruleset.definition.values():
        for term in rule["all"]:
            for expr in term.values():
                kind, vs = expr["$and"][0]["kind"], expr["$and"][1]
                for v in vs.get("$or") or [vs]:
                    out.add((kind, v["valueset"]))
    return sorted(out)


def test_eight_threads_share_one_engine_and_agree_with_the_reference() -> None:
    pack = load_pack()
    rulesets = [(r, _kinds(r)) for r in (compile_pack(pack, h) for h in pack.spec.pack.hooks)]
    engine: RuleEngine = DurableEngine()
    failures: list[str] = []

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(300):
                ruleset, kinds = rng.choice(rulesets)
                facts = _random_facts(rng, kinds)
                got, want = engine.evaluate(ruleset, facts), REFERENCE.evaluate(ruleset, facts)
                if got != want:
                    failures.append(f"seed {seed}: {facts} → {got} != {want}")
        except Exception as exc:  # reported below, with the thread
            failures.append(f"seed {seed}: {exc!r}")

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


# ------------------------------------------------------------------ 12. first state of a ruleset

RAW_FIRST_STATE = """
import durable_rules_engine, json
from durable.engine import Host
class H(Host):
    def _run(self): pass
    def get_action(self, name): return lambda c: None
h = H()
h.register_rulesets({"f": {"r": {"all": [{"p0": {"kind": "a"}}], "run": "r"}}})
rs = h.get_ruleset("f")
code, offset = durable_rules_engine.assert_facts(rs._handle, '[{"kind": "z", "sid": "1"}]')
rs.do_actions(offset, lambda e, s: None)
print("asserted", code, flush=True)
rs.delete_state("1")
print("survived", flush=True)
"""


def test_raw_deleting_a_state_before_any_action_ever_ran_crashes() -> None:
    """A state whose pool slot never hosted an action cannot be deleted: here, the first
    session of a fresh ruleset, which fires nothing."""
    run = subprocess.run(
        [sys.executable, "-c", RAW_FIRST_STATE], capture_output=True, text=True, timeout=60
    )
    assert "asserted 1" in run.stdout
    assert "survived" not in run.stdout and run.returncode != 0


def test_wrapper_first_evaluation_may_fire_nothing(rule_engine: RuleEngine) -> None:
    """The wrapper fires a warm-up rule at registration, so this does not crash."""
    ruleset = compile_pack(load_pack(), "patient-view")
    nothing = {"fid": 0, "kind": "condition", "valueset": "no-such", "age_h": 0.0}
    assert rule_engine.evaluate(ruleset, [nothing]) == []
    assert rule_engine.evaluate(ruleset, [nothing]) == []


# ------------------------------------------------------------------ 13. busy


def test_busy_while_an_evaluation_holds_the_engine(engine: DurableEngine) -> None:
    """What the service asks (through ``Evaluator.busy``) before evaluating on the event loop:
    durable is busy while a call holds its one lock; the reference, sharing nothing, never."""
    assert not engine.busy
    with engine._lock:  # as an evaluation on another thread holds it
        assert engine.busy
    assert not engine.busy
    assert not REFERENCE.busy


# ------------------------------------------------------------------ rules with the same patterns


def test_rules_with_the_same_patterns_each_fire(rule_engine: RuleEngine) -> None:
    """durable registers rules with the same patterns as one (one set of beta nodes, one
    action a call); each still fires, and two whose action is the same fire twice, as
    apart."""
    same = {
        "r": {"all": [{"p0": pattern("a")}], "run": "r"},
        "s": {"all": [{"p0": pattern("a")}], "run": "s"},
        "t0": {"all": [{"p0": pattern("a")}, {"p1": pattern("b")}], "run": "t"},
        "t1": {"all": [{"p0": pattern("a")}, {"p1": pattern("b")}], "run": "t"},
    }
    fired = rule_engine.evaluate(compiled(same), [fact(1, "a"), fact(2, "a"), fact(3, "b")])
    assert fired == [
        Firing("r", (1,)),
        Firing("r", (2,)),
        Firing("s", (1,)),
        Firing("s", (2,)),
        Firing("t", (1, 3)),
        Firing("t", (1, 3)),
        Firing("t", (2, 3)),
        Firing("t", (2, 3)),
    ]


def test_rules_differing_in_one_equality_each_fire_on_their_own_facts(
    rule_engine: RuleEngine,
) -> None:
    """durable registers single-pattern rules that differ only in the value one equality asks
    (a sign and its data-check twin: verified 1 and 0) as one rule without it, and each match
    fires the rules whose value its fact has: none for a value neither asks, nor for a fact
    without the field."""

    def on(verified: int) -> dict[str, Any]:
        return {"$and": [{"kind": "a"}, {"verified": verified}, {"$gt": {"value": 5}}]}

    twins = {
        "sign": {"all": [{"p0": on(1)}], "run": "sign"},
        "check": {"all": [{"p0": on(0)}], "run": "check"},
        "other": {"all": [{"p0": pattern("b")}], "run": "other"},
    }
    facts = [
        fact(1, "a", verified=1, value=9.0),
        fact(2, "a", verified=0, value=9.0),
        fact(3, "a", verified=1, value=1.0),
        fact(4, "a", verified=2, value=9.0),
        fact(5, "a", value=9.0),
        fact(6, "b"),
    ]
    assert rule_engine.evaluate(compiled(twins), facts) == [
        Firing("check", (2,)),
        Firing("other", (6,)),
        Firing("sign", (1,)),
    ]


def test_rules_differing_in_their_value_set_fire_on_their_own_facts(
    rule_engine: RuleEngine,
) -> None:
    """Rules alike but for their value set are one durable rule matching any value set of the
    kind: a fact of a value set neither names fires nothing."""
    rules = {
        "x": {"all": [{"p0": pattern("a", "x")}], "run": "x"},
        "y": {"all": [{"p0": pattern("a", "y")}], "run": "y"},
    }
    facts = [fact(1, "a", "x"), fact(2, "a", "y"), fact(3, "a", "z"), fact(4, "b", "x")]
    assert rule_engine.evaluate(compiled(rules), facts) == [Firing("x", (1,)), Firing("y", (2,))]


def test_rules_naming_several_value_sets_fire_on_each(rule_engine: RuleEngine) -> None:
    """A rule of an ``$or`` of value sets merges with rules alike but for theirs: a fact of a
    value set two of them name fires both, once each."""

    def of(*valuesets: str) -> dict[str, Any]:
        named = [{"valueset": v} for v in valuesets]
        return {"$and": [{"kind": "a"}, named[0] if len(named) == 1 else {"$or": named}]}

    rules = {
        "xy": {"all": [{"p0": of("x", "y", "x")}], "run": "xy"},
        "y": {"all": [{"p0": of("y")}], "run": "y"},
        "z": {"all": [{"p0": of("z")}], "run": "z"},
    }
    facts = [fact(1, "a", "x"), fact(2, "a", "y"), fact(3, "a", "w"), fact(4, "b", "y")]
    assert rule_engine.evaluate(compiled(rules), facts) == [
        Firing("xy", (1,)),
        Firing("xy", (2,)),
        Firing("y", (2,)),
    ]
