"""One patient's record → the hook calls the EHR would have made → the service's cards.

No clinical logic lives here: which orders are replayed as ``order-sign`` comes from the pack
(the value sets of its draft-order patterns), and every call goes through the spine,
`Evaluator.run`, exactly as the HTTP service does.

The calls replayed for a patient:

* ``encounter-discharge`` at the as-of time (``last-discharge``: the end of the patient's latest
  finished Encounter, else the run's "now"; or a fixed instant), with the record as it stood
  then: resources dated after it are left out;
* ``order-sign`` at each qualifying order's ``authoredOn`` (orders written at the same instant
  are signed together), the orders as drafts, the rest of the record as of then as prefetch.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

import orjson

from cds.call import HookCall, recorded_call
from cds.errors import CdsError
from cds.facts.concepts import medication_concept, medication_lookup, read_concept
from cds.fhir import FHIR_ID, Resource
from cds.hooks.models import dump_response
from cds.hooks.registry import Hook
from cds.hooks.request import HookContext
from cds.pack.load import Pack
from cds.pipeline import Evaluation, Evaluator
from cds.review.record import (
    TimedRecord,
    encounter_id,
    parse_lines,
    period_end,
    prefetch_sources,
    read_at,
)
from cds.review.stats import ReviewStats

REVIEW_USER = "Practitioner/cds-batch-review"
_NAMESPACE = uuid.UUID("5b0b7c1e-3f0e-4a55-9a54-6c1d2b7e0f31")
#: Orders that were never signed have nothing to replay.
_UNSIGNED = frozenset({"draft", "entered-in-error"})
#: Reviews' lines are written through a buffer this large: one system call a megabyte, not one
#: a call (a call's line of cards is 13 KB at the median, more than the default 8 KB buffer).
WRITE_BUFFER = 1 << 20
#: The indicators that put a patient in the report's table (``report.html``).
FLAGGED = ("critical", "warning")
#: The resource type each kind of draft-order fact comes from.
_ORDER_TYPES: Mapping[str, str] = {"order": "ServiceRequest", "medication": "MedicationRequest"}


@dataclass(frozen=True)
class AsOf:
    """When the discharge call happens: each patient's last discharge, or a fixed instant."""

    fixed: datetime | None
    now: datetime
    """The run's clock, used when a patient has no finished encounter (kept across resumes)."""


@dataclass(frozen=True)
class OrderTriggers:
    """Which recorded orders are replayed as ``order-sign``: the pack's draft-order value sets."""

    by_type: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, pack: Pack) -> OrderTriggers:
        refs = [*pack.spec.scope, *(r for rule in pack.spec.rules for r in rule.when)]
        found: dict[str, set[str]] = {}
        for ref in refs:
            pattern = pack.pattern(ref)
            rtype = _ORDER_TYPES.get(pattern.fact)
            if pattern.draft and rtype:
                found.setdefault(rtype, set()).update(pattern.valuesets)
        return cls({k: frozenset(v) for k, v in found.items()})

    @classmethod
    def of_all(cls, packs: Iterable[Pack]) -> OrderTriggers:
        """The orders any of the packs looks at: a comparison replays the same calls under
        both sides (the EHR calls the service for an order whichever pack answers)."""
        found: dict[str, frozenset[str]] = {}
        for pack in packs:
            for rtype, valuesets in cls.of(pack).by_type.items():
                found[rtype] = found.get(rtype, frozenset()) | valuesets
        return cls(found)


@dataclass(frozen=True)
class Call:
    """One replayed hook call: its hook and time, and the typed call the spine takes."""

    hook: Hook
    at: datetime
    call: HookCall


@dataclass(frozen=True)
class CallOutcome:
    """One replayed call that returned cards: the cards (as written) and the evaluation."""

    hook: Hook
    at: str
    cards: list[dict[str, Any]]
    evaluation: Evaluation


@dataclass(frozen=True)
class CallAnswer:
    """The spine's answer to one replayed call, as written: the evaluation, its cards (dicts)
    and their output line (None without cards), or the error line when the spine refused it."""

    evaluation: Evaluation | None
    cards: list[dict[str, Any]]
    line: bytes | None
    error: dict[str, Any] | None = None


@dataclass
class PatientResult:
    """What one patient's review produced: output lines and counters."""

    lines: list[bytes] = field(default_factory=list)
    flagged: list[bytes] = field(default_factory=list)
    """The lines among ``lines`` with a card whose indicator is one of ``FLAGGED``."""
    errors: list[dict[str, Any]] = field(default_factory=list)
    stats: ReviewStats = field(default_factory=ReviewStats)
    outcomes: list[CallOutcome] = field(default_factory=list)
    """The calls with cards, in call order, when the reviewer keeps them (a comparison diffs
    two reviews' outcomes)."""
    span: tuple[float, float] | None = None
    """The first and last replayed call (POSIX seconds): the input's time span."""
    calls: list[Call] = field(default_factory=list)
    """The calls replayed (a comparison's second reviewer may replay the same ones)."""
    answers: list[CallAnswer] = field(default_factory=list)
    """The spine's answer to each call, in the order of ``calls``."""


class PatientReviewer:
    """Replays a patient's hook calls through one Evaluator (one per worker process)."""

    def __init__(
        self,
        evaluator: Evaluator,
        medications: Mapping[str, Resource],
        as_of: AsOf,
        triggers: OrderTriggers | None = None,
        outcomes: bool = False,
    ):
        self.evaluator = evaluator
        self.outcomes = outcomes
        """Whether each result keeps its ``outcomes`` (a comparison diffs them; a plain review
        does not read them)."""
        self.pack = evaluator.pack
        self.triggers = triggers or OrderTriggers.of(evaluator.pack)
        """Which recorded orders are replayed: the pack's own, unless given (a comparison)."""
        self.medications = medications
        self.as_of = as_of
        self.tz = evaluator.timezone
        """The site's zone: replay times recorded without one are read in it, as the spine
        reads the record's."""

    def review(self, pid: str, lines: Sequence[bytes]) -> PatientResult:
        """Parse a patient's raw lines, replay the calls and collect the cards."""
        return self.review_parsed(pid, *parse_lines(lines))

    def review_parsed(
        self,
        pid: str,
        resources: list[Resource],
        duplicates: int,
        like: PatientResult | None = None,
        same_answers: frozenset[str] = frozenset(),
    ) -> PatientResult:
        """Replay the calls of a patient's parsed record (``parse_lines``; two reviewers of a
        comparison share one parse: neither changes the resources). With ``like``, another
        reviewer's result on the same record under the same triggers, zone, as-of and
        Medications, its calls are replayed instead of being built again; and for the hooks in
        ``same_answers`` (where that reviewer's spine is this one's: the same pack, zone and
        compiled ruleset, see ``compare.PairReviewer``) its answers are taken as they are."""
        result = PatientResult(stats=ReviewStats(resources=len(resources), duplicates=duplicates))
        if not FHIR_ID.match(pid):
            result.errors.append(_patient_error(pid, len(resources), "patient id is not a FHIR id"))
            result.stats.patient_errors = len(resources)
            return result
        result.stats.patients = 1
        if like is None:
            result.calls = self.calls(pid, resources, result)
        else:
            result.calls = like.calls
            result.stats.orders_without_time = like.stats.orders_without_time
        for number, call in enumerate(result.calls):
            at = call.at.isoformat()
            if like is not None and call.hook in same_answers:
                answer = like.answers[number]
            else:
                answer = self._answer(pid, call, at)
            self._record(call, at, answer, result)
        result.stats.patients_with_cards = int(bool(result.lines))
        return result

    def calls(self, pid: str, resources: list[Resource], result: PatientResult) -> list[Call]:
        """The discharge call (if any) and the order-sign calls, in time order."""
        local = medication_lookup(resources)
        # the shared reference data is copied only when the patient brings Medications of its own
        meds = {**self.medications, **local} if local else self.medications
        record = TimedRecord.of(resources, self.tz)
        calls = [*self._order_calls(pid, record, meds, result)]
        discharge = self._discharge_call(pid, record, meds)
        calls += [discharge] if discharge else []
        return sorted(calls, key=lambda c: (c.at, c.hook))

    def _answer(self, pid: str, call: Call, at: str) -> CallAnswer:
        """One call through the spine (``at``: its time as written), its cards as dicts and
        serialised once."""
        seed = f"{pid}|{call.hook}|{at}"
        try:
            evaluation = self.evaluator.run(call.call, new_uuid=_uuids(seed))
        except CdsError as exc:
            error = {
                "patient": f"Patient/{pid}",
                "hook": call.hook,
                "at": at,
                "reason": exc.message,
            }
            return CallAnswer(None, [], None, error)
        # built by the evaluator a moment ago and not touched: no second validation
        cards = dump_response(evaluation.response, validate=False)["cards"]
        if not cards:
            return CallAnswer(evaluation, cards, None)
        line = {"patient": f"Patient/{pid}", "hook": call.hook, "at": at, "cards": cards}
        return CallAnswer(evaluation, cards, orjson.dumps(line))

    def _record(self, call: Call, at: str, answer: CallAnswer, result: PatientResult) -> None:
        """Count one call and its answer into the patient's result."""
        result.answers.append(answer)
        stats = result.stats
        stats.count_call(call.hook)
        when = call.at.timestamp()
        span = result.span
        result.span = (min(span[0], when), max(span[1], when)) if span else (when, when)
        if answer.error is not None:
            result.errors.append(answer.error)
            stats.call_errors += 1
            return
        if answer.line is None or answer.evaluation is None:
            return
        stats.count_cards(call.hook, answer.cards, answer.evaluation.rules_by_topic)
        result.lines.append(answer.line)
        if any(card.get("indicator") in FLAGGED for card in answer.cards):
            result.flagged.append(answer.line)
        if self.outcomes:
            result.outcomes.append(CallOutcome(call.hook, at, answer.cards, answer.evaluation))

    # -- discharge ---------------------------------------------------------------------------

    def _discharge_call(
        self, pid: str, record: TimedRecord, meds: Mapping[str, Resource]
    ) -> Call | None:
        encounters = [
            r
            for r in record.resources
            if r.get("resourceType") == "Encounter" and r.get("status") != "entered-in-error"
        ]
        if not encounters:
            return None
        picked = self._discharge_encounter(encounters)
        if picked is None:
            return None
        encounter, at = picked
        context = HookContext(userId=REVIEW_USER, patientId=pid, encounterId=encounter["id"])
        sources = prefetch_sources(record.as_of(at), meds, encounter["id"])
        hook: Hook = "encounter-discharge"
        return Call(hook, at, recorded_call(hook, context, sources, (), at))

    def _discharge_encounter(self, encounters: list[Resource]) -> tuple[Resource, datetime] | None:
        with_ids = [
            e for e in encounters if isinstance(e.get("id"), str) and FHIR_ID.match(e["id"])
        ]
        if self.as_of.fixed is not None:
            at = self.as_of.fixed
            started = [
                (t, e["id"], e)
                for e in with_ids
                if (t := read_at(e, "period", tz=self.tz)) and t <= at
            ]
            return (max(started, key=lambda x: (x[0], x[1]))[2], at) if started else None
        finished = [
            (t, e["id"], e)
            for e in with_ids
            if e.get("status") == "finished" and (t := period_end(e, self.tz)) is not None
        ]
        if finished:
            at, _, encounter = max(finished, key=lambda x: (x[0], x[1]))
            return encounter, at
        at = self.as_of.now
        started = [
            (t or at, e["id"], e)
            for e in with_ids
            if (t := read_at(e, "period", tz=self.tz)) is None or t <= at
        ]
        return (max(started, key=lambda x: (x[0], x[1]))[2], at) if started else None

    # -- order-sign --------------------------------------------------------------------------

    def _order_calls(
        self,
        pid: str,
        record: TimedRecord,
        meds: Mapping[str, Resource],
        result: PatientResult,
    ) -> Iterator[Call]:
        by_time: dict[datetime, list[Resource]] = {}
        for res in record.resources:
            if not self._qualifies(res, meds):
                continue
            at = read_at(res, "authoredOn", tz=self.tz)
            if at is None:
                result.stats.orders_without_time += 1
                continue
            by_time.setdefault(at, []).append(res)
        for at, orders in sorted(by_time.items()):
            signed = {id(o) for o in orders}
            drafts = [{**o, "status": "draft"} for o in orders]
            rest = [r for r in record.as_of(at) if id(r) not in signed]
            visit = encounter_id(orders[0])
            context = HookContext(userId=REVIEW_USER, patientId=pid, encounterId=visit)
            sources = prefetch_sources(rest, meds, visit, also_for=orders)
            hook: Hook = "order-sign"
            yield Call(hook, at, recorded_call(hook, context, sources, drafts, at))

    def _qualifies(self, res: Resource, meds: Mapping[str, Resource]) -> bool:
        rtype = res.get("resourceType")
        valuesets = self.triggers.by_type.get(rtype) if isinstance(rtype, str) else None
        if not valuesets or res.get("status") in _UNSIGNED:
            return False
        concept = res.get("code") if rtype == "ServiceRequest" else medication_concept(res, meds)
        return not valuesets.isdisjoint(read_concept(concept, self.pack.index)[0])


def write_result(
    pid: str,
    result: PatientResult,
    cards: IO[bytes],
    errors: IO[bytes],
    flagged: IO[bytes] | None = None,
) -> None:
    """A patient's output lines: its cards, its errors, and, given ``flagged``, its flagged
    lines again, tagged with the patient (for the report: see `tagged`)."""
    if result.lines:
        cards.write(b"\n".join(result.lines) + b"\n")
    if flagged is not None and result.flagged:
        flagged.write(tagged(pid, result.flagged))
    if result.errors:
        errors.write(b"".join(orjson.dumps(e) + b"\n" for e in result.errors))


def tagged(pid: str, lines: Sequence[bytes]) -> bytes:
    """A patient's cards lines, each after its reference and a tab (``Patient/<id>\\t``): the
    report finds a patient's lines in such a file without parsing the others
    (``merge.tagged_lines``)."""
    prefix = f"Patient/{pid}\t".encode()
    return b"".join(prefix + line + b"\n" for line in lines)


def _patient_error(pid: str, count: int, reason: str) -> dict[str, Any]:
    return {"patient": f"Patient/{pid}", "lines": count, "reason": reason}


def _uuids(seed: str) -> Callable[[], str]:
    """Card uuids that are the same on every run (resumed runs give identical outputs): the
    n-th is ``uuid.uuid5(_NAMESPACE, f"{seed}|{n}")``, with the SHA-1 of the common prefix
    computed once per call (a third of ``uuid5``'s cost; cds review makes millions)."""
    prefix = hashlib.sha1(_NAMESPACE.bytes + f"{seed}|".encode(), usedforsecurity=False)
    counter = itertools.count()

    def next_uuid() -> str:
        digest = prefix.copy()
        digest.update(b"%d" % next(counter))
        raw = bytearray(digest.digest()[:16])
        raw[6] = raw[6] & 0x0F | 0x50  # version 5
        raw[8] = raw[8] & 0x3F | 0x80  # RFC 4122 variant
        text = raw.hex()
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    return next_uuid
