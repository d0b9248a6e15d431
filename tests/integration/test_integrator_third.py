"""An EHR integrator's third review, against the real service (`python -m cds serve` as a
subprocess, real ES384 JWTs, real SQLite): a recognisable danger-sign reading that is
malformed (no status, a code sent as an array, LOINC written "LN", a draft medicine with no
code, a Bundle entry with no resource) is a data-check item, never silence and never an
emergency card by itself; the items name records as a clinician reads them."""

from __future__ import annotations

import gzip
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.integration.test_service_http import ISS, KEY, PV, Service
from tests.service.patient import (
    back_pain,
    fetching_request,
    full_prefetch,
    hook_request,
    searchset,
    temperature,
)
from tests.support.cds_server import ROOT, run_cds_server
from tests.support.keys import jwks
from tests.support.recorder import Recorder, recording_server

pytestmark = pytest.mark.integration
HOOK = f"/cds-services/{PV}"
SIGN = "/cds-services/back-spasm-order-sign"
SELECT = "/cds-services/back-spasm-order-select"
ORIGIN = "https://ehr.example.org"
FHIR = "http://127.0.0.1:9/r4"  # allowlisted, never reached: every link here is refused first


@pytest.fixture(scope="module")
def fhir_pages() -> Iterator[Recorder]:
    """A FHIR server whose every search answers one page whose next link holds a `;`."""
    page = searchset(back_pain())
    page["link"] = [{"relation": "next", "url": "Condition;jsessionid=1A2B?patient=p1&_page=2"}]
    with recording_server(page) as server:
        yield server


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, fhir_pages: Recorder) -> Iterator[Service]:
    settings = {
        "jwt_issuers": [{"iss": ISS, "jwks": jwks(KEY)}],
        "log_level": "info",
        "fhir_server_allowlist": [FHIR, f"{fhir_pages.base}/r4"],
        "cors_origins": [ORIGIN],
    }
    with run_cds_server(tmp_path_factory.mktemp("third-review"), settings, Service) as svc:
        yield svc


def post(service: Service, http: httpx.Client, path: str, body: Any) -> httpx.Response:
    headers = {**service.headers(path), "Content-Type": "application/json"}
    return http.post(service.url(path), content=json.dumps(body).encode(), headers=headers)


def cards(response: httpx.Response) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {c["source"]["topic"]["code"]: c for c in response.json()["cards"]}


def fever_call(change: Any, hook: str = "patient-view") -> dict[str, Any]:
    """A call whose 39.2 °C temperature is changed by `change` (the record, in place)."""
    prefetch = full_prefetch(fever=39.2)
    change(prefetch["observations"]["entry"][0]["resource"])
    return hook_request(hook, prefetch=prefetch)


def _no_status(obs: dict[str, Any]) -> None:
    del obs["status"]


def _null_status(obs: dict[str, Any]) -> None:
    obs["status"] = None


def _code_array(obs: dict[str, Any]) -> None:
    obs["code"] = [obs["code"]]


# --- 1. a malformed danger-sign reading is a data-check item, never silence ---------------------


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (_no_status, "no status"),
        (_null_status, "no status"),
        (_code_array, "sent as a list"),
    ],
)
@pytest.mark.parametrize("path", [HOOK, SIGN])
def test_a_malformed_fever_reading_is_a_data_check_item_not_silence(
    service: Service, http: httpx.Client, change: Any, says: str, path: str
) -> None:
    hook = "order-sign" if path == SIGN else "patient-view"
    got = cards(post(service, http, path, fever_call(change, hook)))
    assert "urgent-sign" not in got and "emergency-sign" not in got
    check = got["data-check"]
    assert "39.2 °C" in check["detail"] and "Observation/o1" in check["detail"]
    assert says in check["detail"]


def test_loinc_written_ln_is_read_as_loinc(service: Service, http: httpx.Client) -> None:
    def ln(obs: dict[str, Any]) -> None:
        obs["code"]["coding"][0]["system"] = "LN"

    got = cards(post(service, http, HOOK, fever_call(ln)))
    assert "39.2 °C" in got["urgent-sign"]["summary"]


def ibuprofen(concept: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "draft-ibu",
        "status": "draft",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": concept,
    }


@pytest.mark.parametrize("concept", [None, {"coding": None}, {"coding": [{"system": "x"}]}])
def test_a_draft_medicine_with_no_code_is_a_data_check_item(
    service: Service, http: httpx.Client, concept: Any
) -> None:
    body = hook_request("order-sign", prefetch=full_prefetch(fever=36.8))
    body["context"]["draftOrders"]["entry"] = [{"resource": ibuprofen(concept)}]
    check = cards(post(service, http, SIGN, body))["data-check"]
    assert "MedicationRequest/draft-ibu" in check["detail"]
    assert "no code and no name" in check["detail"]


def test_a_bundle_entry_without_a_resource_is_named_as_a_clinician_reads_it(
    service: Service, http: httpx.Client
) -> None:
    prefetch = full_prefetch(fever=39.2)
    prefetch["observations"]["entry"].append({"fullUrl": "http://ehr/Observation/x"})
    got = cards(post(service, http, HOOK, hook_request(prefetch=prefetch)))
    assert "39.2 °C" in got["urgent-sign"]["summary"]
    check = got["data-check"]
    assert "observations, entry 2" in check["summary"]
    assert "observations, entry 2: the entry carries no resource" in check["detail"]
    assert "prefetch.observations" not in check["detail"] + check["summary"]


# --- 2. a bad selection or a bare-array draftOrders: evaluated and said, never a lost card -------


def tachycardic_select() -> dict[str, Any]:
    """order-select of an x-ray for a back-pain patient whose heart rate is 180 (emergency)."""
    prefetch = full_prefetch(fever=36.8)
    hr = temperature(180, oid="hr1")
    hr["code"] = {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}
    hr["valueQuantity"] = {"value": 180, "unit": "/min", "system": "http://unitsofmeasure.org"}
    hr["valueQuantity"]["code"] = "/min"
    prefetch["observations"] = searchset(hr)
    body = hook_request("order-select", prefetch=prefetch)
    body["context"]["selections"] = ["MedicationRequest/draft1"]
    return body


def test_a_selection_naming_no_draft_order_keeps_the_emergency_card(
    service: Service, http: httpx.Client
) -> None:
    body = tachycardic_select()
    body["context"]["selections"] = ["MedicationRequest/typo"]
    got = cards(post(service, http, SELECT, body))
    assert "180" in got["emergency-sign"]["summary"]
    check = got["data-check"]["detail"]
    assert "selection 1: selection MedicationRequest/typo names no order in draftOrders" in check
    assert "context.selections" not in check


def test_draft_orders_as_a_bare_array_keeps_the_emergency_card(
    service: Service, http: httpx.Client
) -> None:
    body = tachycardic_select()
    body["context"]["draftOrders"] = [
        e["resource"] for e in body["context"]["draftOrders"]["entry"]
    ]
    got = cards(post(service, http, SELECT, body))
    assert "180" in got["emergency-sign"]["summary"]
    check = got["data-check"]["detail"]
    assert "draftOrders was sent as a bare list of resources" in check
    assert "selection 1" not in check  # its selection is found in the bare array


def test_a_selection_that_is_no_reference_is_still_a_400(
    service: Service, http: httpx.Client
) -> None:
    """The hook's definition: selections are `Type/id` references; one that is not one says
    the client is broken (and `selections` is required)."""
    body = tachycardic_select()
    body["context"]["selections"] = ["not a reference"]
    response = post(service, http, SELECT, body)
    assert response.status_code == 400
    assert "selections" in response.text


# --- 3. record text is inert in a card's Markdown, and bounded ------------------------------------

INJECTED = (
    "Cauda equina syndrome ![img](http://evil.example/t.png) [click](javascript:alert(1)) "
    "<script>alert(1)</script>"
)


def test_record_text_cannot_add_links_images_html_or_lines_to_a_card(
    service: Service, http: httpx.Client
) -> None:
    prefetch = full_prefetch(fever=39.2)
    ce = copy_of(prefetch["conditions"]["entry"][0]["resource"], id="ce")
    ce["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G83.4"}]}
    ce["code"]["coding"][0]["display"] = INJECTED
    prefetch["conditions"]["entry"].append({"resource": ce})
    prefetch["observations"]["entry"][0]["resource"]["id"] = "t1\n- **fake line**"
    got = cards(post(service, http, HOOK, hook_request(prefetch=prefetch)))
    emergency, urgent = got["emergency-sign"]["detail"], got["urgent-sign"]["detail"]
    for text in (emergency, urgent):
        assert "](" not in text.replace("\\](", "")  # no link or image survives
        assert "<script>" not in text and "\\<script\\>" in emergency
    assert "\\[click\\](javascript:alert(1))" in emergency
    assert "\n- **fake line**" not in urgent
    assert "(Observation/t1 - \\*\\*fake line\\*\\*)" in urgent


def test_a_long_display_is_cut_with_an_ellipsis(service: Service, http: httpx.Client) -> None:
    def long_name(obs: dict[str, Any]) -> None:
        obs["code"]["coding"][0]["display"] = "Body temperature " + "x" * 500

    detail = cards(post(service, http, HOOK, fever_call(long_name)))["urgent-sign"]["detail"]
    (line,) = [ln for ln in detail.splitlines() if "xxxx" in ln]
    assert "Body temperature " + "x" * 102 + "…," in line  # 120 characters in all


def copy_of(resource: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**json.loads(json.dumps(resource)), **changes}


# --- 4. feedback: a different comment under one key is refused, never 200 and dropped ----------


def stored_comments(service: Service, card: str) -> list[str | None]:
    url = json.loads(service.config.read_text())["database_url"]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        query = "select override_comment from feedback where card_uuid = ? order by id"
        return [row[0] for row in db.execute(query, (card,))]


def overridden(card: str, comment: str) -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": comment},
        "outcomeTimestamp": "2026-12-06T19:40:00Z",
    }


def test_feedback_with_another_comment_under_one_key_is_refused_not_dropped(
    service: Service, http: httpx.Client
) -> None:
    card = cards(post(service, http, HOOK, fever_call(lambda o: None)))["urgent-sign"]["uuid"]
    feedback = f"{HOOK}/feedback"
    first = post(service, http, feedback, {"feedback": [overridden(card, "seen by ortho")]})
    assert (first.status_code, first.json()) == (200, {})
    retry = post(service, http, feedback, {"feedback": [overridden(card, "seen by ortho")]})
    assert (retry.status_code, retry.json()) == (200, {})  # the same item again: idempotent
    other = post(service, http, feedback, {"feedback": [overridden(card, "CORRECTION")]})
    assert other.status_code == 400
    issue = other.json()["issue"][0]
    assert issue["expression"] == ["feedback[0]"]
    assert "already stored with another override reason, comment" in issue["diagnostics"]
    assert stored_comments(service, card) == ["seen by ortho"]
    both = [overridden(card, "a"), overridden(card, "b")]
    for item in both:
        item["outcomeTimestamp"] = "2026-12-06T19:41:00Z"
    batch = post(service, http, feedback, {"feedback": both})
    assert batch.status_code == 400 and batch.json()["issue"][0]["expression"] == ["feedback[1]"]
    assert stored_comments(service, card) == ["seen by ortho", "a"]


# --- 5. a page link refused is named as the page link, not as fhirServer ------------------------


def test_a_next_link_with_a_path_parameter_is_named_as_the_page_link(
    service: Service, http: httpx.Client
) -> None:
    prefetch = full_prefetch(fever=39.2)
    prefetch["conditions"] = searchset(
        *[e["resource"] for e in prefetch["conditions"]["entry"]],
        next_url=f"{FHIR}/Condition;jsessionid=1A2B?patient=p1&_page=1",
    )
    body = hook_request(prefetch=prefetch, fhirServer=FHIR)
    body["fhirAuthorization"] = {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds",
    }
    got = cards(post(service, http, HOOK, body))
    detail = got["data-check"]["detail"]
    assert "the next page link refused: a path parameter (';' or '%3b')" in detail
    assert "fhirServer refused" not in detail


# --- 6. the edges: hook before context, encodings, JWT typ, CORS refusals, CLI exit codes ------


def raw(service: Service, http: httpx.Client, data: bytes, **headers: str) -> httpx.Response:
    headers = {**service.headers(HOOK), "Content-Type": "application/json", **headers}
    return http.post(service.url(HOOK), content=data, headers=headers)


def diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome", body
    return str(body["issue"][0]["diagnostics"])


def test_another_hook_is_named_before_its_context_is_checked(
    service: Service, http: httpx.Client
) -> None:
    """An order-sign call (no draftOrders) sent to patient-view: the hook is the problem."""
    sign = hook_request("order-sign", prefetch=full_prefetch())
    del sign["context"]["draftOrders"]
    response = post(service, http, HOOK, sign)
    assert response.status_code == 400
    assert "answers 'patient-view', not the request's hook" in diagnostics(response)
    # the same with the hook given twice (JSON: the last one counts)
    text = json.dumps(hook_request(prefetch=full_prefetch()))
    twice = text.replace('"hook": "patient-view"', '"hook": "patient-view", "hook": "order-sign"')
    response = raw(service, http, twice.encode())
    assert response.status_code == 400
    assert "answers 'patient-view', not the request's hook" in diagnostics(response)


def test_a_compressed_body_is_415_and_a_latin_1_body_is_named(
    service: Service, http: httpx.Client
) -> None:
    body = json.dumps(hook_request(prefetch=full_prefetch())).encode()
    zipped = raw(service, http, gzip.compress(body), **{"Content-Encoding": "gzip"})
    assert zipped.status_code == 415
    assert "Content-Encoding is not supported" in diagnostics(zipped)
    latin = body.replace(b"Low back pain", "Low back pain \xe9".encode("latin-1"))
    response = raw(service, http, latin)
    assert response.status_code == 400
    assert "request body is not UTF-8" in diagnostics(response)
    assert raw(service, http, body, **{"Content-Encoding": "identity"}).status_code == 200


@pytest.mark.parametrize("typ", ["jwt", "Jwt", "application/jwt", "APPLICATION/JWT"])
def test_jwt_typ_is_read_as_a_media_type(service: Service, http: httpx.Client, typ: str) -> None:
    token = service.token(HOOK, headers={"typ": typ})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(hook_request(prefetch=full_prefetch())).encode()
    assert http.post(service.url(HOOK), content=body, headers=headers).status_code == 200


def test_a_jwt_of_another_type_is_still_refused(service: Service, http: httpx.Client) -> None:
    token = service.token(HOOK, headers={"typ": "at+jwt"})
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps(hook_request(prefetch=full_prefetch())).encode()
    assert http.post(service.url(HOOK), content=body, headers=headers).status_code == 401


def test_a_refused_cors_preflight_is_an_operation_outcome(
    service: Service, http: httpx.Client
) -> None:
    def preflight(origin: str) -> httpx.Response:
        headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        return http.options(service.url(HOOK), headers=headers)

    assert preflight(ORIGIN).status_code == 200
    refused = preflight("https://evil.example")
    assert refused.status_code == 400
    assert refused.headers["content-type"] == "application/json"
    assert "CORS preflight refused: origin not allowed" in diagnostics(refused)


def test_feedback_send_with_a_card_that_is_no_uuid_is_an_input_error() -> None:
    """Exit 2 (usage or input error, the contract), before anything is sent."""
    command = [sys.executable, "-m", "cds", "feedback", "send", "back-spasm-patient-view"]
    command += ["--card", "not-a-uuid", "--override", "--base", "http://127.0.0.1:9"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2, done.stderr
    assert "--card must be the uuid of a card" in done.stderr


def test_a_next_link_with_a_path_parameter_from_the_server_is_named_as_the_page_link(
    service: Service, http: httpx.Client, fhir_pages: Recorder
) -> None:
    prefetch = full_prefetch(fever=39.2)
    del prefetch["conditions"]  # fetched: page 1 holds the back pain, its next link a `;`
    body = fetching_request(f"{fhir_pages.base}/r4", "t", "p1", prefetch)
    got = cards(post(service, http, HOOK, body))
    assert "39.2 °C" in got["urgent-sign"]["summary"]
    detail = got["data-check"]["detail"]
    assert "the next page link refused: a path parameter (';' or '%3b')" in detail
    assert "fhirServer refused" not in detail
