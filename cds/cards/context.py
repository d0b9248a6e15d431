"""What the card builder knows about the call besides its findings."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import Any

from cds.facts.model import DataIssue
from cds.hooks.registry import Hook

DATA_CHECK = "data-check"
"""The topic whose card lists data that could not be read, verified or retrieved."""


@dataclass(frozen=True)
class CardContext:
    """What the card builder needs to know about the call besides the findings."""

    hook: Hook
    patient_id: str
    encounter_id: str | None = None
    draft_orders: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The draft orders an action may name, by reference (``MedicationRequest/rx1``)."""
    unaddressable_drafts: frozenset[str] = frozenset()
    """Draft orders no action may name (no id, or one that is not a FHIR id), as the
    findings' evidence names them (``MedicationRequest/?``)."""
    issues: Sequence[DataIssue] = ()
    new_uuid: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    tz: tzinfo = UTC
    """The site's zone: every time on a card is shown in it."""
    now: datetime | None = None
    """The evaluation time (today's readings show only their clock time)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """What each record of the findings' evidence is, in words (``Observation/hr1`` → "Heart
    rate"), so a data issue about it can say so; filled by ``build_cards``."""
    topics_shown: frozenset[str] = frozenset()
    """The topics of the call's cards (the data-check card says whether an emergency or
    urgent card stands beside it); filled by ``build_cards``."""
    today: date | None = field(init=False, repr=False, compare=False)
    """The evaluation day in the site's zone, worked out once per call (every time shown
    on the cards is compared with it)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "today", _today(self.now, self.tz))

    def for_cards(self, names: Mapping[str, str], topics_shown: frozenset[str]) -> CardContext:
        """This context with the call's ``names`` and ``topics_shown``, copied without
        ``__init__``: ``dataclasses.replace`` runs it and ``__post_init__`` again (8 µs a
        call), and neither field changes ``today``."""
        copy = object.__new__(CardContext)
        copy.__dict__.update(self.__dict__, names=names, topics_shown=topics_shown)
        return copy


def _today(now: datetime | None, tz: tzinfo) -> date | None:
    return now.astimezone(tz).date() if now is not None else None


def missing_keys(issues: Sequence[DataIssue], keys: Sequence[str]) -> bool:
    """True when a data issue says one of these prefetch keys was not had in full."""
    wanted = {f"prefetch.{key}" for key in keys}
    return any(issue.rid in wanted for issue in issues)
