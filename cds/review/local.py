"""The local engine: read the input into shards, review the shards in a process pool, merge.

``run_review`` is the whole run: the progress file (``resume.py``), the read (sequential, or
with more than one worker spread over reader processes by byte ranges, ``read_units``; the
accounting and spilling are ``shards.py``), the shards reviewed (``schedule.py``, by this
module's worker), and the outputs merged (``merge.py``) and the report written.

The rules engine is built once per worker process, in the pool initializer `init_worker`
(durable_rules is not thread-safe and its state cannot be pickled); `review_shard` reviews one
shard's patients with it. Each finished shard's outputs are written under ``DIR/parts/`` and
recorded in ``DIR/progress.json``, so a killed run resumes where it stopped and produces the
same files.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

import orjson

from cds.config import zone_of
from cds.errors import InputError
from cds.pack.load import Pack, load_pack
from cds.pipeline import Evaluator, new_engine
from cds.review.compare import Counterpart, PairReviewer, review_pair_shard
from cds.review.merge import (
    compare_override_rates,
    merge_comparison,
    merge_outputs,
    report_lines,
)
from cds.review.options import ReviewOptions, fixed_as_of
from cds.review.progress import Reporter
from cds.review.replay import WRITE_BUFFER, AsOf, OrderTriggers, PatientReviewer, write_result
from cds.review.resume import load_progress
from cds.review.schedule import ShardWorker, evaluate_shards, pool_context
from cds.review.shards import (
    Partition,
    Payload,
    ReadUnit,
    is_gzipped,
    merge_unit,
    partition,
    read_unit,
    shard_lines,
)
from cds.review.sources import SourceFile, discover
from cds.review.stats import ReviewStats

#: A parallel read splits plain NDJSON files into byte ranges of about this size at least.
READ_CHUNK = 4 << 20


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
    rates = compare_override_rates(options, pack)
    out = options.out
    (out / "parts").mkdir(parents=True, exist_ok=True)
    state = load_progress(out, sources, options, pack)
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
            part = partition(sources, state["n_shards"], options, finished, errors)
    mode = "spilled to shard files" if part.spill_dir else "in memory"
    mode += f", read by {options.workers} processes" if options.workers > 1 else ""
    reporter.log(
        f"read {part.counts['read']} lines in {time.monotonic() - started:.1f} s "
        f"({part.n_shards} shards, {mode})"
    )
    worker = ShardWorker(
        init_worker,
        (
            pack,
            part.references,
            as_of,
            options.site,
            options.site_timezone,
            options.compare,
            replay_triggers(pack, options),
        ),
        review_shard,
    )
    try:
        evaluate_shards(part, worker, options, finished, state, reporter, _abort_after_shards)
    finally:
        if part.spill_dir is not None:
            shutil.rmtree(part.spill_dir, ignore_errors=True)
    started = time.monotonic()
    n_shards = state["n_shards"]
    summary = merge_outputs(out, part, n_shards, sources, options, pack, as_of)
    compared = merge_comparison(out, part, n_shards, options, pack, summary, rates)
    indicators = {t.code: t.indicator for t in pack.spec.topics}
    write_report(out, summary, indicators, compared, *report_lines(out, part, n_shards, compared))
    reporter.log(f"wrote the outputs in {time.monotonic() - started:.1f} s")
    shutil.rmtree(out / "parts", ignore_errors=True)
    (out / "progress.json").unlink(missing_ok=True)
    return summary


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
    return src.format == "ndjson" and not is_gzipped(src.path)


def _partition_parallel(
    sources: Sequence[SourceFile],
    n_shards: int,
    options: ReviewOptions,
    finished: set[int],
    errors: IO[bytes],
    workers: int,
) -> Partition:
    """``partition`` with the reading, parsing and classifying spread over ``workers``
    processes, each writing its own shard files; the same lines, counts and errors, in the
    same order (units are merged in input order, each shard's files read in that order)."""
    spill_dir = Path(tempfile.mkdtemp(prefix=".spill-", dir=options.out))
    part = Partition(n_shards, spill_dir)
    units = read_units(sources, workers)
    lines_before: dict[int, int] = {}  # per source: the lines of its units already merged
    try:
        with ProcessPoolExecutor(min(workers, len(units)), mp_context=pool_context()) as pool:
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
                merge_unit(part, read, offset, errors)
    except BaseException:
        shutil.rmtree(spill_dir, ignore_errors=True)
        raise
    return part


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
    pair = counterpart is not None  # a comparison diffs each call's outcomes under A and B
    _REVIEWER = PatientReviewer(evaluator, meds, as_of, triggers, outcomes=pair)
    _PAIR = None
    if counterpart is not None:
        b = counterpart.side
        other = Evaluator(counterpart.pack, b.site, engine, timezone=zone_of(b.site_timezone))
        reviewer_b = PatientReviewer(other, meds, as_of, triggers, outcomes=True)
        _PAIR = PairReviewer(_REVIEWER, reviewer_b)


def replay_triggers(pack: Pack, options: ReviewOptions) -> OrderTriggers | None:
    """The orders replayed when they are not the pack's own: with ``--compare``, those of
    both packs (B may look at orders A does not, or not at some A looks at)."""
    packs = [load_pack(p) for p in options.replay_also]
    if options.compare is not None:
        packs.append(options.compare.pack)
    return OrderTriggers.of_all([pack, *packs]) if packs else None


def review_shard(shard: int, payload: Payload, parts: str) -> tuple[int, ReviewStats]:
    """Review every patient of one shard, in patient order, streaming its cards and errors to
    ``parts/shard-N.*.ndjson`` (renamed into place when complete), with the lines the report
    lists (``flagged``); (shard, stats)."""
    reviewer = _REVIEWER
    if reviewer is None:
        raise RuntimeError("review_shard called before init_worker")
    groups: dict[str, list[bytes]] = {}
    for pid, raw in shard_lines(payload):
        groups.setdefault(pid, []).append(raw)
    base = Path(parts) / f"shard-{shard:05d}"
    if _PAIR is not None:
        return shard, review_pair_shard(_PAIR, groups, str(base))
    stats = ReviewStats()
    names = ("cards", "errors", "flagged")
    files = {name: open(f"{base}.{name}.tmp", "wb", WRITE_BUFFER) for name in names}
    try:
        for pid in sorted(groups):
            result = reviewer.review(pid, groups.pop(pid))
            write_result(pid, result, files["cards"], files["errors"], files["flagged"])
            stats.merge(result.stats)
    finally:
        for handle in files.values():
            handle.close()
    for name in names:
        os.replace(f"{base}.{name}.tmp", f"{base}.{name}.ndjson")
    return shard, stats
