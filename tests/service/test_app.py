"""Tests for service/app.py and service/routes.py: the three endpoints and every error path."""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from cds.engine.durable import DurableEngine
from cds.service.app import create_app
from cds.store import Store
from tests.service.asgi import call_with_a_fault, serve, serve_settings, settings
from tests.service.patient import full_prefetch, hook_request, outcome

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
SERVICE_IDS = [
    "back-spasm-patient-view",
    "back-spasm-order-select",
    "back-spasm-order-sign",
    "back-spasm-encounter-discharge",
]


@pytest.fixture
async def client(tmp_path: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path, max_body_bytes=20_000)) as c:
        yield c


def assert_outcome(response: httpx.Response, status: int, code: str, error: str) -> str:
    """The canonical error shape: an OperationOutcome with one error issue; the diagnostics."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    (issue,) = body["issue"]
    assert issue["severity"] == "error"
    assert issue["code"] == code
    assert issue["details"]["coding"][0]["code"] == error
    assert "Traceback" not in response.text
    diagnostics: str = issue["diagnostics"]
    return diagnostics


async def test_discovery_lists_the_four_services_with_2_0_prefetch(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/cds-services")
    assert response.status_code == 200
    services = response.json()["services"]
    assert [s["id"] for s in services] == SERVICE_IDS
    for service in services:
        assert service["description"] and service["title"] and service["usageRequirements"]
        assert service["prefetch"]["patient"] == "Patient/{{context.patientId}}"
        for template in service["prefetch"].values():
            # 2.0 tokens only: the patient, and the encounter (a prefetch token of every hook
            # served; the visit's reason may be the only place the back pain is recorded)
            allowed = ["{{context.patientId}}", "{{context.encounterId}}"]
            assert template.count("{{") == sum(template.count(t) for t in allowed) == 1
        assert service["prefetch"]["encounter"] == "Encounter/{{context.encounterId}}"


async def test_hook_call_returns_cards_with_timing(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, json=hook_request(prefetch=full_prefetch()))
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    assert card["indicator"] == "warning"
    assert card["source"]["topic"]["code"] == "urgent-sign"
    assert "evaluate;dur=" in response.headers["server-timing"]


async def test_unknown_fields_and_extensions_are_accepted(client: httpx.AsyncClient) -> None:
    body = hook_request(prefetch=full_prefetch(), extension={"org.example.x": 1}, newField=[1])
    body["context"]["org.example.ctx"] = {"a": 1}
    response = await client.post(PV, json=body)
    assert response.status_code == 200
    assert len(response.json()["cards"]) == 1


async def test_patient_without_back_pain_gets_no_cards(client: httpx.AsyncClient) -> None:
    prefetch = full_prefetch()
    prefetch["conditions"] = None  # known empty
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


@pytest.mark.parametrize(
    ("path", "body", "status", "issue", "error"),
    [
        (PV, b"{not json", 400, "invalid", "input-error"),
        (PV, b'{"hook": "patient-view"}', 400, "invalid", "input-error"),
        (PV, b"[]", 400, "invalid", "input-error"),
        ("/cds-services/no-such-service", b"{}", 404, "not-found", "unknown-service"),
        ("/cds-services/no-such-service/feedback", b"{}", 404, "not-found", "unknown-service"),
        (PV + "/feedback", b'{"feedback": [{"card": "x"}]}', 400, "invalid", "invalid-feedback"),
    ],
    ids=["malformed-json", "missing-fields", "not-an-object", "unknown", "unknown-fb", "bad-fb"],
)
async def test_error_paths_answer_an_operation_outcome(
    client: httpx.AsyncClient, path: str, body: bytes, status: int, issue: str, error: str
) -> None:
    response = await client.post(path, content=body)
    assert_outcome(response, status, issue, error)


async def test_hook_mismatch_is_400(client: httpx.AsyncClient) -> None:
    body = hook_request("patient-view", prefetch=full_prefetch())
    response = await client.post("/cds-services/back-spasm-order-sign", json=body)
    text = assert_outcome(response, 400, "invalid", "input-error")
    assert "order-sign" in text


async def test_missing_required_prefetch_without_server_is_412_naming_keys(
    client: httpx.AsyncClient,
) -> None:
    prefetch = full_prefetch()
    del prefetch["patient"]
    prefetch["conditions"] = outcome()
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    text = assert_outcome(response, 412, "incomplete", "missing-data")
    assert "patient" in text and "conditions" in text
    assert response.json()["issue"][0]["expression"] == ["prefetch.patient", "prefetch.conditions"]


async def test_missing_optional_prefetch_still_answers(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    prefetch = full_prefetch()
    del prefetch["observations"]
    with caplog.at_level(logging.WARNING):
        response = await client.post(PV, json=hook_request(prefetch=prefetch))
    assert response.status_code == 200
    body = response.json()
    # No fever without observations; a data-check card says they were not checked (the
    # patient is in scope), and the extension says why for machines.
    (card,) = body.pop("cards")
    assert card["source"]["topic"]["code"] == "data-check"
    assert "observations: not sent, and it could not be fetched (no fhirServer" in card["detail"]
    assert body == {
        "extension": {
            "org.example.cds.prefetch-unavailable": [
                {"key": "observations", "reason": "no fhirServer in the request"}
            ]
        },
    }
    assert "observations" in caplog.text


async def test_a_missing_optional_key_is_logged_at_warning_every_ten_minutes(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An EHR that never sends a key would fill the log with one line a call; the cards say it
    every time, the log at warning level once per ten minutes (debug in between), so an outage
    that starts later is still said."""
    from cds.service import prefetch as module

    clock = [1_000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: clock[0])
    prefetch = full_prefetch()
    del prefetch["observations"]
    with caplog.at_level(logging.DEBUG, logger="cds.service.prefetch"):
        for step in (0, 1, 598, 2):  # at 0 s, 1 s, 599 s, 601 s
            clock[0] += step
            response = await client.post(PV, json=hook_request(prefetch=prefetch))
            assert response.status_code == 200
    said = [
        (r.levelno, r.getMessage()) for r in caplog.records if "'observations'" in r.getMessage()
    ]
    levels = [level for level, _ in said]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG, logging.WARNING]
    assert "no fhirServer in the request" in said[0][1]


async def test_cards_say_which_data_could_not_be_checked(client: httpx.AsyncClient) -> None:
    """Observations missing: the chills card still comes, and a data-check card says vital
    signs in the missing data were not checked (a clinician reads cards, not extensions)."""
    prefetch = full_prefetch()
    del prefetch["observations"]
    chills = {
        "resourceType": "Condition",
        "id": "chills",
        "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "R68.83"}]},
    }
    prefetch["conditions"]["entry"].append({"resource": chills})
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    cards = response.json()["cards"]
    topics = [c["source"]["topic"]["code"] for c in cards]
    assert topics == ["urgent-sign", "data-check"]
    check = cards[1]  # the data-check card, in the pack's words
    assert (
        "observations: not sent, and it could not be fetched (no fhirServer in the request)"
        in check["detail"]
    )
    assert "were not checked" in check["detail"]
    assert "observations" in check["summary"]


async def test_body_over_the_limit_by_content_length_is_413(client: httpx.AsyncClient) -> None:
    response = await client.post(PV, content=b" " * 20_001)
    assert_outcome(response, 413, "too-long", "payload-too-large")


async def test_body_over_the_limit_when_streamed_is_413(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(30):
            yield b" " * 1000

    response = await client.post(PV, content=chunks())
    assert "content-length" not in response.request.headers
    assert_outcome(response, 413, "too-long", "payload-too-large")


async def test_unknown_route_is_an_operation_outcome(client: httpx.AsyncClient) -> None:
    assert_outcome(await client.get("/nowhere"), 404, "not-found", "http-404")


async def test_feedback_is_stored_once_and_answers_empty_object(
    client: httpx.AsyncClient, tmp_path: Any
) -> None:
    cards = (await client.post(PV, json=hook_request(prefetch=full_prefetch()))).json()["cards"]
    item = {
        "card": cards[0]["uuid"],
        "outcome": "overridden",
        "overrideReason": {
            "reason": {
                "system": "https://cds.example.org/override-reason",
                "code": "data-outdated",
            },
            "userComment": "seen",
        },
        "outcomeTimestamp": "2026-11-26T08:00:00Z",
        "extension": {"org.example": True},
    }
    for _ in range(2):
        response = await client.post(
            PV + "/feedback", json={"feedback": [item, copy.deepcopy(item)]}
        )
        assert response.status_code == 200
        assert response.json() == {}
    store = Store(f"sqlite:///{tmp_path}/cds.sqlite3")
    for _ in range(200):  # issued cards are written by the recorder thread, after the answer
        rows = store.report()
        if rows:
            break
        await asyncio.sleep(0.01)
    store.close()
    (row,) = rows
    assert (row.rule_id, row.cards, row.overridden, row.accepted) == ("urg-fever-measured", 1, 1, 0)


async def test_store_down_fails_feedback_with_503_but_hooks_answer(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "db"
    s = settings(tmp_path, database_url=f"sqlite:///{folder}/cds.sqlite3")
    async with serve_settings(s) as client:
        folder.rename(tmp_path / "away")  # the database goes away after start-up
        with caplog.at_level(logging.ERROR):
            hook = await client.post(PV, json=hook_request(prefetch=full_prefetch()))
        feedback = await client.post(
            PV + "/feedback",
            json={
                "feedback": [
                    {
                        "card": hook.json()["cards"][0]["uuid"],
                        "outcome": "overridden",
                        "overrideReason": {"userComment": "no"},
                        "outcomeTimestamp": "2026-11-26T08:00:00Z",
                    }
                ]
            },
        )
    assert hook.status_code == 200 and len(hook.json()["cards"]) == 1
    assert "not recorded" in caplog.text
    assert_outcome(feedback, 503, "transient", "store-unavailable")


async def test_unexpected_error_is_a_500_without_stack_trace(tmp_path: Any) -> None:
    body = hook_request(prefetch=full_prefetch())
    response = await call_with_a_fault(settings(tmp_path), PV, body, "secret internals")
    text = assert_outcome(response, 500, "exception", "internal-error")
    assert "secret" not in response.text and text == "internal error"


async def test_cors_is_off_by_default_and_configurable(tmp_path: Any) -> None:
    headers = {"Origin": "https://ehr.example.org", "Access-Control-Request-Method": "POST"}
    async with serve_settings(settings(tmp_path)) as client:
        plain = await client.options(PV, headers=headers)
    s = settings(tmp_path, cors_origins=["https://ehr.example.org"])
    async with serve_settings(s) as client:
        allowed = await client.options(PV, headers=headers)
    assert "access-control-allow-origin" not in plain.headers
    assert allowed.headers["access-control-allow-origin"] == "https://ehr.example.org"


async def test_app_serves_each_hook(client: httpx.AsyncClient) -> None:
    for sid in SERVICE_IDS:
        hook = sid.removeprefix("back-spasm-")
        response = await client.post(
            f"/cds-services/{sid}", json=hook_request(hook, full_prefetch())
        )
        assert response.status_code == 200, response.text
        topics = {c["source"]["topic"]["code"] for c in response.json()["cards"]}
        assert "urgent-sign" in topics


async def test_serve_helper_is_usable_directly(tmp_path: Any) -> None:
    async with serve(create_app(settings(tmp_path))) as client:
        assert (await client.get("/cds-services")).status_code == 200


@pytest.mark.parametrize(
    "host, status",
    [
        ("127.0.0.1:8080", 200),
        ("localhost:8080", 200),
        ("[::1]:8080", 200),
        ("127.0.0.1", 200),
        ("rebound.example.com:8080", 401),  # a DNS name rebound to 127.0.0.1 by a web page
        ("10.0.0.5", 401),
    ],
)
async def test_development_mode_answers_loopback_host_names_only(
    client: httpx.AsyncClient, host: str, status: int
) -> None:
    response = await client.get("/cds-services", headers={"host": host})
    assert response.status_code == status


async def test_a_blood_thinner_recorded_as_a_statement_cautions_at_discharge(
    client: httpx.AsyncClient,
) -> None:
    """Home medicines often arrive as MedicationStatements (discovery asks for them): an
    apixaban statement makes the standard over-the-counter advice a caution at discharge."""
    prefetch = full_prefetch()
    statement = {
        "resourceType": "MedicationStatement",
        "id": "ms1",
        "status": "active",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": "apixaban 5 MG Oral Tablet"},
    }
    prefetch["medicationstatements"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": statement}],
    }
    body = hook_request("encounter-discharge", prefetch=prefetch)
    response = await client.post("/cds-services/back-spasm-encounter-discharge", json=body)
    cards = {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}
    assert "MedicationStatement/ms1" in cards["analgesic-caution"]["detail"]
    assert "discharge-instructions" in cards


async def test_back_pain_coded_only_on_the_discharge_encounter_is_in_scope(
    client: httpx.AsyncClient,
) -> None:
    prefetch = full_prefetch()
    prefetch["conditions"] = {"resourceType": "Bundle", "type": "searchset"}
    prefetch["encounter"] = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"code": "EMER"},
        "subject": {"reference": "Patient/p1"},
        "reasonCode": [
            {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]}
        ],
    }
    body = hook_request("encounter-discharge", prefetch=prefetch)
    response = await client.post("/cds-services/back-spasm-encounter-discharge", json=body)
    topics = [c["source"]["topic"]["code"] for c in response.json()["cards"]]
    assert "discharge-instructions" in topics


async def test_large_calls_are_evaluated_off_the_event_loop(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small calls are evaluated inline; one past inline_max_bytes goes to the thread pool,
    and both get the same cards."""
    from cds.service import routes

    hopped: list[object] = []
    real = routes.run_in_threadpool

    async def counting(fn: Any, *args: Any) -> Any:
        hopped.append(fn)
        return await real(fn, *args)

    monkeypatch.setattr(routes, "run_in_threadpool", counting)
    small = hook_request("patient-view", full_prefetch())
    large = copy.deepcopy(small)
    large["extension"] = {"org.example.padding": "x" * 20_000}
    async with serve_settings(settings(tmp_path, inline_max_bytes=10_000)) as c:
        inline = await c.post(PV, json=small)
        assert inline.status_code == 200 and not hopped
        pooled = await c.post(PV, json=large)  # parsed and evaluated on threads
        assert pooled.status_code == 200 and len(hopped) == 2
        # a small call while another holds the engine waits on a thread, not on the loop
        monkeypatch.setattr(DurableEngine, "busy", property(lambda _self: True))
        waited = await c.post(PV, json=small)
        assert waited.status_code == 200 and len(hopped) == 3
    summaries = [[card["summary"] for card in r.json()["cards"]] for r in (inline, pooled, waited)]
    assert summaries[0] and summaries[0] == summaries[1] == summaries[2]
