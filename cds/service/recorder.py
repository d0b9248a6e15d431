"""Issued cards go to the store on a thread of their own, after the answer, best effort.

Recording used to run as a request background task on Starlette's thread pool, the pool that
also runs `Evaluator.run`. With the database locked (SQLite waits 5 s per write) or its
connection pool exhausted (30 s), every hook call left a thread blocked behind it: under load
the pool filled up with blocked recorders and hook calls waited for more than a minute
(tests/faults/test_feedback_store_faults.py). Here one thread records, in batches, from a
bounded queue: when the store is slow the queue fills and further records are dropped and
logged, and hook calls never wait for the database.

The writer waits `LINGER` seconds after a call's records arrive before it writes, and takes
whatever else has arrived by then in the same transaction. Writing each call on its own cost
about as much CPU as evaluating it (a SQLAlchemy session and commit per card), and waking the
writer on every call took the GIL from the event loop at the moment it was answering the next
one. `close` cuts the wait short and writes everything queued: batching loses nothing on
shutdown.

A batch the store cannot take (`StoreUnavailable`: the database briefly away, locked or
unreachable) is not dropped: its cards wait, at most `MAX_WAITING` of them (beyond that the
oldest are dropped, and that is logged), and are written again with the next batch, after
`RETRY_MIN_S` seconds doubling up to `RETRY_MAX_S` while the store keeps failing, or at once
when a feedback call flushes. Feedback about a card still waiting is answered 503 with
Retry-After (`waiting`), not refused as feedback on a card never issued; once the card is
written, it is stored.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Final

from cds.errors import ConfigError, StoreUnavailable
from cds.pack.load import Pack
from cds.store import CardRecord, Store

log = logging.getLogger("cds.service")

#: Most calls' records waiting to be written (some 20 s of calls at full load).
BACKLOG: Final = 10_000
#: Most calls' records written in one transaction.
BATCH: Final = 200
#: Seconds the writer waits, once records arrive, for more to write in the same transaction.
LINGER: Final = 0.1
#: Most issued cards kept waiting for a store that failed to take them (the oldest go first).
MAX_WAITING: Final = 10_000
#: Seconds before cards that could not be written are tried again (doubled after each failure).
RETRY_MIN_S: Final = 1.0
RETRY_MAX_S: Final = 30.0
#: A queue item asking the writer to try the waiting cards now (a feedback call flushes).
_RETRY: Final[Sequence[CardRecord]] = ()


class CardRecorder:
    """A writer thread with a bounded queue of issued-card records."""

    def __init__(
        self,
        store: Store,
        backlog: int = BACKLOG,
        linger: float = LINGER,
        max_waiting: int = MAX_WAITING,
        retry_min: float = RETRY_MIN_S,
    ) -> None:
        self.store = store
        self.linger = linger
        self.max_waiting = max_waiting
        self.retry_min = retry_min
        #: Cards the store failed to take, by uuid, oldest first (written again later).
        self._waiting: OrderedDict[str, CardRecord] = OrderedDict()
        self._waiting_lock = threading.Lock()
        self._retry_in = retry_min  # seconds until the next try while the store fails
        self._retry_queued = False
        self.closing = threading.Event()
        self.queue: queue.Queue[Sequence[CardRecord] | None] = queue.Queue(backlog)  # None: stop
        self.dropped = 0
        #: Calls queued so far, and calls written (or failed) so far, under `written`.
        self.submitted = 0
        self.done = 0
        self.flush_target = 0
        self.written = threading.Condition()
        self.wake = threading.Event()  # cuts the linger short: closing, or a flush waiting
        self.thread = threading.Thread(target=self._run, name="cds-card-recorder", daemon=True)
        self.thread.start()

    def submit(self, records: Sequence[CardRecord]) -> None:
        """Queue one call's records; never blocks (dropped, and logged, when the queue is full)."""
        if not records:
            return
        if self.closing.is_set():  # the writer is stopping: nothing would write these
            self.dropped += len(records)
            log.error("issued cards not recorded: the recorder is closed (%d)", len(records))
            return
        try:
            with self.written:
                self.queue.put_nowait(records)
                self.submitted += 1
        except queue.Full:
            self.dropped += len(records)
            log.error("issued cards not recorded: the store is behind (%d dropped)", self.dropped)

    def waiting(self, uuids: Iterable[str]) -> bool:
        """True if one of these cards is waiting to be written again (the store failed)."""
        with self._waiting_lock:
            return any(uuid in self._waiting for uuid in uuids)

    def flush(self, timeout: float) -> bool:
        """Wait until every call's records queued before now are written (or failed), and the
        cards waiting after a failure tried once more; False if that took longer than
        `timeout` seconds. Feedback calls it first: a card answered a moment ago may still
        wait in the queue (LINGER), and its feedback must find it."""
        with self.written:
            if self._waiting and not self._retry_queued and not self.closing.is_set():
                try:
                    self.queue.put_nowait(_RETRY)
                    self.submitted += 1
                    self._retry_queued = True
                except queue.Full:
                    pass  # the writer is busy with the queue: it writes the waiting cards too
            target = self.submitted
            if self.done >= target:
                return True
            self.flush_target = max(self.flush_target, target)
            self.wake.set()
            return self.written.wait_for(lambda: self.done >= target, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued (for at most `timeout` seconds), then stop the thread."""
        self.closing.set()
        self.wake.set()
        try:
            self.queue.put(None, timeout=timeout)
        except queue.Full:
            log.error("issued cards not recorded: the store did not catch up before shutdown")
            return
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.error(
                "issued cards not recorded: the store did not catch up before shutdown "
                "(about %d calls' records still queued)",
                self.queue.qsize(),
            )

    def _run(self) -> None:
        while True:
            try:  # while cards wait for the store, look again when they are due
                item = self.queue.get(timeout=self._retry_in if self._waiting else None)
            except queue.Empty:
                self._record([])
                continue
            if item is None:
                self._record([])  # a last try for the waiting cards
                return
            if self.queue.qsize() < BATCH - 1:  # a full batch waiting: write it now (a linger
                # per batch would cap recording at BATCH / LINGER = 2,000 calls a second)
                self.wake.wait(self.linger)  # puts meanwhile wake no one: nobody waits
            calls = 1
            batch = list(item)
            stop = False
            for _ in range(BATCH - 1):  # whatever else is waiting, in the same transaction
                try:
                    more = self.queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                batch += more
                calls += 1
            self._record(batch)
            with self.written:
                self._retry_queued = False
                self.done += calls
                if self.done >= self.flush_target and not self.closing.is_set():
                    self.wake.clear()
                self.written.notify_all()
            if stop:
                return

    def _record(self, records: list[CardRecord]) -> None:
        """Write the waiting cards and `records` in one transaction; when the store is
        unavailable, keep them all waiting (bounded) for the next try."""
        with self._waiting_lock:
            retried = list(self._waiting)
            batch = [*self._waiting.values(), *records]
        if not batch:
            return
        try:
            self.store.record_cards(batch)
        except StoreUnavailable as exc:
            self._keep_waiting(records, exc.message)
            return
        except Exception:  # the writer thread must outlive any one bad batch
            log.exception("issued cards not recorded")
        with self._waiting_lock:
            for uuid in retried:
                self._waiting.pop(uuid, None)
        if self._retry_in > self.retry_min:
            log.warning("issued cards recorded again: the store takes them")
        self._retry_in = self.retry_min

    def _keep_waiting(self, records: list[CardRecord], reason: str) -> None:
        dropped = 0
        with self._waiting_lock:
            for record in records:
                self._waiting[record.uuid] = record
            while len(self._waiting) > self.max_waiting:
                self._waiting.popitem(last=False)
                dropped += 1
            count = len(self._waiting)
        if dropped:
            self.dropped += dropped
            log.error(
                "issued cards not recorded: %d oldest dropped, at most %d wait for the store "
                "(%d dropped in all)",
                dropped,
                self.max_waiting,
                self.dropped,
            )
        log.error(
            "issued cards not recorded yet (%s): %d waiting, tried again in %g s",
            reason,
            count,
            self._retry_in,
        )
        self._retry_in = min(self._retry_in * 2, RETRY_MAX_S)


def open_store(store: Store, pack: Pack) -> None:
    """Start-up: check the database (`ConfigError`, no start, when it cannot be used), create
    its schema, and record the override reasons the pack's cards offer (feedback naming any
    other reason is refused)."""
    store.open()
    offers = {
        topic.code: [(r.system, r.code) for r in topic.override_reasons]
        for topic in pack.spec.topics
    }
    try:
        store.record_offers(pack.id, pack.version, offers)
    except StoreUnavailable as exc:
        raise ConfigError(f"database_url: {exc.message}") from exc
