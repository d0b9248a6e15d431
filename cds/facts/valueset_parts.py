"""Parts of `cds.facts.valuesets.ValueSetIndex` built from one value set's spec: how its
readings are read (`reading_rule`) and its ``excluded_by_text`` (`Exclusion`), words naming a
kind of the concept the set leaves out ("Urinary incontinence, stress"; "L leg weakness,
chronic"; "fevers 2 weeks ago").

Words are read whole, as the pack's patterns are written; words of several lines (a history
of present illness, a note) are read by entries too, each from a line naming the concept to
the next such line, and the concept is left out only when the whole words and every entry
say the left-out kind. So a new sign on its own line stays ("L leg weakness, chronic" then "R
leg weakness new today"; "fevers 2 weeks ago" then "fever again today"; "chronic sciatica"
then "pain radiating down R leg since today"), a qualifier the EHR wrapped onto the next line
still belongs to its sign ("Urinary incontinence" then "(chronic)"), and nothing is left out
that the whole words kept."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple, Protocol

from cds.facts.units import ReadingRule

if TYPE_CHECKING:
    from cds.facts.valueset_specs import PlausibleSpec, ValueSetSpec


class Exclusion:
    """One value set's ``excluded_by_text`` in one pattern, and its own ``text`` patterns
    (``names``: which lines name the concept); `search` answers as `re.Pattern.search` does."""

    __slots__ = ("names", "pattern")

    def __init__(self, pattern: re.Pattern[str], names: re.Pattern[str] | None) -> None:
        self.pattern = pattern
        self.names = names

    @classmethod
    def of(cls, excluded: Sequence[str], text: Sequence[str]) -> Exclusion:
        """The exclusion of a value set from its pack patterns (case-insensitive)."""
        return cls(any_of(excluded), any_of(text) if text else None)

    def search(self, words: str) -> re.Match[str] | None:
        """The match that leaves ``words`` out of the value set; None when they stay in."""
        found = self.pattern.search(words)
        if "\n" not in words or self.names is None:
            return found
        lines = words.split("\n")
        starts = [i for i, line in enumerate(lines) if self.names.search(line)]
        if not starts:  # named by a code, or by words across a line break: read whole
            return found
        if starts[0] and not _LINKS_ON.search(lines[starts[0] - 1]):
            # lines before the first naming it are entries of their own ("LBP x2d" then
            # "fevers 2 weeks ago": the back pain's duration dates no fever)
            found = self.pattern.search("\n".join(lines[starts[0] :]))
        if found is None:
            return None
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
            if self.pattern.search("\n".join(lines[start:end])) is None:
                return None  # this entry names it and says nothing of the left-out kind
        return found


_LINKS_ON = re.compile(
    r"(?:[,:;&+/(\-–—]|\b(?:and|or|with|of|for|since|from|after|had|has|have|reports?|"
    r"c/o|but|then|than|the|a|an|in|on|at|to|by|x))\s*$",
    re.IGNORECASE,
)
"""A line that runs on into the next (its sentence wrapped by the EHR): it ends with a comma,
colon or dash, or a word that needs what follows ("and", "since", "with")."""


def any_of(patterns: Sequence[str]) -> re.Pattern[str]:
    """The pack's patterns in one, case-insensitive, their ``term`` groups unnamed (a group
    name may stand once only): one search says whether any matches."""
    return re.compile("|".join(f"(?:{p})" for p in patterns).replace("(?P<term>", "("), re.I)


def reading_rule(vs: ValueSetSpec) -> ReadingRule:
    """How the value set's readings are read: implied unit, fraction, plausible range."""
    bounds = vs.plausible
    return ReadingRule(
        unit_implied=vs.unit_implied,
        fraction_as_percent=vs.fraction_as_percent,
        low=Decimal(str(bounds.low)) if bounds else None,
        high=Decimal(str(bounds.high)) if bounds else None,
        name=bounds.reading if bounds else "the reading",
        by_range=tuple(
            (r.unit, Decimal(str(r.low)), Decimal(str(r.high))) for r in vs.unit_by_range
        ),
    )


class DoseSplitSpec(Protocol):
    """An ingredient whose dose decides its value set (``valueset_schema.DoseSplit``)."""

    @property
    def at_least(self) -> float: ...
    @property
    def then(self) -> str: ...
    @property
    def then_said(self) -> str: ...
    @property
    def below(self) -> str: ...
    @property
    def below_said(self) -> str: ...
    @property
    def plausible(self) -> PlausibleSpec: ...
    @property
    def words(self) -> str: ...


class DoseRule(NamedTuple):
    """A value set of ingredient codes whose order's dose, in milligrams, says what it is:
    at or above ``at_least`` in ``then``, below it in ``below`` (`cds.facts.doses`)."""

    own: str
    """The value set declaring it: the order stays in it while no dose says which."""
    at_least: Decimal
    then: str
    then_said: str
    below: str
    below_said: str
    low: Decimal
    high: Decimal
    reading: str
    words: re.Pattern[str]


def dose_rule(vs_id: str, spec: DoseSplitSpec) -> DoseRule:
    """The compiled ``dose_decides`` of value set ``vs_id``."""
    bounds = spec.plausible
    return DoseRule(
        vs_id,
        Decimal(str(spec.at_least)),
        spec.then,
        spec.then_said,
        spec.below,
        spec.below_said,
        Decimal(str(bounds.low)),
        Decimal(str(bounds.high)),
        bounds.reading,
        re.compile(spec.words, re.IGNORECASE),
    )
