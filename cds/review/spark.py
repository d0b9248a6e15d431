"""The Spark engine: the local engine's review, with Spark as the partitioner.

Only the partitioner differs from ``cds/review/local.py``; everything else is the local code:

* **read** (one Spark job, ``spark_input.py``): executors read the input files with
  ``sources.read_lines`` (the same verdicts) and account for every line with the local engine's
  ``shards.place_line``; Parquet tables (one row per resource, a ``resource`` column holding
  the JSON) are classified line by line with ``sources.classify_raw``. Each patient line is
  keyed ``(patient id, input, line)``. The accounting, the input errors and the Medications
  come back to the driver; the patient lines stay cached on the executors.
* **group**: ``repartitionAndSortWithinPartitions`` sends a patient's lines to the partition
  ``shards.shard_of(pid, N)`` and sorts them by key (patient, then input order): the RDD form of
  ``repartition(pid).sortWithinPartitions(pid)`` (the ``groupBy().applyInPandas`` route costs
  ~2 ms a patient; shared/design/batch-notes.md section 2). No pandas or pyarrow is needed.
* **review**: each partition is one shard, reviewed by ``local.review_shard`` with the worker's
  ``PatientReviewer``, built on first use in each Python worker process (``local.init_worker``:
  a new engine and the pack's compiled rulesets); Spark reuses its Python workers, so that
  happens once per worker process and run. The pack travels as a broadcast, so a cluster needs
  the ``cds`` wheel but not the ``rules/`` folder.
* **outputs**: shards write ``DIR/parts/shard-N.*`` exactly as local workers do and the driver
  merges them with ``merge.merge_outputs`` and ``report.write_report``: ``cards.ndjson``,
  ``summary.json``, ``errors.ndjson`` and ``report.html`` are byte-identical to the local
  engine's when the partition count equals its shard count (16 up to ~700 MB of input at the
  default budget, and on ``local[N]`` with N up to 8). Spark then writes ``cards.parquet``
  from ``cards.ndjson``.

So ``--out`` (and every input) must be a path that the driver and the executors see under the
same name: any local folder in ``local[N]`` mode, a shared mount (``/Volumes/...`` on
Databricks, NFS) on a cluster.

The session is set up in ``spark_session.py``. These three modules are the only ones that
import pyspark, and only inside functions.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cds.errors import InputError
from cds.pack.load import Pack, load_pack
from cds.review import local
from cds.review.compare import Counterpart
from cds.review.merge import ReportLines, merge_comparison, merge_outputs, report_lines
from cds.review.options import ReviewOptions, fixed_as_of
from cds.review.overrides import override_rates
from cds.review.progress import Reporter
from cds.review.replay import AsOf, OrderTriggers
from cds.review.shards import Partition, shard_of
from cds.review.sources import SourceFile, discover
from cds.review.spark_input import (
    ACCOUNT,
    Keyed,
    gather_accounting,
    n_partitions,
    read_input,
    split_inputs,
)
from cds.review.spark_session import session_class, spark_session
from cds.review.stats import ReviewStats

if TYPE_CHECKING:
    from pyspark import RDD, Accumulator, Broadcast, SparkContext
    from pyspark.sql import SparkSession

CARDS_PARQUET_SCHEMA = "patient STRING, hook STRING, at STRING, cards STRING"


@dataclass(frozen=True)
class SparkOptions:
    """What ``cds review --engine spark`` adds to the local options."""

    master: str | None = None
    """A Spark master URL; default: ``SPARK_MASTER``, else ``local[workers]`` (or the session
    that ``spark-submit`` or a notebook already started)."""


@dataclass(frozen=True)
class _Job:
    """What every task of one run needs (pickled into the tasks; the large parts broadcast)."""

    run: str
    pack: Broadcast[Pack]
    references: Broadcast[list[bytes]]
    as_of: AsOf
    n_shards: int
    parts: str
    site: Mapping[str, float | None]
    site_timezone: str
    counterpart: Broadcast[Counterpart] | None = None
    """``--compare``: B (its pack broadcast like A's)."""
    triggers: OrderTriggers | None = None
    """The orders replayed, when not the pack's own (``local.replay_triggers``)."""


class _ByPatient:
    """Spark partitioner: the local engine's shard of the key's patient id."""

    def __init__(self, n_shards: int) -> None:
        self.n_shards = n_shards

    def __call__(self, key: tuple[str, int, int]) -> int:
        return shard_of(key[0], self.n_shards)


def run_review_spark(
    inputs: Sequence[Path],
    options: ReviewOptions,
    reporter: Reporter,
    spark_options: SparkOptions | None = None,
    *,
    spark: SparkSession | None = None,
) -> dict[str, Any]:
    """Review a population on Spark; the same outputs as ``local.run_review``, plus
    ``cards.parquet``. Uses ``spark`` when given (and leaves it running), else starts a session
    and stops it at the end unless it was already active."""
    from cds.review.report import write_report

    tables, files = split_inputs(inputs)
    sources = discover(files) if files else []
    if not sources and not tables:
        raise InputError("no NDJSON, Bundle or Parquet files found in the inputs")
    as_of = AsOf(fixed_as_of(options.as_of), datetime.now(UTC))
    pack = load_pack(options.pack)
    rates = (
        override_rates(options.feedback, {pack.id, options.compare.pack.id})
        if options.feedback and options.compare
        else None
    )
    out = options.out
    shutil.rmtree(out / "parts", ignore_errors=True)  # no resume: start from empty parts
    (out / "progress.json").unlink(missing_ok=True)
    (out / "parts").mkdir(parents=True)
    started = time.monotonic()
    owned = False
    if spark is None:
        owned = session_class().getActiveSession() is None
        spark = spark_session((spark_options or SparkOptions()).master, options.workers)
        reporter.log(
            f"Spark {spark.version} on {spark.sparkContext.master} in "
            f"{time.monotonic() - started:.1f} s"
        )
    try:
        summary, compared, listed = _run(
            spark, tables, sources, options, pack, as_of, reporter, rates
        )
        indicators = {t.code: t.indicator for t in pack.spec.topics}
        write_report(out, summary, indicators, compared, *listed)
        started = time.monotonic()
        _write_cards_parquet(spark, out)
        reporter.log(f"wrote cards.parquet in {time.monotonic() - started:.1f} s")
    finally:
        if owned:
            spark.stop()
    shutil.rmtree(out / "parts", ignore_errors=True)
    return summary


def _run(
    spark: SparkSession,
    tables: list[Path],
    sources: list[SourceFile],
    options: ReviewOptions,
    pack: Pack,
    as_of: AsOf,
    reporter: Reporter,
    rates: Mapping[str, Any] | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None, ReportLines]:
    """Review on Spark and merge the outputs: the summary, compare.json's content and the
    lines the report lists, as the shards tagged them (`merge.report_lines`)."""
    from pyspark import StorageLevel

    sc = spark.sparkContext
    out = options.out
    n_shards = n_partitions(sources, tables, options, sc.defaultParallelism)
    started = time.monotonic()
    lines = read_input(spark, sources, tables, n_shards).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        part = gather_accounting(lines, n_shards, out)
        reporter.log(
            f"read {part.counts['read']} lines in {time.monotonic() - started:.1f} s "
            f"({n_shards} partitions)"
        )
        job = _Job(
            run=uuid.uuid4().hex,
            pack=sc.broadcast(pack),
            references=sc.broadcast(part.references),
            as_of=as_of,
            n_shards=n_shards,
            parts=str((out / "parts").resolve()),
            site=dict(options.site),
            site_timezone=options.site_timezone,
            counterpart=sc.broadcast(options.compare) if options.compare else None,
            triggers=local.replay_triggers(pack, options),
        )
        try:
            _review(sc, lines, part, job, reporter)
        finally:
            job.pack.destroy()
            job.references.destroy()
            if job.counterpart is not None:
                job.counterpart.destroy()
    finally:
        lines.unpersist()
    summary = merge_outputs(out, part, n_shards, sources, options, pack, as_of)
    if tables:
        summary["inputs"] += [{"file": str(t), "format": "parquet", "type": None} for t in tables]
        (out / "summary.json").write_bytes(
            orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
    compared = merge_comparison(out, part, n_shards, options, pack, summary, rates)
    return summary, compared, report_lines(out, part, n_shards, compared)


def _review(
    sc: SparkContext, lines: RDD[Keyed], part: Partition, job: _Job, reporter: Reporter
) -> None:
    patients: Accumulator[int] = sc.accumulator(0)
    resources: Accumulator[int] = sc.accumulator(0)
    grouped = lines.filter(lambda kv: kv[0] != ACCOUNT).repartitionAndSortWithinPartitions(
        job.n_shards, _ByPatient(job.n_shards)
    )
    reviewed = grouped.mapPartitionsWithIndex(
        partial(_review_partition, job=job, patients=patients, resources=resources)
    )
    reporter.start(sum(len(p) for p in part.patients.values()), 0)
    stop = threading.Event()
    watcher = threading.Thread(
        target=_watch, args=(patients, resources, reporter, stop), daemon=True
    )
    watcher.start()
    started = time.monotonic()
    try:
        results = reviewed.collect()
    finally:
        stop.set()
        watcher.join()
        reporter.close()
    for shard, stats, _ in results:
        (Path(job.parts) / f"shard-{shard:05d}.stats.json").write_bytes(orjson.dumps(stats))
    processes = len({pid for _, _, pid in results})
    reporter.log(
        f"reviewed {len(results)} shards in {time.monotonic() - started:.1f} s, "
        f"in {processes} Python worker processes"
    )


def _watch(
    patients: Accumulator[int],
    resources: Accumulator[int],
    reporter: Reporter,
    stop: threading.Event,
) -> None:
    """Forward the tasks' progress (accumulators, merged as tasks finish) to the reporter."""
    done = seen = 0
    while True:
        stopping = stop.wait(0.5)
        now_done, now_seen = patients.value, resources.value
        if now_done != done:
            reporter.advance(now_done - done, now_seen - seen)
            done, seen = now_done, now_seen
        if stopping:
            return


_RUN: str | None = None
"""The run this Python worker process's reviewer was built for (Spark reuses workers)."""


def _review_partition(
    shard: int,
    rows: Iterable[Keyed],
    job: _Job,
    patients: Accumulator[int],
    resources: Accumulator[int],
) -> Iterator[tuple[int, ReviewStats, int]]:
    """One shard: the local engine's ``review_shard`` over the shard's sorted lines."""
    global _RUN
    payload = [(key[0], raw) for key, raw in rows]
    if not payload:
        return
    if job.run != _RUN:
        local.init_worker(
            job.pack.value,
            job.references.value,
            job.as_of,
            job.site,
            job.site_timezone,
            job.counterpart.value if job.counterpart is not None else None,
            job.triggers,
        )
        _RUN = job.run
    _, stats = local.review_shard(shard, payload, job.parts)
    patients.add(len({pid for pid, _ in payload}))
    resources.add(len(payload))
    yield shard, stats, os.getpid()


# ---------------------------------------------------------------------------------------------
# cards.parquet


def _write_cards_parquet(spark: SparkSession, out: Path) -> None:
    """``cards.parquet``: one row per ``cards.ndjson`` line; ``cards`` is the JSON array."""
    from pyspark.sql import functions as F

    cards = out / "cards.ndjson"
    target = str((out / "cards.parquet").resolve())
    if cards.stat().st_size == 0:
        spark.createDataFrame([], CARDS_PARQUET_SCHEMA).write.mode("overwrite").parquet(target)
        return
    text = spark.read.text(str(cards.resolve()))
    rows = text.select(F.from_json("value", CARDS_PARQUET_SCHEMA).alias("line")).select("line.*")
    rows.write.mode("overwrite").parquet(target)
