"""A wrong patient: prefetch about another patient than `context.patientId`. Every shape of it
is said in a data-check card and a WARNING log (never the other patient's id or data), and
none of it is read as this patient's signs; a patient simply out of the pack's scope still
gets `{"cards": []}`. Through the real service (in-process ASGI)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.service.asgi import serve_settings, settings
from tests.service.patient import back_pain, hook_request, patient, searchset, temperature

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
SIGN = "/cds-services/back-spasm-order-sign"
SECRET = "other-patient-5521"
THEIRS = f"Patient/{SECRET}"


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def prefetch(**keys: Any) -> dict[str, Any]:
    """This patient (p1) with no back pain and a normal temperature, then ``keys`` replaced."""
    base = {
        "patient": patient("p1"),
        "conditions": searchset(),
        "observations": searchset(temperature(37.0)),
        "medications": None,
        "medicationstatements": None,
    }
    return {**base, **keys}


async def call(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, body: dict[str, Any], path=PV
) -> tuple[list[dict[str, Any]], list[str]]:
    with caplog.at_level(logging.WARNING):
        response = await client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert SECRET not in response.text, "the other patient's id is never said"
    assert SECRET not in caplog.text, "nor logged"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    return response.json()["cards"], warnings


def first_line(detail: str) -> str:
    return detail.split("\n", 1)[0]


def only_data_check(cards: list[dict[str, Any]]) -> dict[str, Any]:
    assert [c["source"]["topic"]["code"] for c in cards] == ["data-check"]
    card = cards[0]
    assert card["indicator"] == "warning"
    assert "another patient" in card["summary"]
    return card


async def test_all_data_of_another_patient_gives_a_data_check_card_not_silence(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Their back pain and their fever would put a patient in scope with an urgent sign: none
    of it is this patient's, so no sign, but the mix-up is said."""
    body = hook_request(
        prefetch=prefetch(
            patient=patient(SECRET),
            conditions=searchset(back_pain(subject=THEIRS, cid="c9")),
            observations=searchset(temperature(39.5, subject=THEIRS, oid="o9")),
        )
    )
    cards, warnings = await call(client, caplog, body)
    card = only_data_check(cards)
    detail = card["detail"]
    assert first_line(detail) == (  # before any detail: what was left out, and why
        "**3 records belong to another patient and were not used:** they name a patient "
        "other than the one this call is about."
    )
    assert "patient: it held the record of another patient, which was not used" in detail
    assert "a record of another patient was in conditions and was not used" in detail
    assert "a record of another patient was in observations and was not used" in detail
    assert "39.5" not in detail and "Low back pain" not in detail and "c9" not in detail
    assert "resources of another patient in prefetch key conditions (1)" in warnings
    assert "resources of another patient in prefetch key observations (1)" in warnings


async def test_a_patient_resource_of_another_id_gives_a_data_check_card(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    cards, warnings = await call(
        client, caplog, hook_request(prefetch=prefetch(patient=patient(SECRET)))
    )
    detail = only_data_check(cards)["detail"]
    assert "patient: it held the record of another patient, which was not used" in detail
    assert "resources of another patient in prefetch key patient (1)" in warnings


async def test_conditions_of_another_patient_give_a_data_check_card(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = hook_request(prefetch=prefetch(conditions=searchset(back_pain(subject=THEIRS))))
    cards, warnings = await call(client, caplog, body)
    detail = only_data_check(cards)["detail"]
    assert "2 records" not in detail
    assert first_line(detail).startswith("**1 record belongs to another patient and was not used")
    assert "a record of another patient was in conditions and was not used" in detail
    assert "make sure the chart open is this patient's" in detail
    assert "resources of another patient in prefetch key conditions (1)" in warnings


async def test_another_patients_first_page_of_several_is_said_not_a_412(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """The conditions' first page, all of another patient, with a `next` link the service
    cannot follow (no fhirServer): the required key is incomplete and nothing puts this
    patient in scope, but the wrong chart must be said, not hidden behind a 412 (integrator
    review, stop 18)."""
    page = searchset(back_pain(subject=THEIRS), next_url="https://ehr.example/Condition?page=2")
    body = hook_request(prefetch=prefetch(conditions=page))
    cards, _ = await call(client, caplog, body)
    detail = only_data_check(cards)["detail"]
    assert first_line(detail).startswith("**1 record belongs to another patient and was not used")
    assert "conditions" in detail


async def test_observations_of_another_patient_give_a_data_check_card(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    theirs = [temperature(40.1, subject=THEIRS, oid=f"o{i}") for i in range(2)]
    body = hook_request(prefetch=prefetch(observations=searchset(*theirs)))
    cards, warnings = await call(client, caplog, body)
    detail = only_data_check(cards)["detail"]
    assert first_line(detail).startswith("**2 records belong to another patient and were not")
    assert "2 records of another patient were in observations and were not used" in detail
    assert "40.1" not in detail
    assert "resources of another patient in prefetch key observations (2)" in warnings


async def test_a_draft_order_of_another_patient_out_of_scope_gives_a_data_check_card(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = hook_request("order-sign", prefetch=prefetch())
    body["context"]["draftOrders"]["entry"][0]["resource"]["subject"] = {"reference": THEIRS}
    cards, _ = await call(client, caplog, body, SIGN)
    assert "a record of another patient was in draftOrders" in only_data_check(cards)["detail"]


async def test_in_scope_the_wrong_patients_sign_is_not_read_and_the_mix_up_is_said(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """This patient's own back pain puts them in scope; the other patient's fever is no sign."""
    body = hook_request(
        prefetch=prefetch(
            conditions=searchset(back_pain()),
            observations=searchset(temperature(39.5, subject=THEIRS, oid="o9")),
        )
    )
    cards, _ = await call(client, caplog, body)
    assert [c["source"]["topic"]["code"] for c in cards] == ["data-check"]
    assert "a record of another patient was in observations" in cards[0]["detail"]
    assert first_line(cards[0]["detail"]).startswith("**1 record belongs to another patient")


async def test_a_patient_simply_out_of_scope_still_gets_no_cards(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    """No back pain, a fever of their own, and some data not had: the pack is not for them."""
    body = hook_request(
        prefetch=prefetch(observations=searchset(temperature(39.5)), medications="junk")
    )
    cards, warnings = await call(client, caplog, body)
    assert cards == []
    assert not [w for w in warnings if "another patient" in w]
