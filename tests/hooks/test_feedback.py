"""Tests for hooks/feedback.py: feedback bodies, parsed whole and item by item."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cds.errors import InputError, PayloadTooLarge
from cds.hooks.feedback import parse_feedback, parse_feedback_batch
from tests.hooks.helpers import load

# --- Feedback ------------------------------------------------------------------------------------

FEEDBACK_EXAMPLES = [
    "feedback--request--accepted--spec-2.0.1.json",
    "feedback--request--overridden--spec-2.0.1.json",
    "feedback--request--overridden-with-reason--spec-2.0.1.json",
]


@pytest.mark.parametrize("name", FEEDBACK_EXAMPLES)
def test_feedback_examples_parse(name: str) -> None:
    data = load(name)
    parsed = parse_feedback(data)
    assert [item.card for item in parsed.feedback] == [item["card"] for item in data["feedback"]]


def test_feedback_accepted_example_details() -> None:
    (item,) = parse_feedback(load("feedback--request--accepted--spec-2.0.1.json")).feedback
    assert item.outcome == "accepted"
    assert [s.id for s in item.acceptedSuggestions or []] == [
        "e56e1945-20b3-4393-8503-a1a20fd73152"
    ]
    assert item.outcome_at == datetime(2021, 12, 11, 10, 5, 31, tzinfo=UTC)


def test_feedback_reason_without_display_is_accepted() -> None:
    (item,) = parse_feedback(
        load("feedback--request--overridden-with-reason--spec-2.0.1.json")
    ).feedback
    assert item.overrideReason is not None
    assert item.overrideReason.reason is not None
    assert item.overrideReason.reason.display is None
    assert item.overrideReason.userComment == "A comment entered by the clinician."


def feedback(**fields: Any) -> dict[str, Any]:
    """Return a feedback body with one overridden item, with `fields` changed (None deletes)."""
    item = {
        "card": "f6b95768-ff9c-4a41-9d4e-1b2bb5e7e8a0",
        "outcome": "overridden",
        "overrideReason": {"userComment": "seen"},
        "outcomeTimestamp": "2020-12-11T00:00:00Z",
    }
    item.update(fields)
    return {"feedback": [{key: value for key, value in item.items() if value is not None}]}


BAD_FEEDBACK = [
    (feedback(outcome="accepted"), r"feedback\[0\]: acceptedSuggestions is required .*cds-fb-2"),
    (feedback(outcome="accepted", acceptedSuggestions=[]), "cds-fb-2"),
    (feedback(outcome="dismissed"), r"feedback\[0\].outcome: must be 'accepted' or 'overridden'"),
    (feedback(overrideReason={}), r"feedback\[0\].overrideReason: .*\(cds-fb-3\)"),
    (
        feedback(overrideReason={"reason": {"code": "x"}}),
        "overrideReason.reason.system: is required",
    ),
    (feedback(outcomeTimestamp="2020-12-11T00:00:00"), "outcomeTimestamp: must carry a time zone"),
    (feedback(outcomeTimestamp="yesterday"), "outcomeTimestamp: must be a date-time with a time"),
    (feedback(outcomeTimestamp="2026-12-07"), "outcomeTimestamp: must be a date-time with a time"),
    (feedback(outcomeTimestamp="20261207"), "outcomeTimestamp: must be a date-time with a time"),
    (feedback(card=None), r"feedback\[0\].card: is required"),
    ({}, "feedback: is required"),
    ({"feedback": {}}, "feedback: must be a JSON array"),
    ({"feedback": ["x"]}, r"feedback\[0\]: must be a JSON object with card, outcome and outcome"),
    (feedback(outcome="accepted", acceptedSuggestions=["x"]), r"\[0\]: must be a JSON object with"),
    (feedback(outcome="accepted", acceptedSuggestions=[{}] * 101), "must hold at most 100 items"),
    # what the store keeps is bounded by its columns and holds no NUL (PostgreSQL refused both
    # with a 503 for the whole batch)
    (feedback(card="f6b95768"), r"feedback\[0\].card: must be a UUID"),
    (feedback(card="f6b95768-ff9c-4a41-9d4e-1b2bb5e7e8a0\n"), r"card: must be a UUID"),
    (feedback(card="a" * 70_000), r"feedback\[0\].card: must be a UUID"),
    (feedback(overrideReason={"reason": {"system": "s", "code": "c" * 101}}), "at most 100"),
    (feedback(overrideReason={"reason": {"system": "s" * 301, "code": "c"}}), "at most 300"),
    (feedback(overrideReason={"reason": {"system": "s", "code": "c\x00"}}), "code holds a NUL"),
    (feedback(overrideReason={"reason": {"system": "s\x00", "code": "c"}}), "system holds a NUL"),
    (feedback(overrideReason={"userComment": "ok\x00"}), "userComment holds a NUL"),
    (feedback(overrideReason={"userComment": "x" * 10_001}), "at most 10000 characters"),
    (feedback(outcomeTimestamp="2020-12-11T00:00:00Z\x00"), "must be a date-time with a time zone"),
    (
        feedback(outcome="accepted", acceptedSuggestions=[{"id": "s1"}]),
        r"acceptedSuggestions\[0\].id: must be a UUID",
    ),
    (
        feedback(outcome="accepted", acceptedSuggestions=[{"id": "\x00"}]),
        r"acceptedSuggestions\[0\].id: must be a UUID",
    ),
]


@pytest.mark.parametrize(("data", "message"), BAD_FEEDBACK)
def test_bad_feedback_is_rejected_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(InputError, match=f"invalid feedback: .*{message}"):
        parse_feedback(data)


def test_bad_feedback_messages_never_repeat_the_values() -> None:
    secret = "patient-Smith-1234"
    for item in (
        {"card": secret},
        {"outcomeTimestamp": secret},
        {"overrideReason": {"reason": {"system": secret + "\x00", "code": "c"}}},
        {"overrideReason": {"reason": {"system": "s", "code": secret * 10}}},
    ):
        with pytest.raises(InputError) as caught:
            parse_feedback(feedback(**item))
        assert secret not in caught.value.message
        assert secret not in str(caught.value.details)


def test_a_feedback_batch_keeps_its_good_items_and_names_the_bad_ones() -> None:
    good = feedback()["feedback"][0]
    bad = feedback(overrideReason={"userComment": "\x00"})["feedback"][0]
    batch = parse_feedback_batch({"feedback": [good, bad, "not an object", good]}, 10)
    assert sorted(batch.items) == [0, 3] and batch.size == 4
    assert batch.refused[1] == "overrideReason: userComment holds a NUL character"
    assert batch.refused[2] == "must be a JSON object with card, outcome and outcomeTimestamp"


def test_a_feedback_batch_over_the_item_limit_is_refused_whole() -> None:
    items = feedback()["feedback"] * 11
    with pytest.raises(PayloadTooLarge, match="feedback holds 11 items; at most 10"):
        parse_feedback_batch({"feedback": items}, 10)
    assert parse_feedback_batch({"feedback": items[:10]}, 10).size == 10
    with pytest.raises(InputError, match="feedback: is required"):
        parse_feedback_batch({"items": []}, 10)


def test_feedback_card_uuids_are_read_in_lower_case() -> None:
    (item,) = parse_feedback(feedback(card="F6B95768-FF9C-4A41-9D4E-1B2BB5E7E8A0")).feedback
    assert item.card == "f6b95768-ff9c-4a41-9d4e-1b2bb5e7e8a0"


def test_feedback_keeps_unknown_members() -> None:
    data = feedback(extension={"com.example.user": "u1"})
    assert parse_feedback(data).feedback[0].model_extra == {"extension": {"com.example.user": "u1"}}


def test_empty_optional_feedback_fields_are_read_as_absent() -> None:
    reason = {"reason": {"code": "c", "system": "https://s", "display": ""}, "userComment": ""}
    (item,) = parse_feedback(feedback(overrideReason=reason, acceptedSuggestions="")).feedback
    assert item.acceptedSuggestions is None
    assert item.overrideReason is not None
    assert item.overrideReason.userComment is None
    assert item.overrideReason.reason is not None
    assert item.overrideReason.reason.display is None


def test_empty_required_parts_of_feedback_are_refused_as_missing() -> None:
    """Read as absent, an empty `acceptedSuggestions` of an accepted item, or a comment that
    was an override reason's only content, is refused as a missing one is."""
    batch = parse_feedback_batch(
        {
            "feedback": [
                feedback(outcome="accepted", acceptedSuggestions="")["feedback"][0],
                feedback(overrideReason={"userComment": ""})["feedback"][0],
                feedback(card="")["feedback"][0],
            ]
        },
        10,
    )
    assert "cds-fb-2" in batch.refused[0]
    assert "cds-fb-3" in batch.refused[1]
    assert batch.refused[2].startswith("card: ")
