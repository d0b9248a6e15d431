"""The personalised patient instructions: the pack's passages chosen by the rules that fired."""

from __future__ import annotations

import re

from cds.findings import Outcome
from cds.pack.load import Pack
from cds.pack.passages import PART_LINE, Passage

_INSTRUCTIONS: dict[tuple[int, frozenset[str]], tuple[Pack, tuple[Passage, ...], str]] = {}
"""(pack, the fired rules its passages name) → the instructions: they depend on nothing else,
and patients share few combinations (a call's instruction card and its suggestion both ask)."""
_PASSAGE_RULES: dict[int, tuple[Pack, tuple[Passage, ...], frozenset[str]]] = {}


def patient_instructions(pack: Pack, outcome: Outcome) -> str:
    """The personalised patient instructions: passages chosen by the rules that fired."""
    passages = tuple(pack.passages)
    named = _PASSAGE_RULES.get(id(pack))
    if named is None or named[0] is not pack or named[1] != passages:
        rules = frozenset(
            r for p in passages for r in [*p.show_if_rules, *p.hide_if_rules, *p.part_rules()]
        )
        named = _PASSAGE_RULES[id(pack)] = (pack, passages, rules)
    key = (id(pack), outcome.rule_ids & named[2])
    known = _INSTRUCTIONS.get(key)
    if known is not None and known[0] is pack and known[1] == passages:
        return known[2]
    text = _instructions(pack, outcome)
    if len(_INSTRUCTIONS) > 4096:
        _INSTRUCTIONS.clear()
    _INSTRUCTIONS[key] = (pack, passages, text)
    return text


def _instructions(pack: Pack, outcome: Outcome) -> str:
    parts = []
    for p in pack.passages:
        if p.show_if_rules and not outcome.fired(p.show_if_rules):
            continue
        if p.hide_if_rules and outcome.fired(p.hide_if_rules):
            continue
        parts.append(f"### {p.title}\n\n{_passage_text(p, outcome)}")
    return "\n\n".join(parts)


def _passage_text(passage: Passage, outcome: Outcome) -> str:
    """A passage's text with each ``{name}`` line replaced by the parts that apply
    (remembered by the passage and the fired rules its parts name)."""
    if not passage.parts:
        return passage.text.strip()
    named = _PART_RULES.get(id(passage))
    if named is None or named[0] is not passage:
        named = _PART_RULES[id(passage)] = (passage, frozenset(passage.part_rules()))
    key = (id(passage), outcome.rule_ids & named[1])
    known = _PASSAGE_TEXTS.get(key)
    if known is not None and known[0] is passage:
        return known[1]
    text = _placed_parts(passage, outcome)
    if len(_PASSAGE_TEXTS) > 4096:
        _PASSAGE_TEXTS.clear()
    _PASSAGE_TEXTS[key] = (passage, text)
    return text


_PART_RULES: dict[int, tuple[Passage, frozenset[str]]] = {}
_PASSAGE_TEXTS: dict[tuple[int, frozenset[str]], tuple[Passage, str]] = {}
"""(passage, the fired rules its parts name) → its text; each held with its passage, so an
id reused by another passage is not mistaken for it."""


def _placed_parts(passage: Passage, outcome: Outcome) -> str:
    lines: list[str] = []
    for line in passage.text.strip().splitlines():
        m = PART_LINE.fullmatch(line.strip())
        if m is None:
            lines.append(line)
            continue
        for part in passage.parts[m.group(1)]:
            if part.show_if_rules and not outcome.fired(part.show_if_rules):
                continue
            if part.hide_if_rules and outcome.fired(part.hide_if_rules):
                continue
            lines += part.text.strip().splitlines()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
