"""The rules engine as the spine sees it: compiled rules and facts in, sorted firings out.

``durable.py`` (``DurableEngine``, the only importer of durable_rules) is the engine the spine
runs; ``reference.py`` (``ReferenceEngine``, plain Python) is its oracle in the tests. Both
implement :class:`RuleEngine`, so either can be injected into ``cds.pipeline.Evaluator``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from cds.pack.compile import CompiledRuleset


@dataclass(order=True, unsafe_hash=True, slots=True)
class Firing:
    """A rule that fired, and the ``fid`` of each fact its positive patterns matched.

    Treat it as frozen (it is hashed as if it were): not declared ``frozen``, which sets each
    field through ``object.__setattr__`` and made building one cost three times as much."""

    rule: str
    fids: tuple[int, ...]


class RuleEngine(Protocol):
    """What the spine needs of a rules engine."""

    @property
    def busy(self) -> bool:
        """Whether an evaluation holds the engine now, so another would wait for it."""
        ...

    def evaluate(self, ruleset: CompiledRuleset, facts: Sequence[dict[str, Any]]) -> list[Firing]:
        """Every firing of the ruleset's rules on one patient's engine facts, sorted."""
        ...
