"""An empty string where a hook call's field is optional (`"encounterId": ""`, `"fhirServer":
""`) is read as the field's absence, over HTTP: the cards are answered, a critical one
included, exactly as without the field. An empty REQUIRED field stays a 400 naming it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds.hooks.registry import HOOKS
from tests.service.asgi import serve_settings, settings
from tests.service.patient import back_pain, full_prefetch, hook_request, searchset
from tests.service.test_received import cauda_equina

pytestmark = pytest.mark.anyio
#: The hooks whose context makes `encounterId` optional (encounter-discharge requires it).
OPTIONAL_ENCOUNTER = [h for h, spec in HOOKS.items() if not spec.encounter_required]


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path)) as c:
        yield c


def emergency_call(hook: str, **extra: Any) -> dict[str, Any]:
    """A call of `hook` for a patient with cauda equina recorded today: a critical card."""
    prefetch = full_prefetch(fever=37.0)
    prefetch["conditions"] = searchset(back_pain(), cauda_equina())
    return hook_request(hook, prefetch=prefetch, **extra)


def cards(response: httpx.Response) -> list[tuple[str, str]]:
    """The cards as (indicator, summary): what the clinician sees, without the uuids."""
    assert response.status_code == 200, response.text
    return [(c["indicator"], c["summary"]) for c in response.json()["cards"]]


def diagnostics(response: httpx.Response) -> str:
    assert response.json()["resourceType"] == "OperationOutcome"
    return str(response.json()["issue"][0]["diagnostics"])


def test_the_hooks_with_an_optional_encounter_are_the_three_we_read_it_at() -> None:
    assert OPTIONAL_ENCOUNTER == ["patient-view", "order-select", "order-sign"]


@pytest.mark.parametrize("hook", OPTIONAL_ENCOUNTER)
async def test_an_empty_encounter_id_is_read_as_absent_and_the_critical_card_kept(
    client: httpx.AsyncClient, hook: str
) -> None:
    path = f"/cds-services/back-spasm-{hook}"
    without = cards(await client.post(path, json=emergency_call(hook)))
    assert "critical" in [indicator for indicator, _ in without]
    body = emergency_call(hook)
    body["context"]["encounterId"] = ""
    assert cards(await client.post(path, json=body)) == without
    body["context"]["encounterId"] = None
    assert cards(await client.post(path, json=body)) == without
    body["context"]["encounterId"] = "   "  # fixed-width feeds pad with blanks (second round)
    assert cards(await client.post(path, json=body)) == without


@pytest.mark.parametrize(
    "empty",
    [
        {"fhirServer": ""},
        {"fhirAuthorization": ""},
        {"fhirServer": "", "fhirAuthorization": ""},
        {"extension": ""},
    ],
)
async def test_empty_optional_request_fields_are_read_as_absent(
    client: httpx.AsyncClient, empty: dict[str, str]
) -> None:
    path = "/cds-services/back-spasm-order-sign"
    without = cards(await client.post(path, json=emergency_call("order-sign")))
    assert "critical" in [indicator for indicator, _ in without]
    assert cards(await client.post(path, json=emergency_call("order-sign", **empty))) == without


async def test_an_empty_prefetch_is_answered_as_no_prefetch(client: httpx.AsyncClient) -> None:
    """`"prefetch": ""` is no prefetch at all: the required keys are missing and nothing can
    be fetched, so the answer is the 412 of a call without prefetch, not a 400."""
    path = "/cds-services/back-spasm-patient-view"
    absent = await client.post(path, json=hook_request())
    empty = await client.post(path, json=hook_request(prefetch=""))
    assert absent.status_code == empty.status_code == 412
    assert diagnostics(empty) == diagnostics(absent)


@pytest.mark.parametrize("hook", list(HOOKS))
@pytest.mark.parametrize("field", ["patientId", "userId"])
async def test_an_empty_required_context_field_is_a_400_naming_it(
    client: httpx.AsyncClient, hook: str, field: str
) -> None:
    body = emergency_call(hook)
    body["context"][field] = ""
    response = await client.post(f"/cds-services/back-spasm-{hook}", json=body)
    assert response.status_code == 400
    assert f"invalid context for hook '{hook}': {field}: " in diagnostics(response)


async def test_an_empty_encounter_id_at_discharge_is_a_400_naming_it(
    client: httpx.AsyncClient,
) -> None:
    body = emergency_call("encounter-discharge")
    body["context"]["encounterId"] = ""
    response = await client.post("/cds-services/back-spasm-encounter-discharge", json=body)
    assert response.status_code == 400
    assert "invalid context for hook 'encounter-discharge': encounterId: " in diagnostics(response)


@pytest.mark.parametrize("field", ["hook", "hookInstance"])
async def test_an_empty_required_request_field_is_a_400_naming_it(
    client: httpx.AsyncClient, field: str
) -> None:
    body = emergency_call("patient-view")
    body[field] = ""
    response = await client.post("/cds-services/back-spasm-patient-view", json=body)
    assert response.status_code == 400
    assert f"invalid hook request: {field}: " in diagnostics(response)
