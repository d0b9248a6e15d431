"""FHIR R4 resources as every layer holds them: parsed JSON objects, read and never changed.

Below every layer, so that the wire models, the facts layer and the transports name one type."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, Literal

__all__ = ["FHIR_ID", "Resource", "bundle", "medication_key"]

Resource = Mapping[str, Any]
"""One FHIR resource (or a resource-shaped part of one) as parsed JSON."""

FHIR_ID: Final = re.compile(r"^[A-Za-z0-9\-.]+$")
"""The characters of a FHIR `id`. The 64-character limit is not enforced: Epic-style ids in
the CDS Hooks spec's own 3.0 examples are longer. The character set matters: ids are pasted
into prefetch URLs."""


def bundle(
    resources: Iterable[Resource], kind: Literal["searchset", "collection"]
) -> dict[str, Any]:
    """A Bundle of ``kind`` holding ``resources`` (a searchset also says its total)."""
    entries = [{"resource": r} for r in resources]
    made: dict[str, Any] = {"resourceType": "Bundle", "type": kind, "entry": entries}
    if kind == "searchset":
        made["total"] = len(entries)
    return made


def medication_key(target: str) -> str:
    """``Medication/<id>`` of a reference to a Medication (relative, absolute or versioned),
    the key Medications are looked up by."""
    return "Medication/" + target.rsplit("Medication/", 1)[-1].split("/_history")[0]
