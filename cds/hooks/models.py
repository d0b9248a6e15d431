"""What a service writes: cards, the hook response and the discovery document.

Strict (`cds.hooks.wire.WrittenModel`: ``extra="forbid"``, frozen), enforcing the spec's
invariants (`cds-resp-1..6`). Serialise with `dump` (or `dump_response` / `dump_discovery`):
the spec forbids `null` and empty elements except `{"cards": []}` and `{"services": []}`.
"""

from __future__ import annotations

import re
from typing import Any, Final, Literal, Self, TypeAlias

from pydantic import BaseModel, Field, field_validator, model_validator

from cds.hooks.wire import UUID_PATTERN, NonEmptyStr, WrittenModel, absolute_url

_RELATIVE_REFERENCE: Final = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]+$")
_SERVICE_ID: Final = re.compile(r"^[A-Za-z0-9._~\-]+$")


#: The longest `Card.summary` we emit. The spec says "<140-character"; 139 satisfies both
#: readings of that (fewer than 140, or at most 140).
SUMMARY_MAX_CHARS: Final = 139


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


class Coding(WrittenModel):
    """CDS Hooks' trimmed Coding: `code` and `system` REQUIRED, `display` optional."""

    code: NonEmptyStr
    system: NonEmptyStr
    display: str | None = None


class OverrideReason(Coding):
    """A Coding offered as an override reason: `display` is REQUIRED (cds-resp-4)."""

    display: NonEmptyStr


class Link(WrittenModel):
    """A card link: a web page (`absolute`) or a SMART app to launch (`smart`)."""

    label: NonEmptyStr
    url: NonEmptyStr
    type: Literal["absolute", "smart"]
    appContext: str | None = None
    autolaunchable: bool | None = None

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        return absolute_url(value)

    @model_validator(mode="after")
    def _check_app_context(self) -> Self:
        if self.appContext and self.type != "smart":
            raise ValueError("appContext is only allowed on smart links (cds-resp-3)")
        return self


class Source(WrittenModel):
    """The primary source of a card's guidance."""

    label: NonEmptyStr
    url: str | None = None
    icon: str | None = None
    topic: Coding | None = None

    @field_validator("url", "icon")
    @classmethod
    def _check_urls(cls, value: str | None) -> str | None:
        return None if not value else absolute_url(value)


class Action(WrittenModel):
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
    if value is not None and not UUID_PATTERN.match(value):
        raise ValueError("must be a UUID")
    return value


class Suggestion(WrittenModel):
    """A set of actions the user can accept with one click (actions are AND-ed)."""

    label: NonEmptyStr
    uuid: str | None = None
    isRecommended: bool | None = None
    actions: list[Action] | None = None

    @field_validator("uuid")
    @classmethod
    def _check_uuid(cls, value: str | None) -> str | None:
        return _uuid(value)


class Card(WrittenModel):
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


class HookResponse(WrittenModel):
    """The body of a `200` answer to a hook call: `cards` (may be empty) and `systemActions`."""

    cards: list[Card]
    systemActions: list[SystemAction] | None = None


class Service(WrittenModel):
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


class Discovery(WrittenModel):
    """The body of `GET {baseUrl}/cds-services`."""

    services: list[Service]


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
    if validate and isinstance(model, WrittenModel):
        type(model).model_validate(data)
    return data


def dump_response(resp: HookResponse, *, validate: bool = True) -> dict[str, Any]:
    """Serialise a hook response (see `dump`)."""
    return dump(resp, validate=validate)


def dump_discovery(discovery: Discovery) -> dict[str, Any]:
    """Serialise a discovery response (see `dump`)."""
    return dump(discovery)
