"""Fixtures shared by the integration tests (each starts its own real server)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    """One HTTP client per test module, as an EHR keeps its connections."""
    with httpx.Client(timeout=15) as client:
        yield client
