"""The services a rule pack offers: one per hook, id `<pack>-<hook>`, with prefetch templates.

The prefetch keys themselves are declared in `cds.hooks.prefetch` (``cds evaluate`` reads a
request against the same keys). Templates use only CDS Hooks 2.0 tokens
(`{{context.patientId}}`) and the restricted query subset (reference, token, `_sort`,
`_count`), so every 2.0 client can fill them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from cds.hooks.models import Discovery, Service
from cds.hooks.prefetch import DISCHARGE_ENCOUNTER, PREFETCH, PrefetchKey, prefetch_keys
from cds.pack.load import Pack

__all__ = ["DISCHARGE_ENCOUNTER", "PREFETCH", "ServiceSpec", "discovery", "services_for"]

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
            prefetch={k.key: k.template for k in prefetch_keys(hook)},
            usageRequirements=(
                "Send prefetch, or fhirServer with fhirAuthorization (patient/*.read scopes) "
                "on a FHIR server this service is configured to reach; the patient and "
                f"conditions keys are required.{needs}"
            ),
        )
        specs[service.id] = ServiceSpec(service, prefetch_keys(hook))
    return specs


def discovery(specs: dict[str, ServiceSpec]) -> Discovery:
    """The discovery document of these services."""
    return Discovery(services=[s.service for s in specs.values()])
