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

import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any

import orjson

from cds.call import HookCall, recorded_call
from cds.errors import CdsError
from cds.facts.extract import medication_concept, medication_lookup, read_concept
from cds.facts.times import read_time
from cds.fhir import FHIR_ID, Resource, medication_key
from cds.hooks.models import HookContext, dump_response
from cds.hooks.registry import Hook
from cds.pack.load import Pack
from cds.pipeline import Evaluation, Evaluator
from cds.review.stats import ReviewStats

REVIEW_USER = "Practitioner/cds-batch-review"
_NAMESPACE = uuid.UUID("5b0b7c1e-3f0e-4a55-9a54-6c1d2b7e0f31")
#: When a resource entered the record, by type: the first element present is used.
_RECORDED_AT: Mapping[str, tuple[str, ...]] = {
    "Condition": ("recordedDate", "onsetDateTime", "onsetPeriod"),
    "Observation": ("effectiveDateTime", "effectivePeriod", "effectiveInstant", "issued"),
    "MedicationRequest": ("authoredOn",),
    "MedicationStatement": ("dateAsserted", "effectiveDateTime", "effectivePeriod"),
    "ServiceRequest": ("authoredOn", "occurrenceDateTime"),
    "Encounter": ("period",),
}
#: Orders that were never signed have nothing to replay.
_UNSIGNED = frozenset({"draft", "entered-in-error"})
#: The resource type each kind of draft-order fact comes from.
_ORDER_TYPES: Mapping[str, str] = {"order": "ServiceRequest", "medication": "MedicationRequest"}
#: The prefetch keys an EHR sends the record under, in the order the service reads them.
_KEY_ORDER = ("conditions", "observations", "medications", "orders", "encounters")
_PREFETCH_KEYS: Mapping[str, str] = {
    "Condition": "conditions",
    "Observation": "observations",
    "MedicationRequest": "medications",
    "MedicationStatement": "medications",
    "Medication": "medications",
    "ServiceRequest": "orders",
    "Encounter": "encounters",
}


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
    errors: list[dict[str, Any]] = field(default_factory=list)
    stats: ReviewStats = field(default_factory=ReviewStats)
    outcomes: list[CallOutcome] = field(default_factory=list)
    """The calls with cards, in call order (a comparison diffs two reviews' outcomes)."""
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
    ):
        self.evaluator = evaluator
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
            if like is not None and call.hook in same_answers:
                answer = like.answers[number]
            else:
                answer = self._answer(pid, call)
            self._record(call, answer, result)
        result.stats.patients_with_cards = int(bool(result.lines))
        return result

    def calls(self, pid: str, resources: list[Resource], result: PatientResult) -> list[Call]:
        """The discharge call (if any) and the order-sign calls, in time order."""
        local = medication_lookup(resources)
        # the shared reference data is copied only when the patient brings Medications of its own
        meds = {**self.medications, **local} if local else self.medications
        record = _Record.of(resources, self.tz)
        calls = [*self._order_calls(pid, record, meds, result)]
        discharge = self._discharge_call(pid, record, meds)
        calls += [discharge] if discharge else []
        return sorted(calls, key=lambda c: (c.at, c.hook))

    def _answer(self, pid: str, call: Call) -> CallAnswer:
        """One call through the spine, its cards as dicts and serialised once."""
        at = call.at.isoformat()
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

    @staticmethod
    def _record(call: Call, answer: CallAnswer, result: PatientResult) -> None:
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
        result.outcomes.append(
            CallOutcome(call.hook, call.at.isoformat(), answer.cards, answer.evaluation)
        )

    # -- discharge ---------------------------------------------------------------------------

    def _discharge_call(
        self, pid: str, record: _Record, meds: Mapping[str, Resource]
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
        sources = _sources(record.as_of(at), meds)
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
                if (t := _time(e, "period", tz=self.tz)) and t <= at
            ]
            return (max(started, key=lambda x: (x[0], x[1]))[2], at) if started else None
        finished = [
            (t, e["id"], e)
            for e in with_ids
            if e.get("status") == "finished" and (t := _period_end(e, self.tz)) is not None
        ]
        if finished:
            at, _, encounter = max(finished, key=lambda x: (x[0], x[1]))
            return encounter, at
        at = self.as_of.now
        started = [
            (t or at, e["id"], e)
            for e in with_ids
            if (t := _time(e, "period", tz=self.tz)) is None or t <= at
        ]
        return (max(started, key=lambda x: (x[0], x[1]))[2], at) if started else None

    # -- order-sign --------------------------------------------------------------------------

    def _order_calls(
        self,
        pid: str,
        record: _Record,
        meds: Mapping[str, Resource],
        result: PatientResult,
    ) -> Iterator[Call]:
        by_time: dict[datetime, list[Resource]] = {}
        for res in record.resources:
            if not self._qualifies(res, meds):
                continue
            at = _time(res, "authoredOn", tz=self.tz)
            if at is None:
                result.stats.orders_without_time += 1
                continue
            by_time.setdefault(at, []).append(res)
        for at, orders in sorted(by_time.items()):
            signed = {id(o) for o in orders}
            drafts = [{**o, "status": "draft"} for o in orders]
            rest = [r for r in record.as_of(at) if id(r) not in signed]
            context = HookContext(
                userId=REVIEW_USER, patientId=pid, encounterId=_encounter_id(orders[0])
            )
            sources = _sources(rest, meds, also_for=orders)
            hook: Hook = "order-sign"
            yield Call(hook, at, recorded_call(hook, context, sources, drafts, at))

    def _qualifies(self, res: Resource, meds: Mapping[str, Resource]) -> bool:
        rtype = res.get("resourceType")
        valuesets = self.triggers.by_type.get(rtype) if isinstance(rtype, str) else None
        if not valuesets or res.get("status") in _UNSIGNED:
            return False
        concept = res.get("code") if rtype == "ServiceRequest" else medication_concept(res, meds)
        return not valuesets.isdisjoint(read_concept(concept, self.pack.index)[0])


# ---------------------------------------------------------------------------------------------
# Helpers: pure functions over plain resources (parsed by orjson: JSON objects are dicts, and
# ``isinstance(x, dict)`` takes 25 ns where the ABC check ``isinstance(x, Mapping)`` takes 85-140).


def parse_lines(lines: Sequence[bytes]) -> tuple[list[Resource], int]:
    """A patient's raw lines parsed, repeated resources dropped; (resources, duplicates)."""
    return _dedupe(orjson.loads(raw) for raw in lines)


def _patient_error(pid: str, count: int, reason: str) -> dict[str, Any]:
    return {"patient": f"Patient/{pid}", "lines": count, "reason": reason}


def _dedupe(parsed: Iterable[Any]) -> tuple[list[Resource], int]:
    """Keep the first of resources with the same type and id (Bulk exports repeat some)."""
    seen: set[tuple[str, str]] = set()
    out: list[Resource] = []
    duplicates = 0
    for res in parsed:
        rid = res.get("id")
        if isinstance(rid, str) and rid:
            key = (res["resourceType"], rid)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
        out.append(res)
    return out, duplicates


def _time(res: Mapping[str, Any], *keys: str, tz: tzinfo = UTC) -> datetime | None:
    """The first readable time among ``keys`` (a Period counts by its start); a time without
    a zone is read in ``tz`` (the site's, as the spine reads it)."""
    for key in keys:
        raw = res.get(key)
        if isinstance(raw, dict):
            raw = raw.get("start")
        if raw is None:
            continue
        read = read_time(raw, tz)
        return read.at if read else None
    return None


def _period_end(encounter: Mapping[str, Any], tz: tzinfo = UTC) -> datetime | None:
    period = encounter.get("period")
    if not isinstance(period, dict):
        return None
    read = read_time(period.get("end"), tz)
    return read.at if read else None


@dataclass(frozen=True)
class _Record:
    """A patient's resources with when each entered the record (read once per patient, since
    every replayed call filters the same record at its own time)."""

    resources: list[Resource]
    recorded: list[datetime | None]

    @classmethod
    def of(cls, resources: list[Resource], tz: tzinfo = UTC) -> _Record:
        return cls(resources, [_recorded_at(res, tz) for res in resources])

    def as_of(self, at: datetime) -> list[Resource]:
        """The record as it stood at ``at``: resources dated after it are left out."""
        return [
            res
            for res, when in zip(self.resources, self.recorded, strict=True)
            if when is None or when <= at
        ]


def _recorded_at(res: Mapping[str, Any], tz: tzinfo = UTC) -> datetime | None:
    keys = _RECORDED_AT.get(str(res.get("resourceType")), ())
    return _time(res, *keys, tz=tz) if keys else None


def _encounter_id(order: Mapping[str, Any]) -> str | None:
    ref = order.get("encounter")
    target = ref.get("reference") if isinstance(ref, dict) else None
    if isinstance(target, str) and target.startswith("Encounter/"):
        eid = target.split("/")[1]
        return eid if FHIR_ID.match(eid) else None
    return None


def _referenced_medications(
    resources: Iterable[Resource], meds: Mapping[str, Resource]
) -> list[Resource]:
    """The Medications the record's orders point at (an EHR ``_include``s them)."""
    out: dict[str, Resource] = {}
    for res in resources:
        ref = res.get("medicationReference")
        target = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(target, str) and "Medication/" in target:
            key = medication_key(target)
            if key in meds:
                out[key] = meds[key]
    return list(out.values())


def _sources(
    resources: list[Resource], meds: Mapping[str, Resource], also_for: Sequence[Resource] = ()
) -> list[tuple[str, Resource]]:
    """The record as an EHR would send it in prefetch: each resource with its key (the
    Patient, then one search's results per kind), as `cds.call.recorded_call` takes it.

    Medications the record's orders (and the draft orders, ``also_for``) point at go with the
    medications, as an EHR's ``_include=MedicationRequest:medication`` does.
    """
    patient: list[tuple[str, Resource]] = []
    groups: dict[str, list[Resource]] = {key: [] for key in _KEY_ORDER}
    for res in resources:
        rtype = str(res.get("resourceType"))
        if rtype == "Patient":
            patient = patient or [("prefetch.patient", res)]
        elif rtype in _PREFETCH_KEYS and rtype != "Medication":
            groups[_PREFETCH_KEYS[rtype]].append(res)
    groups["medications"] += _referenced_medications([*resources, *also_for], meds)
    return [*patient, *((f"prefetch.{key}", r) for key in _KEY_ORDER for r in groups[key])]


def _uuids(seed: str) -> Callable[[], str]:
    """Card uuids that are the same on every run (resumed runs give identical outputs)."""
    counter = iter(range(1_000_000))
    return lambda: str(uuid.uuid5(_NAMESPACE, f"{seed}|{next(counter)}"))
