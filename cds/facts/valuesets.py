"""Value-set membership: which of a pack's value sets a CodeableConcept belongs to.

Matching is done once per resource while facts are built (never in the engine): exact codes,
ICD-10-CM / ATC prefix families, and text patterns for the records that carry only words.
Words count only where they affirm the concept (``cds.facts.negation``): "no saddle
anesthesia", "rule out cauda equina" and "father with diabetes" match nothing, and "history of
syncope" matches only value sets that are not ``acute``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from cds.facts.answer_words import NO_ANSWER_WORDS, AnswerWords, leads_in_text, measure_pattern
from cds.facts.codes import infer_system, normalize_code, normalize_system
from cds.facts.literals import LiteralIndex, Scans
from cds.facts.negation import assertion, listed_after_denial, may_list, plain
from cds.facts.units import ReadingRule
from cds.facts.valueset_parts import DoseRule, Exclusion, dose_rule, reading_rule
from cds.facts.valueset_specs import ValueSetSpec

_DATED = re.compile(r"\(\?P<past_(?:year|month)>")
"""An exclusion that holds only for a past year or month (`cds.facts.concepts.dated_past`)."""


class RecordCoding(NamedTuple):
    """A coding as a record gives it (hashable: the match memo keys on it); the card's wire
    ``Coding`` is ``cds.hooks.models.Coding``. A named tuple: built and hashed in C, for every
    coding of every concept not yet in the memos."""

    system: str
    code: str
    display: str = ""


Said = tuple[str, bool, bool | None]
"""(words, a sign listed after a denial?, a red flag doubted? (None: not asked yet))."""


@dataclass
class ValueSetIndex:
    """Look-up tables built once from a pack's value sets."""

    exact: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    prefixes: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    """system → prefix → value sets: a code is looked up by each of its prefix lengths."""
    prefix_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)
    excluded: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    text: list[tuple[re.Pattern[str], str]] = field(default_factory=list)
    excluded_by_text: dict[str, Exclusion] = field(default_factory=dict)
    """Value set → words naming a kind of it that it leaves out: neither a code of the set
    nor its words count on a record whose own words say that kind ("Urinary incontinence,
    stress")."""
    excluded_if_past: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    """Value set → its ``excluded_by_text`` that name a ``(?P<past_year>...)`` or a
    ``(?P<past_month>...)``: they hold only
    where that year is before the evaluation's (`cds.facts.concepts.dated_past`)."""
    excluded_by_code: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    """(system, code) → value sets whose words also name the concept the code stands for: a
    record carrying the code is in none of them, by its words either ("PVR" coded as the
    pulmonary vascular resistance is no post-void residual)."""
    by_runs: LiteralIndex = field(default_factory=lambda: LiteralIndex(()))
    """The text patterns by the plain runs they need: most words hold none of them."""
    acute: set[str] = field(default_factory=set)
    """Value sets of current signs and symptoms: "history of ..." does not make them."""
    signs: frozenset[str] = frozenset()
    """Value sets of Conditions that raise a danger sign's card (`Pack.index` sets them)."""
    displays: dict[tuple[str, str], str] = field(default_factory=dict)
    """(system, code) → the display the pack's value sets give it: what a record sending the
    code alone is called on a card ("Ibuprofen 600 MG Oral Tablet", not "code 197806")."""
    counts_resolved: set[str] = field(default_factory=set)
    """Value sets whose Conditions count even when resolved or inactive (a past GI bleed)."""
    readings: dict[str, ReadingRule] = field(default_factory=dict)
    """How each observation value set's readings are read (implied unit, fraction, range)."""
    order_reason: set[str] = field(default_factory=set)
    """Value sets a draft order's reason names to say what the order is for (red flags)."""
    observation_text: set[str] = field(default_factory=set)
    """Value sets an Observation's value in words (an exam finding) is read for as a Condition."""
    measured_by: dict[str, str] = field(default_factory=dict)
    """Value set → the observation value set that measures it (a fever → body temperature):
    a number in words in a row named for the sign is read in that one's unit."""
    placed: set[str] = field(default_factory=set)
    """Signs written with a side or place (a leg, the groin, a dermatome): named so after a
    denial's list, a data-check item (`match_listed`), never silently denied."""
    answers: AnswerWords = NO_ANSWER_WORDS
    """How a row named for a sign is answered in words (the pack's ``answers.yaml``)."""
    measures: dict[str, re.Pattern[str]] = field(default_factory=dict)
    """Observation value set → a row's answer that is one measure of it, led by its own
    ``lead_words`` ("Tmax 38.9"); `cds.facts.said_measures` reads a bare number without them."""
    text_leads: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = field(default_factory=dict)
    """Value set → its ``text_lead_words``, ``threshold_words`` in free text (measures_in_text)."""
    text_readings: set[str] = field(default_factory=set)  # ``text_is_reading``: "HR 136"
    doses: dict[str, DoseRule] = field(default_factory=dict)  # ``dose_decides`` (doses.py)
    _memo: dict[tuple[tuple[RecordCoding, ...], str], dict[str, bool]] = field(default_factory=dict)
    concepts: dict[object, tuple[tuple[tuple[str, bool], ...], str]] = field(default_factory=dict)
    """Fact building's memo of whole concepts read (value sets, words); bounded there."""
    said: dict[bytes, Said] = field(default_factory=dict)
    """`cds.facts.suspected`'s memo of what concepts' words say beyond it; bounded there."""
    quantities: dict[
        tuple[str, str, bytes], tuple[float | None, str | None, str | None, str | None]
    ] = field(default_factory=dict)
    """Fact building's memo of plain Quantities read for a value set: (value set, its unit,
    the Quantity's JSON image) → (value, unit, as recorded, problem); bounded there."""

    @classmethod
    def build(
        cls, valuesets: Mapping[str, ValueSetSpec], answers: AnswerWords = NO_ANSWER_WORDS
    ) -> ValueSetIndex:
        """Index every code, prefix and text pattern of the given value sets; with the
        pack's answer words, compiled."""
        index = cls(answers=answers)
        for vs in valuesets.values():
            if vs.acute:
                index.acute.add(vs.id)
            if vs.counts_resolved:
                index.counts_resolved.add(vs.id)
            if vs.order_reason:
                index.order_reason.add(vs.id)
            if vs.found_in_observation_text:
                index.observation_text.add(vs.id)
            if vs.measured_by:
                index.measured_by[vs.id] = vs.measured_by
            if vs.placed:
                index.placed.add(vs.id)
            if vs.lead_words:
                index.measures[vs.id] = measure_pattern(vs.lead_words)
            if vs.text_lead_words:  # "HPI: Tmax 101.5" (`cds.facts.measures_in_text`)
                index.text_leads[vs.id] = leads_in_text(
                    vs.text_lead_words, vs.threshold_words, vs.text_setting_words
                )
            if vs.unit_implied or vs.fraction_as_percent or vs.plausible or vs.unit_by_range:
                index.readings[vs.id] = reading_rule(vs)
            if vs.text_is_reading:  # "HR 136" (`cds.facts.readings_in_text`)
                index.text_readings.add(vs.id)
            if vs.dose_decides:  # aspirin 1191: its order's dose says what it is
                index.doses[vs.id] = dose_rule(vs.id, vs.dose_decides)
            for c in vs.codes:
                system = normalize_system(c.system)
                key = (system, normalize_code(system, c.code))
                index.exact.setdefault(key, set()).add(vs.id)
                if c.display:
                    index.displays.setdefault(key, c.display)
            for c in vs.exclude_codes:
                system = normalize_system(c.system)
                key = (system, normalize_code(system, c.code))
                index.excluded.setdefault(key, set()).add(vs.id)
            for c in vs.excluded_by_code:
                system = normalize_system(c.system)
                key = (system, normalize_code(system, c.code))
                index.excluded_by_code.setdefault(key, set()).add(vs.id)
            for p in vs.prefixes:
                system = normalize_system(p.system)
                prefix = normalize_code(system, p.prefix) if len(p.prefix) > 3 else p.prefix.upper()
                index.prefixes.setdefault(system, {}).setdefault(prefix, set()).add(vs.id)
            for pattern in vs.text:
                index.text.append((re.compile(pattern, re.IGNORECASE), vs.id))
            dated = [p for p in vs.excluded_by_text if _DATED.search(p)]
            if dated:
                index.excluded_if_past[vs.id] = tuple(re.compile(p, re.IGNORECASE) for p in dated)
            if fixed := [p for p in vs.excluded_by_text if p not in dated]:
                index.excluded_by_text[vs.id] = Exclusion.of(fixed, vs.text)
        index.prefix_lengths = {
            system: tuple(sorted({len(p) for p in table}))
            for system, table in index.prefixes.items()
        }
        index.by_runs = LiteralIndex(index.text)
        return index

    def match(
        self, codings: Iterable[RecordCoding], text: str = "", scans: Scans | None = None
    ) -> set[str]:
        """Every value set that any coding, or the concept's affirmed words, belongs to.
        ``scans``: the call's memo of what the text patterns find in words (`Scans`)."""
        return set(self._remembered(codings, text, scans))

    def display_of(self, codings: Iterable[RecordCoding]) -> str | None:
        """The pack's display of the first coding the value sets name with one, if any."""
        for c in codings:
            system = normalize_system(c.system)
            found = self.displays.get((system, normalize_code(system, c.code)))
            if found:
                return found
        return None

    def match_detail(
        self, codings: Iterable[RecordCoding], text: str = "", scans: Scans | None = None
    ) -> dict[str, bool]:
        """Value set → True when a code matched it, False when only affirmed words did.

        Records repeat the same concepts endlessly (every heart rate carries 8867-4), so
        answers are remembered; the memo is bounded.
        """
        return dict(self._remembered(codings, text, scans))

    def match_suspected(
        self, codings: Iterable[RecordCoding], text: str = "", scans: Scans | None = None
    ) -> set[str]:
        """Every value set a coding belongs to, or that the words affirm OR name as uncertain
        ("r/o cauda equina", "concern for epidural abscess", "? fracture"). For what a draft
        order is FOR: the suspicion supports the test, but is no sign of the patient's."""
        codings = tuple(codings)
        scans = scans or Scans(self.by_runs)
        found = set(self._remembered(codings, text, scans))
        words = [plain(text)] if text else []
        words += [plain(c.display) for c in codings if c.display]
        excluded = self.excluded_by_text
        for i in scans.hits(words):
            vs_id = self.text[i][1]
            if vs_id in found or (
                vs_id in excluded and any(w and excluded[vs_id].search(w) for w in words)
            ):  # words the pack excludes ("fell 6 weeks ago": no recent injury) stay out
                continue
            if any(
                assertion(w, *_term(m)) in ("affirmed", "uncertain")
                for w in words
                for m in scans.matches(i, w)
            ):
                found.add(vs_id)
        return found

    def match_listed(
        self, codings: Iterable[RecordCoding], text: str = "", scans: Scans | None = None
    ) -> set[str]:
        """The ``placed`` sets and danger `signs` the words name only as a later item of a
        denial's list with a side or place of their own, or NEW in capitals (`may_list`), that
        no code or other words affirm: denied or found, the words do not say."""
        codings = tuple(codings)
        words = [w for w in (text, *(c.display for c in codings)) if w and may_list(w)]
        words = [plain(w) for w in words]
        listable = self.placed | self.signs
        if not listable or not words:
            return set()  # a denial, a comma after it, a side or place: most words have none
        scans = scans or Scans(self.by_runs)
        found = self._remembered(codings, text, scans)
        listed: set[str] = set()
        for i in scans.hits(words):
            vs_id = self.text[i][1]
            if vs_id in listable and vs_id not in found and vs_id not in listed:
                if any(
                    listed_after_denial(w, *_term(m)) for w in words for m in scans.matches(i, w)
                ):
                    listed.add(vs_id)
        excluded = self.excluded_by_text  # words the pack excludes stay out ("... chronic")
        return {
            v for v in listed if v not in excluded or not any(excluded[v].search(w) for w in words)
        }

    def _remembered(
        self, codings: Iterable[RecordCoding], text: str, scans: Scans | None
    ) -> dict[str, bool]:
        """The memo's own answer: callers copy it."""
        key = (tuple(codings), text)
        hit = self._memo.get(key)
        if hit is None:
            if len(self._memo) > 50_000:
                self._memo.clear()
            hit = self._memo[key] = self._match(key[0], text, scans or Scans(self.by_runs))
        return hit

    def _match(self, codings: tuple[RecordCoding, ...], text: str, scans: Scans) -> dict[str, bool]:
        found = self._match_codes_and_words(codings, text, scans)
        if found and (self.excluded_by_text or self.excluded_by_code):
            self._drop_excluded(found, codings, text)
        return found

    def _match_codes_and_words(
        self, codings: tuple[RecordCoding, ...], text: str, scans: Scans
    ) -> dict[str, bool]:
        found: dict[str, bool] = {}
        words = [plain(text)] if text else []
        for coding in codings:
            system = infer_system(normalize_system(coding.system), coding.code)
            code = normalize_code(system, coding.code) if coding.code else ""
            hits: set[str] = set()
            if code:
                hits = set(self.exact.get((system, code), ()))
                table = self.prefixes.get(system)
                if table:
                    for n in self.prefix_lengths[system]:
                        if n > len(code):
                            break
                        hits |= table.get(code[:n], set())
                hits -= self.excluded.get((system, code), set())
                found.update(dict.fromkeys(hits, True))
            if coding.display and not hits:  # a coded match's display only names its code
                words.append(plain(coding.display))
        for i in scans.hits(words):
            vs_id = self.text[i][1]
            if vs_id not in found and any(
                self._affirms(scans.matches(i, w), w, vs_id) for w in words
            ):
                found[vs_id] = False
        return found

    def _drop_excluded(
        self, found: dict[str, bool], codings: tuple[RecordCoding, ...], text: str
    ) -> None:
        """Forget a value set, matched by code or by words, whose record names in its own
        words a kind of the concept the set leaves out (R32 written "Urinary incontinence,
        stress", "Urinary incontinence (SUI)"), or carries a code of another concept its words
        also name (``excluded_by_code``)."""
        for c in codings:
            if c.code:
                system = infer_system(normalize_system(c.system), c.code)
                for vs_id in self.excluded_by_code.get(
                    (system, normalize_code(system, c.code)), ()
                ):
                    found.pop(vs_id, None)
        words = [plain(w) for w in (text, *(c.display for c in codings))]
        for vs_id in [v for v in found if v in self.excluded_by_text]:
            if any(w and self.excluded_by_text[vs_id].search(w) for w in words):
                del found[vs_id]

    def _affirms(self, matches: list[re.Match[str]], words: str, vs_id: str) -> bool:
        """Does any of a pattern's ``matches`` in ``words`` affirm the concept?"""
        for m in matches:
            said = assertion(words, *_term(m))
            if said == "affirmed" or (said == "historical" and vs_id not in self.acute):
                return True
        return False


def _term(m: re.Match[str]) -> tuple[int, int]:
    """Where the concept's own words are in a match: its ``term`` group when the pattern names
    one (a pattern anchored at the start to look at the whole text, "^(?!.*screening).*cancer",
    matches from the first word: "No" in "No cancer" must stay outside, before the term)."""
    if "term" in m.re.groupindex and m.start("term") >= 0:
        return m.start("term"), m.end("term")
    return m.start(), m.end()
