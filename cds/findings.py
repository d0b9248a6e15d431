"""Findings: what the rules concluded, each with the evidence that made it so."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from cds.engine.durable import Firing
from cds.facts.model import Fact
from cds.pack.compile import SCOPE_RULE
from cds.pack.load import Pack


@dataclass(frozen=True, slots=True)
class Evidence:
    """One record behind a finding: which resource, which value, when.

    Findings, like facts, are plain frozen dataclasses: built only by our own typed code from
    facts, so pydantic validation would check nothing new (it cost 25 µs per call)."""

    rid: str
    display: str
    valuesets: tuple[str, ...]
    value: str | None = None
    time: str | None = None
    note: str | None = None

    @classmethod
    def of(cls, fact: Fact) -> Evidence:
        return cls(
            rid=fact.rid,
            display=fact.display,
            valuesets=(fact.valueset,),
            value=fact.source_value,
            time=fact.time,
            note=fact.note,
        )

    def merge(self, other: Evidence) -> Evidence:
        """The same record matched through another value set."""
        merged = tuple(dict.fromkeys((*self.valuesets, *other.valuesets)))
        return replace(self, valuesets=merged)

    def describe(self) -> str:
        """One line a clinician reads: what, value, when, where from."""
        parts = [self.display]
        if self.value:
            parts.append(self.value)
        parts.append(f"at {self.time}" if self.time else "time not recorded")
        text = ", ".join(parts) + f" ({self.rid})"
        return f"{text}; note: {self.note}" if self.note else text


@dataclass(frozen=True, slots=True)
class Finding:
    """A rule that fired, with all the evidence of all its firings."""

    rule_id: str
    topic: str
    label: str
    covers: tuple[str, ...]
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The engine's verdict for one patient and hook."""

    in_scope: bool
    findings: tuple[Finding, ...]
    rule_ids: frozenset[str] = field(init=False)
    """The rules that fired (cards ask about them for every passage and suggestion)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_ids", frozenset(f.rule_id for f in self.findings))

    def fired(self, rule_ids: Iterable[str]) -> bool:
        return not self.rule_ids.isdisjoint(rule_ids)


def build_findings(pack: Pack, firings: Sequence[Firing], facts: Sequence[Fact]) -> Outcome:
    """Group firings by rule (in pack order) and attach the evidence of the matched facts."""
    in_scope = any(f.rule.startswith(SCOPE_RULE) for f in firings)
    by_rule: dict[str, dict[str, Evidence]] = {}
    for firing in firings:
        if firing.rule.startswith(SCOPE_RULE):
            continue
        evidence = by_rule.setdefault(firing.rule, {})
        for fid in firing.fids:
            item = Evidence.of(facts[fid])
            evidence[item.rid] = evidence[item.rid].merge(item) if item.rid in evidence else item
    findings = [
        Finding(
            rule_id=rule.id,
            topic=rule.topic,
            label=rule.label,
            covers=tuple(rule.covers),
            evidence=tuple(by_rule[rule.id].values()),
        )
        for rule in pack.spec.rules
        if rule.id in by_rule
    ]
    return Outcome(in_scope=in_scope, findings=tuple(findings))
