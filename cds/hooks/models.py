"""The CDS Hooks 2.0.1 wire contract as pydantic models.

Two policies, one per direction:

* What EHRs send us (`HookRequest`, the per-hook contexts, `FeedbackRequest`) is parsed
  tolerantly: unknown fields and `extension` objects are kept (``extra="allow"``), but REQUIRED
  fields are required and closed code lists are `Literal`s. `parse_hook_request`,
  `parse_context` and `parse_feedback` turn pydantic errors into `InputError` (HTTP 400) with a
  message that names the offending field and never echoes input values (tokens stay out of
  logs).
* What we write (`HookResponse`, `Card`, `Discovery` and their parts) is strict
  (``extra="forbid"``, frozen) and enforces the spec's invariants (`cds-resp-1..6`).
  Serialise it with `dump` (or `dump_response` / `dump_discovery`): the spec forbids `null`
  and empty elements except `{"cards": []}` and `{"services": []}`.

Invariant ids (`cds-r-1`, `cds-resp-6`, `cds-fb-2`, `ord-1`) are those of the HL7 logical
models in ``shared/cds-hooks/examples/schemas/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Final, Literal, Self, TypeAlias, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from cds.errors import InputError, PayloadTooLarge
from cds.fhir import FHIR_ID
from cds.instants import parse_datetime

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]

# ord-1 from the hook library: `^[\d\w]+\/[\d\w-.]+$`. FHIRPath regexes follow Java, where \w
# is ASCII-only, hence re.ASCII.
_ORD1_REFERENCE: Final = re.compile(r"^(\w+)/[\w.\-]+$", re.ASCII)
_RELATIVE_REFERENCE: Final = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]+$")
_UUID: Final = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SERVICE_ID: Final = re.compile(r"^[A-Za-z0-9._~\-]+$")

_CLINICIANS: Final = ("Practitioner", "PractitionerRole")
_ANY_USER: Final = ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson")

#: The longest `Card.summary` we emit. The spec says "<140-character"; 139 satisfies both
#: readings of that (fewer than 140, or at most 140).
SUMMARY_MAX_CHARS: Final = 139


def _absolute_url(value: str) -> str:
    """Return `value` if it is an absolute http(s) URL, else raise ValueError."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


def _fhir_id(value: str) -> str:
    """Return `value` if it is made of FHIR id characters, else raise ValueError."""
    if not FHIR_ID.match(value):
        raise ValueError("must be a FHIR id ([A-Za-z0-9-.])")
    return value


def is_relative_reference(value: object) -> bool:
    """True for a `Type/id` string that a card may name (an action's `resourceId`)."""
    return isinstance(value, str) and _RELATIVE_REFERENCE.match(value) is not None


def _resource(value: Any, what: str) -> dict[str, Any]:
    """Return `value` if it is a JSON object with a `resourceType`, else raise ValueError."""
    if not isinstance(value, dict):
        raise ValueError(
            f"{what} must be a FHIR resource (a JSON object), got {type(value).__name__}"
        )
    kind = value.get("resourceType")
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"{what} must be a FHIR resource: it has no resourceType")
    return value


# --------------------------------------------------------------------------------------------
# What EHRs send us: tolerant.


class _Received(BaseModel):
    """Base of what CDS Clients send: unknown members are kept, inputs never echoed in errors."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)


class FhirAuthorization(_Received):
    """`fhirAuthorization`: an OAuth 2.0 bearer token for `fhirServer`.

    The token is transient: it never appears in `repr()`/`str()` (shown as ``'***'``), nor do
    unknown members, which might carry other secrets.
    """

    access_token: NonEmptyStr = Field(repr=False)
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str
    # cds-r-2 (SHOULD be present with patient/ scopes) is a warning only: not enforced.
    patient: str | None = None

    @field_validator("token_type", mode="before")
    @classmethod
    def _token_type_any_case(cls, value: Any) -> Any:
        # OAuth 2.0 token types are case-insensitive (RFC 6749 §5.1): "bearer" is "Bearer".
        return "Bearer" if isinstance(value, str) and value.lower() == "bearer" else value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        """Yield the fields for repr with the token and unknown members masked."""
        yield "access_token", "***"
        for name in ("token_type", "expires_in", "scope", "subject", "patient"):
            yield name, getattr(self, name)
        for name in self.__pydantic_extra__ or {}:
            yield name, "***"

    def __repr__(self) -> str:
        """Show the model without the access token."""
        fields = ", ".join(f"{name}={value!r}" for name, value in self.__repr_args__())
        return f"FhirAuthorization({fields})"

    def __str__(self) -> str:
        """Show the model without the access token."""
        return self.__repr__()


class HookRequest(_Received):
    """The body of `POST {baseUrl}/cds-services/{id}` (spec 2.0.1 §HTTP Request).

    `context` is kept as a dict; check it against the hook with `validate_context` or
    `parse_context` (or use `parse_hook_request`, which does both). `prefetch` values should be
    a FHIR resource (often a searchset Bundle), an OperationOutcome (the client hit an error),
    or `None` (the client knows there is no data); an absent key means "not fetched". They are
    not checked here: a key the service did not declare is ignored whatever it holds, and a
    declared one holding something else is a gap in the data, not a bad request
    (`cds.hooks.prefetch.read_prefetch` reads them against the service's keys).
    """

    hook: NonEmptyStr
    # A UUID per the spec, but any non-empty string is accepted.
    hookInstance: NonEmptyStr
    fhirServer: str | None = None
    fhirAuthorization: FhirAuthorization | None = None
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None
    extension: dict[str, Any] | None = None

    @field_validator("fhirServer")
    @classmethod
    def _check_fhir_server(cls, value: str | None) -> str | None:
        # http is accepted: the spec's own examples use it; https is only a MUST in production.
        return None if value is None else _absolute_url(value)

    @model_validator(mode="after")
    def _check_server_with_token(self) -> Self:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given (cds-r-1)")
        return self


class HookContext(_Received):
    """Context fields common to the hooks we serve: `userId`, `patientId`, `encounterId`."""

    #: The resource types `userId` may reference for this hook (from the hook definition).
    user_types: ClassVar[tuple[str, ...]] = _CLINICIANS

    userId: str
    patientId: str
    encounterId: str | None = None

    @field_validator("userId")
    @classmethod
    def _check_user(cls, value: str) -> str:
        match = _ORD1_REFERENCE.match(value)
        if not match:
            raise ValueError("must be a reference 'Type/id' (ord-1)")
        if match.group(1) not in cls.user_types:
            allowed = ", ".join(cls.user_types)
            raise ValueError(f"must reference one of {allowed}")
        return value

    @field_validator("patientId", "encounterId")
    @classmethod
    def _check_ids(cls, value: str | None) -> str | None:
        return None if value is None else _fhir_id(value)


class PatientViewContext(HookContext):
    """Context of `patient-view`: the user may also be the patient or a related person."""

    user_types: ClassVar[tuple[str, ...]] = _ANY_USER


def _check_bundle(value: dict[str, Any]) -> dict[str, Any]:
    """Check that `value` looks like a FHIR Bundle whose entries hold resources.

    The resources themselves are not validated: the hook library's own R4 examples are not
    strictly valid R4 (see the examples README).
    """
    if value.get("resourceType") != "Bundle":
        raise ValueError("must be a FHIR Bundle (resourceType 'Bundle')")
    entries = value.get("entry", [])
    if not isinstance(entries, list | dict):
        raise ValueError("entry must be an array")
    # An entry sent as one object, or one that is not a resource, is read as prefetch is: the
    # evaluation reads the rest and says what it could not use (cds.facts.gather).
    return value


def draft_references(bundle: object) -> set[str]:
    """Return `Type/id` for every resource with an id in `bundle` (a Bundle, or a bare array
    of resources or entries as some clients send `draftOrders`)."""
    if isinstance(bundle, list):
        entries: Any = [
            e if isinstance(e, dict) and "resource" in e else {"resource": e} for e in bundle
        ]
    elif isinstance(bundle, dict):
        entries = bundle.get("entry") or []
    else:
        return set()
    entries = [entries] if isinstance(entries, dict) else entries
    if not isinstance(entries, list):
        return set()
    resources = (e.get("resource") for e in entries if isinstance(e, dict))
    return {
        f"{r['resourceType']}/{r['id']}"
        for r in resources
        if isinstance(r, dict) and "id" in r and "resourceType" in r
    }


class OrderSignContext(HookContext):
    """Context of `order-sign`: `draftOrders` is a Bundle of the orders being signed. A bare
    array of resources is read like a bare-array prefetch key (its shape is a data-check item,
    cds.facts.gather): a 400 would lose the emergency card of the rest of the call."""

    draftOrders: dict[str, Any] | list[Any]

    @field_validator("draftOrders")
    @classmethod
    def _check_draft_orders(cls, value: dict[str, Any] | list[Any]) -> dict[str, Any] | list[Any]:
        return value if isinstance(value, list) else _check_bundle(value)


class OrderSelectContext(OrderSignContext):
    """Context of `order-select`: `selections` are `Type/id` references into `draftOrders`."""

    selections: list[str] = Field(min_length=1)

    @field_validator("selections")
    @classmethod
    def _check_selections(cls, value: list[str]) -> list[str]:
        for index, reference in enumerate(value):
            if not _ORD1_REFERENCE.match(reference):
                raise ValueError(f"[{index}] must be a reference 'Type/id'")
        return value

    # A selection naming no resource of draftOrders is not refused: what was received is
    # evaluated, and the mismatch is a data-check item (cds.call, `selection_issues`).


class EncounterDischargeContext(HookContext):
    """Context of `encounter-discharge`: `encounterId` is REQUIRED."""

    encounterId: str


# Feedback is stored: each text is bounded by its column (cds/store/models.py) and holds no NUL
# (PostgreSQL refuses NUL in text), so a bad item is a 400 naming it, never a store error.
#: `card` and suggestion ids: the uuids we issue (the spec's logical model types them `uuid`).
def _feedback_uuid(value: str) -> str:
    if not _UUID.fullmatch(value):  # never echoed: the message names the rule only
        raise ValueError("must be a UUID (the uuid of a card or suggestion we issued)")
    return value.lower()


FeedbackUuid = Annotated[str, AfterValidator(_feedback_uuid)]
#: An override reason's code and system, as the store keeps them.
ReasonCode = Annotated[str, StringConstraints(min_length=1, max_length=100)]
ReasonSystem = Annotated[str, StringConstraints(min_length=1, max_length=300)]
#: Most characters of a free-text userComment or display.
FEEDBACK_TEXT_MAX: Final = 10_000
FeedbackText = Annotated[str, StringConstraints(max_length=FEEDBACK_TEXT_MAX)]


class _FeedbackPart(_Received):
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
        if len(value) > 64 or "\x00" in value:
            raise ValueError("must be an RFC 3339 date-time")
        try:
            parsed = parse_datetime(value)
        except ValueError:
            raise ValueError("must be an RFC 3339 date-time") from None
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


class FeedbackRequest(_Received):
    """The body of `POST {baseUrl}/cds-services/{id}/feedback`."""

    feedback: list[FeedbackItem]


class _FeedbackBatch(_Received):
    """The envelope of a feedback body; its items are parsed one by one."""

    feedback: list[Any]


# --------------------------------------------------------------------------------------------
# What we write: strict.


class _Written(BaseModel):
    """Base of what we write: unknown fields are errors; `extension` is allowed everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    extension: dict[str, Any] | None = None


class Coding(_Written):
    """CDS Hooks' trimmed Coding: `code` and `system` REQUIRED, `display` optional."""

    code: NonEmptyStr
    system: NonEmptyStr
    display: str | None = None


class OverrideReason(Coding):
    """A Coding offered as an override reason: `display` is REQUIRED (cds-resp-4)."""

    display: NonEmptyStr


class Link(_Written):
    """A card link: a web page (`absolute`) or a SMART app to launch (`smart`)."""

    label: NonEmptyStr
    url: NonEmptyStr
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return _absolute_url(value)

    @model_validator(mode="after")
    def _check_app_context(self) -> Self:
        if self.appContext and self.type != "smart":
            raise ValueError("appContext is only allowed on smart links (cds-resp-3)")
        return self


class Source(_Written):
    """The primary source of a card's guidance."""

    label: NonEmptyStr
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    @field_validator("url", "icon")
    @classmethod
    def _check_urls(cls, value: str | None) -> str | None:
        return None if not value else _absolute_url(value)


class Action(_Written):
    """A suggested (or system) action: create or update a `resource`, or delete `resourceId`."""

    type: Literal["create", "update", "delete"]
    description: NonEmptyStr
    resource: dict[str, Any] | None = None
    resourceId: str | None = None

    @field_validator("resource")
    @classmethod
    def _check_resource(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else _resource(value, "resource")

    @field_validator("resourceId")
    @classmethod
    def _check_resource_id(cls, value: str | None) -> str | None:
        if value is not None and not _RELATIVE_REFERENCE.match(value):
            raise ValueError("must be a relative reference 'Type/id'")
        return value

    @model_validator(mode="after")
    def _check_type(self) -> Self:
        if self.type == "delete":
            if self.resourceId is None or self.resource is not None:
                raise ValueError("a delete action needs resourceId and no resource (cds-resp-2)")
        elif self.resource is None:
            raise ValueError(f"a {self.type} action needs a resource")
        elif self.type == "update" and not self.resource.get("id"):
            raise ValueError("an update action needs a resource with an id")
        return self


#: systemActions have the same shape as suggestion actions (2.0.1: `description` REQUIRED).
SystemAction: TypeAlias = Action


def _uuid(value: str | None) -> str | None:
    """Return `value` if it is None or a UUID string, else raise ValueError."""
    if value is not None and not _UUID.match(value):
        raise ValueError("must be a UUID")
    return value


class Suggestion(_Written):
    """A set of actions the user can accept with one click (actions are AND-ed)."""

    label: NonEmptyStr
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None

    @field_validator("uuid")
    @classmethod
    def _check_uuid(cls, value: str | None) -> str | None:
        return _uuid(value)


class Card(_Written):
    """One card of guidance."""

    uuid: str | None = None
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX_CHARS)
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[OverrideReason] | None = None
    links: list[Link] | None = None

    @field_validator("uuid")
    @classmethod
    def _check_uuid(cls, value: str | None) -> str | None:
        return _uuid(value)

    @model_validator(mode="after")
    def _check_suggestions(self) -> Self:
        if self.suggestions and self.selectionBehavior is None:
            raise ValueError(
                "selectionBehavior is required when suggestions are present (cds-resp-6)"
            )
        if self.selectionBehavior == "at-most-one" and self.suggestions:
            recommended = sum(1 for s in self.suggestions if s.isRecommended)
            if recommended > 1:
                raise ValueError(
                    "at most one suggestion may be recommended with at-most-one (cds-resp-1)"
                )
        return self


class HookResponse(_Written):
    """The body of a `200` answer to a hook call: `cards` (may be empty) and `systemActions`."""

    cards: list[Card]
    systemActions: list[SystemAction] | None = None


class Service(_Written):
    """One entry of the discovery response."""

    hook: NonEmptyStr
    title: str | None = None
    description: NonEmptyStr
    id: NonEmptyStr
    prefetch: dict[str, NonEmptyStr] | None = None
    usageRequirements: str | None = None

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _SERVICE_ID.match(value):
            raise ValueError("must be usable as a URL path segment")
        return value

    @field_validator("prefetch")
    @classmethod
    def _check_prefetch_keys(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and "" in value:
            raise ValueError("prefetch keys must not be empty")
        return value


class Discovery(_Written):
    """The body of `GET {baseUrl}/cds-services`."""

    services: list[Service]


# --------------------------------------------------------------------------------------------
# Parsing (errors → InputError) and serialising (no null or empty elements).

_ModelT = TypeVar("_ModelT", bound=BaseModel)


def _describe(exc: ValidationError) -> tuple[str, list[dict[str, str]]]:
    """Summarise `exc` as one line plus `[{"loc", "msg"}]`, without any input values."""
    details = []
    for error in exc.errors(include_input=False, include_url=False, include_context=False):
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        msg = error["msg"].removeprefix("Value error, ")
        details.append({"loc": loc.lstrip("."), "msg": msg})
    line = "; ".join(f"{d['loc']}: {d['msg']}" if d["loc"] else d["msg"] for d in details)
    return line, details


def _parse(model: type[_ModelT], data: Any, what: str) -> _ModelT:
    """Validate `data` as `model`, raising `InputError` that names every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        line, details = _describe(exc)
        raise InputError(f"invalid {what}: {line}", details=details) from exc


def parse_model(model: type[_ModelT], data: Any, what: str) -> _ModelT:
    """Validate `data` as `model`, raising `InputError` that names every bad field."""
    return _parse(model, data, what)


def parse_feedback(data: Any) -> FeedbackRequest:
    """Parse a feedback body, or raise `InputError`."""
    return _parse(FeedbackRequest, data, "feedback")


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
    envelope = _parse(_FeedbackBatch, data, "feedback")
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
            line, _ = _describe(exc)
            refused[index] = line
    return FeedbackBatch(items, refused)


def _prune(value: Any) -> Any:
    """Drop null and empty members from objects, and empty items from arrays, recursively.

    `None` items inside arrays are kept: FHIR JSON uses them to align primitive arrays with
    their `_element` extension arrays, and our own models never put `None` in a list.
    """
    kind = type(value)
    if kind is dict:
        return _pruned_dict(value)
    if kind is list:
        return _pruned_list(value)
    return value


# ``model_dump(mode="json")`` gives plain dicts, lists and scalars only, hence the exact type
# tests: these walks visit every member of every card (suggestions carry whole FHIR resources),
# and cds review writes millions of cards.
def _pruned_dict(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in data.items():
        kind = type(value)
        if kind is dict:
            value = _pruned_dict(value)
        elif kind is list:
            value = _pruned_list(value)
        elif value is None:
            continue
        if value or (kind is not dict and kind is not list and kind is not str):
            out[key] = value
    return out


def _pruned_list(items: list[Any]) -> list[Any]:
    out = []
    for value in items:
        kind = type(value)
        if kind is dict:
            value = _pruned_dict(value)
        elif kind is list:
            value = _pruned_list(value)
        if value or (kind is not dict and kind is not list and kind is not str):
            out.append(value)
    return out


def dump(model: BaseModel, *, validate: bool = True) -> dict[str, Any]:
    """Serialise `model` to JSON-ready data with no null or empty element.

    The spec's two sanctioned empties survive: `{"cards": []}` and `{"services": []}`. Strict
    models are validated again from the output, so a response that was changed after it was
    built (a list appended to, say) cannot leave the service broken; `validate=False` skips
    that for a response its caller has just built and not touched (cds review writes millions).
    """
    data: dict[str, Any] = _prune(model.model_dump(mode="json", exclude_none=True))
    if isinstance(model, HookResponse):
        data = {"cards": data.pop("cards", []), **data}
    elif isinstance(model, Discovery):
        data = {"services": data.pop("services", []), **data}
    if validate and isinstance(model, _Written):
        type(model).model_validate(data)
    return data


def dump_response(resp: HookResponse, *, validate: bool = True) -> dict[str, Any]:
    """Serialise a hook response (see `dump`)."""
    return dump(resp, validate=validate)


def dump_discovery(discovery: Discovery) -> dict[str, Any]:
    """Serialise a discovery response (see `dump`)."""
    return dump(discovery)
