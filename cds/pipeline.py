"""The spine: one typed hook call in, one CDS Hooks response out.

Every entry point (the HTTP service, ``cds evaluate``, each batch worker) builds a
`cds.call.HookCall` (the call parsed once, at the edge) and calls :meth:`Evaluator.run`; they
differ only in how they get the call. Nothing is checked again here.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

from cds.call import HookCall
from cds.cards.build import CardContext, build_cards
from cds.engine import RuleEngine
from cds.engine.durable import DurableEngine, get_engine
from cds.errors import InputError
from cds.facts.bounds import resolve_bounds
from cds.facts.concepts import rid_of
from cds.facts.extract import FactContext, extract_facts
from cds.facts.measures_in_text import resolve_in_doubt
from cds.facts.model import DataIssue
from cds.facts.said_measures import resolve_said_measures
from cds.findings import Finding, Outcome, build_findings
from cds.hooks.models import Card, HookResponse, is_relative_reference
from cds.pack.compile import CompiledRuleset, compile_pack
from cds.pack.load import Pack


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

    @property
    def speaks(self) -> bool:
        """Whether the pack has something to say about this call: the patient is in its scope,
        or data about another patient was received (the EHR may have sent the wrong chart:
        a 412 for a missing key would hide that card)."""
        return self.in_scope or bool(self.response.cards)

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

    def run(
        self, call: HookCall, new_uuid: Callable[[], str] = lambda: str(uuid.uuid4())
    ) -> Evaluation:
        """Evaluate one hook call and say which rules stand behind each card."""
        outcome, ctx = self.assess(call, new_uuid)
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
        self, call: HookCall, new_uuid: Callable[[], str] | None = None
    ) -> tuple[Outcome, CardContext]:
        """The findings of one hook call, before they become cards, and the card context."""
        ruleset = self.rulesets.get(call.hook)
        if ruleset is None:
            raise InputError(f"pack {self.pack.id} has no service for hook '{call.hook}'")
        drafts = call.drafts.resources
        extraction = extract_facts(
            call.record.resources,
            drafts,
            FactContext(
                call.now, self.pack.index, self.pack.canonical_units, site_tz=self.timezone
            ),
            call.drafts.urls,
            distinct=call.record.distinct,
        )
        # "Fever: Tmax 38.9 at home": a sign by the rules' thresholds, else nothing ("Fever:
        # 38-39", the low end of a range: else a data-check item); before the bounds, which
        # read a Quantity's comparator, not a range's low end
        # "T ?38.5" (`cds.facts.measures_in_text`): a data-check item when it may be the sign
        index = self.pack.index  # "HR 136 yesterday": a heart rate in doubt, by its name
        names = {vs: rule.name for vs, rule in index.readings.items()}
        facts, doubts = resolve_in_doubt(extraction.facts, ruleset.reach, index.measured_by, names)
        facts, said_issues = resolve_said_measures(
            facts, ruleset.reach, self.pack.index.measured_by
        )
        said_issues += doubts
        facts = resolve_bounds(facts, ruleset.reach)  # "<92 %": by the same thresholds
        firings = self.engine.evaluate(ruleset, ruleset.engine_facts(facts))
        # the latest readings fact building found, unless a bound changed a reading since
        latest = extraction.latest if facts is extraction.facts else None
        outcome = build_findings(self.pack, firings, facts, latest)
        issues = _unshown([*call.issues, *extraction.issues, *said_issues], outcome)
        orders, unaddressable = _draft_orders(drafts)
        ctx = CardContext(
            hook=call.hook,
            patient_id=call.patient_id,
            encounter_id=call.encounter_id,
            draft_orders=orders,
            unaddressable_drafts=unaddressable,
            issues=issues,
            tz=self.timezone,
            now=call.now,
            new_uuid=new_uuid if new_uuid is not None else _random_uuid,
        )
        return outcome, ctx


def _unshown(issues: list[DataIssue], outcome: Outcome) -> list[DataIssue]:
    """``issues`` without those a finding already says: every value set of an item's
    ``unless_shown`` cited from the item's record by a finding's evidence."""
    if not any(i.unless_shown for i in issues):
        return issues
    shown = {(e.rid, vs) for f in outcome.findings for e in f.evidence for vs in e.valuesets}
    return [
        i
        for i in issues
        if not i.unless_shown or any((i.rid, vs) not in shown for vs in i.unless_shown)
    ]


def _draft_orders(
    drafts: Iterable[Mapping[str, Any]],
) -> tuple[dict[str, Mapping[str, Any]], frozenset[str]]:
    """Draft orders by the `Type/id` a card's actions may name, and the references (as the
    findings' evidence names them) of those no action may name. One whose id is missing or
    is not a FHIR id (`rx_1`, `rx 1`, the spec's own non-ASCII hyphens) still gets its cards,
    without actions on it: an action naming it would be an invalid response (it was a 500);
    the card says why its one-click change is missing."""
    by_reference = {rid_of(d): d for d in drafts}
    valid = {ref: d for ref, d in by_reference.items() if is_relative_reference(ref)}
    return valid, frozenset(by_reference.keys() - valid.keys())


def _random_uuid() -> str:
    return str(uuid.uuid4())
