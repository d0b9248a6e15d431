"""A denial's header on its own line reaches the list below it (`joined_lines`): EHR templates
break "Denies: fever, chills" over lines ("Denies:" / "- fever" / "- chills"; er27 W4)."""

from __future__ import annotations

import pytest

from cds.facts.negation import assertion, plain, read
from cds.facts.negation_lines import BULLETS, item_line


def said(text: str, phrase: str) -> str:
    start = text.index(phrase)
    return assertion(text, start, start + len(phrase))


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Denies:\n- fever\n- chills\n- urinary retention", "urinary retention", "negated"),
        ("Pt denies\nfever, chills, urinary retention.", "urinary retention", "negated"),
        ("Negative for:\nurinary retention", "urinary retention", "negated"),
        ("ROS negative for\nfevers, urinary retention.", "urinary retention", "negated"),
        ("Return to ED for:\nfever, trouble urinating.", "fever", "hypothetical"),
        ("Return precautions:\n- fever\n- urinary retention", "urinary retention", "hypothetical"),
        # a line that is no bullet, a bullet of its own, a blank line: its own statement
        ("Denies:\n- fever\nUrinary retention x1 day", "Urinary retention", "affirmed"),
        ("ROS:\n- denies fever\n- + urinary retention", "urinary retention", "affirmed"),
        ("Denies:\n\n- urinary retention", "urinary retention", "affirmed"),
        ("No fever\nurinary retention", "urinary retention", "affirmed"),
        # er28: a numbered list is a list; an answer line heads nothing; a bullet says its own
        ("Denies:\n1. fever\n2. urinary retention", "urinary retention", "negated"),
        ("Fever:\nno\nUrinary retention since last night", "Urinary retention", "affirmed"),
        ("Denies:\n- fever\n- urinary retention: POSITIVE", "urinary retention", "affirmed"),
        ("Denies:\n- fever\n- urinary retention - yes", "urinary retention", "affirmed"),
        ("Denies fever.\nUrinary retention since AM", "Urinary retention", "affirmed"),
    ],
)
def test_a_header_reaches_its_list_below(text: str, phrase: str, expected: str) -> None:
    assert said(text, phrase) == expected


def test_a_colon_header_reaches_its_next_line_only() -> None:
    text = "Fever:\nnone\nurinary retention"
    assert len(read(text).sentences) == 2  # "Fever:" + "none", then the retention
    assert said(text, "urinary retention") == "affirmed"


LF_TEXTS = [
    ("Fever:\nnone\nback pain", "Fever", "negated"),
    ("Denies fever.\nUrinary retention since last night", "Urinary retention", "affirmed"),
    ("Denies:\n- fever\n- urinary retention", "urinary retention", "negated"),
    ("Denies:\n- fever\n\n- urinary retention", "urinary retention", "affirmed"),
    ("No fever\nurinary retention", "urinary retention", "affirmed"),
]


@pytest.mark.parametrize("end", ["\r\n", "\r", "\u2028", "\u2029", "\x85"])
@pytest.mark.parametrize(("text", "phrase", "expected"), LF_TEXTS)
def test_line_ends_read_alike_whatever_their_form(
    end: str, text: str, phrase: str, expected: str
) -> None:
    """Stop 24: a Windows (CRLF), old Mac (CR) or Unicode line end is an LF to the reader, and
    plain() keeps every position ("Fever:\\r\\nnone" raised a false urgent fever card)."""
    assert said(text, phrase) == expected  # the LF form itself, as the control
    typed = text.replace("\n", end)
    assert len(plain(typed)) == len(typed)
    start = typed.index(phrase)
    assert assertion(typed, start, start + len(phrase)) == expected


@pytest.mark.parametrize("mark", [*BULLETS, "o", "1.", "2)"])
def test_every_bullet_mark_continues_a_denials_list(mark: str) -> None:
    """Stop 24: "◦" (Word's second level) was no bullet, so "Denies:" / "◦ fever" / "◦ urinary
    retention" raised a false emergency card; a line with no mark, or its own "+", still ends
    the list (the controls)."""
    assert said(f"Denies:\n{mark} fever\n{mark} urinary retention", "urinary retention") == (
        "negated"
    )
    assert said(f"ROS:\n{mark} (-) fever\n{mark} (-) urinary retention", "fever") == "negated"
    text = f"Denies:\n{mark} fever\nUrinary retention x1 day"
    assert said(text, "Urinary retention") == "affirmed"
    assert said(f"Denies:\n{mark} fever\n{mark} + urinary retention", "urinary") == "affirmed"


def test_a_word_starting_with_o_is_no_bullet() -> None:
    assert said("Denies:\no fever\nor urinary retention", "urinary retention") == "affirmed"


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Fever:\nno\nback pain", "Fever", "negated"),
        ("Fever:\r\nno\r\nback pain", "Fever", "negated"),
        ("Fever:\ndenies\nUrinary retention", "Fever", "negated"),
        ("Fever:\nneg.\nback pain", "Fever", "negated"),
        # the next line answers the label only: a line after it is its own statement
        ("Fever:\nno\nUrinary retention since last night", "Urinary retention", "affirmed"),
        ("Fever:\ndenies\nUrinary retention", "Urinary retention", "affirmed"),
        # controls: an answer that is no "no", a blank line between, a line of its own
        ("Fever:\nyes\nback pain", "Fever", "affirmed"),
    ],
)
def test_a_label_answered_no_on_the_next_line_is_denied(
    text: str, phrase: str, expected: str
) -> None:
    """Stop 24: "Fever:" / "no" raised a false urgent card ("Fever:" / "none" was read)."""
    assert said(text, phrase) == expected


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Pt denies\nfever\nchills\nleg weakness", "leg weakness", "negated"),
        ("Negative for:\nfever\nurinary retention", "urinary retention", "negated"),
        ("Denies\nfever\nloss of bowel or bladder control\nsaddle anesthesia", "saddle", "negated"),
        ("Return precautions:\nfever\nurinary retention", "urinary retention", "hypothetical"),
        # a line that says more than a sign's name is its own statement, and so is what follows
        ("Pt denies\nfever\nchills\nUrinary retention since last night", "Urinary", "affirmed"),
        ("Pt denies\nfever\nchills\nUrinary retention x1 day", "Urinary", "affirmed"),
        ("Pt denies\nfever\nleg weakness started today", "leg weakness", "affirmed"),
        ("Pt denies\nfever\nShe noticed leg weakness", "leg weakness", "affirmed"),
        ("Pt denies\nfever\nleg weakness: yes", "leg weakness", "affirmed"),
        ("Pt denies\nfever\nchills\n\nleg weakness", "leg weakness", "affirmed"),
        ("Pt denies\nfever, chills.\nleg weakness", "leg weakness", "affirmed"),
        ("Pt denies\nfever\nchills\nUrinary retention since AM\nleg weakness", "leg", "affirmed"),
        # no denial's header: a colon label reaches its next line only
        ("Fever:\nchills\nleg weakness", "leg weakness", "affirmed"),
    ],
)
def test_a_list_without_bullets_goes_on_while_its_lines_are_only_items(
    text: str, phrase: str, expected: str
) -> None:
    """Stop 24: "Pt denies" / "fever" / "chills" / "leg weakness" raised a false urgent card."""
    assert said(text, phrase) == expected


@pytest.mark.parametrize(
    ("line", "item"),
    [
        ("fever", True),
        ("Leg weakness.", True),
        ("numbness/tingling", True),
        ("NEW urinary retention", True),
        ("urinary retention x2d", False),
        ("strength 4/5 RLE", False),
        ("Bladder: retention", False),
        ("she has leg weakness", False),
        ("retention since this morning", False),
        ("one two three four five six seven", False),
        ("", False),
        # den25: a weight lost is a list's item; a reading or another number is not
        ("weight loss 10 lb", True),
        ("10 lbs weight loss", True),
        ("weight loss of 15 lbs", True),
        ("HR 135", False),
        ("fever 101", False),
        ("PVR 600 mL", False),
    ],
)
def test_an_item_line_is_a_signs_name_only(line: str, item: bool) -> None:
    assert item_line(line) is item


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        # a label answered by a denial of its own words, on its line or the next one
        ("Fever: no fever", "Fever", "negated"),
        ("Fever:\nno fever", "Fever", "negated"),
        ("Fever - no fever", "Fever", "negated"),
        ("Fever: denies fever", "Fever", "negated"),
        ("Fever: no fevers", "Fever", "negated"),
        ("Fever: no fever or chills", "Fever", "negated"),
        ("Chills: no chills", "Chills", "negated"),
        ("Urinary retention: no retention", "Urinary retention", "negated"),
        ("Urinary retention:\nno urinary retention", "Urinary retention", "negated"),
        ("ROS: Fever: no fever", "Fever", "negated"),
        # controls: an answer that affirms, names something else, or is no denial
        ("Fever: yes", "Fever", "affirmed"),
        ("Fever: 38.9", "Fever", "affirmed"),
        ("Fever: no meds taken for it", "Fever", "affirmed"),
        ("Fever: no tylenol, fever to 39", "Fever", "affirmed"),
        ("Fever: chills, no fever", "Fever", "affirmed"),
        ("Fever: not since yesterday", "Fever", "affirmed"),
        ("Pt with fever: no fever", "fever", "affirmed"),
        ("Urinary retention: no improvement in retention", "Urinary retention", "affirmed"),
        ("Urinary retention: no improvement", "Urinary retention", "affirmed"),
        ("Leg weakness: no weakness in arms", "Leg weakness", "affirmed"),
        ("Fever: no fever at home, 39.1 here", "Fever", "affirmed"),
        ("Fever: no fever. Urinary retention: yes", "Urinary retention", "affirmed"),
        ("Fever:\nno fever\nUrinary retention since last night", "Urinary", "affirmed"),
    ],
)
def test_a_label_answered_with_a_denial_of_its_words_is_denied(
    text: str, phrase: str, expected: str
) -> None:
    """den25: "Fever: no fever" and "Fever:" / "no fever" raised a false urgent card."""
    assert said(text, phrase) == expected


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        # a denial's list wrapped onto the next line, in lower case or after a join
        ("Denies fever\nchills", "chills", "negated"),
        ("Denies fever\nurinary retention", "urinary retention", "negated"),
        ("Pt denies fever\nchills\nleg weakness", "leg weakness", "negated"),
        ("Negative for fever\nchills", "chills", "negated"),
        ("No fever, chills,\nurinary retention", "urinary retention", "negated"),
        ("No fever or\nurinary retention", "urinary retention", "negated"),
        # controls: a line of its own (capitals, a sentence, a time, a full stop, a blank line,
        # a bullet, its own answer, a closed scope) or a denial of one thing ("No fever")
        ("Denies fever\nChills since last night.", "Chills", "affirmed"),
        ("Denies fever\nUrinary retention", "Urinary retention", "affirmed"),
        ("Denies fever\nchills since last night", "chills", "affirmed"),
        ("Denies fever\nchills x2 days", "chills", "affirmed"),
        ("Denies fever.\nchills", "chills", "affirmed"),
        ("Denies fever\n\nurinary retention", "urinary retention", "affirmed"),
        ("Denies fever\n- urinary retention", "urinary retention", "affirmed"),
        ("Denies fever\nleg weakness: yes", "leg weakness", "affirmed"),
        ("Denies fever, but\nurinary retention", "urinary retention", "affirmed"),
        ("Denies fever\nchills\nurinary retention since last night", "urinary", "affirmed"),
        ("No fever\nchills", "chills", "affirmed"),
        ("Pain not radiating\nleg weakness", "leg weakness", "affirmed"),
    ],
)
def test_a_denials_list_wrapped_onto_the_next_line_goes_on(
    text: str, phrase: str, expected: str
) -> None:
    """den25: "Denies fever" / "chills" raised a false urgent card."""
    assert said(text, phrase) == expected


@pytest.mark.parametrize(
    ("text", "phrase", "expected"),
    [
        ("Denies:\nfever\nweight loss 10 lb\nurinary retention", "urinary", "negated"),
        ("Pt denies\nfever\n10 lb weight loss\nurinary retention", "urinary", "negated"),
        ("Denies:\nfever\nweight loss 10 lb", "weight loss", "negated"),
        # controls: a statement after the list; a reading is no item and ends the list
        ("Denies:\nfever\nweight loss 10 lb\nUrinary retention started today", "Uri", "affirmed"),
        ("Denies:\nfever\nHR 135\nurinary retention", "urinary", "affirmed"),
        ("Denies:\nfever\nHR 135", "HR 135", "affirmed"),
        ("Denies:\nfever\nfever 101\nurinary retention", "fever 101", "affirmed"),
    ],
)
def test_a_weight_lost_does_not_end_a_list_without_bullets(
    text: str, phrase: str, expected: str
) -> None:
    """den25: "Denies:" / "fever" / "weight loss 10 lb" / "urinary retention" raised a false
    emergency card: the number ended the list."""
    assert said(text, phrase) == expected
