"""The service evaluates what it received: a key it could not complete is evaluated as far as
it was read and named as a data-check item; 412 only when required data is missing AND
nothing received puts the patient in the pack's scope (issue 9, item 2)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from cds.call import UNAVAILABLE_EXTENSION
from tests.service.asgi import serve_settings, settings
from tests.service.patient import (
    ICD10,
    LOINC,
    back_pain,
    full_prefetch,
    hook_request,
    outcome,
    patient,
    searchset,
    temperature,
)

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
#: A loopback FHIR server named in the allowlist: checked without DNS; MockTransport answers.
FHIR = "http://127.0.0.1:9/r4"


def _ago(hours: float) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")


def cauda_equina(cid: str = "ce1") -> dict[str, Any]:
    """Cauda equina syndrome (ICD-10-CM G83.4), active, recorded today: an emergency sign and
    a back-pain diagnosis of the pack's scope."""
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": ICD10, "code": "G83.4", "display": "Cauda equina"}]},
        "onsetDateTime": _ago(5),
    }


def spo2(value: float, oid: str = "s1") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "59408-5", "display": "SpO2"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": _ago(1),
        "valueQuantity": {
            "value": value,
            "unit": "%",
            "system": "http://unitsofmeasure.org",
            "code": "%",
        },
    }


def unrelated(cid: str) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": ICD10, "code": "J30.1", "display": "Hay fever"}]},
        "recordedDate": _ago(2000),
    }


def paged(*resources: dict[str, Any], total: int | None = None) -> dict[str, Any]:
    """Page 1 of a search, with a `next` link to the (unreachable) rest."""
    bundle = searchset(*resources, next_url=f"{FHIR}/Condition?patient=p1&page=2")
    if total is not None:
        bundle["total"] = total
    return bundle


class Fhir:
    """A MockTransport FHIR server answering by resource type; records what it is asked."""

    def __init__(self, routes: dict[str, Any]) -> None:
        self.routes = routes
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = str(request.url).removeprefix(FHIR + "/")
        self.asked.append(path)
        for prefix, answer in self.routes.items():
            if path.startswith(prefix):
                return (
                    answer
                    if isinstance(answer, httpx.Response)
                    else httpx.Response(200, json=answer)
                )
        return httpx.Response(404, json=outcome("not found"))


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def topics(response: httpx.Response) -> list[str]:
    return [c["source"]["topic"]["code"] for c in response.json()["cards"]]


def said(response: httpx.Response) -> str:
    """Everything the cards say (the data-check wording is the card builder's)."""
    return "\n".join(c["detail"] for c in response.json()["cards"])


def notes(response: httpx.Response) -> dict[str, dict[str, Any]]:
    return {
        n["key"]: n for n in response.json().get("extension", {}).get(UNAVAILABLE_EXTENSION, [])
    }


async def test_unfollowable_page_keeps_page_one_emergency_and_names_the_gap(
    client: httpx.AsyncClient,
) -> None:
    """Conditions page 1 of 3 holds cauda equina; the next page cannot be fetched (no
    fhirServer); SpO2 86 %: the emergency card, and the data-check item, never a 412."""
    prefetch = {
        "patient": patient(),
        "conditions": paged(
            back_pain(), cauda_equina(), *(unrelated(f"u{i}") for i in range(18)), total=57
        ),
        "observations": searchset(spo2(86)),
        "medications": None,
        "medicationstatements": None,
    }
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "emergency-sign" in topics(response)
    emergency = next(
        c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "emergency-sign"
    )
    assert "Low oxygen saturation" in emergency["detail"]
    assert "Cauda equina syndrome" in emergency["detail"]
    gap = "only the first 20 of 57 entries checked (next page could not be fetched: no fhirServer"
    assert gap in said(response)
    assert notes(response)["conditions"]["partial"] is True
    assert gap in notes(response)["conditions"]["reason"]


async def test_operation_outcome_in_conditions_fetch_failing_still_evaluates(
    tmp_path: Any,
) -> None:
    """The EHR's own conditions fetch failed and ours fails too; the encounter's reason puts
    the patient in scope at discharge and the fever card comes, with the gap named."""
    fhir = Fhir({"Condition": httpx.Response(500, text="boom")})
    client = httpx.AsyncClient(transport=httpx.MockTransport(fhir))
    s = settings(tmp_path, fhir_server_allowlist=[FHIR])
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "in-progress",
        "class": {"code": "EMER"},
        "subject": {"reference": "Patient/p1"},
        "reasonCode": [
            {"coding": [{"system": ICD10, "code": "M54.50", "display": "Low back pain"}]}
        ],
    }
    prefetch = {
        "patient": patient(),
        "conditions": outcome("search failed"),
        "observations": searchset(temperature(39.0)),
        "medications": None,
        "medicationstatements": None,
        "encounter": encounter,
    }
    body = hook_request(
        "encounter-discharge",
        prefetch=prefetch,
        fhirServer=FHIR,
        fhirAuthorization={
            "access_token": "t",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds",
        },
    )
    async with serve_settings(s, client) as app:
        response = await app.post("/cds-services/back-spasm-encounter-discharge", json=body)
    assert response.status_code == 200, response.text
    assert fhir.asked and fhir.asked[0].startswith("Condition?patient=p1")
    assert "urgent-sign" in topics(response)
    text = said(response)
    assert "conditions: " in text and "were not checked" in text
    assert "the client's own fetch failed (it sent an OperationOutcome)" in text
    assert "Condition: HTTP 500" in notes(response)["conditions"]["reason"]


async def test_bundle_with_entry_as_one_object_is_read(client: httpx.AsyncClient) -> None:
    prefetch = full_prefetch(fever=39.0)
    prefetch["observations"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": {"resource": temperature(39.0)},
    }
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "urgent-sign" in topics(response)
    assert "extension" not in response.json()


@pytest.mark.parametrize("junk", ["123", ["a", 1], {"no": "type"}, 7, True])
async def test_undeclared_key_is_ignored_whatever_it_holds(
    client: httpx.AsyncClient, junk: Any
) -> None:
    prefetch = {**full_prefetch(fever=39.0), "user": junk}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert topics(response) == ["urgent-sign"]
    assert "extension" not in response.json()


@pytest.mark.parametrize("junk", ["123", 7, {"no": "type"}])
async def test_declared_key_holding_junk_is_a_gap_not_a_400(
    client: httpx.AsyncClient, junk: Any
) -> None:
    prefetch = {**full_prefetch(), "conditions": searchset(back_pain(), cauda_equina())}
    prefetch["observations"] = junk
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "emergency-sign" in topics(response)
    assert "observations: " in said(response)
    assert "not a FHIR resource" in said(response)
    assert "danger signs in recent vital signs and results not received were not checked" in said(
        response
    )
    assert notes(response)["observations"]["reason"] == "no fhirServer in the request"


async def test_required_key_missing_and_nothing_in_scope_is_still_412(
    client: httpx.AsyncClient,
) -> None:
    prefetch = {"patient": patient(), "observations": searchset(spo2(86))}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 412, response.text
    assert response.json()["issue"][0]["expression"] == ["prefetch.conditions"]


async def test_required_key_paged_and_page_one_out_of_scope_is_412(
    client: httpx.AsyncClient,
) -> None:
    """Page 1 says nothing about back pain and the rest cannot be read: the pack cannot tell
    whether it speaks about this patient, and says so rather than answer an empty list."""
    prefetch = {**full_prefetch(), "conditions": paged(unrelated("u1"), total=40)}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 412, response.text
    assert "conditions" in response.json()["issue"][0]["diagnostics"]


async def test_required_key_absent_but_encounter_in_scope_answers_cards(
    client: httpx.AsyncClient,
) -> None:
    """The conditions key is absent and cannot be fetched, but a back-pain Condition arrives
    under another declared key: what was received lets the pack speak, so the cards come, with
    the gap named."""
    prefetch = {
        "patient": patient(),
        "observations": searchset(temperature(39.0), back_pain()),
        "medications": None,
        "medicationstatements": None,
    }
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "urgent-sign" in topics(response)
    assert "conditions: " in said(response)
    assert "conditions" in notes(response)
