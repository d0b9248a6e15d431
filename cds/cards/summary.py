"""The card summary: the most severe finding with its value and age, in at most 139 characters."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cds.cards.context import DATA_CHECK, CardContext
from cds.cards.detail import place, prefetch_key, readable_units
from cds.cards.evidence import age_of, plain_value
from cds.cards.quote import plain
from cds.findings import Evidence, Finding
from cds.pack.load import Pack
from cds.pack.schema import Topic

SUMMARY_MAX = 139


def summary(pack: Pack, topic: Topic, findings: Sequence[Finding], ctx: CardContext) -> str:
    """The card summary: the most severe finding (pack rule order) with its value and age,
    and how many more there are; at most 139 characters."""
    if not topic.summary_template:
        return topic.summary
    headline, rest = _headline(pack, topic, findings, ctx)
    if headline is None:
        return topic.summary
    more = f" (+{rest} more)" if rest else ""
    text = topic.summary_template.format(finding=headline, more=more)
    if len(text) > SUMMARY_MAX:
        cut = len(headline) - (len(text) - SUMMARY_MAX) - 1
        if cut < 8:
            return topic.summary
        text = topic.summary_template.format(finding=headline[:cut].rstrip() + "…", more=more)
    return text


def _headline(
    pack: Pack, topic: Topic, findings: Sequence[Finding], ctx: CardContext
) -> tuple[str | None, int]:
    """The summary's finding phrase and the number of other items."""
    issues = list(ctx.issues) if topic.code == DATA_CHECK else []
    if not findings:
        if topic.other_patient_headline and any(i.other_patient for i in issues):
            return topic.other_patient_headline, len(issues) - 1
        if not issues or not topic.issue_headline:
            return None, 0
        key = prefetch_key(issues[0])
        named = issues[0].headline  # the item's own words, when the layer that found it has them
        if named is not None:  # "Temp 39.5 °C dated 2026-11-29 08:00 UTC, 70 h after ..."
            return plain(readable_units(named)), len(issues) - 1
        what = key or plain(ctx.names.get(issues[0].rid) or place(issues[0].rid))
        return topic.issue_headline.format(what=what), len(issues) - 1
    first = findings[0]
    rule = pack.rules.get(first.rule_id)
    label = (rule.summary_label if rule else None) or first.label
    parts = [label]
    shown = _headline_evidence(first)
    if shown is not None and rule is not None and rule.summary_names_record:
        parts = [f"{label}: {plain(shown.display)}"]  # "Unreadable vital sign: Heart rate"
    if shown is not None:
        if shown.value:
            parts.append(plain_value(shown.value))
        if shown.kind == "observation" or (
            shown.kind == "condition" and topic.summary_condition_age
        ):
            age = age_of(shown.time, shown.age_h, ctx)
            if age and _BARE_NUMBER.fullmatch(parts[-1]):  # "GCS 12, 1 h ago", a bare number
                parts[-1] += ","
            if age:
                parts.append(age)
        if shown.newer is not None and shown.newer.value:
            parts[-1] += f", latest {plain_value(shown.newer.value)}"
    rest = len(findings) - 1
    if topic.code == DATA_CHECK:
        covered = {e.rid for f in findings for e in f.evidence}
        rest += sum(1 for i in issues if i.rid not in covered)
    return " ".join(parts), rest


_BARE_NUMBER = re.compile(r"[-+]?[\d.]+")


def _headline_evidence(finding: Finding) -> Evidence | None:
    """The most recent dated reading or condition behind a finding (orders and medicines
    are what the card is about, not what it found)."""
    first = latest = None
    latest_age = 0.0
    for e in finding.evidence:  # one loop: every summary asks, and comprehensions cost calls
        if e.kind == "observation" or e.kind == "condition":
            if first is None:
                first = e
            if e.age_h is not None and (latest is None or e.age_h < latest_age):
                latest, latest_age = e, e.age_h
    return first if latest is None else latest
