"""The only module that imports durable_rules: one engine per process, behind one lock.

durable_rules 2.0.28 is fast enough and does joins and negation, but it has traps (see
shared/design/engine-notes.md, each pinned by tests/engine/test_durable_contract.py):

- it is not thread-safe, even with distinct sessions: every call goes through one lock;
- the stock Host starts timer threads that run actions later: our Host never starts them;
- a batch with an unmatched fact reports "not handled" and leaves its actions queued:
  we run the queued actions ourselves whatever the batch result;
- ``$not`` is only checked when the positive facts arrive (measured here): facts that negated
  patterns look at are asserted first;
- identical facts are dropped as duplicates: every fact carries a unique ``fid``;
- exceptions raised in durable's action loop are swallowed into the state: we never run
  that loop; ``DurableEngine._run_actions`` drives the C calls itself, records each firing,
  and an error there abandons the action and is raised as ``RuleActionFailed``;
- live sessions are capped at 1024 and every state must be deleted: ``finally``;
- a ruleset name registers once: names carry a hash of their definition;
- firing order is not assertion order: firings are sorted;
- by default one fact never fills two patterns of one rule (durable's ``dist``): we register
  every rule with ``"dist": false``, so a join fires whenever each pattern has a matching fact,
  as the pack author reads it and as the reference evaluator computes it;
- deleting a state segfaults when its slot in the ruleset's state pool has never hosted an
  action (so a first evaluation that fires nothing would kill the process): every ruleset is
  registered with a warm-up rule, fired once in a throw-away session in the first slot, and
  only one state is ever live, so every evaluation reuses that slot;
- a number that the serialiser writes with an exponent (``1e-7``) makes a batch assert return
  a bogus state that crashes the process in ``do_actions``: such a batch is refused.

Each rule is registered with a ``cap`` (durable's own setting: an action takes up to that
many of the rule's pending matches at once), so one start or complete call, and one JSON
message, brings every firing of a rule instead of one firing each. Rules with the same
patterns, or single-pattern rules that differ only in one equality's value (a sign and its
data-check twin, conditions of one kind), are registered as one durable rule that stands for
each (`_merged`).
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Sequence
from typing import Any

import durable_rules_engine
import orjson
from durable.engine import Host

from cds.engine import Firing
from cds.errors import EngineError, RuleActionFailed
from cds.pack.compile import CompiledRuleset

_WARMUP = "__warmup__"
"""A rule no real fact matches (no such kind), fired once per ruleset at registration."""
_CAP = 10_000
"""The most matches of one rule an action takes at once (more come in the next action)."""


class _QuietHost(Host):  # type: ignore[misc]
    """A Host with no background dispatch threads; actions are looked up by rule id."""

    def __init__(self) -> None:
        super().__init__()

    def _run(self) -> None:
        """Deliberately start no timer threads."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        """What durable binds to each rule at registration. Never called:
        ``DurableEngine._run_actions`` runs the queued actions itself (durable's own loop
        swallows errors into the state)."""

        def not_run_here(_c: Any) -> None:
            raise RuleActionFailed(f"durable ran the action of {action_name} itself")

        return not_run_here


class DurableEngine:
    """One durable host: registers compiled rulesets and evaluates fact batches, serialised
    (a ``RuleEngine``)."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._negated: dict[str, frozenset[tuple[str, str]]] = {}
        self._runs: dict[str, dict[str, Route]] = {}
        """ruleset name → durable rule name → the actions (findings) it stands for"""

    @property
    def busy(self) -> bool:
        """Whether an evaluation holds the engine now (a caller on the event loop should not
        wait for it there)."""
        return self._lock.locked()

    def evaluate(self, ruleset: CompiledRuleset, facts: Sequence[dict[str, Any]]) -> list[Firing]:
        """Assert one patient's facts as one batch and return the sorted firings."""
        if not facts:
            return []
        with self._lock:
            self._register(ruleset)
            handle = self._host.get_ruleset(ruleset.name)
            sid = str(next(self._sids))
            first: list[dict[str, Any]] = []  # facts of negated patterns go first (a trap)
            rest: list[dict[str, Any]] = []
            for f in facts:
                (first if (f["kind"], f["valueset"]) in ruleset.negated_first else rest).append(
                    {**f, "sid": sid}
                )
            ordered = first + rest
            payload = orjson.dumps(ordered)
            if (b"e+" in payload or b"e-" in payload) and _has_exponent(ordered):
                raise EngineError("a fact number has an exponent, which durable cannot read")
            found: dict[str, list[tuple[int, ...]]] = {}
            try:
                result = durable_rules_engine.assert_facts(handle._handle, payload.decode())
                self._run_actions(handle, result, found, self._runs[ruleset.name])
                return _sorted_firings(found)
            except durable_rules_engine.error as exc:
                raise EngineError(f"rules engine refused the facts: {exc}") from exc
            finally:
                self._delete(handle, sid)

    def _register(self, ruleset: CompiledRuleset) -> None:
        if ruleset.name not in self._negated:
            definition, runs = _merged(ruleset.definition)
            definition[_WARMUP] = {
                "all": [{"w": {"kind": _WARMUP}}],
                "run": _WARMUP,
                "cap": _CAP,  # like every rule: its matches come as a list
            }
            runs[_WARMUP] = (None, {None: (_WARMUP,)})
            self._host.register_rulesets({ruleset.name: definition})
            self._warm_up(self._host.get_ruleset(ruleset.name))
            self._negated[ruleset.name] = ruleset.negated_first
            self._runs[ruleset.name] = runs

    def _warm_up(self, handle: Any) -> None:
        """Run one action in a throw-away session, so later states can be deleted safely."""
        sid = f"{_WARMUP}{next(self._sids)}"
        fact = orjson.dumps([{"kind": _WARMUP, "fid": 0, "sid": sid}]).decode()
        try:
            self._run_actions(handle, durable_rules_engine.assert_facts(handle._handle, fact), {})
        finally:
            self._delete(handle, sid)

    def _run_actions(
        self,
        handle: Any,
        result: tuple[int, int],
        found: dict[str, list[tuple[int, ...]]],
        runs: dict[str, Route] | None = None,
    ) -> None:
        """Run every queued action now, on this thread, even for a "not handled" batch, and
        put the fids of each match in ``found``, under each action (finding) of its rule.

        durable's own loop (``Ruleset.do_actions``) wraps each action in promises and
        re-serialises the session state after every action with ``json.dumps``; our actions
        never change the state, so we drive the C calls directly: start, record, complete.
        Every rule is registered with a cap, so each action brings a list of its matches.
        A recording failure abandons the action (as durable does) and surfaces as
        ``RuleActionFailed``; the session is deleted by the caller either way.
        """
        rs, state = handle._handle, result[1]
        started = durable_rules_engine.start_action_for_state(rs, state)
        if not started:
            return
        message = orjson.loads(started[1])
        while True:
            try:
                for rule, matches in message.items():
                    field, actions = (runs or {}).get(rule, (None, {None: (rule,)}))
                    if field is None:
                        _record(found, actions[None], [_fids(matched) for matched in matches])
                        continue
                    for matched in matches:  # one pattern: its fact says which rules fire
                        (fact,) = matched.values()
                        _record(found, actions.get(fact.get(field), ()), [(int(fact["fid"]),)])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                durable_rules_engine.abandon_action(rs, state)
                raise RuleActionFailed(f"a rule action failed: {exc}") from exc
            following = durable_rules_engine.complete_and_start_action(rs, state)
            if not following:
                return
            message = orjson.loads(following)

    @staticmethod
    def _delete(handle: Any, sid: str) -> None:
        try:
            handle.delete_state(sid)
        except Exception:  # noqa: S110  # nosec B110  # a state never created: nothing to free
            pass


Route = tuple[str | None, dict[object, tuple[str, ...]]]
"""What one registered durable rule stands for: (a field, or None; that field's value in the
matched fact → the actions, the findings, it fires). With no field, every match fires the
actions under None."""


def _merged(definition: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Route]]:
    """The rules as durable registers them (``dist`` off, a ``cap``), as few as fire the same,
    and the route of each durable rule to the actions it stands for.

    A session sets up the state of every pattern of every rule (durable's beta nodes: 8 KB of
    indexes each, cleared at every call) and a rule's matches come in an action of their own,
    so rules that differ in nothing, or only in what one equality asks of one field of their
    single pattern, are registered once:

    - rules with the same patterns (the pack's scope and its instructions rule, both "a back
      pain condition") are one rule firing each's action, once per rule (two scope rules
      alike still fire twice, as each would);
    - single-pattern rules that differ only in the value one equality asks of a field (an
      emergency sign and its data-check twin: ``verified`` 1 and 0; the caution rules of
      five conditions, each its ``valueset``) are one rule without that equality, each match
      firing the actions of the rules whose value its fact has (none: a fact no rule of
      theirs asks for, which the wider pattern now matches too).
    """
    out: dict[str, Any] = {}
    runs: dict[str, tuple[str, ...]] = {}
    first: dict[bytes, str] = {}  # a pattern list → the rule that registers it
    for rule_id, rule in definition.items():
        same = orjson.dumps(rule["all"], option=orjson.OPT_SORT_KEYS)
        owner = first.setdefault(same, rule_id)
        if owner == rule_id:
            out[rule_id] = {**copy.deepcopy(rule), "dist": False, "cap": _CAP}
            runs[rule_id] = (rule["run"],)
        else:
            runs[owner] += (rule["run"],)
    routes: dict[str, Route] = {rule_id: (None, {None: names}) for rule_id, names in runs.items()}
    for (alias, field, i, _), members in _variants(out).items():
        if len(members) < 2 or any(routes[r][0] is not None for r, _ in members):
            continue
        owner = members[0][0]
        terms = out[owner]["all"][0][alias]["$and"]
        out[owner]["all"] = [{alias: {"$and": terms[:i] + terms[i + 1 :]}}]
        actions: dict[object, tuple[str, ...]] = {}
        for r, values in members:
            for value in dict.fromkeys(values):  # a value an $or repeats fires once
                actions[value] = actions.get(value, ()) + runs[r]
        routes[owner] = (field, actions)
        for r, _ in members[1:]:
            del out[r], routes[r]
    return out, routes


def _variants(
    rules: dict[str, Any],
) -> dict[tuple[str, str, int, bytes], list[tuple[str, tuple[Any, ...]]]]:
    """Single-pattern rules (no negation) by their pattern with one equality left out: (alias,
    the equality's field, its place, the rest) → each rule and the values it accepts there
    (one, or an ``$or`` of equalities on that one field)."""
    out: dict[tuple[str, str, int, bytes], list[tuple[str, tuple[Any, ...]]]] = {}
    for rule_id, rule in rules.items():
        if len(rule["all"]) != 1 or len(rule["all"][0]) != 1:
            continue
        ((alias, expression),) = rule["all"][0].items()
        if alias.endswith("$not") or "$and" not in expression:
            continue
        terms = expression["$and"]
        for i, term in enumerate(terms):
            asked = _asked(term)
            if asked is not None:
                rest = orjson.dumps(terms[:i] + terms[i + 1 :], option=orjson.OPT_SORT_KEYS)
                out.setdefault((alias, asked[0], i, rest), []).append((rule_id, asked[1]))
    return out


def _asked(term: dict[str, Any]) -> tuple[str, tuple[Any, ...]] | None:
    """(field, the values it may have) of an equality or an ``$or`` of equalities on one field
    (``{"valueset": "ckd"}``, ``{"$or": [{"valueset": "a"}, {"valueset": "b"}]}``); None for
    any other term."""
    equalities = term["$or"] if len(term) == 1 and "$or" in term else [term]
    fields, values = set(), []
    for equality in equalities:
        if not isinstance(equality, dict) or len(equality) != 1:
            return None
        ((field, value),) = equality.items()
        if field.startswith("$") or isinstance(value, bool) or not isinstance(value, int | str):
            return None
        fields.add(field)
        values.append(value)
    return (fields.pop(), tuple(values)) if len(fields) == 1 else None


def _record(
    found: dict[str, list[tuple[int, ...]]], names: tuple[str, ...], fids: list[tuple[int, ...]]
) -> None:
    """Add the matches to each action's in ``found`` (its own list: one per action)."""
    for name in names:
        known = found.get(name)
        if known is None:
            found[name] = list(fids)
        else:
            known += fids


def _sorted_firings(found: dict[str, list[tuple[int, ...]]]) -> list[Firing]:
    """The firings in ``Firing``'s own order (rule, then fids): the rule names sorted once,
    then each rule's matches among themselves (a rule's matches come together, in one action
    or a few): the order of sorting every firing by (rule, fids), without a key tuple built
    and compared for each."""
    return [Firing(rule, fids) for rule in sorted(found) for fids in sorted(found[rule])]


def _fids(matched: dict[str, Any]) -> tuple[int, ...]:
    """The facts of one durable match: one per alias, in alias order (a lone pattern's fact
    may come bare)."""
    if "fid" in matched and not isinstance(matched["fid"], dict):
        return (int(matched["fid"]),)
    if len(matched) == 1:  # one positive pattern, as most rules have: no order to find
        (fact,) = matched.values()
        return (int(fact["fid"]),) if "fid" in fact else ()
    return tuple([int(matched[a]["fid"]) for a in sorted(matched) if "fid" in matched[a]])


def _has_exponent(facts: Sequence[dict[str, Any]]) -> bool:
    """Whether any number in the facts serialises with an exponent. orjson always signs an
    exponent (``1e+16``, ``1e-7``), so ``e+``/``e-`` in the payload pre-screens; a value-set
    name may contain them too, hence this exact check."""
    return any(isinstance(v, float) and b"e" in orjson.dumps(v) for f in facts for v in f.values())


_engine: DurableEngine | None = None
_engine_lock = threading.Lock()


def get_engine() -> DurableEngine:
    """The process's engine, created on first use (the spine's default)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = DurableEngine()
        return _engine
