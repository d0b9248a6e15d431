"""The value-set part of the rule pack format (``valuesets.json`` and ``valuesets.yaml``), as
pydantic models: codes, code families, exclusions, text patterns, units and the readings'
plausible ranges, as a clinical informaticist writes them."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import field_validator, model_validator

from cds.pack.schema import Strict, checked_phrases


class VsCode(Strict):
    system: str
    code: str
    display: str | None = None
    source: str | None = None
    verified: bool = True


class VsPrefix(Strict):
    system: str
    prefix: str
    note: str | None = None


class Plausible(Strict):
    """The range of a reading a living patient can show, and what the reading is called."""

    low: float
    high: float
    reading: str


class UnitRange(Strict):
    """A unit, and the range of numbers without a unit that can only be in it."""

    unit: str
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> UnitRange:
        if self.low >= self.high:
            raise ValueError("low must be below high")
        return self


class DoseSplit(Strict):
    """An ingredient code that says nothing of the dose (aspirin, RxNorm 1191), whose order's
    dose decides what the medicine is: at or above ``at_least`` milligrams a dose it is in
    ``then`` (an NSAID), below it in ``below`` (low-dose aspirin, a blood thinner); with no
    dose read, or doses that disagree, it stays in the value set that declares this."""

    at_least: float
    then: str
    then_said: str
    """What a dose at or above the threshold makes the medicine, in a clinician's words."""
    below: str
    below_said: str
    plausible: Plausible
    """Milligrams a dose of the medicine can be: outside, a unit or entry error (650 g)."""
    words: str
    """The ingredient's name in words: a strength in the order's name is read after it."""

    @field_validator("words")
    @classmethod
    def _words_compile(cls, pattern: str) -> str:
        return checked_phrases([pattern], "matches no words at all")[0]


class ValueSetAddition(Strict):
    """``valuesets.yaml``: what the hand-written side adds to an imported value set (and the
    members every value set has)."""

    title: str | None = None
    codes: list[VsCode] = []
    prefixes: list[VsPrefix] = []
    exclude_codes: list[VsCode] = []
    text: list[str] = []
    """Case-insensitive regular expressions matched against display and text; one read from
    the start (``^(?!.*screening).*cancer``) names its concept's words ``(?P<term>...)``."""
    excluded_by_text: list[str] = []
    """Case-insensitive regular expressions naming a kind of the concept this value set leaves
    out: a record whose own words (its text, a coding's display) match one is not counted in
    the set, by its code or its other words (R32, unspecified urinary incontinence, written
    "Urinary incontinence, stress": the stress kind, a pelvic-floor leak). One naming a year
    ``(?P<past_year>...)`` holds only when that year is before the evaluation's own; one
    naming a month by its name ``(?P<past_month>...)`` (with or without ``past_year``) only
    when that month is before the evaluation's (a month without a year: this year's, or last
    year's when it is after the evaluation's month)."""
    excluded_by_code: list[VsCode] = []
    """Codes of another concept this value set's words also name: a record carrying one is not
    counted in the set, by its words either ("PVR" coded as the pulmonary vascular resistance
    is no post-void residual)."""
    unit: str | None = None
    """Canonical unit of an observation value set; values are converted to it."""
    acute: bool = False
    """A current sign or symptom: "history of ..." does not make it (a chronic one's does)."""
    counts_resolved: bool = False
    """A Condition of this value set counts even when resolved or inactive (a past GI bleed)."""
    unit_implied: bool = False
    """A reading without a unit is read in ``unit`` (per minute, a percent, a score); never a
    temperature or a lab, whose unit could be one of two."""
    fraction_as_percent: bool = False
    """A percent that devices also send as a fraction (SpO2 0.97 with unit "1" or none)."""
    unit_by_range: list[UnitRange] = []
    """A number sent without a unit is read in the unit whose range holds it (a temperature
    of 101.5 can only be °F, 38.6 only °C); outside all of them it stays a data-check item."""
    plausible: Plausible | None = None
    """The range a living patient's reading can be in, in ``unit``; outside it the reading is
    a device or unit error, shown in the data-check card, never a danger sign."""
    order_reason: bool = False
    """A draft order's reason in this value set, affirmed or suspected ("r/o cauda equina"),
    says what the order is for: a fact of ``order_reason_red_flag`` (supports imaging)."""
    found_in_observation_text: bool = False
    """A sign or symptom a clinician also writes as an Observation's value in words, an exam
    finding or a flowsheet row ("LLE motor strength" valued "3/5"): those words, the row's name
    joined to its value, are read as a Condition of this value set when they affirm it."""
    placed: bool = False
    """A sign written with its own side or place ("numbness L leg", "weakness R leg", "L groin
    numbness", "pain radiating down L leg", a dermatome "L5"). Named so as a later item of a
    denial's list ("(-) fever, numbness L leg") it is neither denied nor affirmed: a fact of
    ``sign_after_denial`` (a data-check item), never silently dropped."""
    measured_by: str | None = None
    """An observation value set whose latest reading, when newer, a card shows beside a
    Condition of this one (a coded tachycardia beside the heart rate measured since)."""
    superseded_by_measure: bool = False
    """A Condition of this value set is no sign when the latest reading of ``measured_by`` is
    newer and no rule fires on it: the sign the entry stood for was
    measured since and is not there (a tachycardia coded this morning, a heart rate of 86
    since). Not for a sign that comes and goes while treated (a fever under antipyretics)."""
    lead_words: list[str] = []
    """Of an observation value set that measures a sign (``measured_by``): the words a row
    named for the sign may put before the number ("Fever" valued "Tmax 38.9", "temp 38.3"),
    one phrase per item, each a case-insensitive regular expression; none, a bare number only."""
    text_lead_words: list[str] = []
    """The words that lead a number measuring it in any free text ("HPI: LBP x3d, Tmax
    101.5 at home", `cds.facts.measures_in_text`): words naming the measure itself only."""
    text_is_reading: bool = False
    """A number after its ``text_lead_words`` in free text is a reading of this value set
    itself ("HR 136", "SpO2 89% on RA": an Observation fact read from words, compared by the
    rules on it, `cds.facts.readings_in_text`), not the sign ``measured_by`` it reported."""
    text_setting_words: list[str] = []
    """Words that may stand between a ``text_lead_words`` and its number, saying how the
    reading was taken ("SpO2 on 2L 88%", "sats on RA 94%"): the number after them is read."""
    threshold_words: list[str] = []
    """Words before such a number with a comparator that make it a threshold, not a reading
    ("fever defined as T >= 38", "goal temp < 38"): nothing is read."""
    dose_decides: DoseSplit | None = None
    """Of a value set of ingredient codes: the order's dose moves a record of it to another
    value set (`cds.facts.doses`): an aspirin 650 mg coded 1191 is an NSAID."""
    notes: str | None = None

    @field_validator("text")
    @classmethod
    def _regexes_compile(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            compiled = re.compile(p)
            if p.startswith("^") and ".*" in p and "term" not in compiled.groupindex:
                raise ValueError(f"{p!r} reads from the start: name its words (?P<term>...)")
        return patterns

    @field_validator("lead_words", "text_lead_words", "text_setting_words", "threshold_words")
    @classmethod
    def _lead_words_compile(cls, phrases: list[str]) -> list[str]:
        return checked_phrases(phrases, "matches no words at all")

    @field_validator("excluded_by_text")
    @classmethod
    def _exclusions_compile(cls, patterns: list[str]) -> list[str]:
        for p in patterns:
            re.compile(p)
        return patterns


class ValueSet(ValueSetAddition):
    """A value set as the pack uses it: imported codes merged with the additions."""

    id: str
    title: str


def unknown_dose_targets(valuesets: Mapping[str, ValueSet]) -> list[str]:
    """A ``dose_decides`` naming a value set the pack lacks: a misspelt name would leave an
    analgesic-dose aspirin in no NSAID set."""
    return [
        f"valuesets.{vs.id}.dose_decides: unknown value set '{to}'"
        for vs in valuesets.values()
        if vs.dose_decides
        for to in (vs.dose_decides.then, vs.dose_decides.below)
        if to not in valuesets
    ]
