"""The I/O edge that persists issued cards and clinician feedback (SQLAlchemy 2)."""

from cds.store.db import CardRecord, ReportRow, Store, hash_patient, report

__all__ = ["CardRecord", "ReportRow", "Store", "hash_patient", "report"]
