"""Shared helpers for the review tests (imported as tests.review.helpers)."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import orjson

from cds.review.local import ReviewOptions, run_review
from cds.review.progress import LogReporter

SAMPLE = Path(__file__).resolve().parents[2] / "fhir_examples" / "bulk"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def review(inputs: list[Path], out: Path, **options: Any) -> dict[str, Any]:
    """Run the local engine quietly; the summary."""
    return run_review(inputs, ReviewOptions(out=out, **options), LogReporter(io.StringIO()))


def read_ndjson(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def without_uuids(data: Any) -> Any:
    """The one normaliser of volatile fields: card and suggestion uuids."""
    if isinstance(data, dict):
        return {k: ("<uuid>" if k == "uuid" else without_uuids(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [without_uuids(v) for v in data]
    if isinstance(data, str):
        return _UUID.sub("<uuid>", data)
    return data
