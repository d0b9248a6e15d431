"""What ``cds review`` was asked to do, read by both engines (local and Spark)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cds.facts.times import parse_instant
from cds.review.compare import Counterpart


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


def fixed_as_of(text: str) -> datetime | None:
    """``--as-of``: None for each patient's last discharge, else the instant given."""
    return None if text == "last-discharge" else parse_instant(text, "--as-of")
