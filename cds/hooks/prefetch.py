"""What a service asks for in prefetch, and how what a CDS Client sent under it is read.

Every transport (the HTTP service, ``cds evaluate``) reads a call's prefetch through
`read_prefetch`, so both evaluate the same data: keys the service did not declare are
ignored whatever they hold; a declared key holding something that is not a FHIR resource is a
gap, not a bad request (one bad key must not hide the danger signs in the others); a Bundle
whose `entry` is a single object is read as a list of one, and a bare JSON array of resources
as a Bundle's entries (the evaluation says the shape); an OperationOutcome means the client's
own fetch failed, unless all its issues are information or warnings ("no matches"): then it
is an empty answer; a Bundle with a `next` link is one page of several. What can be fetched is
fetched by the service (`cds.service.prefetch`); what cannot is said, never dropped.

A key whose data cannot change a hook's cards (medicines at patient-view, where no rule reads
them) is still declared and read, but a gap in it is neither fetched nor said: a data-check
item about it would send the clinician to re-check what nothing here looks at.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final

from cds.errors import ConfigError, MissingDataError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrefetchKey:
    """One prefetch template a service declares, and whether it cannot answer without it.

    ``recheck`` says what a clinician should look at in the chart when the key's data could
    not be had (it goes with the data-check item); ``consequence`` what was therefore not
    checked (the pack's ``unavailable_text`` says it as ``{consequence}``).

    ``facts`` names the fact kinds the key's resources give the rules, and ``hooks`` the hooks
    whose cards they can change (None: every hook; tests/hooks check it against the pack: a
    hook is listed when one of its rules reads one of those kinds). ``counts`` is False in a
    service's own keys (`prefetch_keys`) when its hook is not one of them: what is sent is
    read, but a gap in it is neither fetched nor said.
    """

    key: str
    template: str
    required: bool
    recheck: str = "review the patient's record in the chart"
    consequence: str = "danger signs in what was not received were not checked"
    facts: frozenset[str] = frozenset()
    hooks: frozenset[str] | None = None
    counts: bool = True
    offered: bool = True
    """False when the deployment dropped the key (``prefetch_templates``): discovery does not
    ask for it and a gap in it is neither fetched nor said (``counts`` is False too), but what
    a client sends under it anyway is still read."""

    def matters_at(self, hook: str) -> bool:
        """Whether this key's data can change the cards of ``hook``."""
        return self.hooks is None or hook in self.hooks


#: Hooks with a rule that reads medicines (cautions about pain relievers and sedation).
_MEDICINE_HOOKS: Final = frozenset({"order-select", "order-sign", "encounter-discharge"})


#: Prefetch keys every service declares. Without the patient and the conditions the pack
#: cannot tell whether it speaks about this patient at all, so those are required.
PREFETCH: Final = (
    PrefetchKey(
        "patient",
        "Patient/{{context.patientId}}",
        required=True,
        recheck="review the patient's demographics in the chart",
        consequence="the patient's identity and age were not checked",
        facts=frozenset({"patient"}),
    ),
    PrefetchKey(
        "conditions",
        "Condition?patient={{context.patientId}}",
        required=True,
        recheck="review the patient's problem list and recent diagnoses in the chart",
        consequence=(
            "danger signs, imaging criteria and pain-reliever cautions in problem-list entries "
            "not received were not checked"
        ),
        facts=frozenset({"condition"}),
    ),
    # Recent first, so a client that truncates drops the oldest results, not today's fever.
    PrefetchKey(
        "observations",
        "Observation?patient={{context.patientId}}&_sort=-date&_count=200",
        required=False,
        recheck="review the patient's recent vital signs and results in the chart",
        consequence="danger signs in recent vital signs and results not received were not checked",
        facts=frozenset({"observation"}),
    ),
    PrefetchKey(
        "medications",
        "MedicationRequest?patient={{context.patientId}}&status=active,on-hold",
        required=False,
        recheck="review the patient's active medication orders in the chart",
        consequence=(
            "pain-reliever and sedation cautions could not be checked against the patient's "
            "medicines"
        ),
        facts=frozenset({"medication"}),
        hooks=_MEDICINE_HOOKS,
    ),
    # Home medicines (a blood thinner taken for years) are often recorded as statements.
    PrefetchKey(
        "medicationstatements",
        "MedicationStatement?patient={{context.patientId}}&status=active,on-hold,intended",
        required=False,
        recheck="review the patient's home medicines in the chart",
        consequence=(
            "pain-reliever and sedation cautions could not be checked against the patient's "
            "home medicines"
        ),
        facts=frozenset({"medication"}),
        hooks=_MEDICINE_HOOKS,
    ),
)

#: The visit itself: its reason (chief complaint) and diagnoses may be the only place the back
#: pain or a danger sign is recorded ("Back pain, unable to urinate since last night"). Every
#: service declares it (encounterId is a prefetch token of each of our hooks); it counts only
#: at discharge, where encounterId is required: elsewhere the context may have no encounter,
#: so what is sent is read but a missing key is neither fetched nor said.
ENCOUNTER: Final = PrefetchKey(
    "encounter",
    "Encounter/{{context.encounterId}}",
    required=False,
    recheck="review the encounter's diagnoses and reason for visit in the chart",
    consequence="the visit's reason and diagnoses were not checked for back pain or danger signs",
    facts=frozenset({"condition"}),
)


#: The former name of `ENCOUNTER`, when only the discharge service declared it.
DISCHARGE_ENCOUNTER: Final = ENCOUNTER


def prefetch_keys(hook: str, *, encounter_required: bool) -> tuple[PrefetchKey, ...]:
    """The prefetch keys of a hook's service, each marked whether it `counts` at this hook
    (the encounter counts only where the context requires an encounterId). The hooks' own
    keys are `cds.hooks.registry.HookSpec.keys`."""
    return tuple(
        k
        if k.matters_at(hook) and (k is not ENCOUNTER or encounter_required)
        else replace(k, counts=False)
        for k in (*PREFETCH, ENCOUNTER)
    )


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
                raise ConfigError(_REQUIRED_KEPT.format(key=spec.key))
            out.append(replace(spec, offered=False, counts=False))
        else:
            out.append(replace(spec, template=check_template(spec.key, template)))
    return tuple(out)


_REQUIRED_KEPT: Final = (
    "prefetch_templates: the {key} key is required and cannot be dropped (without it the pack "
    "cannot tell whether it speaks about the patient); give it another template instead"
)

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


def declared(key: str) -> PrefetchKey | None:
    """The declaration of the prefetch ``key`` in any service, if any."""
    return next((k for k in (*PREFETCH, ENCOUNTER) if k.key == key), None)


def consequence(key: str) -> str:
    """What was not checked when the declared prefetch ``key`` could not be had."""
    spec = declared(key)
    return spec.consequence if spec is not None else PrefetchKey.consequence


@dataclass
class Received:
    """A call's prefetch, read against the keys its service declares.

    ``prefetch`` holds the declared keys whose value can be used as sent (a resource, a
    Bundle with its `entry` as a list, or a bare list of resources; ``None`` where the client
    said there is no data).
    ``fetch`` names the keys to fetch whole, with what was wrong with what came;
    ``follow`` the keys that came as a first page, with their `next` URL.
    """

    prefetch: dict[str, Mapping[str, Any] | list[Any] | None] = field(default_factory=dict)
    fetch: dict[str, str] = field(default_factory=dict)
    follow: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)

    def entries(self, key: str) -> int:
        """How many entries the client sent under ``key`` (0 for none or a single resource)."""
        return _entry_count(self.prefetch.get(key))

    def total(self, key: str) -> int | None:
        """The match count the client's Bundle declares (``Bundle.total``), if any."""
        value = self.prefetch.get(key)
        total = value.get("total") if isinstance(value, Mapping) else None
        return total if isinstance(total, int) and not isinstance(total, bool) else None


@dataclass
class Resolution:
    """What became of a call's declared prefetch keys once the service tried to complete them.

    ``extra`` holds the fetched pages (``("fetched.<key>", page)``); ``unavailable`` the keys
    that could not be had at all, ``reasons`` why; ``incomplete`` the keys evaluated as far as
    they were received (a page that could not be followed, a limit reached), with what was
    checked and why no more.
    """

    extra: list[tuple[str, object]] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    """Why each unavailable key could not be fetched (safe to log and to answer: no token,
    no id)."""
    sent: dict[str, str] = field(default_factory=dict)
    """What was wrong with what the client sent under an unavailable key (none: not sent)."""
    incomplete: dict[str, str] = field(default_factory=dict)

    def gaps(self) -> list[tuple[str, str]]:
        """Each key not had in full, with what happened, in words (unavailable keys first)."""
        out = []
        for key in self.unavailable:
            reason = self.reasons.get(key, "unavailable")
            what = self.sent.get(key, "not sent")
            out.append((key, f"{what}, and it could not be fetched ({reason})"))
        return [*out, *self.incomplete.items()]

    def missing_required(self, keys: Sequence[PrefetchKey]) -> list[str]:
        """The required keys not had in full (absent, failed or only partly read)."""
        gaps = {*self.unavailable, *self.incomplete}
        return [k.key for k in keys if k.required and k.key in gaps]


def offline_resolution(received: Received) -> Resolution:
    """What a call's prefetch gives when nothing can be fetched (``cds evaluate``): every key
    that was not sent, or sent but cannot be used, or that is one page of several, is a gap
    that is said, as the service says it when it cannot fetch (same request, same cards)."""
    out = Resolution()
    why = "cds evaluate fetches nothing"
    for key, problem in received.fetch.items():
        out.unavailable.append(key)
        out.reasons[key] = why
        if problem != NOT_SENT:
            out.sent[key] = problem
    for key in received.follow:
        out.incomplete[key] = checked_note(received.entries(key), received.total(key), why)
    return out


def require_answerable(resolution: Resolution, keys: Sequence[PrefetchKey], in_scope: bool) -> None:
    """MissingDataError (412) when a required key could not be had in full and nothing that
    was received lets the pack speak about this patient; otherwise the cards stand, and the
    data-check items say what was not checked. The service and ``cds evaluate`` both ask."""
    missing = resolution.missing_required(keys)
    if missing and not in_scope:
        why = dict(resolution.gaps())
        said = "; ".join(f"{key}: {why[key]}" for key in missing if key in why)
        raise MissingDataError(
            f"required prefetch data not supplied and not fetchable: {', '.join(missing)} "
            f"({said}); nothing received puts the patient in the pack's scope",
            details={"missing": missing},
        )


def checked_note(entries: int, total: int | None, why: str, truncated: bool = False) -> str:
    """``only the first 20 of 57 entries checked (next page could not be fetched: ...)``."""
    of = f" of {total}" if total is not None and total > entries else ""
    how = "truncated" if truncated else "next page could not be fetched"
    if entries == 0:  # the page received held none of them
        held = f"none of its {total} entries" if total else "no entry"
        return f"{held} checked: the page received held none ({how}: {why})"
    what = f"entry{of}" if entries == 1 else f"{entries}{of} entries"
    return f"only the first {what} checked ({how}: {why})"


#: Why a declared key that was not sent at all is fetched.
NOT_SENT: Final = "not sent"


def read_prefetch(prefetch: Mapping[str, Any] | None, keys: Sequence[PrefetchKey]) -> Received:
    """Read a call's prefetch against the declared ``keys`` (pure: no I/O)."""
    sent = prefetch or {}
    declared = {k.key for k in keys}
    out = Received(ignored=[k for k in sent if k not in declared])
    if out.ignored:
        log.debug("ignoring undeclared prefetch key(s): %s", ", ".join(map(repr, out.ignored)))
    for spec in keys:
        if spec.key not in sent:
            if spec.counts:
                out.fetch[spec.key] = NOT_SENT
            continue
        value = sent[spec.key]
        if value is None or _informational(value):
            out.prefetch[spec.key] = None  # the client knows there is no data: an answer
            continue
        if isinstance(value, list):  # resources as a bare array: read as entries (gather says)
            out.prefetch[spec.key] = value
            continue
        problem = _problem(value)
        if problem is not None:
            if spec.counts:
                out.fetch[spec.key] = problem
            continue
        resource = _entries_as_list(value)
        out.prefetch[spec.key] = resource
        link = next_link(resource) if resource["resourceType"] == "Bundle" else None
        if link is not None and spec.counts:
            out.follow[spec.key] = link
    return out


def _informational(value: object) -> bool:
    """An OperationOutcome whose issues are all information or warnings (a server's "no
    matches"): an empty answer, not a failed fetch."""
    return isinstance(value, Mapping) and informational_outcome(value)


def informational_outcome(resource: Mapping[str, Any]) -> bool:
    """True for an OperationOutcome with issues, all of severity information or warning."""
    if resource.get("resourceType") != "OperationOutcome":
        return False
    issues = resource.get("issue")
    return (
        isinstance(issues, list)
        and bool(issues)
        and all(
            isinstance(i, Mapping) and i.get("severity") in ("information", "warning")
            for i in issues
        )
    )


def next_link(resource: Mapping[str, Any]) -> str | None:
    """The `next` page URL of a Bundle, if any."""
    links = resource.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, Mapping) and link.get("relation") == "next":
            url = link.get("url")
            return url if isinstance(url, str) and url else None
    return None


def _problem(value: object) -> str | None:
    """Why a declared key's value cannot be used as sent, or None when it can."""
    if not isinstance(value, Mapping):
        return f"the client sent a {_json_type(value)}, not a FHIR resource"
    kind = value.get("resourceType")
    if not isinstance(kind, str) or not kind:
        return "the client sent an object without a resourceType, not a FHIR resource"
    if kind == "OperationOutcome":
        return "the client's own fetch failed (it sent an OperationOutcome)"
    if kind == "Bundle":
        entries = value.get("entry")
        if entries is not None and not isinstance(entries, list | Mapping):
            return f"the client sent a Bundle whose entry is a {_json_type(entries)}"
    return None


def _entries_as_list(value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A Bundle whose `entry` is one object, as a Bundle with a list of one (some feeds do)."""
    if value.get("resourceType") == "Bundle" and isinstance(value.get("entry"), Mapping):
        return {**value, "entry": [value["entry"]]}
    return value


def _entry_count(value: Mapping[str, Any] | list[Any] | None) -> int:
    if isinstance(value, list):
        return len(value)
    if value is None or value.get("resourceType") != "Bundle":
        return 0
    entries = value.get("entry")
    return len(entries) if isinstance(entries, list) else 0


def _json_type(value: object) -> str:
    names = {str: "string", list: "list", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)
