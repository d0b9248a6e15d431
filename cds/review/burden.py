"""Alert burden: ``compare.json`` from the shards of a ``--compare`` run, and what it prints.

The counts under A come from A's summary (so they are a plain review's), those under B from the
shards' ``.compare.json``; each count is given with its difference, per 1,000 patients and per
calendar day of the input's time span (the distinct dates, in A's site zone, from the first
replayed call to the last). With ``--feedback``, each rule's observed override rate (per
answered card, from the store) turns cards into expected overridden cards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from cds.config import zone_of
from cds.pack.load import Pack
from cds.review.compare import CHANGE_KINDS, Counterpart, Side, widen_span
from cds.review.overrides import expected_overrides
from cds.review.shards import concatenate
from cds.review.stats import ReviewStats

#: The indicators, always given in ``by_indicator`` (zero when no card has one).
INDICATORS = ("critical", "warning", "info")


def merge_compare(
    out: Path,
    shards: Iterable[int],
    summary: Mapping[str, Any],
    sides: tuple[Side, Counterpart],
    pack_a: Pack,
    rates: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Write compare-cards.ndjson, compare-errors.ndjson and compare.json; the compare doc."""
    parts = out / "parts"
    stats_b = ReviewStats()
    span: list[float] | None = None
    changed: dict[str, int] = {}
    bases = [parts / f"shard-{s:05d}" for s in shards]
    concatenate(out / "compare-cards.ndjson", [Path(f"{b}.b-cards.ndjson") for b in bases])
    errors = [Path(f"{b}.b-errors.ndjson") for b in bases]
    concatenate(out / "compare-errors.ndjson", [parts / "input-errors.ndjson", *errors])
    patients = []
    for base in bases:
        extra = orjson.loads(Path(f"{base}.compare.json").read_bytes())
        stats_b.merge(ReviewStats.from_json(extra["b"]))
        for kind, count in extra["changed"].items():
            changed[kind] = changed.get(kind, 0) + count
        if extra["span"]:
            span = widen_span(span, extra["span"])
        patients += [
            orjson.loads(line) for line in Path(f"{base}.changes.ndjson").read_bytes().splitlines()
        ]
    side_a, counterpart = sides
    doc = build_compare(summary, stats_b, span, patients, changed, side_a.site_timezone)
    differ = settings_differ(side_a, pack_a, counterpart.side, counterpart.pack)
    doc = {
        "a": _describe(side_a, pack_a),
        "b": _describe(counterpart.side, counterpart.pack),
        "settings_differ": differ,
        "same_settings": not differ,
        **doc,
    }
    if rates is not None:
        doc["feedback"] = expected_overrides(doc["by_rule"], rates)
    doc["notes"] = notes(doc)
    (out / "compare.json").write_bytes(
        orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return doc


def build_compare(
    summary: Mapping[str, Any],
    stats_b: ReviewStats,
    span: Sequence[float] | None,
    patients: list[dict[str, Any]],
    changed: Mapping[str, int],
    zone: str = "UTC",
) -> dict[str, Any]:
    """The counts under A (from the summary) and B, their difference, per 1,000 patients and
    per calendar day of the span (in ``zone``); the changed patients."""
    reviewed = int(summary["patients"]["reviewed"])
    days = calendar_days(span, zone)
    scale = _Scale(reviewed, days)
    a_counts = {
        "by_topic": summary["cards_by_topic"],
        "by_rule": summary["cards_by_rule"],
        "by_indicator": summary["cards_by_indicator"],
        "by_hook_topic": summary["cards_by_hook_topic"],
    }
    b_counts = {
        "by_topic": stats_b.by_topic,
        "by_rule": stats_b.by_rule,
        "by_indicator": stats_b.by_indicator,
        "by_hook_topic": stats_b.by_hook_topic,
    }
    doc: dict[str, Any] = {
        "patients_reviewed": reviewed,
        "span": _span(span, days, zone),
        "calls": {"a": summary["calls"], "b": dict(sorted(stats_b.calls.items()))},
        "call_errors": {"a": summary["call_errors"], "b": stats_b.call_errors},
        "patients_with_cards": {
            "a": summary["patients"]["with_cards"],
            "b": stats_b.patients_with_cards,
        },
        "cards": scale.row(int(summary["cards"]), stats_b.cards),
    }
    for key, a in a_counts.items():
        b = b_counts[key]
        names = {*a, *b, *(INDICATORS if key == "by_indicator" else ())}
        doc[key] = {name: scale.row(a.get(name, 0), b.get(name, 0)) for name in sorted(names)}
    by_hook: dict[str, dict[str, int]] = {}
    for name, row in doc["by_hook_topic"].items():
        counts = by_hook.setdefault(name.split(" ")[0], {"a": 0, "b": 0})
        counts["a"] += row["a"]
        counts["b"] += row["b"]
    doc["by_hook"] = {h: scale.row(c["a"], c["b"]) for h, c in sorted(by_hook.items())}
    doc["changed_patients"] = {
        "total": len(patients),
        **{kind: int(changed.get(kind, 0)) for kind in CHANGE_KINDS},
    }
    doc["patients"] = sorted(patients, key=lambda p: str(p["patient"]))
    return doc


@dataclass(frozen=True)
class _Scale:
    patients: int
    days: float

    def row(self, a: int, b: int) -> dict[str, Any]:
        return {
            "a": a,
            "b": b,
            "difference": b - a,
            "per_1000_patients": self._per(a, b, self.patients / 1000),
            "per_day": self._per(a, b, self.days),
        }

    @staticmethod
    def _per(a: int, b: int, unit: float) -> dict[str, float | None]:
        if unit <= 0:
            return {"a": None, "b": None, "difference": None}
        return {
            "a": round(a / unit, 3),
            "b": round(b / unit, 3),
            "difference": round((b - a) / unit, 3),
        }


def calendar_days(span: Sequence[float] | None, zone: str) -> int:
    """How many calendar days the span touches in the site's zone: a span from 23:00 to 01:00
    the next day is 2 days, one within a single date 1 day; no call, 0."""
    if not span:
        return 0
    tz = zone_of(zone)
    first, last = (datetime.fromtimestamp(t, tz).date() for t in span)
    return (last - first).days + 1


def _span(span: Sequence[float] | None, days: int, zone: str) -> dict[str, Any]:
    if not span:
        return {"first_call": None, "last_call": None, "days": 0, "timezone": zone}
    tz = zone_of(zone)
    first, last = (datetime.fromtimestamp(t, tz).isoformat() for t in span)
    return {"first_call": first, "last_call": last, "days": days, "timezone": zone}


def _describe(side: Side, pack: Pack) -> dict[str, Any]:
    """One side as it ran: its effective settings (the pack's defaults under its overrides)."""
    return {
        "label": side.label,
        "pack": f"{pack.id} {pack.version}",
        "site": dict(side.site),
        "settings": pack.setting_values(dict(side.site)),
        "site_timezone": side.site_timezone,
    }


def notes(doc: Mapping[str, Any]) -> list[str]:
    """Plain sentences on what compare.json's numbers mean and what they cannot say."""
    span = doc["span"]
    out = []
    if doc["same_settings"]:
        out.append(
            "B's effective settings, time zone and pack are A's: every difference is zero by "
            "construction, and no change was looked for."
        )
    out += [
        "The counts are the cards of the replayed calls only (each patient's discharge and "
        "order-sign calls rebuilt from the export), not every call the EHR makes: patient-view "
        "and order-select are not replayed, so live traffic shows more cards.",
        f"Per day: cards divided by the {span['days']} calendar days (in {span['timezone']}) "
        "from the first replayed call to the last, counting both; per 1,000 patients: divided by "
        f"the {doc['patients_reviewed']} patients reviewed.",
        "A changed patient has at least one call whose card of a topic differs: newly "
        "alerted (only under B), silenced (only under A), replaced (another rule's card of the "
        "same topic), indicator changed, or rules changed (some rules differ).",
        "by_rule counts a card once for each rule behind it, so its rows add up to more than "
        "the cards.",
    ]
    feedback = doc.get("feedback")
    if feedback is not None:
        period = feedback["period"]
        when = (
            f"from {period['first']} to {period['last']}"
            if period["first"]
            else "over no answered card at all"
        )
        out.append(
            f"Expected overridden cards use each rule's override rate observed in the feedback "
            f"store {when} (answered cards of the compared packs, each card once); they assume "
            "clinicians will answer B's cards as they answered past ones."
        )
    return out


def settings_differ(a: Side, pack_a: Pack, b: Side, pack_b: Pack) -> list[dict[str, Any]]:
    """What differs between A and B: the pack, each setting's value, the time zone, and the
    rules only one side has or that differ."""
    rows: list[dict[str, Any]] = []
    label_a, label_b = f"{pack_a.id} {pack_a.version}", f"{pack_b.id} {pack_b.version}"
    if label_a != label_b or pack_a.path.resolve() != pack_b.path.resolve():
        rows.append({"setting": "pack", "a": label_a, "b": label_b})
    values_a = pack_a.setting_values(dict(a.site))
    values_b = pack_b.setting_values(dict(b.site))
    for key in sorted({*values_a, *values_b}):
        if values_a.get(key) != values_b.get(key):
            rows.append({"setting": key, "a": values_a.get(key), "b": values_b.get(key)})
    if a.site_timezone != b.site_timezone:
        rows.append({"setting": "site_timezone", "a": a.site_timezone, "b": b.site_timezone})
    rules_a, rules_b = pack_a.rules, pack_b.rules
    for rule in sorted({*rules_a, *rules_b}):
        in_a, in_b = rules_a.get(rule), rules_b.get(rule)
        if in_a is None or in_b is None:
            rows.append({"setting": f"rule {rule}", "a": in_a is not None, "b": in_b is not None})
        elif in_a.model_dump() != in_b.model_dump():
            rows.append({"setting": f"rule {rule}", "a": "as in A", "b": "changed"})
    return rows


# ---------------------------------------------------------------------------------------------
# Feedback: observed override rates (the store's report) and the expected overridden cards


def describe_change(out: Path) -> str:
    """What ``cds review --compare`` prints: the settings that differ, the cards under A and B
    per topic and rule where they differ, and the changed patients (from compare.json)."""
    doc = orjson.loads((out / "compare.json").read_bytes())
    lines = [
        f"compare: A = {doc['a']['label']} ({doc['a']['pack']}), "
        f"B = {doc['b']['label']} ({doc['b']['pack']})"
    ]
    for row in doc["settings_differ"]:
        lines.append(f"  {row['setting']}: {row['a']} -> {row['b']}")
    if doc["same_settings"]:
        lines.append(
            "  B's effective settings, time zone and pack are A's: nothing can differ "
            "(check the --compare file)"
        )
    calls = doc["calls"]
    for hook in sorted({*calls["a"], *calls["b"]}):
        a, b = calls["a"].get(hook, 0), calls["b"].get(hook, 0)
        if a != b:  # B's pack replays other orders (its draft-order value sets differ)
            lines.append(f"  {hook} calls replayed: {a} -> {b}")
    cards, span = doc["cards"], doc["span"]
    lines.append(
        f"cards: {cards['a']} -> {cards['b']} ({cards['difference']:+d}; "
        f"{_per(cards, 'per_1000_patients')} per 1,000 patients, "
        f"{_per(cards, 'per_day')} per day over {span['days']} calendar days)"
    )
    for key in ("by_topic", "by_rule"):
        for name, row in doc[key].items():
            if row["difference"]:
                lines.append(
                    f"  {key[3:]} {name}: {row['a']} -> {row['b']} ({row['difference']:+d})"
                )
    by_indicator = doc["by_indicator"]
    order = [*INDICATORS, *sorted(set(by_indicator) - set(INDICATORS))]
    lines.append(
        "  per indicator: "
        + ", ".join(f"{k} {by_indicator[k]['a']} -> {by_indicator[k]['b']}" for k in order)
    )
    changed = doc["changed_patients"]
    kinds = ", ".join(f"{changed[k]} {k}" for k in CHANGE_KINDS if changed[k])
    lines.append(
        f"patients whose cards change: {changed['total']}" + (f" ({kinds})" if kinds else "")
    )
    feedback = doc.get("feedback")
    if feedback:
        expected = feedback["expected_overridden"]
        lines.append(
            f"expected overridden cards (observed override rates): {expected['a']} -> "
            f"{expected['b']} ({expected['difference']:+})"
        )
    lines.append(f"see {out}/compare.json")
    return "\n".join(lines)


def _per(row: Mapping[str, Any], key: str) -> str:
    per = row[key]
    if per["difference"] is None:
        return "n/a"
    return f"{per['a']:g} -> {per['b']:g}"
