"""The spine: one hook request in, one CDS Hooks response out.

Every entry point (the HTTP service, ``cds evaluate``, each batch worker) calls
:meth:`Evaluator.run` (or its shorthand ``evaluate``); they differ only in how they get
the request and the time.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from cds.cards.build import CardContext, build_cards
from cds.engine import RuleEngine
from cds.engine.durable import DurableEngine, get_engine
from cds.errors import InputError
from cds.facts.bounds import resolve_bounds
from cds.facts.extract import FactContext, extract_facts
from cds.facts.gather import Record, patient_record
from cds.facts.model import DataIssue
from cds.findings import Finding, Outcome, build_findings
from cds.hooks.models import (
    Card,
    HookRequest,
    HookResponse,
    draft_references,
    is_relative_reference,
    validate_context,
)
from cds.hooks.prefetch import PrefetchKey, Resolution
from cds.pack.compile import CompiledRuleset, compile_pack
from cds.pack.load import Pack
from cds.pack.schema import Hook

ORDER_HOOKS = ("order-select", "order-sign")


@dataclass(frozen=True)
class Evaluation:
    """A hook call's response, and the rule ids behind each card's topic (for the feedback
    store and batch counts: they never have to read them back out of card text)."""

    response: HookResponse
    rules_by_topic: Mapping[str, tuple[str, ...]]
    in_scope: bool = True
    """Whether the pack speaks about this patient, from what was received: out of scope,
    the response has no cards, and a call missing required data cannot be answered (412)."""
    findings: tuple[Finding, ...] = ()
    """What the rules concluded, with their evidence (a batch comparison names the evidence
    that makes a card differ between two configurations)."""

    def rules_of(self, card: Card) -> tuple[str, ...]:
        """The rules behind one card of this response."""
        topic = card.source.topic.code if card.source.topic else ""
        return self.rules_by_topic.get(topic, ())


def new_engine() -> RuleEngine:
    """A durable engine of its own, for a process that must not use the one it inherited: a
    batch worker builds one in its initializer and gives it to its Evaluators."""
    return DurableEngine()


class Evaluator:
    """A pack compiled for every hook it serves, under one set of site settings, run by a
    rules engine: the one given, else this process's durable engine (created on first use)."""

    def __init__(
        self,
        pack: Pack,
        site: Mapping[str, float | None] | None = None,
        engine: RuleEngine | None = None,
        *,
        timezone: tzinfo = UTC,
    ) -> None:
        self.pack = pack
        self._engine = engine
        self.timezone = timezone
        """The site's zone: times recorded without one are read in it, and cards show it."""
        self.rulesets: dict[str, CompiledRuleset] = {
            hook: compile_pack(pack, hook, dict(site or {})) for hook in pack.spec.pack.hooks
        }

    @property
    def engine(self) -> RuleEngine:
        return self._engine or get_engine()

    @property
    def busy(self) -> bool:
        """Whether the engine is evaluating a call now (a caller on the event loop should not
        wait for it there)."""
        return self.engine.busy

    def evaluate(
        self,
        request: HookRequest,
        hook: Hook,
        now: datetime,
        extra: Iterable[tuple[str, object]] = (),
        new_uuid: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> HookResponse:
        """Evaluate one hook call; ``extra`` adds resources fetched outside the prefetch."""
        return self.run(request, hook, now, extra, new_uuid).response

    def run(
        self,
        request: HookRequest,
        hook: Hook,
        now: datetime,
        extra: Iterable[tuple[str, object]] = (),
        new_uuid: Callable[[], str] = lambda: str(uuid.uuid4()),
        notes: Sequence[DataIssue] = (),
    ) -> Evaluation:
        """Evaluate one hook call and say which rules stand behind each card.

        ``notes`` are things the caller could not get (e.g. a prefetch key the FHIR server
        failed to give, see `prefetch_issues`): the cards say them, since a sign in missing
        data was not checked.
        """
        outcome, ctx = self._assess(request, hook, now, extra, new_uuid, notes)
        cards = build_cards(self.pack, outcome, ctx)
        by_topic: dict[str, list[str]] = {}
        for finding in outcome.findings:
            by_topic.setdefault(finding.topic, []).append(finding.rule_id)
        return Evaluation(
            HookResponse(cards=cards),
            {t: tuple(rules) for t, rules in by_topic.items()},
            outcome.in_scope,
            outcome.findings,
        )

    def assess(
        self,
        request: HookRequest,
        hook: Hook,
        now: datetime,
        extra: Iterable[tuple[str, object]] = (),
    ) -> tuple[Outcome, CardContext]:
        """The findings of one hook call, before they become cards."""
        return self._assess(request, hook, now, extra)

    def _assess(
        self,
        request: HookRequest,
        hook: Hook,
        now: datetime,
        extra: Iterable[tuple[str, object]] = (),
        new_uuid: Callable[[], str] | None = None,
        notes: Sequence[DataIssue] = (),
    ) -> tuple[Outcome, CardContext]:
        """``assess``, with the card context ``run`` needs built at once (not copied after)."""
        if request.hook != hook:
            raise InputError(f"this service answers '{hook}' calls, not '{request.hook}'")
        if now.tzinfo is None:
            raise InputError("the evaluation time must carry a time zone")
        validate_context(hook, request.context)
        patient_id = str(request.context["patientId"])
        prefetch = request.prefetch or {}
        record = patient_record(
            patient_id, [*((f"prefetch.{k}", v) for k, v in prefetch.items()), *extra], hook
        )
        orders = self._drafts(request, hook, patient_id)
        drafts = orders.resources
        extraction = extract_facts(
            record.resources,
            drafts,
            FactContext(now, self.pack.index, self.pack.canonical_units, site_tz=self.timezone),
        )
        ruleset = self.rulesets[hook]
        facts = resolve_bounds(extraction.facts, ruleset.reach)  # "<92 %": by the thresholds
        firings = self.engine.evaluate(
            ruleset, [f.to_engine(i) for i, f in enumerate(facts) if ruleset.may_match(f)]
        )
        outcome = build_findings(self.pack, firings, facts)
        ctx = CardContext(
            hook=hook,
            patient_id=patient_id,
            encounter_id=_str(request.context.get("encounterId")),
            draft_orders=_draft_orders(drafts),
            issues=[*notes, *record.issues, *orders.issues, *extraction.issues],
            tz=self.timezone,
            now=now,
            new_uuid=new_uuid if new_uuid is not None else _random_uuid,
        )
        return outcome, ctx

    @staticmethod
    def _drafts(request: HookRequest, hook: Hook, patient_id: str) -> Record:
        """The draft orders of an order hook, read as leniently as prefetch and through the
        same gathering: an entry that is not a resource, or an order naming another patient,
        is left out and said (a data-check item), never a 400 that hides the other cards."""
        if hook not in ORDER_HOOKS:
            return Record()
        drafts = request.context.get("draftOrders")
        record = patient_record(patient_id, [("context.draftOrders", drafts)])
        record.issues += selection_issues(request.context.get("selections"), drafts)
        return record


def selection_issues(selections: object, drafts: object) -> list[DataIssue]:
    """order-select's `selections` that name no resource of `draftOrders`: a data-check item
    each (every draft order received was still checked), never a 400 that loses the cards."""
    if not isinstance(selections, list):
        return []
    known = draft_references(drafts)
    return [
        DataIssue(
            rid=f"context.selections[{index}]",
            message=(
                f"selection {reference} names no order in draftOrders; "
                "every draft order received was checked"
            ),
            recheck="which order was selected; ask the EHR team to check the selections it sends",
        )
        for index, reference in enumerate(selections)
        if isinstance(reference, str) and reference not in known
    ]


def prefetch_issues(keys: Sequence[PrefetchKey], resolution: Resolution) -> list[DataIssue]:
    """The data-check items of a call's prefetch: each key that could not be had, or was read
    only in part, with what happened and what to re-check in the chart (the card's wording is
    the card builder's)."""
    recheck = {k.key: k.recheck for k in keys}
    return [
        DataIssue(rid=f"prefetch.{key}", message=message, recheck=recheck.get(key))
        for key, message in resolution.gaps()
    ]


def _draft_orders(drafts: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Draft orders by the `Type/id` a card's actions may name. One whose id is not a FHIR id
    (`rx_1`, `rx 1`, the spec's own non-ASCII hyphens) still gets its cards, without actions
    on it: an action naming it would be an invalid response (it was a 500)."""
    by_reference = {f"{d['resourceType']}/{d.get('id')}": d for d in drafts}
    return {ref: d for ref, d in by_reference.items() if is_relative_reference(ref)}


def _random_uuid() -> str:
    return str(uuid.uuid4())


def _str(v: object) -> str | None:
    return v if isinstance(v, str) and v else None
