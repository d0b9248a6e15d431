"""A draft order's medicine given by reference (integrator review, stop 18): a Medication sent
beside the order in ``draftOrders`` (by id, or by a ``urn:uuid:`` fullUrl as transaction-style
Bundles do) is the order's medicine, so its cautions are checked; one the client did not send is
read from the fhirServer when there is one; one that could not be had is named in the
data-check card, not called "no code and no name"."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds.service.draft_medications import MAX_FETCHED
from tests.service.asgi import serve_settings, settings
from tests.service.patient import back_pain, full_prefetch, searchset
from tests.service.test_integrator_review import data_check, order_sign
from tests.service.test_received import topics
from tests.support.recorder import recording_server

pytestmark = pytest.mark.anyio
SIGN = "/cds-services/back-spasm-order-sign"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
URN = "urn:uuid:6f1c2b7e-0000-4000-8000-000000000002"


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def kidney_disease() -> dict[str, Any]:
    condition = back_pain(cid="ckd")
    condition["code"] = {
        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "N18.4"}],
        "text": "Chronic kidney disease, stage 4",
    }
    return condition


def prefetch() -> dict[str, Any]:
    return {**full_prefetch(), "conditions": searchset(back_pain(), kidney_disease())}


def ibuprofen_bundle(reference: str, medication_url: str | None) -> dict[str, Any]:
    order = {
        "resourceType": "MedicationRequest",
        "id": "rx1",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationReference": {"reference": reference},
    }
    medication: dict[str, Any] = {
        "resourceType": "Medication",
        "code": {"coding": [{"system": RXNORM, "code": "5640"}]},
    }
    entry: dict[str, Any] = {"resource": medication}
    if medication_url is None:
        medication["id"] = "med1"
    else:
        entry["fullUrl"] = medication_url
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}, entry]}


@pytest.mark.parametrize(
    "reference, url", [("Medication/med1", None), (URN, URN)], ids=["by-id", "by-fullUrl"]
)
async def test_a_medication_sent_beside_the_order_is_its_medicine(
    client: httpx.AsyncClient, reference: str, url: str | None
) -> None:
    response = await client.post(
        SIGN, json=order_sign(ibuprofen_bundle(reference, url), prefetch())
    )
    assert response.status_code == 200
    assert "analgesic-caution" in topics(response)
    assert "no code and no name" not in data_check(response)


async def test_a_medication_not_received_is_named(client: httpx.AsyncClient) -> None:
    bundle = ibuprofen_bundle("Medication/elsewhere", None)
    response = await client.post(SIGN, json=order_sign(bundle, prefetch()))
    assert response.status_code == 200
    assert "analgesic-caution" not in topics(response)
    detail = data_check(response)
    assert "Medication/elsewhere, which was not received" in detail


async def test_a_medication_of_another_fullurl_is_not_taken(client: httpx.AsyncClient) -> None:
    """Only the entry the reference names is the medicine: another urn is not."""
    bundle = ibuprofen_bundle("urn:uuid:6f1c2b7e-0000-4000-8000-00000000ffff", URN)
    response = await client.post(SIGN, json=order_sign(bundle, prefetch()))
    assert "analgesic-caution" not in topics(response)
    assert "which was not received" in data_check(response)


async def test_a_medication_not_sent_is_fetched_from_the_fhir_server(tmp_path: Any) -> None:
    """With a fhirServer, the referenced Medication is read from it (with the request's
    token), as the prefetch keys are; its cautions are then checked."""
    medication = {
        "resourceType": "Medication",
        "id": "elsewhere",
        "code": {"coding": [{"system": RXNORM, "code": "5640"}]},
    }
    with recording_server(medication) as fhir:
        s = settings(tmp_path, fhir_server_allowlist=[fhir.base + "/"])
        body = order_sign(ibuprofen_bundle("Medication/elsewhere", None), prefetch())
        body["fhirServer"] = fhir.base
        body["fhirAuthorization"] = {
            "access_token": "t0ken",
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Medication.read",
            "subject": "cds-service",
        }
        async with serve_settings(s) as c:
            response = await c.post(SIGN, json=body)
        assert fhir.paths == ["/Medication/elsewhere"]
    assert response.status_code == 200, response.text
    assert "analgesic-caution" in topics(response)
    assert "which was not received" not in data_check(response)


async def test_a_medication_the_server_cannot_give_stays_a_data_check_item(
    tmp_path: Any,
) -> None:
    said = await _unread_medication(tmp_path, {"resourceType": "Patient", "id": "x"}, 200)
    assert "Medication/elsewhere, which was not received" in said
    assert "answered with 'Patient', not a Medication" in said  # and why it was not had


async def _unread_medication(tmp_path: Any, answer: dict[str, Any], status: int) -> str:
    """The data-check detail of an order whose Medication the FHIR server answers with
    ``answer`` and ``status``."""
    with recording_server(answer, status=status) as fhir:
        s = settings(tmp_path, fhir_server_allowlist=[fhir.base + "/"])
        body = order_sign(ibuprofen_bundle("Medication/elsewhere", None), prefetch())
        body["fhirServer"] = fhir.base
        async with serve_settings(s) as c:
            response = await c.post(SIGN, json=body)
    assert response.status_code == 200, response.text
    return data_check(response)


@pytest.mark.parametrize("status", [404, 403])
async def test_why_the_server_did_not_give_a_medication_is_said(tmp_path: Any, status: int) -> None:
    """The data-check card says why the fetch failed (integrator review, stop 18: a failed
    fetch was not explained), so the EHR team can fix it; the order is still named."""
    outcome = {"resourceType": "OperationOutcome", "issue": []}
    said = await _unread_medication(tmp_path, outcome, status)
    assert "Medication/elsewhere, which was not received" in said
    assert f"read from the FHIR server (Medication: HTTP {status})" in said


async def test_a_server_outside_the_allowlist_is_named_as_the_reason(tmp_path: Any) -> None:
    with recording_server({}) as fhir:
        body = order_sign(ibuprofen_bundle("Medication/elsewhere", None), prefetch())
        body["fhirServer"] = fhir.base
        async with serve_settings(settings(tmp_path)) as c:  # no allowlist: nothing fetched
            response = await c.post(SIGN, json=body)
        assert fhir.paths == []
    assert r"fhirServer is not in fhir\_server\_allowlist" in data_check(response)


async def test_another_servers_medication_is_not_read_from_this_one(tmp_path: Any) -> None:
    """An absolute reference to another FHIR server is not fetched from the request's
    fhirServer (it may be another medicine there; second integrator round); one under the
    fhirServer's base is."""
    medication = {
        "resourceType": "Medication",
        "id": "f1",
        "code": {"coding": [{"system": RXNORM, "code": "5640"}]},
    }
    with recording_server(medication) as fhir:
        s = settings(tmp_path, fhir_server_allowlist=[fhir.base + "/"])
        elsewhere = order_sign(
            ibuprofen_bundle("http://other.example/fhir/Medication/f1", None), prefetch()
        )
        ours = order_sign(ibuprofen_bundle(f"{fhir.base}/Medication/f1", None), prefetch())
        for body in (elsewhere, ours):
            body["fhirServer"] = fhir.base
        async with serve_settings(s) as c:
            refused = await c.post(SIGN, json=elsewhere)
            assert fhir.paths == []
            fetched = await c.post(SIGN, json=ours)
        assert fhir.paths == ["/Medication/f1"]
    assert "analgesic-caution" not in topics(refused)
    assert "which was not received" in data_check(refused)
    assert "analgesic-caution" in topics(fetched)


async def test_medications_past_the_per_call_limit_are_named(tmp_path: Any) -> None:
    """At most MAX_FETCHED Medications are read for one call; each one past it is named as
    not asked for, never dropped without a word."""
    orders = [ibuprofen_bundle(f"Medication/m{n}", None)["entry"][0] for n in range(12)]
    for n, entry in enumerate(orders):
        entry["resource"] = {**entry["resource"], "id": f"rx{n}"}
    medication = {"resourceType": "OperationOutcome", "issue": []}
    with recording_server(medication, status=404) as fhir:
        s = settings(tmp_path, fhir_server_allowlist=[fhir.base + "/"])
        body = order_sign(
            {"resourceType": "Bundle", "type": "collection", "entry": orders}, prefetch()
        )
        body["fhirServer"] = fhir.base
        async with serve_settings(s) as c:
            response = await c.post(SIGN, json=body)
        assert len(fhir.paths) == MAX_FETCHED
    said = data_check(response)
    assert said.count("HTTP 404") == MAX_FETCHED
    assert said.count(f"not asked for: at most {MAX_FETCHED} are read for one call") == 2
