"""The I/O edge that persists issued cards and clinician feedback (SQLAlchemy 2)."""

from cds.store.db import (
    CardRecord,
    FeedbackOutcome,
    Refusal,
    ReportRow,
    Store,
    hash_patient,
    report,
)

__all__ = [
    "CardRecord",
    "FeedbackOutcome",
    "Refusal",
    "ReportRow",
    "Store",
    "hash_patient",
    "report",
]
