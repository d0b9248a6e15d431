"""Words the negation reader weighs besides its triggers (`cds.facts.negation`): a dated
event of the last weeks, a measured finding or an observed state that is a statement of its
own, a side or place a listed sign names, where a "?" or a "." stands (how lines are laid out:
`cds.facts.negation_lines`), and whether a past marker closes the entry before it.

(Here rather than in `cds.facts.negation_lexicon` or `cds.facts.negation`, both at their
length.)
"""

from __future__ import annotations

import re

from cds.facts.negation_lexicon import PAST_TAIL_WORDS, REOPENING_WORDS, Direction, Kind

POST_WINDOW = 4
"""Words between a phrase and a post-trigger ("saddle anesthesia was ruled out"), or its time."""

_FEW = r"(?:[1-9]|one|two|three|four|five|six|seven|eight|nine|a few|a couple of|several)"
_DAYS = r"(?:[1-9]|1\d|2[0-9]|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple of)"
_WEEKS = r"(?:[1-4]|one|two|three|four|a|a couple of)"

DATED_RECENT = re.compile(
    rf"(?:[ ]+[\w/'-]+){{0,{POST_WINDOW}}}?[ ]+(?:yesterday|today|tonight|last night|last week"
    r"|this (?:morning|am|a\.m\.|afternoon|evening|pm|p\.m\.|week)"
    rf"|{_FEW} (?:hours?|hrs?) ago|{_DAYS} ?(?:days?|d) ago|{_WEEKS} ?(?:weeks?|wks?) ago)\b",
    re.IGNORECASE,
)
"""A time of the last weeks a few words after a phrase, in its own list item ("s/p fall down 3
stairs yesterday", "s/p MVC this AM", "s/p fall 10 days ago", "s/p fall 1 wk ago", "s/p fall
last week": third and fifth physician reviews, er19 q01, er19c vb02-vb06): the event is
recent, not history. The reader knows no pack setting, so it caps the time it reads at 29 days
or four weeks, inside the back-spasm pack's default 30-day injury window
(`trauma_window_days`); "s/p fall 2019", "s/p fall 2 months ago" and a plain "s/p fall" stay
history."""

MEASURED = re.compile(r"(?<![\d/.])[0-4][+-]?/5(?![\d/])")
"""A strength graded below 5/5 ("strength 4/5 RLE", "L EHL 3/5"): a measurement, not a denied
symptom, so within a phrase it is a statement of its own after a denial's list ("(-) saddle
anesthesia, (-) clonus, strength 4/5 RLE": fifth physician review, er19c r07, vc02), as an
inability is."""

OBSERVED_STATE = (
    r"(?:confused|disoriented|delirious|lethargic|somnolent|drowsy|obtunded|unresponsive"
    r"|(?:do|does|did)n'?t know|not know)"
)
"""A state the patient is seen in, as an adjective ("confused", "disoriented", "doesn't know
where she is"): listed after a denial it is a statement of its own, as an inability is ("denies
CP/SOB, confused per EMS"; er19b A17, A18, A23). Nouns ("confusion", "AMS") stay the denied
items they are."""

ROS_NEGATIVE: tuple[tuple[str, ...], Kind, Direction] = (
    ("ros negative", "ros neg", "ros -"),
    "negated",
    "pre",
)
"""A review of systems marked negative before its list, with no colon or bracket ("ROS
negative fever chills", "ROS - fever, - chills": fifth physician review, er19c vb10, vb11)."""

PLACED = re.compile(
    r"\b(?:left|right|lt|rt|(?-i:[LR]))\.?(?:[ -]?sided)?[ ]+"
    r"(?:lower[ ]+)?(?:legs?|feet|foot|toes?|thighs?|shins?|calf|calves|heels?|soles?|knees?"
    r"|ankles?|hips?|buttocks?|glute(?:al|s)?|groin|inner thighs?|extremit(?:y|ies)|limbs?)\b"
    r"|\b(?:legs?|foot(?:[ ]+drop)?|feet|thigh|buttock|groin)[ ]+(?:left|right|lt|rt|(?-i:[LR]))\b"
    r"|(?-i:\b[RL]LEs?\b)|(?-i:\b(?:L[1-5]|S[1-5])\b)"
    r"|(?<!\bor )(?<!\bnor )\b(?:groin|genitals?|genital area|anus"
    r"|anal area|between (?:the |his |her )?legs"
    r"|down there)\b(?![ ]+(?:or|nor|and/or)\b)",
    re.IGNORECASE,
)
"""A side or place a sign is written with ("L leg", "left foot", "R buttock", "RLE", "foot drop
L", a dermatome "L5"), or a saddle place, which needs no side ("groin", "genitals", "around
the anus"; not a place offered as one of two, "groin or legs"). The words that name the sign
itself in a cauda equina screen's denial ("saddle anesthesia", "perineal numbness", "perianal
numbness", "saddle area") are no place of their own: "denies fever, chills, saddle
anesthesia, perineal numbness, bowel or bladder incontinence" is one denial (stop 22). A
denial never needs one, so a sign carrying its own, listed after a denial's comma ("(-)
fever, numbness L leg", "no fever, numbness in groin"), may be a finding written on: neither
denied nor affirmed
(`cds.facts.negation.listed_after_denial`; briefs neg22, fix25d). Both sides ("BLE",
"bilateral legs", "both legs") tell no finding from a template's denial ("denies fever,
numbness/tingling BLE"): no place of the item's own (er25c, item 8)."""

_ITEM_END = re.compile(r"[,;|\n]|\.(?!\d)")
_COORDINATED = re.compile(r"\b(?:or|nor|and/or)\b", re.IGNORECASE)


def placed_item(text: str, gap_start: int, start: int, end: int) -> bool:
    """Is the phrase at ``text[start:end]`` a later item of a denial's list (a comma between the
    trigger, ending at ``gap_start``, and the phrase) whose own item names a side or place?
    A place shared by an "or" tail ("no numbness, tingling or weakness in L leg") is the list's,
    not the item's: still denied. An "and" joins two signs of one item, as "/" does ("no fever,
    numbness and weakness L leg": er25c, item 5)."""
    comma = text.rfind(",", gap_start, start)
    if comma < 0 or _COORDINATED.search(text, comma, start):
        return False
    stop = _ITEM_END.search(text, end)
    return PLACED.search(text, comma + 1, stop.start() if stop else len(text)) is not None


_ABBREVIATIONS = re.compile(
    r"\b(?:vs|pt|dr|mr|mrs|ms|approx|e\.g|i\.e|etc|st|yrs?|hrs?|wk|min|incl|esp)$", re.I
)


def query_before(text: str, i: int) -> bool:
    """Is the "?" at ``i`` a query of what follows ("?CES", "back pain, ? cauda equina"),
    rather than the end of a question ("cauda equina?")?"""
    after = text[i + 1 :].lstrip(" ")
    if not after or not after[0].isalnum():
        return False
    return i == 0 or (not text[i - 1].isalnum() and text[i - 1] not in ")]")


def ends_sentence(text: str, i: int) -> bool:
    """Is the "." at ``i`` a full stop (not a decimal point, not "vs." or "pt.")?"""
    if text[i + 1 : i + 2].isdigit() and text[i - 1 : i].isdigit():
        return False
    number = text[text.rfind("\n", 0, i) + 1 : i].strip()  # "Denies:\n1. fever": an item
    if 0 < len(number) <= 2 and number.isdigit():
        return False
    return _ABBREVIATIONS.search(text[max(0, i - 6) : i]) is None


_ENTRY_ITEM = re.compile(r"(?:,|\(|\s[-\u2013\u2014])\s*$")
"""What sets a last item off from the entry before it: a comma, a bracket, a spaced dash."""
_PAST_TAIL = re.compile(
    rf"\s+(?:{PAST_TAIL_WORDS}(?:\s+[\w/'-]+){{1,4}}"
    r"|\d{1,2}/\d{1,2}(?:/\d{2,4})?|(?:19|20)\d\d)[\s.)]*",
    re.IGNORECASE,
)
"""When or how a past marker says the entry ended: "after foley removal", "12/3", "2019"."""
_REOPENED = re.compile(rf"\b{REOPENING_WORDS}\b", re.IGNORECASE)


def closes_entry(text: str, start: int, end: int) -> bool:
    """Does the past marker at ``text[start:end]`` stand alone as the entry's last item, set off
    by a comma, a spaced dash or a bracket (", resolved", " - resolved", "(resolved)"), and
    followed at most by when or how (", resolved after foley removal", "- resolved 12/3")?
    (";" ends a sentence, so "; resolved" never reaches here; "now" closes a past scope.)"""
    if _ENTRY_ITEM.search(text, 0, start) is None:
        return False
    rest = text[end:]
    return not rest.strip(" .)\n") or (
        _PAST_TAIL.fullmatch(rest) is not None and _REOPENED.search(rest) is None
    )


_ONSET = re.compile(
    r"[ ]+(?:since|x ?\d|for (?:\d+|one|two|three|four|five|a few|several|a couple of) ?"
    r"(?:h|hrs?|hours?|d|days?)\b|(?:started|began|starting|beginning)\b)",
    re.IGNORECASE,
)
_CONJUNCTION = re.compile(r"\b(?:or|and|nor)\b|[&/]", re.IGNORECASE)


def own_onset(text: str, gap: str, end: int) -> bool:
    """Is a phrase after a denial's comma, with no "or" or "and" to list it, followed by its
    own onset ("No chills, fever since yesterday", "no chills, fever x2 days": a statement of
    its own, er31 review)? "No chills or fever since yesterday" denies both."""
    return "," in gap and _CONJUNCTION.search(gap) is None and _ONSET.match(text, end) is not None
