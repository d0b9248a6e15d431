"""The Spark engine's input: NDJSON and Bundle files, and Parquet tables (one row per resource,
a ``resource`` column holding the JSON), read and accounted for on the executors.

Executors read the files with ``sources.read_lines`` (the same verdicts as the local engine)
and classify Parquet rows line by line with ``sources.classify_raw``; every line is accounted
for with the local engine's ``shards.place_line``. Each patient line is keyed ``(patient id,
input, line)``; each read partition ends with one accounting record (key `ACCOUNT`) that the
driver merges in input order (`gather_accounting`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cds.errors import InputError
from cds.review.options import ReviewOptions
from cds.review.shards import (
    FOOTPRINT,
    GZIP_RATIO,
    MIN_SHARDS,
    Partition,
    is_gzipped,
    place_line,
)
from cds.review.sources import InputLine, SourceFile, classify_raw, read_lines

if TYPE_CHECKING:
    from pyspark import RDD
    from pyspark.sql import SparkSession

#: Parquet holds JSON text compressed, about as tightly as gzip.
PARQUET_RATIO = GZIP_RATIO
#: The key of the one accounting record each read partition ends with (sorts before any pid).
ACCOUNT = ("", -1, -1)


def n_partitions(
    sources: Sequence[SourceFile], tables: Sequence[Path], options: ReviewOptions, parallelism: int
) -> int:
    """The local engine's shard count (each shard at most a quarter of ``--memory-mb``), and at
    least two partitions per core of the cluster."""
    estimate = sum(
        s.path.stat().st_size * (GZIP_RATIO if is_gzipped(s.path) else 1) for s in sources
    )
    estimate += sum(_size(t) * PARQUET_RATIO for t in tables)
    budget = max(options.memory_mb * 1024 * 1024, 1 << 20)
    return max(MIN_SHARDS, math.ceil(estimate * FOOTPRINT * 4 / budget), 2 * parallelism)


def split_inputs(inputs: Sequence[Path]) -> tuple[list[Path], list[Path]]:
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


#: ((patient id, input, line), raw line), or (ACCOUNT, a read partition's accounting).
Keyed = tuple[tuple[str, int, int], Any]


def read_input(
    spark: SparkSession, sources: list[SourceFile], tables: list[Path], n_shards: int
) -> RDD[Keyed]:
    """``((pid, input, line), raw)`` for every patient line, and per read partition one
    ``(ACCOUNT, accounting)`` record."""
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
    yield ACCOUNT, _accounting(part, errors)


def _account_rows(
    rows: Iterable[tuple[Any, int]], number: int, where: str, n_shards: int
) -> Iterator[Keyed]:
    part, errors = Partition(n_shards, None), BytesIO()
    lines = (_row_line(where, row, index) for row, index in rows)
    yield from _account(number, lines, part, errors)
    yield ACCOUNT, _accounting(part, errors)


def _row_line(where: str, row: Any, index: int) -> InputLine:
    value = row[0]
    raw = value.encode() if isinstance(value, str) else bytes(value or b"")
    return InputLine(where, index + 1, raw, classify_raw(raw))


def _account(
    number: int, lines: Iterable[InputLine], part: Partition, errors: BytesIO
) -> Iterator[Keyed]:
    everything = set(range(part.n_shards))  # place_line keeps no line of a "finished" shard
    for line in lines:
        place_line(line.where, line.line, line.raw, line.verdict, part, everything, {}, errors)
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


def gather_accounting(lines: RDD[Keyed], n_shards: int, out: Path) -> Partition:
    """Merge the read partitions' accounting on the driver (in input order, as local reads)."""
    part = Partition(n_shards, None)
    with (out / "parts" / "input-errors.ndjson").open("wb") as errors:
        for record in lines.filter(lambda kv: kv[0] == ACCOUNT).values().collect():
            part.counts.update(record["counts"])
            part.types.update(record["types"])
            for shard, pids in record["patients"].items():
                part.patients.setdefault(shard, set()).update(pids)
            for shard, count in record["resources"].items():
                part.resources[shard] = part.resources.get(shard, 0) + count
            part.references += record["references"]
            errors.write(record["errors"])
    return part
