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
also right for a case-sensitive part ("(?-i:LBP)": "lbp" is in the lower-cased words)."""

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


class LiteralIndex:
    """The pack's text patterns by the runs they need: which may match some words is found
    by one substring test a run (a few hundred in all, shared between patterns), then only
    those patterns are run. A pattern with no known run is always a candidate."""

    def __init__(self, patterns: Sequence[tuple[re.Pattern[str], str]]) -> None:
        self.patterns = list(patterns)
        by_run: dict[str, list[int]] = {}
        self.always: list[int] = []
        for i, (pattern, _) in enumerate(self.patterns):
            needs = required_literals(pattern.pattern)
            if not needs:
                self.always.append(i)
            for run in needs:
                by_run.setdefault(run, []).append(i)
        self.runs = tuple(by_run.items())

    def candidates(self, words: Sequence[str]) -> list[tuple[re.Pattern[str], str]]:
        """The (pattern, value set) pairs that may match one of ``words``, in pack order; none
        for no words."""
        if not any(words):
            return []
        low = "\x00".join(words).lower()  # no run holds a NUL: none spans two words
        hit = set(self.always)
        for which in [which for run, which in self.runs if run in low]:
            hit.update(which)
        return [self.patterns[i] for i in sorted(hit)]
