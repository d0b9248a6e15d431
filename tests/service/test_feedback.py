"""The feedback endpoint over HTTP (in-process), on SQLite and on a real PostgreSQL: what is
refused (400 naming the items, the others stored), the item limit, feedback sent the moment a
card is answered, and the data-check card's place in the report."""

from __future__ import annotations

import copy
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cds.errors import ConfigError
from cds.service.app import create_app
from cds.store import Store
from tests.service.asgi import serve_settings, settings
from tests.service.patient import full_prefetch, hook_request

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"
OS = "/cds-services/back-spasm-order-sign"
REASONS = "https://cds.example.org/override-reason"


@pytest.fixture
async def client(tmp_path: Path, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    s = settings(tmp_path, database_url=database_url, feedback_max_items=20)
    async with serve_settings(s) as c:
        yield c


def item(
    card: str, code: str | None = "already-assessed", n: int = 0, **more: Any
) -> dict[str, Any]:
    reason: dict[str, Any] = {"userComment": f"comment {n}"}
    if code is not None:
        reason["reason"] = {"system": REASONS, "code": code}
    return {
        "card": card,
        "outcome": "overridden",
        "overrideReason": reason,
        "outcomeTimestamp": f"2026-11-26T08:00:{n:02d}Z",
        **more,
    }


async def issued_card(client: httpx.AsyncClient) -> str:
    response = await client.post(PV, json=hook_request(prefetch=full_prefetch()))
    (card,) = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "urgent-sign"
    uuid_: str = card["uuid"]
    return uuid_


def refused(response: httpx.Response) -> tuple[list[str], str]:
    """The refused items' paths and the diagnostics of a 400 on feedback."""
    assert response.status_code == 400, response.text
    (issue,) = response.json()["issue"]
    assert issue["code"] == "invalid"
    assert issue["details"]["coding"][0]["code"] in ("invalid-feedback", "input-error")
    return issue.get("expression", []), issue["diagnostics"]


def report(database_url: str) -> dict[str, tuple[int, int, int]]:
    store = Store(database_url)
    try:
        return {r.rule_id: (r.cards, r.accepted, r.overridden) for r in store.report()}
    finally:
        store.close()


async def test_feedback_sent_the_moment_a_card_is_answered_is_stored(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """Issued cards are recorded by a writer thread that lingers 0.1 s to batch them: feedback
    arriving before that must find its card (the route flushes the recorder first), not be
    refused as feedback on an unknown card."""
    for n in range(3):
        card = await issued_card(client)
        response = await client.post(PV + "/feedback", json={"feedback": [item(card, n=n)]})
        assert (response.status_code, response.json()) == (200, {})
    assert report(database_url)["urg-fever-measured"] == (3, 0, 3)


async def test_feedback_on_cards_we_did_not_issue_is_refused_and_the_rest_stored(
    client: httpx.AsyncClient, database_url: str
) -> None:
    card = await issued_card(client)
    ours = [item(card, n=1), item(card, code=None, n=2)]
    bad = [
        item(str(uuid.uuid4()), n=3),  # never issued
        item(card, code="made-up-reason", n=4),  # not offered by this card
    ]
    body = {"feedback": [ours[0], bad[0], ours[1], bad[1]]}
    paths, text = refused(await client.post(PV + "/feedback", json=body))
    assert paths == ["feedback[1]", "feedback[3]"]
    assert text == (
        "2 of 4 feedback items refused (the other 2 were stored): "
        "feedback[1].card: no card with this uuid was issued by this service; "
        "feedback[3].overrideReason.reason: not one of the reasons this card offered"
    )
    assert "made-up-reason" not in text and bad[0]["card"] not in text
    assert report(database_url)["urg-fever-measured"] == (1, 0, 2)
    # the same card's feedback sent to another service is refused there
    paths, text = refused(await client.post(OS + "/feedback", json={"feedback": [ours[0]]}))
    assert paths == ["feedback[0]"]
    assert text.endswith("feedback[0].card: this card was issued by another service")
    # the whole batch again: the stored items stay stored once (idempotent), same refusals
    again = await client.post(PV + "/feedback", json=body)
    assert refused(again)[0] == ["feedback[1]", "feedback[3]"]
    assert report(database_url)["urg-fever-measured"] == (1, 0, 2)


async def test_malformed_items_are_400_without_their_values_and_good_ones_stored(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """Over-long ids, codes or systems and NUL bytes: PostgreSQL refused them with a 503 for
    the whole batch (the good items were never stored)."""
    card = await issued_card(client)
    secret = "Smith-Jane-19800402"
    bad = [
        item(secret * 10, n=1),
        item(card, n=2, overrideReason={"reason": {"system": REASONS, "code": secret * 10}}),
        item(card, n=3, overrideReason={"reason": {"system": secret * 30, "code": "x"}}),
        item(card, n=4, overrideReason={"userComment": secret + "\x00"}),
        item(card + "\x00", n=5),
        item(card, n=6, outcomeTimestamp=secret),
        {
            "card": card,
            "outcome": "accepted",
            "outcomeTimestamp": "2026-11-26T08:00:07Z",
            "acceptedSuggestions": [{"id": secret}],
        },
        "not an object",
    ]
    good = item(card, n=9)
    body = {"feedback": [*bad, good]}
    paths, text = refused(await client.post(PV + "/feedback", json=body))
    assert paths == [f"feedback[{i}]" for i in range(len(bad))]
    assert secret not in text
    assert text.startswith(f"{len(bad)} of {len(bad) + 1} feedback items refused (the other one")
    assert "feedback[5].outcomeTimestamp: must be a date-time with a time zone" in text
    assert "feedback[7]: must be a JSON object with card, outcome and outcomeTimestamp" in text
    assert report(database_url)["urg-fever-measured"] == (1, 0, 1)


async def test_more_items_than_the_limit_is_413_and_nothing_stored(
    client: httpx.AsyncClient, database_url: str
) -> None:
    card = await issued_card(client)
    items = [item(card, n=n) for n in range(21)]  # feedback_max_items=20 in the fixture
    response = await client.post(PV + "/feedback", json={"feedback": items})
    assert response.status_code == 413
    (issue,) = response.json()["issue"]
    assert issue["diagnostics"] == (
        "feedback holds 21 items; at most 20 are taken per call: send them in several calls"
    )
    response = await client.post(PV + "/feedback", json={"feedback": items[:20]})
    assert response.status_code == 200
    # 20, not 21: the last item of the refused call was not stored
    assert report(database_url)["urg-fever-measured"] == (1, 0, 20)


async def test_the_data_check_card_of_a_prefetch_gap_is_in_the_report(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """A data-check card raised only because prefetch data could not be had shows no rule's
    findings: it is recorded under `topic:data-check`, so its feedback is counted."""
    prefetch = full_prefetch()
    del prefetch["observations"]
    response = await client.post(PV, json=hook_request(prefetch=prefetch))
    (card,) = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "data-check"
    offered = [r["code"] for r in card["overrideReasons"]]
    assert "checked" in offered
    body = {"feedback": [item(card["uuid"], code="checked")]}
    assert (await client.post(PV + "/feedback", json=body)).status_code == 200
    assert report(database_url)["topic:data-check"] == (1, 0, 1)


async def test_feedback_answers_the_empty_object_for_no_items(client: httpx.AsyncClient) -> None:
    response = await client.post(PV + "/feedback", json={"feedback": []})
    assert (response.status_code, response.json()) == (200, {})


def test_an_unusable_database_url_stops_create_app(tmp_path: Path) -> None:
    s = settings(tmp_path, database_url="postgresql+psycopg://cds:secret@127.0.0.1:1/cds")
    with pytest.raises(ConfigError, match="cannot connect to the database") as caught:
        create_app(s)
    assert "secret" not in caught.value.message


async def test_cards_answered_twice_are_recorded_once(client: httpx.AsyncClient) -> None:
    card = await issued_card(client)
    body = {"feedback": [item(card), copy.deepcopy(item(card))]}
    assert (await client.post(PV + "/feedback", json=body)).status_code == 200
