"""An EHR integrator's review of how the service reads what it is sent (review-int): data-check
items only for data that can change this hook's cards, each saying what was not checked; a
bare array of resources, a draft order entry sent as one object or not a resource, another
patient's records: read or left out, and said, never a 400 or a lost danger sign; the 412
says its Server-Timing like any hook answer."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds.hooks.keys import PrefetchKey
from tests.service.asgi import serve_settings, settings
from tests.service.patient import (
    back_pain,
    full_prefetch,
    hook_request,
    outcome,
    patient,
    searchset,
    temperature,
)
from tests.service.test_received import cauda_equina, notes, said, spo2, topics
from tests.support.recorder import recording_server

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
SIGN = "/cds-services/back-spasm-order-sign"
SECRET = "other-patient-7734"


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def lumbar_xray(subject: str = "Patient/p1", rid: str = "sr1") -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": rid,
        "status": "draft",
        "intent": "order",
        "subject": {"reference": subject},
        "code": {"coding": [{"system": "http://loinc.org", "code": "24969-8"}]},
    }


def order_sign(draft_orders: dict[str, Any], prefetch: dict[str, Any]) -> dict[str, Any]:
    body = hook_request("order-sign", prefetch=prefetch)
    body["context"]["draftOrders"] = draft_orders
    return body


def data_check(response: httpx.Response) -> str:
    cards = [c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "data-check"]
    return cards[0]["detail"] if cards else ""


# --- 1. a gap is said only where it can change this hook's cards, with its consequence -----


@pytest.mark.parametrize("meds", ["absent", "outcome", "junk"])
async def test_medicines_not_had_at_patient_view_are_not_a_data_check_item(
    client: httpx.AsyncClient, meds: str
) -> None:
    """No rule of patient-view reads medicines: a data-check card sending the clinician to
    re-check them would be noise."""
    prefetch = full_prefetch(fever=37.0)
    for key in ("medications", "medicationstatements"):
        if meds == "absent":
            del prefetch[key]
        else:
            prefetch[key] = outcome() if meds == "outcome" else "junk"
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": []}


async def test_medicines_not_had_at_order_sign_say_the_cautions_were_not_checked(
    client: httpx.AsyncClient,
) -> None:
    prefetch = {**full_prefetch(fever=37.0), "medications": outcome()}
    response = await client.post(SIGN, json=hook_request("order-sign", prefetch=prefetch))
    assert response.status_code == 200, response.text
    text = data_check(response)
    assert "- medications: the client's own fetch failed" in text
    assert (
        "pain-reliever and sedation cautions could not be checked against the patient's "
        "medicines" in text
    )
    assert PrefetchKey.consequence not in text  # the pack's own words, not the general ones
    assert "medications" in notes(response)


async def test_each_key_says_its_own_consequence(client: httpx.AsyncClient) -> None:
    prefetch = {
        **full_prefetch(),
        "conditions": searchset(back_pain(), cauda_equina()),
        "observations": outcome(),
    }
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert "emergency-sign" in topics(response)
    assert "danger signs in recent vital signs and results not received were not checked" in said(
        response
    )
    del prefetch["conditions"]
    prefetch["observations"] = searchset(spo2(86), back_pain())
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert "emergency-sign" in topics(response)
    text = data_check(response)
    assert (
        "danger signs, imaging criteria and pain-reliever cautions in problem-list entries "
        "not received were not checked" in text
    )


# --- 2. a bare array of resources is read as entries ----------------------------------------


async def test_a_bare_array_of_resources_keeps_its_emergency_sign(
    client: httpx.AsyncClient,
) -> None:
    prefetch = {**full_prefetch(), "observations": [spo2(86)]}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert topics(response)[0] == "emergency-sign"
    assert "86" in response.json()["cards"][0]["summary"]
    assert "observations was sent as a bare list of resources" in data_check(response)
    assert "extension" not in response.json()  # nothing is missing: it was read


async def test_a_bare_array_of_conditions_puts_the_patient_in_scope(
    client: httpx.AsyncClient,
) -> None:
    """The required key as an array is had: no 412, and a junk item in it is said."""
    prefetch = {**full_prefetch(), "conditions": [back_pain(), cauda_equina(), "junk"]}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "emergency-sign" in topics(response)
    assert "conditions, entry 3: the entry is not a FHIR resource" in data_check(response)


# --- 3. draftOrders as leniently as prefetch -------------------------------------------------


async def test_draft_orders_entry_as_one_object_is_read(client: httpx.AsyncClient) -> None:
    drafts = {"resourceType": "Bundle", "entry": {"resource": lumbar_xray()}}
    response = await client.post(SIGN, json=order_sign(drafts, full_prefetch(fever=37.0)))
    assert response.status_code == 200, response.text
    assert "imaging-not-indicated" in topics(response)


async def test_a_junk_draft_order_entry_is_a_data_check_item_not_a_400(
    client: httpx.AsyncClient,
) -> None:
    drafts = {"resourceType": "Bundle", "entry": [{"resource": lumbar_xray()}, "junk", {"x": 1}]}
    response = await client.post(SIGN, json=order_sign(drafts, full_prefetch(fever=37.0)))
    assert response.status_code == 200, response.text
    assert "imaging-not-indicated" in topics(response)
    assert "draftOrders, entry 2: the entry is not a FHIR resource" in data_check(response)


async def test_a_draft_order_of_another_patient_is_left_out_and_said(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    drafts = {"resourceType": "Bundle", "entry": [{"resource": lumbar_xray(f"Patient/{SECRET}")}]}
    with caplog.at_level(logging.WARNING):
        response = await client.post(SIGN, json=order_sign(drafts, full_prefetch(fever=37.0)))
    assert response.status_code == 200, response.text
    assert topics(response) == ["data-check"]  # no imaging card about another patient's order
    assert "a record of another patient was in draftOrders and was not used" in said(response)
    assert SECRET not in response.text and SECRET not in caplog.text


# --- 4. another patient's data: never named ---------------------------------------------------


async def test_another_patients_reading_is_said_without_their_id(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    other = {**spo2(86, oid="s9"), "subject": {"reference": f"Patient/{SECRET}"}}
    prefetch = {**full_prefetch(fever=37.0), "observations": searchset(other, spo2(97))}
    with caplog.at_level(logging.WARNING):
        response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "emergency-sign" not in topics(response)  # another patient's SpO2 never counts
    assert "a record of another patient was in observations and was not used" in said(response)
    assert SECRET not in response.text and "s9" not in data_check(response)
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "resources of another patient in prefetch key observations (1)" in logged
    assert SECRET not in caplog.text


async def test_the_patient_key_holding_another_patient_is_said(
    client: httpx.AsyncClient,
) -> None:
    prefetch = {**full_prefetch(), "patient": patient(SECRET)}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    text = data_check(response)
    assert "- patient: it held the record of another patient, which was not used" in text
    assert "the patient's identity and age were not checked" in text
    assert SECRET not in response.text


async def test_the_patient_key_holding_a_condition_is_read_and_said(
    client: httpx.AsyncClient,
) -> None:
    prefetch = {**full_prefetch(), "patient": cauda_equina(), "conditions": None}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "emergency-sign" in topics(response)  # the sign it holds is this patient's
    assert "- patient: it held a Condition, not a Patient resource" in data_check(response)


# --- 7. the 412 is a hook answer too ----------------------------------------------------------


async def test_the_412_carries_server_timing(client: httpx.AsyncClient) -> None:
    prefetch = {"patient": patient(), "observations": searchset(spo2(86))}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 412, response.text
    timing = response.headers["server-timing"]
    assert "prefetch;dur=" in timing and "evaluate;dur=" in timing
    assert response.json()["issue"][0]["expression"] == ["prefetch.conditions"]


# --- OperationOutcome entries inside a searchset Bundle -------------------------------------


def with_outcome_entry(bundle: dict[str, Any], severity: str, text: str) -> dict[str, Any]:
    entry = {"severity": severity, "code": "exception", "details": {"text": text}}
    outcome_entry = {"resourceType": "OperationOutcome", "issue": [entry]}
    bundle["entry"].append({"resource": outcome_entry, "search": {"mode": "outcome"}})
    return bundle


async def test_an_error_outcome_entry_keeps_the_sign_and_is_a_data_check_item(
    client: httpx.AsyncClient,
) -> None:
    """The sign among the entries still counts; the EHR's error was silently dropped."""
    prefetch = full_prefetch(fever=39.5)
    with_outcome_entry(prefetch["observations"], "error", "Lab feed *down*\nretry later")
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert topics(response) == ["urgent-sign", "data-check"]
    text = data_check(response)
    assert (
        '- observations: the EHR reported a problem with this search (error: "Lab feed down '
        'retry later"); the entries it did return were read, others may be missing' in text
    )
    assert "*down*" not in text  # the EHR's text, with its markup taken out
    # and, for a client that reads the extension (integrator review, stop 18), the key is partial
    (said,) = response.json()["extension"]["org.example.cds.prefetch-unavailable"]
    assert said["key"] == "observations" and said["partial"] is True
    assert said["reason"].startswith("the EHR reported a problem with this search")


async def test_information_outcome_entries_and_keys_no_rule_reads_are_not_said(
    client: httpx.AsyncClient,
) -> None:
    """ "No matches" notes are no problem; and no rule of patient-view reads medicines."""
    prefetch = full_prefetch(fever=37.0)
    with_outcome_entry(prefetch["observations"], "warning", "No results for this period")
    prefetch["medications"] = with_outcome_entry(searchset(), "error", "Pharmacy down")
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert response.json() == {"cards": []}
    at_sign = await client.post(SIGN, json=hook_request("order-sign", prefetch=prefetch))
    assert "medications: the EHR reported a problem" in data_check(at_sign)


async def test_an_error_outcome_entry_in_a_fetched_page_is_said(tmp_path: Any) -> None:
    """The same from a page the service fetched itself (a real HTTP server on loopback)."""
    page = with_outcome_entry(searchset(temperature(39.5)), "fatal", "Search aborted")
    with recording_server(page) as fhir:
        s = settings(tmp_path, fhir_server_allowlist=[fhir.base + "/"])
        prefetch = {key: value for key, value in full_prefetch().items() if key != "observations"}
        body = hook_request(prefetch=prefetch, fhirServer=fhir.base)
        async with serve_settings(s) as c:
            response = await c.post(PV, json=body)
        assert any("Observation" in path for path in fhir.paths)
    assert response.status_code == 200, response.text
    assert topics(response) == ["urgent-sign", "data-check"]
    assert (
        '- observations: the EHR reported a fatal error with this search (fatal: "Search '
        'aborted")' in data_check(response)
    )
