"""A red flag the record's words only suspect ("LBP, can not rule out cauda equina", "r/o
CES" as the visit's reason): what a lumbar image of this visit is for, even when the draft
order carries no reason of its own (er19b A25; an order's own reason: ``records._reasons``)."""

from __future__ import annotations

from cds.facts.concepts import as_list, codings_of
from cds.facts.model import Fact
from cds.facts.negation import names_a_doubt
from cds.facts.timing import FactContext, Timing

SUSPECTED_RED_FLAG = "suspected_red_flag"
"""The value set of a recent Condition's or the visit's words that suspect a red flag (an
``order_reason`` value set named as uncertain, not affirmed): it supports lumbar imaging, and
is never a sign of the patient's (no emergency or urgent card reads it)."""


def suspected_red_flag(concept: object, rid: str, timing: Timing, ctx: FactContext) -> list[Fact]:
    """A ``suspected_red_flag`` fact, dated as its record is, when ``concept``'s words name a
    red flag as uncertain and do not affirm it (an affirmed one is a finding of its own)."""
    if concept.__class__ is not dict or not _in_words(concept):
        return []
    codings, text = codings_of(concept)
    words = text or next((c.display for c in codings if c.display), "")
    if not words or not names_a_doubt(words):  # most records say nothing doubtful
        return []
    index = ctx.index
    doubted = index.match_suspected(codings, text) - index.match(codings, text)
    if doubted.isdisjoint(index.order_reason):
        return []
    when, age, known, note, _ = timing
    said = "a red flag suspected, not found: what imaging is for, no sign"
    return [
        Fact(
            kind="condition",
            valueset=SUSPECTED_RED_FLAG,
            rid=rid,
            display=words,
            time=when,
            age_h=age,
            time_known=known,
            note=f"{note}; {said}" if note else said,
        )
    ]


def _in_words(concept: dict[str, object]) -> bool:
    """Does the concept say anything in words (its text, or a coding's display)? Only words
    can doubt: most coded records have none, and are not read further."""
    if concept.get("text"):
        return True
    return any(isinstance(c, dict) and c.get("display") for c in as_list(concept.get("coding")))
