"""Findings → CDS Hooks cards: one card per topic, evidence in the detail, real FHIR actions.

The card's parts are built in their own modules: ``detail`` (findings and their evidence,
the data-check items), ``evidence`` (one line per record, time text), ``summary``,
``suggestions`` (FHIR actions) and ``instructions`` (the patient's passages)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from cds.cards.context import DATA_CHECK, CardContext, missing_keys
from cds.cards.detail import card_detail, data_check_detail
from cds.cards.suggestions import suggestion
from cds.cards.summary import summary
from cds.findings import Finding, Outcome
from cds.hooks.models import Card, Coding, Link, OverrideReason, Source
from cds.pack.load import Pack
from cds.pack.schema import Topic

__all__ = ["TOPIC_SYSTEM", "CardContext", "build_cards"]
"""What the card stage offers the spine: the call's context (built in ``context``) and the
builder."""

TOPIC_SYSTEM = "https://cds.example.org/CodeSystem/card-topic"


def build_cards(pack: Pack, outcome: Outcome, ctx: CardContext) -> list[Card]:
    """One card per topic with findings, in the pack's topic order; none out of scope, unless
    some data was about another patient (`_wrong_patient_cards`).

    The data-check card also carries every data issue of the call, so an in-scope call whose
    only news is data that could not be had still says so. Beside a critical card no
    suggestion is recommended: the clinician's first act is to assess the patient.
    """
    if not outcome.in_scope:
        return _wrong_patient_cards(pack, outcome, ctx)
    names = ctx.names
    if ctx.issues:
        names = {e.rid: e.display for f in outcome.findings for e in f.evidence}
        names.update(ctx.names)
    by_topic: dict[str, list[Finding]] = {}
    for finding in outcome.findings:
        by_topic.setdefault(finding.topic, []).append(finding)
    if pack.general_rules & outcome.rule_ids:
        by_topic = {t: _specific(pack, found) for t, found in by_topic.items()}
    if pack.alongside_rules & outcome.rule_ids:
        by_topic = _raised(pack.alongside_rules, by_topic)
    chosen = []
    critical = False
    for topic in pack.spec.topics:
        if topic.code in by_topic or (topic.code == DATA_CHECK and ctx.issues):
            chosen.append((topic, by_topic.get(topic.code, [])))
            critical = critical or topic.indicator == "critical"
    ctx = ctx.for_cards(names, frozenset([topic.code for topic, _ in chosen]))
    return [_card(pack, topic, found, outcome, ctx, critical) for topic, found in chosen]


def _specific(pack: Pack, findings: list[Finding]) -> list[Finding]:
    """A topic's findings without a general rule's whose records (other than the orders the
    card is about) are each listed under a more specific rule of the topic."""
    specific = {e.rid for f in findings if f.rule_id not in pack.general_rules for e in f.evidence}
    return [
        f
        for f in findings
        if f.rule_id not in pack.general_rules
        or not all(e.rid in specific for e in f.evidence if e.kind != "order")
    ]


def _raised(
    alongside: frozenset[str], by_topic: dict[str, list[Finding]]
) -> dict[str, list[Finding]]:
    """The topics some rule other than an ``alongside`` one raised, each with its alongside
    findings last (the summary leads with what raised the card)."""
    raised = {}
    for topic, found in by_topic.items():
        own = [f for f in found if f.rule_id not in alongside]
        if own:
            raised[topic] = own + [f for f in found if f.rule_id in alongside]
    return raised


def _wrong_patient_cards(pack: Pack, outcome: Outcome, ctx: CardContext) -> list[Card]:
    """Out of scope the pack is silent, unless data about another patient was received and
    left out: then what was left out may be all that would have put this patient in scope (the
    EHR sent the wrong chart), and an empty answer would hide it. The data-check card says
    only those items (never the other patient's data), and no sign is read from them."""
    wrong = [i for i in ctx.issues if i.other_patient]
    topic = next((t for t in pack.spec.topics if t.code == DATA_CHECK), None)
    if not wrong or topic is None:
        return []
    return [_card(pack, topic, [], outcome, replace(ctx, issues=wrong), critical=False)]


def _card(
    pack: Pack,
    topic: Topic,
    findings: list[Finding],
    outcome: Outcome,
    ctx: CardContext,
    critical: bool,
) -> Card:
    suggestions = []
    # nothing recommended beside a critical card, nor on a card its incomplete_note qualifies
    # (instructions written without part of the record: the clinician reviews them first)
    hold = critical or bool(
        topic.incomplete_note and missing_keys(ctx.issues, topic.needs_prefetch)
    )
    notes: list[str] = []
    for spec in topic.suggestions:
        made, said = suggestion(spec, findings, outcome, pack, ctx, hold)
        if made is not None:
            suggestions.append(made)
        notes += said
    frame = _frame(pack, topic)
    if topic.code == DATA_CHECK:
        detail = data_check_detail(pack, topic, findings, ctx)
    else:
        detail = card_detail(pack, topic, findings, outcome, ctx, frame.source.label, critical)
    if notes:  # before the closing source line
        body, _, source = detail.rpartition("\n\n")
        detail = "\n\n".join([body, *(f"_{n}_" for n in notes), source])
    return Card(
        uuid=ctx.new_uuid(),
        summary=summary(pack, topic, findings, ctx),
        detail=detail,
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


_FRAMES: dict[int, tuple[Topic, Pack, _Frame]] = {}
"""id(topic) → (the topic, its pack, its frame): both held, so an id reused by another topic
or a topic of another pack (a pack is frozen: its label is fixed) is not mistaken for it."""


def _frame(pack: Pack, topic: Topic) -> _Frame:
    hit = _FRAMES.get(id(topic))
    if hit is None or hit[0] is not topic or hit[1] is not pack:
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
        hit = _FRAMES[id(topic)] = (topic, pack, frame)
    return hit[2]
