"""``cds review --compare B``: the same review under a second configuration, in the same pass.

The input is read and grouped once; each patient's lines are parsed once and replayed by two
``PatientReviewer``s, one under A (``--config``/``--pack``) and one under B (another settings
file, or another pack folder or version). Each shard writes B's cards and errors beside A's and
one ``changes`` line per patient whose cards differ; the parent merges them into
``compare-cards.ndjson``, ``compare-errors.ndjson`` and ``compare.json`` (``burden.py``).

A card "changes" per replayed call and topic: present only under B (newly alerted), only under
A (silenced), under both but behind none of the same rules (replaced: a rule's card gives way
to another rule's card of the same topic), with another indicator (indicator changed) or
behind partly other rules (rules changed). Each change carries the evidence of the rules
that differ, from the findings. No clinical ``if`` here: the two reviews are the spine's
answers, compared.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from cds.config import load_settings, zone_of
from cds.errors import CdsError, ConfigError
from cds.findings import Evidence
from cds.pack.load import Pack, load_pack, pack_path
from cds.pipeline import Evaluator
from cds.review.record import parse_lines
from cds.review.replay import (
    WRITE_BUFFER,
    PatientResult,
    PatientReviewer,
    tagged,
    write_result,
)
from cds.review.stats import ReviewStats

#: The kinds of change, in the order they are reported.
CHANGE_KINDS = ("newly alerted", "silenced", "replaced", "indicator changed", "rules changed")


@dataclass(frozen=True)
class Side:
    """One configuration of a comparison: a pack and the site settings it runs under."""

    label: str
    pack: str | None
    site: Mapping[str, float | None] = field(default_factory=dict)
    site_timezone: str = "UTC"


@dataclass(frozen=True)
class Counterpart:
    """B, validated: its side and its loaded pack (travels to the workers)."""

    side: Side
    pack: Pack


# ---------------------------------------------------------------------------------------------
# B: read and validated before any input is read


def side_of(target: Path, base: Side) -> Side:
    """B from the ``--compare`` argument: a settings file layered on A (each site setting it
    gives overrides A's, the others stay A's; its ``site_timezone`` and ``pack`` when it gives
    them, else A's) or a pack folder or name (under A's site settings). A ConfigError names
    the argument when it is neither."""
    if target.is_file():
        try:
            settings = load_settings(target, serving=False)
        except ConfigError as exc:
            raise ConfigError(f"--compare {target}: {exc.message}", details=exc.details) from exc
        given = settings.model_fields_set
        pack = settings.pack if "pack" in given else base.pack
        zone = settings.site_timezone if "site_timezone" in given else base.site_timezone
        return Side(str(target), pack, {**base.site, **settings.site}, zone)
    if target.is_dir():
        return Side(str(target), str(target), base.site, base.site_timezone)
    try:
        pack_path(str(target))
    except CdsError as exc:
        raise ConfigError(
            f"--compare {target}: no such settings file, pack folder or pack name"
        ) from exc
    return Side(str(target), str(target), base.site, base.site_timezone)


def load_counterpart(side: Side) -> Counterpart:
    """Load B's pack and compile it under B's settings, so that a pack that does not load or a
    setting it does not know stops the run before the input is read."""
    try:
        pack = load_pack(side.pack)
        Evaluator(pack, side.site, timezone=zone_of(side.site_timezone))
    except (CdsError, ValueError) as exc:
        message = exc.message if isinstance(exc, CdsError) else str(exc)
        raise ConfigError(f"--compare {side.label}: {message}") from exc
    return Counterpart(side, pack)


# ---------------------------------------------------------------------------------------------
# In the worker: one parse, two reviews, one diff


class PairReviewer:
    """Reviews each patient under A and under B from one parse of its lines."""

    def __init__(self, a: PatientReviewer, b: PatientReviewer) -> None:
        self.a = a
        self.b = b
        self.same_calls = (
            a.triggers == b.triggers
            and a.tz == b.tz
            and a.as_of == b.as_of
            and a.medications is b.medications
        )
        """Whether B replays exactly A's calls (the same orders, zone, as-of, Medications):
        then they are built once."""
        ea, eb = a.evaluator, b.evaluator
        same_spine = (
            self.same_calls
            and ea.timezone == eb.timezone
            and ea.engine is eb.engine
            and ea.pack == eb.pack
        )
        self.same_answers = frozenset(
            hook
            for hook, ruleset in ea.rulesets.items()
            if same_spine and eb.rulesets.get(hook) == ruleset
        )
        """The hooks whose calls B's spine answers exactly as A's: the same calls, pack and
        zone, and a ruleset compiled the same under both settings (a setting only some rules
        read leaves the other hooks' rulesets alike). B takes A's answers to those calls
        instead of evaluating them again; every other call is evaluated under B."""

    def review(
        self, pid: str, lines: Sequence[bytes]
    ) -> tuple[PatientResult, PatientResult, dict[str, Any] | None]:
        """(A's result, B's result, the patient's changes or None)."""
        resources, duplicates = parse_lines(lines)
        under_a = self.a.review_parsed(pid, resources, duplicates)
        like = under_a if self.same_calls else None
        shared = self.same_answers if like is not None else frozenset()
        under_b = self.b.review_parsed(pid, resources, duplicates, like, shared)
        return under_a, under_b, diff_patient(pid, under_a, under_b)


def review_pair_shard(pair: PairReviewer, groups: dict[str, list[bytes]], base: str) -> ReviewStats:
    """A shard under both: A's files as a plain review writes them, B's cards and errors beside
    them (``.b-cards``, ``.b-errors``), the changes, the changed patients' lines under A and B
    again (``.changed-a``, ``.changed-b``, tagged: the report's pairs), and B's counts
    (``.compare.json``); A's stats."""
    stats, stats_b = ReviewStats(), ReviewStats()
    span: list[float] | None = None
    changed: dict[str, int] = {}
    names = (
        "cards",
        "errors",
        "flagged",
        "b-cards",
        "b-errors",
        "changes",
        "changed-a",
        "changed-b",
    )
    handles = {name: open(f"{base}.{name}.tmp", "wb", WRITE_BUFFER) for name in names}
    try:
        for pid in sorted(groups):
            under_a, under_b, changes = pair.review(pid, groups.pop(pid))
            write_result(pid, under_a, handles["cards"], handles["errors"], handles["flagged"])
            write_result(pid, under_b, handles["b-cards"], handles["b-errors"])
            stats.merge(under_a.stats)
            stats_b.merge(under_b.stats)
            span = widen_span(widen_span(span, under_a.span), under_b.span)
            if changes is not None:
                handles["changes"].write(orjson.dumps(changes) + b"\n")
                handles["changed-a"].write(tagged(pid, under_a.lines))
                handles["changed-b"].write(tagged(pid, under_b.lines))
                for kind in {c["change"] for c in changes["changes"]}:
                    changed[kind] = changed.get(kind, 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    compare_tmp = f"{base}.compare.tmp"
    with open(compare_tmp, "wb") as fh:
        fh.write(orjson.dumps({"b": stats_b, "span": span, "changed": changed}))
    for name in names:
        os.replace(f"{base}.{name}.tmp", f"{base}.{name}.ndjson")
    os.replace(compare_tmp, f"{base}.compare.json")
    return stats


def widen_span(span: list[float] | None, more: Sequence[float] | None) -> list[float] | None:
    """The first and last of two spans (``[first, last]`` in POSIX seconds, or None)."""
    if more is None:
        return span
    return [min(span[0], more[0]), max(span[1], more[1])] if span else list(more)


def diff_patient(pid: str, a: PatientResult, b: PatientResult) -> dict[str, Any] | None:
    """Each (call, topic) whose card differs between A and B, with the evidence that differs."""
    under_a, under_b = _cards_by_call_topic(a), _cards_by_call_topic(b)
    changes = []
    for key in sorted(under_a.keys() | under_b.keys()):
        card_a, card_b = under_a.get(key), under_b.get(key)
        kind = _change_kind(card_a, card_b)
        if kind is None:
            continue
        hook, at, topic = key
        called = datetime.fromisoformat(at)
        rules_a = card_a[1] if card_a else ()
        rules_b = card_b[1] if card_b else ()
        differing = set(rules_a) ^ set(rules_b) or set(rules_a) | set(rules_b)
        changes.append(
            {
                "hook": hook,
                "at": at,
                "topic": topic,
                "change": kind,
                "indicator": {"a": card_a and card_a[0], "b": card_b and card_b[0]},
                "rules": {"a": list(rules_a), "b": list(rules_b)},
                "evidence": [
                    *_evidence("a", card_a, differing, called),
                    *_evidence("b", card_b, differing, called),
                ],
            }
        )
    return {"patient": f"Patient/{pid}", "changes": changes} if changes else None


_Card = tuple[str, tuple[str, ...], list[tuple[str, Evidence]]]


def _cards_by_call_topic(result: PatientResult) -> dict[tuple[str, str, str], _Card]:
    out: dict[tuple[str, str, str], _Card] = {}
    for outcome in result.outcomes:
        by_topic = outcome.evaluation.rules_by_topic
        for card in outcome.cards:
            topic = str(card.get("source", {}).get("topic", {}).get("code", "?"))
            evidence = [
                (f.rule_id, e)
                for f in outcome.evaluation.findings
                if f.topic == topic
                for e in f.evidence
            ]
            out[(outcome.hook, outcome.at, topic)] = (
                str(card.get("indicator")),
                by_topic.get(topic, ()),
                evidence,
            )
    return out


def _change_kind(a: _Card | None, b: _Card | None) -> str | None:
    if a is None:
        return "newly alerted"
    if b is None:
        return "silenced"
    if a[1] and b[1] and not set(a[1]) & set(b[1]):
        return "replaced"
    if a[0] != b[0]:
        return "indicator changed"
    if a[1] != b[1]:
        return "rules changed"
    return None


def _evidence(
    side: str, card: _Card | None, rules: set[str], called: datetime
) -> list[dict[str, Any]]:
    """Each piece of evidence of the rules that differ: the value as recorded and, beside it,
    the number the rule compared in its canonical unit (100.9 [degF] was compared as 38.28
    Cel); the time as recorded and the instant it was read as (a time without a zone is read
    in the site's zone), from the call's time less the reading's age."""
    if card is None:
        return []
    return [
        {
            "side": side,
            "rule": rule,
            "resource": e.rid,
            "what": e.display,
            "value": e.value,
            "compared": None if e.compared is None else round(e.compared, 2),
            "unit": e.unit,
            "time": e.time,
            "instant": _instant(called, e.time, e.age_h),
            **({"note": e.note} if e.note else {}),
        }
        for rule, e in card[2]
        if rule in rules
    ]


def _instant(called: datetime, time: str | None, age_h: float | None) -> str | None:
    """The reading's instant, in the call's zone (None when the record gives no time)."""
    if time is None or age_h is None:
        return None
    return (called - timedelta(hours=age_h)).isoformat(timespec="seconds")
