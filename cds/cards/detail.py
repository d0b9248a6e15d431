"""A card's detail: its findings with their evidence, or the data-check card's items, and the
closing source line."""

from __future__ import annotations

import re
from collections.abc import Container, Sequence

from cds.cards.context import CardContext, missing_keys
from cds.cards.evidence import describe, short_reading
from cds.cards.instructions import patient_instructions
from cds.cards.quote import quote
from cds.facts.model import DataIssue
from cds.facts.units import UNIT_WORDS
from cds.findings import Evidence, Finding, Outcome
from cds.hooks.keys import PrefetchKey
from cds.pack.load import Pack
from cds.pack.schema import Topic


def card_detail(
    pack: Pack,
    topic: Topic,
    findings: list[Finding],
    outcome: Outcome,
    ctx: CardContext,
    label: str,
    critical: bool = False,
) -> str:
    """A topic card's detail: its intro and notes (``critical_note`` when a critical card
    stands beside it), each finding with one line per piece of evidence, the patient
    instructions when the topic carries them, and the source line."""
    lines = [topic.detail_intro.strip(), ""]
    if topic.critical_note and critical:
        lines += [f"**{topic.critical_note.strip()}**", ""]
    if topic.incomplete_note and missing_keys(ctx.issues, topic.needs_prefetch):
        lines += [f"**{topic.incomplete_note.strip()}**", ""]
    if topic.caveat_note and (
        outcome.fired(topic.caveat_if_rules)
        or (topic.caveat_if_possible_signs and any(i.possible_sign for i in ctx.issues))
    ):
        lines += [f"**{topic.caveat_note.strip()}**", ""]
    for finding in findings:
        lines.append(f"- **{finding.label}**")
        roles = _medicine_roles(finding, ctx)
        shown, left = listed_evidence(finding.evidence, ctx.draft_orders)
        latest: set[tuple[object, ...]] = set()  # said once: sixty old rows share one latest
        for e in shown:
            role = roles.get(e.rid, "") if roles else ""
            lines.append(f"  - {role}{describe(e, ctx)}")
            if e.newer is not None and e.newer.reading not in latest:
                latest.add(e.newer.reading)
                lines.append(f"    - latest: {short_reading(e.newer, ctx)}")
        if left:
            lines.append(f"  - {older_records(left)}")
    if topic.patient_instructions:
        lines += ["", "---", "", patient_instructions(pack, outcome)]
    lines += ["", source_line(label, findings)]
    return "\n".join(lines).strip()


MOST_EVIDENCE = 10
"""Evidence lines a finding lists at most: a monitor's feed can send hundreds of abnormal
readings, and a card of a thousand lines is read by nobody (integrator review int24: 68 KB
for 500 heart rates). The most recent are listed, and every draft order; the rest counted."""


def listed_evidence(
    evidence: Sequence[Evidence], drafts: Container[str]
) -> tuple[list[Evidence], int]:
    """The evidence a finding lists, in its own order: every draft order and the most recent
    of the rest, ``MOST_EVIDENCE`` in all (more only when the drafts alone are more), and how
    many are left out."""
    if len(evidence) <= MOST_EVIDENCE:
        return list(evidence), 0
    ordered = [e for e in evidence if e.rid not in drafts]
    room = max(MOST_EVIDENCE - (len(evidence) - len(ordered)), 0)
    newest = sorted(ordered, key=_age)[:room]  # a record with no time: last
    kept = {id(e) for e in newest}
    shown = [e for e in evidence if e.rid in drafts or id(e) in kept]
    return shown, len(evidence) - len(shown)


def older_records(count: int) -> str:
    """The line that counts the evidence a finding does not list."""
    return f"and {count} older {'record' if count == 1 else 'records'} alike, not listed"


def _age(e: Evidence) -> float:
    return e.age_h if e.age_h is not None else float("inf")


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


def source_line(label: str, findings: Sequence[Finding]) -> str:
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
        listed, left = listed_evidence(finding.evidence, ctx.draft_orders)
        latest: set[tuple[object, ...]] = set()  # said once, as on the other cards
        if left:  # the records not listed are counted, not listed again among the others
            kept = {id(e) for e in listed}
            hidden = [e.rid for e in finding.evidence if id(e) not in kept]
            shown.update(id(i) for rid in hidden for i in by_rid.get(rid, []))
        for e in listed:
            lines.append(f"  - {describe(e, ctx)}")
            same = by_rid.get(e.rid, [])
            shown.update(id(i) for i in same)
            problems = list(
                dict.fromkeys(quote(i.message, None) for i in same if i.message != e.note)
            )
            if problems:
                lines.append(f"    - problem: {'; '.join(problems)}")
            if e.newer is not None and e.newer.reading not in latest:
                latest.add(e.newer.reading)
                lines.append(f"    - latest verified reading: {short_reading(e.newer, ctx)}")
            recheck = next((i.recheck for i in same if i.recheck), None)
            if recheck:
                lines.append(f"    - re-check: {recheck}")
            general = general or not recheck
        if left:
            lines.append(f"  - {older_records(left)}")
    for issue in ctx.issues:
        if id(issue) in shown:
            continue
        text, recheck = _issue_text(pack, topic, issue, ctx)
        lines.append(f"- {text}")
        if recheck:  # the general re-check is about readings: not said for other items
            lines.append(f"  - re-check: {recheck}")
    if general and topic.recheck_text:
        lines += ["", f"Re-check: {topic.recheck_text.strip()}"]
    lines += ["", source_line(pack.label, findings)]
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


def prefetch_key(issue: DataIssue) -> str | None:
    """The prefetch key an issue is about as a whole (rid ``prefetch.<key>``; the message
    says what happened to it); None for any other issue."""
    key = issue.rid.removeprefix("prefetch.")
    if key != issue.rid and key and re.fullmatch(r"[A-Za-z0-9_-]+", key):
        return key
    return None


def _issue_text(
    pack: Pack, topic: Topic, issue: DataIssue, ctx: CardContext
) -> tuple[str, str | None]:
    """(what the item is, its own re-check or None) in the pack's words."""
    key = prefetch_key(issue)
    if key is not None and topic.unavailable_text:
        text = topic.unavailable_text.format(
            key=key, reason=quote(issue.message, None), consequence=_consequence(pack, key)
        )
        own = topic.unavailable_recheck.format(key=key) if topic.unavailable_recheck else None
        return text, issue.recheck or own
    message = quote(readable_units(issue.message), None)
    return f"{_record(issue.rid, ctx)}: {message}", issue.recheck


def _consequence(pack: Pack, key: str) -> str:
    """What was not checked when the prefetch ``key`` could not be had, in the pack's words
    (``pack.prefetch``), else the engine's general ones."""
    words = pack.spec.pack.prefetch.get(key)
    return words.consequence if words is not None else PrefetchKey.consequence


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


def readable_units(text: str) -> str:
    """A data issue's words with each value's UCUM code as a clinician writes it (39.5 °C)."""
    return re.sub(r"(\d) (\S+)", _unit_word, text)


def _unit_word(m: re.Match[str]) -> str:
    """A number and its unit's word; the number alone for a unit with none ("{score}")."""
    word = UNIT_WORDS.get(m.group(2), m.group(2))
    return f"{m.group(1)} {word}" if word else m.group(1)
