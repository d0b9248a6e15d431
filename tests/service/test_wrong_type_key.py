"""A prefetch key holding none of the resources its template asks for (integrator review,
stop 18): a Patient sent as the conditions was read, the key counted as had, and the patient
fell out of the pack's scope in silence (``{"cards": []}``). What such a key holds is still
read, but the key itself is a gap: fetched when the service can, said in the data-check card,
and a 412 naming it when nothing received lets the pack speak."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.service.asgi import serve_settings, settings
from tests.service.patient import back_pain, full_prefetch, hook_request, patient, searchset
from tests.service.test_integrator_review import data_check
from tests.service.test_received import topics
from tests.support.recorder import recording_server

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


@pytest.mark.parametrize(
    "sent, said",
    [
        (patient(), "the client sent a Patient here, not a Condition"),
        (searchset(patient()), "the client sent Patient resources here, not Condition"),
    ],
    ids=["resource", "bundle"],
)
async def test_conditions_holding_a_patient_is_a_412_naming_it(
    client: httpx.AsyncClient, sent: dict[str, Any], said: str
) -> None:
    prefetch = {**full_prefetch(), "conditions": sent}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 412, response.text
    issue = response.json()["issue"][0]
    assert issue["expression"] == ["prefetch.conditions"]
    assert said in issue["diagnostics"]


async def test_in_scope_otherwise_the_cards_stand_and_the_gap_is_said(
    client: httpx.AsyncClient,
) -> None:
    """The back pain came in another key (the observations here, a misfiled Condition): the
    pack speaks, and the conditions key is named as not had."""
    prefetch = {**full_prefetch(), "conditions": patient()}
    prefetch["observations"]["entry"].append({"resource": back_pain()})
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "urgent-sign" in topics(response)  # the fever of full_prefetch
    assert "the client sent a Patient here, not a Condition" in data_check(response)


async def test_a_bundle_with_some_conditions_and_an_include_is_used_as_sent(
    client: httpx.AsyncClient,
) -> None:
    prefetch = {**full_prefetch(), "conditions": searchset(back_pain(), patient())}
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200, response.text
    assert "not a Condition" not in response.text


async def test_the_key_is_fetched_when_the_service_can(tmp_path: Any) -> None:
    with recording_server(searchset(back_pain())) as fhir:
        s = settings(tmp_path, fhir_server_allowlist=[fhir.base + "/"])
        prefetch = {**full_prefetch(), "conditions": patient()}
        async with serve_settings(s) as c:
            response = await c.post(PV, json=hook_request(prefetch=prefetch, fhirServer=fhir.base))
        assert any(path.startswith("/Condition") for path in fhir.paths), fhir.paths
    assert response.status_code == 200, response.text
    assert "urgent-sign" in topics(response)
