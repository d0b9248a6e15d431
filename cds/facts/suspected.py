"""Signs the record's words name without affirming them: a red flag they only suspect ("LBP,
can not rule out cauda equina", "r/o CES" as the visit's reason), what a lumbar image of this
visit is for even when the draft order carries no reason of its own (er19b A25; an order's own
reason: ``records._reasons``); and a sign named with its own side or place after a denial's
list ("(-) fever, numbness L leg"), denied or found, the words do not say (brief neg22); and a
sign coded on the differential, ruled out or not, the record does not say (er26 d17)."""

from __future__ import annotations

from cds.facts.concepts import as_list, codings_of
from cds.facts.model import Fact
from cds.facts.negation import names_a_doubt
from cds.facts.timing import FactContext, Timing

SUSPECTED_RED_FLAG = "suspected_red_flag"
"""The value set of a recent Condition's or the visit's words that suspect a red flag (an
``order_reason`` value set named as uncertain, not affirmed): it supports lumbar imaging, and
is never a sign of the patient's (no emergency or urgent card reads it)."""
SIGN_ON_DIFFERENTIAL = "sign_on_differential"
"""The value set of a Condition coded as a current sign whose verificationStatus is
``differential`` (`sign_considered`): a data-check item, never a sign."""
SIGN_AFTER_DENIAL = "sign_after_denial"
"""The value set of words naming a ``placed`` sign only as a later item of a denial's list,
with its own side or place (`ValueSetIndex.match_listed`): a data-check item, never a sign."""


def suspected_red_flag(concept: object, rid: str, timing: Timing, ctx: FactContext) -> list[Fact]:
    """A ``suspected_red_flag`` fact, dated as its record is, when ``concept``'s words name a
    red flag as uncertain and do not affirm it (an affirmed one is a finding of its own)."""
    words = _words(concept)
    if not words or not names_a_doubt(words):  # most records say nothing doubtful
        return []
    codings, text = codings_of(concept)
    index = ctx.index
    doubted = index.match_suspected(codings, text) - index.match(codings, text)
    if doubted.isdisjoint(index.order_reason):
        return []
    said = "a red flag suspected, not found: what imaging is for, no sign"
    return [_words_fact(SUSPECTED_RED_FLAG, rid, words, timing, said)]


def sign_after_denial(concept: object, rid: str, timing: Timing, ctx: FactContext) -> list[Fact]:
    """A ``sign_after_denial`` fact, dated as its record is, when ``concept``'s words name a
    sign with its own side or place after a denial's list ("no fever, numbness L leg") and
    nothing affirms it: the card asks whether it was denied or found, and is never silent."""
    words = _words(concept)
    if not words or not ctx.index.placed:
        return []
    codings, text = codings_of(concept)
    listed = ctx.index.match_listed(codings, text)
    if not listed:
        return []
    said = "a sign named with its own side or place after a denial's list: denied or found?"
    return [_words_fact(SIGN_AFTER_DENIAL, rid, words, timing, said, by_text=True)]


def sign_considered(
    considered: tuple[str, ...], display: str, rid: str, timing: Timing, ctx: FactContext
) -> list[Fact]:
    """For a Condition whose verificationStatus is ``differential`` and whose code is a
    current sign (``considered``, its ``acute`` value sets): a ``sign_on_differential`` fact
    (was it ruled out? er26 d17), and a ``suspected_red_flag`` one when the sign is also a red
    flag an image may be for ("cauda equina syndrome" on the differential). Never a sign: in
    FHIR a differential is one of several candidates still being weighed."""
    said = "verificationStatus: differential (a candidate diagnosis)"
    facts = [_words_fact(SIGN_ON_DIFFERENTIAL, rid, display, timing, said)]
    if not ctx.index.order_reason.isdisjoint(considered):
        doubt = "a red flag on the differential: what imaging is for, no sign"
        facts.append(_words_fact(SUSPECTED_RED_FLAG, rid, display, timing, doubt))
    return facts


def _words_fact(
    valueset: str, rid: str, words: str, timing: Timing, said: str, by_text: bool = False
) -> Fact:
    """A Condition fact of what the record's words say (``said``, after its timing's note),
    dated as its record is."""
    when, age, known, note, _ = timing
    return Fact(
        kind="condition",
        valueset=valueset,
        rid=rid,
        display=words,
        time=when,
        age_h=age,
        time_known=known,
        note=f"{note}; {said}" if note else said,
        by_text=by_text,
    )


def _words(concept: object) -> str:
    """What the concept says in words: its text, else its first coding's display; "" when it
    has none (most coded records, not read further: only words can doubt, and a code's own
    wording, as `words_of` gives it, cannot)."""
    if concept.__class__ is not dict:
        return ""
    text = concept.get("text")
    if isinstance(text, str) and text:
        return text
    for c in as_list(concept.get("coding")):
        display = c.get("display") if isinstance(c, dict) else None
        if isinstance(display, str) and display:
            return display
    return ""
