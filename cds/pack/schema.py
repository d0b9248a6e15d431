"""The rule pack format, as pydantic models: what a clinical informaticist writes in YAML.

A pack is a folder under ``rules/``:

    pack.yaml          metadata, settings, statements, topics, criteria, rules
    valuesets.json     value sets imported from the terminology brief (codes with sources)
    valuesets.yaml     hand-written additions: text patterns, exclusions, canonical units
    instructions.yaml  patient-instruction passages (plain language, each with ``covers``)
    text-examples.yaml realistic EHR phrases each value set's text patterns must (or must not)
                       match: what ``cds rules check`` exercises the patterns with
    answers.yaml       the words a row named for a sign is answered with ("Y", "WNL", "at
                       baseline"): ``cds.pack.answer_schema``
    scenarios/         example hook calls with their expected cards (golden files)

Every model forbids unknown keys, so a misspelt key fails ``cds rules check`` with its path.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationInfo,
    field_validator,
    model_validator,
)

from cds.facts.model import FactKind
from cds.hooks.keys import PREFETCH_KEY_NAMES
from cds.hooks.registry import Hook
from cds.pack.passages import Passage
from cds.pack.settings import Number, Setting

Indicator = Literal["info", "warning", "critical"]
SettingRef = Annotated[str | Number, Field(description="a setting name or a literal number")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def checked_phrases(phrases: list[str], empty: str) -> list[str]:
    """Word phrases a pack gives as regular expressions (answer words, lead words), each
    checked: not blank, a regular expression (read without regard to case), and not matching
    the empty text (``empty`` says what that would mean). ValueError names the first bad one."""
    for i, p in enumerate(phrases):
        if not p.strip():
            raise ValueError(f"phrase {i} is blank")
        try:
            compiled = re.compile(p, re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"phrase {i} {p!r} is no regular expression: {exc}") from exc
        if compiled.fullmatch(""):
            raise ValueError(f"phrase {i} {p!r} {empty}")
    return phrases


class SourceSpec(Strict):
    title: str
    url: str | None = None


class Statement(Strict):
    id: str
    title: str


class Duration(Strict):
    """A span of time; exactly one of hours, days or weeks (each a number or a setting)."""

    hours: SettingRef | None = None
    days: SettingRef | None = None
    weeks: SettingRef | None = None

    @model_validator(mode="after")
    def _one_unit(self) -> Duration:
        given = [x for x in (self.hours, self.days, self.weeks) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of hours, days or weeks")
        return self


class Comparison(Strict):
    """Bounds on a fact's value (in the value set's canonical unit)."""

    gt: SettingRef | None = None
    gte: SettingRef | None = None
    lt: SettingRef | None = None
    lte: SettingRef | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Comparison:
        if all(x is None for x in (self.gt, self.gte, self.lt, self.lte)):
            raise ValueError("give at least one of gt, gte, lt, lte")
        return self


class Pattern(Strict):
    """What one fact must look like for a rule to match."""

    fact: FactKind
    valuesets: list[str] = Field(min_length=1)
    within: Duration | None = None
    """The fact's time is at most this long before the evaluation time."""
    older_than: Duration | None = None
    """The fact's time is at least this long before the evaluation time."""
    value: Comparison | None = None
    latest: bool | None = None
    draft: bool | None = None
    understood: bool = True
    """Patterns match readable facts unless they ask for unreadable ones explicitly."""
    verified: bool | Literal["any"] = True
    """Observation readings nobody has validated yet (status preliminary or registered) are
    ``verified: false``; patterns match verified readings only unless they say ``false`` or
    ``any``."""
    only_hooks: list[Hook] | None = None
    """Outside these hooks the pattern is left out of the rule (e.g. the draft-order half of
    a caution that, at discharge, stands on the patient's conditions alone)."""

    @field_validator("valuesets", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v


PatternRef = str | Pattern
"""A criterion's name, or a pattern written in place."""


class Rule(Strict):
    """One clinical criterion: when its patterns match (and none of ``unless`` does), it fires."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    topic: str
    label: str
    """A short phrase naming the finding, shown in the card detail."""
    summary_label: Annotated[str, Field(max_length=60)] | None = None
    """A shorter name for the card summary ("SpO2"); the label when absent."""
    summary_names_record: bool = False
    """The summary adds the record's own name after the short label, for a rule that covers
    several kinds of reading ("Unreadable vital sign: Heart rate")."""
    covers: list[str] = Field(min_length=1)
    hooks: list[Hook] | None = None
    when: list[PatternRef] = Field(min_length=1)
    unless: list[PatternRef] = []
    enabled_by: str | None = None
    """A setting that switches the rule off while it is null (e.g. an age threshold)."""
    general: bool = False
    """A catch-all criterion: left out of a card in which every record it found is listed
    under a more specific rule ("a red flag in the history" beside "cancer" for one entry)."""
    alongside: bool = False
    """Context for its topic's card, never a card by itself: it fires (a suggestion's
    ``unless_rules`` and the instructions read it) and is listed last on its topic's card,
    which only another rule of the topic raises (acetaminophen at home beside an NSAID order
    blocks the swap to acetaminophen, and alone is no caution)."""
    distinct_records: bool = False
    """Its patterns must be met by different records: two patterns of one value set then mean
    two orders, never one order read twice (the engines join a fact to itself)."""


class OverrideReasonSpec(Strict):
    code: str
    display: str
    system: str = "https://cds.example.org/override-reason"


class CardLink(Strict):
    label: str
    url: str
    covers: list[str] = []


class SuggestionSpec(Strict):
    """A suggestion a topic's card offers; ``action`` names a built-in action builder."""

    label: str
    action: Literal[
        "delete-draft-orders", "replace-draft-order", "create-instructions", "create-follow-up"
    ]
    covers: list[str] = []
    only_valuesets: list[str] = []
    """Only for evidence facts in these value sets (e.g. replace only NSAID orders)."""
    except_valuesets: list[str] = []
    """Not for a draft order that some finding of the call also shows in one of these value
    sets: a combination product (hydrocodone-ibuprofen) whose replacement would drop its
    other medicine."""
    unless_rules: list[str] = []
    """Not offered when any of these rules fired (e.g. no acetaminophen with liver disease)."""
    unless_possible_signs: bool = False
    """Not offered when a data issue of the call may be a danger sign once confirmed (a
    finding in words not yet verified, a sign's row answered unclearly)."""
    needs_prefetch: list[str] = []
    """Offered only when these prefetch keys were had in full (no data-check item names them):
    removing an imaging order as "not indicated" needs the conditions that would support it."""
    replacement_text: str | None = None
    """The replacement in words (the CodeableConcept's text)."""
    replacement_display: str | None = None
    """The code's display as its code system gives it; ``replacement_text`` when absent."""
    replacement_code: str | None = None
    replacement_system: str | None = None
    is_recommended: bool = False


class Topic(Strict):
    code: str
    display: str
    indicator: Indicator
    summary: Annotated[str, Field(max_length=139)]
    """The card summary when no finding can be named (and the fallback of the template)."""
    summary_template: Annotated[str, Field(max_length=139)] | None = None
    """The summary naming the most severe finding: ``{finding}`` (its short label, value and
    age) and ``{more}`` (" (+2 more)", or nothing). Cut to fit 139 characters."""
    summary_condition_age: bool = True
    """Name a condition's age in the summary (a new symptom: yes; a chronic disease: no)."""
    detail_intro: str
    covers: list[str] = []
    override_reasons: list[OverrideReasonSpec] = []
    links: list[CardLink] = []
    suggestions: list[SuggestionSpec] = []
    selection_behavior: Literal["at-most-one", "any"] = "any"
    patient_instructions: bool = False
    """The card's detail carries the personalised patient instructions."""
    needs_prefetch: list[str] = []
    """Prefetch keys this topic's verdict rests on; when one was not had in full, the detail
    says so (``incomplete_note``) before the findings."""
    incomplete_note: str | None = None
    caveat_if_rules: list[str] = []
    """Rules whose firing weakens this topic's verdict (an unverified or unreadable reading
    that may be a red flag, beside "no red flag found"): the detail then says
    ``caveat_note`` before the findings."""
    caveat_if_possible_signs: bool = False
    """Say ``caveat_note`` too when a data issue of the call may be a danger sign once
    confirmed (`cds.facts.model.DataIssue.possible_sign`)."""
    caveat_note: str | None = None
    critical_note: str | None = None
    """Said before the findings when a critical card stands beside this one (instructions to
    send home while an emergency sign is open: assess the patient first)."""
    raised_topics: list[str] = []
    """data-check: the topics whose card beside it makes ``{raised}`` in ``detail_intro``
    read ``others_raised_note`` (an emergency card stands on other data), else
    ``none_raised_note``."""
    none_raised_note: str | None = None
    others_raised_note: str | None = None
    recheck_text: str | None = None
    """data-check: what to re-check for an item that says nothing more specific."""
    unavailable_text: str | None = None
    """data-check: a prefetch key that could not be retrieved; ``{key}``, ``{reason}`` and
    ``{consequence}`` (what the key's data would have been checked for)."""
    unavailable_recheck: str | None = None
    """data-check: what to re-check for such a key; ``{key}``."""
    issue_headline: str | None = None
    """data-check: the summary's ``{finding}`` for a record that could not be used;
    ``{what}`` (the record)."""
    other_patient_headline: str | None = None
    """data-check: the summary's ``{finding}`` when data about another patient was left out
    (it comes before any other item: the chart may be the wrong one)."""

    @field_validator(
        "summary_template", "unavailable_text", "unavailable_recheck", "issue_headline"
    )
    @classmethod
    def _known_fields(cls, template: str | None, info: ValidationInfo) -> str | None:
        allowed = _TEMPLATE_FIELDS[info.field_name or ""]
        if template is not None:
            for name in re.findall(r"{([^{}]*)}", template):
                if name not in allowed:
                    raise ValueError(f"unknown field {{{name}}}; use {sorted(allowed)}")
        return template


_TEMPLATE_FIELDS = {
    "summary_template": {"finding", "more"},
    "unavailable_text": {"key", "reason", "consequence"},
    "unavailable_recheck": {"key"},
    "issue_headline": {"what"},
}


class ServiceText(Strict):
    """What a hook's service says of itself in discovery."""

    description: str
    """What the service does, in a sentence (discovery adds the pack's id and version)."""
    usage: str = ""
    """What the service needs beyond the prefetch keys every service asks for."""


class KeyWording(Strict):
    """What the cards say of a prefetch key whose data could not be had."""

    recheck: str
    """What a clinician should look at in the chart (it goes with the data-check item)."""
    consequence: str
    """What was therefore not checked (a topic's ``unavailable_text`` says it as
    ``{consequence}``)."""


class PackMeta(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: str
    title: str
    description: str
    publisher: str
    sources: list[SourceSpec]
    hooks: list[Hook]
    services: dict[Hook, ServiceText] = {}
    """Per hook, its service's discovery text; a hook without one is described by the pack's
    ``description``."""
    prefetch: dict[str, KeyWording] = {}
    """Per prefetch key (`cds.hooks.keys`), what the cards say when its data could not be
    had, in the pack's clinical terms; a key without one gets the engine's general words."""

    @model_validator(mode="after")
    def _services_of_own_hooks(self) -> PackMeta:
        stray = [hook for hook in self.services if hook not in self.hooks]
        if stray:
            raise ValueError(f"services: {', '.join(stray)} not among the pack's hooks")
        unknown = sorted(set(self.prefetch) - set(PREFETCH_KEY_NAMES))
        if unknown:
            raise ValueError(
                f"prefetch: {', '.join(unknown)} not a prefetch key of the services "
                f"({', '.join(PREFETCH_KEY_NAMES)})"
            )
        return self


class PackFile(Strict):
    """The contents of ``pack.yaml``."""

    pack: PackMeta
    settings: dict[str, Setting]
    statements: list[Statement]
    topics: list[Topic]
    scope: list[PatternRef] = Field(min_length=1)
    """The pack speaks only about patients matching one of these; everyone else gets no cards."""
    criteria: dict[str, Pattern] = {}
    rules: list[Rule]
    unused_valuesets: dict[str, str] = {}
    """Value sets no rule uses on purpose, each with the reason (the contract asks that every
    danger-sign value set be used by a rule or the pack say why not; ``cds rules check``
    fails on any other unused value set, and on a listed one a rule uses)."""


class InstructionsFile(Strict):
    passages: list[Passage]


class TextExamples(Strict):
    """``text-examples.yaml``, one value set: phrases as records write them that its text
    patterns must match by words (``match``), phrases they must not (``not``: negated,
    another body region, another dose), and, for a ``placed`` sign, phrases naming it with its
    own side or place after a denial's list (``listed``: neither matched nor silent, a
    ``sign_after_denial`` data-check item)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    match: list[str] = Field(min_length=1)
    not_: list[str] = Field(default=[], alias="not")
    listed: list[str] = []

    @field_validator("match", "not_", "listed")
    @classmethod
    def _phrases_not_blank(cls, phrases: list[str]) -> list[str]:
        if any(not p.strip() for p in phrases):
            raise ValueError("a phrase is blank")
        return phrases


class TextExamplesFile(RootModel[dict[str, TextExamples]]):
    """``text-examples.yaml``: value set id → its example phrases."""
