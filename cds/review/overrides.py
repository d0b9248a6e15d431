"""Observed override rates from the feedback store, and the overridden cards they predict
under each side of a comparison (``cds review --compare B --feedback DATABASE_URL``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from cds.errors import CdsError, ConfigError


def override_rates(database_url: str, pack_ids: Iterable[str]) -> dict[str, Any]:
    """Each rule's observed override rate in the store, over every version of the compared
    packs, counted per card: a card answered several times counts once, with its latest
    answer (by outcome time). ``{"rules": {rule: {...}}, "period": {first, last}}``."""
    from cds.store import Store

    if "://" not in database_url:
        raise ConfigError(
            f"--feedback: {database_url!r} is not a database URL (sqlite:///FILE, ...)"
        )
    store = Store(database_url)
    try:
        store.check()
        outcomes = store.card_outcomes()
    except ConfigError as exc:
        raise ConfigError(f"--feedback: {exc.message}") from exc
    except CdsError as exc:
        raise ConfigError(
            f"--feedback: cannot read the feedback store ({exc.message}): is it the database "
            "`cds serve` writes to?"
        ) from exc
    finally:
        store.close()
    wanted = set(pack_ids)
    latest: dict[tuple[str, str], str] = {}
    first = last = None
    for row in outcomes:  # in outcome order: the last answer of a card wins
        if row.pack_id not in wanted:
            continue
        latest[(row.rule_id, row.card_uuid)] = row.outcome
        first = first or row.outcome_at
        last = row.outcome_at
    rules: dict[str, dict[str, Any]] = {}
    for (rule, _card), outcome in sorted(latest.items()):
        entry = rules.setdefault(rule, {"accepted": 0, "overridden": 0})
        if outcome in entry:
            entry[outcome] += 1
    for entry in rules.values():
        answered = entry["accepted"] + entry["overridden"]
        entry["override_rate"] = round(entry["overridden"] / answered, 4) if answered else None
    period = {
        "first": first.isoformat() if first else None,
        "last": last.isoformat() if last else None,
    }
    return {"rules": rules, "period": period}


def expected_overrides(
    by_rule: Mapping[str, Mapping[str, Any]], rates: Mapping[str, Any]
) -> dict[str, Any]:
    """Per rule: its own override rate (per answered card) and the cards under A and B times
    that rate; a rule whose cards were never answered has no rate ("no feedback"), never 0."""
    rules: dict[str, Any] = {}
    total = {"a": 0.0, "b": 0.0}
    observed = rates.get("rules", {})
    for rule, row in by_rule.items():
        found = observed.get(rule, {})
        rate = found.get("override_rate")
        entry: dict[str, Any] = {
            "accepted": found.get("accepted", 0),
            "overridden": found.get("overridden", 0),
            "override_rate": rate,
            "expected_overridden": None,
        }
        if rate is None:
            entry["reason"] = "no feedback"
        else:
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
        "period": dict(rates.get("period", {"first": None, "last": None})),
        "expected_overridden": {
            "a": round(total["a"], 2),
            "b": round(total["b"], 2),
            "difference": round(total["b"] - total["a"], 2),
        },
        "note": "per rule: cards behind the rule under each side times its observed override "
        "rate (a card behind two rules counts for both); the rate counts each answered card "
        "once, with its latest answer; a rule with no answered card has no rate "
        "(null, reason 'no feedback')",
    }
