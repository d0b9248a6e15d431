"""The services a rule pack offers: one per hook, id `<pack>-<hook>`, with prefetch templates.

Templates use only CDS Hooks 2.0 tokens (`{{context.patientId}}`) and the restricted query
subset (reference, token, `_sort`, `_count`), so every 2.0 client can fill them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cds.hooks.models import Discovery, Service
from cds.pack.load import Pack
from cds.service.prefetch import PrefetchKey

#: Prefetch keys every service declares. Without the patient and the conditions the pack
#: cannot tell whether it speaks about this patient at all, so those are required.
PREFETCH: Final = (
    PrefetchKey("patient", "Patient/{{context.patientId}}", required=True),
    PrefetchKey("conditions", "Condition?patient={{context.patientId}}", required=True),
    # Recent first, so a client that truncates drops the oldest results, not today's fever.
    PrefetchKey(
        "observations",
        "Observation?patient={{context.patientId}}&_sort=-date&_count=200",
        required=False,
    ),
    PrefetchKey(
        "medications",
        "MedicationRequest?patient={{context.patientId}}&status=active,on-hold",
        required=False,
    ),
    # Home medicines (a blood thinner taken for years) are often recorded as statements.
    PrefetchKey(
        "medicationstatements",
        "MedicationStatement?patient={{context.patientId}}&status=active,on-hold,intended",
        required=False,
    ),
)

_HOOK_TEXT: Final = {
    "patient-view": (
        "Flags emergency and urgent signs in the recent record of a patient with back pain.",
        "",
    ),
    "order-select": (
        "Checks lumbar imaging and analgesic or sedating orders as they are selected.",
        " context.draftOrders must hold the draft orders (MedicationRequest, ServiceRequest).",
    ),
    "order-sign": (
        "Checks lumbar imaging and analgesic or sedating orders before they are signed.",
        " context.draftOrders must hold the draft orders (MedicationRequest, ServiceRequest).",
    ),
    "encounter-discharge": (
        "Personalised discharge instructions and cautions for a patient with back pain.",
        "",
    ),
}


#: The discharge encounter itself: its reasonCode may be the only place the back pain is coded.
DISCHARGE_ENCOUNTER: Final = PrefetchKey(
    "encounter", "Encounter/{{context.encounterId}}", required=False
)


def _keys(hook: str) -> tuple[PrefetchKey, ...]:
    """The prefetch keys of a hook's service (encounterId is a context token only at discharge,
    where it is required)."""
    return (*PREFETCH, DISCHARGE_ENCOUNTER) if hook == "encounter-discharge" else PREFETCH


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its discovery entry and the prefetch keys it resolves."""

    service: Service
    keys: tuple[PrefetchKey, ...]

    @property
    def id(self) -> str:
        return self.service.id

    @property
    def hook(self) -> str:
        return self.service.hook


def services_for(pack: Pack) -> dict[str, ServiceSpec]:
    """The pack's services by id, in the pack's hook order."""
    specs = {}
    for hook in pack.spec.pack.hooks:
        description, needs = _HOOK_TEXT.get(hook, (pack.spec.pack.description, ""))
        service = Service(
            hook=hook,
            id=f"{pack.id}-{hook}",
            title=f"{pack.spec.pack.title}: {hook}",
            description=f"{description} Rule pack {pack.id} {pack.version}.",
            prefetch={k.key: k.template for k in _keys(hook)},
            usageRequirements=(
                "Send prefetch, or fhirServer with fhirAuthorization (patient/*.read scopes) "
                "on a FHIR server this service is configured to reach; the patient and "
                f"conditions keys are required.{needs}"
            ),
        )
        specs[service.id] = ServiceSpec(service, _keys(hook))
    return specs


def discovery(specs: dict[str, ServiceSpec]) -> Discovery:
    """The discovery document of these services."""
    return Discovery(services=[s.service for s in specs.values()])
