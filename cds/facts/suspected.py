"""Signs the record's words name without affirming them: a red flag they only suspect ("LBP,
can not rule out cauda equina", "r/o CES" as the visit's reason), what a lumbar image of this
visit is for even when the draft order carries no reason of its own (er19b A25; an order's own
reason: ``records._reasons``); and a sign named with its own side or place after a denial's
list ("(-) fever, numbness L leg") or a danger sign marked NEW in one ("Denies:" / "- NEW
urinary retention"), denied or found, the words do not say (briefs neg22, lines24); and a
sign coded on the differential, ruled out or not, the record does not say (er26 d17).

Both questions of the words are asked of a concept once (`said_in_words`), remembered per pack."""

from __future__ import annotations

from cds.facts.concepts import as_list, codings_of, image_key, remember
from cds.facts.model import Fact
from cds.facts.negation import names_a_doubt
from cds.facts.said_measures import words_fact
from cds.facts.timing import FactContext, Timing
from cds.facts.valuesets import Said, ValueSetIndex

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

NOTHING_SAID: Said = ("", False, False)
"""A concept without words (most coded records): nothing to doubt, nothing listed."""


def said_in_words(concept: object, index: ValueSetIndex, *, doubts: bool = True) -> Said:
    """(its words, whether they name a ``placed`` sign after a denial's list, whether they
    doubt an ``order_reason`` red flag without affirming it) of a concept, each question
    answered once per concept and pack (the answers remembered, bounded, under its JSON image,
    as `read_concept_detail`'s are). ``doubts=False``: the doubt is not asked yet (None), for
    a reader that wants the list alone (a draft order's reason: `sign_after_denial`)."""
    if not isinstance(concept, dict) or not _may_say(concept):
        return NOTHING_SAID
    key = image_key(concept)
    memo = index.said
    hit = memo.get(key) if key is not None else None
    if hit is None:
        codings, text = codings_of(concept)
        hit = (_words(concept), bool(index.match_listed(codings, text)), None)
    elif not doubts or hit[2] is not None:
        return hit
    if doubts:
        hit = (hit[0], hit[1], _doubted(concept, hit[0], index))
    remember(memo, key, hit)
    return hit


def words_facts(said: Said, rid: str, timing: Timing) -> list[Fact]:
    """The ``suspected_red_flag`` and the ``sign_after_denial`` fact (in that order) of what a
    concept's words said (`said_in_words`, doubts asked), dated as its record is."""
    words, listed, doubted = said
    if not words:
        return []
    facts = []
    if doubted:
        said_so = "a red flag suspected, not found: what imaging is for, no sign"
        facts.append(
            words_fact(SUSPECTED_RED_FLAG, rid, words, timing[:4], said=said_so, by_text=False)
        )
    if listed:
        facts.append(_listed_fact(rid, words, timing))
    return facts


def sign_after_denial(concept: object, rid: str, timing: Timing, ctx: FactContext) -> list[Fact]:
    """A ``sign_after_denial`` fact, dated as its record is, when ``concept``'s words name a
    sign with its own side or place after a denial's list ("no fever, numbness L leg") and
    nothing affirms it: the card asks whether it was denied or found, and is never silent."""
    words, listed, _ = said_in_words(concept, ctx.index, doubts=False)
    return [_listed_fact(rid, words, timing)] if words and listed else []


def _doubted(concept: dict[str, object], words: str, index: ValueSetIndex) -> bool:
    """Do the words name a red flag (an ``order_reason`` value set) as uncertain without
    affirming it (an affirmed one is a finding of its own)?"""
    if not words or not names_a_doubt(words):  # most records say nothing doubtful
        return False
    codings, text = codings_of(concept)
    doubted = index.match_suspected(codings, text) - index.match(codings, text)
    return not doubted.isdisjoint(index.order_reason)


def _may_say(concept: dict[str, object]) -> bool:
    """Has the concept words that `codings_of` reads (its text, or a coding's display)?"""
    text = concept.get("text")
    if isinstance(text, str) and text:
        return True
    return any(isinstance(c, dict) and c.get("display") for c in as_list(concept.get("coding")))


def _listed_fact(rid: str, words: str, timing: Timing) -> Fact:
    said = (
        "a sign named after a denial's list with its own side or place, or marked NEW:"
        " denied or found?"
    )
    return words_fact(SIGN_AFTER_DENIAL, rid, words, timing[:4], said=said, by_text=True)


def sign_considered(
    considered: tuple[str, ...],
    display: str,
    rid: str,
    timing: Timing,
    ctx: FactContext,
    doubted: bool = False,
) -> list[Fact]:
    """For a Condition whose verificationStatus is ``differential`` and whose code is a
    current sign (``considered``, its ``acute`` value sets): a ``sign_on_differential`` fact
    (was it ruled out? er26 d17), and a ``suspected_red_flag`` one when the sign is also a red
    flag an image may be for ("cauda equina syndrome" on the differential). Never a sign: in
    FHIR a differential is one of several candidates still being weighed. ``doubted``: the
    record's words already suspect the red flag ("r/o CES"), whose fact says so once."""
    said = "verificationStatus: differential (a candidate diagnosis)"
    facts = [words_fact(SIGN_ON_DIFFERENTIAL, rid, display, timing[:4], said=said, by_text=False)]
    if not doubted and not ctx.index.order_reason.isdisjoint(considered):
        doubt = "a red flag on the differential: what imaging is for, no sign"
        facts.append(
            words_fact(SUSPECTED_RED_FLAG, rid, display, timing[:4], said=doubt, by_text=False)
        )
    return facts


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
