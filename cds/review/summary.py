"""``summary.json``: every input line accounted for, and the cards counted every way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from cds.pack.load import Pack
from cds.review.evaluate import AsOf
from cds.review.sources import SourceFile

DUPLICATE = "duplicate resource (same type and id as an earlier line)"


def merge_stats(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Add two stats dicts: numbers are summed, nested counters merged."""
    out: dict[str, Any] = dict(a)
    for key, value in b.items():
        if isinstance(value, Mapping):
            out[key] = merge_stats(out.get(key, {}), value)
        else:
            out[key] = out.get(key, 0) + value
    return out


def add_stats(total: dict[str, Any], more: Mapping[str, Any]) -> None:
    """``merge_stats`` in place: a shard adds each patient's counters without copying its
    growing totals every time."""
    for key, value in more.items():
        if isinstance(value, dict):
            add_stats(total.setdefault(key, {}), value)
        else:
            total[key] = total.get(key, 0) + value


def build_summary(
    counts: Counter[str],
    types: Counter[str],
    stats: Mapping[str, Any],
    sources: Sequence[SourceFile],
    pack: Pack,
    as_of_option: str,
    as_of: AsOf,
) -> dict[str, Any]:
    """The summary document; ``lines.balanced``: read = used + reference + errors + ignored."""
    duplicates = int(stats.get("duplicates", 0))
    patient_errors = int(stats.get("patient_errors", 0))
    ignored = {
        k.removeprefix("ignored: "): v for k, v in counts.items() if k.startswith("ignored: ")
    }
    if duplicates:
        ignored[DUPLICATE] = duplicates
    errors = {k.removeprefix("error: "): v for k, v in counts.items() if k.startswith("error: ")}
    if patient_errors:
        errors["patient id is not a FHIR id"] = patient_errors
    lines: dict[str, Any] = {
        "read": counts["read"],
        "used": counts["patient_lines"] - duplicates - patient_errors,
        "reference": counts["reference"],
        "errors": counts["errors"] + patient_errors,
        "ignored": counts["ignored"] + duplicates,
        "errors_by_reason": dict(sorted(errors.items())),
        "ignored_by_reason": dict(sorted(ignored.items())),
    }
    lines["balanced"] = lines["read"] == (
        lines["used"] + lines["reference"] + lines["errors"] + lines["ignored"]
    )
    return {
        "pack": f"{pack.id} {pack.version}",
        "as_of": as_of_option if as_of.fixed is None else as_of.fixed.isoformat(),
        "inputs": [
            {"file": str(s.path), "format": s.format, "type": s.declared_type} for s in sources
        ],
        "lines": lines,
        "resources_by_type": dict(sorted(types.items())),
        "patients": {
            "reviewed": int(stats.get("patients", 0)),
            "with_cards": int(stats.get("patients_with_cards", 0)),
        },
        "calls": dict(sorted(stats.get("calls", {}).items())),
        "call_errors": int(stats.get("call_errors", 0)),
        "orders_without_time": int(stats.get("orders_without_time", 0)),
        "cards": int(stats.get("cards", 0)),
        "cards_by_topic": dict(sorted(stats.get("by_topic", {}).items())),
        "cards_by_indicator": dict(sorted(stats.get("by_indicator", {}).items())),
        "cards_by_hook_topic": dict(sorted(stats.get("by_hook_topic", {}).items())),
        "cards_by_rule": dict(sorted(stats.get("by_rule", {}).items())),
    }
