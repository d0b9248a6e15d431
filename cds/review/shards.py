"""Sharding and spilling: every input line accounted for, and each patient's lines sent to
their shard.

Measured in shared/design/batch-notes.md: parse once for the patient key, keep *raw bytes*
grouped (parsed dicts with the GC on are 3-5x slower), parse again per patient in the worker.
Patients are hash-partitioned into shards (crc32 of the id); when the input is larger than the
memory budget the shards are spilled to files and each worker reads one shard at a time. A
parallel read (``local.read_units``) gives each reader process a unit of the input
(`read_unit`), spilled to its own shard files, and merges what it found in input order
(`merge_unit`), so the lines, counts and errors are those of one sequential read.
"""

from __future__ import annotations

import io
import os
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from cds.review.options import ReviewOptions
from cds.review.sources import SourceFile, read_lines, read_range

MIN_SHARDS = 16
GZIP_RATIO = 6  # a gzipped NDJSON export is roughly this much larger once read
#: Raw lines held in Python (bytes objects, tuples, patient ids) take ~2.5x their size: measured
#: 1.6 GB peak for 350 MB of NDJSON held in memory.
FOOTPRINT = 3
#: Each spilled shard file is written through a buffer this large (a line is 500 bytes on
#: average: the default 8 KB buffer made a write call every 16 lines).
SPILL_BUFFER = 1 << 18
#: A shard's lines: in memory, or the files they were spilled to (read in this order).
Payload = list[tuple[str, bytes]] | tuple[str, ...]


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


def shard_of(pid: str, n_shards: int) -> int:
    """The shard of a patient: stable across runs and machines."""
    return shard_of_key(pid.encode(), n_shards)


def shard_of_key(key: bytes, n_shards: int) -> int:
    """`shard_of` of a patient id already encoded (the read encodes each id once)."""
    return zlib.crc32(key) % n_shards


def partition(
    sources: Sequence[SourceFile],
    n_shards: int,
    options: ReviewOptions,
    finished: set[int],
    errors: IO[bytes],
) -> Partition:
    """Read every line of ``sources`` in one process and place it (`place_line`): in memory,
    or spilled to shard files when the input is larger than the budget (`needs_spill`)."""
    spill = needs_spill(sources, options)
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


def merge_unit(part: Partition, read: UnitRead, offset: int, errors: IO[bytes]) -> None:
    """Add one read unit's counts, patients, shard files and errors to ``part``; its errors'
    line numbers are moved on by ``offset``, the lines of its file's units before it."""
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


def needs_spill(sources: Sequence[SourceFile], options: ReviewOptions) -> bool:
    """Whether the input, held in memory as raw lines, would exceed ``--memory-mb``."""
    estimate = sum(
        s.path.stat().st_size * (GZIP_RATIO if is_gzipped(s.path) else 1) for s in sources
    )
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
        pid = verdict.pid
        key = pid.encode()
        shard = shard_of_key(key, part.n_shards)
        pids = part.patients.get(shard)
        if pids is None:
            pids = part.patients[shard] = set()
        pids.add(pid)
        part.resources[shard] = part.resources.get(shard, 0) + 1
        if shard in finished:
            return
        if part.spill_dir is None:
            part.shards.setdefault(shard, []).append((pid, raw))
            return
        handle = handles.get(shard)
        if handle is None:
            path = part.spill_dir / f"shard-{shard:05d}.tsv"
            part.files.setdefault(shard, []).append(str(path))
            handle = handles[shard] = path.open("ab", SPILL_BUFFER)
        handle.write(key + b"\t" + raw + b"\n")


def shard_lines(payload: Payload) -> Iterator[tuple[str, bytes]]:
    """A shard's (patient id, raw line) pairs, from memory or from its spilled files."""
    if isinstance(payload, list):
        yield from payload
        return
    for path in payload:
        with open(path, "rb") as fh:
            for line in fh:
                pid, _, raw = line.rstrip(b"\n").partition(b"\t")
                yield pid.decode(), raw


def payload_of(part: Partition, shard: int) -> Payload:
    """What a worker is sent for one shard: its lines, or the files they were spilled to."""
    if part.spill_dir is not None:
        return tuple(part.files.get(shard, ()))
    return part.shards.get(shard, [])


def concatenate(target: Path, paths: Sequence[Path]) -> None:
    """Write ``target`` as the files of ``paths`` one after another, copied by the kernel
    (``sendfile``): the cards of a large review are over a gigabyte, which reading into Python
    and writing out again copied twice more."""
    with target.open("wb") as out:
        for path in paths:
            with path.open("rb") as source:
                size, sent = os.fstat(source.fileno()).st_size, 0
                while sent < size:
                    count = os.sendfile(out.fileno(), source.fileno(), sent, size - sent)
                    if count == 0:
                        raise OSError(f"{path} ended before its {size} bytes")
                    sent += count


def is_gzipped(path: Path) -> bool:
    """Whether a file is gzipped (by its magic number), whatever its name."""
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"
