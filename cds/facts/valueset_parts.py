"""Parts of `cds.facts.valuesets.ValueSetIndex` built from one value set's spec: how its
readings are read (`reading_rule`) and its ``excluded_by_text`` (`Exclusion`), words naming a
kind of the concept the set leaves out ("Urinary incontinence, stress"; "L leg weakness,
chronic"; "fevers 2 weeks ago").

Words on one line are read whole, as the pack's patterns are written. Words of several lines
(a history of present illness, a note) are read by the lines that name the concept, each on
its own: the concept is left out only when every one of them names the left-out kind, so an
old sign is read where it is written ("LBP x2d" then "fevers 2 weeks ago, none since": an
old fever) and a new one on another line stays ("L leg weakness, chronic" then "R leg
weakness new today"; "fevers 2 weeks ago" then "fever again today"; "chronic sciatica" then
"pain radiating down R leg since today"). Lines that do not name it are not read for it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from cds.facts.units import ReadingRule

if TYPE_CHECKING:
    from cds.facts.valuesets import ValueSetSpec


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
        names = "|".join(f"(?:{p})" for p in text).replace("(?P<term>", "(")
        return cls(
            re.compile("|".join(f"(?:{p})" for p in excluded), re.IGNORECASE),
            re.compile(names, re.IGNORECASE) if names else None,
        )

    def search(self, words: str) -> re.Match[str] | None:
        """The match that leaves ``words`` out of the value set; None when they stay in."""
        if "\n" not in words or self.names is None:
            return self.pattern.search(words)
        naming = [line for line in words.split("\n") if self.names.search(line)]
        if not naming:  # named by a code, or by words the lines split: read whole
            return self.pattern.search(words)
        found = None
        for line in naming:  # left out only when every line naming it says the left-out kind
            found = self.pattern.search(line)
            if found is None:
                return None
        return found


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
