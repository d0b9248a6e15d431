"""``cds review --compare B``: the same review under a second configuration, in the same pass.

The input is read and grouped once; each patient's lines are parsed once and replayed by two
``PatientReviewer``s, one under A (``--config``/``--pack``) and one under B (another settings
file, or another pack folder or version). Each shard writes B's cards and errors beside A's and
one ``changes`` line per patient whose cards differ; the parent merges them into
``compare-cards.ndjson``, ``compare-errors.ndjson`` and ``compare.json``.

A card "changes" per replayed call and topic: present only under B (newly alerted), only under
A (silenced), under both with another indicator (indicator changed) or behind other rules
(rules changed). Each change carries the evidence of the rules that differ, from the findings.
No clinical ``if`` here: the two reviews are the spine's answers, compared.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cds.config import load_settings, zone_of
from cds.errors import CdsError, ConfigError
from cds.findings import Evidence
from cds.pack.load import Pack, load_pack, pack_path
from cds.pipeline import Evaluator
from cds.review.evaluate import PatientResult, PatientReviewer, parse_lines
from cds.review.summary import add_stats, merge_stats

#: The kinds of change, in the order they are reported.
CHANGE_KINDS = ("newly alerted", "silenced", "indicator changed", "rules changed")
#: The counts compared, as (compare.json key, stats key).
DIMENSIONS = (
    ("by_topic", "by_topic"),
    ("by_rule", "by_rule"),
    ("by_indicator", "by_indicator"),
    ("by_hook_topic", "by_hook_topic"),
)


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
    """B from the ``--compare`` argument: a settings file (its ``site``, ``site_timezone`` and,
    when it names one, ``pack``; the rest as under A) or a pack folder or name (under A's
    site settings). A ConfigError names the argument when it is neither."""
    if target.is_file():
        try:
            settings = load_settings(target, serving=False)
        except ConfigError as exc:
            raise ConfigError(f"--compare {target}: {exc.message}", details=exc.details) from exc
        pack = settings.pack if "pack" in settings.model_fields_set else base.pack
        return Side(str(target), pack, dict(settings.site), settings.site_timezone)
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

    def review(
        self, pid: str, lines: Sequence[bytes]
    ) -> tuple[PatientResult, PatientResult, dict[str, Any] | None]:
        """(A's result, B's result, the patient's changes or None)."""
        resources, duplicates = parse_lines(lines)
        under_a = self.a.review_parsed(pid, resources, duplicates)
        like = under_a if self.same_calls else None
        under_b = self.b.review_parsed(pid, resources, duplicates, like)
        return under_a, under_b, diff_patient(pid, under_a, under_b)


def review_pair_shard(pair: PairReviewer, groups: dict[str, list[bytes]], base: str) -> Any:
    """A shard under both: A's files as a plain review writes them, B's beside them
    (``.b-cards``, ``.b-errors``), the changes, and B's counts (``.compare.json``); A's stats."""
    stats: dict[str, Any] = {}
    extra: dict[str, Any] = {"b": {}, "span": None, "changed": {}}
    names = ("cards", "errors", "b-cards", "b-errors", "changes")
    handles = {name: open(f"{base}.{name}.tmp", "wb") for name in names}
    try:
        for pid in sorted(groups):
            under_a, under_b, changes = pair.review(pid, groups.pop(pid))
            _write(handles["cards"], handles["errors"], under_a)
            _write(handles["b-cards"], handles["b-errors"], under_b)
            add_stats(stats, under_a.stats)
            add_stats(extra["b"], under_b.stats)
            extra["span"] = _widen(_widen(extra["span"], under_a.span), under_b.span)
            if changes is not None:
                handles["changes"].write(orjson.dumps(changes) + b"\n")
                for kind in {c["change"] for c in changes["changes"]}:
                    extra["changed"][kind] = extra["changed"].get(kind, 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    compare_tmp = f"{base}.compare.tmp"
    with open(compare_tmp, "wb") as fh:
        fh.write(orjson.dumps(extra))
    for name in names:
        os.replace(f"{base}.{name}.tmp", f"{base}.{name}.ndjson")
    os.replace(compare_tmp, f"{base}.compare.json")
    return stats


def _write(cards: Any, errors: Any, result: PatientResult) -> None:
    if result.lines:
        cards.write(b"\n".join(result.lines) + b"\n")
    if result.errors:
        errors.write(b"".join(orjson.dumps(e) + b"\n" for e in result.errors))


def _widen(span: Any, more: tuple[float, float] | None) -> Any:
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
                    *_evidence("a", card_a, differing),
                    *_evidence("b", card_b, differing),
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
    if a[0] != b[0]:
        return "indicator changed"
    if a[1] != b[1]:
        return "rules changed"
    return None


def _evidence(side: str, card: _Card | None, rules: set[str]) -> list[dict[str, Any]]:
    if card is None:
        return []
    return [
        {
            "side": side,
            "rule": rule,
            "resource": e.rid,
            "what": e.display,
            "value": e.value,
            "time": e.time,
            **({"note": e.note} if e.note else {}),
        }
        for rule, e in card[2]
        if rule in rules
    ]


# ---------------------------------------------------------------------------------------------
# In the parent: merge the shards into compare.json


def merge_compare(
    out: Path,
    shards: Iterable[int],
    summary: Mapping[str, Any],
    sides: tuple[Side, Counterpart],
    pack_a: Pack,
    rates: Mapping[str, Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """Write compare-cards.ndjson, compare-errors.ndjson and compare.json; the compare doc."""
    parts = out / "parts"
    stats_b: dict[str, Any] = {}
    span: Any = None
    changed: dict[str, Any] = {}
    with (
        (out / "compare-cards.ndjson").open("wb") as cards,
        (out / "compare-errors.ndjson").open("wb") as errors,
    ):
        errors.write((parts / "input-errors.ndjson").read_bytes())
        patients = []
        for s in shards:
            base = parts / f"shard-{s:05d}"
            cards.write(Path(f"{base}.b-cards.ndjson").read_bytes())
            errors.write(Path(f"{base}.b-errors.ndjson").read_bytes())
            extra = orjson.loads(Path(f"{base}.compare.json").read_bytes())
            stats_b = merge_stats(stats_b, extra["b"])
            changed = merge_stats(changed, extra["changed"])
            if extra["span"]:
                span = _widen(span, tuple(extra["span"]))
            patients += [
                orjson.loads(line)
                for line in Path(f"{base}.changes.ndjson").read_bytes().splitlines()
            ]
    side_a, counterpart = sides
    doc = build_compare(summary, stats_b, span, patients, changed)
    doc = {
        "a": _describe(side_a, pack_a),
        "b": _describe(counterpart.side, counterpart.pack),
        "settings_differ": settings_differ(side_a, pack_a, counterpart.side, counterpart.pack),
        **doc,
    }
    if rates is not None:
        doc["feedback"] = expected_overrides(doc["by_rule"], rates)
    (out / "compare.json").write_bytes(
        orjson.dumps(doc, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return doc


def build_compare(
    summary: Mapping[str, Any],
    stats_b: Mapping[str, Any],
    span: Sequence[float] | None,
    patients: list[dict[str, Any]],
    changed: Mapping[str, int],
) -> dict[str, Any]:
    """The counts under A (from the summary) and B, their difference, per 1,000 patients and
    per day of the span; the changed patients."""
    reviewed = int(summary["patients"]["reviewed"])
    days = (span[1] - span[0]) / 86400 if span else 0.0
    scale = _Scale(reviewed, days)
    a_counts = {
        "by_topic": summary["cards_by_topic"],
        "by_rule": summary["cards_by_rule"],
        "by_indicator": summary["cards_by_indicator"],
        "by_hook_topic": summary["cards_by_hook_topic"],
    }
    doc: dict[str, Any] = {
        "patients_reviewed": reviewed,
        "span": _span(span, days),
        "calls": {"a": summary["calls"], "b": dict(sorted(stats_b.get("calls", {}).items()))},
        "call_errors": {"a": summary["call_errors"], "b": int(stats_b.get("call_errors", 0))},
        "patients_with_cards": {
            "a": summary["patients"]["with_cards"],
            "b": int(stats_b.get("patients_with_cards", 0)),
        },
        "cards": scale.row(int(summary["cards"]), int(stats_b.get("cards", 0))),
    }
    for key, stats_key in DIMENSIONS:
        a, b = a_counts[key], stats_b.get(stats_key, {})
        doc[key] = {name: scale.row(a.get(name, 0), b.get(name, 0)) for name in sorted({*a, *b})}
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


def _span(span: Sequence[float] | None, days: float) -> dict[str, Any]:
    if not span:
        return {"first_call": None, "last_call": None, "days": 0.0}
    first, last = (datetime.fromtimestamp(t, UTC).isoformat() for t in span)
    return {"first_call": first, "last_call": last, "days": round(days, 3)}


def _describe(side: Side, pack: Pack) -> dict[str, Any]:
    return {
        "label": side.label,
        "pack": f"{pack.id} {pack.version}",
        "site": dict(side.site),
        "site_timezone": side.site_timezone,
    }


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


def override_rates(database_url: str, pack_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each rule's answered feedback and override rate in the store, over every version of
    the compared packs (``cds feedback report``'s rows, summed per rule)."""
    from cds.store import Store

    _check_database(database_url)
    store = Store(database_url)
    try:
        rows = store.report()
    except CdsError as exc:
        raise ConfigError(f"--feedback: {exc.message}") from exc
    finally:
        store.close()
    wanted = set(pack_ids)
    rates: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row.pack_id not in wanted:
            continue
        entry = rates.setdefault(row.rule_id, {"accepted": 0, "overridden": 0})
        entry["accepted"] += row.accepted
        entry["overridden"] += row.overridden
    for entry in rates.values():
        answered = entry["accepted"] + entry["overridden"]
        entry["override_rate"] = round(entry["overridden"] / answered, 4) if answered else None
    return rates


def _check_database(url: str) -> None:
    """A SQLite file that does not exist would be created empty: say so instead."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and url != "sqlite:///:memory:":
        path = Path(url.removeprefix(prefix))
        if not path.is_file():
            raise ConfigError(f"--feedback: no feedback database at {path}")
    elif "://" not in url:
        raise ConfigError(f"--feedback: {url!r} is not a database URL (sqlite:///FILE, ...)")


def expected_overrides(
    by_rule: Mapping[str, Mapping[str, Any]], rates: Mapping[str, Mapping[str, Any]]
) -> dict[str, Any]:
    """Per rule: its override rate and the cards under A and B times that rate."""
    rules: dict[str, Any] = {}
    total = {"a": 0.0, "b": 0.0}
    for rule, row in by_rule.items():
        found = rates.get(rule, {})
        rate = found.get("override_rate")
        entry: dict[str, Any] = {
            "accepted": found.get("accepted", 0),
            "overridden": found.get("overridden", 0),
            "override_rate": rate,
            "expected_overridden": None,
        }
        if rate is not None:
            a, b = row["a"] * rate, row["b"] * rate
            total["a"] += a
            total["b"] += b
            entry["expected_overridden"] = {
                "a": round(a, 2),
                "b": round(b, 2),
                "difference": round(b - a, 2),
            }
        rules[rule] = entry
    return {
        "rules": rules,
        "expected_overridden": {
            "a": round(total["a"], 2),
            "b": round(total["b"], 2),
            "difference": round(total["b"] - total["a"], 2),
        },
        "note": "per rule: cards behind the rule under each side times its observed override "
        "rate (a card behind two rules counts for both); rules without answered feedback: null",
    }


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
    calls = doc["calls"]
    for hook in sorted({*calls["a"], *calls["b"]}):
        a, b = calls["a"].get(hook, 0), calls["b"].get(hook, 0)
        if a != b:  # B's pack replays other orders (its draft-order value sets differ)
            lines.append(f"  {hook} calls replayed: {a} -> {b}")
    cards, span = doc["cards"], doc["span"]
    lines.append(
        f"cards: {cards['a']} -> {cards['b']} ({cards['difference']:+d}; "
        f"{_per(cards, 'per_1000_patients')} per 1,000 patients, "
        f"{_per(cards, 'per_day')} per day over {span['days']} days)"
    )
    for key in ("by_topic", "by_rule"):
        for name, row in doc[key].items():
            if row["difference"]:
                lines.append(
                    f"  {key[3:]} {name}: {row['a']} -> {row['b']} ({row['difference']:+d})"
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
