"""Tests for the CDS Hooks wire models: hooks/request.py, hooks/feedback.py, hooks/models.py."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from cds.errors import InputError, PayloadTooLarge
from cds.hooks.feedback import parse_feedback, parse_feedback_batch
from cds.hooks.keys import PREFETCH, PrefetchKey
from cds.hooks.models import (
    Action,
    Card,
    Coding,
    Discovery,
    HookResponse,
    Link,
    OverrideReason,
    Service,
    Source,
    Suggestion,
    dump,
    dump_discovery,
    dump_response,
)
from cds.hooks.prefetch import read_prefetch
from cds.hooks.registry import parse_context, parse_hook_request, validate_context
from cds.hooks.request import (
    EncounterDischargeContext,
    FhirAuthorization,
    HookRequest,
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = SHARED / "cds-hooks" / "examples"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
TOKEN = "s3cr3t-access-token"  # a test value, checked for leaks


def load(name: str) -> Any:
    """Return the parsed JSON of one example payload."""
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def wrap(hook: str, context: dict[str, Any]) -> dict[str, Any]:
    """Wrap a context fragment into a minimal hook request."""
    return {"hook": hook, "hookInstance": HOOK_INSTANCE, "context": context}


def empty_elements(value: Any, path: str = "$") -> list[str]:
    """Return the paths of null or empty elements, except the sanctioned empty arrays."""
    if path in ("$.cards", "$.services") and value == []:
        return []
    if value is None or (isinstance(value, str | list | dict) and not value):
        return [path]
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in empty_elements(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in empty_elements(item, f"{path}[{i}]")]
    return []


def error_locs(exc: ValidationError) -> list[tuple[str | int, ...]]:
    """Return the locations of every error in `exc`."""
    return [tuple(error["loc"]) for error in exc.errors()]


SOURCE = Source(label="Back pain CDS")


def card(**fields: Any) -> Card:
    """Build a card with the required fields filled in."""
    return Card(**{"summary": "Check this", "indicator": "info", "source": SOURCE, **fields})


# --- Requests and contexts: the spec's examples -----------------------------------------------

VALID_REQUESTS = [
    "patient-view--request--spec-2.0.1.json",
    "order-select--request--pama-imaging--docs-examples.json",  # draftOrders Bundle lacks type
    "order-sign--request--prefetch-pagination--spec-3.0.0-ballot.json",  # valid under 2.0.1 too
]


@pytest.mark.parametrize("name", VALID_REQUESTS)
def test_valid_request_examples_parse(name: str) -> None:
    data = load(name)
    request = parse_hook_request(data)
    assert request.hook == data["hook"]
    assert request.context == data["context"]


VALID_CONTEXTS = [
    ("patient-view--context--spec-2.0.1.json", "patient-view", PatientViewContext),
    ("patient-view--context--practitionerrole--library.json", "patient-view", PatientViewContext),
    (
        "patient-view--context--practitioner-encounter--library.json",
        "patient-view",
        PatientViewContext,
    ),
    ("order-select--context--r4--library.json", "order-select", OrderSelectContext),
    ("order-sign--context--r4--library.json", "order-sign", OrderSignContext),
    (
        "order-sign--context--fhirpath-example--spec-3.0.0-ballot.json",
        "order-sign",
        OrderSignContext,
    ),
    (
        "encounter-discharge--context--library.json",
        "encounter-discharge",
        EncounterDischargeContext,
    ),
]


@pytest.mark.parametrize(("name", "hook", "model"), VALID_CONTEXTS)
def test_valid_context_examples_validate(name: str, hook: str, model: type[Any]) -> None:
    context = load(name)["context"]
    validate_context(hook, context)  # does not raise
    assert isinstance(parse_context(hook, context), model)
    assert parse_hook_request(wrap(hook, context)).context == context


def test_order_select_context_keeps_selections_and_draft_orders() -> None:
    context = load("order-select--context--r4--library.json")["context"]
    parsed = parse_context("order-select", context)
    assert isinstance(parsed, OrderSelectContext)
    assert parsed.selections == context["selections"]
    assert parsed.draftOrders["resourceType"] == "Bundle"


def test_patient_view_extension_example_is_accepted_but_lacks_patient_id() -> None:
    # README: NEGATIVE-ish, the spec's extension example has only userId in its context.
    data = load("patient-view--request--extension--spec-2.0.1.json")
    request = HookRequest.model_validate(data)
    assert request.extension == data["extension"]
    with pytest.raises(InputError, match=r"context for hook 'patient-view': patientId: Field"):
        validate_context(request.hook, request.context)
    with pytest.raises(InputError, match="patientId: Field required"):
        parse_hook_request(data)


def test_pre_1_0_opioid_request_is_rejected() -> None:
    # README: HISTORICAL/NEGATIVE, prefetch wrapped as {response, resource}, no draftOrders.
    # The wrapped prefetch value is not read as a resource (read_prefetch names it a gap).
    data = load("order-sign--request--cdc-opioid--docs-examples.json")
    with pytest.raises(InputError, match="draftOrders: Field required"):
        parse_hook_request(data)
    received = read_prefetch(data["prefetch"], [PrefetchKey("medication", "x", required=False)])
    assert "medication" not in received.prefetch
    assert "not a FHIR resource" in received.fetch["medication"]


def test_prefetch_erratum_bare_string_is_a_gap_not_a_bad_request() -> None:
    # README: 2.0.1 erratum, `"user": "123"` is not a resource. The request parses; a key the
    # service did not declare is ignored, and a declared one holding a string is a gap.
    request = wrap("patient-view", load("patient-view--context--spec-2.0.1.json")["context"])
    request["prefetch"] = load("prefetch-data--example--spec-2.0.1.json")["prefetch"]
    parsed = parse_hook_request(request)
    assert "user" in read_prefetch(parsed.prefetch, PREFETCH).ignored
    declared = read_prefetch(parsed.prefetch, [PrefetchKey("user", "x", required=False)])
    assert declared.fetch == {"user": "the client sent a string, not a FHIR resource"}


def test_prefetch_accepts_resources_null_and_operation_outcome() -> None:
    request = wrap("patient-view", load("patient-view--context--spec-2.0.1.json")["context"])
    prefetch = load("prefetch-data--example--spec-3.0.0-ballot.json")["prefetch"]
    prefetch["missing"] = None
    prefetch["failed"] = load("any--error-response--412-operationoutcome--spec-3.0.0-ballot.json")
    request["prefetch"] = prefetch
    assert parse_hook_request(request).prefetch == prefetch


# --- Requests: our rules -------------------------------------------------------------------------


def auth(**fields: Any) -> dict[str, Any]:
    """Return a fhirAuthorization object, with `fields` changed."""
    value = copy.deepcopy(load("fragment--fhirAuthorization--spec-2.0.1.json")["fhirAuthorization"])
    return {**value, "access_token": TOKEN, **fields}


def request(**fields: Any) -> dict[str, Any]:
    """Return a valid patient-view request, with `fields` changed."""
    base = wrap("patient-view", {"userId": "Practitioner/1", "patientId": "p1"})
    return {
        **base,
        "fhirServer": "https://ehr.example.org/fhir",
        "fhirAuthorization": auth(),
    } | fields


def test_unknown_fields_and_extensions_in_a_request_are_accepted() -> None:
    data = request(
        extension={"com.example.trace": {"nested": [1, "two", None]}},
        fhirAuthorization=auth(id_token="x"),
        **{"com.example.unknown": True},
    )
    data["context"]["com.example.context-extra"] = "kept"
    parsed = parse_hook_request(data)
    assert parsed.model_extra == {"com.example.unknown": True}
    assert parsed.extension == {"com.example.trace": {"nested": [1, "two", None]}}
    assert parsed.context["com.example.context-extra"] == "kept"
    assert parsed.fhirAuthorization is not None
    assert parsed.fhirAuthorization.model_extra == {"id_token": "x"}


def test_http_fhir_server_is_accepted() -> None:
    # The spec's own examples use http; https is a MUST only for production data.
    assert parse_hook_request(request(fhirServer="http://localhost:9080")).fhirServer


BAD_REQUESTS = [
    (
        request(fhirServer=None),
        r"fhirServer is required when fhirAuthorization is given \(cds-r-1\)",
    ),
    (request(fhirServer="fhir.example.org"), "fhirServer: must be an absolute http"),
    (request(fhirServer="/fhir"), "fhirServer: must be an absolute http"),
    (request(fhirServer="ftp://example.org/fhir"), "fhirServer: must be an absolute http"),
    (request(hook=""), "hook: String should have at least 1 character"),
    (request(hookInstance=""), "hookInstance: String should have at least 1 character"),
    (request(context=None), "context: Input should be a valid dictionary"),
    (request(fhirAuthorization=auth(token_type="mac")), "fhirAuthorization.token_type"),
    (request(fhirAuthorization=auth(expires_in="soon")), "fhirAuthorization.expires_in"),
    (request(extension="com.example"), "extension: Input should be a valid dictionary"),
    (request(prefetch=["not", "a", "mapping"]), "prefetch: Input should be a valid dictionary"),
    ({"hook": "patient-view", "hookInstance": HOOK_INSTANCE}, "context: Field required"),
    (["not", "an", "object"], "Input should be a valid dictionary"),
]


@pytest.mark.parametrize(("data", "message"), BAD_REQUESTS)
def test_bad_requests_are_rejected_with_a_clear_message(data: Any, message: str) -> None:
    with pytest.raises(InputError, match=message) as exc:
        parse_hook_request(data)
    assert exc.value.http_status == 400
    assert TOKEN not in exc.value.message
    assert TOKEN not in json.dumps(exc.value.details)


@pytest.mark.parametrize("token_type", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_token_type_is_compared_case_insensitively(token_type: str) -> None:
    """OAuth 2.0 token types are case-insensitive (RFC 6749 §5.1)."""
    parsed = parse_hook_request(request(fhirAuthorization=auth(token_type=token_type)))
    assert parsed.fhirAuthorization is not None
    assert parsed.fhirAuthorization.token_type == "Bearer"


def test_missing_fhir_authorization_member_is_rejected() -> None:
    value = auth()
    del value["subject"]
    with pytest.raises(InputError, match=r"fhirAuthorization\.subject: Field required"):
        parse_hook_request(request(fhirAuthorization=value))


@pytest.mark.parametrize("model", [HookRequest, FhirAuthorization])
def test_validation_errors_never_show_the_token(model: type[Any]) -> None:
    # A "missing" error carries the whole enclosing object as its input.
    authorization = auth()
    del authorization["subject"]
    data = authorization if model is FhirAuthorization else request(fhirAuthorization=authorization)
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    # pydantic shortens long inputs in the middle, so look for the token's start.
    assert TOKEN[:6] not in str(exc.value)


def test_fhir_authorization_repr_hides_the_token() -> None:
    authorization = FhirAuthorization.model_validate(auth(refresh_token="also-secret"))
    for text in (repr(authorization), str(authorization), f"{authorization}"):
        assert TOKEN not in text
        assert "also-secret" not in text
        assert "access_token='***'" in text
        assert "subject='cds-service4'" in text
    parsed = parse_hook_request(request())
    assert TOKEN not in repr(parsed)
    assert TOKEN not in str(parsed)
    assert parsed.fhirAuthorization is not None
    assert parsed.fhirAuthorization.access_token == TOKEN


# --- Contexts: our rules -------------------------------------------------------------------------


def context(hook: str, **fields: Any) -> dict[str, Any]:
    """Return a valid context for `hook` from the examples, with `fields` changed (None deletes)."""
    names = {
        "patient-view": "patient-view--context--spec-2.0.1.json",
        "order-select": "order-select--context--r4--library.json",
        "order-sign": "order-sign--context--r4--library.json",
        "encounter-discharge": "encounter-discharge--context--library.json",
    }
    value: dict[str, Any] = load(names[hook])["context"]
    value.update(fields)
    return {key: item for key, item in value.items() if item is not None}


BAD_CONTEXTS = [
    ("patient-view", context("patient-view", userId=None), "userId: Field required"),
    ("patient-view", context("patient-view", userId="Practitioner"), "userId: must be a reference"),
    ("patient-view", context("patient-view", userId="Practitioner/a b"), "must be a reference"),
    ("patient-view", context("patient-view", userId="Device/1"), "userId: must reference one of"),
    ("patient-view", context("patient-view", userId="practitioner/1"), "must reference one of"),
    ("patient-view", context("patient-view", patientId=None), "patientId: Field required"),
    ("patient-view", context("patient-view", patientId="1/2"), "patientId: must be a FHIR id"),
    ("patient-view", context("patient-view", encounterId="a?b"), "encounterId: must be a FHIR id"),
    ("order-sign", context("order-sign", userId="Patient/1"), "one of Practitioner, Practition"),
    ("order-sign", context("order-sign", draftOrders=None), "draftOrders: Field required"),
    (
        "order-sign",
        context("order-sign", draftOrders={"resourceType": "Patient"}),
        "draftOrders: must be a FHIR Bundle",
    ),
    (
        "order-sign",
        context("order-sign", draftOrders={"resourceType": "Bundle", "entry": "x"}),
        "draftOrders: entry must be an array",
    ),
    ("order-select", context("order-select", selections=None), "selections: Field required"),
    ("order-select", context("order-select", selections=[]), "selections: List should have"),
    ("order-select", context("order-select", selections=["x"]), "selections: .* 'Type/id'"),
    (
        "encounter-discharge",
        context("encounter-discharge", encounterId=None),
        "encounterId: Field required",
    ),
]


@pytest.mark.parametrize(("hook", "data", "message"), BAD_CONTEXTS)
def test_bad_contexts_are_rejected_naming_the_field(
    hook: str, data: dict[str, Any], message: str
) -> None:
    with pytest.raises(InputError, match=f"invalid context for hook '{hook}': .*{message}"):
        validate_context(hook, data)


@pytest.mark.parametrize("user", ["Patient/123", "RelatedPerson/rp-1", "PractitionerRole/A_1"])
def test_patient_view_accepts_patients_and_related_persons(user: str) -> None:
    validate_context("patient-view", context("patient-view", userId=user))


@pytest.mark.parametrize("hook", ["encounter-start", "com.example.custom-hook"])
def test_hooks_we_do_not_serve_are_not_checked(hook: str) -> None:
    validate_context(hook, {})  # does not raise
    assert parse_context(hook, {}) is None


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
    (feedback(outcome="dismissed"), r"feedback\[0\].outcome: Input should be 'accepted' or"),
    (feedback(overrideReason={}), r"feedback\[0\].overrideReason: .*\(cds-fb-3\)"),
    (feedback(overrideReason={"reason": {"code": "x"}}), "overrideReason.reason.system: Field"),
    (feedback(outcomeTimestamp="2020-12-11T00:00:00"), "outcomeTimestamp: must carry a time zone"),
    (feedback(outcomeTimestamp="yesterday"), "outcomeTimestamp: must be an RFC 3339 date-time"),
    (feedback(card=None), r"feedback\[0\].card: Field required"),
    ({}, "feedback: Field required"),
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
    (feedback(outcomeTimestamp="2020-12-11T00:00:00Z\x00"), "must be an RFC 3339 date-time"),
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
    assert batch.refused[2].startswith("Input should be")


def test_a_feedback_batch_over_the_item_limit_is_refused_whole() -> None:
    items = feedback()["feedback"] * 11
    with pytest.raises(PayloadTooLarge, match="feedback holds 11 items; at most 10"):
        parse_feedback_batch({"feedback": items}, 10)
    assert parse_feedback_batch({"feedback": items[:10]}, 10).size == 10
    with pytest.raises(InputError, match="feedback: Field required"):
        parse_feedback_batch({"items": []}, 10)


def test_feedback_card_uuids_are_read_in_lower_case() -> None:
    (item,) = parse_feedback(feedback(card="F6B95768-FF9C-4A41-9D4E-1B2BB5E7E8A0")).feedback
    assert item.card == "f6b95768-ff9c-4a41-9d4e-1b2bb5e7e8a0"


def test_feedback_keeps_unknown_members() -> None:
    data = feedback(extension={"com.example.user": "u1"})
    assert parse_feedback(data).feedback[0].model_extra == {"extension": {"com.example.user": "u1"}}


# --- Responses and discovery: the spec's examples ------------------------------------------------

VALID_RESPONSES = [
    "any--response--cards-links-overrideReasons--spec-2.0.1.json",
    "any--response--no-cards--spec-2.0.1.json",
    "any--response--cards-links--spec-1.0.json",  # also valid under 2.0.1
]


@pytest.mark.parametrize("name", VALID_RESPONSES)
def test_valid_response_examples_parse_and_round_trip(name: str) -> None:
    data = load(name)
    assert dump_response(HookResponse.model_validate(data)) == data


INVALID_RESPONSES = [
    # README: erratum, the card has no indicator (REQUIRED).
    ("any--response--autolaunchable--spec-2.0.1.json", ("cards", 0, "indicator")),
    # README: systemAction without description (REQUIRED in 2.0; optional only in 3.0 ballot).
    ("any--response--systemActions--spec-2.0.1.json", ("systemActions", 0, "description")),
    (
        "order-select--response--pama-systemActions--docs-examples.json",
        ("systemActions", 0, "description"),
    ),
]


@pytest.mark.parametrize(("name", "loc"), INVALID_RESPONSES)
def test_invalid_response_examples_are_rejected(name: str, loc: tuple[str | int, ...]) -> None:
    with pytest.raises(ValidationError) as exc:
        HookResponse.model_validate(load(name))
    assert error_locs(exc.value) == [loc]
    assert exc.value.errors()[0]["type"] == "missing"


def test_autolaunchable_example_with_an_indicator_round_trips() -> None:
    data = load("any--response--autolaunchable--spec-2.0.1.json")
    data["cards"][0]["indicator"] = "info"
    response = HookResponse.model_validate(data)
    assert response.cards[0].links and response.cards[0].links[0].autolaunchable is True
    assert dump_response(response) == data


def test_historical_card_without_source_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        Card.model_validate(load("order-sign--response-card--cdc-opioid--docs-examples.json"))
    assert error_locs(exc.value) == [("source",)]


@pytest.mark.parametrize(
    "name",
    [
        "fragment--action-create--spec-2.0.1.json",
        "fragment--action-update--spec-2.0.1.json",
        "fragment--action-delete--spec-2.0.1.json",
    ],
)
def test_action_fragments_parse_and_round_trip(name: str) -> None:
    data = load(name)
    assert dump(Action.model_validate(data)) == data


def test_1_0_delete_action_with_a_string_resource_is_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        Action.model_validate(load("fragment--action-delete--spec-1.0.json"))
    assert error_locs(exc.value) == [("resource",)]


def test_card_source_and_override_reason_fragments_parse() -> None:
    source = load("fragment--card-source--spec-2.0.1.json")["source"]
    assert dump(Source.model_validate(source)) == source
    reasons = load("fragment--overrideReasons--spec-2.0.1.json")["overrideReasons"]
    assert [dump(OverrideReason.model_validate(r)) for r in reasons] == reasons


@pytest.mark.parametrize(
    "name",
    ["discovery--response--spec-2.0.1.json", "discovery--response--extension--spec-2.0.1.json"],
)
def test_discovery_examples_parse_and_round_trip(name: str) -> None:
    data = load(name)
    assert dump_discovery(Discovery.model_validate(data)) == data


# --- Responses: our rules ------------------------------------------------------------------------


@pytest.mark.parametrize(("length", "valid"), [(1, True), (139, True), (140, False), (141, False)])
def test_summary_must_be_under_140_characters(length: int, valid: bool) -> None:
    if valid:
        assert len(card(summary="x" * length).summary) == length
    else:
        with pytest.raises(ValidationError, match="summary"):
            card(summary="x" * length)


def test_empty_summary_is_rejected() -> None:
    with pytest.raises(ValidationError, match="summary"):
        card(summary="")


def test_suggestions_need_selection_behavior() -> None:
    with pytest.raises(ValidationError, match=r"selectionBehavior is required .*cds-resp-6"):
        card(suggestions=[Suggestion(label="Do it")])
    assert card(suggestions=[Suggestion(label="Do it")], selectionBehavior="any").suggestions


def test_at_most_one_allows_only_one_recommended_suggestion() -> None:
    two = [Suggestion(label="A", isRecommended=True), Suggestion(label="B", isRecommended=True)]
    with pytest.raises(ValidationError, match="cds-resp-1"):
        card(suggestions=two, selectionBehavior="at-most-one")
    assert card(suggestions=two, selectionBehavior="any").suggestions == two


RESOURCE = {"resourceType": "ServiceRequest", "id": "sr-1", "status": "draft"}

BAD_ACTIONS = [
    ({"type": "delete", "description": "Remove"}, "a delete action needs resourceId"),
    (
        {
            "type": "delete",
            "description": "Remove",
            "resourceId": "ServiceRequest/1",
            "resource": RESOURCE,
        },
        "a delete action needs resourceId and no resource",
    ),
    ({"type": "create", "description": "Add"}, "a create action needs a resource"),
    ({"type": "update", "description": "Change"}, "an? update action needs a resource"),
    (
        {"type": "update", "description": "Change", "resource": {"resourceType": "ServiceRequest"}},
        "an update action needs a resource with an id",
    ),
    ({"type": "create", "description": "Add", "resource": {"id": "1"}}, "has no resourceType"),
    ({"type": "delete", "description": "Remove", "resourceId": "1"}, "relative reference"),
    ({"type": "create", "resource": RESOURCE}, "description"),
    ({"type": "create", "description": "", "resource": RESOURCE}, "description"),
    ({"type": "CREATE", "description": "Add", "resource": RESOURCE}, "type"),
]


@pytest.mark.parametrize(("data", "message"), BAD_ACTIONS)
def test_bad_actions_are_rejected(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Action.model_validate(data)


def test_delete_action_with_resource_id_is_accepted() -> None:
    action = Action(type="delete", description="Remove", resourceId="ServiceRequest/sr-1")
    assert dump(action) == {
        "type": "delete",
        "description": "Remove",
        "resourceId": "ServiceRequest/sr-1",
    }


BAD_PARTS = [
    (
        lambda: Link(label="App", url="https://a.example", type="absolute", appContext="x"),
        "cds-resp-3",
    ),
    (lambda: Link(label="App", url="/relative", type="absolute"), "absolute http"),
    (lambda: Source(label="S", icon="icon.png"), "absolute http"),
    (lambda: OverrideReason.model_validate({"code": "c", "system": "http://s.example"}), "display"),
    (lambda: Coding.model_validate({"code": "c"}), "system"),
    (lambda: card(indicator="hard-stop"), "indicator"),
    (lambda: card(selectionBehavior="all"), "selectionBehavior"),
    (lambda: card(uuid="not-a-uuid"), "must be a UUID"),
    (lambda: card(unknown="x"), "Extra inputs are not permitted"),
    (lambda: Service(hook="patient-view", description="d", id="a/b"), "URL path segment"),
    (lambda: Service(hook="patient-view", description="", id="a"), "description"),
]


@pytest.mark.parametrize(("build", "message"), BAD_PARTS)
def test_bad_response_parts_are_rejected(build: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        build()


def test_written_models_are_frozen() -> None:
    with pytest.raises(ValidationError, match="frozen"):
        card().summary = "changed"  # type: ignore[misc]


# --- dump ----------------------------------------------------------------------------------------


def test_dump_response_never_emits_null_or_empty_elements() -> None:
    resource = {"resourceType": "MedicationRequest", "id": "m1", "note": [], "text": {"div": ""}}
    response = HookResponse(
        cards=[
            card(
                uuid="4e0a3a1e-3283-4575-ab82-028d55fe2719",
                detail="",
                source=Source(
                    label="S", url=None, icon="", topic=Coding(code="c", system="s", display="")
                ),
                suggestions=[
                    Suggestion(
                        label="Change",
                        isRecommended=False,
                        actions=[Action(type="update", description="Update", resource=resource)],
                    ),
                    Suggestion(label="Nothing", actions=[]),
                ],
                selectionBehavior="at-most-one",
                overrideReasons=[],
                links=[],
                extension={"com.example.trace": {"rules": [], "pack": "back-spasm@1.0.0"}},
            ),
            card(detail=None, suggestions=[], extension={}),
        ],
        systemActions=[],
    )
    output = dump_response(response)
    assert empty_elements(output) == []
    json.dumps(output)  # plain JSON types only
    # nothing else dropped: the spec's rule written plainly agrees, and so does the batch's
    # unvalidated dump (cds review)
    assert output == _spec_pruned(response.model_dump(mode="json", exclude_none=True))
    assert dump_response(response, validate=False) == output

    first = output["cards"][0]
    assert first["suggestions"][0]["isRecommended"] is False  # false is a value, not an empty
    assert first["suggestions"][0]["actions"][0]["resource"] == {
        "resourceType": "MedicationRequest",
        "id": "m1",
    }
    assert first["source"] == {"label": "S", "topic": {"code": "c", "system": "s"}}
    assert first["extension"] == {"com.example.trace": {"pack": "back-spasm@1.0.0"}}
    assert output["cards"][1] == {
        "summary": "Check this",
        "indicator": "info",
        "source": {"label": "Back pain CDS"},
    }
    assert "systemActions" not in output


def _spec_pruned(value: Any) -> Any:
    """No null, "", [] or {} member; None kept in arrays (the spec's rule, plainly)."""

    def empty(v: Any) -> bool:
        return v is None or (isinstance(v, str | list | dict) and not v)

    if isinstance(value, dict):
        items = {k: _spec_pruned(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if not empty(v) or k == "cards"}
    if isinstance(value, list):
        return [v for v in map(_spec_pruned, value) if v is None or not empty(v)]
    return value


def test_dump_keeps_the_sanctioned_empty_arrays() -> None:
    assert dump_response(HookResponse(cards=[])) == {"cards": []}
    assert dump_response(HookResponse(cards=[], systemActions=[])) == {"cards": []}
    assert dump_discovery(Discovery(services=[])) == {"services": []}
    assert dump(Discovery(services=[])) == {"services": []}


def test_dump_discovery_omits_empty_optional_members() -> None:
    service = Service(hook="patient-view", title="", description="d", id="s", prefetch={})
    assert dump_discovery(Discovery(services=[service])) == {
        "services": [{"hook": "patient-view", "description": "d", "id": "s"}]
    }


def test_dump_validates_a_response_changed_after_it_was_built() -> None:
    response = HookResponse(cards=[])
    response.cards.append(Card.model_construct(summary="x" * 200, indicator="info", source=SOURCE))
    with pytest.raises(ValidationError, match="summary"):
        dump_response(response)
