"""A Condition's notes (``Condition.note``, FHIR R4 Annotations: ``text``, ``time``, an
author): where clinicians write what they found on a problem-list entry ("New left leg
numbness since yesterday" on a low back pain). Each note's text is read for signs as a
history of present illness is (`said_in_value`, `said_facts`: the negation reader, the
value sets' text patterns and exclusions, a temperature in words, a sign named after a
denial's list), for a Condition that counts: the caller, `records.read_condition`, reads
them only when its own words would count (clinicalStatus active, recurrence, relapse or
none; not refuted, not entered in error).

When: a note is dated by its own ``time``, the moment its words were written: a sign that a
note of today names is recent even on a back pain that began weeks ago, and a sign a note of
a month ago names is not. A note without a time is dated at the latest moment it can have been
written, as a partial date is read at its last moment (an imprecise time never pushes a recent
sign out of the window): its record's last update (``meta.lastUpdated``); without one, the
later of the Condition's onset and ``recordedDate`` (a note is written no earlier than its
problem is recorded; the onset dates the back pain, not what a note added since says).

A note that is not an Annotation (a string, a number), or whose text is not a string, is not
read; one that holds words anyway (a bare string, a text sent as a list) is a data-check
item, since its words may name a sign, and one with no words is passed over (an Annotation
sent alone, not in a list, is read as a list of one, as every FHIR array is here). A sign
the Condition's own code or words already give, as recent, is not said twice: the note adds
its evidence only where it says more (a number, a newer time)."""

from __future__ import annotations

from typing import Any

from cds.facts.concepts import as_list, rid_of, words_of
from cds.facts.copies import Extraction, copy_note
from cds.facts.model import DataIssue
from cds.facts.observation_text import NOTHING_SAID, said_in_value
from cds.facts.observations import said_facts
from cds.facts.timing import (
    FUTURE_TOLERANCE_H,
    NO_TIME,
    FactContext,
    Timing,
    in_future,
    timing_of,
)
from cds.fhir import Resource

_ONSET = ("onsetDateTime", "onsetPeriod")
_RECORDED = ("recordedDate",)
_UPDATED = ("lastUpdated",)
_WRITTEN = ("time",)
_NAMED = 60
"""The most of a problem's name a card shows before its note's words."""
_BY_UPDATE = "the note gives no time: dated at its record's last update, the latest it can be"
_SAME_DAY_H = 24.0
"""A note dated as a problem recorded within this many hours was written since: recent."""
_AS_PROBLEM = "the note gives no time: dated as the problem is"


def read_notes(res: Resource, ctx: FactContext, out: Extraction) -> None:
    """The facts and data issues of each note of ``res`` (a Condition that counts), after
    the Condition's own facts in ``out``."""
    notes = res.get("note")
    if notes is None or not ctx.index.observation_text:  # most Conditions: no note
        return
    rid = rid_of(res)
    undated: Timing | None = None  # the Condition's time for a note without one: read once
    annotations: list[Any] = [notes] if isinstance(notes, str) else as_list(notes)
    for annotation in annotations:
        text = annotation.get("text") if isinstance(annotation, dict) else None
        if not isinstance(text, str) or not text.strip():
            if _has_words(annotation):  # words not sent as an Annotation's text: unread
                out.issues.append(_unread(res, rid))
            continue
        said = said_in_value({"valueString": text}, None, ctx)
        if said is NOTHING_SAID:  # most notes: nothing a pack reads there
            continue
        written = annotation.get("time")
        if isinstance(written, str) and written.strip():
            timing = timing_of(annotation, ctx, _WRITTEN)
        else:  # a time that is not a string is none: the note is undated
            undated = undated or _undated(res, ctx)
            timing = undated
        if timing[4] > FUTURE_TOLERANCE_H and in_future(
            timing, rid, out.issues, ctx, f"a note on {_problem(res)}"
        ):
            continue
        when, age, known, note, _ = timing
        if out.copies:
            note = copy_note(res, rid, out, note, ctx)
        start = len(out.facts)
        said_facts(said, rid, (when, age, known, note), True, "final", out, ctx)
        if timing is undated and note and note.endswith(_AS_PROBLEM) and age > _SAME_DAY_H:
            _undated_sign(res, rid, when, said.words, out, start, ctx)
        _drop_repeated(out, rid, start)
        shown = f"Note on {_problem(res)}: {said.words}"  # as an HPI row's "name: words"
        for fact in out.facts[start:]:
            fact.display = shown


def _undated(res: Resource, ctx: FactContext) -> Timing:
    """When a note without a time was written, at the latest: its record's last update
    (``meta.lastUpdated``: a note cannot be newer than the last change of the resource that
    holds it), else the later of the Condition's onset and ``recordedDate``; `NO_TIME` when
    none is known. A time after the evaluation time is passed over while another is not."""
    meta = res.get("meta")
    updated = meta if isinstance(meta, dict) else {}
    times = (
        timing_of(updated, ctx, _UPDATED),
        timing_of(res, ctx, _ONSET),
        timing_of(res, ctx, _RECORDED),
    )
    dated = [t for t in times if t[2] and t[4] <= FUTURE_TOLERANCE_H]
    if not dated:
        return next((t for t in times if t[0] is not None), NO_TIME)
    when, age, known, note, ahead = min(dated, key=lambda t: t[1])
    said = _BY_UPDATE if when == times[0][0] else _AS_PROBLEM
    return when, age, known, f"{note}; {said}" if note else said, ahead


def _undated_sign(
    res: Resource,
    rid: str,
    when: str | None,
    words: str,
    out: Extraction,
    start: int,
    ctx: FactContext,
) -> None:
    """A data-check item for a danger sign named in a note that gives no time, on a record
    with no last update and a problem recorded over a day ago: the note was written on or
    after the problem's date, perhaps today, and dating it as the problem may leave a new
    sign outside its window (a problem list's overview note rarely says when it was added).
    Its facts stand as dated; the item says when it could have been written, unless the
    sign's card cites the note (its window held the problem's date: no sign was lost)."""
    named = [f for f in out.facts[start:] if f.valueset in ctx.index.signs]
    if not named:
        return
    what = f"a note on {_problem(res)}"
    since = f"on or after {when[:10]}, perhaps today" if when else "at an unknown time"
    quoted = words if len(words) <= _NAMED else words[: _NAMED - 1] + "…"
    out.issues.append(
        DataIssue(
            rid=rid,
            message=(
                f'{what} names a possible danger sign ("{quoted}") but gives no time, '
                f"and its record no last update: it was written {since}"
            ),
            recheck="when the note was written and whether the sign it names is new",
            headline=f"{what[0].upper()}{what[1:]} names a sign and gives no time",
            possible_sign=True,
            unless_shown=tuple(sorted({f.valueset for f in named})),
        )
    )


def _drop_repeated(out: Extraction, rid: str, start: int) -> None:
    """Take out a note's plain finding (no number) of a value set the Condition's own facts
    (those before ``start`` of the same resource) give at least as recently: one sign, one
    evidence line."""
    own: dict[str, float] = {}
    for fact in reversed(out.facts[:start]):
        if fact.rid != rid:
            break
        if fact.kind == "condition" and fact.understood and fact.verified:
            age = fact.age_h if fact.time_known else 0.0
            own[fact.valueset] = min(age, own.get(fact.valueset, age))
    if not own:
        return
    out.facts[start:] = [
        f
        for f in out.facts[start:]
        if not (
            f.valueset in own
            and f.value is None
            and f.bound is None
            and own[f.valueset] <= (f.age_h if f.time_known else 0.0)
        )
    ]


def _has_words(note: object) -> bool:
    """Does a note that is no Annotation with text hold words anyway (a bare string, a text
    sent as a list)? Then it may name a sign: said, never passed over in silence."""
    if isinstance(note, str):
        return bool(note.strip())
    if isinstance(note, dict):
        return _has_words(note.get("text"))
    return isinstance(note, list) and any(_has_words(n) for n in note)


def _unread(res: Resource, rid: str) -> DataIssue:
    what = f"a note on {_problem(res)}"
    return DataIssue(
        rid=rid,
        message=f"{what} could not be read: its words are not sent as an Annotation's text",
        recheck="the problem's note in the record: it may name a sign",
        headline=f"{what[0].upper()}{what[1:]} could not be read",
        possible_sign=True,
    )


def _problem(res: Resource) -> str:
    """The problem's name as a card shows it before its note's words ("Low back pain")."""
    words = words_of(res.get("code"))
    return words if len(words) <= _NAMED else words[: _NAMED - 1] + "…"
