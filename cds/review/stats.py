"""A review's counters: one patient's, a shard's or a whole run's, added up with `merge`.

Each shard writes its `ReviewStats` as JSON (``parts/shard-N.stats.json``; B's in
``.compare.json``), the parent reads them back (`from_json`) and merges them in shard order;
``summary.json`` and ``compare.json`` are built from the total.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class ReviewStats:
    """What a review counted. The field order is the order of the shards' JSON files."""

    patients: int = 0
    patients_with_cards: int = 0
    resources: int = 0
    duplicates: int = 0
    """Lines repeating an earlier resource (same type and id) of the same patient."""
    patient_errors: int = 0
    """Lines of patients whose id is not a FHIR id (none of them reviewed)."""
    call_errors: int = 0
    orders_without_time: int = 0
    """Qualifying orders not replayed: no time says when they were signed."""
    calls: dict[str, int] = field(default_factory=dict)
    """Replayed calls by hook."""
    cards: int = 0
    by_topic: dict[str, int] = field(default_factory=dict)
    by_indicator: dict[str, int] = field(default_factory=dict)
    by_rule: dict[str, int] = field(default_factory=dict)
    """Cards by each rule behind their topic (a card behind two rules counts for both)."""
    by_hook_topic: dict[str, int] = field(default_factory=dict)
    """Cards by ``"<hook> <topic>"``."""

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ReviewStats:
        """Counters as a shard wrote them (``orjson.dumps`` of a `ReviewStats`)."""
        return cls(**doc)

    def merge(self, other: ReviewStats) -> None:
        """Add `other`'s counts to these (a shard adds each patient's; the parent each
        shard's)."""
        self.patients += other.patients
        self.patients_with_cards += other.patients_with_cards
        self.resources += other.resources
        self.duplicates += other.duplicates
        self.patient_errors += other.patient_errors
        self.call_errors += other.call_errors
        self.orders_without_time += other.orders_without_time
        self.cards += other.cards
        for mine, theirs in (
            (self.calls, other.calls),
            (self.by_topic, other.by_topic),
            (self.by_indicator, other.by_indicator),
            (self.by_rule, other.by_rule),
            (self.by_hook_topic, other.by_hook_topic),
        ):
            for key, count in theirs.items():
                mine[key] = mine.get(key, 0) + count

    def count_call(self, hook: str) -> None:
        """One replayed call of `hook`."""
        self.calls[hook] = self.calls.get(hook, 0) + 1

    def count_cards(
        self,
        hook: str,
        cards: list[dict[str, Any]],
        rules_by_topic: Mapping[str, tuple[str, ...]],
    ) -> None:
        """Count cards (as written) by topic, indicator, hook and rule (the rules behind each
        card's topic)."""
        for card in cards:
            topic = card.get("source", {}).get("topic", {}).get("code", "?")
            self.cards += 1
            _add_one(self.by_topic, topic)
            _add_one(self.by_indicator, card.get("indicator", "?"))
            _add_one(self.by_hook_topic, f"{hook} {topic}")
            for rule in rules_by_topic.get(topic, ("?",)):
                _add_one(self.by_rule, rule)


def _add_one(counter: dict[str, int], key: str) -> None:
    counter[key] = counter.get(key, 0) + 1
