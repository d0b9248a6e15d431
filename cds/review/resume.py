"""Resume: ``DIR/progress.json`` records the run (a fingerprint of its inputs and options, its
"now", its shard count) and each shard finished, so that the same command after a kill skips
the finished shards and writes the same files as an uninterrupted run. A changed input or
option starts the run over.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from cds.pack.load import Pack
from cds.review.compare import Counterpart
from cds.review.options import ReviewOptions
from cds.review.shards import FOOTPRINT, GZIP_RATIO, MIN_SHARDS, is_gzipped
from cds.review.sources import SourceFile

#: The layout of a shard's files under ``parts/``: a run left by a version that wrote another
#: (version 1 had no ``flagged``, ``changed-a`` or ``changed-b`` files) starts again instead of
#: resuming.
PARTS_LAYOUT = 2


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
        "parts": PARTS_LAYOUT,
    }


def _compare_fingerprint(counterpart: Counterpart | None) -> Any:
    if counterpart is None:
        return None
    side, pack = counterpart.side, counterpart.pack
    return [side.label, f"{pack.id}@{pack.version}", dict(side.site), side.site_timezone]


def load_progress(
    out: Path, sources: Sequence[SourceFile], options: ReviewOptions, pack: Pack
) -> dict[str, Any]:
    """The run's state: the progress file when it was written for these inputs and options,
    else a new one (no shard finished, a new "now", a shard count for the input's size), the
    stale shard outputs removed."""
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
    estimate = sum(
        s.path.stat().st_size * (GZIP_RATIO if is_gzipped(s.path) else 1) for s in sources
    )
    budget = options.memory_mb * 1024 * 1024
    state = {
        "fingerprint": fingerprint,
        "now": datetime.now(UTC).isoformat(),
        # each shard's footprint at most a quarter of the budget (one shard per worker)
        "n_shards": max(MIN_SHARDS, math.ceil(estimate * FOOTPRINT * 4 / max(budget, 1 << 20))),
        "finished": [],
    }
    write_atomic(path, orjson.dumps(state))
    return state


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step (a kill leaves the old file or the new one)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
