"""Tests for store/db.py: issued cards, idempotent feedback, the report; SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds.errors import StoreUnavailable
from cds.hooks.models import parse_feedback
from cds.store import CardRecord, Store, hash_patient

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def card(rules: tuple[str, ...], version: str = "1.0.0", pid: str = "patient-42") -> CardRecord:
    return CardRecord(
        uuid=str(uuid.uuid4()),
        service_id="back-spasm-patient-view",
        pack_id="back-spasm",
        pack_version=version,
        topic="urgent-sign",
        indicator="warning",
        rule_ids=rules,
        patient_hash=hash_patient(pid, "k"),
        issued_at=NOW,
    )


def feedback(card_uuid: str, outcome: str, at: str = "2026-11-26T08:05:00Z") -> list[Any]:
    item = {"card": card_uuid, "outcome": outcome, "outcomeTimestamp": at}
    if outcome == "accepted":
        item["acceptedSuggestions"] = [{"id": str(uuid.uuid4())}]
    else:
        item["overrideReason"] = {
            "reason": {"system": "https://cds.example.org/override-reason", "code": "x"}
        }
    return parse_feedback({"feedback": [item]}).feedback


def exercise(store: Store) -> None:
    a, b, c = card(("r1", "r2")), card(("r1",)), card(("r1",), "2.0.0")
    store.record_cards([a, b, c])
    store.record_cards([a])  # again: ignored
    assert store.record_feedback("s", feedback(a.uuid, "overridden"), NOW) == 1
    assert store.record_feedback("s", feedback(a.uuid, "overridden"), NOW) == 0  # idempotent
    assert store.record_feedback("s", feedback(b.uuid, "accepted"), NOW) == 1
    assert (
        store.record_feedback("s", feedback(b.uuid, "accepted", "2026-11-26T09:00:00Z"), NOW) == 1
    )
    rows = {(r.rule_id, r.pack_version): r for r in store.report()}
    assert set(rows) == {("r1", "1.0.0"), ("r2", "1.0.0"), ("r1", "2.0.0")}
    r1 = rows[("r1", "1.0.0")]
    assert (r1.cards, r1.accepted, r1.overridden) == (2, 2, 1)
    assert r1.override_rate == pytest.approx(1 / 3) and r1.acceptance_rate == pytest.approx(2 / 3)
    assert rows[("r1", "2.0.0")].override_rate is None


def test_sqlite_store(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/sub/dir/cds.sqlite3")  # folders are created
    exercise(store)
    store.close()
    reopened = Store(f"sqlite:///{tmp_path}/sub/dir/cds.sqlite3")
    assert len(reopened.report()) == 3
    raw = (tmp_path / "sub/dir/cds.sqlite3").read_bytes()
    assert b"patient-42" not in raw
    assert hash_patient("patient-42", "k").encode() in raw


def test_patient_ids_are_keyed_hashes() -> None:
    assert hash_patient("p1", "k") != hash_patient("p1", "other-key")
    assert "p1" not in hash_patient("p1", "k")


def test_unreachable_database_is_store_unavailable(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    store = Store(f"sqlite:///{tmp_path}/file/x/cds.sqlite3")
    with pytest.raises(StoreUnavailable):
        store.report()
    with pytest.raises(StoreUnavailable):
        store.record_cards([card(("r1",))])


@pytest.mark.postgres
@pytest.mark.skipif(
    not os.environ.get("CDS_TEST_POSTGRES_URL"),
    reason="set CDS_TEST_POSTGRES_URL (e.g. postgresql+psycopg://user:pw@localhost/cds_test) "
    "to run the store against PostgreSQL; no server is available by default",
)
def test_postgres_store() -> None:
    from sqlalchemy import text

    store = Store(os.environ["CDS_TEST_POSTGRES_URL"])
    with store.session() as session, session.begin():
        for table in ("feedback", "card_rule", "issued_card"):
            session.execute(text(f"DELETE FROM {table}"))
    exercise(store)
    store.close()
