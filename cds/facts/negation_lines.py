"""How a note is typed and laid out in lines, for the negation reader (`cds.facts.negation`)
and every text pattern (`plain`): its characters and line ends read in one form, and which line
breaks go on with the line above, as EHR templates break a header's list over lines ("Denies:"
/ "- fever" / "- chills").

(Here rather than in `cds.facts.negation_events`, which weighs the words within a line.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, Protocol

from cds.facts.negation_lexicon import Direction, Kind

TYPOGRAPHIC = {
    **dict.fromkeys("\u2018\u2019\u201b\u02bc\u2032\u2035\u00b4\u0060\uff07", "'"),
    **dict.fromkeys("\u201c\u201d\u201f\u2033\uff02", '"'),
    **dict.fromkeys("\u00a0\u2007\u2009\u202f", " "),
    **dict.fromkeys("\u21d3\u2b07", "\u2193"),
}
"""Characters word processors and phones put in clinical text, read as the one form the lexicon
and the value sets' text patterns are written in, one character for one (positions hold): the
curly, reversed and modifier-letter apostrophes, the prime and the accents typed for one
("can’t", "pt’s", "doesnʼt", "can′t"); curly double quotes; no-break and thin spaces ("no
saddle anesthesia" typed with a no-break space); and the other down arrows as ↓ ("⬇ rectal
tone"). An up arrow stays what it is."""

LINE_ENDS = dict.fromkeys("\r\x85\u2028\u2029", "\n")
"""Line ends as feeds send them, read as the "\n" the reader splits lines at: a lone carriage
return (old Mac and some HL7 v2 feeds: "Denies fever.\rUrinary retention since last night"),
the next-line character and the Unicode line and paragraph separators. A CR before an LF (the
CRLF of Windows feeds and HTTP forms) is a space before it (`CRLF`), so a line that ends "Fever:"
in CRLF reads as the same line in LF ("Fever:" / "none"; stop 24)."""
CRLF = " \n"
"""What "\r\n" reads as: two characters for two (a match's positions are the record's own),
the line end where it was; a space at a line's end is nothing to the reader."""

_PLAIN = str.maketrans({**TYPOGRAPHIC, **LINE_ENDS})


def plain(text: str) -> str:
    """``text`` with its typographic characters in the forms patterns are written in ("can’t"
    is "can't"; `TYPOGRAPHIC`) and its line ends in one (`LINE_ENDS`, `CRLF`), one character
    for one, so a match's positions are the record's own. A card quotes the record's own words
    (`cds.cards.quote` flattens every line end), never these."""
    if "\r" in text:
        return text.replace("\r\n", CRLF).translate(_PLAIN)
    return text if text.isascii() else text.translate(_PLAIN)


BULLETS = (
    "-*>\u2022\u25e6\u25aa\u25ab\u2023\u2043\u00b7"
    "\u25cf\u25cb\u25a0\u25a1\u25ba\u25b8\u25b9\u27a2\u27a4\u2013\u2014"
)
"""The marks a template, a word processor or a paste opens a list's item with, first on its
line: a hyphen, an asterisk, a quoted line's ">", the bullets • and ◦ (Word's second level), ▪
▫ ‣ ⁃ · ● ○ ■ □ ► ▸ ▹ ➢ ➤, and an en or em dash (stop 24: "Denies:" / "◦ fever" / "◦ urinary
retention" raised a false emergency card). `BULLET` adds a lone letter "o" before a space (the
second-level bullet pasted as text) and a number ("1.", "2)"). Never "+", which says yes ("- +
retention": its own statement)."""
BULLET = rf"(?:[{re.escape(BULLETS)}]|o(?=[ \t])|\d{{1,2}}[.)])"
"""A list item's mark, as a pattern."""

_ITEM_START = re.compile(
    rf"(?:\A|[,:;.(|\n]|\b(?:and|or|nor|ros)|\s[-\u2013\u2014]|^[ \t]*{BULLET})[ \t]*\Z",
    re.I | re.M,
)
_ITEM_END = re.compile(r"[ ]*(?:[,:;.)|\n]|\Z)")


def opens_item(text: str, start: int, end: int) -> bool:
    """Does the trigger at ``text[start:end]`` open its list item and have words after it
    there ("(-) fever", "LBP. neg fever, chills", "• (-) fever"), so that it is read before its
    phrase? At an item's end ("fever (-)", "UA neg, fever") it is read after its phrase."""
    return _ITEM_START.search(text, 0, start) is not None and _ITEM_END.match(text, end) is None


_LABEL_END = re.compile(r"[ \t]*(?::|[ \t]-)[ \t]*(?:\n[ \t]*)?")
_ANSWER_END = re.compile(r"[,.;|\n]")
_NAME_WORD = re.compile(r"[a-z]{4,}", re.IGNORECASE)
_QUALIFIED = re.compile(
    r"\b(?:in|on|at|of|to|from|with|by|below|above|over|under|around|between|except)\b", re.I
)
"""A place or a thing the answer's words are about ("Leg weakness: no weakness in arms"): not
the label's sign again."""


def label_answer(text: str, start: int, end: int) -> tuple[int, list[tuple[int, int]]] | None:
    """Where the answer to a label begins, when the phrase at ``text[start:end]`` is one that
    opens its item ("Fever:", "Urinary retention -", "Chills:" then the next line), and the
    words of that answer's first item that name the label again ("Fever: no fever", "Urinary
    retention: no retention": a word of four letters or more, or one sharing its first five,
    "fevers"). The reader (`cds.facts.negation`) takes the label as denied when its answer
    opens with a denial that reaches such a word; "Fever: no meds taken for it" names no
    fever again and stays the fever it says, and an answer placing its words (`_QUALIFIED`)
    may speak of another place (den25)."""
    colon = _LABEL_END.match(text, end)
    if colon is None or _ITEM_START.search(text, 0, start) is None:
        return None
    stop = _ANSWER_END.search(text, colon.end())
    answer_end = stop.start() if stop else len(text)
    if _QUALIFIED.search(text, colon.end(), answer_end):
        return None
    named = [w.lower() for w in _NAME_WORD.findall(text, start, end)]
    echoes = [
        m.span()
        for m in _NAME_WORD.finditer(text, colon.end(), answer_end)
        if any(_same_word(m.group().lower(), w) for w in named)
    ]
    return (colon.end(), echoes) if echoes else None


def _same_word(a: str, b: str) -> bool:
    return a == b or (a[:5] == b[:5] and min(len(a), len(b)) >= 5)


SHOUTED_NEW = re.compile(r"\b(?:NEW(?:[ -]ONSET)?|NEWLY)\b")
"""A sign marked new in capitals ("NEW", "NEW ONSET", "NEWLY"), case as written: under a
denial's header ("Denies:" / "- fever" / "- NEW urinary retention") it may be a finding
written into the list, the shout its warning; "denies new weakness" in lower case is a
plain denial."""
_SHOUTED_ITEM = re.compile(
    rf"[ \t]*(?:{BULLET}[ \t]*)?{SHOUTED_NEW.pattern}[ \t:!-]*(?:[\w/'-]+[ \t]+){{0,2}}"
)


def shouted_item(text: str, gap_start: int, start: int) -> bool:
    """Is the phrase at ``text[start:]`` a later item of a denial's list (a comma or a line
    break between the trigger, ending at ``gap_start``, and it) that opens with a `SHOUTED_NEW`
    ("Denies:" / "- fever" / "- NEW urinary retention", "denies fever, NEW ONSET leg
    weakness")? The words do not say whether it was denied or found: read as `placed_item`s
    are. "denies NEW weakness", the trigger's own first item, stays denied (stop 24)."""
    item = max(text.rfind(",", gap_start, start), text.rfind("\n", gap_start, start))
    return item >= 0 and _SHOUTED_ITEM.fullmatch(text, item + 1, start) is not None


class _Trigger(Protocol):
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def kind(self) -> Kind: ...
    @property
    def direction(self) -> Direction: ...


_HEADS = frozenset({"negated", "uncertain", "hypothetical"})
"""The kinds of trigger that head a list below them: a denial, a doubt, advice ("Return
precautions:")."""
_HEADER_TAIL = re.compile(r"\s*(?:for|of)?\s*:?\s*", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"\s*(?:no|none|neg|negative|not|never|absent|n)\s*\.?\s*", re.IGNORECASE)
"""A line that is only an answer ("Fever:" / "no"): it answers the line above, heads no list."""
_OWN_ANSWER = re.compile(r"\+|\b(?:yes|positive|pos|present|endorses|reports)\b", re.IGNORECASE)
"""A bullet that affirms its own item ("- urinary retention: POSITIVE"): not the header's."""
_BULLET = re.compile(rf"[ \t]*{BULLET}[ \t]*[\w(]", re.IGNORECASE)


ITEM_WORDS = 6
"""Words at most in a line that is only an item of a list without bullets ("loss of bowel or
bladder control")."""
SENTENCE_WORDS = re.compile(
    r"\b(?:i|he|she|they|we|it|his|her|their|my|patient"
    r"|is|are|was|were|be|been|being|feels?|felt|feeling|got|gets|getting|started|starts"
    r"|began|begins|noted|noticed|notices|developed|develops|woke|wakes|came|went|presents"
    r"|presented|complains|complained|says|said|tells|told|called|needed|needs|took|tried"
    r"|today|tonight|yesterday|now|currently|recently|last|this|ago|days?|hours?|hrs?"
    r"|weeks?|wks?|months?|morning|night|evening|afternoon|am|pm)\b",
    re.IGNORECASE,
)
"""Words that make a line a statement, not an item of a list: a subject, a verb, a time
("Urinary retention started today", "she noticed numbness"). With a digit, a colon, a
trigger or an answer of its own ("since", "+", "yes"), such a line ends a list without
bullets (`item_line`)."""


WEIGHT_LOST = re.compile(
    r"(?:(?<=\s)of\s+)?[<>~]?\d{1,3}(?:\.\d)?[ \t]*(?:lbs?|pounds?|kgs?|kilos?)\b\.?", re.I
)
"""A weight lost or gained, the one number a sign's name in a list takes ("weight loss 10 lb",
"10 lbs weight loss", "wt loss of 5 kg"). Any other number (a reading "HR 130", a "PVR 600
mL", a time "x2d", a grade "4/5") makes the line a statement of its own (den25)."""


def item_line(line: str) -> bool:
    """Is ``line`` only a sign's name, an item of a list without bullets ("fever", "leg
    weakness", "bowel or bladder incontinence.", "weight loss 10 lb"): at most `ITEM_WORDS`
    words, letters only but a `WEIGHT_LOST` (no other digit, no colon, no bracket: no grade,
    no reading, no time, no label), no `SENTENCE_WORDS`?"""
    words = WEIGHT_LOST.sub(" ", line).strip().rstrip(".,;").rstrip()
    if not words or len(words.split()) > ITEM_WORDS or not words[0].isalpha():
        return False
    if not all(c.isalpha() or c in " \t/'&,-" for c in words):
        return False
    return SENTENCE_WORDS.search(words) is None


def joined_lines(text: str, triggers: Sequence[_Trigger]) -> frozenset[int]:
    """The line breaks that do not end a sentence (EHR templates break lists over lines): after
    a header ("Denies:", "Pt denies", "Negative for:", "Return precautions:", "Fever:") its
    first line goes on with it, and after a denial's or a doubt's header so does each line of
    its list: each bulleted line of a bulleted list ("Denies:" / "- fever" / "- urinary
    retention"), or each line that is only an item of a list without bullets ("Pt denies" /
    "fever" / "chills" / "leg weakness": `item_line`), up to a blank line, a line that is no
    such item (no bullet; a sentence: "Urinary retention since last night"), an item line
    after one ending with a full stop, or a line with a trigger or an answer of its own ("- +
    retention", "- urinary retention: POSITIVE")."""
    lines = text.split("\n")
    out: set[int] = set()
    start = 0
    listing: Literal["bullets", "lines", None] = None
    for k, line in enumerate(lines[:-1]):
        end = start + len(line)  # where this line's break is
        nxt = lines[k + 1]
        own = any(end < t.start <= end + 1 + len(nxt) for t in triggers)
        own = own or _OWN_ANSWER.search(nxt) is not None
        header = _header(text, start, end, triggers)
        if nxt.strip() and header is not None:
            out.add(end)
            listing = _list_of(nxt) if header and not own else None
        elif listing and not own and _goes_on(listing, line, nxt):
            out.add(end)
        elif not own and item_line(nxt) and _wraps_denial(text, start, end, nxt, triggers):
            out.add(end)
            listing = "lines"
        else:
            listing = None
        start = end + 1
    return frozenset(out)


_LIST_DENIAL = re.compile(
    r"(?:pt |patient )?(?:denies|deny|denying|negative for|neg for|\(-\)|(?:pertinent )?negatives?"
    r"(?: for| include| are| were)?|neg:?)",
    re.IGNORECASE,
)
"""A denial that takes a list, as a verb or a header does ("Denies fever, chills"): its list may
wrap onto the next line. "No fever" and "not" name one thing, a line of their own."""
_WRAPPING = re.compile(r"(?:,|&|/|\b(?:or|and|nor|and/or))[ \t]*\Z", re.IGNORECASE)
"""A line that ends with a list's join ("No fever, chills,"): its list goes on below."""


def _wraps_denial(text: str, start: int, end: int, nxt: str, triggers: Sequence[_Trigger]) -> bool:
    """Does a denial's list that opens on the line ``text[start:end]`` wrap onto the next line
    ``nxt`` (`item_line` only): "Denies fever" / "chills", "No fever, chills," / "urinary
    retention"? The line's last trigger is a denial before its words, with no full stop, colon
    or other trigger after it, and it is a list's denial (`_LIST_DENIAL`) with the next line
    going on in lower case, as a wrapped line does, or it ends with a list's join. "No fever" /
    "urinary retention", "Denies fever" / "Urinary retention", "Denies fever." / "chills"
    stay two statements (den25)."""
    last = [t for t in triggers if start <= t.start < end and t.kind != "pseudo"]
    if not last or last[-1].kind != "negated" or last[-1].direction != "pre":
        return False
    t = last[-1]
    rest = text[t.end : end]
    if not rest.strip() or any(c in rest for c in ".;:?!|"):
        return False
    if _WRAPPING.search(rest):
        return True
    return _LIST_DENIAL.fullmatch(text, t.start, t.end) is not None and nxt.lstrip()[:1].islower()


def _list_of(first: str) -> Literal["bullets", "lines", None]:
    """What list a header's first line opens: a bulleted one, one without bullets, none."""
    if _BULLET.match(first):
        return "bullets"
    return "lines" if item_line(first) else None


def _goes_on(listing: Literal["bullets", "lines"], line: str, nxt: str) -> bool:
    """Does the list go on from ``line`` to ``nxt``?"""
    if listing == "bullets":
        return nxt.strip() != "" and _BULLET.match(nxt) is not None
    return not line.rstrip().endswith((".", ";")) and item_line(nxt)


def _header(text: str, start: int, end: int, triggers: Sequence[_Trigger]) -> bool | None:
    """True: the line ends with a denial's or a doubt's trigger ("Pt denies", "Negative
    for:"), which reaches a bulleted list below; False: with a colon only ("Fever:"), which
    reaches its next line; None: it is no header."""
    tail = text[start:end].rstrip()
    if _ANSWER_LINE.fullmatch(tail):
        return None
    last = start + len(tail)
    for t in triggers:
        if t.direction == "pre" and t.kind in _HEADS and start <= t.start <= last:
            if _HEADER_TAIL.fullmatch(text, t.end, last):  # "ROS negative for", "Denies:"
                return True
            if t.kind == "hypothetical" and tail.endswith(":"):  # "If you develop any of
                return True  # the following, return to the ED:" above its list
    return False if tail.endswith(":") else None
