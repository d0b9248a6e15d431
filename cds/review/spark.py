"""The Spark engine: the local engine's review, with Spark as the partitioner.

Only the partitioner differs from ``cds/review/local.py``; everything else is the local code:

* **read** (one Spark job): executors read the input files with ``sources.read_lines`` (the
  same verdicts) and account for every line with the local engine's ``place_line``; Parquet tables
  (one row per resource, a ``resource`` column holding the JSON) are classified line by line
  with ``sources.classify_raw``. Each patient line is keyed ``(patient id, input, line)``. The
  accounting, the input errors and the Medications come back to the driver; the patient lines
  stay cached on the executors.
* **group**: ``repartitionAndSortWithinPartitions`` sends a patient's lines to the partition
  ``local.shard_of(pid, N)`` and sorts them by key (patient, then input order): the RDD form of
  ``repartition(pid).sortWithinPartitions(pid)`` (the ``groupBy().applyInPandas`` route costs
  ~2 ms a patient; shared/design/batch-notes.md section 2). No pandas or pyarrow is needed.
* **review**: each partition is one shard, reviewed by ``local.review_shard`` with the worker's
  ``PatientReviewer``, built on first use in each Python worker process (``local.init_worker``:
  a new engine and the pack's compiled rulesets); Spark reuses its Python workers, so that
  happens once per worker process and run. The pack travels as a broadcast, so a cluster needs
  the ``cds`` wheel but not the ``rules/`` folder.
* **outputs**: shards write ``DIR/parts/shard-N.*`` exactly as local workers do and the driver
  merges them with ``local.merge_outputs`` and ``report.write_report``: ``cards.ndjson``,
  ``summary.json``, ``errors.ndjson`` and ``report.html`` are byte-identical to the local
  engine's when the partition count equals its shard count (16 up to ~700 MB of input at the
  default budget, and on ``local[N]`` with N up to 8). Spark then writes ``cards.parquet``
  from ``cards.ndjson``.

So ``--out`` (and every input) must be a path that the driver and the executors see under the
same name: any local folder in ``local[N]`` mode, a shared mount (``/Volumes/...`` on
Databricks, NFS) on a cluster.

This is the only module that imports pyspark, and only inside functions.
"""

from __future__ import annotations

import math
import os
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cds.errors import ConfigError, InputError
from cds.pack.load import Pack, load_pack
from cds.review import local
from cds.review.compare import Counterpart
from cds.review.local import FOOTPRINT, GZIP_RATIO, MIN_SHARDS, Partition, ReviewOptions
from cds.review.overrides import override_rates
from cds.review.progress import Reporter
from cds.review.replay import AsOf, OrderTriggers
from cds.review.sources import InputLine, SourceFile, classify_raw, discover, read_lines
from cds.review.stats import ReviewStats

if TYPE_CHECKING:
    from pyspark import RDD, Accumulator, Broadcast, SparkContext
    from pyspark.sql import SparkSession

#: Parquet holds JSON text compressed, about as tightly as gzip.
PARQUET_RATIO = GZIP_RATIO
#: The key of the one accounting record each read partition ends with (sorts before any pid).
_ACCOUNT = ("", -1, -1)
#: Log4j 2 settings for a quiet driver: errors only, and no "Setting default log level" banner.
_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.submit.name = org.apache.spark.deploy.SparkSubmit
logger.submit.level = error
"""
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
        return local.shard_of(key[0], self.n_shards)


# ---------------------------------------------------------------------------------------------
# Session


def spark_session(master: str | None = None, workers: int | None = None) -> SparkSession:
    """The active session (spark-submit, a notebook), else a new one.

    Without ``master`` (or ``SPARK_MASTER``) it is ``local[workers]``, on loopback only: driver
    bound to 127.0.0.1, no UI, the venv's Python for the workers, errors-only logging.
    """
    session_class = _pyspark()
    active = session_class.getActiveSession()
    if active is not None and master is None:
        return active
    master = master or os.environ.get("SPARK_MASTER")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # started by spark-submit: keep its master
    builder = session_class.builder.appName("cds-review")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    if master is None and not submitted:
        master = f"local[{workers or os.cpu_count() or 1}]"
    if master is not None:
        builder = builder.master(master)
    log4j = None
    if master is not None and master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        # the workers' interpreter is read from the environment, not from spark.pyspark.python
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        fd, log4j = tempfile.mkstemp(prefix="cds-log4j2-", suffix=".properties")
        with os.fdopen(fd, "w") as fh:
            fh.write(_LOG4J)
        builder = (
            builder.config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.pyspark.python", sys.executable)
            .config("spark.pyspark.driver.python", sys.executable)
            .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{log4j}")
        )
    try:
        session = builder.getOrCreate()
    finally:
        if log4j is not None:
            os.unlink(log4j)
    session.sparkContext.setLogLevel("ERROR")
    return session


def _pyspark() -> type[SparkSession]:
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # `make run` and a plain install leave the extra out
        raise ConfigError(
            "the spark engine needs the 'spark' extra (PySpark), which is not installed: "
            "pip install -e '.[spark]' in a checkout (make test installs it), or "
            "pip install 'cds[spark]'; Spark also needs Java 17+. Or use --engine local"
        ) from exc
    return SparkSession


# ---------------------------------------------------------------------------------------------
# Run


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

    tables, files = _split_inputs(inputs)
    sources = discover(files) if files else []
    if not sources and not tables:
        raise InputError("no NDJSON, Bundle or Parquet files found in the inputs")
    as_of = AsOf(local.fixed_as_of(options.as_of), datetime.now(UTC))
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
        owned = _pyspark().getActiveSession() is None
        spark = spark_session((spark_options or SparkOptions()).master, options.workers)
        reporter.log(
            f"Spark {spark.version} on {spark.sparkContext.master} in "
            f"{time.monotonic() - started:.1f} s"
        )
    try:
        summary, compared = _run(spark, tables, sources, options, pack, as_of, reporter, rates)
        write_report(out, summary, {t.code: t.indicator for t in pack.spec.topics}, compared)
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
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    from pyspark import StorageLevel

    sc = spark.sparkContext
    out = options.out
    n_shards = n_partitions(sources, tables, options, sc.defaultParallelism)
    started = time.monotonic()
    lines = _read(spark, sources, tables, n_shards).persist(StorageLevel.MEMORY_AND_DISK)
    try:
        part = _gather_accounting(lines, n_shards, out)
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
    summary = local.merge_outputs(out, part, n_shards, sources, options, pack, as_of)
    if tables:
        summary["inputs"] += [{"file": str(t), "format": "parquet", "type": None} for t in tables]
        (out / "summary.json").write_bytes(
            orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
        )
    compared = local.merge_comparison(out, part, n_shards, options, pack, summary, rates)
    return summary, compared


def n_partitions(
    sources: Sequence[SourceFile], tables: Sequence[Path], options: ReviewOptions, parallelism: int
) -> int:
    """The local engine's shard count (each shard at most a quarter of ``--memory-mb``), and at
    least two partitions per core of the cluster."""
    estimate = sum(s.path.stat().st_size * (GZIP_RATIO if _gz(s.path) else 1) for s in sources)
    estimate += sum(_size(t) * PARQUET_RATIO for t in tables)
    budget = max(options.memory_mb * 1024 * 1024, 1 << 20)
    return max(MIN_SHARDS, math.ceil(estimate * FOOTPRINT * 4 / budget), 2 * parallelism)


def _split_inputs(inputs: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """Parquet tables (a ``.parquet`` file, or a folder holding some and no manifest.json), and
    the rest for ``sources.discover``; a Delta table is refused (its folder holds stale files)."""
    tables, files = [], []
    for item in inputs:
        if item.is_dir() and (item / "_delta_log").is_dir():
            raise InputError(
                f"{item} is a Delta table: its folder also holds the Parquet files of removed "
                "versions. Write a snapshot first: spark.read.format('delta').load(path)"
                ".select('resource').write.parquet(snapshot)"
            )
        if item.is_file() and item.suffix == ".parquet":
            tables.append(item)
        elif (
            item.is_dir()
            and not (item / "manifest.json").exists()
            and next(item.rglob("*.parquet"), None) is not None
        ):
            tables.append(item)
        else:
            files.append(item)
    return tables, files


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*.parquet") if p.is_file())


def _gz(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


# ---------------------------------------------------------------------------------------------
# Read: every line classified and accounted for on the executors


Keyed = tuple[tuple[str, int, int], Any]


def _read(
    spark: SparkSession, sources: list[SourceFile], tables: list[Path], n_shards: int
) -> RDD[Keyed]:
    """``((pid, input, line), raw)`` for every patient line, and per read partition one
    ``(_ACCOUNT, accounting)`` record."""
    sc = spark.sparkContext
    parts: list[RDD[Keyed]] = []
    if sources:
        items = list(enumerate(sources))
        slices = min(len(items), max(1, 4 * sc.defaultParallelism))
        parts.append(
            sc.parallelize(items, slices).mapPartitions(partial(_account_files, n_shards=n_shards))
        )
    for number, table in enumerate(tables, start=len(sources)):
        rows = spark.read.parquet(str(table.resolve())).select("resource").rdd
        where = str(table)
        parts.append(
            rows.zipWithIndex().mapPartitions(
                partial(_account_rows, number=number, where=where, n_shards=n_shards)
            )
        )
    return parts[0] if len(parts) == 1 else sc.union(parts)


def _account_files(items: Iterable[tuple[int, SourceFile]], n_shards: int) -> Iterator[Keyed]:
    part, errors = Partition(n_shards, None), BytesIO()
    for number, src in items:
        yield from _account(number, read_lines(src), part, errors)
    yield _ACCOUNT, _accounting(part, errors)


def _account_rows(
    rows: Iterable[tuple[Any, int]], number: int, where: str, n_shards: int
) -> Iterator[Keyed]:
    part, errors = Partition(n_shards, None), BytesIO()
    lines = (_row_line(where, row, index) for row, index in rows)
    yield from _account(number, lines, part, errors)
    yield _ACCOUNT, _accounting(part, errors)


def _row_line(where: str, row: Any, index: int) -> InputLine:
    value = row[0]
    raw = value.encode() if isinstance(value, str) else bytes(value or b"")
    return InputLine(where, index + 1, raw, classify_raw(raw))


def _account(
    number: int, lines: Iterable[InputLine], part: Partition, errors: BytesIO
) -> Iterator[Keyed]:
    everything = set(range(part.n_shards))  # place_line keeps no line of a "finished" shard
    for line in lines:
        local.place_line(
            line.where, line.line, line.raw, line.verdict, part, everything, {}, errors
        )
        if line.verdict.kind == "patient":
            yield (line.verdict.pid, number, line.line), line.raw


def _accounting(part: Partition, errors: BytesIO) -> dict[str, Any]:
    return {
        "counts": part.counts,
        "types": part.types,
        "patients": part.patients,
        "resources": part.resources,
        "references": part.references,
        "errors": errors.getvalue(),
    }


def _gather_accounting(lines: RDD[Keyed], n_shards: int, out: Path) -> Partition:
    """Merge the read partitions' accounting on the driver (in input order, as local reads)."""
    part = Partition(n_shards, None)
    with (out / "parts" / "input-errors.ndjson").open("wb") as errors:
        for record in lines.filter(lambda kv: kv[0] == _ACCOUNT).values().collect():
            part.counts.update(record["counts"])
            part.types.update(record["types"])
            for shard, pids in record["patients"].items():
                part.patients.setdefault(shard, set()).update(pids)
            for shard, count in record["resources"].items():
                part.resources[shard] = part.resources.get(shard, 0) + count
            part.references += record["references"]
            errors.write(record["errors"])
    return part


# ---------------------------------------------------------------------------------------------
# Group and review


def _review(
    sc: SparkContext, lines: RDD[Keyed], part: Partition, job: _Job, reporter: Reporter
) -> None:
    patients: Accumulator[int] = sc.accumulator(0)
    resources: Accumulator[int] = sc.accumulator(0)
    grouped = lines.filter(lambda kv: kv[0] != _ACCOUNT).repartitionAndSortWithinPartitions(
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
