"""Feedback is taken only from the client that received the card: the verified JWT's issuer
(and tenant) is stored beside each issued card, over HTTP with real ES384 tokens, on SQLite
and on a real PostgreSQL; and a database made before the store kept clients gains the column
at start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, inspect, text

from cds.config import JwtIssuer, load_settings
from cds.store import Store, client_of
from tests.service.asgi import serve_settings
from tests.service.patient import full_prefetch, hook_request
from tests.support.keys import jwks, make_token, new_key

pytestmark = pytest.mark.anyio
BASE = "https://cds.example.org"
PV = "/cds-services/back-spasm-patient-view"
EHR_A, EHR_B = "https://ehr-a.example.org", "https://ehr-b.example.org"
KEY_A, KEY_B = new_key("a-1"), new_key("b-1")


@pytest.fixture
async def client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    s = load_settings(
        None,
        {
            "database_url": database_url,
            "jwt_issuers": [
                JwtIssuer(iss=EHR_A, jwks=jwks(KEY_A)),
                JwtIssuer(iss=EHR_B, jwks=jwks(KEY_B)),
            ],
            "host": "0.0.0.0",
            "base_url": BASE + "/",
        },
    )
    async with serve_settings(s) as c:
        yield c


def _as(key: Any, iss: str, path: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(key, iss, BASE + path, **claims)}"}


async def _card(client: httpx.AsyncClient, key: Any, iss: str, **claims: Any) -> str:
    response = await client.post(
        PV, json=hook_request(prefetch=full_prefetch()), headers=_as(key, iss, PV, **claims)
    )
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    uuid: str = card["uuid"]
    return uuid


def _item(card: str) -> dict[str, Any]:
    return {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-11-26T08:00:00Z"}


async def _feedback(
    client: httpx.AsyncClient, card: str, key: Any, iss: str, **claims: Any
) -> httpx.Response:
    path = PV + "/feedback"
    return await client.post(
        path, json={"feedback": [_item(card)]}, headers=_as(key, iss, path, **claims)
    )


async def test_feedback_is_taken_only_from_the_client_that_received_the_card(
    client: httpx.AsyncClient,
) -> None:
    card = await _card(client, KEY_A, EHR_A)
    other = await _feedback(client, card, KEY_B, EHR_B)
    assert other.status_code == 400
    # refused as a card never issued: another client learns nothing of the card
    assert "no card with this uuid was issued by this service" in other.text
    own = await _feedback(client, card, KEY_A, EHR_A)
    assert own.status_code == 200, own.text


async def test_one_issuer_s_tenants_are_different_clients(client: httpx.AsyncClient) -> None:
    card = await _card(client, KEY_A, EHR_A, tenant="hospital-1")
    assert (await _feedback(client, card, KEY_A, EHR_A, tenant="hospital-2")).status_code == 400
    assert (await _feedback(client, card, KEY_A, EHR_A)).status_code == 400
    assert (await _feedback(client, card, KEY_A, EHR_A, tenant="hospital-1")).status_code == 200


def test_client_of_names_the_issuer_and_its_tenant() -> None:
    assert client_of({}) is None  # development mode: no claims
    assert client_of({"iss": EHR_A}) == EHR_A
    assert client_of({"iss": EHR_A, "tenant": "t1"}) == f"{EHR_A} tenant t1"


async def test_a_database_made_before_clients_were_kept_gains_the_column(
    database_url: str,
) -> None:
    store = Store(database_url)
    store.open()
    store.close()
    engine = create_engine(database_url)
    with engine.begin() as connection:  # as the store was made before this release
        connection.execute(text("ALTER TABLE issued_card DROP COLUMN client"))
    assert "client" not in {c["name"] for c in inspect(engine).get_columns("issued_card")}
    again = Store(database_url)
    again.open()
    again.close()
    assert "client" in {c["name"] for c in inspect(engine).get_columns("issued_card")}
    engine.dispose()
