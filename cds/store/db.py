"""The card and feedback store: record issued cards and feedback, report rates per rule.

Every database failure becomes `StoreUnavailable` (HTTP 503). The schema is created on first
use, so a database that is down at start-up does not stop the service from answering hooks.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, case, create_engine, event, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from cds.errors import StoreUnavailable
from cds.hooks.models import FeedbackItem
from cds.store.models import Base, CardRule, Feedback, IssuedCard

log = logging.getLogger(__name__)
#: Most uuids in one `IN (...)` (old SQLite builds allow 999 parameters per statement).
_IN_CHUNK = 500


@dataclass(frozen=True)
class CardRecord:
    """What we keep about one issued card (the patient only as a keyed hash)."""

    uuid: str
    service_id: str
    pack_id: str
    pack_version: str
    topic: str
    indicator: str
    rule_ids: tuple[str, ...]
    patient_hash: str
    issued_at: datetime


@dataclass(frozen=True)
class ReportRow:
    """Feedback on one rule of one pack version."""

    rule_id: str
    pack_id: str
    pack_version: str
    cards: int
    accepted: int
    overridden: int

    @property
    def override_rate(self) -> float | None:
        answered = self.accepted + self.overridden
        return self.overridden / answered if answered else None

    @property
    def acceptance_rate(self) -> float | None:
        answered = self.accepted + self.overridden
        return self.accepted / answered if answered else None


def hash_patient(patient_id: str, key: str) -> str:
    """A keyed hash of a patient id: linkable across calls, not reversible by a dictionary."""
    return hmac.new(key.encode(), patient_id.encode(), hashlib.sha256).hexdigest()


class Store:
    """A SQLAlchemy engine with the store's operations; thread-safe, schema created lazily."""

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def engine(self) -> Engine:
        """The engine, creating the SQLite folder and the tables on first use."""
        with self._lock:
            if self._engine is None:
                try:
                    self._engine = _connect(self.url)
                except (SQLAlchemyError, OSError) as exc:
                    raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc
            return self._engine

    def session(self) -> Session:
        return Session(self.engine(), expire_on_commit=False)

    def record_cards(self, cards: Iterable[CardRecord]) -> None:
        """Store issued cards (a card already stored is left as it is).

        One transaction and two multi-row INSERTs per batch, not an ORM object per row: the
        card recorder writes every issued card, so this runs as often as hooks are called.
        """
        new: dict[str, CardRecord] = {}
        for card in cards:
            new.setdefault(card.uuid, card)
        if not new:
            return
        try:
            with self.engine().begin() as connection:
                uuids = list(new)
                for start in range(0, len(uuids), _IN_CHUNK):
                    known = select(IssuedCard.uuid).where(
                        IssuedCard.uuid.in_(uuids[start : start + _IN_CHUNK])
                    )
                    for uuid in connection.scalars(known):
                        del new[uuid]
                if not new:
                    return
                connection.execute(insert(IssuedCard), [_issued_row(c) for c in new.values()])
                rules = [
                    {"card_uuid": card.uuid, "rule_id": rule}
                    for card in new.values()
                    for rule in dict.fromkeys(card.rule_ids)
                ]
                if rules:
                    connection.execute(insert(CardRule), rules)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem], now: datetime) -> int:
        """Store feedback items, each once (idempotent); return how many were new."""
        added = 0
        try:
            with self.session() as session:
                for item in items:
                    added += _add_feedback(session, service_id, item, now)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc
        return added

    def report(self) -> list[ReportRow]:
        """Override and acceptance rates per rule and pack version."""
        try:
            with self.session() as session:
                return report(session)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


def report(session: Session) -> list[ReportRow]:
    """Per rule and pack version: cards issued, feedback accepted and overridden."""
    accepted = func.count(case((Feedback.outcome == "accepted", 1)))
    overridden = func.count(case((Feedback.outcome == "overridden", 1)))
    query = (
        select(
            CardRule.rule_id,
            IssuedCard.pack_id,
            IssuedCard.pack_version,
            func.count(func.distinct(IssuedCard.uuid)),
            accepted,
            overridden,
        )
        .join(IssuedCard, IssuedCard.uuid == CardRule.card_uuid)
        .outerjoin(Feedback, Feedback.card_uuid == IssuedCard.uuid)
        .group_by(CardRule.rule_id, IssuedCard.pack_id, IssuedCard.pack_version)
        .order_by(IssuedCard.pack_id, IssuedCard.pack_version, CardRule.rule_id)
    )
    return [
        ReportRow(r, p, v, int(n), int(a), int(o)) for r, p, v, n, a, o in session.execute(query)
    ]


def _connect(url: str) -> Engine:
    parsed = make_url(url)
    sqlite = parsed.get_backend_name() == "sqlite"
    sqlite_file = sqlite and parsed.database not in (None, "", ":memory:")
    if sqlite_file:
        Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, pool_pre_ping=True)
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    if sqlite_file:
        _guard_sqlite_file(engine, Path(str(parsed.database)))
    Base.metadata.create_all(engine)
    return engine


def _guard_sqlite_file(engine: Engine, path: Path) -> None:
    """Drop connections whose SQLite file is no longer the one at `path`.

    An open connection goes on writing to its file after the file or its folder was removed,
    moved or replaced: those commits succeed, so feedback would be acknowledged (200) and lost
    with the orphaned file. Each connection remembers which file it opened; every checkout
    finds that file at `path` again, or the connection is dropped (`DisconnectionError`) and
    a new one opened, which fails while the database is away: 503, and the client retries.
    """

    def opened(_dbapi_connection: Any, record: Any) -> None:
        record.info["sqlite_file"] = _file_identity(path)

    def checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _file_identity(path) != record.info.get("sqlite_file"):
            raise DisconnectionError(f"SQLite file {path.name} was moved or removed")

    event.listen(engine, "connect", opened)
    event.listen(engine, "checkout", checkout)


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL + synchronous=NORMAL: a commit no longer waits for an fsync of the whole journal
    # (tens of ms per issued card otherwise); still durable across a process crash.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _issued_row(card: CardRecord) -> dict[str, Any]:
    return {
        "uuid": card.uuid,
        "service_id": card.service_id,
        "pack_id": card.pack_id,
        "pack_version": card.pack_version,
        "topic": card.topic,
        "indicator": card.indicator,
        "patient_hash": card.patient_hash,
        "issued_at": card.issued_at.astimezone(UTC),
    }


def _add_feedback(session: Session, service_id: str, item: FeedbackItem, now: datetime) -> int:
    reason = item.overrideReason
    row = Feedback(
        card_uuid=item.card,
        service_id=service_id,
        outcome=item.outcome,
        accepted_suggestions=",".join(s.id for s in item.acceptedSuggestions or []),
        override_system=reason.reason.system if reason and reason.reason else None,
        override_code=reason.reason.code if reason and reason.reason else None,
        override_comment=reason.userComment if reason else None,
        outcome_at=item.outcome_at,
        received_at=now.astimezone(UTC),
    )
    duplicate = select(Feedback.id).where(
        Feedback.card_uuid == row.card_uuid,
        Feedback.outcome == row.outcome,
        Feedback.outcome_at == row.outcome_at,
    )
    try:
        with session.begin():
            if session.execute(duplicate).first() is not None:
                return 0
            session.add(row)
    except IntegrityError:  # the same item arrived concurrently: stored once, by the other call
        log.info("feedback for card %s already stored", item.card)
        return 0
    return 1
