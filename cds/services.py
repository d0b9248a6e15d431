"""The services a rule pack offers: one per hook, id `<pack>-<hook>`, with prefetch templates.

Each hook's default prefetch keys come from the hook registry (`cds.hooks.registry`; ``cds
evaluate`` reads a request against the same keys), and each service's description from the
pack (``pack.services`` in pack.yaml): this module holds no pack wording. Templates use
only CDS Hooks 2.0 tokens (`{{context.patientId}}`) and the restricted query subset
(reference, token, `_sort`, `_count`), so every 2.0 client can fill them. A deployment may
replace a key's template or drop an optional key (setting ``prefetch_templates``); the
service and ``cds evaluate`` build their keys here alike.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from cds.errors import ConfigError
from cds.hooks.keys import ENCOUNTER, PREFETCH, PrefetchKey, worded
from cds.hooks.models import Discovery, Service
from cds.hooks.registry import HOOKS, Hook
from cds.hooks.templates import service_keys
from cds.pack.load import Pack

__all__ = [
    "ENCOUNTER",
    "PREFETCH",
    "ServiceSpec",
    "discovery",
    "services_for",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its hook, its discovery entry and the prefetch keys it resolves."""

    hook: Hook
    service: Service
    keys: tuple[PrefetchKey, ...]

    @property
    def id(self) -> str:
        return self.service.id


def services_for(
    pack: Pack, templates: Mapping[str, Mapping[str, str | None]] | None = None
) -> dict[str, ServiceSpec]:
    """The pack's services by id, in the pack's hook order, with a deployment's prefetch
    templates (``prefetch_templates``: per service id, a key's template replaced, or the key
    dropped with None). ConfigError for a service id the pack does not offer or a key its
    service does not declare."""
    templates = templates or {}
    ids = [f"{pack.id}-{hook}" for hook in pack.spec.pack.hooks]
    unknown = [s for s in templates if s not in ids]
    if unknown:
        raise ConfigError(
            f"prefetch_templates: pack {pack.id} offers no service "
            f"{', '.join(map(repr, unknown))} (its services: {', '.join(ids)})"
        )
    specs = {}
    for hook in pack.spec.pack.hooks:
        text = pack.spec.pack.services.get(hook)
        description = text.description if text else pack.spec.pack.description
        needs = f" {text.usage}" if text and text.usage else ""
        keys = worded(
            service_keys(hook, HOOKS[hook].keys, templates.get(f"{pack.id}-{hook}")),
            pack.spec.pack.prefetch,
        )
        service = Service(
            hook=hook,
            id=f"{pack.id}-{hook}",
            title=f"{pack.spec.pack.title}: {hook}",
            description=f"{description} Rule pack {pack.id} {pack.version}.",
            prefetch={k.key: k.template for k in keys if k.offered},
            usageRequirements=(
                "Send prefetch, or fhirServer with fhirAuthorization (patient/*.read scopes) "
                "on a FHIR server this service is configured to reach; the patient and "
                f"conditions keys are required.{needs}"
            ),
        )
        specs[service.id] = ServiceSpec(hook, service, keys)
    return specs


def announce_dropped(specs: Mapping[str, ServiceSpec]) -> None:
    """Log (WARNING, at start-up) each prefetch key a deployment dropped, with what is then
    not checked unless a client sends it anyway: no card will say it on each call."""
    for spec in specs.values():
        for key in spec.keys:
            if not key.offered:
                log.warning(
                    "%s: prefetch key %s dropped by prefetch_templates (when a client does not "
                    "send it anyway: %s)",
                    spec.id,
                    key.key,
                    key.consequence if key.matters_at(spec.hook) else "no card depends on it",
                )


def discovery(specs: dict[str, ServiceSpec]) -> Discovery:
    """The discovery document of these services."""
    return Discovery(services=[s.service for s in specs.values()])
