"""What a CDS Client sends back about our cards: the feedback body, parsed item by item.

Parsed tolerantly (`cds.hooks.wire.ReceivedModel`), but every text is bounded and NUL-free so
that the store can keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from cds.errors import PayloadTooLarge
from cds.hooks.wire import UUID_PATTERN, ReceivedModel, describe_errors, parse_model
from cds.instants import parse_datetime


# Feedback is stored: each text is bounded by its column (cds/store/models.py) and holds no NUL
# (PostgreSQL refuses NUL in text), so a bad item is a 400 naming it, never a store error.
#: `card` and suggestion ids: the uuids we issue (the spec's logical model types them `uuid`).
def _feedback_uuid(value: str) -> str:
    if not UUID_PATTERN.fullmatch(value):  # never echoed: the message names the rule only
        raise ValueError("must be a UUID (the uuid of a card or suggestion we issued)")
    return value.lower()


FeedbackUuid = Annotated[str, AfterValidator(_feedback_uuid)]
#: An override reason's code and system, as the store keeps them.
ReasonCode = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ReasonSystem = Annotated[str, StringConstraints(min_length=1, max_length=300)]
#: Most characters of a free-text userComment or display.
FEEDBACK_TEXT_MAX: Final = 10_000
FeedbackText = Annotated[str, StringConstraints(max_length=FEEDBACK_TEXT_MAX)]


class _FeedbackPart(ReceivedModel):
    """Part of a feedback item: no string in it (extensions aside) may hold a NUL."""

    @model_validator(mode="after")
    def _check_no_nul(self) -> Self:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, str) and "\x00" in value:
                raise ValueError(f"{name} holds a NUL character")
        return self


class AcceptedSuggestion(_FeedbackPart):
    """One accepted suggestion in feedback: `id` is the suggestion's `uuid`."""

    id: FeedbackUuid


class FeedbackCoding(_FeedbackPart):
    """A Coding as a client sends it back in feedback (`display` optional)."""

    code: ReasonCode
    system: ReasonSystem
    display: FeedbackText | None = None


class OverrideReasonFeedback(_FeedbackPart):
    """Why the user overrode a card: a `reason` from the card's list and/or a `userComment`."""

    reason: FeedbackCoding | None = None
    userComment: FeedbackText | None = None

    @model_validator(mode="after")
    def _check_reason_or_comment(self) -> Self:
        if self.reason is None and not self.userComment:
            raise ValueError("overrideReason needs a reason, a userComment or both (cds-fb-3)")
        return self


#: What an `outcomeTimestamp` that is no date-time (a bare date among them) is told.
NOT_A_DATE_TIME: Final = (
    "must be a date-time with a time zone (RFC 3339, e.g. '2026-11-26T08:00:00Z')"
)


def _is_date(value: str) -> bool:
    """Whether `value` is a date alone (``2026-12-07``), which the date-time parser would
    read as its midnight, with no zone."""
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


class FeedbackItem(_FeedbackPart):
    """What the user did with one card (spec 2.0.1 §Feedback)."""

    card: FeedbackUuid
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(default=None, max_length=100)
    overrideReason: OverrideReasonFeedback | None = None
    outcomeTimestamp: str

    @field_validator("outcomeTimestamp")
    @classmethod
    def _check_timestamp(cls, value: str) -> str:
        if len(value) > 64 or "\x00" in value or _is_date(value):
            raise ValueError(NOT_A_DATE_TIME)
        try:
            parsed = parse_datetime(value)
        except ValueError:
            raise ValueError(NOT_A_DATE_TIME) from None
        if parsed.tzinfo is None:
            raise ValueError("must carry a time zone (UTC, e.g. 'Z')")
        try:  # year 1 at +14:00 or year 9999 at -14:00 has no UTC date (`outcome_at`)
            parsed.astimezone(UTC)
        except OverflowError:
            raise ValueError("must be a date-time within years 1-9999 in UTC") from None
        return value

    @model_validator(mode="after")
    def _check_accepted_has_suggestions(self) -> Self:
        if self.outcome == "accepted" and not self.acceptedSuggestions:
            raise ValueError(
                "acceptedSuggestions is required when outcome is 'accepted' (cds-fb-2)"
            )
        return self

    @property
    def outcome_at(self) -> datetime:
        """`outcomeTimestamp` as an aware datetime in UTC."""
        return parse_datetime(self.outcomeTimestamp).astimezone(UTC)


class FeedbackRequest(ReceivedModel):
    """The body of `POST {baseUrl}/cds-services/{id}/feedback`."""

    feedback: list[FeedbackItem]


class _FeedbackBatch(ReceivedModel):
    """The envelope of a feedback body; its items are parsed one by one."""

    feedback: list[Any]


def parse_feedback(data: Any) -> FeedbackRequest:
    """Parse a feedback body, or raise `InputError`."""
    return parse_model(FeedbackRequest, data, "feedback")


@dataclass(frozen=True)
class FeedbackBatch:
    """A feedback body read item by item: the good items and the refused ones (by index),
    so one bad item does not stop the others from being stored."""

    items: dict[int, FeedbackItem]
    refused: dict[int, str]
    """Index → what is wrong with that item (field and rule, never its values)."""

    @property
    def size(self) -> int:
        return len(self.items) + len(self.refused)


def parse_feedback_batch(data: Any, max_items: int) -> FeedbackBatch:
    """Parse a feedback body item by item. A body that is not `{"feedback": [...]}`, or holds
    more than `max_items` items, is refused whole (`InputError`, `PayloadTooLarge`)."""
    envelope = parse_model(_FeedbackBatch, data, "feedback")
    if len(envelope.feedback) > max_items:
        raise PayloadTooLarge(
            f"feedback holds {len(envelope.feedback)} items; at most {max_items} are taken per "
            "call: send them in several calls"
        )
    items: dict[int, FeedbackItem] = {}
    refused: dict[int, str] = {}
    for index, item in enumerate(envelope.feedback):
        try:
            items[index] = FeedbackItem.model_validate(item)
        except ValidationError as exc:
            line, _ = describe_errors(exc)
            refused[index] = line
    return FeedbackBatch(items, refused)
