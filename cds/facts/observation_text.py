"""An Observation's value in words, read as what a clinician wrote: an exam finding
("Physical findings" valued "Neuro: L EHL 3/5, otherwise 5/5") or a flowsheet row ("LLE
MOTOR STRENGTH" valued "3/5", "Rectal tone" valued "decreased"), for the value sets a pack marks
``found_in_observation_text``: signs and symptoms, never a diagnosis ("Hepatitis C Ab:
Reactive" is a lab result, no liver disease).

The row's name and its value are read together, as a Condition's words are (negation
included: "Urinary retention: no", "CAM: negative" say nothing). A row whose name is itself the
sign ("Urinary retention", "Saddle anesthesia") asks a question, and its value is the answer:
the sign counts when the answer says yes ("Y", "present", "+", "mild"), nothing when it says
no or nothing ("N", "WNL", "n/a", "deferred", "0"), and any other answer ("unknown" aside: it
says nothing) is a data-check item, never a sign: the row was not understood."""

from __future__ import annotations

import re
from dataclasses import dataclass

from cds.facts.answer_words import AnswerWords
from cds.facts.concepts import as_list, read_concept_detail
from cds.facts.measures_in_text import measures_in_text
from cds.facts.model import DataIssue
from cds.facts.readings_in_text import readings_in_text
from cds.facts.said_measures import SaidMeasure, measure_in_words
from cds.facts.timing import FactContext
from cds.fhir import Resource

_SHOWN = 160
"""The most of a finding's words a card shows (a whole exam note may be the value)."""


@dataclass(frozen=True, slots=True)
class Said:
    """What an Observation's value says in words: the value sets it affirms, the words (the
    row's name and value, shortened for a card), and whether a row named for a sign had an
    answer that could not be read as yes or no."""

    valuesets: tuple[str, ...] = ()
    words: str = ""
    unclear: bool = False
    old_state: bool = False
    """The unclear answer is a yes to the patient's usual state ("Yes, at baseline")."""
    measure: SaidMeasure | None = None
    """The answer is a number measuring one of the row's signs ("Fever: Tmax 38.9 at
    home"): that sign is found with the number, a sign only at a rule's threshold."""
    measures: tuple[SaidMeasure, ...] = ()
    """Signs a number in the words measures, led by the measure's own words ("HPI: LBP x3d.
    Tmax 101.5 at home": `cds.facts.measures_in_text`), each by the threshold."""
    listed: bool = False
    """The words name a sign with its own side or place after a denial's list ("HPI: (-)
    fever, numbness L leg"): a ``sign_after_denial`` fact (`ValueSetIndex.match_listed`)."""


NOTHING_SAID = Said()


def said_in_value(part: Resource, code: object, ctx: FactContext) -> Said:
    """What an Observation or one of its components says in words: its ``valueString``, or
    the words of its ``valueCodeableConcept``, after the name of its code ("LLE motor
    strength: 3/5"). `NOTHING_SAID` when it says nothing a pack reads there."""
    if not ctx.index.observation_text:
        return NOTHING_SAID
    value = part.get("valueString")
    if not isinstance(value, str):
        value = _concept_words(part.get("valueCodeableConcept"))
    value = value.strip()
    name = _concept_words(code).strip()
    flag: bool | None = None  # a valueBoolean: an answer, in no words
    as_answer = not value  # a yes/no or a count answers only a row named for a sign
    if as_answer:
        value, flag = _answer(part)
    key = (name, value, as_answer, flag)
    said = ctx.said.get(key)  # the same words said again in this call (a copied note)
    if said is None:
        said = ctx.said[key] = _said(name, value, as_answer, flag, ctx)
    return said


def _said(name: str, value: str, as_answer: bool, flag: bool | None, ctx: FactContext) -> Said:
    """`said_in_value` of a row's name and its value in words, or (``answered``) its
    ``valueBoolean`` or ``valueInteger`` in words (``as_answer``; ``flag``: the boolean)."""
    index = ctx.index
    asked = _signs(name, ctx) if name else ()  # the row's own signs: read once
    if as_answer and (not value or not asked):
        return NOTHING_SAID
    words = f"{name}: {value}" if name else value
    joined = _signs(words, ctx)
    if not asked:  # the common case: the row's name is no sign, its value's words decide
        listed = bool(index.match_listed((), words, ctx.scans) & index.observation_text)
        measured = measures_in_text(words, joined, ctx)  # "HPI: ... Tmax 101.5 at home"
        measured += readings_in_text(words, ctx)  # "HPI: ... HR 136, pt anxious."
        if not (joined or listed or measured):
            return NOTHING_SAID
        return Said(joined, _shown(words), listed=listed, measures=measured)
    answered = _signs(value, ctx)  # the value names the sign again ("retention 600 mL")
    found = [vs for vs in joined if vs not in asked or vs in answered]
    # the row's own signs its answer did not deny ("Urinary retention: no" denies it)
    pending = [vs for vs in asked if vs in joined and vs not in answered]
    # the row's signs its words drop without a no ("Saddle anesthesia: ?", "unclear": doubt,
    # which the negation reader hears) and without a pack exclusion ("Urinary incontinence:
    # stress"): an answer to ask about, never nothing
    excluded = ctx.index.excluded_by_text
    doubted = [
        vs
        for vs in asked
        if vs not in joined
        and vs not in answered
        and not (vs in excluded and excluded[vs].search(words))
    ]
    unclear = old = False
    measure: SaidMeasure | None = None
    said = ctx.index.answers  # the pack's answer words, compiled (`cds.facts.answer_words`)
    if (pending or doubted) and flag is not False and not _says_no(value, said):
        yes: bool | re.Match[str] | None = flag or (
            said.yes.match(value)
            or _counted(name, value)
            # "Chronic, worse than baseline"
            or (said.not_new.match(value) and said.changed.search(value))
        )
        old = (  # a yes, then the usual state: "Yes, at baseline"
            isinstance(yes, re.Match)
            and said.not_new.search(value, yes.end()) is not None
            and not said.changed.search(value)
        )
        if pending and yes and not old:
            found += pending
        elif not yes and (measure := measure_in_words(value, (*pending, *doubted), ctx)):
            found.append(measure.valueset)  # "Fever: Tmax 38.9 at home": by the threshold
        else:  # neither yes nor no, a doubt, or a yes to an old state: "Yes, at baseline"
            unclear = True
    if not found and not unclear:
        return NOTHING_SAID
    return Said(tuple(found), _shown(words), unclear, old, measure)


_COUNT_ROW = re.compile(r"(?:\b(?:episodes?|times|count|number|occurrences)\b|#)", re.IGNORECASE)
_COUNT = re.compile(r"0*[1-9]\d{0,2}")


def _counted(name: str, value: str) -> re.Match[str] | None:
    """A count of one or more in a row that counts the sign ("Urinary incontinence episodes:
    2"): a yes (a count of 0 says nothing: the pack's ``says_nothing``)."""
    return _COUNT.fullmatch(value) if _COUNT_ROW.search(name) else None


def _says_no(value: str, said: AnswerWords) -> bool:
    """The answer says no, or nothing ("N", "WNL", "No retention, voided 400 mL")."""
    return bool(said.nothing.fullmatch(value) or said.no.match(value))


def _answer(part: Resource) -> tuple[str, bool | None]:
    """A row's ``valueBoolean`` or ``valueInteger`` as an answer in words ("yes", "no", "2"),
    with the boolean itself: a yes or a no whatever the pack's answer words."""
    value = part.get("valueBoolean")
    if value is True or value is False:
        return ("yes" if value else "no"), value
    value = part.get("valueInteger")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    return "", None


def unverified_finding(rid: str, words: str, state: str) -> DataIssue:
    """A finding in words of an Observation nobody has validated yet (``state``: "status
    preliminary", "no status", ...): no sign by itself (the contract counts final
    Observations), said in the data-check card so that it is confirmed rather than lost."""
    return DataIssue(
        rid=rid,
        message=f"“{words}”, recorded as not yet verified ({state}): a danger sign if confirmed",
        recheck="the finding itself, with whoever recorded it, and its record's status",
        headline=f"“{words}” not yet verified ({state})",
        possible_sign=True,
    )


def unclear_answer(rid: str, words: str, old_state: bool = False) -> DataIssue:
    """A row named for a danger sign whose answer is neither yes nor no ("Urinary retention:
    see note", "Incontinent episodes: 2"), or a yes to the patient's usual state ("Urinary
    incontinence: Yes, at baseline"): no sign, and not silently nothing either."""
    if old_state:
        return DataIssue(
            rid=rid,
            message=(
                f"“{words}”: a row named for a danger sign, answered yes as the patient's usual "
                "or long-standing state; not read as a new sign"
            ),
            recheck="whether it is new or worse than usual, with the patient or the recorder",
            headline=f"“{words}”: new or usual state?",
            possible_sign=True,
        )
    return DataIssue(
        rid=rid,
        message=f"“{words}”: a row named for a danger sign, answered neither yes nor no",
        recheck="the finding itself, with whoever recorded it",
        headline=f"“{words}”: answer not understood",
        possible_sign=True,
    )


def _signs(words: str, ctx: FactContext) -> tuple[str, ...]:
    """The ``found_in_observation_text`` value sets the words affirm."""
    matched, _ = read_concept_detail({"text": words}, ctx.index, ctx.today, ctx.scans)
    wanted = ctx.index.observation_text
    return tuple(vs for vs, _ in matched if vs in wanted)


def _shown(words: str) -> str:
    return words if len(words) <= _SHOWN else words[: _SHOWN - 1] + "…"


def _concept_words(concept: object) -> str:
    """A CodeableConcept's text, else its first coding's display; "" without words."""
    if not isinstance(concept, dict):
        return ""
    text = concept.get("text")
    if isinstance(text, str) and text.strip():
        return text
    for c in as_list(concept.get("coding")):
        display = c.get("display") if isinstance(c, dict) else None
        if isinstance(display, str) and display.strip():
            return display
    return ""
