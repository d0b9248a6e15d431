"""What a CDS Client sends to a service: the hook request and the per-hook contexts.

Parsed tolerantly (`cds.hooks.wire.ReceivedModel`). `HookRequest` keeps `context` as a dict;
`cds.hooks.registry` checks it against the hook's context model defined here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, ClassVar, Final, Literal, Self

from pydantic import Field, field_validator, model_validator

from cds.fhir import FHIR_ID
from cds.hooks.wire import NonEmptyStr, ReceivedModel, absolute_url

# ord-1 from the hook library: `^[\d\w]+\/[\d\w-.]+$`. FHIRPath regexes follow Java, where \w
# is ASCII-only, hence re.ASCII.
_ORD1_REFERENCE: Final = re.compile(r"^(\w+)/[\w.\-]+$", re.ASCII)

_CLINICIANS: Final = ("Practitioner", "PractitionerRole")
_ANY_USER: Final = ("Practitioner", "PractitionerRole", "Patient", "RelatedPerson")


def _fhir_id(value: str) -> str:
    """Return `value` if it is made of FHIR id characters, else raise ValueError."""
    if not FHIR_ID.match(value):
        raise ValueError("must be a FHIR id ([A-Za-z0-9-.])")
    return value


class FhirAuthorization(ReceivedModel):
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


class HookRequest(ReceivedModel):
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
        return None if value is None else absolute_url(value)

    @model_validator(mode="after")
    def _check_server_with_token(self) -> Self:
        if self.fhirAuthorization is not None and self.fhirServer is None:
            raise ValueError("fhirServer is required when fhirAuthorization is given (cds-r-1)")
        return self


class HookContext(ReceivedModel):
    """Context fields common to the hooks we serve: `userId`, `patientId`, `encounterId`."""

    #: The resource types `userId` may reference for this hook (from the hook definition).
    user_types: ClassVar[tuple[str, ...]] = _CLINICIANS

    userId: NonEmptyStr
    patientId: NonEmptyStr
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

    @field_validator("draftOrders", mode="before")
    @classmethod
    def _check_draft_orders(cls, value: Any) -> Any:
        # before the type's own check: its union would name both branches in Python terms
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return _check_bundle(value)
        raise ValueError("must be a FHIR Bundle of the draft orders (or an array of resources)")


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

    encounterId: NonEmptyStr
