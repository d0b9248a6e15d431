"""The card and feedback store: record issued cards and feedback, report rates per rule.

The database is opened by `cds.store.database`; feedback is checked and written by
`cds.store.feedback`; the tables are `cds.store.models`.

`Store.open` runs at start-up: a `database_url` that cannot be used (unknown scheme, missing
driver, server unreachable, credentials refused) stops the start with a `ConfigError`, and the
schema (a SQLite file too) is created then, once. At run time every database failure becomes
`StoreUnavailable` (HTTP 503), and nothing is created: a missing SQLite file stays missing
(503) until it is back.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Engine, case, func, insert, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cds.errors import ConfigError, StoreUnavailable
from cds.hooks.feedback import FeedbackItem
from cds.store.database import (
    IN_CHUNK,
    driver_reason,
    runtime_engine,
    shown_url,
    sqlite_file,
    start_up_engine,
)
from cds.store.feedback import FeedbackOutcome, store_feedback
from cds.store.models import (
    Base,
    CardRule,
    Feedback,
    IssuedCard,
    OfferedReason,
    OfferedSuggestion,
)


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
    suggestion_uuids: tuple[str, ...] = ()
    client: str | None = None
    """`client_of` the JWT that called for the card (None in development mode)."""
    """The uuids of the suggestions the card offered (feedback may accept only these)."""


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


@dataclass(frozen=True)
class CardOutcome:
    """One feedback item on a card, for one rule behind the card."""

    rule_id: str
    pack_id: str
    card_uuid: str
    outcome: str
    outcome_at: datetime


def _aware(at: datetime) -> datetime:
    """A stored time in UTC, with its zone (SQLite gives it back naive, stored in UTC)."""
    return at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)


_NEW_COLUMNS: Final = (("issued_card", "client", "VARCHAR(600)"),)
"""Columns added to a table after its first release: a database created before them gets
them at start-up (`create_all` makes missing tables, never missing columns); the rows it
already holds get NULL."""


def _add_new_columns(engine: Engine) -> None:
    tables = inspect(engine)
    for table, column, kind in _NEW_COLUMNS:
        if column not in {c["name"] for c in tables.get_columns(table)}:
            with engine.begin() as connection:
                connection.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


def client_of(claims: Mapping[str, Any]) -> str | None:
    """Who a verified JWT speaks for, as the store keeps it beside each card: its ``iss``, and
    its ``tenant`` when it has one (one EHR vendor's issuer may serve several hospitals);
    None without claims (development mode)."""
    iss = claims.get("iss")
    if not isinstance(iss, str):
        return None
    tenant = claims.get("tenant")
    return iss if tenant is None else f"{iss} tenant {tenant}"


def hash_patient(patient_id: str, key: str) -> str:
    """A keyed hash of a patient id: linkable across calls, not reversible by a dictionary."""
    return hmac.new(key.encode(), patient_id.encode(), hashlib.sha256).hexdigest()


class Store:
    """A SQLAlchemy engine with the store's operations; thread-safe.

    `open` (start-up, once) checks the URL, reaches the database and creates the schema; a
    SQLite file and its folder are created then and only then. Afterwards the engine never
    creates anything: a SQLite file that went missing is opened with ``mode=rw``, which fails
    (503) until the file is back, instead of starting a new empty database that would take
    feedback nobody will read.
    """

    def __init__(self, database_url: str) -> None:
        self.url = database_url
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self.opened = False

    def open(self) -> None:
        """Check the database at start-up: create the schema (and the SQLite file), or raise
        `ConfigError` saying what is wrong with `database_url` (never its password)."""
        with self._lock:
            if self.opened:
                return
            engine = start_up_engine(self.url)
            try:
                Base.metadata.create_all(engine)
                _add_new_columns(engine)
            except SQLAlchemyError as exc:
                shown, reason = shown_url(self.url), driver_reason(exc)
                raise ConfigError(
                    f"database_url {shown}: cannot open the database: {reason}"
                ) from exc
            finally:
                engine.dispose()
            self.opened = True

    def check(self) -> None:
        """Check, without creating anything, that the database exists and can be reached
        (`cds feedback report`): `ConfigError` saying what is wrong otherwise."""
        path = sqlite_file(self.url)
        if path is not None:
            if not path.is_file():
                raise ConfigError(
                    f"database_url {shown_url(self.url)}: there is no database file at {path} "
                    "(`cds serve` creates it at start-up)"
                )
            return
        start_up_engine(self.url).dispose()

    def engine(self) -> Engine:
        """The run-time engine (created on first use; it never creates a database)."""
        with self._lock:
            if self._engine is None:
                try:
                    self._engine = runtime_engine(self.url)
                except (SQLAlchemyError, ImportError, ValueError) as exc:
                    raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc
            return self._engine

    def session(self) -> Session:
        return Session(self.engine(), expire_on_commit=False)

    def record_offers(self, pack_id: str, pack_version: str, offers: OfferedReasons) -> None:
        """Store the override reasons each topic of a pack version offers (at start-up): the
        feedback check reads them to refuse a reason the card never offered."""
        rows = {
            (topic, system, code) for topic, reasons in offers.items() for system, code in reasons
        }
        try:
            with self.engine().begin() as connection:
                known = select(OfferedReason.topic, OfferedReason.system, OfferedReason.code).where(
                    OfferedReason.pack_id == pack_id, OfferedReason.pack_version == pack_version
                )
                rows -= {tuple(row) for row in connection.execute(known)}
                if rows:
                    connection.execute(
                        insert(OfferedReason),
                        [
                            {
                                "pack_id": pack_id,
                                "pack_version": pack_version,
                                "topic": topic,
                                "system": system,
                                "code": code,
                            }
                            for topic, system, code in sorted(rows)
                        ],
                    )
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

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
                for start in range(0, len(uuids), IN_CHUNK):
                    known = select(IssuedCard.uuid).where(
                        IssuedCard.uuid.in_(uuids[start : start + IN_CHUNK])
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
                suggestions = [
                    {"card_uuid": card.uuid, "suggestion_uuid": suggestion}
                    for card in new.values()
                    for suggestion in dict.fromkeys(card.suggestion_uuids)
                ]
                if suggestions:
                    connection.execute(insert(OfferedSuggestion), suggestions)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

    def record_feedback(
        self,
        service_id: str,
        items: Sequence[FeedbackItem],
        now: datetime,
        client: str | None = None,
    ) -> FeedbackOutcome:
        """Store feedback items, each once, refusing by position those `store_feedback`
        refuses (another service's or another client's card, a suggestion or reason the card
        did not offer)."""
        try:
            with self.session() as session:
                return store_feedback(session, service_id, items, now, client)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

    def report(self) -> list[ReportRow]:
        """Override and acceptance rates per rule and pack version."""
        try:
            with self.session() as session:
                return report(session)
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

    def card_outcomes(self) -> list[CardOutcome]:
        """Every feedback item with its card's pack and rules: one row per (rule, item)."""
        query = (
            select(
                CardRule.rule_id,
                IssuedCard.pack_id,
                IssuedCard.uuid,
                Feedback.outcome,
                Feedback.outcome_at,
                Feedback.id,
            )
            .join(IssuedCard, IssuedCard.uuid == CardRule.card_uuid)
            .join(Feedback, Feedback.card_uuid == IssuedCard.uuid)
            .order_by(Feedback.outcome_at, Feedback.id)
        )
        try:
            with self.session() as session:
                return [
                    CardOutcome(r, p, c, o, _aware(t))
                    for r, p, c, o, t, _ in session.execute(query)
                ]
        except SQLAlchemyError as exc:
            raise StoreUnavailable(f"store unavailable: {type(exc).__name__}") from exc

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine = None


#: Per topic, the (system, code) override reasons its cards offer.
OfferedReasons = Mapping[str, Iterable[tuple[str, str]]]


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
        "client": card.client,
    }
