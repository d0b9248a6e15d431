"""Tests for review/stats.py: a review's counters, counted, merged and read back."""

from __future__ import annotations

from dataclasses import fields

import orjson

from cds.review.stats import ReviewStats


def card(topic: str, indicator: str) -> dict[str, object]:
    return {"indicator": indicator, "source": {"label": "x", "topic": {"code": topic}}}


def test_cards_are_counted_by_topic_indicator_hook_and_rule() -> None:
    stats = ReviewStats()
    stats.count_call("order-sign")
    rules = {"nsaid-caution": ("ckd-nsaid", "warfarin-nsaid")}
    stats.count_cards(
        "order-sign",
        [card("nsaid-caution", "warning"), {"indicator": "info", "source": {}}],
        rules,
    )
    assert stats.calls == {"order-sign": 1}
    assert stats.cards == 2
    assert stats.by_topic == {"nsaid-caution": 1, "?": 1}
    assert stats.by_indicator == {"warning": 1, "info": 1}
    assert stats.by_hook_topic == {"order-sign nsaid-caution": 1, "order-sign ?": 1}
    # a card counts for every rule behind its topic; a topic no rule is behind counts as "?"
    assert stats.by_rule == {"ckd-nsaid": 1, "warfarin-nsaid": 1, "?": 1}


def every_field_set(n: int) -> ReviewStats:
    """Counters with every field non-zero: a field `merge` forgot would show."""
    stats = ReviewStats()
    for f in fields(ReviewStats):
        setattr(stats, f.name, {"k": n} if isinstance(getattr(stats, f.name), dict) else n)
    return stats


def test_merge_adds_every_counter() -> None:
    total = every_field_set(2)
    total.merge(every_field_set(3))
    assert total == every_field_set(5)
    other = ReviewStats(calls={"patient-view": 1}, by_rule={"r": 4})
    total.merge(other)
    assert total.calls == {"k": 5, "patient-view": 1}
    assert total.by_rule == {"k": 5, "r": 4}
    assert other == ReviewStats(calls={"patient-view": 1}, by_rule={"r": 4})  # not changed


def test_a_shard_file_reads_back_as_written() -> None:
    stats = every_field_set(7)
    doc = orjson.loads(orjson.dumps(stats))
    assert list(doc) == [f.name for f in fields(ReviewStats)]
    assert ReviewStats.from_json(doc) == stats
