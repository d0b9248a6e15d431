"""FHIR R4 resources that card suggestions create, validated before they leave.

fhir.resources 8 has no R4 package; its R4B models match R4 for these resources (see
shared/design/engine-notes.md B1), so they validate what we send R4 EHRs.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson
from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from cds.errors import RulePackError
from cds.pack.schema import SuggestionSpec

SNOMED = "http://snomed.info/sct"


def build_action_resource(
    spec: SuggestionSpec, patient_id: str, encounter_id: str | None, text: str | None
) -> dict[str, Any]:
    """The resource a 'create' action carries (create-instructions, create-follow-up), as
    R4 JSON, validated. A replace-draft-order is an update: see ``replaced_order``.

    Validation runs on the same resource with fixed placeholder ids (patient and encounter
    ids are FHIR ids already checked with the request), so it is done once per distinct
    suggestion rather than once per patient. Instructions made only of characters that FHIR's
    string pattern allows anywhere (all but odd whitespace) validate as any other such text does,
    so they share one placeholder text: passages with parts make many distinct instructions,
    and validating each (~0.5 ms) cost more than the rest of the card.
    """
    shape = _PLAIN_TEXT if text and _plain(text) else text
    key = (id(spec), bool(encounter_id), shape)
    checked = _CHECKED.get(key)
    if checked is None or checked[0] is not spec:  # the template is (spec, encounter?, text)'s
        model, template = _build(
            spec, "placeholder", "placeholder" if encounter_id else None, shape
        )
        if len(_CHECKED) > 4096:
            _CHECKED.clear()
        checked = _CHECKED[key] = (
            spec,
            model.__name__,
            _validate(model.__name__, orjson.dumps(template)),
        )
    _, name, problem = checked
    if problem:
        raise RulePackError(f"suggestion '{spec.label}' builds an invalid {name}: {problem}")
    return _build(spec, patient_id, encounter_id, text)[1]


_PLAIN_TEXT = "placeholder instructions"
"""Stands for every non-empty instructions text without an ``_ODD_SPACES`` character."""
_ODD_SPACES = (
    "\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""Whitespace outside FHIR's string pattern (space, tab, CR and LF and every other character
but whitespace): each character ``str.isspace`` holds but those four (a test checks)."""


def _plain(text: str) -> bool:
    """No ``_ODD_SPACES`` character in ``text``: 25 C scans, ~40x faster than a regex over
    kilobytes of instructions."""
    return not any(c in text for c in _ODD_SPACES)


_CHECKED: dict[tuple[int, bool, str | None], tuple[SuggestionSpec, str, str | None]] = {}
"""(suggestion, encounter given, instructions) → the suggestion (held, so its id stays its
own), the model and the first problem of its placeholder resource: remembered without
serialising the template (the instructions run to kilobytes) on every call."""


def _build(
    spec: SuggestionSpec, patient_id: str, encounter_id: str | None, text: str | None
) -> tuple[Any, dict[str, Any]]:
    subject = {"reference": f"Patient/{patient_id}"}
    encounter = {"encounter": {"reference": f"Encounter/{encounter_id}"}} if encounter_id else {}
    model: Any
    if spec.action == "create-instructions":
        model = CommunicationRequest
        resource = {
            "resourceType": "CommunicationRequest",
            "status": "active",
            "subject": subject,
            "recipient": [subject],
            "category": [{"text": "Patient instructions"}],
            "payload": [{"contentString": text or ""}],
            **encounter,
        }
    else:
        model = ServiceRequest
        resource = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "code": _concept(spec),
            "subject": subject,
            **encounter,
        }
    return model, resource


_REPLACED = ("medicationReference", "dosageInstruction", "dispenseRequest", "substitution", "text")
"""Parts of a draft MedicationRequest that describe the old medicine (its dose, supply and
narrative would be wrong for the new one) and are left out of the replaced order."""


def replaced_order(spec: SuggestionSpec, draft: Mapping[str, Any]) -> dict[str, Any] | None:
    """The draft MedicationRequest with its medicine replaced by the suggestion's, as R4 JSON
    for an ``update`` action (same resourceType and id); None when the draft is not a
    MedicationRequest or the result is not valid R4 (the draft was not, to begin with).

    The dose, supply and narrative of the old medicine are dropped: the prescriber sets the
    new medicine's dose. A contained Medication the old order pointed at goes with it.
    """
    if draft.get("resourceType") != "MedicationRequest" or not draft.get("id"):
        return None
    resource = {k: v for k, v in draft.items() if k not in _REPLACED}
    old = draft.get("medicationReference")
    ref = old.get("reference") if isinstance(old, Mapping) else None
    if isinstance(ref, str) and ref.startswith("#") and isinstance(draft.get("contained"), list):
        kept = [c for c in draft["contained"] if not _is_contained(c, ref[1:])]
        if kept:
            resource["contained"] = kept
        else:
            resource.pop("contained", None)
    resource["medicationCodeableConcept"] = _concept(spec)
    if _validate("MedicationRequest", orjson.dumps(resource)):
        resource = _single_objects_as_lists(resource)
        if _validate("MedicationRequest", orjson.dumps(resource)):
            return None
    return resource


def _single_objects_as_lists(resource: dict[str, Any]) -> dict[str, Any]:
    """`resource` with each top-level element that R4 makes a list but the draft gives as one
    object wrapped in a list. The official CDS Hooks Sandbox's Rx View sends its draft's
    `category` as one CodeableConcept (the STU3 shape; R4 has 0..*): without this, the
    update built from that draft was invalid and the swap suggestion silently left out."""
    try:
        MedicationRequest.model_validate(resource)
    except ValidationError as exc:
        fixed = dict(resource)
        for error in exc.errors():
            loc = error["loc"]
            if error["type"] == "list_type" and len(loc) == 1:
                key = str(loc[0])
                if isinstance(fixed.get(key), Mapping):
                    fixed[key] = [fixed[key]]
        return fixed
    return resource


def _is_contained(item: object, local_id: str) -> bool:
    return isinstance(item, Mapping) and item.get("id") == local_id


_MODELS: dict[str, Any] = {
    m.__name__: m for m in (CommunicationRequest, MedicationRequest, ServiceRequest)
}


@lru_cache(maxsize=4096)
def _validate(model_name: str, resource: bytes) -> str | None:
    """The first validation problem of a resource (None: valid). fhir.resources validation
    costs ~0.3 ms a resource and suggestions repeat (same instructions, same replacement),
    so each distinct resource is validated once."""
    try:
        _MODELS[model_name].model_validate_json(resource)
    except ValidationError as exc:
        return str(exc.errors()[0]["msg"])
    return None


def _concept(spec: SuggestionSpec) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": spec.replacement_text or spec.label}
    if spec.replacement_code:
        concept["coding"] = [
            {
                "system": spec.replacement_system or SNOMED,
                "code": spec.replacement_code,
                "display": spec.replacement_display or spec.replacement_text or spec.label,
            }
        ]
    return concept
