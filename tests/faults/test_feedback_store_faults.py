"""The feedback database goes away; hooks keep answering, feedback says 503, and nothing that
was acknowledged (200) is lost.

Outages, each with a recovery: the database locked by another process (the real server,
`database is locked` after SQLite's 5 s busy timeout), its folder or its file moved away under
the running service (the open connection would go on writing to the moved file, or a new empty
file would take the feedback: acknowledged and lost); a database URL that cannot be opened
stops the start. Then the server is killed (SIGKILL) while
a client is still sending feedback: every item it acknowledged is in the file.

As root, `chmod` cannot make the file read-only, hence a lock and a moved folder.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from tests.service.asgi import serve_settings, settings
from tests.service.patient import full_prefetch, hook_request
from tests.support.cds_server import run_cds_server

PV = "/cds-services/back-spasm-patient-view"
FEEDBACK = f"{PV}/feedback"
BUSY_TIMEOUT_S = 5.0  # PRAGMA busy_timeout in cds/store/db.py


def item(n: int, card: str = "9368d37b-283f-44a0-93ea-547cebab93ed") -> dict[str, Any]:
    """Feedback item number `n` (distinct by its outcomeTimestamp)."""
    return {
        "card": card,
        "outcome": "overridden",
        "overrideReason": {"userComment": f"item {n}"},
        "outcomeTimestamp": f"2026-11-26T08:{n // 60:02d}:{n % 60:02d}Z",
    }


def stored_comments(db: Path) -> list[str]:
    """The comments of the feedback rows in the file, read with plain sqlite3."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT override_comment FROM feedback ORDER BY id").fetchall()
    connection.close()
    return [row[0] for row in rows]


def issued_cards(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        (count,) = connection.execute("SELECT count(*) FROM issued_card").fetchone()
    connection.close()
    return int(count)


def assert_outcome_503(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    issue = response.json()["issue"][0]
    assert issue["code"] == "transient"
    assert issue["details"]["coding"][0]["code"] == "store-unavailable"


def card_uuid(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    (card,) = response.json()["cards"]
    uuid: str = card["uuid"]
    return uuid


# --- the real server, the database locked, then the server killed -----------------------------


@pytest.mark.integration
def test_locked_database_and_a_killed_server_lose_nothing_acknowledged(tmp_path: Path) -> None:
    db = tmp_path / "db" / "cds.sqlite3"
    acknowledged: list[str] = []
    with (
        run_cds_server(tmp_path, {"database_url": f"sqlite:///{db}"}) as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):

        def feedback(n: int, card: str) -> httpx.Response:
            response = http.post(FEEDBACK, json={"feedback": [item(n, card)]})
            if response.status_code == 200:
                acknowledged.append(f"item {n}")
            return response

        card = card_uuid(http.post(PV, json=hook_request(prefetch=full_prefetch())))
        assert feedback(1, card).status_code == 200

        lock = sqlite3.connect(db, isolation_level=None, timeout=0)
        try:
            lock.execute("BEGIN EXCLUSIVE")  # a backup, a migration, another writer
            started = time.monotonic()
            response = http.post(PV, json=hook_request(prefetch=full_prefetch()))
            assert card_uuid(response)  # hooks answer at once: recording is after the answer
            assert time.monotonic() - started < BUSY_TIMEOUT_S - 1  # not held by the lock
            started = time.monotonic()
            assert_outcome_503(feedback(2, card))
            assert time.monotonic() - started < BUSY_TIMEOUT_S + 3
        finally:
            lock.execute("ROLLBACK")
            lock.close()

        assert feedback(2, card).status_code == 200  # the client retries after the 503
        assert feedback(2, card).status_code == 200  # and again: stored once

        # a client sends feedback while the server is SIGKILLed under it
        stop = threading.Event()

        def sender() -> None:
            n = 100
            while not stop.is_set():
                try:
                    feedback(n, card)
                except httpx.TransportError:
                    return  # the server is gone: that item was never acknowledged
                n += 1

        thread = threading.Thread(target=sender)
        thread.start()
        while len(acknowledged) < 40 and thread.is_alive():
            time.sleep(0.01)
        server.kill()
        stop.set()
        thread.join(timeout=30)
        assert not thread.is_alive()

    stored = stored_comments(db)
    assert len(acknowledged) >= 40
    assert set(acknowledged) <= set(stored), set(acknowledged) - set(stored)
    assert len(stored) == len(set(stored))  # each item once
    assert "item 2" in stored


@pytest.mark.integration
@pytest.mark.anyio
async def test_hooks_under_load_never_wait_for_a_locked_database(tmp_path: Path) -> None:
    """120 hook calls, 30 at a time, and 4 feedback calls while the database is locked: every
    hook answers 200 at once. (Recording issued cards used to hold one of the evaluator's
    threads for the 5 s busy timeout, or 30 s waiting for a pooled connection: after the
    first waves every hook waited over a minute.)"""
    db = tmp_path / "cds.sqlite3"
    with run_cds_server(tmp_path, {"database_url": f"sqlite:///{db}"}) as server:
        async with httpx.AsyncClient(base_url=server.base, timeout=15) as http:

            async def hook() -> float:
                started = time.monotonic()
                response = await http.post(PV, json=hook_request(prefetch=full_prefetch()))
                assert card_uuid(response)
                return time.monotonic() - started

            # the database in use (schema created, a card recorded) before it is locked
            card = card_uuid(await http.post(PV, json=hook_request(prefetch=full_prefetch())))
            while not issued_cards(db):
                await asyncio.sleep(0.01)
            first = await http.post(FEEDBACK, json={"feedback": [item(99, card)]})
            assert first.status_code == 200

            async def feedback(n: int) -> None:
                response = await http.post(FEEDBACK, json={"feedback": [item(n, card)]})
                assert_outcome_503(response)

            lock = sqlite3.connect(db, isolation_level=None, timeout=0)
            try:
                lock.execute("BEGIN EXCLUSIVE")
                async with anyio.create_task_group() as group:
                    for n in range(4):
                        group.start_soon(feedback, n)
                    slowest = 0.0
                    for _ in range(4):
                        waves = await asyncio.gather(*(hook() for _ in range(30)))
                        slowest = max(slowest, *waves)
                assert slowest < 3.0, f"a hook call took {slowest:.1f} s"
            finally:
                lock.execute("ROLLBACK")
                lock.close()


# --- in-process: the database folder moved away, and a URL that cannot be opened ---------------


@asynccontextmanager
async def service(tmp_path: Path, db: Path) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_settings(settings(tmp_path, database_url=f"sqlite:///{db}")) as client:
        yield client


@pytest.mark.anyio
async def test_database_folder_moved_away_is_503_and_nothing_is_lost(tmp_path: Path) -> None:
    folder = tmp_path / "db"
    db = folder / "cds.sqlite3"
    async with service(tmp_path, db) as client:
        card = card_uuid(await client.post(PV, json=hook_request(prefetch=full_prefetch())))
        assert (await client.post(FEEDBACK, json={"feedback": [item(1, card)]})).status_code == 200

        folder.rename(tmp_path / "db-away")  # the open connection still reaches the moved file
        response = await client.post(PV, json=hook_request(prefetch=full_prefetch()))
        assert card_uuid(response)  # hooks still answer (the card is not recorded: logged)
        assert_outcome_503(await client.post(FEEDBACK, json={"feedback": [item(2, card)]}))

        (tmp_path / "db-away").rename(folder)  # the database comes back
        for n in (2, 3):
            response = await client.post(FEEDBACK, json={"feedback": [item(n, card)]})
            assert response.status_code == 200
    assert stored_comments(db) == ["item 1", "item 2", "item 3"]


def test_database_that_cannot_be_opened_stops_the_start(tmp_path: Path) -> None:
    """Checked at start-up: a service that could never store feedback does not start (it used
    to start and answer 503 to every feedback call until someone noticed)."""
    from cds.errors import ConfigError
    from cds.service.app import create_app

    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    with pytest.raises(ConfigError, match="cannot create the folder of the database file"):
        create_app(settings(tmp_path, database_url=f"sqlite:///{blocker}/cds.sqlite3"))


@pytest.mark.anyio
async def test_database_file_moved_away_is_503_never_a_new_database(tmp_path: Path) -> None:
    """The file alone moved away (its folder stays) while calls arrive: nothing opens a new
    empty database in its place (it took acknowledged feedback that was lost for good when the
    file came back); 503 until the file is back, then the store recovers by itself."""
    db = tmp_path / "db" / "cds.sqlite3"
    async with service(tmp_path, db) as client:
        card = card_uuid(await client.post(PV, json=hook_request(prefetch=full_prefetch())))
        assert (await client.post(FEEDBACK, json={"feedback": [item(1, card)]})).status_code == 200
        moved = {f: tmp_path / f.name for f in db.parent.iterdir()}  # the file, -wal and -shm
        for source, target in moved.items():
            source.rename(target)
        for n in (2, 3):
            assert_outcome_503(await client.post(FEEDBACK, json={"feedback": [item(n, card)]}))
            assert card_uuid(await client.post(PV, json=hook_request(prefetch=full_prefetch())))
        assert not db.exists(), "a new empty database was created in place of the moved one"
        for source, target in moved.items():
            target.rename(source)
        for n in (2, 3):
            response = await client.post(FEEDBACK, json={"feedback": [item(n, card)]})
            assert response.status_code == 200
    assert stored_comments(db) == ["item 1", "item 2", "item 3"]


@pytest.mark.anyio
async def test_database_file_deleted_is_503_not_a_silent_new_file(tmp_path: Path) -> None:
    """Deleted (folder emptied): SQLite would open a new empty file; the store opens it with
    mode=rw, so nothing is created and feedback is refused (503) until the backup is back."""
    db = tmp_path / "db" / "cds.sqlite3"
    async with service(tmp_path, db) as client:
        card = card_uuid(await client.post(PV, json=hook_request(prefetch=full_prefetch())))
        assert (await client.post(FEEDBACK, json={"feedback": [item(1, card)]})).status_code == 200
        backup = tmp_path / "backup"
        shutil.move(db.parent, backup)
        db.parent.mkdir()
        assert_outcome_503(await client.post(FEEDBACK, json={"feedback": [item(2, card)]}))
        assert not db.exists()  # no new empty file either
        shutil.rmtree(db.parent)
        shutil.move(backup, db.parent)  # restored from the backup
        assert (await client.post(FEEDBACK, json={"feedback": [item(2, card)]})).status_code == 200
    assert stored_comments(db) == ["item 1", "item 2"]


def test_the_card_recorder_never_blocks_and_stays_bounded() -> None:
    """A store that hangs: `submit` returns at once, the queue holds `backlog` calls, the
    rest is dropped (and counted); once the store answers, the queue is written in one batch."""
    from cds.service.recorder import CardRecorder

    entered, release = threading.Event(), threading.Event()
    written: list[int] = []

    class HangingStore:
        def record_cards(self, records: Any) -> None:
            entered.set()
            release.wait(10)
            written.append(len(list(records)))

    recorder = CardRecorder(HangingStore(), backlog=3)  # type: ignore[arg-type]
    recorder.submit(["first"])  # type: ignore[list-item]
    assert entered.wait(5)  # the writer is stuck in the store
    started = time.monotonic()
    for n in range(10):
        recorder.submit([f"record-{n}"])  # type: ignore[list-item]
    assert time.monotonic() - started < 0.5
    assert recorder.dropped == 7
    release.set()
    recorder.close()
    assert written == [1, 3]


# --- cards issued while the store fails wait and are written later -----------------------------


def move_database(db: Path, away: Path) -> dict[Path, Path]:
    """Move the SQLite file (with its -wal and -shm) into `away`; what went where."""
    away.mkdir(exist_ok=True)
    moved = {f: away / f.name for f in db.parent.iterdir() if f.name.startswith(db.name)}
    for source, target in moved.items():
        source.rename(target)
    return moved


@pytest.mark.integration
def test_a_card_issued_while_the_database_is_away_is_written_once_it_is_back(
    tmp_path: Path,
) -> None:
    """The real server. Its card could not be written; it was dropped, so feedback on it
    after the database came back was refused as feedback on a card never issued (400)."""
    db = tmp_path / "db" / "cds.sqlite3"
    with (
        run_cds_server(tmp_path, {"database_url": f"sqlite:///{db}"}) as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):
        assert card_uuid(http.post(PV, json=hook_request(prefetch=full_prefetch())))
        moved = move_database(db, tmp_path / "away")
        card = card_uuid(http.post(PV, json=hook_request(prefetch=full_prefetch())))
        time.sleep(0.5)  # the writer has tried, and failed
        away = http.post(FEEDBACK, json={"feedback": [item(1, card)]})
        assert_outcome_503(away)
        assert away.headers["retry-after"] == "10"
        for source, target in moved.items():
            target.rename(source)
        back = http.post(FEEDBACK, json={"feedback": [item(1, card)]})
        assert (back.status_code, back.json()) == (200, {}), back.text
        assert "issued cards not recorded yet" in server.log_tail()
    assert issued_cards(db) == 2
    assert stored_comments(db) == ["item 1"]


@pytest.mark.anyio
async def test_feedback_on_a_card_waiting_for_a_locked_database_is_503_then_200(
    tmp_path: Path,
) -> None:
    """Locked for writing (WAL: reads still work), the card's write failed after SQLite's busy
    timeout; the feedback check could still read the cards, found none and answered 400."""
    db = tmp_path / "db" / "cds.sqlite3"
    async with service(tmp_path, db) as client:
        assert card_uuid(await client.post(PV, json=hook_request(prefetch=full_prefetch())))
        lock = sqlite3.connect(db, isolation_level=None, timeout=0)
        try:
            lock.execute("BEGIN IMMEDIATE")  # another writer: readers go on, writers wait
            card = card_uuid(await client.post(PV, json=hook_request(prefetch=full_prefetch())))
            await anyio.sleep(BUSY_TIMEOUT_S + 1)  # the writer gave up on it
            waiting = await client.post(FEEDBACK, json={"feedback": [item(1, card)]})
            assert_outcome_503(waiting)
            assert "retry-after" in waiting.headers
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        written = await client.post(FEEDBACK, json={"feedback": [item(1, card)]})
        assert (written.status_code, written.json()) == (200, {}), written.text
    assert issued_cards(db) == 2
    assert stored_comments(db) == ["item 1"]


def test_at_most_max_waiting_cards_wait_the_oldest_dropped_and_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A real SQLite file moved away: every card waits, at most MAX_WAITING of them (the
    oldest dropped, and logged); once the file is back, those waiting are written."""
    from datetime import UTC, datetime

    from cds.service.recorder import MAX_WAITING, CardRecorder
    from cds.store import CardRecord, Store

    db = tmp_path / "db" / "cds.sqlite3"
    store = Store(f"sqlite:///{db}")
    store.open()
    moved = move_database(db, tmp_path / "away")
    recorder = CardRecorder(store, linger=0)
    at = datetime(2026, 11, 26, tzinfo=UTC)
    fields = ("s", "p", "1", "t", "info", ("r",), "h", at)
    cards = [
        CardRecord(f"{n:08d}-0000-4000-8000-000000000000", *fields) for n in range(MAX_WAITING + 50)
    ]
    for start in range(0, len(cards), 100):
        recorder.submit(cards[start : start + 100])
    recorder.flush(30)
    assert recorder.waiting([cards[-1].uuid]) and not recorder.waiting([cards[49].uuid])
    assert recorder.dropped == 50
    assert "50 oldest dropped, at most 10000 wait for the store" in caplog.text
    for source, target in moved.items():
        target.rename(source)
    assert recorder.flush(30)
    assert not recorder.waiting(c.uuid for c in cards)
    recorder.close()
    store.close()
    assert issued_cards(db) == MAX_WAITING
