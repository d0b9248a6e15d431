"""FHIR R4 resources (plain dicts, as EHRs send them) → facts.

Pure: resources, the evaluation time and the pack's value sets in; facts and data issues out.
Which records count follows the contract ("What data counts"): statuses, look-back times,
units. A record that belongs to a value set but cannot be read is kept as an *unreadable*
fact with a note, so a danger sign is never dropped in silence.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, TypeVar

import orjson

from cds.errors import UnitError
from cds.facts import units
from cds.facts.bounds import COMPARATORS
from cds.facts.codes import normalize_code, normalize_system
from cds.facts.egfr import derived_egfr_facts
from cds.facts.model import DataIssue, Fact, FactKind
from cds.facts.times import (
    age_in_years,
    epoch_microseconds,
    first_moment_us,
    hours_from,
    read_time,
)
from cds.facts.units import NO_RULE, ReadingRule
from cds.facts.valuesets import RecordCoding, ValueSetIndex
from cds.fhir import Resource, medication_key

R = TypeVar("R", bound=Mapping[str, Any])

CONDITION_ACTIVE = {"active", "recurrence", "relapse"}
VERIFICATION_EXCLUDED = {"refuted", "entered-in-error"}
#: One of several candidate diagnoses being considered: uncertain, as "rule out" words are, so
#: never a current sign or symptom (an ``acute`` value set); it still counts for the others.
VERIFICATION_UNCERTAIN = "differential"
OBSERVATION_COUNTED = {"final", "amended", "corrected"}
OBSERVATION_UNVERIFIED = {"preliminary", "registered"}
"""Readings nobody has validated yet: kept as facts with ``verified=False``, so a danger sign
behind them reaches the data-check card instead of vanishing."""
ORDER_ACTIVE = {"active", "on-hold"}
STATEMENT_ACTIVE = {"active", "on-hold", "intended"}
NOT_MEASURED = frozenset(
    {
        "unknown",
        "asked-unknown",
        "temp-unknown",
        "not-asked",
        "asked-declined",
        "not-performed",
        "not-applicable",
    }
)
"""Data-absent reasons (FHIR's data-absent-reason codes) that say nothing was measured, or
nobody knows a value. Every other reason (error, not-a-number, masked, as-text, unsupported,
...) may hide a reading: it makes an unreadable fact."""
FUTURE_TOLERANCE_H = 1.0
"""A reading dated more than this after the evaluation time is a data error, not a sign."""
_TOLERANCE = timedelta(hours=FUTURE_TOLERANCE_H)
ORDER_REASON_RED_FLAG = "order_reason_red_flag"
"""The value set of a draft order's reason that names a red flag, affirmed or suspected
("r/o cauda equina", "concern for spinal epidural abscess"): what the order is FOR. It
supports the imaging, and is never a sign of the patient's (no emergency or urgent card)."""


@dataclass(frozen=True)
class FactContext:
    """Everything fact building needs besides the resources."""

    now: datetime
    index: ValueSetIndex
    canonical_units: Mapping[str, str | None]
    """Value set id → the unit its values are compared in (None: unitless or not numeric)."""
    site_tz: tzinfo = UTC
    """The site's zone: zone-less times in records are read in it (not in ``now``'s zone)."""
    now_us: int = field(init=False, repr=False, compare=False)
    now_utc: datetime = field(init=False, repr=False, compare=False)
    """``now`` in UTC (a fixed zone: subtracting a record's time from it is exact)."""
    tz: tzinfo = field(init=False, repr=False, compare=False)
    now_naive_utc: datetime = field(init=False, repr=False, compare=False)
    """``now_utc`` without its zone."""
    nows: dict[str, datetime] = field(init=False, repr=False, compare=False)
    """A zone suffix of `_OFFSETS` → ``now`` as a naive time in that zone (`_timing`)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "now_us", epoch_microseconds(self.now))
        object.__setattr__(self, "now_utc", self.now.astimezone(UTC))
        object.__setattr__(self, "now_naive_utc", self.now_utc.replace(tzinfo=None))
        # the zones records were seen to use so far (a copy first: another thread may add one)
        offsets = dict(_OFFSETS)
        nows = {suffix: self.now_naive_utc + offset for suffix, offset in offsets.items()}
        object.__setattr__(self, "nows", nows)
        object.__setattr__(self, "tz", self.site_tz)


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


def extract_facts(
    resources: Iterable[Resource], drafts: Iterable[Resource], ctx: FactContext
) -> Extraction:
    """Build the facts of one patient's record and of the hook's draft orders.

    Every reading counts: one fact per resource, panel component and copy (never merged by
    resource id: a final 80 and an amended 150 of one id are two readings, and the 150 is a
    sign)."""
    out = Extraction()
    recorded = list(resources)
    keys = [(r.get("resourceType"), r.get("id")) for r in recorded]
    lookup = _References(keys, recorded)
    try:
        repeated = len(set(keys)) < len(keys)
    except TypeError:  # an id that is a list or an object: junk, but the rest must be read
        repeated = True
    if repeated:  # rare: some id sent more than once
        counts: dict[str, int] = {}
        for rtype, some_id in keys:
            if isinstance(some_id, str) and some_id:
                counts[f"{rtype}/{some_id}"] = counts.get(f"{rtype}/{some_id}", 0) + 1
        out.copies = {key: n for key, n in counts.items() if n > 1}
    if out.copies:
        out.validated = {
            f"Observation/{r.get('id')}"
            for r in recorded
            if r.get("resourceType") == "Observation"
            and f"Observation/{r.get('id')}" in out.copies
            and _status_text(r.get("status")) in OBSERVATION_COUNTED
        }
        out.newest = _newest_copies(recorded, out.copies)
        out.retracted = {key for key, r in out.newest.items() if _withdrawn(r)}
        out.disputed = {
            _rid(r)
            for r in recorded
            if _rid(r) in out.copies and _rid(r) not in out.newest and _withdrawn(r)
        }
    handlers = _HANDLERS
    for (rtype, _), res in zip(keys, recorded, strict=True):  # _extract_one, inlined
        handler = handlers.get(rtype) if isinstance(rtype, str) else None
        if handler is None:
            continue
        try:
            handler(res, ctx, out, lookup, False)
        except Exception as exc:  # a malformed record is reported, never a crash
            out.issues.append(DataIssue(rid=_rid(res), message=f"record could not be read: {exc}"))
    for res in drafts:
        _extract_one(res, ctx, out, lookup, draft=True)
    facts = out.facts
    if out.refuted:
        facts = [f for f in facts if not (f.by_text and f.valueset in out.refuted)]
    patient = next((r for r in recorded if r.get("resourceType") == "Patient"), None)
    facts += derived_egfr_facts(facts, patient, ctx)  # creatinine without an eGFR: CKD-EPI 2021
    return Extraction(_mark_latest(facts), out.issues)


class _References(Mapping[str, Resource]):
    """The record's Medications and Conditions by reference (``Medication/<id>``), worked out
    on first use: only a medicine given by reference, an encounter's or an order's reasons
    look one up, and most records hold none of them."""

    def __init__(self, keys: list[tuple[Any, Any]], recorded: list[Resource]) -> None:
        self._keys, self._recorded = keys, recorded
        self._table: dict[str, Resource] | None = None

    def _built(self) -> dict[str, Resource]:
        if self._table is None:
            self._table = {
                f"{t}/{i}": r
                for (t, i), r in zip(self._keys, self._recorded, strict=True)
                if t == "Medication" or t == "Condition"
            }
        return self._table

    def __getitem__(self, key: str) -> Resource:
        return self._built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._built())

    def __len__(self) -> int:
        return len(self._built())


def _extract_one(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], *, draft: bool
) -> None:
    rtype = res.get("resourceType")
    handler = _HANDLERS.get(rtype) if isinstance(rtype, str) else None
    if handler is None:
        return
    try:
        handler(res, ctx, out, meds, draft)
    except Exception as exc:  # a malformed record is reported, never a crash
        out.issues.append(DataIssue(rid=_rid(res), message=f"record could not be read: {exc}"))


def _items(value: object) -> list[Any]:
    """A FHIR array as feeds send it: a list, a single object instead of a list, or junk."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def _rid(res: Resource) -> str:
    return f"{res.get('resourceType')}/{res.get('id', '?')}"


def _codings(concept: object) -> tuple[list[RecordCoding], str]:
    """The codings and text of a CodeableConcept, tolerating what feeds get wrong."""
    if not isinstance(concept, dict):
        return [], ""
    codings = [  # _items: a single coding is often sent as an object
        RecordCoding(
            str(c.get("system") or ""), str(c.get("code") or ""), str(c.get("display") or "")
        )
        for c in _items(concept.get("coding"))
        if isinstance(c, dict)
    ]
    text = concept.get("text")
    return codings, text if isinstance(text, str) else ""


def _words(concept: object) -> str:
    """What a concept says in words; its first code when it has no words."""
    codings, text = _codings(concept)
    return _words_of(codings, text)


def _words_of(codings: list[RecordCoding], text: str) -> str:
    named = text or next((c.display for c in codings if c.display), "")
    if named:
        return named
    coded = next((c for c in codings if c.code), None)
    if coded is None:
        return "unnamed record"
    system = normalize_system(coded.system)
    return f"code {normalize_code(system, coded.code)} ({system or 'no system'})"


def read_concept(concept: object, index: ValueSetIndex) -> tuple[tuple[str, ...], str]:
    """(value sets, words) of a concept."""
    matched, words = read_concept_detail(concept, index)
    return tuple(vs for vs, _ in matched), words


def read_concept_detail(
    concept: object, index: ValueSetIndex
) -> tuple[tuple[tuple[str, bool], ...], str]:
    """((value set, matched only by words), ...), words) of a concept. Records repeat the
    same concepts endlessly (every heart rate carries 8867-4), so the answer is remembered
    per pack, bounded, under the concept's JSON image."""
    key: bytes | None = None
    if isinstance(concept, dict):
        try:
            key = orjson.dumps(concept)
        except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits: read, not remembered
            key = None
    memo = index.concepts
    hit = memo.get(key) if key is not None else None
    if hit is None:
        codings, text = _codings(concept)
        detail = index.match_detail(codings, text)
        words = _words_of(codings, text)
        if detail and not text and not any(c.display for c in codings):  # a code alone
            words = index.display_of(codings) or words  # the pack's name for it
        hit = (tuple((vs, not detail[vs]) for vs in sorted(detail)), words)
        if key is not None:
            if len(memo) > 50_000:
                memo.clear()
            memo[key] = hit
    return hit


def _status_text(status: object) -> str | None:
    """A plain ``status`` code, as ``_status_code`` reads it (without building a concept)."""
    return (status.strip().lower() or None) if isinstance(status, str) else None


def _status_code(concept: object) -> str | None:
    """The first code of a status CodeableConcept (its words when it has none), lower case."""
    if not isinstance(concept, dict):
        return None
    for c in _items(concept.get("coding")):
        code = c.get("code") if isinstance(c, dict) else None
        if code:
            return str(code).strip().lower()
    text = concept.get("text")
    return (text.strip().lower() or None) if isinstance(text, str) else None


_NONE: frozenset[str] = frozenset()

Timing = tuple[str | None, float, bool, str | None, float]
"""(the time as recorded, hours before the evaluation time (never negative), known, note,
hours after the evaluation time of the earliest moment it can mean (0 if not)). A plain
tuple: one is read for every record (a named tuple cost more, bench/engine.py)."""
NO_TIME: Timing = (None, 0.0, False, None, 0.0)
_US_PER_HOUR = 3_600_000_000


_OFFSETS: dict[str, timedelta] = {}
"""What follows the seconds of a ``YYYY-MM-DDThh:mm:ss`` dateTime (``+04:00``, ``Z``) → its
UTC offset, for suffixes seen to mean exactly that offset (`_learn_offset`). Records use a
handful of zones, so `_timing` reads the rest of such a time as a naive one."""
_HOUR_HUNDREDTHS_US = 36_000_000
_FAST_HOURS_US = 360_000_000_000_000
"""Below 100,000 h, a double's rounding error in the hours is far smaller than the distance
of any non-tied microsecond count from a tie: `_hours` may round the integer instead."""


def _hours(us: int) -> float:
    """``round(us / _US_PER_HOUR, 2)``, the same float, mostly without ``round``'s decimal
    conversion: the nearest hundredth worked out on the integer (an exact tie, or a time
    further than 100,000 h, goes to ``round`` itself)."""
    if 0 <= us < _FAST_HOURS_US:
        hundredths, rest = divmod(us, _HOUR_HUNDREDTHS_US)
        if rest != 18_000_000:
            return (hundredths + (rest > 18_000_000)) / 100
    return round(us / _US_PER_HOUR, 2)


_FROM_ISO = datetime.fromisoformat
"""Looked up once: the class attribute costs as much again as the parse, on every record."""


def _learn_offset(raw: str, parsed: datetime) -> None:
    """Remember what ``raw``'s suffix means when ``raw`` is a ``YYYY-MM-DDThh:mm:ss`` time
    followed by nothing but its zone, as checked here (a bounded memo: zones are few)."""
    suffix = raw[19:]
    if len(raw) not in (20, 25) or raw[10] != "T" or suffix[:1] not in ("+", "-", "Z"):
        return
    offset = parsed.utcoffset()
    if offset is None or len(_OFFSETS) >= 256:
        return
    try:
        local = datetime.fromisoformat(raw[:19])
    except ValueError:
        return
    if local == parsed.replace(tzinfo=None):
        _OFFSETS[suffix] = offset


def _timing(res: Resource, ctx: FactContext, keys: tuple[str, ...]) -> Timing:
    """The recorded time of the first of ``keys`` present, read in the site's zone (a tuple
    given, not ``*keys``: packing the names anew for every record cost ~300 instructions)."""
    for key in keys:
        raw: object = res.get(key)
        if type(raw) is str:  # the common case: a "YYYY-MM-DDThh:mm:ss" and a zone known
            now_there = ctx.nows.get(raw[19:])
            if now_there is not None:
                try:
                    local: datetime | None = _FROM_ISO(raw[:19])
                except ValueError:
                    local = None
                if local is not None:
                    # the evaluation time as a naive time in the record's zone, minus the
                    # record's naive time: the exact span of the zoned subtraction of
                    # `_read_timing`, without its two utcoffset() calls; rounded as `_hours`
                    # does (inlined), a tie or a span out of its range left to it
                    span = now_there - local
                    us = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
                    hundredths, rest = divmod(us, _HOUR_HUNDREDTHS_US)
                    if 0 <= us < _FAST_HOURS_US and rest != 18_000_000:
                        return raw, (hundredths + (rest > 18_000_000)) / 100, True, None, 0.0
        elif isinstance(raw, dict):  # a Period: its start
            raw = raw.get("start")
        if raw is not None:
            return _read_timing(raw, ctx)
    return NO_TIME


def _read_timing(raw: object, ctx: FactContext) -> Timing:
    """`_timing` of one recorded time, in general: any zone, partial dates, junk."""
    if isinstance(raw, str) and len(raw) > 10:  # a zoned dateTime, most often
        try:
            parsed: datetime | None = datetime.fromisoformat(raw.strip())
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:  # read_time's reading
            span = ctx.now_utc - parsed  # exact: the same microseconds as hours_from's
            us = (span.days * 86_400 + span.seconds) * 1_000_000 + span.microseconds
            hours = _hours(us)
            suffix = raw[19:]
            if suffix not in ctx.nows:  # its zone perhaps not read yet: `_timing` may next
                _learn_offset(raw, parsed)
                offset = _OFFSETS.get(suffix)
                if offset is not None:
                    ctx.nows[suffix] = ctx.now_naive_utc + offset
            if hours >= 0.0:  # before the evaluation time
                return raw, hours, True, None, 0.0
    read = read_time(raw, ctx.tz)
    if read is None:
        return str(raw), 0.0, False, f"time '{raw}' could not be read; treated as current", 0.0
    hours = hours_from(read.epoch_us, ctx.now_us)
    if hours >= 0.0:  # the common case: a time before the evaluation time
        return str(raw), hours, True, read.note, 0.0
    ahead = 0.0
    if hours < -FUTURE_TOLERANCE_H:  # a partial date means its last moment: ask its first
        first = first_moment_us(raw, ctx.tz)
        ahead = -hours_from(first if first is not None else read.epoch_us, ctx.now_us)
    return str(raw), 0.0, True, read.note, ahead if ahead > 0.0 else 0.0


def _in_future(timing: Timing, rid: str, out: Extraction, ctx: FactContext, what: str) -> bool:
    """True (with a data issue naming the record: what, value, time) when a record is dated
    more than the tolerance after the evaluation time: a wrong clock or zone, not a sign."""
    when, _, _, _, ahead = timing
    if ahead <= FUTURE_TOLERANCE_H:
        return False
    read = read_time(when, ctx.tz)
    shown = when if read is None else read.at.astimezone(ctx.tz).strftime("%Y-%m-%d %H:%M %Z")
    hours = f"{ahead:.0f}" if ahead >= 10 else f"{ahead:.1f}".removesuffix(".0")
    headline = f"{what} dated {shown}, {hours} h after the evaluation time"
    out.issues.append(
        DataIssue(
            rid=rid,
            message=f"{headline}; check the device clock or time zone",
            recheck="the device clock or the time zone of the source system",
            headline=headline,
        )
    )
    return True


def _condition(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    given = res.get("verificationStatus")  # most conditions give none: no call to say so
    verification = _status_code(given) if given is not None else None
    if verification in VERIFICATION_EXCLUDED:
        # "not cauda equina": the same words elsewhere in the record are no sign either
        out.refuted.update(read_concept(res.get("code"), ctx.index)[0])
        return
    if out.retracted and _rid(res) in out.retracted:
        return  # its newest copy withdrew it (entered in error, refuted)
    clinical = _status_code(res.get("clinicalStatus"))
    matched, display = read_concept_detail(res.get("code"), ctx.index)
    if clinical is not None and clinical not in CONDITION_ACTIVE:
        # resolved or inactive: only what counts when past (a GI bleed), else nothing at all
        matched = tuple(m for m in matched if m[0] in ctx.index.counts_resolved)
        if not matched:
            return
    if verification == VERIFICATION_UNCERTAIN:  # only being considered: not a sign
        acute = ctx.index.acute
        matched = tuple((vs, by_text) for vs, by_text in matched if vs not in acute)
    # the time even of a condition in no value set: dated in the future, it is a data error
    # (most of a record's conditions are in no value set: a plainly past time is not read)
    if not matched and _plainly_past(res.get("onsetDateTime"), ctx):
        return
    timing = _timing(res, ctx, _ONSET)
    if timing[4] > FUTURE_TOLERANCE_H and _in_future(
        timing, _rid(res), out, ctx, _words(res.get("code"))
    ):
        return
    if matched:
        when, age, known, note, _ = timing
        if out.copies:
            note = _copy_note(res, _rid(res), out, note, ctx)
        _matched_facts(matched, display, "condition", _rid(res), out, when, age, known, note, False)


def _plainly_past(raw: object, ctx: FactContext) -> bool:
    """Whether a recorded time is plainly no later than the tolerance after the evaluation
    time (`_in_future` would say nothing): a ``YYYY-MM-DDThh:mm:ss`` in a zone `_timing`
    knows, compared without working out the hours. False when that cannot be told so."""
    if type(raw) is str:
        now_there = ctx.nows.get(raw[19:])
        if now_there is not None:
            try:
                return _FROM_ISO(raw[:19]) - now_there <= _TOLERANCE
            except ValueError:
                return False
    return False


_ONSET = ("onsetDateTime", "onsetPeriod", "recordedDate")
_EFFECTIVE = ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued")


def _copy_note(
    res: Resource, rid: str, out: Extraction, note: str | None, ctx: FactContext
) -> str | None:
    """Name the copy a fact came from when its resource id was sent more than once, and what
    the newer copy says when it says something else."""
    n = out.copies.get(rid)
    if n is None:
        return note
    status = res.get("status")
    if not isinstance(status, str):
        status = _status_code(res.get("clinicalStatus")) or "not given"
    updated = _meta(res, "lastUpdated")
    copy = (
        f"one of {n} copies of {rid}: status {status}, "
        f"last updated {updated if isinstance(updated, str) else 'not given'}"
    )
    newest = out.newest.get(rid)
    if newest is not None and newest is not res:
        says, now_says = _says(res), _says(newest)
        if now_says and now_says != says:
            status = _status_text(newest.get("status")) or (
                _status_code(newest.get("clinicalStatus")) or "status not given"
            )
            when = _updated_text(newest, ctx)
            copy += f"; a newer copy ({status}{', ' + when if when else ''}) reads {now_says}"
    elif rid in out.disputed and not _withdrawn(res):
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
        clinical = _status_code(res.get("clinicalStatus")) or "status not given"
        return f"{_words(res.get('code'))} ({clinical})"
    parts = [res, *(c for c in _items(res.get("component")) if isinstance(c, dict))]
    said = [v for v in (_value_text(p) for p in parts) if v]
    return "; ".join(said)


def _value_text(part: Mapping[str, Any]) -> str:
    """An Observation's (or component's) value as recorded, in words."""
    qty = part.get("valueQuantity")
    if isinstance(qty, Mapping):
        unit = qty.get("unit") or qty.get("code") or ""
        return f"{qty.get('comparator') or ''}{qty.get('value')} {unit}".strip()
    if isinstance(part.get("valueCodeableConcept"), dict):
        return _words(part.get("valueCodeableConcept"))
    for key in ("valueString", "valueInteger", "valueBoolean"):
        if key in part:
            return str(part.get(key))
    return ""


def _newest_copies(recorded: list[Resource], copies: Mapping[str, int]) -> dict[str, Resource]:
    """The newest copy of each id sent more than once: by meta.versionId when every copy has a
    whole number, else by meta.lastUpdated when every copy has a readable one. Left out when
    neither orders the copies (or two tie): then no copy is newer than another."""
    groups: dict[str, list[Resource]] = {}
    for r in recorded:
        key = _rid(r)
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


def _withdrawn(res: Resource) -> bool:
    """Is this (newest) copy entered-in-error or refuted? Then the record was withdrawn."""
    if res.get("resourceType") == "Observation":
        return _status_text(res.get("status")) == "entered-in-error"
    if res.get("resourceType") == "Condition":
        return _status_code(res.get("verificationStatus")) in VERIFICATION_EXCLUDED
    return False


def _concept_facts(
    concept: object,
    kind: FactKind,
    rid: str,
    ctx: FactContext,
    out: Extraction,
    when: str | None,
    age: float,
    known: bool,
    note: str | None,
    *,
    draft: bool = False,
) -> None:
    matched, display = read_concept_detail(concept, ctx.index)
    _matched_facts(matched, display, kind, rid, out, when, age, known, note, draft)


def _dated_concept_facts(
    concept: object,
    kind: FactKind,
    res: Resource,
    ctx: FactContext,
    out: Extraction,
    keys: tuple[str, ...],
    *,
    draft: bool = False,
) -> None:
    """`_concept_facts` at the time of the first of ``keys`` the record has, that time read
    only when the concept is in some value set (most of a record's medicines and orders are
    in none: their times, and their references, are not worth working out)."""
    matched, display = read_concept_detail(concept, ctx.index)
    if matched:
        when, age, known, note, _ = _timing(res, ctx, keys)
        _matched_facts(matched, display, kind, _rid(res), out, when, age, known, note, draft)


def _matched_facts(
    matched: tuple[tuple[str, bool], ...],
    display: str,
    kind: FactKind,
    rid: str,
    out: Extraction,
    when: str | None,
    age: float,
    known: bool,
    note: str | None,
    draft: bool,
) -> None:
    """One fact per value set a concept matched (``read_concept_detail``'s answer)."""
    for vs, by_text in matched:
        # positional, in Fact's field order: keywords cost 3x as much, on every fact
        out.facts.append(
            Fact(
                kind,  # kind
                vs,  # valueset
                rid,  # rid
                display,  # display
                None,  # value
                None,  # unit
                None,  # source_value
                when,  # time
                age,  # age_h
                known,  # time_known
                True,  # latest
                True,  # understood
                draft,  # draft
                note,  # note
                True,  # verified
                by_text,  # by_text
            )
        )


def _observation(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    """An Observation, and each of its components (a vital-signs panel may carry the heart
    rate or temperature as a component rather than as an Observation of its own): one fact
    per reading. A coded value (an ACVPU level of 'Voice') also makes a fact of the value
    sets the value belongs to."""
    if out.copies or not _plain_observation(res, ctx, out):
        _any_observation(res, ctx, out)


def _plain_observation(res: Resource, ctx: FactContext, out: Extraction) -> bool:
    """Read the Observation most feeds send, and say True: final, its code one concept, its
    value a Quantity, no component and no coded value (in a record without copies: the
    caller checks). Any other, or one dated in the future, is left untouched (False) for
    `_any_observation`, whose reading this is with every branch the plain shape cannot take
    left out: about half the work of an Observation (bench/engine.py)."""
    if res.get("status") != "final" or "component" in res or "valueCodeableConcept" in res:
        return False
    code = res.get("code")
    if code.__class__ is not dict:
        return False
    index = ctx.index
    try:  # read_concept_detail's memo, looked up here: nearly every concept is in it
        hit = index.concepts.get(orjson.dumps(code))
    except orjson.JSONEncodeError:
        hit = None
    matched, display = hit or read_concept_detail(code, index)
    if not matched:
        return True  # in no value set: nothing to read (most of a record's lab results)
    qty = res.get("valueQuantity")
    if qty.__class__ is not dict:
        return False
    timing = _timing(res, ctx, _EFFECTIVE)
    if timing[4] > FUTURE_TOLERANCE_H:
        return False  # a data issue, said by the general reader
    when, age, known, note, _ = timing
    rid = f"Observation/{res.get('id', '?')}"  # _rid, inlined (its type is known)
    canonical_units, comparator = ctx.canonical_units, qty.get("comparator")
    quantities, image = index.quantities, _image(qty)
    for vs, by_text in matched:
        canonical = canonical_units.get(vs)
        if canonical is None:  # not numeric: `_reading` of a part without a coded value
            value, unit, source, problem = None, None, None, None
        else:  # `_plain_quantity`'s memo first (no image: never remembered, so a miss)
            reading = quantities.get((vs, canonical, image))  # type: ignore[arg-type]
            if reading is None:
                reading = _plain_quantity(qty, image, vs, canonical, ctx)
            value, unit, source, problem = reading
        if problem:
            out.issues.append(
                DataIssue(rid=rid, message=problem, recheck="the reading and its unit")
            )
        bound = (  # as `_any_observation` reads it: a comparator understood, else none
            comparator
            if problem is None and isinstance(comparator, str) and comparator in COMPARATORS
            else None
        )
        out.facts.append(
            Fact(  # positional, in Fact's field order (see _concept_facts)
                "observation",  # kind
                vs,  # valueset
                rid,  # rid
                display,  # display
                value,  # value
                unit,  # unit
                source,  # source_value
                when,  # time
                age,  # age_h
                known,  # time_known
                True,  # latest
                problem is None,  # understood
                False,  # draft
                f"{note}; {problem}" if note and problem else note or problem,  # note
                True,  # verified
                by_text,  # by_text
                bound,  # bound: a comparator (cds.facts.bounds reads it)
            )
        )
    return True


def _image(qty: Mapping[str, Any]) -> bytes | None:
    """A Quantity's JSON image, the key it is remembered under (None: not remembered)."""
    try:
        return orjson.dumps(qty)
    except orjson.JSONEncodeError:  # e.g. an integer beyond 64 bits
        return None


def _plain_quantity(
    qty: Mapping[str, Any], image: bytes | None, vs: str, canonical: str, ctx: FactContext
) -> Reading:
    """`_quantity_value` of a value set's reading, remembered per pack under the Quantity's
    JSON image (its value's type included: 1, 1.0 and true read differently): a third of the
    cost of the call, whose cache hashes the value set's whole reading rule every time."""
    memo = ctx.index.quantities
    key = (vs, canonical, image) if image is not None else None
    reading = memo.get(key) if key is not None else None
    if reading is None:
        reading = _quantity_value(qty, canonical, ctx.index.readings.get(vs, NO_RULE))
        if key is not None:
            if len(memo) > 50_000:
                memo.clear()
            memo[key] = reading
    return reading


def _any_observation(res: Resource, ctx: FactContext, out: Extraction) -> None:
    """`_observation` of any shape: statuses, components, coded values, copies."""
    if out.retracted and _rid(res) in out.retracted:
        return  # its newest copy is entered-in-error: every copy of it is withdrawn
    status = res.get("status")
    shape: str | None = None  # what is malformed in the record, said on its facts
    if status == "final":  # the common case, as _status_text reads it
        verified = True
    else:
        status = status.strip().lower() if isinstance(status, str) else ""
        if status in OBSERVATION_COUNTED:
            verified = True
        elif status in OBSERVATION_UNVERIFIED or not status:
            verified = False  # no status (absent, null, not a code): nobody said it is final
            if out.validated and _rid(res) in out.validated:
                return  # a verified copy of the same reading supersedes it
            if not status:
                shape = NO_STATUS_NOTE
        else:
            return
    readings, canonical_units = ctx.index.readings, ctx.canonical_units
    components = res.get("component")
    parts = [res, *(c for c in _items(components) if isinstance(c, dict))] if components else (res,)
    timing: Timing | None = None
    rid = ""
    start = 0
    container: Set[str] = _NONE
    """Value sets of the resource's own code when it carries no value of its own but has
    components: a panel's heading, not a reading."""
    for n, part in enumerate(parts):
        code, trusted, malformed = part.get("code"), verified, shape
        if code.__class__ is list:  # a CodeableConcept sent as an array: read, not trusted
            code, trusted, malformed = _listed_concept(code), False, LISTED_CODE_NOTE
        matched, display = read_concept_detail(code, ctx.index)
        value_concept = part.get("valueCodeableConcept")
        valued: tuple[tuple[str, bool], ...] = ()
        if value_concept is not None and isinstance(value_concept, dict):
            valued, value_words = read_concept_detail(value_concept, ctx.index)
            own = {vs for vs, _ in matched}
            valued = tuple((vs, t) for vs, t in valued if vs not in own)
        if not matched and not valued:
            continue
        if timing is None:  # read once, and only for observations we care about
            timing = _timing(res, ctx, _EFFECTIVE)
            rid = f"Observation/{res.get('id', '?')}"  # _rid, inlined (its type is known)
            if timing[4] > FUTURE_TOLERANCE_H and _in_future(
                timing, rid, out, ctx, _future_what(res, display)
            ):
                return
        when, age, known, note, _ = timing
        if out.copies:
            note = _copy_note(res, rid, out, note, ctx)
        if malformed is not None:
            note = f"{note}; {malformed}" if note else malformed
        if n == 0 and components and not _has_value(part):
            container = {vs for vs, _ in matched}
            start = len(out.facts)
        qty = part.get("valueQuantity")
        quantity: Mapping[str, Any] | None = qty if isinstance(qty, dict) else None
        for vs, by_text in matched:
            rule = readings.get(vs, NO_RULE)
            canonical = canonical_units.get(vs)
            if quantity is not None and canonical is not None:  # _reading's common case
                reading: Reading | None = _quantity_value(quantity, canonical, rule)
            else:
                reading = _reading(part, canonical, rule)
            if reading is None:
                continue
            value, unit, source, problem = reading
            bound = quantity.get("comparator") if quantity is not None and problem is None else None
            if bound is not None and not (isinstance(bound, str) and bound in COMPARATORS):
                bound = None  # not a str: read as no comparator, as _quantity_value does
            if problem and not (n == 0 and vs in container):
                out.issues.append(
                    DataIssue(rid=rid, message=problem, recheck="the reading and its unit")
                )
            out.facts.append(
                Fact(  # positional, in Fact's field order (see _concept_facts)
                    "observation",  # kind
                    vs,  # valueset
                    rid,  # rid
                    display,  # display
                    value,  # value
                    unit,  # unit
                    source,  # source_value
                    when,  # time
                    age,  # age_h
                    known,  # time_known
                    True,  # latest
                    problem is None,  # understood
                    False,  # draft
                    f"{note}; {problem}" if note and problem else note or problem,  # note
                    trusted,  # verified
                    by_text,  # by_text
                    bound,  # bound: a comparator (cds.facts.bounds reads it)
                )
            )
        for vs, by_text in valued:
            answer = Fact(
                kind="observation",
                valueset=vs,
                rid=rid,
                display=f"{display}: {value_words}",
                source_value=value_words,
                time=when,
                age_h=age,
                time_known=known,
                note=note,
                verified=trusted,
                by_text=by_text,
            )
            out.facts.append(answer)
            if ctx.canonical_units.get(vs) is None:
                # a symptom or diagnosis as an answer (chief complaint: Syncope): a condition
                # too, so the symptom rules (which read conditions) see it
                out.facts.append(replace(answer, kind="condition", source_value=None))
    if container:  # the heading's "no value" goes when a component gave a reading of its kind
        given = {f.valueset for f in out.facts[start:] if f.understood}
        out.facts[start:] = [
            f
            for f in out.facts[start:]
            if not (
                f.valueset in container
                and f.valueset in given
                and f.value is None
                and not f.understood
                and f.source_value is None
            )
        ]


NO_STATUS_NOTE = "the record gives no status; read as not yet verified"
LISTED_CODE_NOTE = "its code was sent as a list, not as one code; read as not yet verified"


def _listed_concept(concepts: list[Any]) -> dict[str, Any]:
    """Several CodeableConcepts sent where FHIR has one: one concept of all their codings
    and the first text, so a danger sign behind it reaches the data-check card."""
    codings = [c for item in concepts if isinstance(item, dict) for c in _items(item.get("coding"))]
    text = next(
        (
            t
            for item in concepts
            if isinstance(item, dict) and isinstance(t := item.get("text"), str)
        ),
        None,
    )
    return {"coding": codings, "text": text} if text else {"coding": codings}


def _future_what(res: Resource, display: str) -> str:
    """What a future-dated Observation says: its name and value as recorded."""
    value = _value_text(res)
    return f"{display} {value}" if value else display


def _has_value(part: Resource) -> bool:
    return "dataAbsentReason" in part or any(k.startswith("value") for k in part)


Reading = tuple[float | None, str | None, str | None, str | None]


def _reading(part: Resource, canonical: str | None, rule: ReadingRule) -> Reading | None:
    """(value, unit, as recorded, problem) of an Observation or component; None when the
    source says plainly that nothing was measured (not done, not asked, declined, unknown)."""
    qty = part.get("valueQuantity")
    if canonical is not None and isinstance(qty, dict):  # the common case, read directly
        return _quantity_value(qty, canonical, rule)
    absent = part.get("dataAbsentReason")
    if canonical is not None and absent is not None and "valueQuantity" not in part:
        reason = _status_code(absent)
        if reason in NOT_MEASURED:
            return None
        # measured, perhaps, but not given to us (error, not-a-number, masked, ...): an
        # unreadable reading, so a danger sign behind it is said, not dropped
        return None, None, None, f"no value: data absent ({reason or 'no reason given'})"
    return _observation_value(part, canonical, rule)


def _observation_value(res: Resource, canonical: str | None, rule: ReadingRule) -> Reading:
    """(value in canonical unit, unit, as recorded, problem) of an Observation."""
    if canonical is None:
        concept = res.get("valueCodeableConcept")
        return None, None, _words(concept) if concept else None, None
    qty = res.get("valueQuantity")
    if isinstance(qty, dict):
        return _quantity_value(qty, canonical, rule)
    integer = res.get("valueInteger")
    if isinstance(integer, int) and not isinstance(integer, bool):
        return _quantity(integer, None, None, None, canonical, rule)
    text = res.get("valueString")
    if isinstance(text, str):
        split = units.split_value_text(text)
        if split is not None and split[1] is not None:  # text without a unit stays unread
            number, unit = split
            value, unit_out, _, problem = _quantity(str(number), unit, None, None, canonical, rule)
            if problem is None:
                return value, unit_out, text, None
        elif split is not None:  # a bare number: which unit it is in cannot be told
            return (
                None,
                None,
                text,
                f"value '{text}' is a number without a unit ({canonical} expected)",
            )
        return None, None, text, f"value '{text}' is not a number in {canonical}"
    if "valueCodeableConcept" in res or "valueInteger" in res:
        shown = (
            _words(res.get("valueCodeableConcept"))
            if "valueCodeableConcept" in res
            else (str(res.get("valueInteger")))
        )
        return None, None, shown, f"value '{shown}' is not a number in {canonical}"
    return None, None, None, "no value recorded"


_CONTAINERS = (list, dict)
"""A Quantity's value that is a JSON array or object (a tuple: ``list | dict`` would build a
union type on every reading)."""


def _quantity_value(qty: Mapping[str, Any], canonical: str, rule: ReadingRule) -> Reading:
    raw_value, unit, code = qty.get("value"), qty.get("unit"), qty.get("code")
    comparator = qty.get("comparator")
    if isinstance(raw_value, _CONTAINERS):
        raw_value = str(raw_value)
    return _quantity(
        raw_value,
        unit if isinstance(unit, str) else None,
        code if isinstance(code, str) else None,
        comparator if isinstance(comparator, str) else None,
        canonical,
        rule,
    )


@lru_cache(maxsize=65_536, typed=True)  # typed: True must not share 1's answer
def _quantity(
    raw_value: object,
    unit: str | None,
    code: str | None,
    comparator: str | None,
    canonical: str,
    rule: ReadingRule,
) -> Reading:
    """A Quantity read, converted and checked against what a living patient can show; pure,
    so remembered (feeds repeat values and units)."""
    source = f"{raw_value} {unit or code or ''}".strip()
    if comparator and comparator not in COMPARATORS:
        return None, None, source, f"value {comparator}{source} has a comparator not understood"
    try:
        number = units.parse_decimal(raw_value)
        found: str | None
        shown = source  # what the evidence shows: the reading as it was read
        if rule.fraction_as_percent and units.is_ratio_unit(unit, code) and 0 <= number <= 1:
            number, found = number * 100, canonical  # SpO2 0.97 ("1", "{ratio}") is 97 %
            shown = f"{units.to_number(number):g} {canonical} (sent as {raw_value})"
        else:
            found = units.canonical_unit(unit, code)
        if found is None and not unit and not code and rule.by_range:
            found = units.unit_by_range(rule, number)  # 101.5 can only be °F, 38.6 only °C
            if found is not None:
                said = units.UNIT_WORDS.get(found, found)
                shown = f"{raw_value} {said} (sent without a unit)"
        if found is None:
            if not rule.unit_implied:
                return None, None, source, f"value {source} has no unit"
            found = canonical  # a heart rate of 150 is 150 /min, whatever else it lacks
            if not unit and not code:
                shown = f"{raw_value} {canonical}".strip()
        converted = units.convert(number, found, canonical)
        odd = units.implausible(rule, converted, canonical)
        if odd is not None:
            return None, None, source, f"value {source} cannot be right: {odd}"
        value = units.to_number(converted)
    except UnitError as exc:
        return None, None, source, f"value {source} could not be read: {exc.message}"
    return value, canonical, f"{comparator}{shown}" if comparator else shown, None


def medication_lookup(resources: Iterable[R]) -> dict[str, R]:
    """The Medications among the resources, by their ``Medication/<id>`` reference."""
    return {
        f"Medication/{r.get('id')}": r for r in resources if r.get("resourceType") == "Medication"
    }


def medication_concept(res: Resource, meds: Mapping[str, Resource]) -> object:
    """The drug concept of a medication order or statement: its own, or that of the Medication
    it references (contained, or in ``meds``), or the reference's display as text."""
    if "medicationCodeableConcept" in res:
        return res.get("medicationCodeableConcept")
    ref = res.get("medicationReference")
    target = ref.get("reference") if isinstance(ref, Mapping) else None
    if not isinstance(target, str):
        return None
    if target.startswith("#"):
        for contained in _items(res.get("contained")):
            if isinstance(contained, Mapping) and contained.get("id") == target[1:]:
                return contained.get("code")
        return None
    med = meds.get(medication_key(target))
    if med is None and isinstance(ref, Mapping):
        return {"text": ref.get("display")} if ref.get("display") else None
    return med.get("code") if med is not None else None


_AUTHORED = ("authoredOn",)
_STATED = ("effectiveDateTime", "effectivePeriod", "dateAsserted")
_ORDERED = ("authoredOn", "occurrenceDateTime")


def _medication_request(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    status = _status_text(res.get("status"))
    if not draft and status not in ORDER_ACTIVE:
        return
    concept = medication_concept(res, meds)
    if draft and _unnamed(concept):  # its caution (an NSAID in kidney disease) must not vanish
        out.issues.append(
            DataIssue(
                rid=_rid(res),
                message="draft order for a medicine that has no code and no name; not checked",
                recheck="which medicine the order is for, and its cautions",
            )
        )
    elif draft and (code := _code_only_unknown(concept, ctx)) is not None:
        out.issues.append(  # a product code no list holds, and no words to read: say so
            DataIssue(
                rid=_rid(res),
                message=(
                    f"draft order for a medicine known only by its code ({code}), which the "
                    "pack's medicine lists do not hold; its cautions were not checked"
                ),
                recheck="which medicine the order is for, and its cautions",
            )
        )
    _dated_concept_facts(concept, "medication", res, ctx, out, _AUTHORED, draft=draft)
    if draft:
        _reasons(res, ctx, out, meds)


def _code_only_unknown(concept: object, ctx: FactContext) -> str | None:
    """The first code of a medicine concept that has codes but no words at all and is in no
    value set (an RxNorm product code no list holds); None otherwise."""
    codings, text = _codings(concept)
    if text or not codings or any(c.display for c in codings):
        return None
    coded = next((c for c in codings if c.code), None)
    if coded is None or read_concept(concept, ctx.index)[0]:
        return None
    system = normalize_system(coded.system)
    return f"{normalize_code(system, coded.code)}, {system or 'no system'}"


def _unnamed(concept: object) -> bool:
    """A medicine concept that says nothing: absent, null, or no code and no words."""
    codings, text = _codings(concept)
    return not text and not any(c.code or c.display for c in codings)


def _medication_statement(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    if _status_text(res.get("status")) not in STATEMENT_ACTIVE:
        return
    concept = medication_concept(res, meds)
    _dated_concept_facts(concept, "medication", res, ctx, out, _STATED)


def _service_request(
    res: Resource, ctx: FactContext, out: Extraction, meds: Mapping[str, Resource], draft: bool
) -> None:
    status = _status_text(res.get("status"))
    if not draft and status not in ORDER_ACTIVE:
        return
    _dated_concept_facts(res.get("code"), "order", res, ctx, out, _ORDERED, draft=draft)
    if draft:
        _reasons(res, ctx, out, meds)


def _reasons(
    res: Resource, ctx: FactContext, out: Extraction, refs: Mapping[str, Resource]
) -> None:
    """A draft order's reasons count as diagnoses (the contract's scope). A reason naming a
    red flag, affirmed or only suspected ("r/o cauda equina"), also says what the order is
    for: an ``order_reason_red_flag`` fact, which supports imaging and raises no sign."""
    rid = _rid(res)
    for concept in _items(res.get("reasonCode")):
        _concept_facts(concept, "condition", rid, ctx, out, None, 0.0, False, None)
        codings, text = _codings(concept)
        _order_reason(ctx.index.match_suspected(codings, text), _words(concept), rid, out, ctx)
    _referenced_displays(res.get("reasonReference"), res, ctx, out, refs, NO_TIME)
    for ref in _items(res.get("reasonReference")):
        display = ref.get("display") if isinstance(ref, Mapping) else None
        if isinstance(display, str) and display.strip():
            _order_reason(ctx.index.match_suspected([], display), display, rid, out, ctx)


def _order_reason(
    matched: set[str], words: str, rid: str, out: Extraction, ctx: FactContext
) -> None:
    if not matched.isdisjoint(ctx.index.order_reason):
        out.facts.append(
            Fact(
                kind="condition",
                valueset=ORDER_REASON_RED_FLAG,
                rid=rid,
                display=words,
                time=None,
                age_h=0.0,
                time_known=False,
                draft=True,
                note="what the order is for (named or suspected), not a sign found",
            )
        )


def _referenced_displays(
    refs_given: object,
    res: Resource,
    ctx: FactContext,
    out: Extraction,
    refs: Mapping[str, Resource],
    timing: Timing,
) -> None:
    """References to Conditions the record does not hold, given with a display only: read as
    text-only conditions (``by_text``). A reference the record resolves is left to the
    Condition itself (its status decides)."""
    for ref in _items(refs_given):
        if not isinstance(ref, Mapping):
            continue
        target = ref.get("reference")
        if isinstance(target, str) and _resolved(target, refs):
            continue
        display = ref.get("display")
        if isinstance(display, str) and display.strip():
            when, age, known, note, _ = timing
            concept = {"text": display}  # words only: every match is by_text
            _concept_facts(concept, "condition", _rid(res), ctx, out, when, age, known, note)


def _resolved(target: str, refs: Mapping[str, Resource]) -> bool:
    key = target.split("/_history")[0]
    if "Condition/" in key:
        key = "Condition/" + key.rsplit("Condition/", 1)[1]
    return key in refs


def _encounter(
    res: Resource, ctx: FactContext, out: Extraction, refs: Mapping[str, Resource], draft: bool
) -> None:
    if _status_text(res.get("status")) == "entered-in-error":
        return
    timing = _timing(res, ctx, ("period",))  # a planned visit may start later: not a data error
    rid = _rid(res)
    when, age, known, note, _ = timing
    for concept in _items(res.get("reasonCode")):
        _concept_facts(concept, "condition", rid, ctx, out, when, age, known, note)
    _referenced_displays(res.get("reasonReference"), res, ctx, out, refs, timing)
    diagnoses = [d.get("condition") for d in _items(res.get("diagnosis")) if isinstance(d, Mapping)]
    _referenced_displays(diagnoses, res, ctx, out, refs, timing)


def _patient(res: Resource, ctx: FactContext, out: Extraction, _m: Any, draft: bool) -> None:
    birth = read_time(res.get("birthDate"), ctx.tz)
    if birth is None:
        return
    years = age_in_years(birth.at.date(), ctx.now.date())
    out.facts.append(
        Fact(
            kind="patient",
            valueset="age",
            rid=_rid(res),
            display="age",
            value=float(years),
            unit="a",
            source_value=f"{years} years, born {res.get('birthDate')}",
            age_h=0.0,
        )
    )


_HANDLERS = {
    "Condition": _condition,
    "Observation": _observation,
    "MedicationRequest": _medication_request,
    "MedicationStatement": _medication_statement,
    "ServiceRequest": _service_request,
    "Encounter": _encounter,
    "Patient": _patient,
}


def _mark_latest(facts: list[Fact]) -> list[Fact]:
    """Flag all but the most recent verified readable observation of each value set as not
    latest."""
    newest: dict[str, Fact] = {}
    observed: list[Fact] = []
    for f in facts:
        if f.kind == "observation":
            observed.append(f)
            if f.understood and f.verified and f.time_known:
                best = newest.get(f.valueset)
                if best is None or f.age_h < best.age_h:
                    newest[f.valueset] = f
    for f in observed:
        best = newest.get(f.valueset)
        if best is not None and best is not f:
            f.latest = False  # built a moment ago in this call: nothing else holds them yet
    return facts
