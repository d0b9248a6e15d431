"""Findings → CDS Hooks cards: one card per topic, evidence in the detail, real FHIR actions."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from typing import Any

from cds.cards.actions import build_action_resource, replaced_order
from cds.cards.quote import quote, quote_id
from cds.facts.model import DataIssue
from cds.facts.units import UNIT_WORDS
from cds.findings import Evidence, Finding, Outcome
from cds.hooks.models import Action, Card, Coding, Link, OverrideReason, Source, Suggestion
from cds.hooks.prefetch import consequence
from cds.hooks.registry import Hook
from cds.instants import parse_datetime
from cds.pack.load import Pack
from cds.pack.passages import PART_LINE, Passage
from cds.pack.schema import SuggestionSpec, Topic

TOPIC_SYSTEM = "https://cds.example.org/CodeSystem/card-topic"
DATA_CHECK = "data-check"
"""The topic whose card lists data that could not be read, verified or retrieved."""
SUMMARY_MAX = 139


@dataclass(frozen=True)
class CardContext:
    """What the card builder needs to know about the call besides the findings."""

    hook: Hook
    patient_id: str
    encounter_id: str | None = None
    draft_orders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    issues: Sequence[DataIssue] = ()
    new_uuid: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    tz: tzinfo = UTC
    """The site's zone: every time on a card is shown in it."""
    now: datetime | None = None
    """The evaluation time (today's readings show only their clock time)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """What each record of the findings' evidence is, in words (``Observation/hr1`` → "Heart
    rate"), so a data issue about it can say so; filled by ``build_cards``."""
    topics_shown: frozenset[str] = frozenset()
    """The topics of the call's cards (the data-check card says whether an emergency or
    urgent card stands beside it); filled by ``build_cards``."""
    today: date | None = field(init=False, repr=False, compare=False)
    """The evaluation day in the site's zone, worked out once per call (every time shown
    on the cards is compared with it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", _today(self.now, self.tz))

    def _for_cards(self, names: Mapping[str, str], topics_shown: frozenset[str]) -> CardContext:
        """This context with the call's ``names`` and ``topics_shown``, copied without
        ``__init__``: ``dataclasses.replace`` runs it and ``__post_init__`` again (8 µs a
        call), and neither field changes ``today``."""
        copy = object.__new__(CardContext)
        copy.__dict__.update(self.__dict__, names=names, topics_shown=topics_shown)
        return copy


def build_cards(pack: Pack, outcome: Outcome, ctx: CardContext) -> list[Card]:
    """One card per topic with findings, in the pack's topic order; none out of scope, unless
    some data was about another patient (`_wrong_patient_cards`).

    The data-check card also carries every data issue of the call, so an in-scope call whose
    only news is data that could not be had still says so. Beside a critical card no
    suggestion is recommended: the clinician's first act is to assess the patient.
    """
    if not outcome.in_scope:
        return _wrong_patient_cards(pack, outcome, ctx)
    names = ctx.names
    if ctx.issues:
        names = {e.rid: e.display for f in outcome.findings for e in f.evidence}
        names.update(ctx.names)
    by_topic: dict[str, list[Finding]] = {}
    for finding in outcome.findings:
        by_topic.setdefault(finding.topic, []).append(finding)
    chosen = []
    critical = False
    for topic in pack.spec.topics:
        if topic.code in by_topic or (topic.code == DATA_CHECK and ctx.issues):
            chosen.append((topic, by_topic.get(topic.code, [])))
            critical = critical or topic.indicator == "critical"
    ctx = ctx._for_cards(names, frozenset([topic.code for topic, _ in chosen]))
    return [_card(pack, topic, found, outcome, ctx, critical) for topic, found in chosen]


def _wrong_patient_cards(pack: Pack, outcome: Outcome, ctx: CardContext) -> list[Card]:
    """Out of scope the pack is silent, unless data about another patient was received and
    left out: then what was left out may be all that would have put this patient in scope (the
    EHR sent the wrong chart), and an empty answer would hide it. The data-check card says
    only those items (never the other patient's data), and no sign is read from them."""
    wrong = [i for i in ctx.issues if i.other_patient]
    topic = next((t for t in pack.spec.topics if t.code == DATA_CHECK), None)
    if not wrong or topic is None:
        return []
    return [_card(pack, topic, [], outcome, replace(ctx, issues=wrong), critical=False)]


def _card(
    pack: Pack,
    topic: Topic,
    findings: list[Finding],
    outcome: Outcome,
    ctx: CardContext,
    critical: bool,
) -> Card:
    suggestions = []
    # nothing recommended beside a critical card, nor on a card its incomplete_note qualifies
    # (instructions written without part of the record: the clinician reviews them first)
    hold = critical or bool(
        topic.incomplete_note and _missing_keys(ctx.issues, topic.needs_prefetch)
    )
    for spec in topic.suggestions:
        made = _suggestion(spec, findings, outcome, pack, ctx, hold)
        if made is not None:
            suggestions.append(made)
    frame = _frame(pack, topic)
    if topic.code == DATA_CHECK:
        detail = data_check_detail(pack, topic, findings, ctx)
    else:
        detail = _detail(pack, topic, findings, outcome, ctx, frame.source.label)
    return Card(
        uuid=ctx.new_uuid(),
        summary=summary(pack, topic, findings, ctx),
        detail=detail,
        indicator=topic.indicator,
        source=frame.source,
        suggestions=suggestions or None,
        selectionBehavior=topic.selection_behavior if suggestions else None,
        overrideReasons=frame.override_reasons,
        links=frame.links,
    )


@dataclass(frozen=True)
class _Frame:
    """The parts of a topic's card that never change between calls (frozen models, so one
    instance can sit in every card; each card still gets its own lists)."""

    source: Source
    override_reasons: list[OverrideReason] | None
    links: list[Link] | None


_FRAMES: dict[int, tuple[Topic, Pack, _Frame]] = {}
"""id(topic) → (the topic, its pack, its frame): both held, so an id reused by another topic
or a topic of another pack (a pack is frozen: its label is fixed) is not mistaken for it."""


def _frame(pack: Pack, topic: Topic) -> _Frame:
    hit = _FRAMES.get(id(topic))
    if hit is None or hit[0] is not topic or hit[1] is not pack:
        frame = _Frame(
            source=Source(
                label=pack.label,
                topic=Coding(system=TOPIC_SYSTEM, code=topic.code, display=topic.display),
            ),
            override_reasons=[
                OverrideReason(system=r.system, code=r.code, display=r.display)
                for r in topic.override_reasons
            ]
            or None,
            links=[Link(label=ln.label, url=ln.url, type="absolute") for ln in topic.links] or None,
        )
        if len(_FRAMES) > 1_000:  # packs loaded again and again (tests): start afresh
            _FRAMES.clear()
        hit = _FRAMES[id(topic)] = (topic, pack, frame)
    return hit[2]


def _detail(
    pack: Pack,
    topic: Topic,
    findings: list[Finding],
    outcome: Outcome,
    ctx: CardContext,
    label: str,
) -> str:
    lines = [topic.detail_intro.strip(), ""]
    if topic.incomplete_note and _missing_keys(ctx.issues, topic.needs_prefetch):
        lines += [f"**{topic.incomplete_note.strip()}**", ""]
    if topic.caveat_note and outcome.fired(topic.caveat_if_rules):
        lines += [f"**{topic.caveat_note.strip()}**", ""]
    for finding in findings:
        lines.append(f"- **{finding.label}**")
        roles = _medicine_roles(finding, ctx)
        for e in finding.evidence:
            role = roles.get(e.rid, "") if roles else ""
            lines.append(f"  - {role}{describe(e, ctx)}")
            if e.newer is not None:
                lines.append(f"    - latest: {_reading(e.newer, ctx)}")
    if topic.patient_instructions:
        lines += ["", "---", "", patient_instructions(pack, outcome)]
    lines += ["", _source_line(label, findings)]
    return "\n".join(lines).strip()


def _medicine_roles(finding: Finding, ctx: CardContext) -> dict[str, str]:
    """For a finding that joins an order with a medicine the patient already takes (an
    opioid ordered beside a current benzodiazepine), which is which: "being ordered: " or
    "current medicine: "; nothing when its medicines are all of one kind (or the call has
    no draft order)."""
    if not ctx.draft_orders:
        return {}
    medicines = [e.rid for e in finding.evidence if e.kind == "medication"]
    drafts = {rid for rid in medicines if rid in ctx.draft_orders}
    if not drafts or len(drafts) == len(medicines):
        return {}
    return {rid: "being ordered: " if rid in drafts else "current medicine: " for rid in medicines}


def _source_line(label: str, findings: Sequence[Finding]) -> str:
    """The closing line: the pack's label, the rules that fired and the statements they cover."""
    if not findings:
        return f"_Source: {label}._"
    rules = []
    statements: set[str] = set()
    for f in findings:
        rules.append(f.rule_id)
        statements.update(f.covers)
    return (
        f"_Source: {label}; rules: {', '.join(rules)}; "
        f"sheet statements: {', '.join(sorted(statements))}._"
    )


def data_check_detail(
    pack: Pack, topic: Topic, findings: Sequence[Finding], ctx: CardContext
) -> str:
    """The data-check card: each item, what it is, and what to re-check.

    Findings of the topic's rules (unreadable or unverified readings) come first, each with
    the data issue the facts layer reported for the same record; then every other issue of the
    call (records that could not be read or used, prefetch keys that could not be retrieved).
    An item with its own re-check says it; the pack's general re-check closes the list once.
    """
    by_rid: dict[str, list[DataIssue]] = {}
    for issue in ctx.issues:
        by_rid.setdefault(issue.rid, []).append(issue)
    shown: set[int] = set()
    general = False  # some item has no re-check of its own
    lines = [_data_check_intro(topic, ctx), ""]
    others = sum(i.records for i in ctx.issues if i.other_patient)
    if others:  # the first thing to know: the chart sent may not be this patient's
        lines[:0] = [other_patient_line(others), ""]
    for finding in findings:
        lines.append(f"- **{finding.label}**")
        for e in finding.evidence:
            lines.append(f"  - {describe(e, ctx)}")
            same = by_rid.get(e.rid, [])
            shown.update(id(i) for i in same)
            problems = list(
                dict.fromkeys(quote(i.message, None) for i in same if i.message != e.note)
            )
            if problems:
                lines.append(f"    - problem: {'; '.join(problems)}")
            if e.newer is not None:
                lines.append(f"    - latest verified reading: {_reading(e.newer, ctx)}")
            recheck = next((i.recheck for i in same if i.recheck), None)
            if recheck:
                lines.append(f"    - re-check: {recheck}")
            general = general or not recheck
    for issue in ctx.issues:
        if id(issue) in shown:
            continue
        text, recheck = _issue_text(topic, issue, ctx)
        lines.append(f"- {text}")
        if recheck:  # the general re-check is about readings: not said for other items
            lines.append(f"  - re-check: {recheck}")
    if general and topic.recheck_text:
        lines += ["", f"Re-check: {topic.recheck_text.strip()}"]
    lines += ["", _source_line(pack.label, findings)]
    return "\n".join(lines).strip()


def _data_check_intro(topic: Topic, ctx: CardContext) -> str:
    """The intro, saying whether an emergency or urgent card of this call stands beside the
    items (raised from other data) or none was raised: "none was raised" beside one misleads."""
    intro = topic.detail_intro.strip()
    if "{raised}" not in intro:
        return intro
    raised = ctx.topics_shown & set(topic.raised_topics)
    note = topic.others_raised_note if raised else topic.none_raised_note
    return intro.replace("{raised}", (note or "").strip())


def other_patient_line(count: int) -> str:
    """The plain line that opens a data-check card holding another patient's records."""
    if count == 1:
        return (
            "**1 record belongs to another patient and was not used:** it names a patient "
            "other than the one this call is about."
        )
    return (
        f"**{count} records belong to another patient and were not used:** they name a "
        "patient other than the one this call is about."
    )


def _prefetch_key(issue: DataIssue) -> str | None:
    """The prefetch key an issue is about as a whole (rid ``prefetch.<key>``; the message
    says what happened to it); None for any other issue."""
    key = issue.rid.removeprefix("prefetch.")
    if key != issue.rid and key and re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return key
    return None


def _issue_text(topic: Topic, issue: DataIssue, ctx: CardContext) -> tuple[str, str | None]:
    """(what the item is, its own re-check or None) in the pack's words."""
    key = _prefetch_key(issue)
    if key is not None and topic.unavailable_text:
        text = topic.unavailable_text.format(
            key=key, reason=quote(issue.message, None), consequence=consequence(key)
        )
        own = topic.unavailable_recheck.format(key=key) if topic.unavailable_recheck else None
        return text, issue.recheck or own
    message = quote(_readable_units(issue.message), None)
    return f"{_record(issue.rid, ctx)}: {message}", issue.recheck


def _record(rid: str, ctx: CardContext) -> str:
    """A record named in words when the evidence says what it is: "Heart rate (Observation/hr1)"."""
    name = ctx.names.get(rid)
    return f"{quote(name)} ({quote(rid)})" if name else quote(place(rid))


_ENTRY_PATH = re.compile(r"(?:prefetch|context)\.([A-Za-z0-9_-]+)\.entry(?:\[(\d+)\])?")
_SELECTION = re.compile(r"context\.selections\[(\d+)\]")


def place(rid: str) -> str:
    """Where an item is, as a clinician reads it: ``prefetch.observations.entry[2]`` →
    "observations, entry 3" (counted from 1), never the internal path."""
    m = _ENTRY_PATH.fullmatch(rid)
    if m is None:
        selection = _SELECTION.fullmatch(rid)
        return f"selection {int(selection[1]) + 1}" if selection else rid
    return f"{m[1]}, entry {int(m[2]) + 1}" if m[2] is not None else f"{m[1]} entries"


def summary(pack: Pack, topic: Topic, findings: Sequence[Finding], ctx: CardContext) -> str:
    """The card summary: the most severe finding (pack rule order) with its value and age,
    and how many more there are; at most 139 characters."""
    if not topic.summary_template:
        return topic.summary
    headline, rest = _headline(pack, topic, findings, ctx)
    if headline is None:
        return topic.summary
    more = f" (+{rest} more)" if rest else ""
    text = topic.summary_template.format(finding=headline, more=more)
    if len(text) > SUMMARY_MAX:
        cut = len(headline) - (len(text) - SUMMARY_MAX) - 1
        if cut < 8:
            return topic.summary
        text = topic.summary_template.format(finding=headline[:cut].rstrip() + "…", more=more)
    return text


def _headline(
    pack: Pack, topic: Topic, findings: Sequence[Finding], ctx: CardContext
) -> tuple[str | None, int]:
    """The summary's finding phrase and the number of other items."""
    issues = list(ctx.issues) if topic.code == DATA_CHECK else []
    if not findings:
        if topic.other_patient_headline and any(i.other_patient for i in issues):
            return topic.other_patient_headline, len(issues) - 1
        if not issues or not topic.issue_headline:
            return None, 0
        key = _prefetch_key(issues[0])
        named = issues[0].headline  # the item's own words, when the layer that found it has them
        if named is not None:  # "Temp 39.5 °C dated 2026-11-29 08:00 UTC, 70 h after ..."
            return quote(_readable_units(named)), len(issues) - 1
        what = key or quote(ctx.names.get(issues[0].rid) or place(issues[0].rid))
        return topic.issue_headline.format(what=what), len(issues) - 1
    first = findings[0]
    rule = pack.rules.get(first.rule_id)
    label = (rule.summary_label if rule else None) or first.label
    parts = [label]
    shown = _headline_evidence(first)
    if shown is not None and rule is not None and rule.summary_names_record:
        parts = [f"{label}: {quote(shown.display)}"]  # "Unreadable vital sign: Heart rate"
    if shown is not None:
        if shown.value:
            parts.append(_value(shown.value))
        if shown.kind == "observation" or (
            shown.kind == "condition" and topic.summary_condition_age
        ):
            age = _age(shown.age_h)
            if age and _BARE_NUMBER.fullmatch(parts[-1]):  # "GCS 12, 1 h ago", a bare number
                parts[-1] += ","
            if age:
                parts.append(age)
        if shown.newer is not None and shown.newer.value:
            parts[-1] += f", latest {_value(shown.newer.value)}"
    rest = len(findings) - 1
    if topic.code == DATA_CHECK:
        covered = {e.rid for f in findings for e in f.evidence}
        rest += sum(1 for i in issues if i.rid not in covered)
    return " ".join(parts), rest


_BARE_NUMBER = re.compile(r"[-+]?[\d.]+")


def _readable_units(text: str) -> str:
    """A data issue's words with each value's UCUM code as a clinician writes it (39.5 °C)."""
    return re.sub(
        r"(\d) (\S+)", lambda m: f"{m.group(1)} {UNIT_WORDS.get(m.group(2), m.group(2))}", text
    )


def _headline_evidence(finding: Finding) -> Evidence | None:
    """The most recent dated reading or condition behind a finding (orders and medicines
    are what the card is about, not what it found)."""
    first = latest = None
    latest_age = 0.0
    for e in finding.evidence:  # one loop: every summary asks, and comprehensions cost calls
        if e.kind == "observation" or e.kind == "condition":
            if first is None:
                first = e
            if e.age_h is not None and (latest is None or e.age_h < latest_age):
                latest, latest_age = e, e.age_h
    return first if latest is None else latest


def value_text(value: str | None) -> str | None:
    """A recorded value for display: its UCUM unit code as a clinician writes the unit."""
    if not value:
        return value
    number, _, unit = value.rpartition(" ")
    if not number or unit not in UNIT_WORDS:
        return value
    return f"{number} {UNIT_WORDS[unit]}".rstrip()


def describe(e: Evidence, ctx: CardContext) -> str:
    """One line a clinician reads: what, value, when (site's zone, with its age), where from."""
    value = f", {_value(e.value)}" if e.value else ""
    # an age is the patient's now, not a timed record
    when = "" if e.kind == "patient" else f", {_when(e.time, e.age_h, ctx)}"
    # record text: inert in the card's Markdown, cut to length
    text = f"{quote(e.display)}{value}{when} ({quote_id(e.rid)})"
    return f"{text}; note: {quote(e.note, None)}" if e.note else text


def _reading(e: Evidence, ctx: CardContext) -> str:
    """A short reading: value and when ("88 /min at 14:02 EST (1 h ago)")."""
    what = _value(e.value) if e.value else quote(e.display)
    return f"{what} {_when(e.time, e.age_h, ctx)} ({quote_id(e.rid)})"


@lru_cache(maxsize=8192)
def _value(value: str) -> str:
    """A recorded value as a card shows it: units in words, quoted (remembered: readings
    repeat the same values)."""
    return quote(value_text(value) or value)


def _when(time: str | None, age_h: float | None, ctx: CardContext) -> str:
    """When, in the site's zone, with the age: "at 14:02 EST (1 h ago)"; today's readings
    show only the clock time, this year's the day too, older ones the full date."""
    if not time:
        return "time not recorded"
    age = _age(age_h)
    stamp = _stamp(time, ctx.tz, ctx.today)
    return f"{stamp} ({age})" if age else stamp


def _today(now: datetime | None, tz: tzinfo) -> date | None:
    return now.astimezone(tz).date() if now is not None else None


_TWO_DIGITS = tuple(f"{n:02d}" for n in range(60))
"""``f"{n:02d}"`` for a date's month and day, looked up: a format spec costs a third of a
card time's reading (every evidence time is new to the memo); so are the clock and this
year's days below."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CLOCKS = tuple(f"{h:02d}:{m:02d}" for h in range(24) for m in range(60))
"""Each minute of the day as a card shows it ("14:02"), by ``hour * 60 + minute``."""
_MONTH_DAYS = ((), *(tuple(f"{month} {day}, " for day in range(32)) for month in _MONTHS))
"""A day of this year as a card shows it before the clock ("Nov 24, "), by month and day."""


@lru_cache(maxsize=8192)
def _stamp(time: str, tz: tzinfo, today: date | None) -> str:
    """A recorded time in the site's zone (remembered: evidence repeats the same times)."""
    try:
        moment = parse_datetime(time)
    except ValueError:
        return f"at {quote(time)}"  # the record's own words; no time we could read
    if len(time) <= 10:  # a date without a time of day
        return f"on {moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    local = (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(tz)
    clock = _CLOCKS[local.hour * 60 + local.minute]
    if local.date() == today:
        stamp = clock
    elif today is not None and local.year == today.year:
        stamp = _MONTH_DAYS[local.month][local.day] + clock
    else:
        stamp = f"{local.year:04d}-{_TWO_DIGITS[local.month]}-{_TWO_DIGITS[local.day]} {clock}"
    zone = local.tzname()
    return f"at {stamp} {zone}" if zone else f"at {stamp}"


def _age(age_h: float | None) -> str:
    """How long ago, in the unit a clinician would say it, rounded to the nearest (a reading
    taken two hours ago is "2 h ago" whether it is seen a second before or after)."""
    if age_h is None:
        return ""
    if age_h < 1.0:  # from an hour on, the minutes round to 60 or more
        if age_h < -0.25:
            return "dated in the future"
        minutes = round(age_h * 60)
        if minutes < 1:
            return "just now"
        if minutes < 60:
            return f"{minutes} min ago"
    if age_h < 95.5:  # hours up to 4 days: a vital sign at 70 h is inside its 72 h window
        return _HOURS_AGO[round(age_h)]
    if age_h < 2 * 365 * 24:
        return _DAYS_AGO[round(age_h / 24)]
    return f"{round(age_h / (365.25 * 24))} y ago"


_HOURS_AGO = tuple(f"{n} h ago" for n in range(96))
_DAYS_AGO = tuple(f"{n} d ago" for n in range(731))
"""Ages in hours (under 95.5 h) and days (under two years) as said, looked up: every
evidence line and summary says one, and formatting the number cost most of ``_age``."""


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


def _missing_keys(issues: Sequence[DataIssue], keys: Sequence[str]) -> bool:
    """True when a data issue says one of these prefetch keys was not had in full."""
    wanted = {f"prefetch.{key}" for key in keys}
    return any(issue.rid in wanted for issue in issues)


def _targets(spec: SuggestionSpec, findings: list[Finding], ctx: CardContext) -> list[str]:
    """The draft orders among the findings' evidence that the suggestion acts on, once each."""
    targets = [
        e.rid
        for f in findings
        for e in f.evidence
        if e.rid in ctx.draft_orders
        and (not spec.only_valuesets or set(e.valuesets) & set(spec.only_valuesets))
    ]
    return list(dict.fromkeys(targets))


def _suggestion(
    spec: SuggestionSpec,
    findings: list[Finding],
    outcome: Outcome,
    pack: Pack,
    ctx: CardContext,
    critical: bool,
) -> Suggestion | None:
    if spec.unless_rules and outcome.fired(spec.unless_rules):
        return None
    if spec.needs_prefetch and _missing_keys(ctx.issues, spec.needs_prefetch):
        return None
    targets = _targets(spec, findings, ctx) if ctx.draft_orders else []
    actions: list[Action] = []
    if spec.action == "replace-draft-order":
        # One `update` per draft: the draft itself with its medicine replaced. Evidence, in
        # the official CDS Hooks Sandbox build (shared/cds-hooks/sandbox/build/app.bundle.js,
        # all on line 102; byte offsets): Rx View and Rx Sign dispatch {type: "TAKE_SUGGESTION",
        # suggestion} when a suggestion is taken (~3588655 and ~3596221; the constant at
        # ~1581607); the medicationState reducer (~3219072) walks the suggestion's actions in
        # order and *returns* on the first it can handle: a `delete` clears the prescription;
        # a `create` or `update` whose resource has medicationCodeableConcept.text and
        # .coding[0].code becomes the prescribed medicine. Our former delete + create applied
        # only the delete and left the patient with no pain-reliever order. An update of the
        # same id is valid CDS Hooks 2.0 (an update carries the resource, with its id) and is
        # what an EHR applies in place to a draft.
        for rid in targets:
            resource = replaced_order(spec, ctx.draft_orders[rid])
            if resource is None:
                continue
            new = spec.replacement_text or spec.label
            description = f"Change the draft order {rid} to {new}; set the new dose"
            actions.append(Action(type="update", description=description, resource=resource))
    elif spec.action == "delete-draft-orders":
        actions += [
            Action(type="delete", description=f"Remove the draft order {rid}", resourceId=rid)
            for rid in targets
        ]
    else:
        text = patient_instructions(pack, outcome) if spec.action == "create-instructions" else None
        resource = build_action_resource(spec, ctx.patient_id, ctx.encounter_id, text)
        actions.append(Action(type="create", description=spec.label, resource=resource))
    if not actions:
        return None
    return Suggestion(
        label=spec.label,
        uuid=ctx.new_uuid(),
        isRecommended=spec.is_recommended and not critical,
        actions=actions,
    )
