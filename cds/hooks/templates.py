"""A deployment's prefetch templates (``prefetch_templates``): each checked on its own, and
applied to a service's keys (a template replaced, or a key dropped).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from cds.errors import ConfigError
from cds.hooks.keys import ENCOUNTER, PREFETCH, PrefetchKey
from cds.hooks.prefetch import declared


def service_keys(
    hook: str, keys: tuple[PrefetchKey, ...], templates: Mapping[str, str | None] | None = None
) -> tuple[PrefetchKey, ...]:
    """A hook's service keys (its defaults ``keys``) under a deployment's
    ``prefetch_templates`` for it: a template replaces the key's, ``None`` drops the key (not
    offered, not counted; a required key cannot be dropped). ConfigError for a key the service
    does not declare."""
    if not templates:
        return keys
    names = [k.key for k in keys]
    unknown = [k for k in templates if k not in names]
    if unknown:
        raise ConfigError(
            f"prefetch_templates: the {hook} service declares no prefetch key "
            f"{', '.join(map(repr, unknown))} (its keys: {', '.join(names)})"
        )
    out = []
    for spec in keys:
        if spec.key not in templates:
            out.append(spec)
            continue
        template = templates[spec.key]
        if template is None:
            if spec.required:
                raise ConfigError(f"prefetch_templates: {REQUIRED_KEPT.format(key=spec.key)}")
            out.append(replace(spec, offered=False, counts=False))
        else:
            out.append(replace(spec, template=check_template(spec.key, template)))
    return tuple(out)


REQUIRED_KEPT: Final = (
    "the {key} key is required and cannot be dropped (without it the pack cannot tell "
    "whether it speaks about the patient); give it another template instead"
)
"""Said when a configuration drops a required key (file, environment or settings model)."""

#: The context tokens a configured template may use: ``{{context.patientId}}`` and
#: ``{{context.encounterId}}`` (where the hook's context has one), spelt exactly so.
TEMPLATE_TOKENS: Final = frozenset({"{{context.patientId}}", "{{context.encounterId}}"})
_TYPE: Final = re.compile(r"[A-Z][A-Za-z]{1,63}")
_PARAM: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
_VALUE: Final = re.compile(r"[A-Za-z0-9_.:,|/+-]*")  # token, reference, number; no spaces


def check_template(key: str, template: str) -> str:
    """``template`` when it is a valid replacement for the declared ``key``'s template;
    ValueError saying what is wrong otherwise (the settings show it as a start-up error).

    A template is a relative FHIR query (``Type/{{token}}`` read or ``Type?name=value&...``
    search) of the key's own resource type, using only `TEMPLATE_TOKENS`, and it names this
    patient as the default does (the read's id, or ``patient=``/``subject=`` this patient's
    id in a search): a template that named no patient would fetch every patient's records.
    """
    spec = declared(key)
    if spec is None:
        known = ", ".join(k.key for k in (*PREFETCH, ENCOUNTER))
        raise ValueError(f"unknown prefetch key {key!r} (known: {known})")
    where = f"prefetch template of {key!r} ({template!r})"
    if not template or any(c.isspace() for c in template):
        raise ValueError(f"{where} is empty or holds whitespace")
    if template.startswith("/") or "://" in template or "#" in template or ".." in template:
        raise ValueError(f"{where} must be a relative FHIR query such as {spec.template!r}")
    for token in re.findall(r"\{\{.*?\}\}", template):
        if token not in TEMPLATE_TOKENS:
            raise ValueError(
                f"{where} uses the unknown token {token!r} (known: "
                f"{', '.join(sorted(TEMPLATE_TOKENS))})"
            )
    bare = template
    for token in TEMPLATE_TOKENS:
        bare = bare.replace(token, "TOKEN")
    if "{" in bare or "}" in bare:
        raise ValueError(f"{where} holds a brace outside a {{{{context.…}}}} token")
    path, _, query = template.partition("?")
    rtype, _, rid = path.partition("/")
    default_path, _, _ = spec.template.partition("?")
    default_type, _, default_id = default_path.partition("/")
    if not _TYPE.fullmatch(rtype) or rtype != default_type:
        raise ValueError(f"{where} must ask for {default_type} resources, as {spec.template!r}")
    if default_id:  # a read: of this very resource, with no query
        if path != default_path or query:
            raise ValueError(f"{where} must read {default_path!r}")
        return template
    if rid:
        raise ValueError(f"{where} must be a search ({default_type}?name=value&...), not a read")
    params = query.split("&") if query else []
    names = []
    for param in params:
        name, eq, value = param.partition("=")
        if (
            not eq
            or not _PARAM.fullmatch(name)
            or not _VALUE.fullmatch(
                value.replace("{{context.patientId}}", "x").replace("{{context.encounterId}}", "x")
            )
        ):
            raise ValueError(f"{where}: {param!r} is not a name=value search parameter")
        names.append((name, value))
    own = {("patient", "{{context.patientId}}"), ("subject", "Patient/{{context.patientId}}")}
    if not own & set(names):
        raise ValueError(
            f"{where} must name this patient: patient={{{{context.patientId}}}} (a search "
            "without it would fetch every patient's records)"
        )
    return template
