"""Findings: what the rules concluded, each with the evidence that made it so."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from cds.engine import Firing
from cds.facts.model import Fact, FactKind
from cds.pack.compile import SCOPE_RULE
from cds.pack.load import Pack


@dataclass(slots=True, unsafe_hash=True)
class Evidence:
    """One reading or record behind a finding: which resource, which value, when.

    Findings, like facts, are plain slotted dataclasses: built only by our own typed code from
    facts, so pydantic validation would check nothing new (it cost 25 µs per call). Treat them
    as frozen (they are hashed as if they were): not declared ``frozen``, since that sets every
    field through ``object.__setattr__``, five times the cost of building one (bench/engine.py)."""

    rid: str
    display: str
    valuesets: tuple[str, ...]
    kind: FactKind = "observation"
    value: str | None = None
    time: str | None = None
    """The time as recorded (the card shows it in the site's zone, with its age)."""
    age_h: float | None = None
    """Hours before the evaluation time; None when the record gives no time."""
    note: str | None = None
    newer: Evidence | None = None
    """The latest verified readable reading of the same value set, when this one is older
    (an old abnormal heart rate is shown beside the newer normal one)."""
    compared: float | None = None
    """The number the rules compared: the value in its value set's canonical unit."""
    unit: str | None = None
    """The canonical unit of ``compared`` (e.g. ``Cel`` for a reading recorded in ``[degF]``)."""

    @classmethod
    def of(cls, fact: Fact, newer: Fact | None = None) -> Evidence:
        return cls(  # positional, in field order: keywords cost twice as much, per evidence
            fact.rid,  # rid
            fact.display,  # display
            (fact.valueset,),  # valuesets
            fact.kind,  # kind
            fact.source_value,  # value
            fact.time,  # time
            fact.age_h if fact.time_known else None,  # age_h
            fact.note,  # note
            cls.of(newer) if newer is not None and newer is not fact else None,  # newer
            fact.value,  # compared
            fact.unit,  # unit
        )

    @property
    def reading(self) -> tuple[str, str, str | None, str | None, str | None]:
        """What makes two pieces of evidence the same reading: one resource, one displayed
        value at one time (a panel's components and the copies of one id differ here)."""
        return (self.rid, self.display, self.value, self.time, self.note)

    def merge(self, other: Evidence) -> Evidence:
        """The same reading matched through another value set."""
        merged = tuple(dict.fromkeys((*self.valuesets, *other.valuesets)))
        return Evidence(  # positional, as in `of` (``dataclasses.replace`` costs 10x as much)
            self.rid,
            self.display,
            merged,
            self.kind,
            self.value,
            self.time,
            self.age_h,
            self.note,
            self.newer or other.newer,
            self.compared,
            self.unit,
        )


@dataclass(slots=True, unsafe_hash=True)
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
        object.__setattr__(self, "rule_ids", frozenset([f.rule_id for f in self.findings]))

    def fired(self, rule_ids: Iterable[str]) -> bool:
        return not self.rule_ids.isdisjoint(rule_ids)


def build_findings(
    pack: Pack,
    firings: Sequence[Firing],
    facts: Sequence[Fact],
    latest: dict[str, Fact] | None = None,
) -> Outcome:
    """Group firings by rule (in pack order) and attach the evidence of the matched facts.

    Evidence is one entry per reading (two abnormal components of one panel, or two copies of
    one id, are two entries); an observation older than the latest verified readable reading
    of its value set carries that reading too. ``latest``: those readings by value set, when
    the caller has them for these very facts (`cds.facts.extract.Extraction.latest`); else
    they are worked out here.
    """
    in_scope = False
    # fid → its reading and evidence: a fact in several firings (each pairing of a join, or
    # every rule it fires) is read once
    made: dict[int, tuple[tuple[object, ...], Evidence]] = {}
    by_rule: dict[str, tuple[dict[tuple[object, ...], Evidence], set[int]]] = {}
    superseded: set[int] = set()
    if pack.superseded_by_measure:
        latest = latest if latest is not None else _latest_readings(facts)
        superseded = _superseded(pack, firings, facts, latest)
    for firing in firings:
        if firing.rule.startswith(SCOPE_RULE):
            in_scope = True
            continue
        if superseded and not superseded.isdisjoint(firing.fids):
            continue
        if pack.rules[firing.rule].distinct_records and _one_record_twice(firing, facts):
            continue
        if latest is None:
            latest = _latest_readings(facts)
        found = by_rule.get(firing.rule)
        if found is None:
            found = by_rule[firing.rule] = ({}, set())
        evidence, counted = found
        for fid in firing.fids:
            if fid in counted:  # merging a fact's evidence into itself again changes nothing
                continue
            counted.add(fid)
            known = made.get(fid)
            if known is None:
                known = made[fid] = _evidence(facts[fid], latest, pack.measured_by)
            key, item = known
            evidence[key] = evidence[key].merge(item) if key in evidence else item
    findings = [  # pack.rules: by id, in pack order
        Finding(rule_id, rule.topic, rule.label, tuple(rule.covers), tuple(found[0].values()))
        for rule_id, rule in pack.rules.items()
        if (found := by_rule.get(rule_id)) is not None
    ]
    return Outcome(in_scope=in_scope, findings=tuple(findings))


def _one_record_twice(firing: Firing, facts: Sequence[Fact]) -> bool:
    """Whether two of the firing's facts come from one record (a join of a fact to itself,
    or two copies of one resource)."""
    return len({facts[fid].rid for fid in firing.fids}) < len(firing.fids)


def _evidence(
    fact: Fact, latest: dict[str, Fact], measured_by: dict[str, str]
) -> tuple[tuple[object, ...], Evidence]:
    """A fact's evidence, with the latest reading of its value set when that one is newer;
    for a Condition, the latest reading of the value set that measures it, newer or not (the
    heart rate measured after a coded tachycardia, or the only one, an hour before the code:
    the clinician weighs the code against it; ER physician review, second round, c04); and
    its `Evidence.reading`."""
    observed = fact.kind == "observation"
    measured = fact.valueset if observed else measured_by.get(fact.valueset)
    newer = latest.get(measured) if measured is not None else None
    if newer is not None and observed and not _is_newer(newer, fact):
        newer = None
    item = Evidence.of(fact, newer)
    return item.reading, item


def _superseded(
    pack: Pack, firings: Sequence[Firing], facts: Sequence[Fact], latest: dict[str, Fact]
) -> set[int]:
    """The Conditions (fids) that a newer reading supersedes (`superseded_by_measure`): the
    latest reading of the value set that measures each is newer and no rule fired on it (a
    heart rate of 86 after a coded tachycardia). A firing that needs one of them is no sign."""
    watched = pack.superseded_by_measure
    coded = {
        fid
        for firing in firings
        for fid in firing.fids
        if facts[fid].kind != "observation" and facts[fid].valueset in watched
    }
    if not coded:
        return set()
    fired = {id(facts[fid]) for f in firings if not f.rule.startswith(SCOPE_RULE) for fid in f.fids}
    out = set()
    for fid in coded:
        newer = latest.get(pack.measured_by[facts[fid].valueset])
        if newer is not None and _is_newer(newer, facts[fid]) and id(newer) not in fired:
            out.add(fid)
    return out


def _latest_readings(facts: Iterable[Fact]) -> dict[str, Fact]:
    """Per value set, the most recent observation that is verified, readable and dated, and
    measured, not read from words ("HR 88" in a note never supersedes a coded tachycardia)."""
    newest: dict[str, Fact] = {}
    for f in facts:
        if (
            f.kind == "observation"
            and f.understood
            and f.time_known
            and f.age_h >= 0
            and f.verified
            and not f.by_text
        ):
            best = newest.get(f.valueset)
            if best is None or f.age_h < best.age_h:
                newest[f.valueset] = f
    return newest


def _is_newer(candidate: Fact, fact: Fact) -> bool:
    """The candidate is a later reading than the fact (an undated fact has no later one)."""
    return fact.time_known and candidate.age_h < fact.age_h
