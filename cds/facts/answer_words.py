"""The answer vocabulary of an Observation row named for a sign ("Urinary retention: Y"), as
the pack gives it (``answers.yaml``): lists of alternative phrases, compiled here once into
the patterns `cds.facts.observation_text` reads an answer with.

The pack owns the words ("present", "baseline", "WNL"); this module owns the syntax around
them: where an answer must start or end, what may follow a yes or a no. A pack without answer
words reads no answer in words: a row named for a sign and answered in words is then a
data-check item ("answer not understood"), never a sign and never silently nothing; a
``valueBoolean`` still answers (it is no words), and so does a bare number measuring the sign
(`cds.facts.said_measures`). The words that may lead such a number ("Tmax", "temp") are the
measuring value set's own (``lead_words`` in ``valuesets.yaml``), compiled by `measure_pattern`;
those after it ("maybe", "last week", "afebrile since", "today") are the pack's answer words
too, and a pack without them reads such a number only bare ("38.9", "102 F").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class AnswerWordsSpec(Protocol):
    """What a pack gives (``cds.pack.answer_schema.AnswersFile``): each a list of regex
    alternatives, matched without regard to case."""

    @property
    def says_yes(self) -> Sequence[str]: ...
    @property
    def usual_state(self) -> Sequence[str]: ...
    @property
    def changed(self) -> Sequence[str]: ...
    @property
    def says_nothing(self) -> Sequence[str]: ...
    @property
    def opens_with_no(self) -> Sequence[str]: ...
    @property
    def no_unless_followed_by(self) -> Sequence[str]: ...
    @property
    def number_in_doubt(self) -> Sequence[str]: ...
    @property
    def number_in_past(self) -> Sequence[str]: ...
    @property
    def number_over(self) -> Sequence[str]: ...
    @property
    def number_recent(self) -> Sequence[str]: ...
    @property
    def number_this_visit(self) -> Sequence[str]: ...
    @property
    def number_same_day(self) -> Sequence[str]: ...
    @property
    def number_reported(self) -> Sequence[str]: ...
    @property
    def number_now(self) -> Sequence[str]: ...
    @property
    def range_watched(self) -> Sequence[str]: ...


_NEVER = "(?!)"
"""An empty list: a pattern that matches nothing (an empty alternation would match anything)."""


def _either(words: Sequence[str]) -> str:
    return "(?:" + "|".join(words) + ")" if words else _NEVER


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class AnswerWords:
    """The compiled answer patterns (see each list's comment in ``answers.yaml``)."""

    yes: re.Pattern[str]
    """Matched at the start of the answer, ending at a word's end: "Yes, at baseline"."""
    not_new: re.Pattern[str]
    """Searched as whole words anywhere: the patient's usual state."""
    changed: re.Pattern[str]
    """Searched as whole words anywhere: a usual state said to have changed."""
    nothing: re.Pattern[str]
    """The whole answer, trailing punctuation allowed: "N.", "WNL", "0"."""
    no: re.Pattern[str]
    """Matched at the start of the answer, ending at a word's end (not at "n/a")."""
    number_in_doubt: re.Pattern[str]
    """Searched in the words after a number measuring the sign (`cds.facts.said_measures`):
    the pack's hedges as whole words, and what puts a number in doubt whatever the pack says
    ("?", "~", a further digit, a leading "-" or "/"); any word at all when the pack gives
    none of the five lists of words after a number (a bare number only)."""
    number_in_past: re.Pattern[str]
    """Searched as whole words after such a number: it is dated before a current sign."""
    number_over: re.Pattern[str]
    """Searched as whole words after such a number: it is over ("afebrile since")."""
    number_recent: re.Pattern[str]
    """Searched as whole words after such a number: it is dated now ("today"), even beside
    words that say it is over ("38.9 yesterday, afebrile since")."""
    this_visit: re.Pattern[str]
    """Searched as whole words after a number: dated at this visit's start ("on arrival"), a
    part of ``number_recent`` that free text reads as the latest known reading."""
    same_day: re.Pattern[str]
    """Searched as whole words after a vital sign's number in free text: the record's own day
    ("today", "this AM"): current."""
    reported: re.Pattern[str]
    """Searched as whole words after a number: told of from before this visit ("at home")."""
    number_now: re.Pattern[str]
    """Searched as whole words after such a number: it is dated now in a row of dated
    readings ("37.0 now"), as ``number_recent`` does or either list's words; they do not
    outweigh the words that say it is over ("Tmax 38.9, afebrile now")."""
    range_watched: re.Pattern[str]
    """Searched as whole words after a range of readings: watched over a span up to now."""

    @classmethod
    def build(cls, spec: AnswerWordsSpec | None) -> AnswerWords:
        """Compile a pack's answer words; no spec (a pack without them) reads no words."""
        if spec is None:
            return NO_ANSWER_WORDS
        return cls._of(spec)

    @classmethod
    def _of(cls, spec: AnswerWordsSpec) -> AnswerWords:
        unless = (
            rf"(?!\s+{_either(spec.no_unless_followed_by)})" if spec.no_unless_followed_by else ""
        )
        numbered = (
            spec.number_in_doubt
            or spec.number_in_past
            or spec.number_over
            or spec.number_recent
            or spec.number_this_visit
            or spec.number_now
        )
        hedge = rf"\b{_either(spec.number_in_doubt)}\b" if numbered else _A_WORD
        recent = [*spec.number_recent, *spec.number_this_visit]
        return cls(
            yes=_compile(_either(spec.says_yes) + r"(?![a-z])"),
            not_new=_compile(rf"\b{_either(spec.usual_state)}\b"),
            changed=_compile(rf"\b{_either(spec.changed)}\b"),
            nothing=_compile(_either(spec.says_nothing) + r"\W*"),
            no=_compile(_either(spec.opens_with_no) + r"(?![a-z/])" + unless),
            number_in_doubt=_compile(rf"{_IN_DOUBT}|{hedge}"),
            number_in_past=_compile(rf"\b{_either(spec.number_in_past)}\b"),
            number_over=_compile(rf"\b{_either(spec.number_over)}\b"),
            number_recent=_compile(rf"\b{_either(recent)}\b"),
            this_visit=_compile(rf"\b{_either(spec.number_this_visit)}\b"),
            same_day=_compile(rf"\b{_either(spec.number_same_day)}\b"),
            reported=_compile(rf"\b{_either(spec.number_reported)}\b"),
            number_now=_compile(rf"\b{_either([*recent, *spec.number_now])}\b"),
            range_watched=_compile(rf"\b{_either(spec.range_watched)}\b"),
        )


_IN_DOUBT = r"[?~≈]|\d|^\s*[-–/]"
"""What puts a number said in words in doubt whatever the pack's words: a question or tilde, a
further number ("38-39-40", "10 days ago", another reading), a leading dash or slash."""
_A_WORD = r"[^\W\d_]"
"""Any letter: with no words after a number given, every word after one is a doubt."""


def measure_pattern(lead_words: Sequence[str]) -> re.Pattern[str]:
    """A row's answer that is one measure ("Tmax 38.9 at home", "102 F", "38.3"): a number
    with an optional lead word (the measuring value set's ``lead_words``: none, a bare number
    only) and unit (C, °F, deg F), or a range of two ("38-39", "101-102F": the unit after the
    second is the first's too), or one reading in two units ("39.2C (102.6F)", "38.9 °C/102
    °F"); then the rest of the answer (where and when: "at home")."""
    return _compile(
        rf"(?:{_either(lead_words)}(?![a-z])\s*[:=]?\s*)?"
        rf"(?P<number>{_NUMBER}){_DEGREES}(?P<unit>{_UNIT})?(?![\w.])"
        rf"(?:\s*(?:[-–]|to)\s*(?P<high>{_NUMBER}){_DEGREES}(?P<high_unit>{_UNIT})?(?![\w.])"
        rf"|\s*[(/]\s*(?P<other>{_NUMBER}){_DEGREES}(?P<other_unit>{_UNIT})(?![\w.])\s*\)?)?"
        r"(?P<rest>.*)"
    )


def leads_in_text(
    lead_words: Sequence[str], threshold_words: Sequence[str], setting: Sequence[str] = ()
) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A measure's lead words, and the words that make a bound after one a threshold, each
    standing alone in free text ("LBP x3d. Tmax 101.5", `cds.facts.measures_in_text`): not
    the end of another word or number. A lead word may be followed by one of the ``setting``
    words before its number ("SpO2 on 2L 88%"): the match ends after them."""
    then = rf"(?:\s+{_either(setting)}(?![a-z])\s*[:=]?(?=\s*\d))?" if setting else ""
    return _alone(lead_words, then), _alone(threshold_words)


def _alone(words: Sequence[str], then: str = "") -> re.Pattern[str]:
    return _compile(rf"(?<![\w/.-]){_either(words)}(?![a-z]){then}")


_NUMBER = r"\d{2,3}(?:\.\d{1,2})?"
_DEGREES = r"\s*(?:°\s*|deg(?:rees?)?\.?\s*)?"
_UNIT = r"[cf]|celsius|fahrenheit"


@dataclass(frozen=True, slots=True)
class _NoWords:
    says_yes: tuple[str, ...] = ()
    usual_state: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    says_nothing: tuple[str, ...] = ()
    opens_with_no: tuple[str, ...] = ()
    no_unless_followed_by: tuple[str, ...] = ()
    number_in_doubt: tuple[str, ...] = ()
    number_in_past: tuple[str, ...] = ()
    number_over: tuple[str, ...] = ()
    number_recent: tuple[str, ...] = ()
    number_this_visit: tuple[str, ...] = ()
    number_same_day: tuple[str, ...] = ()
    number_reported: tuple[str, ...] = ()
    number_now: tuple[str, ...] = ()
    range_watched: tuple[str, ...] = ()


NO_ANSWER_WORDS = AnswerWords._of(_NoWords())
"""A pack without answer words: every answer in words is one not understood, and a number
measuring a sign reads only bare."""
