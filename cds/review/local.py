"""The local engine: stream, group raw lines by patient, review shards in a process pool.

Measured in shared/design/batch-notes.md: parse once for the patient key, keep *raw bytes*
grouped (parsed dicts with the GC on are 3-5x slower), parse again per patient in the worker.
Patients are hash-partitioned into shards (crc32 of the id); when the input is larger than the
memory budget the shards are spilled to files and each worker reads one shard at a time.
With more than one worker the read itself is parallel: the input is cut into byte ranges
(``read_units``), each read, classified and spilled to its own shard files by a reader process,
and merged in input order, so the lines, counts and errors are those of one sequential read.

The rules engine is built once per worker process, in the pool initializer (durable_rules is
not thread-safe and its state cannot be pickled). Each finished shard's outputs are written
under ``DIR/parts/`` and recorded in ``DIR/progress.json``, so a killed run resumes where it
stopped and produces the same files.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import shutil
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import orjson

from cds.config import zone_of
from cds.errors import InputError
from cds.facts.times import parse_instant
from cds.pack.load import Pack, load_pack
from cds.pipeline import Evaluator, new_engine
from cds.review.burden import merge_compare
from cds.review.compare import Counterpart, PairReviewer, Side, review_pair_shard
from cds.review.overrides import override_rates
from cds.review.progress import Reporter
from cds.review.replay import AsOf, OrderTriggers, PatientReviewer
from cds.review.sources import SourceFile, discover, read_lines, read_range
from cds.review.stats import ReviewStats
from cds.review.summary import build_summary

MIN_SHARDS = 16
GZIP_RATIO = 6  # a gzipped NDJSON export is roughly this much larger once read
#: Raw lines held in Python (bytes objects, tuples, patient ids) take ~2.5x their size: measured
#: 1.6 GB peak for 350 MB of NDJSON held in memory.
FOOTPRINT = 3
#: A shard's lines: in memory, or the files they were spilled to (read in this order).
Payload = list[tuple[str, bytes]] | tuple[str, ...]
#: A parallel read splits plain NDJSON files into byte ranges of about this size at least.
READ_CHUNK = 4 << 20


@dataclass(frozen=True)
class ReviewOptions:
    """What ``cds review`` was asked to do."""

    out: Path
    workers: int = 1
    memory_mb: int = 512
    as_of: str = "last-discharge"
    pack: str | None = None
    site: Mapping[str, float | None] = field(default_factory=dict)
    """Site overrides of the pack's settings (``--config``: the service's ``site``)."""
    site_timezone: str = "UTC"
    """The site's IANA zone: times without a zone are read in it, as the service does."""
    compare: Counterpart | None = None
    """``--compare``: B, reviewed in the same pass (``cds/review/compare.py``)."""
    feedback: str | None = None
    """``--feedback``: the feedback store's URL, for override rates in compare.json."""
    label: str = "defaults"
    """What A is called in compare.json and the report (the ``--config`` file)."""
    replay_also: tuple[str, ...] = ()
    """Packs whose draft orders are replayed too. A comparison replays the orders of both
    packs under both sides; a review with this option is the one side of such a comparison."""


@dataclass
class Partition:
    """The input grouped into shards, with every line accounted for."""

    n_shards: int
    spill_dir: Path | None
    shards: dict[int, list[tuple[str, bytes]]] = field(default_factory=dict)
    patients: dict[int, set[str]] = field(default_factory=dict)
    resources: dict[int, int] = field(default_factory=dict)
    references: list[bytes] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    types: Counter[str] = field(default_factory=Counter)
    files: dict[int, list[str]] = field(default_factory=dict)
    """When spilled: each shard's files, in input order."""


def run_review(
    inputs: Sequence[Path],
    options: ReviewOptions,
    reporter: Reporter,
    *,
    _abort_after_shards: int | None = None,
) -> dict[str, Any]:
    """Review a population; writes cards.ndjson, errors.ndjson, summary.json, report.html."""
    from cds.review.report import write_report  # keeps the HTML code off the worker import path

    sources = discover(inputs)
    if not sources:
        raise InputError("no NDJSON or Bundle files found in the inputs")
    pack = load_pack(options.pack)
    rates = _override_rates(options, pack)
    out = options.out
    (out / "parts").mkdir(parents=True, exist_ok=True)
    state = _load_progress(out, sources, options, pack)
    as_of = AsOf(fixed_as_of(options.as_of), datetime.fromisoformat(state["now"]))
    finished: set[int] = set(state["finished"])
    reporter.log(
        f"reading {len(sources)} files"
        + (f"; resuming, {len(finished)} of {state['n_shards']} shards done" if finished else "")
    )
    started = time.monotonic()
    with (out / "parts" / "input-errors.ndjson").open("wb") as errors:
        if options.workers > 1:
            part = _partition_parallel(
                sources, state["n_shards"], options, finished, errors, options.workers
            )
        else:
            part = _partition(sources, state["n_shards"], options, finished, errors)
    mode = "spilled to shard files" if part.spill_dir else "in memory"
    mode += f", read by {options.workers} processes" if options.workers > 1 else ""
    reporter.log(
        f"read {part.counts['read']} lines in {time.monotonic() - started:.1f} s "
        f"({part.n_shards} shards, {mode})"
    )
    try:
        _evaluate_shards(part, pack, options, as_of, finished, state, reporter, _abort_after_shards)
    finally:
        if part.spill_dir is not None:
            shutil.rmtree(part.spill_dir, ignore_errors=True)
    started = time.monotonic()
    summary = merge_outputs(out, part, state["n_shards"], sources, options, pack, as_of)
    compared = merge_comparison(out, part, state["n_shards"], options, pack, summary, rates)
    write_report(out, summary, {t.code: t.indicator for t in pack.spec.topics}, compared)
    reporter.log(f"wrote the outputs in {time.monotonic() - started:.1f} s")
    shutil.rmtree(out / "parts", ignore_errors=True)
    (out / "progress.json").unlink(missing_ok=True)
    return summary


# ---------------------------------------------------------------------------------------------
# Progress file


def _fingerprint(sources: Sequence[SourceFile], options: ReviewOptions, pack: Pack) -> Any:
    files = [
        [str(s.path.resolve()), s.path.stat().st_size, s.path.stat().st_mtime_ns] for s in sources
    ]
    return {
        "files": files,
        "as_of": options.as_of,
        "pack": f"{pack.id}@{pack.version}",
        "site": dict(options.site),
        "site_timezone": options.site_timezone,
        "compare": _compare_fingerprint(options.compare),
        "replay_also": list(options.replay_also),
    }


def _compare_fingerprint(counterpart: Counterpart | None) -> Any:
    if counterpart is None:
        return None
    side, pack = counterpart.side, counterpart.pack
    return [side.label, f"{pack.id}@{pack.version}", dict(side.site), side.site_timezone]


def _load_progress(
    out: Path, sources: Sequence[SourceFile], options: ReviewOptions, pack: Pack
) -> dict[str, Any]:
    fingerprint = _fingerprint(sources, options, pack)
    path = out / "progress.json"
    if path.exists():
        try:
            state: dict[str, Any] = orjson.loads(path.read_bytes())
            if state.get("fingerprint") == fingerprint:
                return state
        except orjson.JSONDecodeError:
            pass
    for stale in (out / "parts").glob("shard-*"):
        stale.unlink()
    estimate = sum(s.path.stat().st_size * (GZIP_RATIO if _gz(s.path) else 1) for s in sources)
    budget = options.memory_mb * 1024 * 1024
    state = {
        "fingerprint": fingerprint,
        "now": datetime.now(UTC).isoformat(),
        # each shard's footprint at most a quarter of the budget (one shard per worker)
        "n_shards": max(MIN_SHARDS, math.ceil(estimate * FOOTPRINT * 4 / max(budget, 1 << 20))),
        "finished": [],
    }
    _write_atomic(path, orjson.dumps(state))
    return state


def _gz(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def fixed_as_of(text: str) -> datetime | None:
    """``--as-of``: None for each patient's last discharge, else the instant given."""
    return None if text == "last-discharge" else parse_instant(text, "--as-of")


# ---------------------------------------------------------------------------------------------
# Partition: one pass over every line


def shard_of(pid: str, n_shards: int) -> int:
    """The shard of a patient: stable across runs and machines."""
    return zlib.crc32(pid.encode()) % n_shards


def _partition(
    sources: Sequence[SourceFile],
    n_shards: int,
    options: ReviewOptions,
    finished: set[int],
    errors: IO[bytes],
) -> Partition:
    spill = _needs_spill(sources, options)
    spill_dir = Path(tempfile.mkdtemp(prefix=".spill-", dir=options.out)) if spill else None
    part = Partition(n_shards, spill_dir)
    handles: dict[int, IO[bytes]] = {}
    try:
        for src in sources:
            for line in read_lines(src):
                place_line(
                    line.where, line.line, line.raw, line.verdict, part, finished, handles, errors
                )
    finally:
        for handle in handles.values():
            handle.close()
    return part


@dataclass(frozen=True)
class ReadUnit:
    """A part of the input one worker reads: a byte range of a plain NDJSON file, or a whole
    file (gzipped, a Bundle) when ``end`` is None."""

    source: int
    start: int = 0
    end: int | None = None


def read_units(sources: Sequence[SourceFile], workers: int) -> list[ReadUnit]:
    """The input cut for ``workers`` readers: about four ranges each (uneven ranges even out),
    none smaller than ``READ_CHUNK``."""
    plain = [_size(s) if _rangeable(s) else 0 for s in sources]
    chunk = max(READ_CHUNK, math.ceil(sum(plain) / (workers * 4)))
    units: list[ReadUnit] = []
    for number, (src, size) in enumerate(zip(sources, plain, strict=True)):
        if not _rangeable(src):
            units.append(ReadUnit(number))
            continue
        units += [ReadUnit(number, at, min(at + chunk, size)) for at in range(0, size, chunk)]
    return units


def _size(src: SourceFile) -> int:
    return src.path.stat().st_size


def _rangeable(src: SourceFile) -> bool:
    return src.format == "ndjson" and not _gz(src.path)


@dataclass
class UnitRead:
    """What one read unit found: its lines placed in its own shard files, and the counts."""

    part: Partition
    errors: bytes


def read_unit(
    unit: ReadUnit, sources: Sequence[SourceFile], n_shards: int, finished: set[int], spill: str
) -> UnitRead:
    """Read, classify and spill one unit (in a reader process): its lines go to
    ``spill/u<unit>/shard-N.tsv``; errors carry line numbers counted within the unit."""
    src = sources[unit.source]
    folder = Path(spill) / f"u{unit.source:05d}-{unit.start:013d}"
    folder.mkdir()
    part = Partition(n_shards, folder)
    handles: dict[int, IO[bytes]] = {}
    errors = io.BytesIO()
    lines = read_lines(src) if unit.end is None else read_range(src, unit.start, unit.end)
    try:
        for line in lines:
            place_line(
                line.where, line.line, line.raw, line.verdict, part, finished, handles, errors
            )
    finally:
        for handle in handles.values():
            handle.close()
    return UnitRead(part, errors.getvalue())


def _partition_parallel(
    sources: Sequence[SourceFile],
    n_shards: int,
    options: ReviewOptions,
    finished: set[int],
    errors: IO[bytes],
    workers: int,
) -> Partition:
    """``_partition`` with the reading, parsing and classifying spread over ``workers``
    processes, each writing its own shard files; the same lines, counts and errors, in the
    same order (units are merged in input order, each shard's files read in that order)."""
    spill_dir = Path(tempfile.mkdtemp(prefix=".spill-", dir=options.out))
    part = Partition(n_shards, spill_dir)
    units = read_units(sources, workers)
    lines_before: dict[int, int] = {}  # per source: the lines of its units already merged
    try:
        with ProcessPoolExecutor(min(workers, len(units)), mp_context=_context()) as pool:
            job = partial(
                read_unit,
                sources=sources,
                n_shards=n_shards,
                finished=finished,
                spill=str(spill_dir),
            )
            reads = pool.map(job, units)
            for unit, read in zip(units, reads, strict=True):
                offset = lines_before.get(unit.source, 0)
                lines_before[unit.source] = offset + read.part.counts["read"]
                _merge_unit(part, read, offset, errors)
    except BaseException:
        shutil.rmtree(spill_dir, ignore_errors=True)
        raise
    return part


def _merge_unit(part: Partition, read: UnitRead, offset: int, errors: IO[bytes]) -> None:
    found = read.part
    part.counts.update(found.counts)
    part.types.update(found.types)
    part.references += found.references
    for shard, pids in found.patients.items():
        part.patients.setdefault(shard, set()).update(pids)
        part.resources[shard] = part.resources.get(shard, 0) + found.resources[shard]
    for shard, paths in found.files.items():
        part.files.setdefault(shard, []).extend(paths)
    for raw in read.errors.splitlines():
        record = orjson.loads(raw)
        record["line"] += offset
        errors.write(orjson.dumps(record) + b"\n")


def _context() -> Any:
    # fork: workers inherit the pack and the reference data without pickling them (Linux).
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    return multiprocessing.get_context(method)


def _needs_spill(sources: Sequence[SourceFile], options: ReviewOptions) -> bool:
    estimate = sum(s.path.stat().st_size * (GZIP_RATIO if _gz(s.path) else 1) for s in sources)
    return estimate * FOOTPRINT > options.memory_mb * 1024 * 1024


def place_line(
    where: str,
    number: int,
    raw: bytes,
    verdict: Any,
    part: Partition,
    finished: set[int],
    handles: dict[int, IO[bytes]],
    errors: IO[bytes],
) -> None:
    """Account for one input line (read, its type, used, reference, ignored or an error) and
    send a used line to its patient's shard (both engines account for lines here)."""
    counts = part.counts
    counts["read"] += 1
    if verdict.rtype:
        part.types[verdict.rtype] += 1
    if verdict.kind == "error":
        counts["errors"] += 1
        counts[f"error: {verdict.reason.split(':')[0]}"] += 1
        record = {"file": where, "line": number, "reason": verdict.reason}
        if verdict.rid:
            record["resource"] = verdict.rid
        errors.write(orjson.dumps(record) + b"\n")
    elif verdict.kind == "ignored":
        counts["ignored"] += 1
        counts[f"ignored: {verdict.reason}"] += 1
    elif verdict.kind == "reference":
        counts["reference"] += 1
        part.references.append(raw)
    else:
        counts["patient_lines"] += 1
        shard = shard_of(verdict.pid, part.n_shards)
        part.patients.setdefault(shard, set()).add(verdict.pid)
        part.resources[shard] = part.resources.get(shard, 0) + 1
        if shard in finished:
            return
        if part.spill_dir is None:
            part.shards.setdefault(shard, []).append((verdict.pid, raw))
            return
        handle = handles.get(shard)
        if handle is None:
            path = part.spill_dir / f"shard-{shard:05d}.tsv"
            part.files.setdefault(shard, []).append(str(path))
            handle = handles[shard] = path.open("ab")
        handle.write(verdict.pid.encode() + b"\t" + raw + b"\n")


# ---------------------------------------------------------------------------------------------
# Evaluation: one work unit per shard


_REVIEWER: PatientReviewer | None = None
_PAIR: PairReviewer | None = None
"""With ``--compare``: A's reviewer and B's, fed one parse of each patient."""


def init_worker(
    pack: Pack,
    references: list[bytes],
    as_of: AsOf,
    site: Mapping[str, float | None] | None = None,
    site_timezone: str = "UTC",
    counterpart: Counterpart | None = None,
    triggers: OrderTriggers | None = None,
) -> None:
    """Pool initializer: a fresh engine for this process (not one inherited from the parent),
    given to the pack's compiled rulesets under the site's settings and time zone (and to B's,
    with ``--compare``)."""
    global _REVIEWER, _PAIR
    engine = new_engine()
    meds: dict[str, dict[str, Any]] = {}
    for raw in references:
        res = orjson.loads(raw)
        meds[f"{res['resourceType']}/{res.get('id')}"] = res
    evaluator = Evaluator(pack, site, engine, timezone=zone_of(site_timezone))
    _REVIEWER = PatientReviewer(evaluator, meds, as_of, triggers)
    _PAIR = None
    if counterpart is not None:
        b = counterpart.side
        other = Evaluator(counterpart.pack, b.site, engine, timezone=zone_of(b.site_timezone))
        _PAIR = PairReviewer(_REVIEWER, PatientReviewer(other, meds, as_of, triggers))


def replay_triggers(pack: Pack, options: ReviewOptions) -> OrderTriggers | None:
    """The orders replayed when they are not the pack's own: with ``--compare``, those of
    both packs (B may look at orders A does not, or not at some A looks at)."""
    packs = [load_pack(p) for p in options.replay_also]
    if options.compare is not None:
        packs.append(options.compare.pack)
    return OrderTriggers.of_all([pack, *packs]) if packs else None


def review_shard(shard: int, payload: Payload, parts: str) -> tuple[int, ReviewStats]:
    """Review every patient of one shard, in patient order, streaming its cards and errors to
    ``parts/shard-N.*.ndjson`` (renamed into place when complete); (shard, stats)."""
    reviewer = _REVIEWER
    if reviewer is None:
        raise RuntimeError("review_shard called before init_worker")
    groups: dict[str, list[bytes]] = {}
    for pid, raw in _shard_lines(payload):
        groups.setdefault(pid, []).append(raw)
    base = Path(parts) / f"shard-{shard:05d}"
    if _PAIR is not None:
        return shard, review_pair_shard(_PAIR, groups, str(base))
    stats = ReviewStats()
    cards_tmp, errors_tmp = Path(f"{base}.cards.tmp"), Path(f"{base}.errors.tmp")
    with cards_tmp.open("wb") as cards, errors_tmp.open("wb") as errors:
        for pid in sorted(groups):
            result = reviewer.review(pid, groups.pop(pid))
            if result.lines:
                cards.write(b"\n".join(result.lines) + b"\n")
            if result.errors:
                errors.write(b"".join(orjson.dumps(e) + b"\n" for e in result.errors))
            stats.merge(result.stats)
    os.replace(cards_tmp, f"{base}.cards.ndjson")
    os.replace(errors_tmp, f"{base}.errors.ndjson")
    return shard, stats


def _shard_lines(payload: Payload) -> Iterator[tuple[str, bytes]]:
    if isinstance(payload, list):
        yield from payload
        return
    for path in payload:
        with open(path, "rb") as fh:
            for line in fh:
                pid, _, raw = line.rstrip(b"\n").partition(b"\t")
                yield pid.decode(), raw


def _evaluate_shards(
    part: Partition,
    pack: Pack,
    options: ReviewOptions,
    as_of: AsOf,
    finished: set[int],
    state: dict[str, Any],
    reporter: Reporter,
    abort_after: int | None,
) -> None:
    todo = sorted(s for s in part.patients if s not in finished)
    total_patients = sum(len(p) for p in part.patients.values())
    done_patients = sum(len(part.patients[s]) for s in finished if s in part.patients)
    reporter.start(total_patients, done_patients)
    payloads = {s: _payload(part, s) for s in todo}
    part.shards.clear()
    completed = 0

    def record(result: tuple[int, ReviewStats]) -> None:
        nonlocal completed
        shard, stats = result
        _write_atomic(options.out / "parts" / f"shard-{shard:05d}.stats.json", orjson.dumps(stats))
        finished.add(shard)
        state["finished"] = sorted(finished)
        _write_atomic(options.out / "progress.json", orjson.dumps(state))
        reporter.advance(len(part.patients[shard]), part.resources.get(shard, 0))
        completed += 1
        if abort_after is not None and completed >= abort_after:
            raise KeyboardInterrupt("aborted for a test")

    try:
        if options.workers <= 1 or len(todo) <= 1:
            init_worker(
                pack,
                part.references,
                as_of,
                options.site,
                options.site_timezone,
                options.compare,
                replay_triggers(pack, options),
            )
            for shard in todo:
                record(review_shard(shard, payloads.pop(shard), str(options.out / "parts")))
        else:
            _run_pool(todo, payloads, part, pack, options, as_of, record)
    finally:
        reporter.close()


def _payload(part: Partition, shard: int) -> Payload:
    if part.spill_dir is not None:
        return tuple(part.files.get(shard, ()))
    return part.shards.get(shard, [])


def _run_pool(
    todo: list[int],
    payloads: dict[int, Payload],
    part: Partition,
    pack: Pack,
    options: ReviewOptions,
    as_of: AsOf,
    record: Callable[[tuple[int, ReviewStats]], None],
) -> None:
    context = _context()
    workers = min(options.workers, len(todo))
    parts = str(options.out / "parts")
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=init_worker,
        initargs=(
            pack,
            part.references,
            as_of,
            options.site,
            options.site_timezone,
            options.compare,
            replay_triggers(pack, options),
        ),
    ) as pool:
        pending: dict[Future[tuple[int, ReviewStats]], int] = {}
        queue = list(todo)
        try:
            while queue or pending:
                while queue and len(pending) < workers * 2:  # bounded: payloads stay in the parent
                    shard = queue.pop(0)
                    pending[pool.submit(review_shard, shard, payloads.pop(shard), parts)] = shard
                done = next(_as_completed(pending))
                del pending[done]
                record(done.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise


def _as_completed(
    pending: dict[Future[tuple[int, ReviewStats]], int],
) -> Iterator[Future[tuple[int, ReviewStats]]]:
    from concurrent.futures import FIRST_COMPLETED, wait

    done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
    yield from sorted(done, key=lambda f: pending[f])


# ---------------------------------------------------------------------------------------------
# Outputs


def merge_outputs(
    out: Path,
    part: Partition,
    n_shards: int,
    sources: Sequence[SourceFile],
    options: ReviewOptions,
    pack: Pack,
    as_of: AsOf,
) -> dict[str, Any]:
    """Merge the shards' outputs into cards.ndjson, errors.ndjson, summary.json and the
    report, in shard order (both engines end here); the summary."""
    stats = ReviewStats()
    shards = [s for s in range(n_shards) if s in part.patients]
    with (out / "cards.ndjson").open("wb") as cards:
        for s in shards:
            cards.write((out / "parts" / f"shard-{s:05d}.cards.ndjson").read_bytes())
    with (out / "errors.ndjson").open("wb") as errors:
        errors.write((out / "parts" / "input-errors.ndjson").read_bytes())
        for s in shards:
            errors.write((out / "parts" / f"shard-{s:05d}.errors.ndjson").read_bytes())
    for s in shards:
        shard_stats = orjson.loads((out / "parts" / f"shard-{s:05d}.stats.json").read_bytes())
        stats.merge(ReviewStats.from_json(shard_stats))
    summary = build_summary(part.counts, part.types, stats, sources, pack, options.as_of, as_of)
    (out / "summary.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return summary


def merge_comparison(
    out: Path,
    part: Partition,
    n_shards: int,
    options: ReviewOptions,
    pack: Pack,
    summary: Mapping[str, Any],
    rates: Mapping[str, Any] | None,
) -> dict[str, Any] | None:
    """With ``--compare``: compare-cards.ndjson, compare-errors.ndjson and compare.json."""
    if options.compare is None:
        return None
    side_a = Side(options.label, options.pack, options.site, options.site_timezone)
    shards = [s for s in range(n_shards) if s in part.patients]
    return merge_compare(out, shards, summary, (side_a, options.compare), pack, rates)


def _override_rates(options: ReviewOptions, pack: Pack) -> dict[str, Any] | None:
    if options.feedback is None or options.compare is None:
        return None
    return override_rates(options.feedback, {pack.id, options.compare.pack.id})
