"""Fuzzing the whole app in-process (lifespan started, httpx over ASGITransport).

Properties, over arbitrary bodies and mutated golden requests:

* never a 5xx and never an exception out of the app (the transport re-raises them);
* the status is one the docs list (200, 400, 404, 412, 413), the body JSON: cards that
  validate as a CDS Hooks response for a 200, an OperationOutcome otherwise;
* a well-formed danger sign among garbage resources still yields the emergency-sign card.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import event, example, given
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from cds.hooks.models import HookResponse
from tests.fuzz.strategies import (
    FEEDBACK,
    GOLDEN,
    HOOK_STATUSES,
    SERVICES,
    danger_request,
    dumps,
    fuzz_settings,
    heart_rate,
    json_values,
    mutate,
    mutated_requests,
    raw_bodies,
)
from tests.service.asgi import serve_settings, settings

FUZZ = fuzz_settings(200)


class App:
    """The app on a private event loop, so synchronous hypothesis tests can call it."""

    def __init__(self, tmp: Path) -> None:
        self.runner = asyncio.Runner()
        # 1 MiB: big enough for every golden request and mutation, small enough for 413s
        self._serve = serve_settings(settings(tmp, max_body_bytes=1 << 20))
        self.client: httpx.AsyncClient = self.runner.run(self._serve.__aenter__())

    def post(self, path: str, body: bytes) -> httpx.Response:
        headers = {"Content-Type": "application/json"}
        return self.runner.run(self.client.post(path, content=body, headers=headers))

    def close(self) -> None:
        self.runner.run(self._serve.__aexit__(None, None, None))
        self.runner.close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    served = App(tmp_path_factory.mktemp("fuzz-app"))
    try:
        yield served
    finally:
        served.close()


def check(response: httpx.Response, feedback: bool = False) -> dict[str, Any]:
    """The service's answer contract, whatever was sent."""
    assert response.status_code < 500, response.text
    assert response.status_code in HOOK_STATUSES, response.status_code
    assert response.headers["content-type"] == "application/json"
    assert "Traceback" not in response.text
    body: dict[str, Any] = orjson.loads(response.content)
    if currently_in_test_context():  # --hypothesis-show-statistics shows the spread
        event(f"status {response.status_code}")
    if response.status_code == 200 and feedback:
        assert body == {}
    elif response.status_code == 200:
        HookResponse.model_validate(body)  # every card passes the strict CDS Hooks model
    else:
        assert body["resourceType"] == "OperationOutcome"
        (issue,) = body["issue"]
        assert issue["severity"] == "error"
        assert issue["details"]["coding"][0]["code"]
        assert isinstance(issue["diagnostics"], str)
    return body


def test_every_golden_request_answers_200(app: App) -> None:
    for service, request in GOLDEN:
        assert app.post(f"/cds-services/{service}", dumps(request)).status_code == 200


@FUZZ
@given(mutated_requests())
def test_mutated_golden_requests_never_fail(app: App, case: tuple[str, Any]) -> None:
    service, request = case
    check(app.post(f"/cds-services/{service}", dumps(request)))


@FUZZ
@given(st.sampled_from(SERVICES), st.one_of(raw_bodies(), json_values().map(dumps)))
@example(SERVICES[0], b"{}" + b" " * (1 << 20))  # over max_body_bytes: 413
def test_arbitrary_bodies_never_fail(app: App, service: str, body: bytes) -> None:
    check(app.post(f"/cds-services/{service}", body))
    check(app.post(f"/cds-services/{service}/feedback", body), feedback=True)


@FUZZ
@given(st.sampled_from(SERVICES), mutate(FEEDBACK))
def test_mutated_feedback_never_fails(app: App, service: str, feedback: Any) -> None:
    response = app.post(f"/cds-services/{service}/feedback", dumps(feedback))
    assert response.status_code != 412
    check(response, feedback=True)


@FUZZ
@given(danger_request())
def test_a_danger_sign_among_garbage_still_yields_the_emergency_card(
    app: App, case: tuple[str, dict[str, Any]]
) -> None:
    service, request = case
    body = check(app.post(f"/cds-services/{service}", dumps(request)))
    topics = [card["source"]["topic"]["code"] for card in body.get("cards", [])]
    assert "emergency-sign" in topics, body


def test_the_danger_property_is_not_vacuous(app: App) -> None:
    """Without the danger sign (HR 100 /min) the same kind of request has no emergency card."""
    # a golden patient-view whose only danger sign is a vital sign (the first one alphabetically
    # may have its sign in the conditions)
    service, request = next(
        (s, r) for s, r in GOLDEN if r["context"]["patientId"].endswith("heart-rate-131-card")
    )
    patient = request["context"]["patientId"]
    calm = heart_rate(100)
    calm["subject"] = {"reference": f"Patient/{patient}"}
    request = {**request, "prefetch": {**request["prefetch"]}}
    request["prefetch"]["observations"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": calm}],
    }
    body = check(app.post(f"/cds-services/{service}", dumps(request)))
    assert "emergency-sign" not in [c["source"]["topic"]["code"] for c in body["cards"]]
