"""Is a phrase in a record's words affirmed, negated, uncertain, historical or a relative's?

A value-set text pattern that matches "no saddle anesthesia" or "rule out cauda equina" must
not become a danger sign. This is a NegEx / ConText style classifier (Chapman et al. 2001,
"A simple algorithm for identifying negated findings and diseases in discharge summaries";
Harkema et al. 2009, "ConText: an algorithm for determining negation, experiencer, and
temporal status from clinical reports"), written here with our own lexicon table
(`cds.facts.negation_lexicon`, built from the published trigger categories):

- a *trigger* ("no", "denies", "rule out", "history of", "father") opens a scope, forward
  (pre-triggers) or backward (post-triggers: "was ruled out", "absent", "cauda equina?");
- a scope is the trigger's sentence, at most ``WINDOW`` words per list item (a coordinated
  list "no fever, chills or saddle anesthesia" carries the trigger through short items), and is
  closed by a *termination* ("but", "however", "reports", ...) or by a nearer trigger;
- a *pseudo-trigger* ("no change", "not only", "72 year old") looks like a trigger but is not.

When several triggers govern a phrase the strongest wins (`_PRIORITY`): negated, uncertain,
hypothetical (advice, "return if ...": no finding, nor a suspicion a test is for), family,
historical. ``bench/negation.py`` measures this against negspacy / medspaCy on
``tests/facts/negation_corpus.json``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Literal

from cds.facts.negation_events import (
    DATED_RECENT,
    MEASURED,
    OBSERVED_STATE,
    PLACED,
    POST_WINDOW,
    ROS_NEGATIVE,
    closes_entry,
    ends_sentence,
    own_onset,
    placed_item,
    query_before,
)
from cds.facts.negation_lexicon import (
    INABILITY,
    LEXICON,
    MODAL_NEGATION,
    PAST_BEFORE,
    Direction,
    Kind,
    Scope,
)
from cds.facts.negation_lines import (
    SHOUTED_NEW,
    joined_lines,
    label_answer,
    opens_item,
    shouted_item,
)
from cds.facts.negation_lines import plain as plain

Assertion = Literal["affirmed", Scope]
_Said = Literal[Assertion, "listed"]
"""What the reader finds: an `Assertion`, or ``listed``, a sign a denial's list reaches only as
a later item carrying its own side or place (`placed_item`) or marked NEW in capitals
(`shouted_item`), read as uncertain."""

WINDOW = 5
"""Words a pre-trigger reaches into one list item (NegEx's window is five words)."""
LIST_REACH = 25
"""Words a pre-trigger reaches at most through a coordinated list."""

_STRONGEST: tuple[_Said, ...] = ("negated", "listed", "uncertain", "hypothetical")
_PRIORITY: tuple[_Said, ...] = (*_STRONGEST, "family", "historical")
_RANK: dict[_Said, int] = {a: i for i, a in enumerate((*_PRIORITY, "affirmed"))}


_ENTRIES: list[tuple[str, Kind, Direction]] = sorted(
    ((p, kind, d) for phrases, kind, d in (*LEXICON, ROS_NEGATIVE) for p in phrases),
    key=lambda e: (-e[0].count(" "), -len(e[0])),
)
# One alternation without groups (far faster in ``re`` than one group per entry); which entry
# matched is then looked up by the matched words.
_ALTERNATION = "|".join(f"(?:{p})" for p, _, _ in _ENTRIES if p[0] not in ": \\")
_COLON = "|".join(f"(?:{p})" for p, _, _ in _ENTRIES if p[0] in ": " or p[:2] == "\\(")
_TRIGGERS = re.compile(rf"(?<![\w/])(?:{_ALTERNATION})(?![\w/])|{_COLON}")
_TRIGGERS_ANY_CASE = re.compile(_TRIGGERS.pattern, re.IGNORECASE)
_COMPILED = [re.compile(p) for p, _, _ in _ENTRIES]


def _literals() -> dict[str, int]:
    """Plain phrases → their entry, where no earlier entry matches the same words."""
    out: dict[str, int] = {}
    for i, (phrase, _, _) in enumerate(_ENTRIES):
        literal = re.fullmatch(r"[a-z/' -]+", phrase) is not None
        if literal and not any(r.fullmatch(phrase) for r in _COMPILED[:i]):
            out.setdefault(phrase, i)
    return out


_LITERAL = _literals()


def _entry(matched: str) -> tuple[str, Kind, Direction]:
    """The lexicon entry the alternation chose for ``matched`` (the first that matches it)."""
    i = _LITERAL.get(matched)
    if i is None:
        i = next(j for j, r in enumerate(_COMPILED) if r.fullmatch(matched))
    return _ENTRIES[i]


_STOPS = re.compile(r"[?.;!|\n]")
_WORD = re.compile(r"[a-z0-9]+(?:['/][a-z0-9]+)*|[,&+\n]", re.IGNORECASE)  # "\n": a list's line
_LIST_JOINS = frozenset({",", "&", "or", "and", "nor", "and/or", "\n"})
_SHORT_REACH = re.compile(f"{MODAL_NEGATION}|{PAST_BEFORE}")
"""A modal's negation ("can't stand up straight") negates its verb and what closely follows
it, not the items listed after it nor a cause named later: "can't stand up straight, weak
legs and numbness between the legs" is weak legs, "can't walk due to leg weakness" is leg
weakness (ER physician review, fourth round). A past marker before its concept ("resolved
fever") reaches as far: "fever resolved, urinary retention today" is urinary retention."""
MODAL_REACH = 2
"""Words a modal's negation, or a past marker before its concept, reaches in its list item."""
_OWN_NEGATIVE = re.compile(rf"{INABILITY}\b", re.IGNORECASE)
"""A phrase that opens with an inability is its own statement after a denial (`INABILITY`)."""
_OWN_STATE = re.compile(rf"{OBSERVED_STATE}\b", re.IGNORECASE)
"""A phrase that opens with a state the patient is seen in is its own statement after a
list's comma (`OBSERVED_STATE`), unless the trigger is a copula's "not" (`_STATE_NOT`)."""
_STATE_NOT = re.compile(r"not|(?:is|was|are|were)n'?t|never|neither|nor")
"""Triggers that take an adjective and the list after it: "not lethargic, confused"."""
_POST_JOINS = frozenset({"or", "and", "nor", "and/or"})


@dataclass(frozen=True, slots=True)
class Trigger:
    start: int
    end: int
    kind: Kind
    direction: Direction


@dataclass(frozen=True, slots=True)
class Reading:
    """One text, read once: its sentence bounds and its triggers, in order."""

    sentences: tuple[tuple[int, int], ...]
    triggers: tuple[Trigger, ...]


def assertion(text: str, start: int, end: int) -> Assertion:
    """What the words around ``text[start:end]`` (where a pattern matched) say of it."""
    said = _assertion(plain(text), start, end)
    return "uncertain" if said == "listed" else said


def listed_after_denial(text: str, start: int, end: int) -> bool:
    """Is the phrase at ``text[start:end]`` a later item of a denial's list that names its own
    side or place ("(-) fever, numbness L leg", "denies fever, numbness in left foot") or opens
    with NEW in capitals ("Denies:" / "- fever" / "- NEW urinary retention")? A clinician
    reading it cannot tell a denial from a finding written on: uncertain, not denied."""
    return _assertion(plain(text), start, end) == "listed"


def names_a_doubt(text: str) -> bool:
    """Do the words hold an uncertainty trigger ("can not rule out", "r/o", "?")?"""
    return any(t.kind == "uncertain" for t in read(plain(text)).triggers)


def closes_as_past(text: str) -> bool:
    """Does the entry end with a past marker set off as its last item (`_closes_entry`:
    "Urinary retention, resolved", "(resolved)", "- resolved after foley removal")? Such
    words speak of the whole entry, its code too."""
    text = plain(text)
    return any(_closes_entry(text, t) for t in read(text).triggers)


def may_list(text: str) -> bool:
    """Can the words name a sign `listed_after_denial`: a side or place after a comma
    (`PLACED`) or a NEW in capitals (`SHOUTED_NEW`), and a denial with a comma or a line break
    after it ("(-) fever, ...", "Denies:" / "- fever")? Most words have none of these."""
    text = plain(text)
    named = "," in text and PLACED.search(text) is not None
    if not named and SHOUTED_NEW.search(text) is None:
        return False
    return any(
        t.kind == "negated" and ("," in text[t.end :] or "\n" in text[t.end :])
        for t in read(text).triggers
    )


@lru_cache(maxsize=65_536)
def _assertion(text: str, start: int, end: int) -> _Said:
    reading = read(text)
    if not reading.triggers:
        return "affirmed"
    said = _at(text, reading, start, end)
    if any(start < t.start and t.end <= end for t in reading.triggers):
        # a long match ("back ... no spasm") is also judged where it ends
        tail = max((m.start() for m in _WORD.finditer(text, start, end)), default=start)
        if tail > start:
            other = _at(text, reading, tail, end)
            said = min(said, other, key=_RANK.__getitem__)
    return said


def _at(text: str, reading: Reading, start: int, end: int) -> _Said:
    lo, hi = next(((a, b) for a, b in reading.sentences if a <= start < b), (0, len(text)))
    near = [t for t in reading.triggers if lo <= t.start and t.end <= hi]
    end = _word_end(text, end)
    found = _before(text, [t for t in near if t.end <= start], start, end)
    if "historical" in found and _recent_event(text, near, start, end, hi):
        found.discard("historical")
    found |= _after(text, [t for t in near if t.start >= end], end)
    if not found and _denied_answer(text, reading, start, end):
        found.add("negated")  # "Fever: no fever", "Fever:" / "no fever" (den25)
    return next((a for a in _PRIORITY if a in found), "affirmed")


def _denied_answer(text: str, reading: Reading, start: int, end: int) -> bool:
    """Is the phrase a label whose answer opens with a denial of its own words again
    (`label_answer`: "Urinary retention: no retention")?"""
    answer = label_answer(text, start, end)
    if answer is None:
        return False
    at, echoes = answer
    if not any(t.start == at and t.kind == "negated" for t in reading.triggers):
        return False
    return any(_at(text, reading, a, b) == "negated" for a, b in echoes)


def _word_end(text: str, i: int) -> int:
    """The end of the word a pattern matched the stem of ("syncop" of "syncope"): a phrase
    ends with its word, so "syncope vs mechanical fall" is a differential (er19c ve01, ve04)."""
    while i < len(text) and text[i].isalnum():
        i += 1
    return i


@lru_cache(maxsize=16_384)
def read(text: str) -> Reading:
    """Sentence bounds and triggers of a text (remembered: records repeat their words)."""
    low = text.lower()
    finder = _TRIGGERS
    if len(low) != len(text):  # a character whose lower case is longer: keep the positions
        low, finder = text, _TRIGGERS_ANY_CASE
    triggers: list[Trigger] = []
    for m in finder.finditer(low):
        _, kind, direction = _entry(m.group().lower())
        if direction == "either":
            direction = "pre" if opens_item(low, m.start(), m.end()) else "post"
        triggers.append(Trigger(m.start(), m.end(), kind, direction))
    bounds: list[int] = []
    joined = joined_lines(text, triggers) if "\n" in text else ()  # "Denies:" / "- fever"
    for m in _STOPS.finditer(text):
        i = m.start()
        if text[i] == "?":
            if query_before(text, i):
                triggers.append(Trigger(i, i + 1, "uncertain", "pre"))  # "? cauda equina"
            else:
                triggers.append(Trigger(i, i + 1, "uncertain", "post"))  # "cauda equina?"
                bounds.append(i + 1)
        elif i not in joined and (text[i] != "." or ends_sentence(text, i)):
            bounds.append(i + 1)
    triggers.sort(key=lambda t: t.start)
    edges = [0, *bounds, len(text)]
    sentences = tuple((a, b) for a, b in pairwise(edges) if b > a)
    return Reading(sentences or ((0, len(text)),), tuple(triggers))


_RESOLVED = re.compile(PAST_BEFORE)


def _recent_event(text: str, near: list[Trigger], start: int, end: int, hi: int) -> bool:
    """Is the phrase at ``text[start:end]`` an event of the last few days that a past marker
    before it names ("s/p fall down 3 stairs yesterday")? A recent time follows it in its
    item, and the nearest past marker before it is not "resolved", whose time says when it
    ended ("resolved urinary retention today")."""
    past = [t for t in near if t.end <= start and t.kind == "historical"]
    if not past or _RESOLVED.fullmatch(text[past[-1].start : past[-1].end].lower()):
        return False
    return DATED_RECENT.match(text, end, hi) is not None


_CLOSES: dict[Kind, frozenset[str]] = {
    "end": frozenset({"negated", "uncertain", "hypothetical", "historical", "family"}),
    "end-family": frozenset({"family"}),
    "end-present": frozenset({"negated", "uncertain", "hypothetical", "historical"}),
}


def _before(text: str, triggers: list[Trigger], start: int, end: int) -> set[_Said]:
    """Kinds of the pre-triggers whose scope reaches the phrase at ``text[start:end]``: the
    nearest one, and those chained to it with at most one word between ("denies any history
    of"). A phrase opening with an inability or holding a grade (`MEASURED`) is its own."""
    found: set[_Said] = set()
    closed: set[str] = set()
    reach = start
    own_negative = _OWN_NEGATIVE.match(text, start) is not None
    own_negative = own_negative or MEASURED.search(text, start, end) is not None
    own_state = not own_negative and _OWN_STATE.match(text, start) is not None
    for t in reversed(triggers):
        if t.kind in _CLOSES:
            closed |= _CLOSES[t.kind]
            if len(closed) == len(_CLOSES["end"]):
                break
            continue
        if t.kind == "pseudo" or t.direction == "post" or t.kind in closed:
            continue
        gap = text[t.end : reach]
        if found:
            if len(_words(gap)) > 1:
                break
        elif not _reaches(gap):
            break
        elif _SHORT_REACH.fullmatch(text[t.start : t.end].lower()) and _beyond_modal(gap):
            break
        elif _own_statement(text, t, own_negative, own_state) and any(
            w.lower() in _LIST_JOINS for w in _words(gap)
        ):
            break
        elif own_onset(text, gap, end):  # "No chills, fever since yesterday"
            break
        listed = not found and t.kind == "negated"
        listed = listed and (
            placed_item(text, t.end, start, end) or shouted_item(text, t.end, start)
        )
        found.add("listed" if listed else t.kind)  # type: ignore[arg-type]
        reach = t.start
    return found


def _own_statement(text: str, t: Trigger, own_negative: bool, own_state: bool) -> bool:
    """Is the phrase its own statement, not one more item of ``t``'s list: an inability
    after any trigger, an observed state after one that cannot take an adjective ("Denies
    fever, confused": "denies" takes things, not states)?"""
    if own_negative:
        return True
    return own_state and _STATE_NOT.fullmatch(text[t.start : t.end].lower()) is None


def _beyond_modal(gap: str) -> bool:
    words = _words(gap)
    return len(words) > MODAL_REACH or any(w.lower() in _LIST_JOINS for w in words)


def _after(text: str, triggers: list[Trigger], end: int) -> set[_Said]:
    """Kind of the nearest post-trigger whose short scope reaches back to ``end``.

    A one-word post-trigger counts only next to the phrase or at the end of its clause:
    "saddle anesthesia absent", "fever and chills absent", but not "back pain with negative
    straight leg raise"."""
    for t in triggers:
        if t.kind in _CLOSES:
            return set()
        if t.kind == "pseudo" or t.direction == "pre":
            continue
        words = _words(text[end : t.start])
        if any(w in (",", "&", "+") for w in words):
            # "Cauda equina syndrome, s/p decompression 2019, resolved": a last item that is
            # a past marker alone speaks of the whole entry before it
            return {"historical"} if _closes_entry(text, t) else set()
        window = 3 if text[t.start : t.end] == "?" else POST_WINDOW
        if sum(w.lower() not in _POST_JOINS for w in words) > window:
            return set()
        one_word = " " not in text[t.start : t.end]
        if words and one_word and not _clause_ends(text, t.end) and not _closes_entry(text, t):
            return set()
        return {t.kind}  # type: ignore[arg-type]
    return set()


def _closes_entry(text: str, t: Trigger) -> bool:
    """Is ``t`` a past marker closing the entry before it (`closes_entry`)?"""
    return t.kind == "historical" and closes_entry(text, t.start, t.end)


def _clause_ends(text: str, i: int) -> bool:
    rest = text[i:].lstrip(" ")
    return not rest or rest[0] in ".,;:|!?)\n"


def _reaches(gap: str) -> bool:
    """Does a pre-trigger reach across ``gap``: at most WINDOW words in each list item
    ("no fever, chills or saddle anesthesia") and LIST_REACH in all?"""
    run = total = 0
    for w in _words(gap):
        if w == "+":
            return False  # "no fever, + saddle anesthesia"
        if w.lower() in _LIST_JOINS:
            run = 0
            continue
        run += 1
        total += 1
        if run > WINDOW or total > LIST_REACH:
            return False
    return True


def _words(gap: str) -> list[str]:
    return _WORD.findall(gap)
