"""A coded heart rhythm that the rate measured since does not bear out (ER physician review,
fourth round, a27): a tachycardia coded this morning and a heart rate of 86 an hour ago raise
no call-911 card; a rate of 140 since does, with the coded entry beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.service.asgi import serve_settings, settings
from tests.service.patient import ICD10, LOINC, back_pain, full_prefetch, hook_request, searchset
from tests.service.test_received import topics

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


def coded_tachycardia() -> dict[str, Any]:
    condition = back_pain(cid="r000")
    condition["code"] = {"coding": [{"system": ICD10, "code": "R00.0", "display": "Tachycardia"}]}
    condition["onsetDateTime"] = _ago(3)
    return condition


def heart_rate(value: int, hours_ago: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"hr{value}",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8867-4", "display": "Heart rate"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": _ago(hours_ago),
        "valueQuantity": {"value": value, "unit": "/min", "code": "/min"},
    }


def prefetch(*observations: dict[str, Any]) -> dict[str, Any]:
    return {
        **full_prefetch(),
        "conditions": searchset(back_pain(), coded_tachycardia()),
        "observations": searchset(*observations),
    }


async def test_a_normal_rate_measured_since_raises_no_emergency(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, json=hook_request(prefetch=prefetch(heart_rate(86, 1))))
    assert response.status_code == 200, response.text
    assert "emergency-sign" not in topics(response)


async def test_with_no_rate_since_the_coded_entry_stands(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, json=hook_request(prefetch=prefetch(heart_rate(86, 6))))
    assert "emergency-sign" in topics(response)


async def test_a_fast_rate_since_is_the_sign(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, json=hook_request(prefetch=prefetch(heart_rate(140, 1))))
    assert "emergency-sign" in topics(response)
    card = next(c for c in response.json()["cards"] if c["indicator"] == "critical")
    assert "Condition/r000" in card["detail"] and "Observation/hr140" in card["detail"]
