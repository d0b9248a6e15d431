"""FHIR R4 resources as every layer holds them: parsed JSON objects, read and never changed.

Below every layer, so that the wire models, the facts layer and the transports name one type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["Resource"]

Resource = Mapping[str, Any]
"""One FHIR resource (or a resource-shaped part of one) as parsed JSON."""
