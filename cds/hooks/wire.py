"""The two policies of the CDS Hooks 2.0.1 wire models, and parsing with readable errors.

One policy per direction:

* What EHRs send us (`cds.hooks.request`: `HookRequest`, the per-hook contexts;
  `cds.hooks.feedback`) is parsed tolerantly (`ReceivedModel`): unknown fields and `extension`
  objects are kept (``extra="allow"``), an empty string in an OPTIONAL field is read as the
  field's absence, but REQUIRED fields are required (and not empty) and closed code lists
  are `Literal`s. `parse_model` turns pydantic errors into `InputError` (HTTP 400) with a
  message that names the offending field and never echoes input values (tokens stay out of
  logs).
* What we write (`cds.hooks.models`: `HookResponse`, `Card`, `Discovery` and their parts) is
  strict (`WrittenModel`: ``extra="forbid"``, frozen) and enforces the spec's invariants
  (`cds-resp-1..6`).

Invariant ids (`cds-r-1`, `cds-resp-6`, `cds-fb-2`, `ord-1`) are those of the HL7 logical
models in ``shared/cds-hooks/examples/schemas/``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Final, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError, model_validator
from pydantic_core import ErrorDetails

from cds.errors import InputError

NonEmptyStr = Annotated[str, StringConstraints(min_length=1)]

#: A UUID as the spec's logical models type `uuid` (card, suggestion, feedback ids).
UUID_PATTERN: Final = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def absolute_url(value: str) -> str:
    """Return `value` if it is an absolute http(s) URL, else raise ValueError."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


class ReceivedModel(BaseModel):
    """Base of what CDS Clients send: unknown members are kept, inputs never echoed in errors,
    and an empty (or all-blank) string in an optional field is read as if it were absent."""

    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_optional_is_absent(cls, data: Any) -> Any:
        # Real feeds send "" for a value they do not have (`"encounterId": ""`, `"fhirServer":
        # ""`), and fixed-width ones blanks ("   "): a 400 would lose the cards, so it counts
        # as absent, as null does. A required field is not dropped: an empty one is refused
        # naming it.
        if not isinstance(data, dict) or not any(map(_blank, data.values())):
            return data
        fields = cls.model_fields
        return {
            name: value
            for name, value in data.items()
            if not _blank(value) or name not in fields or fields[name].is_required()
        }


def _blank(value: object) -> bool:
    """An empty or all-blank string."""
    return isinstance(value, str) and not value.strip()


def received_models() -> list[type[ReceivedModel]]:
    """Every model of what clients send (the subclasses of `ReceivedModel`, at any depth)."""
    found: list[type[ReceivedModel]] = []
    waiting = ReceivedModel.__subclasses__()
    while waiting:
        model = waiting.pop()
        found.append(model)
        waiting.extend(model.__subclasses__())
    return found


class WrittenModel(BaseModel):
    """Base of what we write: unknown fields are errors; `extension` is allowed everywhere."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    extension: dict[str, Any] | None = None


_ModelT = TypeVar("_ModelT", bound=BaseModel)


#: Our words for pydantic's error types (its own messages name Python types and classes:
#: "Input should be a valid dictionary or instance of FhirAuthorization"), filled from the
#: error's context; a type not listed keeps pydantic's message.
WORDING: Final = {
    "missing": "is required",
    "dict_type": "must be a JSON object",
    "list_type": "must be a JSON array",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "literal_error": "must be {expected}",
    "string_too_short": "must be at least {min_length} characters long",
    "string_too_long": "must be at most {max_length} characters long",
    "too_short": "must hold at least {min_length} items",
    "too_long": "must hold at most {max_length} items",
}


def describe_errors(exc: ValidationError) -> tuple[str, list[dict[str, str]]]:
    """Summarise `exc` as one line plus `[{"loc", "msg"}]`, in our words (`reword`), without
    any input values."""
    details = []
    for error in exc.errors(include_input=False, include_url=False):
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"])
        details.append({"loc": loc.lstrip("."), "msg": reword(error)})
    line = "; ".join(f"{d['loc']}: {d['msg']}" if d["loc"] else d["msg"] for d in details)
    return line, details


def reword(error: ErrorDetails) -> str:
    """One validation error as the wire speaks: JSON objects, arrays and strings, never a
    Python type or class name; our validators' own messages as they are."""
    kind, context = error["type"], error.get("ctx", {})
    if kind in ("string_too_short", "too_short") and context.get("min_length") == 1:
        return "must not be empty"
    if kind in ("model_type", "model_attributes_type"):
        return _object_of(context.get("class_name"))
    if kind in WORDING:
        return WORDING[kind].format(**context)
    return error["msg"].removeprefix("Value error, ")


def _object_of(class_name: object) -> str:
    """What a received model is on the wire: a JSON object, with its required members."""
    model = next((m for m in received_models() if m.__name__ == class_name), None)
    required = [n for n, f in model.model_fields.items() if f.is_required()] if model else []
    if not required:
        return "must be a JSON object"
    members = ", ".join(required[:-1]) + " and " if len(required) > 1 else ""
    return f"must be a JSON object with {members}{required[-1]}"


def parse_model(model: type[_ModelT], data: Any, what: str) -> _ModelT:
    """Validate `data` as `model`, raising `InputError` that names every bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        line, details = describe_errors(exc)
        raise InputError(f"invalid {what}: {line}", details=details) from exc
