"""What a 400 says, over HTTP, in CDS Hooks and JSON terms: the integrator's cases word for
word, and a sweep of bad calls none of whose messages speaks pydantic or Python (a class
name, "Input should be", "Field required", a union branch such as ``dict[str,any]``)."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.service.asgi import serve_settings, settings
from tests.service.patient import full_prefetch, hook_request

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
SELECT = "/cds-services/back-spasm-order-select"
#: What pydantic's own messages look like: none may reach a client.
PYDANTIC = re.compile(
    r"Input should|Field required|should have|instance of|valid dictionary|dict\[|list\[|"
    r"after validation|Value error|FhirAuthorization|FeedbackItem|Context\b"
)


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def diagnostics(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text
    return str(response.json()["issue"][0]["diagnostics"])


def overridden(card: str, second: int = 0, **more: Any) -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": "seen"},
        "outcomeTimestamp": f"2026-11-26T08:00:{second:02d}Z",
        **more,
    }


async def test_a_batch_with_one_item_stored_says_so_in_the_singular(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post(PV, json=hook_request(prefetch=full_prefetch()))
    (card,) = answer.json()["cards"]
    body = {"feedback": [overridden(card["uuid"]), overridden(str(uuid.uuid4()), 1), "x"]}
    assert diagnostics(await client.post(PV + "/feedback", json=body)) == (
        "2 of 3 feedback items refused (the other one was stored): "
        "feedback[1].card: no card with this uuid was issued by this service; "
        "feedback[2]: must be a JSON object with card, outcome and outcomeTimestamp"
    )


@pytest.mark.parametrize("timestamp", ["2026-12-07", "07/12/2026", "yesterday"])
async def test_an_outcome_timestamp_that_is_no_date_time_is_told_so(
    client: httpx.AsyncClient, timestamp: str
) -> None:
    body = {"feedback": [overridden(str(uuid.uuid4()), outcomeTimestamp=timestamp)]}
    assert diagnostics(await client.post(PV + "/feedback", json=body)) == (
        "1 of 1 feedback items refused: feedback[0].outcomeTimestamp: must be a date-time "
        "with a time zone (RFC 3339, e.g. '2026-11-26T08:00:00Z')"
    )


async def test_a_date_time_without_a_zone_is_told_to_carry_one(client: httpx.AsyncClient) -> None:
    body = {"feedback": [overridden(str(uuid.uuid4()), outcomeTimestamp="2026-12-07T08:00:00")]}
    assert diagnostics(await client.post(PV + "/feedback", json=body)).endswith(
        "outcomeTimestamp: must carry a time zone (UTC, e.g. 'Z')"
    )


async def test_a_fhir_authorization_that_is_no_object_is_told_its_members(
    client: httpx.AsyncClient,
) -> None:
    body = hook_request(
        prefetch=full_prefetch(), fhirServer="https://ehr.example.org/r4", fhirAuthorization="x"
    )
    assert diagnostics(await client.post(PV, json=body)) == (
        "invalid hook request: fhirAuthorization: must be a JSON object with access_token, "
        "token_type, expires_in, scope and subject"
    )


def bad_calls() -> list[tuple[str, dict[str, Any]]]:
    """(path, body) of calls refused with a 400 for their shape, one field at a time."""
    token = {"access_token": "t", "token_type": "MAC", "expires_in": "soon", "scope": 3}
    select = hook_request("order-select", prefetch=full_prefetch())
    calls: list[tuple[str, dict[str, Any]]] = [
        (PV, {"hookInstance": "", "context": []}),
        (PV, hook_request(fhirServer="https://ehr.example.org/r4", fhirAuthorization=token)),
        (PV, hook_request(fhirServer="https://ehr.example.org/r4", fhirAuthorization=[])),
        (PV, hook_request(prefetch=[], extension=7)),
        (PV, {**hook_request(), "context": {"userId": 1, "patientId": None, "encounterId": 2}}),
        (SELECT, {**select, "context": {**select["context"], "selections": []}}),
        (SELECT, {**select, "context": {**select["context"], "selections": "x"}}),
        (SELECT, {**select, "context": {**select["context"], "draftOrders": "x"}}),
        (SELECT, {**select, "context": {**select["context"], "draftOrders": None}}),
        (PV + "/feedback", {"feedback": {}}),
        (PV + "/feedback", {}),
    ]
    item = overridden(str(uuid.uuid4()), outcome="maybe", acceptedSuggestions=[{}] * 101)
    item["overrideReason"] = {"reason": {"code": "c" * 101, "display": 3}}
    calls.append((PV + "/feedback", {"feedback": [item, {"outcomeTimestamp": 5}, []]}))
    return calls


async def test_no_message_speaks_pydantic(client: httpx.AsyncClient) -> None:
    for path, body in bad_calls():
        text = diagnostics(await client.post(path, json=body))
        assert not PYDANTIC.search(text), text
