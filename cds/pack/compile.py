"""Compile a validated pack, for one hook and one set of site settings, to durable_rules JSON.

The output is plain data (durable's JSON ruleset format, never the ``durable.lang`` DSL), so a
reviewer can read the engine-level effect of a YAML change in the snapshot test.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cds.errors import RulePackError
from cds.facts.model import Fact
from cds.facts.units import to_number
from cds.hooks.registry import Hook
from cds.pack.load import Pack, setting_refs
from cds.pack.schema import Duration, Pattern, PatternRef, Rule

SCOPE_RULE = "__scope__"
HOURS_PER = {"hours": 1, "days": 24, "weeks": 168}
AGE_MARGIN_H = 0.01
"""Facts this close beyond a look-back are still asserted: the engine decides the boundary."""
VALUE_MARGIN = 1e-9
"""Likewise for values near a bound (relative to the bound)."""


@dataclass(frozen=True)
class CompiledRuleset:
    """One durable ruleset: a pack's rules for one hook under one set of site settings."""

    name: str
    definition: dict[str, Any]
    """``{rule_id: {"all": [{alias: expression}, ...], "run": rule_id}}``"""
    negated_first: frozenset[tuple[str, str]]
    """(kind, value set) of facts that negated patterns look at: asserted before the rest."""
    reach: Mapping[tuple[str, str], tuple[Demands, ...]] = field(default_factory=dict)
    """(kind, value set) → what each pattern that looks at such facts demands of one."""
    fields: Mapping[tuple[str, str], frozenset[str]] = field(default_factory=dict)
    """(kind, value set) → the fact fields the patterns that look at such facts read."""
    gates: Mapping[tuple[str, str], Gate] = field(init=False, repr=False, compare=False)
    """(kind, value set) → what every pattern that looks at such facts demands at least
    (`Gate`): most facts of a record are too old for any, or (a normal heart rate) inside
    no pattern's range, and are left out at a comparison or two."""

    def __post_init__(self) -> None:
        gates = {key: Gate.of(demands) for key, demands in self.reach.items() if demands}
        object.__setattr__(self, "gates", gates)

    def engine_facts(self, facts: Sequence[Fact]) -> list[dict[str, Any]]:
        """The facts some pattern may match (`may_match`) as the engine is given them, each
        with its index in ``facts`` as its ``fid`` and only the fields the patterns on its kind
        and value set read (`Fact.to_engine`): durable parses every field sent, tries each at
        every alpha node a fact reaches, and writes every field of a matched fact back into
        the action's JSON, which is parsed again; a field no pattern reads changes nothing."""
        fields = self.fields
        return [
            f.to_engine(fid, fields[(f.kind, f.valueset)])
            for fid, f in enumerate(facts)
            if self.may_match(f)
        ]

    def may_match(self, fact: Fact) -> bool:
        """False only when no pattern of the ruleset can match the fact, so leaving it out of
        the engine changes nothing: a fact that matches no pattern takes part in no rule, not
        even as the fact a negated pattern looks for. Real records carry years of old and of
        normal vital signs and lab results; only those some rule could fire on need the engine.
        Checked conservatively (``AGE_MARGIN_H``, ``VALUE_MARGIN``): the engine decides."""
        key = (fact.kind, fact.valueset)
        gate = self.gates.get(key)
        if gate is None or fact.age_h > gate.oldest:  # `Demands.met_by`'s first test, for all
            return False
        if gate.lowest is not None and fact.understood:  # its value test, for all at once
            value = fact.value
            if value is None or (value < gate.lowest and value > gate.highest):
                return False
        for demands in self.reach[key]:
            if demands.met_by(fact):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Demands:
    """What one pattern demands of a fact's own fields, besides its kind and value set."""

    understood: bool
    verified: bool | None = True
    """None: any reading, verified or not."""
    latest: bool | None = None
    draft: bool | None = None
    max_age_h: float = math.inf
    min_age_h: float | None = None
    """An ``older_than`` pattern: at least this old, and the time known."""
    lowest: float | None = None
    """The largest lower bound (``gt``/``gte``) on the value, if any."""
    highest: float | None = None
    """The smallest upper bound (``lt``/``lte``) on the value, if any."""
    lowest_strict: bool = False
    """``lowest`` is a ``gt`` (the value must be above it, not at it)."""
    highest_strict: bool = False
    """``highest`` is an ``lt``."""

    @classmethod
    def of(cls, p: Pattern, values: dict[str, Any]) -> Demands:
        lows = (
            [_number(b, values) for b in (p.value.gt, p.value.gte) if b is not None]
            if p.value
            else []
        )
        highs = (
            [_number(b, values) for b in (p.value.lt, p.value.lte) if b is not None]
            if p.value
            else []
        )
        low = max(lows) if lows else None
        high = min(highs) if highs else None
        v = p.value
        return cls(
            understood=p.understood,
            verified=_verified(p),
            latest=p.latest,
            draft=p.draft,
            max_age_h=_hours(p.within, values) if p.within is not None else math.inf,
            min_age_h=_hours(p.older_than, values) if p.older_than is not None else None,
            lowest=low,
            highest=high,
            lowest_strict=v is not None and v.gt is not None and _number(v.gt, values) == low,
            highest_strict=v is not None and v.lt is not None and _number(v.lt, values) == high,
        )

    def met_by(self, f: Fact) -> bool:
        """Whether the fact may meet these demands (near a bound counts: the engine decides)."""
        if f.understood != self.understood or f.age_h > self.max_age_h + AGE_MARGIN_H:
            return False
        if self.verified is not None and f.verified != self.verified:
            return False
        if (self.latest is not None and f.latest != self.latest) or (
            self.draft is not None and f.draft != self.draft
        ):
            return False
        if self.min_age_h is not None and (
            not f.time_known or f.age_h < self.min_age_h - AGE_MARGIN_H
        ):
            return False
        if self.lowest is None and self.highest is None:
            return True
        value = f.value
        if value is None:
            return False  # a comparison never matches a fact without a value
        return (self.lowest is None or value >= self.lowest - _slack(self.lowest)) and (
            self.highest is None or value <= self.highest + _slack(self.highest)
        )


@dataclass(frozen=True, slots=True)
class Gate:
    """What all the patterns that look at one (kind, value set) demand of a fact at least:
    a fact that fails it meets none of their `Demands` (`CompiledRuleset.may_match`)."""

    oldest: float
    """The greatest age (with its margin) any of the patterns accepts."""
    lowest: float | None = None
    """When every pattern for readable facts bounds the value: a readable fact's value must
    be at least this (the smallest lower bound, with its slack) or at most ``highest``.
    None: some such pattern takes any value (or there is none), so no value is ruled out."""
    highest: float = -math.inf
    """The largest upper bound, with its slack (-inf: no pattern has one)."""

    @classmethod
    def of(cls, demands: tuple[Demands, ...]) -> Gate:
        oldest = max(d.max_age_h + AGE_MARGIN_H for d in demands)
        readable = [d for d in demands if d.understood]
        if not readable or any(d.lowest is None and d.highest is None for d in readable):
            return cls(oldest)
        lows = [d.lowest - _slack(d.lowest) for d in readable if d.lowest is not None]
        highs = [d.highest + _slack(d.highest) for d in readable if d.highest is not None]
        return cls(oldest, min(lows, default=math.inf), max(highs, default=-math.inf))


def _slack(bound: float) -> float:
    return VALUE_MARGIN * max(1.0, abs(bound))


def compile_pack(pack: Pack, hook: Hook, settings: dict[str, Any] | None = None) -> CompiledRuleset:
    """Compile the rules that apply to ``hook``, with settings resolved to numbers."""
    values = pack.setting_values(settings)
    definition: dict[str, Any] = {}
    negated: set[tuple[str, str]] = set()
    reach: dict[tuple[str, str], list[Demands]] = {}
    fields: dict[tuple[str, str], set[str]] = {}

    def expression(pattern: Pattern) -> dict[str, Any]:
        demands = Demands.of(pattern, values)
        compiled = _expression(pattern, values)
        read = _fields_read(compiled)
        for vs in pattern.valuesets:
            known = reach.setdefault((pattern.fact, vs), [])
            if demands not in known:
                known.append(demands)
            fields.setdefault((pattern.fact, vs), set()).update(read)
        return compiled

    for i, pattern in enumerate(_active(pack, pack.spec.scope, hook, values)):
        definition[f"{SCOPE_RULE}{i}"] = {"all": [{"p0": expression(pattern)}], "run": SCOPE_RULE}
    for rule in pack.spec.rules:
        if not _applies(rule, hook, values):
            continue
        if any(_switched_off(pack.pattern(r), values) for r in rule.when):
            continue
        when = _active(pack, rule.when, hook, values)
        if not when:
            continue
        terms = [{f"p{i}": expression(p)} for i, p in enumerate(when)]
        for j, pattern in enumerate(_active(pack, rule.unless, hook, values)):
            terms.append({f"n{j}$not": expression(pattern)})
            negated |= {(pattern.fact, vs) for vs in pattern.valuesets}
        definition[rule.id] = {"all": terms, "run": rule.id}
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:12]
    return CompiledRuleset(
        f"{pack.id}@{pack.version}/{hook}#{digest}",
        definition,
        frozenset(negated),
        {key: tuple(demands) for key, demands in reach.items()},
        {key: frozenset(names) for key, names in fields.items()},
    )


def _fields_read(expression: dict[str, Any]) -> set[str]:
    """The fact fields a compiled expression reads: in its equalities and comparisons."""
    read: set[str] = set()
    for key, arg in expression.items():
        if key in ("$and", "$or"):
            for term in arg:
                read |= _fields_read(term)
        elif key.startswith("$"):  # a comparison: {"$lte": {"age_h": 72.0}}
            read.update(arg)
        else:
            read.add(key)
    return read


def _active(
    pack: Pack, refs: list[PatternRef], hook: Hook, values: dict[str, Any]
) -> list[Pattern]:
    """The patterns that exist for this hook and these settings.

    A pattern limited to other hooks is left out; so is one whose bound is a setting the site
    switched off (null): an unset age threshold is no criterion at all.
    """
    out = []
    for ref in refs:
        p = pack.pattern(ref)
        if p.only_hooks is not None and hook not in p.only_hooks:
            continue
        if not _switched_off(p, values):
            out.append(p)
    return out


def _switched_off(p: Pattern, values: dict[str, Any]) -> bool:
    return any(values.get(name) is None for name in setting_refs(p))


def _applies(rule: Rule, hook: Hook, values: dict[str, Any]) -> bool:
    if rule.hooks is not None and hook not in rule.hooks:
        return False
    return rule.enabled_by is None or values.get(rule.enabled_by) is not None


def _number(ref: str | int | float, values: dict[str, Any]) -> float:
    raw = values.get(ref) if isinstance(ref, str) else ref
    if raw is None or isinstance(raw, bool) or not isinstance(raw, int | float):
        raise RulePackError(f"setting '{ref}' has no numeric value")
    return to_number(Decimal(repr(raw)))


def _hours(d: Duration, values: dict[str, Any]) -> float:
    for unit, per in HOURS_PER.items():
        ref = getattr(d, unit)
        if ref is not None:
            return to_number(Decimal(repr(_number(ref, values))) * per)
    raise RulePackError("duration without a unit")  # unreachable: the schema forbids it


def _verified(p: Pattern) -> bool | None:
    """The ``verified`` a pattern demands, None for any. Only observations can be unverified
    (other facts always carry 1), so the default asks nothing of other kinds."""
    if p.verified == "any" or (p.verified and p.fact != "observation"):
        return None
    return p.verified


def _expression(p: Pattern, values: dict[str, Any]) -> dict[str, Any]:
    """A pattern as a durable ``$and`` of equalities and comparisons on flat fact keys."""
    terms: list[dict[str, Any]] = [{"kind": p.fact}]
    if len(p.valuesets) == 1:
        terms.append({"valueset": p.valuesets[0]})
    else:
        terms.append({"$or": [{"valueset": vs} for vs in p.valuesets]})
    terms.append({"understood": int(p.understood)})
    verified = _verified(p)
    if verified is not None:
        terms.append({"verified": int(verified)})
    if p.within is not None:
        terms.append({"$lte": {"age_h": _hours(p.within, values)}})
    if p.older_than is not None:
        terms.append({"$gte": {"age_h": _hours(p.older_than, values)}})
        terms.append({"time_known": 1})
    if p.value is not None:
        for op in ("gt", "gte", "lt", "lte"):
            bound = getattr(p.value, op)
            if bound is not None:
                terms.append({f"${op}": {"value": _number(bound, values)}})
    if p.latest is not None:
        terms.append({"latest": int(p.latest)})
    if p.draft is not None:
        terms.append({"draft": int(p.draft)})
    return {"$and": terms}
