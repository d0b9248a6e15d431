"""The tables of the card and feedback store (SQLAlchemy 2 declarative models).

Patient ids are never stored: `IssuedCard.patient_hash` is an HMAC of the id under a site key.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class IssuedCard(Base):
    """One card the service returned to a CDS Client."""

    __tablename__ = "issued_card"

    uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    service_id: Mapped[str] = mapped_column(String(200), index=True)
    pack_id: Mapped[str] = mapped_column(String(100))
    pack_version: Mapped[str] = mapped_column(String(50))
    topic: Mapped[str] = mapped_column(String(100))
    indicator: Mapped[str] = mapped_column(String(20))
    patient_hash: Mapped[str] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    client: Mapped[str | None] = mapped_column(String(600), nullable=True)
    """Who received the card: the verified JWT's ``iss`` (and ``tenant``, when it has one),
    as `cds.store.db.client_of` writes it; None in development mode (no JWT). Feedback is
    taken only from the same client."""


class CardRule(Base):
    """A rule whose findings a card shows (a card may show several rules of its topic)."""

    __tablename__ = "card_rule"

    card_uuid: Mapped[str] = mapped_column(
        ForeignKey("issued_card.uuid", ondelete="CASCADE"), primary_key=True
    )
    rule_id: Mapped[str] = mapped_column(String(200), primary_key=True)


class Feedback(Base):
    """What a user did with a card. The same item sent twice is stored once."""

    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("card_uuid", "outcome", "outcome_at", name="uq_feedback_item"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    card_uuid: Mapped[str] = mapped_column(String(64), index=True)
    service_id: Mapped[str] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(20))
    accepted_suggestions: Mapped[str] = mapped_column(Text, default="")
    override_system: Mapped[str | None] = mapped_column(String(300), nullable=True)
    override_code: Mapped[str | None] = mapped_column(String(100), nullable=True)
    override_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class OfferedReason(Base):
    """An override reason the cards of one topic of one pack version offer (written at
    start-up from the pack): feedback naming a reason its card did not offer is refused."""

    __tablename__ = "offered_reason"

    pack_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    pack_version: Mapped[str] = mapped_column(String(50), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100), primary_key=True)
    system: Mapped[str] = mapped_column(String(300), primary_key=True)
    code: Mapped[str] = mapped_column(String(100), primary_key=True)


class OfferedSuggestion(Base):
    """A suggestion an issued card offered, by its uuid (written with the card): feedback
    accepting a suggestion its card did not offer is refused."""

    __tablename__ = "offered_suggestion"

    card_uuid: Mapped[str] = mapped_column(
        ForeignKey("issued_card.uuid", ondelete="CASCADE"), primary_key=True
    )
    suggestion_uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
