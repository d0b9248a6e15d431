"""``summary.json``: every input line accounted for, and the cards counted every way."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from cds.pack.load import Pack
from cds.review.replay import AsOf
from cds.review.sources import SourceFile
from cds.review.stats import ReviewStats

DUPLICATE = "duplicate resource (same type and id as an earlier line)"


def build_summary(
    counts: Counter[str],
    types: Counter[str],
    stats: ReviewStats,
    sources: Sequence[SourceFile],
    pack: Pack,
    as_of_option: str,
    as_of: AsOf,
) -> dict[str, Any]:
    """The summary document; ``lines.balanced``: read = used + reference + errors + ignored."""
    duplicates = stats.duplicates
    patient_errors = stats.patient_errors
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
            "reviewed": stats.patients,
            "with_cards": stats.patients_with_cards,
        },
        "calls": dict(sorted(stats.calls.items())),
        "call_errors": stats.call_errors,
        "orders_without_time": stats.orders_without_time,
        "cards": stats.cards,
        "cards_by_topic": dict(sorted(stats.by_topic.items())),
        "cards_by_indicator": dict(sorted(stats.by_indicator.items())),
        "cards_by_hook_topic": dict(sorted(stats.by_hook_topic.items())),
        "cards_by_rule": dict(sorted(stats.by_rule.items())),
    }
