"""Tests for hooks/request.py: hook requests and per-hook contexts, as the registry parses them."""

from __future__ import annotations

import copy
import json
from typing import Any, get_args

import pytest
from pydantic import ValidationError
from pydantic_core.core_schema import ErrorType

from cds.errors import InputError
from cds.hooks.keys import PREFETCH, PrefetchKey
from cds.hooks.prefetch import read_prefetch
from cds.hooks.registry import HOOKS, parse_context, parse_hook_request, validate_context
from cds.hooks.request import (
    EncounterDischargeContext,
    FhirAuthorization,
    HookRequest,
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
)
from cds.hooks.wire import WORDING
from tests.hooks.helpers import HOOK_INSTANCE, TOKEN, load, wrap

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
    with pytest.raises(
        InputError, match=r"context for hook 'patient-view': patientId: is required"
    ):
        validate_context(request.hook, request.context)
    with pytest.raises(InputError, match="patientId: is required"):
        parse_hook_request(data)


def test_pre_1_0_opioid_request_is_rejected() -> None:
    # README: HISTORICAL/NEGATIVE, prefetch wrapped as {response, resource}, no draftOrders.
    # The wrapped prefetch value is not read as a resource (read_prefetch names it a gap).
    data = load("order-sign--request--cdc-opioid--docs-examples.json")
    with pytest.raises(InputError, match="draftOrders: is required"):
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
    (request(hook=""), "hook: must not be empty"),
    (request(hookInstance=""), "hookInstance: must not be empty"),
    (request(context=None), "context: must be a JSON object"),
    (request(context=""), "context: must be a JSON object"),
    (
        request(fhirAuthorization="x"),
        "fhirAuthorization: must be a JSON object with access_token, token_type, expires_in, "
        "scope and subject$",
    ),
    (request(fhirAuthorization=auth(token_type="mac")), "token_type: must be 'Bearer'"),
    (request(fhirAuthorization=auth(expires_in="soon")), "expires_in: must be an integer"),
    (request(fhirAuthorization=auth(scope=3)), "fhirAuthorization.scope: must be a string"),
    (request(extension="com.example"), "extension: must be a JSON object"),
    (request(prefetch=["not", "a", "mapping"]), "prefetch: must be a JSON object"),
    ({"hook": "patient-view", "hookInstance": HOOK_INSTANCE}, "context: is required"),
    (["not", "an", "object"], "must be a JSON object with hook, hookInstance and context"),
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
    with pytest.raises(InputError, match=r"fhirAuthorization\.subject: is required"):
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
    ("patient-view", context("patient-view", userId=None), "userId: is required"),
    ("patient-view", context("patient-view", userId="Practitioner"), "userId: must be a reference"),
    ("patient-view", context("patient-view", userId="Practitioner/a b"), "must be a reference"),
    ("patient-view", context("patient-view", userId="Device/1"), "userId: must reference one of"),
    ("patient-view", context("patient-view", userId="practitioner/1"), "must reference one of"),
    ("patient-view", context("patient-view", patientId=None), "patientId: is required"),
    ("patient-view", context("patient-view", patientId="1/2"), "patientId: must be a FHIR id"),
    ("patient-view", context("patient-view", encounterId="a?b"), "encounterId: must be a FHIR id"),
    ("order-sign", context("order-sign", userId="Patient/1"), "one of Practitioner, Practition"),
    ("order-sign", context("order-sign", draftOrders=None), "draftOrders: is required"),
    ("order-sign", context("order-sign", draftOrders="x"), "draftOrders: must be a FHIR Bundle of"),
    ("order-sign", context("order-sign", encounterId=7), "encounterId: must be a string$"),
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
    ("order-select", context("order-select", selections=None), "selections: is required"),
    ("order-select", context("order-select", selections=[]), "selections: must not be empty$"),
    ("order-select", context("order-select", selections="x"), "selections: must be a JSON array"),
    ("order-select", context("order-select", selections=["x"]), "selections: .* 'Type/id'"),
    (
        "encounter-discharge",
        context("encounter-discharge", encounterId=None),
        "encounterId: is required",
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


# --- An empty string: absent in an optional field, refused in a required one -------------------

#: Every (hook, field) of the registry's context models, optional or required.
CONTEXT_FIELDS = [
    (hook, name, field.is_required())
    for hook, spec in HOOKS.items()
    for name, field in spec.context.model_fields.items()
]


def test_the_optional_context_fields_are_the_encounter_where_no_hook_requires_it() -> None:
    optional = {(hook, name) for hook, name, required in CONTEXT_FIELDS if not required}
    assert optional == {(h, "encounterId") for h in ("patient-view", "order-select", "order-sign")}


@pytest.mark.parametrize(
    ("hook", "name"), [(h, n) for h, n, required in CONTEXT_FIELDS if not required]
)
def test_an_empty_optional_context_field_is_read_as_absent(hook: str, name: str) -> None:
    empty = parse_context(hook, context(hook, **{name: ""}))
    absent = parse_context(hook, {k: v for k, v in context(hook).items() if k != name})
    assert empty is not None
    assert getattr(empty, name) is None
    assert empty == absent


@pytest.mark.parametrize(
    ("hook", "name"), [(h, n) for h, n, required in CONTEXT_FIELDS if required]
)
def test_an_empty_required_context_field_is_refused_naming_it(hook: str, name: str) -> None:
    with pytest.raises(InputError, match=f"invalid context for hook '{hook}': {name}: must "):
        validate_context(hook, context(hook, **{name: ""}))


OPTIONAL_REQUEST_FIELDS = [n for n, f in HookRequest.model_fields.items() if not f.is_required()]


def test_the_optional_request_fields() -> None:
    assert OPTIONAL_REQUEST_FIELDS == ["fhirServer", "fhirAuthorization", "prefetch", "extension"]


@pytest.mark.parametrize("name", OPTIONAL_REQUEST_FIELDS)
def test_an_empty_optional_request_field_is_read_as_absent(name: str) -> None:
    base = wrap("patient-view", {"userId": "Practitioner/1", "patientId": "p1"})
    parsed = parse_hook_request({**base, name: ""})
    assert getattr(parsed, name) is None
    assert parsed == parse_hook_request(base)


def test_an_empty_fhir_server_with_a_token_is_a_token_without_a_server() -> None:
    with pytest.raises(InputError, match=r"fhirServer is required when fhirAuthorization"):
        parse_hook_request(request(fhirServer=""))


def test_an_empty_token_patient_is_read_as_absent_and_an_empty_token_refused() -> None:
    assert FhirAuthorization.model_validate(auth(patient="")).patient is None
    with pytest.raises(InputError, match=r"fhirAuthorization\.access_token: "):
        parse_hook_request(request(fhirAuthorization=auth(access_token="")))


def test_an_empty_unknown_member_is_kept_as_sent() -> None:
    parsed = parse_hook_request(request(**{"com.example.note": ""}))
    assert parsed.model_extra == {"com.example.note": ""}


def test_every_reworded_error_type_is_one_pydantic_raises() -> None:
    """A misspelt type in `WORDING` would silently leave pydantic's message in place."""
    known = set(get_args(ErrorType))
    assert set(WORDING) <= known
    assert {"model_type", "model_attributes_type", "string_too_short", "too_short"} <= known
