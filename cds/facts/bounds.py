"""Readings recorded as a bound ("SpO2 <85 %", "heart rate >140"): a Quantity with a
comparator says where the value is, not what it is.

A bound is a sign only when it makes the sign certain (every value it allows crosses the
sign's threshold: SpO2 "<85" with a threshold of 91 or less, heart rate ">140" with one of
131 or more); it is a data-check item, never a sign, when it leaves the sign possible but
not certain (SpO2 "<92" or ">90", heart rate "<140"); and nothing when no value it allows is a
sign (SpO2 ">95"). The thresholds are the compiled rules' own (`CompiledRuleset.reach`), so a
site's settings move them here too: a sign's pattern demands a verified reading, a data-check
pattern an unverified one crossing the same threshold. A bound that leaves a sign possible
becomes an unverified fact at a value inside both what the bound allows and what the
data-check pattern looks for; one that makes it certain keeps the bound as its value (just
inside it for ``<`` and ``>``). Its evidence shows the comparator as recorded.

`resolve_value` is the one test of a value against thresholds, exact or a bound: a number said
in words in a sign's row ("Fever: 38-39", `cds.facts.said_measures`) is resolved by it too,
by the thresholds of the value set that measures the sign rather than its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Final, Literal, NamedTuple, Protocol

from cds.facts.model import Fact

#: The comparators of a FHIR R4 Quantity; another is a value not understood.
COMPARATORS: Final = frozenset({"<", "<=", ">", ">="})

#: How far inside a strict bound its value is put ("<92" is 91.999999): small enough for any
#: threshold a pack sets, large enough to survive float text in the engine (no exponent).
_INSIDE: Final = 1e-6

_WORDS: Final = {"<": "below", "<=": "at most", ">": "above", ">=": "at least"}


class Region(Protocol):
    """What a pattern demands of a fact's value (`cds.pack.compile.Demands`)."""

    @property
    def understood(self) -> bool: ...
    @property
    def verified(self) -> bool | None: ...
    @property
    def lowest(self) -> float | None: ...
    @property
    def highest(self) -> float | None: ...
    @property
    def lowest_strict(self) -> bool: ...
    @property
    def highest_strict(self) -> bool: ...


class Resolved(NamedTuple):
    """What a value is against the thresholds that apply to it (`resolve_value`)."""

    sign: Literal["certain", "possible", "none"]
    """Every value it allows is a sign; some are; none is."""
    value: float
    """The value to keep: the bound itself (just inside a strict one) when certain or none,
    a value inside both what it allows and a data-check pattern's range when possible."""


def resolve_value(value: float, bound: str | None, regions: Iterable[Region]) -> Resolved:
    """``value``, exact (``bound`` None) or a bound (one of `COMPARATORS`), against the
    ``regions`` of the value set whose thresholds apply (a fact's own, or the one that
    measures it: `cds.facts.said_measures`): a sign when every value it allows is in a
    verified sign's range, possible when some are, else none. An exact value allows itself."""
    compared = [r for r in regions if r.understood and (r.lowest, r.highest) != (None, None)]
    signs = [r for r in compared if r.verified is not False]
    if bound is None:
        certain = any(_in_region(r, value) for r in signs)
        return Resolved("certain" if certain else "none", value)
    upper = bound.startswith("<")
    edge = value
    if len(bound) == 1:  # strict: just inside the bound
        edge = edge - _INSIDE if upper else edge + _INSIDE
    if any(_contains(r, edge, upper) for r in signs):
        return Resolved("certain", edge)
    possible = [r for r in signs if _meets(r, edge, upper) is not None]
    checks = [r for r in compared if r.verified is not True]
    for region in (*checks, *possible) if possible else ():
        point = _meets(region, edge, upper)
        if point is not None:
            return Resolved("possible", point)
    return Resolved("none", edge)


def resolve_bounds(
    facts: list[Fact], reach: Mapping[tuple[str, str], Sequence[Region]]
) -> list[Fact]:
    """``facts`` with each bounded reading made a sign, a data-check item or neither, as its
    bound and the rules' thresholds say (facts without a bound are returned as they are)."""
    if not any(f.bound for f in facts):
        return facts
    return [f if not f.bound else _resolve(f, reach.get((f.kind, f.valueset), ())) for f in facts]


def _resolve(fact: Fact, regions: Iterable[Region]) -> Fact:
    if fact.value is None or fact.bound not in COMPARATORS:
        return fact
    said = f"recorded as a bound: {_WORDS[fact.bound]} {_number(fact.value)}, not an exact reading"
    note = f"{fact.note}; {said}" if fact.note else said
    sign, value = resolve_value(fact.value, fact.bound, regions)
    if sign == "certain":  # the sign, as verified as it was
        return replace(fact, value=value, note=note)
    return replace(fact, value=value, verified=False, note=note)  # a data check, or no sign


def _contains(region: Region, edge: float, upper: bool) -> bool:
    """Whether every value the bound allows (at most ``edge`` when ``upper``, else at least)
    is in the region."""
    if upper:
        return region.lowest is None and region.highest is not None and _below(region, edge)
    return region.highest is None and region.lowest is not None and _above(region, edge)


def _meets(region: Region, edge: float, upper: bool) -> float | None:
    """A value the bound allows that is in the region, or None when there is none."""
    for point in _candidates(region, edge):
        if (point <= edge if upper else point >= edge) and _in_region(region, point):
            return point
    return None


def _candidates(region: Region, edge: float) -> list[float]:
    out = [edge]
    if region.lowest is not None:
        out.append(region.lowest + _INSIDE if region.lowest_strict else region.lowest)
    if region.highest is not None:
        out.append(region.highest - _INSIDE if region.highest_strict else region.highest)
    return out


def _in_region(region: Region, value: float) -> bool:
    """Whether ``value`` is in the region's value range (each end as strict as it says)."""
    return (region.lowest is None or _above(region, value)) and (
        region.highest is None or _below(region, value)
    )


def _below(region: Region, value: float) -> bool:
    assert region.highest is not None
    return value < region.highest if region.highest_strict else value <= region.highest


def _above(region: Region, value: float) -> bool:
    assert region.lowest is not None
    return value > region.lowest if region.lowest_strict else value >= region.lowest


def _number(value: float) -> str:
    return f"{value:g}"
