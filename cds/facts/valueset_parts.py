"""Parts of `cds.facts.valuesets.ValueSetIndex` built from one value set's spec: how its
readings are read (`reading_rule`) and its ``excluded_by_text`` (`Exclusion`), words naming a
kind of the concept the set leaves out ("Urinary incontinence, stress"; "L leg weakness,
chronic"; "fevers 2 weeks ago").

Words are read whole, as the pack's patterns are written, unless they name the concept on
several lines (a history of present illness, a note): then each entry, from a line naming it
to the next such line, is read on its own, and the concept is left out only when every entry
says the left-out kind. A new sign on another line stays ("L leg weakness, chronic" then "R
leg weakness new today"; "fevers 2 weeks ago" then "fever again today"), and a qualifier the
EHR wrapped onto the next line still belongs to its entry ("Urinary incontinence" then
"(chronic)"). An entry reads as the whole words did, so this never leaves out what the whole
words kept."""

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
        lines = words.split("\n")
        starts = [i for i, line in enumerate(lines) if self.names.search(line)]
        if len(starts) < 2:  # named once (or by a code): the words whole, as one entry
            return self.pattern.search(words)
        starts[0] = 0  # the lines before the first naming it belong to its entry
        found = None
        for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
            found = self.pattern.search("\n".join(lines[start:end]))
            if found is None:  # this entry names it and says nothing of the left-out kind
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
