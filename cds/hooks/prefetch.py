"""How what a CDS Client sent under a service's prefetch keys is read, and what became of it.

Every transport (the HTTP service, ``cds evaluate``) reads a call's prefetch through
`read_prefetch`, so both evaluate the same data: keys the service did not declare are
ignored whatever they hold; a declared key holding something that is not a FHIR resource is a
gap, not a bad request (one bad key must not hide the danger signs in the others); a Bundle
whose `entry` is a single object is read as a list of one, and a bare JSON array of resources
as a Bundle's entries (the evaluation says the shape); an OperationOutcome means the client's
own fetch failed, unless all its issues are information or warnings ("no matches"): then it
is an empty answer; a Bundle with a `next` link is one page of several. What can be fetched is
fetched by the service (`cds.service.prefetch`); what cannot is said, never dropped.

The keys themselves are declared in `cds.hooks.keys` (`declared` looks one up by name; a
pack words them); a deployment's own templates are checked and applied by `cds.hooks.templates`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cds.errors import MissingDataError
from cds.hooks.keys import ENCOUNTER, PREFETCH, PrefetchKey

log = logging.getLogger(__name__)


def declared(key: str) -> PrefetchKey | None:
    """The declaration of the prefetch ``key`` in any service, if any."""
    return next((k for k in (*PREFETCH, ENCOUNTER) if k.key == key), None)


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


def require_answerable(resolution: Resolution, keys: Sequence[PrefetchKey], speaks: bool) -> None:
    """MissingDataError (412) when a required key could not be had in full and nothing that
    was received lets the pack speak about this patient (``speaks``: in its scope, or another
    patient's data to warn of); otherwise the cards stand, and the data-check items say what
    was not checked. The service and ``cds evaluate`` both ask."""
    missing = resolution.missing_required(keys)
    if missing and not speaks:
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
        wrong = _wrong_type(resource, spec.resource_type) if spec.counts else None
        if wrong is not None:
            out.fetch[spec.key] = wrong
            continue
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


def _wrong_type(value: Mapping[str, Any], wanted: str) -> str | None:
    """Why a key's resource (or Bundle) holds none of the type its template asks for
    (``wanted``: a Patient sent as the conditions), or None. What it holds is still read
    (gather says each misplaced record); the key itself is a gap, fetched or said."""
    kind = value.get("resourceType")
    if kind != "Bundle":
        return None if kind == wanted else f"the client sent {_a(kind)} here, not {_a(wanted)}"
    entries = value.get("entry")
    if isinstance(entries, list) and any(_entry_type(e) == wanted for e in entries):
        return None  # the usual answer, said by its first entry: no set of every entry's type
    kinds = _entry_types(entries)
    if not kinds or wanted in kinds or kinds <= {"OperationOutcome"}:
        return None
    return f"the client sent {', '.join(sorted(kinds))} resources here, not {wanted}"


def _a(kind: object) -> str:
    """A resource type with its article: "a Patient", "an Encounter"."""
    text = str(kind)[:40]
    return f"an {text}" if text[:1] in ("A", "E", "I", "O", "U") else f"a {text}"


def _entry_types(entries: object) -> set[str]:
    """The resource types of a Bundle's entries (an OperationOutcome among them is the
    server's note on the search, said by gather)."""
    listed = [entries] if isinstance(entries, Mapping) else entries
    if not isinstance(listed, list):
        return set()
    return {
        kind
        for entry in listed
        if isinstance(entry, Mapping)
        and isinstance(resource := entry.get("resource"), Mapping)
        and isinstance(kind := resource.get("resourceType"), str)
    }


def _entry_type(entry: object) -> object:
    """An entry's resource type (None for an entry without a resource)."""
    resource = entry.get("resource") if isinstance(entry, dict) else None
    return resource.get("resourceType") if isinstance(resource, dict) else None


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
