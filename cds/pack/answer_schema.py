"""``answers.yaml``: how the pack's rows named for a sign are answered in words, as lists of
alternative phrases (`cds.facts.answer_words` compiles them once, at load)."""

from __future__ import annotations

from pydantic import Field, field_validator

from cds.pack.schema import Strict, checked_phrases

Phrases = list[str]


class AnswersFile(Strict):
    """Each list is optional (empty: no answer of that kind is read in words). A phrase is a
    regular expression read without regard to case; the engine places it (start of the
    answer, whole words), so it must neither be blank nor match an empty answer."""

    says_yes: Phrases = Field(default=[])
    """An answer starting so says the row's sign is there."""
    usual_state: Phrases = Field(default=[])
    """Words in a yes that make it the patient's usual state ("at baseline")."""
    changed: Phrases = Field(default=[])
    """Words that say a usual state has changed ("worse than baseline")."""
    says_nothing: Phrases = Field(default=[])
    """A whole answer that says no, or nothing ("N", "WNL", "deferred")."""
    opens_with_no: Phrases = Field(default=[])
    """An answer starting so says no ("No retention, voided 400 mL")."""
    no_unless_followed_by: Phrases = Field(default=[])
    """Words after such a no that make it no answer ("no change")."""
    number_in_doubt: Phrases = Field(default=[])
    """Words after a number answering the row that put it in doubt ("maybe", "approx")."""
    number_in_past: Phrases = Field(default=[])
    """Words after such a number that date it before a current sign ("last week")."""
    number_over: Phrases = Field(default=[])
    """Words after such a number that say it is over ("afebrile since")."""
    number_recent: Phrases = Field(default=[])
    """Words after such a number that date it now ("today", "last night"), even beside
    words that say it is over."""
    number_this_visit: Phrases = Field(default=[])
    """Words after such a number that date it at this visit's start ("on arrival", "in
    triage"): read as ``number_recent`` in a row; in free text, a vital sign so dated is a
    current reading, and a later one hides it no more than a later coded one would."""
    number_same_day: Phrases = Field(default=[])
    """Words after a vital sign's number in free text that date it on the record's own day
    ("HR 150 today", "SpO2 88% this AM"): current, as an undated one is (a subset of
    ``number_recent``, which dates a heart rate before now as "yesterday" does)."""
    number_reported: Phrases = Field(default=[])
    """Words after a number in free text that place it before this visit, told by the
    patient or others ("101.2 at home", "per EMS"): a reading of its own, dated before now."""
    number_now: Phrases = Field(default=[])
    """Words after such a number that date it now in a row of dated readings ("37.0 now"),
    but do not outweigh the words that say it is over ("afebrile now"). None of the five
    lists: a number reads only bare, never with words after it."""
    range_watched: Phrases = Field(default=[])
    """Words after a range of readings that say it was watched over a span up to now ("on
    monitor", "overnight", "over shift"): its worst end was seen in this stay, not earlier."""

    @field_validator(
        "says_yes",
        "usual_state",
        "changed",
        "says_nothing",
        "opens_with_no",
        "no_unless_followed_by",
        "number_in_doubt",
        "number_in_past",
        "number_over",
        "number_recent",
        "number_this_visit",
        "number_same_day",
        "number_reported",
        "number_now",
        "range_watched",
    )
    @classmethod
    def _phrases_compile(cls, phrases: Phrases) -> Phrases:
        return checked_phrases(phrases, "matches an empty answer")
