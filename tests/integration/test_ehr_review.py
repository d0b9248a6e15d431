"""An outside EHR integrator's second review, against the real service (`python -m cds serve`
as a subprocess, real ES384 JWTs, real SQLite): what real EHR clients send that we refused or
misread. A UTF-8 byte order mark before the JSON (.NET clients); RFC 3339 instants with a
lower-case `t` and `z`, in the resources of a call and in feedback, read by one parser; an
accepted suggestion that its card never offered."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from cds.store import Store
from tests.integration.test_service_http import ISS, KEY, PV, Service
from tests.service.patient import full_prefetch, hook_request, temperature
from tests.support.cds_server import run_cds_server
from tests.support.keys import jwks

pytestmark = pytest.mark.integration
BOM = b"\xef\xbb\xbf"
HOOK = f"/cds-services/{PV}"
FEEDBACK = f"{HOOK}/feedback"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    settings = {"jwt_issuers": [{"iss": ISS, "jwks": jwks(KEY)}], "log_level": "info"}
    with run_cds_server(tmp_path_factory.mktemp("ehr-review"), settings, Service) as svc:
        yield svc


def post_bytes(service: Service, http: httpx.Client, path: str, body: bytes) -> httpx.Response:
    headers = {**service.headers(path), "Content-Type": "application/json"}
    return http.post(service.url(path), content=body, headers=headers)


def post(service: Service, http: httpx.Client, path: str, body: Any) -> httpx.Response:
    return post_bytes(service, http, path, json.dumps(body).encode())


def report(service: Service) -> dict[str, tuple[int, int, int]]:
    url = json.loads(service.config.read_text())["database_url"]
    store = Store(url)
    try:
        return {r.rule_id: (r.cards, r.accepted, r.overridden) for r in store.report()}
    finally:
        store.close()


def overridden(card: str, at: str) -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": "seen"},
        "outcomeTimestamp": at,
    }


# --- a UTF-8 byte order mark before the body (item 7) ----------------------------------------


def test_a_hook_call_and_feedback_with_a_byte_order_mark_are_read(
    service: Service, http: httpx.Client
) -> None:
    """orjson refuses a BOM ("unexpected character"): the call was a 400."""
    body = json.dumps(hook_request(prefetch=full_prefetch())).encode()
    answer = post_bytes(service, http, HOOK, BOM + body)
    assert answer.status_code == 200, answer.text
    (card,) = answer.json()["cards"]
    assert card["source"]["topic"]["code"] == "urgent-sign"
    feedback = json.dumps({"feedback": [overridden(card["uuid"], "2026-11-26T08:00:00Z")]})
    stored = post_bytes(service, http, FEEDBACK, BOM + feedback.encode())
    assert (stored.status_code, stored.json()) == (200, {})
    # only a BOM at the very start is dropped: anywhere else it is still not JSON
    inside = post_bytes(service, http, HOOK, b" " + BOM + body)
    assert inside.status_code == 400


# --- lower-case `t` and `z` in RFC 3339 instants (item 6) ------------------------------------


def lower_case(at: datetime) -> str:
    """``2026-11-26t06:00:00z``: RFC 3339 section 5.6 allows both in lower case."""
    return at.astimezone(UTC).strftime("%Y-%m-%dt%H:%M:%Sz")


def test_a_reading_timed_with_lower_case_t_and_z_is_read_with_its_age(
    service: Service, http: httpx.Client
) -> None:
    """`datetime.fromisoformat` reads `Z` but not `z`: the fever's time was "not read;
    treated as current", a data-check item, and its age was not shown."""
    fever = temperature(38.6, hours_ago=2)
    fever["effectiveDateTime"] = lower_case(datetime.now(UTC) - timedelta(hours=2))
    prefetch = {**full_prefetch(), "observations": {"resourceType": "Bundle", "entry": []}}
    prefetch["observations"]["entry"] = [{"resource": fever}]
    answer = post(service, http, HOOK, hook_request(prefetch=prefetch))
    assert answer.status_code == 200, answer.text
    cards = answer.json()["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == ["urgent-sign"]
    assert "2 h ago" in cards[0]["summary"] + cards[0]["detail"]
    assert "could not be read" not in cards[0]["detail"]


def test_feedback_timed_with_lower_case_t_and_z_is_the_same_instant(
    service: Service, http: httpx.Client
) -> None:
    """Refused as "must be an RFC 3339 date-time" before; now the same instant as its upper
    case spelling, so sending both stores the item once."""
    answer = post(service, http, HOOK, hook_request(prefetch=full_prefetch()))
    (card,) = answer.json()["cards"]
    before = report(service)["urg-fever-measured"]
    for at in ("2026-11-26t08:30:00z", "2026-11-26T08:30:00Z", "2026-11-26T12:30:00+04:00"):
        stored = post(service, http, FEEDBACK, {"feedback": [overridden(card["uuid"], at)]})
        assert (stored.status_code, stored.json()) == (200, {}), stored.text
    _, accepted, overrides = report(service)["urg-fever-measured"]
    assert (accepted, overrides) == (before[1], before[2] + 1)


# --- an accepted suggestion must be one the card offered (item 10) ---------------------------

SIGN = "/cds-services/back-spasm-order-sign"
SCENARIO = ROOT / "fhir_examples" / "back-spasm" / "nsaid-ckd-caution" / "request.json"


def caution(service: Service, http: httpx.Client) -> dict[str, Any]:
    """The analgesic caution of a CKD patient's draft NSAID order, with its one suggestion."""
    answer = post(service, http, SIGN, json.loads(SCENARIO.read_text()))
    assert answer.status_code == 200, answer.text
    (card,) = [c for c in answer.json()["cards"] if c["source"]["topic"]["code"] != "data-check"]
    assert card["source"]["topic"]["code"] == "analgesic-caution" and card["suggestions"]
    return card  # type: ignore[no-any-return]


def accepted(card: str, *suggestions: str, minute: int = 0) -> dict[str, Any]:
    return {
        "card": card,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": s} for s in suggestions],
        "outcomeTimestamp": f"2026-11-26T09:{minute:02d}:00Z",
    }


def test_only_a_suggestion_the_card_offered_can_be_accepted(
    service: Service, http: httpx.Client
) -> None:
    """Any uuid was taken as an accepted suggestion: a report counted acceptances of advice
    the card never gave (another card's suggestion, or a made-up uuid)."""
    card, other = caution(service, http), caution(service, http)
    offered = card["suggestions"][0]["uuid"]
    items = [
        accepted(card["uuid"], offered, minute=1),  # the card's own: stored
        accepted(card["uuid"], other["suggestions"][0]["uuid"], minute=2),  # another card's
        accepted(card["uuid"], offered, "00000000-0000-4000-8000-0000000000aa", minute=3),
        overridden(card["uuid"], "2026-11-26T09:04:00Z"),  # stored
    ]
    answer = post(service, http, SIGN + "/feedback", {"feedback": items})
    assert answer.status_code == 400, answer.text
    (issue,) = answer.json()["issue"]
    assert issue["expression"] == ["feedback[1]", "feedback[2]"]
    assert issue["diagnostics"] == (
        "2 of 4 feedback items refused (the other 2 were stored): "
        "feedback[1].acceptedSuggestions[0].id: not one of the suggestions this card offered; "
        "feedback[2].acceptedSuggestions[1].id: not one of the suggestions this card offered"
    )
    rules = report(service)
    assert sum(accepted for _, accepted, _ in rules.values()) == 1
    # the same card's suggestion accepted again, now alone: the item already stored, 200
    again = post(service, http, SIGN + "/feedback", {"feedback": [items[0]]})
    assert (again.status_code, again.json()) == (200, {})
