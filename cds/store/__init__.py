"""The I/O edge that persists issued cards and clinician feedback (SQLAlchemy 2)."""

from cds.store.db import CardRecord, ReportRow, Store, client_of, hash_patient, report
from cds.store.feedback import FeedbackOutcome, Refusal

__all__ = [
    "CardRecord",
    "FeedbackOutcome",
    "Refusal",
    "ReportRow",
    "Store",
    "client_of",
    "hash_patient",
    "report",
]
