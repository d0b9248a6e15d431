"""Which of the pack's text patterns can match some words, told by plain substrings first.

Each of the pack's ~340 text patterns costs about 30 µs on a kilobyte of words in Python's
``re`` (most start with look-behinds and word boundaries, which defeat its literal prefix
search), so a problem list of 200 notes of a kilobyte each took 4 s (integrator review
int25). Nearly every pattern holds a run of plain characters that any match of it contains
("retention", "incontin", "saddle"), or one of a few such runs (an alternation): when none of
them is in the words, the pattern cannot match there and is not run. A substring test is a
fraction of a microsecond.

`required_literals` reads a pattern's syntax tree (``re._parser``, the parser ``re.compile``
itself uses): a literal run in a sequence is in every match; an alternation needs one of its
branches' runs; a repeat needs its body's only when it repeats at least once; what a
look-ahead or look-behind must find is in the words as well; negative look-arounds, character
classes, anchors and optional parts need nothing. Of a sequence's candidates the
most selective is kept (the longest shortest run). Everything is lower-cased, so the test is
also right for a case-sensitive part ("(?-i:LBP)": "lbp" is in the lower-cased words).

A pattern that may match is still costly on long words (a note of a kilobyte names fifteen
signs, most denied): where its `reach` is bounded, it is looked for only in the stretches
around its runs' places (`LiteralIndex.matches`), which finds what ``finditer`` finds. Each
call keeps one `Scans`: a text's candidates are found once and each pattern's matches in it
run once, for every reader of the same words (integrator review int25, ``bench/notes.py``:
200 problems with one kilobyte-long note template, 1.5 s, now 45 ms with the call's memo of
what a note says; with 200 different notes, about half the time it took)."""

from __future__ import annotations

import importlib
import re
from collections.abc import Sequence
from typing import Any

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

SHORTEST = 2
"""A run shorter than this says too little to be worth a test: the pattern is always run."""

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}


def required_literals(pattern: str) -> frozenset[str]:
    """Lower-case strings of which every match of ``pattern`` (read without regard to case)
    contains one; empty when no such set of runs of ``SHORTEST`` characters or more is known
    (the pattern must always be run)."""
    try:
        tree = _parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return frozenset()
    needs = _needs(list(tree))
    if not needs or min(len(n) for n in needs) < SHORTEST:
        return frozenset()
    return frozenset(needs)


def _needs(items: Sequence[tuple[Any, Any]]) -> set[str] | None:
    """One of these strings is in every match of the sequence ``items``; None: nothing known."""
    best: set[str] | None = None
    run: list[str] = []
    for op, av in [*items, (None, None)]:  # a last item that closes the last run
        if op is _c.LITERAL:
            run.append(chr(av).lower())
            continue
        if run:
            best = _better(best, {"".join(run)})
            run = []
        best = _better(best, _child(op, av))
    return best


def _child(op: Any, av: Any) -> set[str] | None:
    if op is _c.SUBPATTERN:
        return _needs(list(av[-1]))
    if op is getattr(_c, "ATOMIC_GROUP", None):
        return _needs(list(av))
    if op in _REPEATS:
        low, _, body = av
        return _needs(list(body)) if low >= 1 else None
    if op is _c.BRANCH:
        branches = [_needs(list(b)) for b in av[1]]
        if any(b is None for b in branches):
            return None
        return set().union(*(b for b in branches if b is not None))
    if op is _c.ASSERT:  # what a look-ahead or look-behind must find is in the words too
        return _needs(list(av[1]))
    return None  # a class, any character, an anchor, a negative look-around: nothing certain


def _better(a: set[str] | None, b: set[str] | None) -> set[str] | None:
    """The more selective of two requirements: the longer shortest string, then fewer."""
    if a is None or not a:
        return b or a
    if b is None or not b:
        return a
    ka, kb = (min(map(len, a)), -len(a)), (min(map(len, b)), -len(b))
    return b if kb > ka else a


def reach(pattern: str) -> tuple[int, int, int] | None:
    """How far from one of its runs a match of ``pattern`` can be: (the most characters a
    match spans, the most a look-behind or anchor reads before its start, the most a
    look-ahead or anchor reads past its end); None when any is unbounded ("(?!.*screening)",
    "\\w+"): the pattern is run on the whole words."""
    try:
        tree = _parser.parse(pattern, re.IGNORECASE)
    except re.error:
        return None
    span = tree.getwidth()[1]
    around = _around(list(tree))
    if span >= _parser.MAXWIDTH or around is None:
        return None
    # + 1: a word boundary reads the character before it; + 2: "$" reads whether the
    # character after it is a last newline
    return span, around + 1, around + 2


def _around(items: Sequence[tuple[Any, Any]]) -> int | None:
    """The widths of every look-around in ``items``, added (more than either side reads)."""
    total = 0
    for op, av in items:
        if op in (_c.ASSERT, _c.ASSERT_NOT):
            width = av[1].getwidth()[1]
            inner = _around(list(av[1]))
            if width >= _parser.MAXWIDTH or inner is None:
                return None
            total += width + inner
        elif op in (_c.SUBPATTERN, *_REPEATS, _c.BRANCH, _c.GROUPREF_EXISTS) or op is getattr(
            _c, "ATOMIC_GROUP", None
        ):
            for part in _parts(op, av):
                inner = _around(list(part))
                if inner is None:
                    return None
                total += inner
    return total


def _parts(op: Any, av: Any) -> list[Any]:
    """The sub-patterns of a group, a repeat, an alternation or a conditional."""
    if op is _c.SUBPATTERN:
        return [av[-1]]
    if op in _REPEATS:
        return [av[2]]
    if op is _c.BRANCH:
        return list(av[1])
    if op is _c.GROUPREF_EXISTS:
        return [p for p in av[1:] if p is not None]
    return [av]  # an atomic group


class LiteralIndex:
    """The pack's text patterns by the runs they need: which may match some words is found
    by one substring test a run (a few hundred in all, shared between patterns), then only
    those patterns are run. A pattern with no known run is always a candidate."""

    def __init__(self, patterns: Sequence[tuple[re.Pattern[str], str]]) -> None:
        self.patterns = list(patterns)
        by_run: dict[str, list[int]] = {}
        self.always: list[int] = []
        self.needs: list[tuple[str, ...]] = []
        self.reach: list[tuple[int, int, int] | None] = []
        for i, (pattern, _) in enumerate(self.patterns):
            needs = required_literals(pattern.pattern)
            if not needs:
                self.always.append(i)
            for run in needs:
                by_run.setdefault(run, []).append(i)
            self.needs.append(tuple(sorted(needs)))
            self.reach.append(reach(pattern.pattern) if needs else None)
        self.runs = tuple(by_run.items())

    def hits(self, words: Sequence[str]) -> list[int]:
        """The indices of the patterns that may match one of ``words``, in pack order; none
        for no words."""
        if not any(words):
            return []
        low = "\x00".join(words).lower()  # no run holds a NUL: none spans two words
        hit = set(self.always)
        for which in [which for run, which in self.runs if run in low]:
            hit.update(which)
        return sorted(hit)

    def candidates(self, words: Sequence[str]) -> list[tuple[re.Pattern[str], str]]:
        """The (pattern, value set) pairs that may match one of ``words``, in pack order."""
        return [self.patterns[i] for i in self.hits(words)]

    def matches(self, i: int, words: str, low: str) -> list[re.Match[str]]:
        """Every match of pattern ``i`` in ``words`` (``low``: them lower-cased), as
        ``finditer`` finds them, looked for only near its runs when its `reach` is bounded.

        A match reads no further than its reach from the run it holds, so no match starts
        outside the stretches around the runs' places, and within one (runs closer than a
        reach apart share a stretch) ``finditer(words, start, end)`` finds the same matches:
        a look-behind still reads before ``start``, and ``end`` lies past every character a
        match there can read. Only for words whose lower case keeps their length (ASCII),
        so that places in ``low`` are places in ``words``."""
        pattern, bounds = self.patterns[i][0], self.reach[i]
        if bounds is None or not words.isascii():
            return list(pattern.finditer(words))
        span, before, after = bounds
        longest = max(map(len, self.needs[i]))
        places = sorted(
            (at + len(run) - span - after, at + span + before)
            for run in self.needs[i]
            for at in _places(low, run)
        )
        found: list[re.Match[str]] = []
        end = len(words)
        stretch: list[int] | None = None
        for a, b in places:
            if stretch is not None and a - longest <= stretch[1] + after:
                stretch[1] = max(stretch[1], b)
                continue
            if stretch is not None:
                found += pattern.finditer(words, stretch[0], min(end, stretch[1] + after))
            stretch = [max(0, a), b]
        if stretch is not None:
            found += pattern.finditer(words, stretch[0], min(end, stretch[1] + after))
        return found


def _places(low: str, run: str) -> list[int]:
    """Where ``run`` starts in ``low`` (overlaps included)."""
    out: list[int] = []
    at = low.find(run)
    while at >= 0:
        out.append(at)
        at = low.find(run, at + 1)
    return out


class Scans:
    """One call's memo of what the pack's text patterns find in the words it reads: which
    patterns may match a text (its runs tested once) and each one's matches there (run
    once), shared by every reader of the same words (what they affirm, what a denial's
    list names, what they suspect) and by every note repeating them. Never kept past the
    call (`cds.facts.timing.FactContext` holds one)."""

    def __init__(self, index: LiteralIndex) -> None:
        self.index = index
        self._hits: dict[tuple[str, ...], list[int]] = {}
        self._low: dict[str, str] = {}
        self._matches: dict[tuple[int, str], list[re.Match[str]]] = {}

    def hits(self, words: Sequence[str]) -> list[int]:
        key = tuple(words)
        found = self._hits.get(key)
        if found is None:
            found = self._hits[key] = self.index.hits(key)
        return found

    def matches(self, i: int, words: str) -> list[re.Match[str]]:
        key = (i, words)
        found = self._matches.get(key)
        if found is None:
            low = self._low.get(words)
            if low is None:
                low = self._low[words] = words.lower()
            found = self._matches[key] = self.index.matches(i, words, low)
        return found
