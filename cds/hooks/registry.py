"""The hooks we serve, in one place: per hook, its context model, whether its context carries
draft orders, whether it requires an encounter, and its default prefetch keys.

Everything that varies by hook reads it here: request parsing (`parse_context`,
`parse_hook_request`), the typed call (`cds.call`), the services and their discovery entries
(`cds.services`), the OpenAPI document, the FHIR client's fetches, the pack schema's
hook names. A deployment replaces a key's template per service (``prefetch_templates``,
`cds.hooks.templates.service_keys`); the defaults are `HookSpec.keys`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final, Literal

from cds.hooks.keys import PrefetchKey, prefetch_keys
from cds.hooks.request import (
    EncounterDischargeContext,
    HookContext,
    HookRequest,
    OrderSelectContext,
    OrderSignContext,
    PatientViewContext,
)
from cds.hooks.wire import parse_model

Hook = Literal["patient-view", "order-select", "order-sign", "encounter-discharge"]


@dataclass(frozen=True)
class HookSpec:
    """What the service needs to know of one CDS hook."""

    name: Hook
    context: type[HookContext]
    """The hook's context model (its required fields and their rules)."""
    draft_orders: bool
    """Whether the context carries ``draftOrders`` (the orders being selected or signed)."""

    @property
    def encounter_required(self) -> bool:
        """Whether the context requires an ``encounterId`` (the encounter key then counts)."""
        return self.context.model_fields["encounterId"].is_required()

    @property
    def keys(self) -> tuple[PrefetchKey, ...]:
        """The hook's default prefetch keys, each marked whether it counts at this hook."""
        return prefetch_keys(self.name, encounter_required=self.encounter_required)


HOOKS: Final[Mapping[Hook, HookSpec]] = MappingProxyType(
    {
        "patient-view": HookSpec("patient-view", PatientViewContext, draft_orders=False),
        "order-select": HookSpec("order-select", OrderSelectContext, draft_orders=True),
        "order-sign": HookSpec("order-sign", OrderSignContext, draft_orders=True),
        "encounter-discharge": HookSpec(
            "encounter-discharge", EncounterDischargeContext, draft_orders=False
        ),
    }
)
ALL_HOOKS: Final[tuple[Hook, ...]] = tuple(HOOKS)
ORDER_HOOKS: Final[tuple[Hook, ...]] = tuple(h for h, spec in HOOKS.items() if spec.draft_orders)


def context_model(hook: str) -> type[HookContext] | None:
    """The context model of `hook`, or None for a hook we do not know."""
    spec = HOOKS.get(hook)  # type: ignore[call-overload]
    return None if spec is None else spec.context


def parse_context(hook: str, context: Mapping[str, Any]) -> HookContext | None:
    """Return `context` as the typed context model of `hook`, or None for a hook we do not know.

    Raises `InputError` naming each missing or invalid field.
    """
    model = context_model(hook)
    return None if model is None else parse_model(model, context, f"context for hook {hook!r}")


def validate_context(hook: str, context: Mapping[str, Any]) -> None:
    """Check `context` against the definition of `hook`; unknown hooks are not checked.

    Raises `InputError` naming each missing or invalid field.
    """
    parse_context(hook, context)


def parse_hook_request(data: Any, *, check_context: bool = True) -> HookRequest:
    """Parse a hook call body and check its context against its hook, or raise `InputError`
    (``check_context=False``: the caller parses the context itself, once, with
    `parse_context`, after checking the hook)."""
    request = parse_model(HookRequest, data, "hook request")
    if check_context:
        validate_context(request.hook, request.context)
    return request
