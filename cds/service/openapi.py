"""The OpenAPI 3.1 document of the service (`GET /openapi.json`), built from the wire models.

The routes read their bodies themselves (size limit, orjson, our own 400s), so FastAPI cannot
infer what they accept; this module says it: one path per service with the request schema of
its hook (`hook` fixed, the hook's context model, prefetch as any object: undeclared keys
are ignored), the cards or OperationOutcome answers with every status the service gives, and the
`Server-Timing` header. `tests/fuzz/test_openapi.py` checks that the golden requests and
responses conform, and runs schemathesis against the running server.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from cds.fhir import FHIR_ID, bundle
from cds.hooks.feedback import FeedbackRequest
from cds.hooks.models import Discovery, HookResponse
from cds.hooks.registry import ORDER_HOOKS, context_model
from cds.hooks.request import HookContext, HookRequest
from cds.hooks.wire import received_models
from cds.services import ServiceSpec

REF: Final = "#/components/schemas/{model}"
JSON: Final = "application/json"
#: FHIR id characters (`cds.fhir.FHIR_ID`), and ord-1 references, as JSON Schema patterns.
FHIR_ID_PATTERN: Final = FHIR_ID.pattern
ID_CHARS: Final = r"[A-Za-z0-9_.\-]"
REFERENCE_PATTERN: Final = rf"^[A-Za-z0-9_]+/{ID_CHARS}+$"

#: Why each status is answered (docs/service.md, "Errors").
STATUS_TEXT: Final = {
    400: "Body not JSON, missing or invalid fields, context invalid for the hook, or a hook "
    "other than the service's. Feedback: `issue[0].expression` names the refused items "
    "(`feedback[i]`); the other items were stored.",
    401: "A JWT problem (the body says only `unauthorized`).",
    412: "Required prefetch (`patient`, `conditions`) neither sent nor fetchable (or only in "
    "part), and nothing received puts the patient in the pack's scope; "
    "`issue[0].expression` names the keys.",
    413: "Body larger than `max_body_bytes` (feedback: more items than `feedback_max_items`).",
    415: "A Content-Type that is not JSON (send `application/json`; `application/fhir+json` and "
    "other `+json` types are read too, and so is a body with no Content-Type), or a "
    "Content-Encoding other than `identity`.",
    503: "The feedback database is down; retry later (hook calls keep answering).",
}
HOOK_ERRORS: Final = (400, 401, 412, 413, 415)
#: `GET /healthz`: no JWT, no patient data; 200 while hooks are answered.
HEALTH_OPERATION: Final[dict[str, Any]] = {
    "operationId": "health",
    "summary": "For load balancers: whether the service answers, and whether its store does.",
    "security": [],
    "responses": {
        "200": {
            "description": "`pass`, or `warn` when the store does not answer (hooks still do).",
            "content": {
                JSON: {
                    "schema": {
                        "type": "object",
                        "required": ["status", "checks"],
                        "properties": {
                            "status": {"enum": ["pass", "warn"]},
                            "checks": {
                                "type": "object",
                                "required": ["store"],
                                "properties": {"store": {"enum": ["pass", "fail"]}},
                            },
                        },
                    }
                }
            },
        }
    },
}
FEEDBACK_ERRORS: Final = (400, 401, 413, 415, 503)

OPERATION_OUTCOME: Final[dict[str, Any]] = {
    "title": "OperationOutcome",
    "description": "Every error: one issue with our stable error code and the message.",
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code", "details", "diagnostics"],
                "additionalProperties": False,
                "properties": {
                    "severity": {"const": "error"},
                    "code": {"type": "string", "minLength": 1},
                    "details": {
                        "type": "object",
                        "required": ["coding"],
                        "properties": {
                            "coding": {
                                "type": "array",
                                "minItems": 1,
                                "items": {
                                    "type": "object",
                                    "required": ["system", "code"],
                                    "properties": {
                                        "system": {"type": "string"},
                                        "code": {"type": "string", "minLength": 1},
                                    },
                                },
                            }
                        },
                    },
                    "diagnostics": {"type": "string"},
                    "expression": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}
#: A prefetch value: a FHIR resource (a JSON object with a resourceType) or null.
PREFETCH_VALUE: Final[dict[str, Any]] = {
    "anyOf": [
        {
            "type": "object",
            "required": ["resourceType"],
            "properties": {"resourceType": {"type": "string", "minLength": 1}},
        },
        {"type": "null"},
    ]
}
#: `draftOrders`: a Bundle whose entries hold resources. Read as leniently as prefetch: an
#: `entry` sent as one object, or an entry that is not a resource, is a data-check item (the
#: other drafts are still evaluated), so the document does not constrain the entries. A bare
#: array of resources is read as the Bundle's entries (its shape a data-check item).
DRAFT_ORDERS: Final[dict[str, Any]] = {
    "anyOf": [
        {
            "type": "object",
            "required": ["resourceType"],
            "properties": {"resourceType": {"const": "Bundle"}},
        },
        {"type": "array"},
    ]
}
#: What an optional field of a received model may also hold: "" (or blanks) is read as its
#: absence.
EMPTY: Final = {"type": "string", "pattern": r"^\s*$"}
SERVER_TIMING: Final = {
    "Server-Timing": {
        "description": "Durations of the `parse`, `prefetch` and `evaluate` steps in ms.",
        "required": True,
        "schema": {"type": "string"},
    }
}


def openapi_document(
    services: Mapping[str, ServiceSpec], title: str, version: str
) -> dict[str, Any]:
    """The OpenAPI document of these services."""
    hooks = sorted({spec.hook for spec in services.values()})
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        (HookRequest, "validation"),
        (FeedbackRequest, "validation"),
        (HookResponse, "serialization"),
        (Discovery, "serialization"),
    ]
    contexts = [m for m in map(context_model, hooks) if m is not None]
    models += [(model, "validation") for model in contexts]
    _, top = models_json_schema(models, ref_template=REF)
    schemas: dict[str, Any] = dict(top.get("$defs", {}))
    _tighten(schemas, contexts)
    _empty_is_absent(schemas)
    schemas["OperationOutcome"] = OPERATION_OUTCOME
    for hook in hooks:
        schemas[_request_name(hook)] = _hook_request(schemas["HookRequest"], hook)

    paths: dict[str, Any] = {
        "/healthz": {"get": HEALTH_OPERATION},
        "/cds-services": {
            "get": {
                "operationId": "discovery",
                "summary": "Discovery: the services of the rule pack.",
                "responses": {"200": _json_response("The services.", "Discovery")}
                | _errors((401,)),
            }
        },
    }
    for spec in services.values():
        paths[f"/cds-services/{spec.id}"] = {"post": _hook_operation(spec)}
        paths[f"/cds-services/{spec.id}/feedback"] = {"post": _feedback_operation(spec)}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "CDS Hooks 2.0 services. Calls carry a JWT (`Authorization: Bearer`) "
            "from a configured CDS Client, except in development mode; unknown service ids "
            "answer 404, other methods 405, all as OperationOutcome. A request line over "
            "`max_request_line_bytes` answers 414, header fields over `max_header_bytes` 431, "
            "a request head not complete in `header_timeout_seconds` 408 (then the connection "
            "is closed). Every GET path answers HEAD; paths answer with a trailing slash too.",
        },
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _tighten(schemas: dict[str, Any], contexts: list[type[HookContext]]) -> None:
    """What the models' validators check, said in JSON Schema where it can be."""
    request = schemas["HookRequest"]["properties"]
    # Any value is accepted: an undeclared key is ignored whatever it holds, and a declared one
    # that is not a resource is a gap in the data (a data-check item), not a bad request.
    request["prefetch"] = {
        "anyOf": [{"type": "object", "additionalProperties": True}, {"type": "null"}],
        "default": None,
        "description": "Per declared key: a FHIR resource (often a searchset Bundle), an "
        "OperationOutcome, or null (known empty). Undeclared keys are ignored.",
    }
    request["fhirServer"] = {
        "anyOf": [{"type": "string", "pattern": "^https?://[^/]"}, {"type": "null"}],
        "default": None,
    }
    item = schemas["FeedbackItem"]
    item["properties"]["outcomeTimestamp"] = {"type": "string", "format": "date-time"}
    item["if"] = {"properties": {"outcome": {"const": "accepted"}}}  # cds-fb-2
    item["then"] = {
        "required": ["acceptedSuggestions"],
        "properties": {"acceptedSuggestions": {"type": "array", "minItems": 1}},
    }
    schemas["OverrideReasonFeedback"]["anyOf"] = [  # cds-fb-3
        {"required": ["reason"], "properties": {"reason": {"type": "object"}}},
        {
            "required": ["userComment"],
            "properties": {"userComment": {"type": "string", "minLength": 1}},
        },
    ]
    for model in contexts:
        schema = schemas[model.__name__]
        props = schema["properties"]
        users = "|".join(model.user_types)
        props["userId"] = {"type": "string", "pattern": f"^({users})/{ID_CHARS}+$"}
        props["patientId"] = {"type": "string", "pattern": FHIR_ID_PATTERN}
        encounter = {"type": "string", "pattern": FHIR_ID_PATTERN}
        if "encounterId" in schema.get("required", []):
            props["encounterId"] = encounter
        else:
            props["encounterId"] = {"anyOf": [encounter, {"type": "null"}], "default": None}
        if "draftOrders" in props:
            props["draftOrders"] = DRAFT_ORDERS
        if "selections" in props:
            props["selections"]["items"] = {"type": "string", "pattern": REFERENCE_PATTERN}


def _empty_is_absent(schemas: dict[str, Any]) -> None:
    """Let every optional property of what clients send be "" too (read as absent,
    `cds.hooks.wire.ReceivedModel`): each is ``anyOf`` its type and null."""
    for model in received_models():
        schema = schemas.get(model.__name__)
        if schema is None:  # not in the document (a private envelope)
            continue
        required = set(schema.get("required", ()))
        for name, prop in schema["properties"].items():
            if name not in required and "anyOf" in prop:
                prop["anyOf"].append(EMPTY)


def _request_name(hook: str) -> str:
    return "HookRequest-" + hook


def _hook_request(base: dict[str, Any], hook: str) -> dict[str, Any]:
    """The request schema of one hook: `hook` fixed, `context` the hook's model."""
    schema = copy.deepcopy(base)
    schema["title"] = f"{hook} request"
    schema["properties"]["hook"] = {"const": hook}
    model = context_model(hook)
    if model is not None:
        schema["properties"]["context"] = {"$ref": REF.format(model=model.__name__)}
    return schema


def hook_example(hook: str) -> dict[str, Any]:
    """A small valid call of `hook`: a patient with low back pain, everything prefetched."""
    patient = "example"
    subject = {"reference": f"Patient/{patient}"}
    context: dict[str, Any] = {"userId": "Practitioner/example", "patientId": patient}
    if hook in ORDER_HOOKS:
        draft = {
            "resourceType": "MedicationRequest",
            "id": "draft-1",
            "status": "draft",
            "intent": "order",
            "subject": subject,
            "medicationCodeableConcept": {"text": "ibuprofen 400 mg oral tablet"},
        }
        context["draftOrders"] = bundle([draft], "collection")
        if hook == "order-select":
            context["selections"] = ["MedicationRequest/draft-1"]
    if hook == "encounter-discharge":
        context["encounterId"] = "example-encounter"
    back_pain = {
        "resourceType": "Condition",
        "id": "lbp",
        "subject": subject,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]},
    }
    return {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": context,
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": patient},
            "conditions": bundle([back_pain], "searchset"),
            "observations": None,
            "medications": None,
        },
    }


FEEDBACK_EXAMPLE: Final = {
    "feedback": [
        {
            "card": "9368d37b-283f-44a0-93ea-547cebab93ed",
            "outcome": "overridden",
            "overrideReason": {"userComment": "already treated"},
            "outcomeTimestamp": "2026-11-26T08:00:00Z",
        }
    ]
}


def _hook_operation(spec: ServiceSpec) -> dict[str, Any]:
    ok = _json_response("The cards (possibly none).", "HookResponse")
    ok["headers"] = SERVER_TIMING
    body = _json_body(_request_name(spec.hook))
    body["content"][JSON]["example"] = hook_example(spec.hook)
    return {
        "operationId": f"call-{spec.id}",
        "summary": spec.service.title or spec.id,
        "description": spec.service.description,
        "requestBody": body,
        "responses": {"200": ok} | _errors(HOOK_ERRORS),
    }


def _feedback_operation(spec: ServiceSpec) -> dict[str, Any]:
    body = _json_body("FeedbackRequest")
    body["content"][JSON]["example"] = FEEDBACK_EXAMPLE
    return {
        "operationId": f"feedback-{spec.id}",
        "summary": f"Feedback on the cards of {spec.id}.",
        "requestBody": body,
        "responses": {
            "200": {
                "description": "Stored (each item once).",
                "content": {JSON: {"schema": {"type": "object", "maxProperties": 0}}},
            }
        }
        | _errors(FEEDBACK_ERRORS),
    }


def _json_body(name: str) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": {"$ref": REF.format(model=name)}}}}


def _json_response(description: str, name: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {JSON: {"schema": {"$ref": REF.format(model=name)}}},
    }


def _errors(statuses: tuple[int, ...]) -> dict[str, Any]:
    errors = {str(s): _json_response(STATUS_TEXT[s], "OperationOutcome") for s in statuses}
    if "503" in errors:
        errors["503"]["headers"] = {
            "Retry-After": {
                "description": "Seconds to wait before retrying (`retry_after_seconds`).",
                "required": True,
                "schema": {"type": "string", "pattern": "^[0-9]+$"},
            }
        }
    return errors
