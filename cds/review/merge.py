"""Merging the shards' outputs, in shard order, into the files of a review (both engines end
here): ``cards.ndjson``, ``errors.ndjson`` and ``summary.json``; with ``--compare``, B's cards
and errors and ``compare.json``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from cds.pack.load import Pack
from cds.review.burden import merge_compare
from cds.review.compare import Side
from cds.review.options import ReviewOptions
from cds.review.overrides import override_rates
from cds.review.replay import AsOf
from cds.review.shards import Partition, concatenate
from cds.review.sources import SourceFile
from cds.review.stats import ReviewStats
from cds.review.summary import build_summary


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
    shards = present_shards(part, n_shards)
    parts = out / "parts"
    concatenate(out / "cards.ndjson", [parts / f"shard-{s:05d}.cards.ndjson" for s in shards])
    errors = [
        parts / "input-errors.ndjson",
        *(parts / f"shard-{s:05d}.errors.ndjson" for s in shards),
    ]
    concatenate(out / "errors.ndjson", errors)
    for s in shards:
        shard_stats = orjson.loads((parts / f"shard-{s:05d}.stats.json").read_bytes())
        stats.merge(ReviewStats.from_json(shard_stats))
    summary = build_summary(part.counts, part.types, stats, sources, pack, options.as_of, as_of)
    (out / "summary.json").write_bytes(
        orjson.dumps(summary, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    )
    return summary


def present_shards(part: Partition, n_shards: int) -> list[int]:
    """The shards that hold patients, in order (the others wrote nothing)."""
    return [s for s in range(n_shards) if s in part.patients]


Tagged = Iterator[tuple[str, bytes]]
ReportLines = tuple[Tagged, tuple[Tagged, ...] | None]
"""What the report lists: the flagged lines, and a comparison's changed lines under A and B."""


def report_lines(
    out: Path, part: Partition, n_shards: int, compared: Mapping[str, Any] | None
) -> ReportLines:
    """What `report.write_report` lists, as the shards tagged it (both engines): the flagged
    lines and, for a comparison, the changed patients' lines under A and under B."""
    flagged = tagged_parts(out, part, n_shards, "flagged")
    if compared is None:
        return flagged, None
    return flagged, tuple(tagged_parts(out, part, n_shards, f"changed-{s}") for s in "ab")


def tagged_parts(
    out: Path, part: Partition, n_shards: int, name: str
) -> Iterator[tuple[str, bytes]]:
    """The shards' tagged lines of one kind (``flagged``: the lines of cards.ndjson the report
    lists; ``changed-a``, ``changed-b``: a comparison's changed patients' lines under A and B),
    in shard order, for the report: it need not read the cards files again."""
    paths = (out / "parts" / f"shard-{s:05d}.{name}.ndjson" for s in present_shards(part, n_shards))
    return tagged_lines(paths)


def tagged_lines(paths: Iterable[Path]) -> Iterator[tuple[str, bytes]]:
    """(patient reference, cards line) of each line ``replay.tagged`` wrote to ``paths``, in
    order."""
    for path in paths:
        with path.open("rb") as fh:
            for raw in fh:
                patient, _, line = raw.rstrip(b"\n").partition(b"\t")
                yield patient.decode(), line


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
    shards = present_shards(part, n_shards)
    return merge_compare(out, shards, summary, (side_a, options.compare), pack, rates)


def compare_override_rates(options: ReviewOptions, pack: Pack) -> dict[str, Any] | None:
    """With ``--compare`` and ``--feedback``: each rule's observed override rate, for both packs."""
    if options.feedback is None or options.compare is None:
        return None
    return override_rates(options.feedback, {pack.id, options.compare.pack.id})
