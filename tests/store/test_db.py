"""Tests for store/db.py: issued cards, idempotent feedback, the feedback checks, the report,
the start-up check of `database_url`; on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds.errors import ConfigError, StoreUnavailable
from cds.hooks.feedback import parse_feedback
from cds.store import CardRecord, Store, hash_patient
from tests.support.postgres import PASSWORD, PostgresServer

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
REASONS = "https://cds.example.org/override-reason"
SERVICE = "back-spasm-patient-view"


def card(rules: tuple[str, ...], version: str = "1.0.0", pid: str = "patient-42") -> CardRecord:
    """An urgent-sign card offering two suggestions."""
    return CardRecord(
        uuid=str(uuid.uuid4()),
        service_id=SERVICE,
        pack_id="back-spasm",
        pack_version=version,
        topic="urgent-sign",
        indicator="warning",
        rule_ids=rules,
        patient_hash=hash_patient(pid, "k"),
        issued_at=NOW,
        suggestion_uuids=(str(uuid.uuid4()), str(uuid.uuid4())),
    )


def feedback(
    card_uuid: str,
    outcome: str,
    at: str = "2026-11-26T08:05:00Z",
    code: str = "x",
    taken: tuple[str, ...] = (),
) -> list[Any]:
    item: dict[str, Any] = {"card": card_uuid, "outcome": outcome, "outcomeTimestamp": at}
    if outcome == "accepted":
        item["acceptedSuggestions"] = [{"id": s} for s in taken]
    else:
        item["overrideReason"] = {"reason": {"system": REASONS, "code": code}}
    return parse_feedback({"feedback": [item]}).feedback


def opened(url: str) -> Store:
    """A store as the service opens it at start-up, the topic's reasons recorded."""
    store = Store(url)
    store.open()
    store.record_offers("back-spasm", "1.0.0", {"urgent-sign": [(REASONS, "x")]})
    store.record_offers("back-spasm", "2.0.0", {"urgent-sign": [(REASONS, "x")]})
    return store


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test once on a SQLite file, once on a fresh database of a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/sub/dir/cds.sqlite3"
    return str(request.getfixturevalue("postgres_url"))


def exercise(store: Store) -> None:
    a, b, c = card(("r1", "r2")), card(("r1",)), card(("r1",), "2.0.0")
    store.record_cards([a, b, c])
    store.record_cards([a])  # again: ignored
    assert store.record_feedback(SERVICE, feedback(a.uuid, "overridden"), NOW).added == 1
    again = store.record_feedback(SERVICE, feedback(a.uuid, "overridden"), NOW)
    assert (again.added, again.refused) == (0, {})  # idempotent
    same_instant = feedback(a.uuid, "overridden", at="2026-11-26T09:05:00.000+01:00")
    assert store.record_feedback(SERVICE, same_instant * 2, NOW).added == 0  # the same item
    taken = b.suggestion_uuids[:1]
    assert store.record_feedback(SERVICE, feedback(b.uuid, "accepted", taken=taken), NOW).added
    later = feedback(b.uuid, "accepted", "2026-11-26T09:00:00Z", taken=b.suggestion_uuids)
    assert store.record_feedback(SERVICE, later, NOW).added == 1
    rows = {(r.rule_id, r.pack_version): r for r in store.report()}
    assert set(rows) == {("r1", "1.0.0"), ("r2", "1.0.0"), ("r1", "2.0.0")}
    r1 = rows[("r1", "1.0.0")]
    assert (r1.cards, r1.accepted, r1.overridden) == (2, 2, 1)
    assert r1.override_rate == pytest.approx(1 / 3) and r1.acceptance_rate == pytest.approx(2 / 3)
    assert rows[("r1", "2.0.0")].override_rate is None


def test_store(url: str) -> None:
    store = opened(url)
    exercise(store)
    store.close()
    reopened = Store(url)  # a new process: no open() needed to read
    assert len(reopened.report()) == 3
    reopened.close()


def test_sqlite_file_holds_only_hashed_patient_ids(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/sub/dir/cds.sqlite3"
    store = opened(url)  # folders are created at start-up
    exercise(store)
    store.close()
    raw = (tmp_path / "sub/dir/cds.sqlite3").read_bytes()
    assert b"patient-42" not in raw
    assert hash_patient("patient-42", "k").encode() in raw


def test_patient_ids_are_keyed_hashes() -> None:
    assert hash_patient("p1", "k") != hash_patient("p1", "other-key")
    assert "p1" not in hash_patient("p1", "k")


def test_feedback_on_cards_this_service_did_not_issue_is_refused_and_the_rest_stored(
    url: str,
) -> None:
    """An unknown card, a card of another service, a reason the card never offered: each item
    refused by position, with a reason that does not repeat its values; the good ones stored."""
    store = opened(url)
    ours, theirs = card(("r1",)), card(("r2",))
    theirs = CardRecord(**{**theirs.__dict__, "service_id": "back-spasm-order-sign"})
    store.record_cards([ours, theirs])
    items = [
        *feedback(ours.uuid, "overridden"),
        *feedback(str(uuid.uuid4()), "overridden"),  # never issued
        *feedback(theirs.uuid, "overridden"),  # issued by another service
        *feedback(ours.uuid, "overridden", at="2026-11-26T08:06:00Z", code="made-up"),
        *feedback(ours.uuid, "accepted", taken=ours.suggestion_uuids[1:]),
        # a suggestion of another card, and one made up: refused, naming which one
        *feedback(ours.uuid, "accepted", "2026-11-26T08:07:00Z", taken=theirs.suggestion_uuids),
        *feedback(
            ours.uuid,
            "accepted",
            "2026-11-26T08:08:00Z",
            taken=(ours.suggestion_uuids[0], str(uuid.uuid4())),
        ),
    ]
    outcome = store.record_feedback(SERVICE, items, NOW)
    assert outcome.added == 2
    assert {i: (r.field, r.reason) for i, r in outcome.refused.items()} == {
        1: ("card", "no card with this uuid was issued by this service"),
        2: ("card", "this card was issued by another service"),
        3: ("overrideReason.reason", "not one of the reasons this card offered"),
        5: ("acceptedSuggestions[0].id", "not one of the suggestions this card offered"),
        6: ("acceptedSuggestions[1].id", "not one of the suggestions this card offered"),
    }
    rows = {r.rule_id: r for r in store.report()}
    assert (rows["r1"].accepted, rows["r1"].overridden) == (1, 1)
    assert (rows["r2"].accepted, rows["r2"].overridden) == (0, 0)
    store.close()


def test_a_reason_offered_by_another_topic_or_pack_version_is_refused(url: str) -> None:
    store = Store(url)
    store.open()
    store.record_offers("back-spasm", "1.0.0", {"emergency-sign": [(REASONS, "x")]})
    store.record_offers("back-spasm", "2.0.0", {"urgent-sign": [(REASONS, "x")]})
    urgent = card(("r1",))  # topic urgent-sign, version 1.0.0
    store.record_cards([urgent])
    outcome = store.record_feedback(SERVICE, feedback(urgent.uuid, "overridden"), NOW)
    assert (outcome.added, list(outcome.refused)) == (0, [0])
    comment_only = parse_feedback(
        {
            "feedback": [
                {
                    "card": urgent.uuid,
                    "outcome": "overridden",
                    "overrideReason": {"userComment": "seen"},
                    "outcomeTimestamp": "2026-11-26T08:05:00Z",
                }
            ]
        }
    ).feedback
    assert store.record_feedback(SERVICE, comment_only, NOW).added == 1  # no coded reason: fine
    store.close()


# --- the database goes away: 503, and never a new empty database -------------------------------


def test_a_missing_sqlite_file_is_never_created_again_at_run_time(tmp_path: Path) -> None:
    db = tmp_path / "db" / "cds.sqlite3"
    store = opened(f"sqlite:///{db}")
    kept = card(("r1",))
    store.record_cards([kept])
    assert store.record_feedback(SERVICE, feedback(kept.uuid, "overridden"), NOW).added == 1
    db.rename(tmp_path / "moved.sqlite3")  # moved away (its folder stays)
    for wal in db.parent.glob("cds.sqlite3-*"):
        wal.rename(tmp_path / ("moved.sqlite3" + wal.name.removeprefix("cds.sqlite3")))
    with pytest.raises(StoreUnavailable):
        store.record_feedback(
            SERVICE, feedback(kept.uuid, "accepted", taken=kept.suggestion_uuids), NOW
        )
    with pytest.raises(StoreUnavailable):
        store.record_cards([card(("r1",))])
    assert not db.exists()  # no fresh empty database took the feedback
    (tmp_path / "moved.sqlite3").rename(db)  # back: the store recovers by itself
    for wal in tmp_path.glob("moved.sqlite3-*"):
        wal.rename(db.parent / ("cds.sqlite3" + wal.name.removeprefix("moved.sqlite3")))
    assert (
        store.record_feedback(
            SERVICE, feedback(kept.uuid, "accepted", taken=kept.suggestion_uuids), NOW
        ).added
        == 1
    )
    (row,) = store.report()
    assert (row.accepted, row.overridden) == (1, 1)
    store.close()


def test_reading_a_store_that_was_never_created_fails_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "cds.sqlite3"
    with pytest.raises(StoreUnavailable):
        Store(f"sqlite:///{db}").report()
    assert not db.exists()


# --- start-up: a database_url that cannot be used stops the start --------------------------------


def test_an_unusable_sqlite_location_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="cannot create the folder of the database file"):
        Store(f"sqlite:///{tmp_path}/file/x/cds.sqlite3").open()
    with pytest.raises(StoreUnavailable):  # at run time: 503
        Store(f"sqlite:///{tmp_path}/file/x/cds.sqlite3").record_cards([card(("r1",))])


@pytest.mark.parametrize(
    ("database_url", "message"),
    [
        ("not a url", "database_url is not a database URL"),
        ("mysqlx://u:secret@h/db", "unknown database scheme 'mysqlx'"),
        ("postgresql+pg8000://u:secret@127.0.0.1/db", "driver of 'postgresql\\+pg8000' is not"),
        ("sqlite://", "in-memory database would lose every feedback item"),
        ("sqlite:///:memory:", "in-memory database"),
    ],
)
def test_an_unusable_database_url_is_a_clear_config_error(database_url: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        Store(database_url).open()
    assert "secret" not in caught.value.message


def test_an_unreachable_postgresql_server_is_a_config_error() -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"postgresql+psycopg://cds:secret@127.0.0.1:{port}/cds"
    with pytest.raises(ConfigError, match="cannot connect to the database") as caught:
        Store(url).open()
    assert "secret" not in caught.value.message and "***" in caught.value.message


@pytest.mark.postgres
def test_wrong_postgresql_credentials_are_a_config_error(postgres_server: PostgresServer) -> None:
    url = postgres_server.url("postgres", password="wrong-password")
    with pytest.raises(ConfigError, match="password authentication failed") as caught:
        Store(url).open()
    assert "wrong-password" not in caught.value.message
    assert PASSWORD not in caught.value.message
    missing = postgres_server.url("no_such_database")
    with pytest.raises(ConfigError, match='database "no_such_database" does not exist'):
        Store(missing).open()


@pytest.mark.postgres
def test_postgresql_refuses_what_the_feedback_model_lets_through_nothing_of(
    postgres_url: str,
) -> None:
    """The columns' limits are the model's: the longest values the model accepts are stored."""
    from cds.hooks.feedback import FEEDBACK_TEXT_MAX

    store = opened(postgres_url)
    store.record_offers("back-spasm", "1.0.0", {"urgent-sign": [("s" * 300, "c" * 100)]})
    kept = card(("r1",))
    store.record_cards([kept])
    item = {
        "card": kept.uuid.upper(),  # read as the same card
        "outcome": "overridden",
        "overrideReason": {
            "reason": {"system": "s" * 300, "code": "c" * 100, "display": "d" * 10},
            "userComment": "é" * FEEDBACK_TEXT_MAX,
        },
        "outcomeTimestamp": "2026-11-26T08:05:00.123456+14:00",
    }
    items = parse_feedback({"feedback": [item]}).feedback
    assert store.record_feedback(SERVICE, items, NOW).added == 1
    store.close()


def test_the_same_batch_sent_concurrently_is_stored_once(url: str) -> None:
    """Batches are written in one INSERT; when another call stored some of the items meanwhile
    (the unique constraint), the batch is written again item by item, each once."""
    import threading

    store = opened(url)
    cards = [card(("r1",)) for _ in range(40)]
    store.record_cards(cards)
    items = [f for c in cards for f in feedback(c.uuid, "overridden")]
    added: list[int] = []
    start = threading.Barrier(4)

    def send() -> None:
        start.wait()
        added.append(store.record_feedback(SERVICE, items, NOW).added)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(added) == 40
    (row,) = store.report()
    assert row.overridden == 40
    store.close()
