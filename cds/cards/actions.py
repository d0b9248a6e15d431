"""FHIR R4 resources that card suggestions create, validated before they leave.

fhir.resources 8 has no R4 package; its R4B models match R4 for these resources (see
shared/design/engine-notes.md B1), so they validate what we send R4 EHRs.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.communicationrequest import CommunicationRequest
from fhir.resources.R4B.medicationrequest import MedicationRequest
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

from cds.errors import RulePackError
from cds.pack.schema import Suggestion

SNOMED = "http://snomed.info/sct"


def build_action_resource(
    spec: Suggestion, patient_id: str, encounter_id: str | None, text: str | None
) -> dict[str, Any]:
    """The resource a 'create' action carries, as R4 JSON, validated."""
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
    elif spec.action == "create-follow-up":
        model = ServiceRequest
        resource = {
            "resourceType": "ServiceRequest",
            "status": "draft",
            "intent": "proposal",
            "code": _concept(spec),
            "subject": subject,
            **encounter,
        }
    else:  # replace-draft-order: the safer medicine
        model = MedicationRequest
        resource = {
            "resourceType": "MedicationRequest",
            "status": "draft",
            "intent": "proposal",
            "medicationCodeableConcept": _concept(spec),
            "subject": subject,
            **encounter,
        }
    try:
        model.model_validate(resource)
    except ValidationError as exc:
        raise RulePackError(
            f"suggestion '{spec.label}' builds an invalid {model.__name__}: "
            f"{exc.errors()[0]['msg']}"
        ) from exc
    return resource


def _concept(spec: Suggestion) -> dict[str, Any]:
    concept: dict[str, Any] = {"text": spec.replacement_text or spec.label}
    if spec.replacement_code:
        concept["coding"] = [
            {
                "system": spec.replacement_system or SNOMED,
                "code": spec.replacement_code,
                "display": spec.replacement_text or spec.label,
            }
        ]
    return concept
