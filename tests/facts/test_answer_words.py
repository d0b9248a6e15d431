"""Tests for facts/answer_words.py: a pack's answer phrases compiled with the engine's syntax
around them (start of the answer, whole words), and no phrases reading nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from cds.facts.answer_words import NO_ANSWER_WORDS, AnswerWords


@dataclass
class Spec:
    says_yes: list[str] = field(default_factory=list)
    usual_state: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    says_nothing: list[str] = field(default_factory=list)
    opens_with_no: list[str] = field(default_factory=list)
    no_unless_followed_by: list[str] = field(default_factory=list)
    number_in_doubt: list[str] = field(default_factory=list)
    number_in_past: list[str] = field(default_factory=list)
    number_over: list[str] = field(default_factory=list)
    number_recent: list[str] = field(default_factory=list)
    number_this_visit: list[str] = field(default_factory=list)
    number_same_day: list[str] = field(default_factory=list)
    number_reported: list[str] = field(default_factory=list)
    number_now: list[str] = field(default_factory=list)
    range_watched: list[str] = field(default_factory=list)


def test_no_phrases_match_nothing_not_everything() -> None:
    assert AnswerWords.build(None) is NO_ANSWER_WORDS
    for words in (NO_ANSWER_WORDS, AnswerWords.build(Spec())):
        for answer in ("", "Y", "no", "baseline", "worse", "-"):
            assert not words.yes.match(answer)
            assert not words.not_new.search(answer)
            assert not words.changed.search(answer)
            assert not words.nothing.fullmatch(answer)
            assert not words.no.match(answer)


def test_phrases_are_placed_by_the_engine() -> None:
    words = AnswerWords.build(
        Spec(
            says_yes=["y", "new", "new onset"],
            usual_state=["baseline"],
            changed=["worse"],
            says_nothing=["n", "0+"],
            opens_with_no=["no"],
            no_unless_followed_by=["change"],
        )
    )
    assert words.yes.match("Y, at baseline") and not words.yes.match("yellow")
    assert words.yes.match("New onset").end() == 3  # type: ignore[union-attr]  # first wins
    assert words.not_new.search("yes - BASELINE.") and not words.not_new.search("baselines")
    assert words.changed.search("chronic, worse today")
    assert words.nothing.fullmatch("N.") and words.nothing.fullmatch("000")
    assert not words.nothing.fullmatch("N/A")
    assert words.no.match("No retention") and not words.no.match("no change since")
    assert not words.no.match("nonsense") and not words.no.match("no/yes")


def test_words_after_a_number_are_placed_and_the_syntax_doubts() -> None:
    words = AnswerWords.build(
        Spec(
            number_in_doubt=["maybe", "approx\\w*"],
            number_in_past=["last week"],
            number_over=["afebrile"],
            number_recent=["today"],
        )
    )
    assert words.number_in_doubt.search(" approximately") and words.number_in_doubt.search(" MAYBE")
    assert not words.number_in_doubt.search(" maybelline at home")
    for rest in ("?", " ~", " ≈", " at 10 pm", " - x", "/ y"):  # the syntax, whatever the words
        assert words.number_in_doubt.search(rest), rest
    assert words.number_in_past.search(" last week") and not words.number_in_past.search(" weeks")
    assert words.number_over.search(", afebrile since") and words.number_recent.search(" Today")
    assert not words.number_recent.search(" todays")
    assert words.number_now.search(" today") and not words.number_now.search(" now")
    with_now = AnswerWords.build(Spec(number_recent=["today"], number_now=["now"]))
    assert with_now.number_now.search(" now") and with_now.number_now.search(" today")
    assert not with_now.number_recent.search(" now")  # "now" never outweighs "afebrile"


def test_no_words_after_a_number_read_it_bare_only() -> None:
    """A pack without the five lists: every word after a number is a doubt (never a sign read
    past a "last week" it cannot see); a bare number, with its unit's sign, is read."""
    for words in (NO_ANSWER_WORDS, AnswerWords.build(Spec(says_yes=["y"]))):
        assert words.number_in_doubt.search(" at home") and words.number_in_doubt.search(" today")
        assert not words.number_in_doubt.search("") and not words.number_in_doubt.search(" °")
        for pattern in (words.number_in_past, words.number_over, words.number_recent):
            assert not pattern.search(" last week, afebrile since today")
