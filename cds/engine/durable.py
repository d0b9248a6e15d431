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
- exceptions raised in actions are swallowed into the state: actions only append to a list;
- live sessions are capped at 1024 and every state must be deleted: ``finally``;
- a ruleset name registers once: names carry a hash of their definition;
- firing order is not assertion order: firings are sorted.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import durable_rules_engine
import orjson
from durable.engine import Host

from cds.errors import EngineError, RuleActionFailed
from cds.pack.compile import CompiledRuleset


@dataclass(frozen=True, order=True)
class Firing:
    """A rule that fired, and the ``fid`` of each fact its positive patterns matched."""

    rule: str
    fids: tuple[int, ...]


class _QuietHost(Host):  # type: ignore[misc]
    """A Host with no background dispatch threads; actions are looked up by rule id."""

    def __init__(self) -> None:
        self.collected: list[Firing] = []
        super().__init__()

    def _run(self) -> None:
        """Deliberately start no timer threads."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        def collect(c: Any) -> None:
            matched = c._m or {}
            fids = tuple(
                int(matched[alias]["fid"]) for alias in sorted(matched) if "fid" in matched[alias]
            )
            self.collected.append(Firing(action_name, fids))

        return collect


class Engine:
    """One durable host: registers compiled rulesets and evaluates fact batches, serialised."""

    def __init__(self) -> None:
        self._host = _QuietHost()
        self._lock = threading.Lock()
        self._sids = itertools.count(1)
        self._negated: dict[str, frozenset[tuple[str, str]]] = {}

    def evaluate(self, ruleset: CompiledRuleset, facts: Sequence[dict[str, Any]]) -> list[Firing]:
        """Assert one patient's facts as one batch and return the sorted firings."""
        if not facts:
            return []
        ordered = sorted(
            facts, key=lambda f: (f["kind"], f["valueset"]) not in ruleset.negated_first
        )
        with self._lock:
            self._register(ruleset)
            handle = self._host.get_ruleset(ruleset.name)
            sid = str(next(self._sids))
            payload = orjson.dumps([{**f, "sid": sid} for f in ordered])
            self._host.collected = []
            try:
                result = durable_rules_engine.assert_facts(handle._handle, payload.decode())
                self._run_actions(handle, result)
                return sorted(self._host.collected)
            except durable_rules_engine.error as exc:
                raise EngineError(f"rules engine refused the facts: {exc}") from exc
            finally:
                self._host.collected = []
                self._delete(handle, sid)

    def _register(self, ruleset: CompiledRuleset) -> None:
        if ruleset.name not in self._negated:
            self._host.register_rulesets({ruleset.name: copy.deepcopy(ruleset.definition)})
            self._negated[ruleset.name] = ruleset.negated_first

    @staticmethod
    def _run_actions(handle: Any, result: tuple[int, int]) -> None:
        """Run every queued action now, on this thread, even for a "not handled" batch."""
        errors: list[BaseException] = []

        def done(error: BaseException | None, _state: Any) -> None:
            if error is not None:
                errors.append(error)

        handle.do_actions(result[1], done)
        if errors:
            raise RuleActionFailed(f"a rule action failed: {errors[0]}") from errors[0]

    @staticmethod
    def _delete(handle: Any, sid: str) -> None:
        try:
            handle.delete_state(sid)
        except Exception:  # noqa: S110 - a state that never came to exist has nothing to free
            pass


_engine: Engine | None = None
_engine_lock = threading.Lock()


def get_engine() -> Engine:
    """The process's engine, created on first use."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = Engine()
        return _engine


def reset_engine() -> None:
    """Forget the process's engine (tests, and worker processes after fork)."""
    global _engine
    with _engine_lock:
        _engine = None
