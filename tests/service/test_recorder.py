"""Tests for service/recorder.py: issued cards are written in batches, and nothing queued is
lost when the service stops (the store's faults are in tests/faults/)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cds.service.recorder import BATCH, CardRecorder
from cds.store import CardRecord, Store

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def card(rules: tuple[str, ...] = ("r1",), card_uuid: str | None = None) -> CardRecord:
    return CardRecord(
        uuid=card_uuid or str(uuid.uuid4()),
        service_id="back-spasm-order-sign",
        pack_id="back-spasm",
        pack_version="1.0.0",
        topic="imaging-not-indicated",
        indicator="warning",
        rule_ids=rules,
        patient_hash="h",
        issued_at=NOW,
    )


class CountingStore:
    """Remembers each batch it was asked to write."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.written = threading.Event()

    def record_cards(self, records: Any) -> None:
        self.batches.append([r.uuid for r in records])
        self.written.set()


def test_calls_arriving_while_the_writer_waits_share_one_transaction() -> None:
    store = CountingStore()
    recorder = CardRecorder(store, linger=0.5)  # type: ignore[arg-type]
    cards = [card() for _ in range(5)]
    for item in cards:
        recorder.submit([item])
    assert store.written.wait(5)
    recorder.close()
    assert store.batches == [[c.uuid for c in cards]]


def test_close_writes_what_is_still_waiting() -> None:
    store = CountingStore()
    recorder = CardRecorder(store, linger=60)  # type: ignore[arg-type]
    recorder.submit([card()])
    recorder.submit([card(), card()])
    started = time.monotonic()
    recorder.close()  # cuts the writer's wait short
    assert time.monotonic() - started < 5
    assert not recorder.thread.is_alive()
    assert [len(batch) for batch in store.batches] == [3]


def test_every_issued_card_reaches_the_database(tmp_path: Path) -> None:
    """A batch merging several calls: each card once, with its rules; repeats are ignored."""
    db = tmp_path / "cds.sqlite3"
    store = Store(f"sqlite:///{db}")
    store.open()
    recorder = CardRecorder(store, linger=0.05)
    first, second = card(("r1", "r2")), card(("r2", "r2"))
    recorder.submit([first])
    recorder.submit([second, card(("r9",), card_uuid=first.uuid)])  # same uuid: first wins
    recorder.submit([first])
    recorder.close()
    store.close()
    with sqlite3.connect(db) as connection:
        cards = connection.execute("SELECT uuid FROM issued_card ORDER BY uuid").fetchall()
        rules = connection.execute("SELECT card_uuid, rule_id FROM card_rule").fetchall()
    assert sorted(cards) == sorted([(first.uuid,), (second.uuid,)])
    assert sorted(rules) == sorted([(first.uuid, "r1"), (first.uuid, "r2"), (second.uuid, "r2")])


def test_a_full_batch_is_written_without_waiting() -> None:
    """With a batch's worth of calls already queued the writer does not linger: a wait per
    batch would cap recording at BATCH / LINGER calls a second."""
    store = CountingStore()
    gate = threading.Event()
    writes = store.record_cards

    def held(records: Any) -> None:  # the first write waits until the queue is full
        gate.wait(5)
        writes(records)

    store.record_cards = held  # type: ignore[method-assign]
    recorder = CardRecorder(store, linger=60)  # type: ignore[arg-type]
    recorder.submit([card()])
    time.sleep(0.2)  # the writer holds the first call and lingers 60 s: end that one wait
    recorder.wake.set()
    recorder.wake.clear()
    for _ in range(3 * BATCH):  # while its first write is held, 3 batches' worth queue up
        recorder.submit([card()])
    gate.set()
    # Full batches go at once; only a last, partial one may linger (the writer may have taken
    # some of the queued calls into its first batch, so that one is not always full).
    deadline = time.monotonic() + 5
    while sum(map(len, store.batches)) < 1 + 2 * BATCH and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sum(map(len, store.batches)) >= 1 + 2 * BATCH  # in seconds, not 60 s a batch
    recorder.close()
    assert sum(map(len, store.batches)) == 1 + 3 * BATCH


def test_flush_writes_what_is_queued_now_without_the_linger() -> None:
    """Feedback flushes the recorder first: a card answered a moment ago is still queued (the
    writer lingers), and its feedback must find it in the store."""
    store = CountingStore()
    recorder = CardRecorder(store, linger=60)  # type: ignore[arg-type]
    assert recorder.flush(0.01)  # nothing queued: at once
    queued = card()
    recorder.submit([queued])
    started = time.monotonic()
    assert recorder.flush(5)
    assert time.monotonic() - started < 2  # not the 60 s linger
    assert store.batches == [[queued.uuid]]
    later = card()
    recorder.submit([later])  # lingers again: no flush is waiting
    time.sleep(0.2)
    assert store.batches == [[queued.uuid]]
    recorder.close()
    assert store.batches == [[queued.uuid], [later.uuid]]


def test_flush_gives_up_on_a_store_that_hangs() -> None:
    release = threading.Event()

    class HangingStore:
        def record_cards(self, records: Any) -> None:
            release.wait(10)

    recorder = CardRecorder(HangingStore(), linger=0)  # type: ignore[arg-type]
    recorder.submit([card()])
    started = time.monotonic()
    assert not recorder.flush(0.3)  # the feedback call answers 503, not after the hang
    assert time.monotonic() - started < 2
    release.set()
    assert recorder.flush(5)
    recorder.close()


def test_records_submitted_after_close_are_said_lost(caplog: Any) -> None:
    store = CountingStore()
    recorder = CardRecorder(store, linger=0)  # type: ignore[arg-type]
    recorder.close()
    recorder.submit([card(), card()])
    assert recorder.dropped == 2 and store.batches == []
    assert "the recorder is closed" in caplog.text
