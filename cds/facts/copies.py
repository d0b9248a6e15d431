"""What fact building returns (`Extraction`), and the reading of a record holding copies of
one resource id: which copy is newest, which were withdrawn, and the note each copy's facts
carry."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from cds.facts.concepts import (
    OBSERVATION_COUNTED,
    VERIFICATION_EXCLUDED,
    as_list,
    rid_of,
    status_code,
    status_text,
    words_of,
)
from cds.facts.model import DataIssue, Fact
from cds.facts.times import read_time
from cds.facts.timing import FactContext
from cds.fhir import Resource


@dataclass
class Extraction:
    facts: list[Fact] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)
    refuted: set[str] = field(default_factory=set)
    """Value sets of refuted or entered-in-error Conditions: their text-only facts go."""
    copies: dict[str, int] = field(default_factory=dict)
    """``Type/id`` → how many copies of it the record holds, for those sent more than once."""
    validated: set[str] = field(default_factory=set)
    """``Observation/id`` of copies sent more than once of which one is verified: their
    preliminary copies are superseded, not data to re-check."""
    newest: dict[str, Resource] = field(default_factory=dict)
    """``Type/id`` → its newest copy (meta.versionId when every copy has a number, else
    meta.lastUpdated), for ids sent more than once whose newest copy is known."""
    retracted: set[str] = field(default_factory=set)
    """``Type/id`` whose newest copy is entered-in-error or refuted: every copy is dropped."""
    disputed: set[str] = field(default_factory=set)
    """``Type/id`` of which a copy is entered-in-error or refuted, but the record does not say
    which copy is newer: the counting copies stay (contract), and their notes say so."""
    latest: dict[str, Fact] = field(default_factory=dict)
    """Value set → its latest reading: the most recent observation fact that is verified,
    readable and dated (the one not marked ``latest=False``); findings show it beside older
    ones."""


def copy_note(
    res: Resource, rid: str, out: Extraction, note: str | None, ctx: FactContext
) -> str | None:
    """Name the copy a fact came from when its resource id was sent more than once, and what
    the newer copy says when it says something else."""
    n = out.copies.get(rid)
    if n is None:
        return note
    status = res.get("status")
    if not isinstance(status, str):
        status = status_code(res.get("clinicalStatus")) or "not given"
    updated = _meta(res, "lastUpdated")
    copy = (
        f"one of {n} copies of {rid}: status {status}, "
        f"last updated {updated if isinstance(updated, str) else 'not given'}"
    )
    newest = out.newest.get(rid)
    if newest is not None and newest is not res:
        says, now_says = _says(res), _says(newest)
        if now_says and now_says != says:
            status = status_text(newest.get("status")) or (
                status_code(newest.get("clinicalStatus")) or "status not given"
            )
            when = _updated_text(newest, ctx)
            copy += f"; a newer copy ({status}{', ' + when if when else ''}) reads {now_says}"
    elif rid in out.disputed and not withdrawn(res):
        copy += (
            "; another copy is marked entered-in-error or refuted, and the record does not "
            "say which copy is newer"
        )
    return f"{note}; {copy}" if note else copy


def _updated_text(res: Resource, ctx: FactContext) -> str | None:
    """A record's meta.lastUpdated for display, in the site's zone when it can be read."""
    meta = res.get("meta")
    raw = meta.get("lastUpdated") if isinstance(meta, Mapping) else None
    if not isinstance(raw, str):
        return None
    read = read_time(raw, ctx.tz)
    return raw if read is None else read.at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M")


def _says(res: Resource) -> str:
    """What a record says, in a few words, to compare copies of it."""
    if res.get("resourceType") == "Condition":
        clinical = status_code(res.get("clinicalStatus")) or "status not given"
        return f"{words_of(res.get('code'))} ({clinical})"
    parts = [res, *(c for c in as_list(res.get("component")) if isinstance(c, dict))]
    said = [v for v in (value_text(p) for p in parts) if v]
    return "; ".join(said)


def value_text(part: Mapping[str, Any]) -> str:
    """An Observation's (or component's) value as recorded, in words."""
    qty = part.get("valueQuantity")
    if isinstance(qty, Mapping):
        unit = qty.get("unit") or qty.get("code") or ""
        return f"{qty.get('comparator') or ''}{qty.get('value')} {unit}".strip()
    if isinstance(part.get("valueCodeableConcept"), dict):
        return words_of(part.get("valueCodeableConcept"))
    for key in ("valueString", "valueInteger", "valueBoolean"):
        if key in part:
            return str(part.get(key))
    return ""


def newest_copies(recorded: list[Resource], copies: Mapping[str, int]) -> dict[str, Resource]:
    """The newest copy of each id sent more than once: by meta.versionId when every copy has a
    whole number, else by meta.lastUpdated when every copy has a readable one. Left out when
    neither orders the copies (or two tie): then no copy is newer than another."""
    groups: dict[str, list[Resource]] = {}
    for r in recorded:
        key = rid_of(r)
        if key in copies:
            groups.setdefault(key, []).append(r)
    newest: dict[str, Resource] = {}
    for key, group in groups.items():
        order: list[int] | None = None
        versions = [_meta(r, "versionId") for r in group]
        if all(isinstance(v, str) and v.strip().isdigit() for v in versions):
            order = [int(str(v)) for v in versions]
        else:
            stamps = [read_time(_meta(r, "lastUpdated"), UTC) for r in group]
            if all(t is not None for t in stamps):
                order = [t.epoch_us for t in stamps if t is not None]
        if order is None:
            continue
        best = max(order)
        if order.count(best) == 1:
            newest[key] = group[order.index(best)]
    return newest


def _meta(res: Resource, key: str) -> object:
    meta = res.get("meta")
    return meta.get(key) if isinstance(meta, Mapping) else None


def withdrawn(res: Resource) -> bool:
    """Is this (newest) copy entered-in-error or refuted? Then the record was withdrawn."""
    if res.get("resourceType") == "Observation":
        return status_text(res.get("status")) == "entered-in-error"
    if res.get("resourceType") == "Condition":
        return status_code(res.get("verificationStatus")) in VERIFICATION_EXCLUDED
    return False


def find_copies(recorded: list[Resource], out: Extraction) -> None:
    """Note in ``out`` the ids the record holds more than once (``Type/id``), and for those:
    which Observations have a verified copy, each id's newest copy, which ids that copy
    withdrew, and which have a withdrawn copy of unknown age."""
    counts: dict[str, int] = {}
    for r in recorded:
        some_id = r.get("id")
        if isinstance(some_id, str) and some_id:
            key = f"{r.get('resourceType')}/{some_id}"
            counts[key] = counts.get(key, 0) + 1
    out.copies = {key: n for key, n in counts.items() if n > 1}
    if not out.copies:
        return
    out.validated = {
        f"Observation/{r.get('id')}"
        for r in recorded
        if r.get("resourceType") == "Observation"
        and f"Observation/{r.get('id')}" in out.copies
        and status_text(r.get("status")) in OBSERVATION_COUNTED
    }
    out.newest = newest_copies(recorded, out.copies)
    out.retracted = {key for key, r in out.newest.items() if withdrawn(r)}
    out.disputed = {
        rid_of(r)
        for r in recorded
        if rid_of(r) in out.copies and rid_of(r) not in out.newest and withdrawn(r)
    }
