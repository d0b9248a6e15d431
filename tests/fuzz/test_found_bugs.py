"""The bugs the fuzzers found, each as its smallest request.

Fixed ones are plain regression tests. A bug in a module another engineer owns is a strict
xfail: it fails today, and turns into a failure (XPASS) the day it is fixed, so the marker is
removed with the fix.
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fuzz.strategies import FEEDBACK, GOLDEN_DIR, PATIENT_ID, heart_rate, low_back_pain
from tests.service.asgi import serve_settings, settings

pytestmark = pytest.mark.anyio


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def golden(name: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((GOLDEN_DIR / name / "request.json").read_text())
    return request


def topics(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["source"]["topic"]["code"] for c in response.json()["cards"]]


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
async def test_feedback_time_with_no_utc_date_is_a_400(
    client: httpx.AsyncClient, timestamp: str
) -> None:
    """Was a 500: `outcome_at` overflowed (OverflowError) converting to UTC in the store."""
    body = copy.deepcopy(FEEDBACK)
    body["feedback"][0]["outcomeTimestamp"] = timestamp
    response = await client.post("/cds-services/back-spasm-patient-view/feedback", json=body)
    assert response.status_code == 400
    assert "outcomeTimestamp" in response.json()["issue"][0]["diagnostics"]


@pytest.mark.parametrize("rid", ["rx_1", "rx 1", "", "draft\u2011rx\u20111"])
async def test_draft_order_with_a_non_fhir_id_still_gets_its_cards(
    client: httpx.AsyncClient, rid: str
) -> None:
    """Was a 500: the card's delete action named `MedicationRequest/rx_1`, an invalid
    `resourceId` (`rx_1` passes the ord-1 pattern of selections; the spec's own examples use
    non-ASCII hyphens)."""
    request = golden("nsaid-ckd-caution")
    for entry in request["context"]["draftOrders"]["entry"]:
        entry["resource"]["id"] = rid
    response = await client.post(f"/cds-services/back-spasm-{request['hook']}", json=request)
    assert topics(response) == ["analgesic-caution"]
    for card in response.json()["cards"]:
        for suggestion in card.get("suggestions", []):
            for action in suggestion.get("actions", []):
                assert action["type"] != "delete"  # it could only name an invalid reference
    (card,) = response.json()["cards"]
    assert "suggestions" not in card  # the swap could only name an invalid reference
    # and the card says why the swap is missing (it was silent)
    assert "No one-click" in card["detail"] and "no FHIR id the EHR could update" in card["detail"]


async def test_draft_order_without_an_id_says_why_it_has_no_swap(
    client: httpx.AsyncClient,
) -> None:
    request = golden("nsaid-ckd-caution")
    for entry in request["context"]["draftOrders"]["entry"]:
        del entry["resource"]["id"]
    response = await client.post(f"/cds-services/back-spasm-{request['hook']}", json=request)
    (card,) = response.json()["cards"]
    assert card["summary"].startswith("Pain-reliever caution")
    assert "suggestions" not in card
    assert (
        "is offered for the draft order: it has no FHIR id the EHR could update" in (card["detail"])
    )


@pytest.mark.parametrize("rid", [["x"], {"a": 1}])
async def test_resource_with_an_array_or_object_id_is_not_a_500(
    client: httpx.AsyncClient, rid: Any
) -> None:
    # the emergency sign of tests/fuzz, with one garbage Observation beside it (this was a 500:
    # the id went into a set key in facts/gather.py), and an entry whose resource is a number
    service, request = _danger()
    request["prefetch"]["observations"]["entry"].append(
        {"resource": {"resourceType": "Observation", "id": rid, "status": "final"}}
    )
    request["prefetch"]["observations"]["entry"].append({"resource": 5})
    response = await client.post(f"/cds-services/{service}", json=request)
    assert "emergency-sign" in topics(response)


def _danger() -> tuple[str, dict[str, Any]]:
    """The danger request of the fuzzers with no garbage: HR 140 /min and low back pain."""

    def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources],
        }

    request = {
        "hook": "patient-view",
        "hookInstance": "7d1f3c52-5a0b-4c39-9a61-3a0d2f0e9b11",
        "context": {"userId": "Practitioner/fuzz", "patientId": PATIENT_ID},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": PATIENT_ID},
            "conditions": bundle(low_back_pain()),
            "observations": bundle(heart_rate()),
            "medications": None,
        },
    }
    return "back-spasm-patient-view", request
