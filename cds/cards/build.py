"""Findings → CDS Hooks cards: one card per topic, evidence in the detail, real FHIR actions."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

from cds.cards.actions import build_action_resource
from cds.facts.model import DataIssue
from cds.findings import Finding, Outcome
from cds.hooks.models import Action, Card, Coding, Link, OverrideReason, Source, Suggestion
from cds.pack.load import Pack
from cds.pack.schema import Hook, Topic
from cds.pack.schema import Suggestion as SuggestionSpec

TOPIC_SYSTEM = "https://cds.example.org/CodeSystem/card-topic"


@dataclass(frozen=True)
class CardContext:
    """What the card builder needs to know about the call besides the findings."""

    hook: Hook
    patient_id: str
    encounter_id: str | None = None
    draft_orders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    issues: Sequence[DataIssue] = ()
    new_uuid: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    tz: tzinfo = UTC
    """The site's zone (setting ``site_timezone``)."""
    now: datetime | None = None
    """The evaluation time."""


def build_cards(pack: Pack, outcome: Outcome, ctx: CardContext) -> list[Card]:
    """One card per topic with findings, in the pack's topic order; none out of scope."""
    if not outcome.in_scope:
        return []
    cards = []
    for topic in pack.spec.topics:
        findings = [f for f in outcome.findings if f.topic == topic.code]
        if findings:
            cards.append(_card(pack, topic, findings, outcome, ctx))
    return cards


def _card(
    pack: Pack, topic: Topic, findings: list[Finding], outcome: Outcome, ctx: CardContext
) -> Card:
    suggestions = [
        s for spec in topic.suggestions if (s := _suggestion(spec, findings, outcome, pack, ctx))
    ]
    frame = _frame(pack, topic)
    return Card(
        uuid=ctx.new_uuid(),
        summary=topic.summary,
        detail=_detail(pack, topic, findings, outcome, ctx),
        indicator=topic.indicator,
        source=frame.source,
        suggestions=suggestions or None,
        selectionBehavior=topic.selection_behavior if suggestions else None,
        overrideReasons=frame.override_reasons,
        links=frame.links,
    )


@dataclass(frozen=True)
class _Frame:
    """The parts of a topic's card that never change between calls (frozen models, so one
    instance can sit in every card; each card still gets its own lists)."""

    source: Source
    override_reasons: list[OverrideReason] | None
    links: list[Link] | None


_FRAMES: dict[int, tuple[Topic, str, _Frame]] = {}


def _frame(pack: Pack, topic: Topic) -> _Frame:
    hit = _FRAMES.get(id(topic))
    if hit is None or hit[0] is not topic or hit[1] != pack.label:
        frame = _Frame(
            source=Source(
                label=pack.label,
                topic=Coding(system=TOPIC_SYSTEM, code=topic.code, display=topic.display),
            ),
            override_reasons=[
                OverrideReason(system=r.system, code=r.code, display=r.display)
                for r in topic.override_reasons
            ]
            or None,
            links=[Link(label=ln.label, url=ln.url, type="absolute") for ln in topic.links] or None,
        )
        if len(_FRAMES) > 1_000:  # packs loaded again and again (tests): start afresh
            _FRAMES.clear()
        hit = _FRAMES[id(topic)] = (topic, pack.label, frame)
    return hit[2]


def _detail(
    pack: Pack, topic: Topic, findings: list[Finding], outcome: Outcome, ctx: CardContext
) -> str:
    lines = [topic.detail_intro.strip(), ""]
    for finding in findings:
        lines.append(f"- **{finding.label}**")
        lines += [f"  - {e.describe()}" for e in finding.evidence]
    unread = _unread_issues(findings, ctx.issues)
    if unread:
        lines += ["", "**Not understood in the record (please review):**"]
        lines += [f"- {i.rid}: {i.message}" for i in unread]
    others = [i for i in ctx.issues if i not in unread]
    if others:
        shown = "; ".join(f"{i.rid}: {i.message}" for i in others[:3])
        more = f" (and {len(others) - 3} more)" if len(others) > 3 else ""
        lines += ["", f"_{len(others)} other record(s) could not be used: {shown}{more}._"]
    if topic.patient_instructions:
        lines += ["", "---", "", patient_instructions(pack, outcome)]
    rules = ", ".join(f.rule_id for f in findings)
    statements = ", ".join(sorted({c for f in findings for c in f.covers}))
    lines += ["", f"_Source: {pack.label}; rules: {rules}; sheet statements: {statements}._"]
    return "\n".join(lines).strip()


def _unread_issues(findings: list[Finding], issues: Sequence[DataIssue]) -> list[DataIssue]:
    rids = {e.rid for f in findings for e in f.evidence}
    return [i for i in issues if i.rid in rids]


def patient_instructions(pack: Pack, outcome: Outcome) -> str:
    """The personalised patient instructions: passages chosen by the rules that fired."""
    parts = []
    for p in pack.passages:
        if p.show_if_rules and not outcome.fired(p.show_if_rules):
            continue
        if p.hide_if_rules and outcome.fired(p.hide_if_rules):
            continue
        parts.append(f"### {p.title}\n\n{p.text.strip()}")
    return "\n\n".join(parts)


def _suggestion(
    spec: SuggestionSpec,
    findings: list[Finding],
    outcome: Outcome,
    pack: Pack,
    ctx: CardContext,
) -> Suggestion | None:
    if spec.unless_rules and outcome.fired(spec.unless_rules):
        return None
    targets = [
        e.rid
        for f in findings
        for e in f.evidence
        if e.rid in ctx.draft_orders
        and (not spec.only_valuesets or set(e.valuesets) & set(spec.only_valuesets))
    ]
    targets = list(dict.fromkeys(targets))
    actions: list[Action] = []
    if spec.action in ("delete-draft-orders", "replace-draft-order"):
        if not targets:
            return None
        actions += [
            Action(type="delete", description=f"Remove the draft order {rid}", resourceId=rid)
            for rid in targets
        ]
    if spec.action != "delete-draft-orders":
        text = patient_instructions(pack, outcome) if spec.action == "create-instructions" else None
        resource = build_action_resource(spec, ctx.patient_id, ctx.encounter_id, text)
        actions.append(Action(type="create", description=spec.label, resource=resource))
    return Suggestion(
        label=spec.label, uuid=ctx.new_uuid(), isRecommended=spec.is_recommended, actions=actions
    )
