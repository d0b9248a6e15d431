"""Resources from a hook call's prefetch and draft orders, as one patient's record."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

import orjson

from cds.errors import InputError
from cds.facts.model import DataIssue
from cds.fhir import Resource
from cds.hooks.prefetch import declared, informational_outcome

log = logging.getLogger(__name__)
PATIENT_LINKS = ("subject", "patient", "beneficiary")
_OTHER_LINKS = frozenset(PATIENT_LINKS[1:])
"""The patient links beside ``subject``: a resource with none of them and this patient as its
subject is plainly this patient's (read in C by ``isdisjoint``)."""
_PATIENT_LINK, _BENEFICIARY_LINK = PATIENT_LINKS[1:]
"""The same two links, each looked up in the resource on the plain path (`_plainly_own`):
two lookups cost about a third of ``isdisjoint``, which walks every key of the resource."""
PATIENT_KEYS = ("prefetch.patient",)  # the Patient itself (the `patient` key, sent or fetched)
VISIT_KEYS = ("prefetch.encounter",)  # the call's own visit (Encounter/{{context.encounterId}})


@dataclass
class Record:
    """One patient's resources, with what could not be used."""

    resources: list[Resource] = field(default_factory=list)
    issues: list[DataIssue] = field(default_factory=list)
    urls: dict[str, Resource] = field(default_factory=dict)
    """The draft orders' resources by their entry's ``urn:`` fullUrl (a Medication named so)."""
    distinct: bool = False
    """Every resource has an id no other resource of the record has (found while gathering
    on the plain path), so fact building need not look for copies of one id."""


def bundle_resources(
    bundle: object, where: str, issues: list[DataIssue] | None = None
) -> list[Resource]:
    """The resources of a Bundle (or a single resource); InputError when neither.

    ``entry`` sent as one object instead of a list is read as a list of one. An entry that is
    not a resource is reported in ``issues`` when a list is given (one bad entry must not hide
    the danger signs in the others), else it is an InputError. With ``issues``, a bare JSON
    array of resources (or of entries) is read as a Bundle's entries, and its shape said.
    """
    if bundle is None:
        return []
    if isinstance(bundle, list) and issues is not None:
        issues.append(
            DataIssue(
                rid=f"{where}.entry",
                message=(
                    f"{_key_name(where)} was sent as a bare list of resources, not a FHIR Bundle;"
                    " its resources were read"
                ),
                recheck=f"ask the EHR team to send {_key_name(where)} as a FHIR Bundle",
                headline=f"{_key_name(where)} sent as a plain list, not a Bundle (all of it read)",
            )
        )
        bundle = {"resourceType": "Bundle", "entry": [_as_entry(item) for item in bundle]}
    if not isinstance(bundle, Mapping) or not isinstance(bundle.get("resourceType"), str):
        raise InputError(f"{where} is not a FHIR resource (no resourceType)")
    if bundle["resourceType"] != "Bundle":
        return [bundle]
    entries = bundle.get("entry") or []
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        message = f"{where}.entry is neither a list nor an entry"
        if issues is None:
            raise InputError(message)
        issues.append(DataIssue(rid=f"{where}.entry", message=message + "; not used"))
        return []
    # the common case, read in one pass: every entry a dict holding a resource
    plain: list[Resource] = [
        resource
        for entry in entries
        if entry.__class__ is dict
        and (resource := entry.get("resource")).__class__ is dict
        and resource.get("resourceType").__class__ is str
    ]
    if len(plain) == len(entries):
        return plain
    out: list[Resource] = []
    for i, entry in enumerate(entries):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if (
            resource is None
            and isinstance(entry, dict)
            and ("request" in entry or "response" in entry)
        ):
            continue  # an entry that carries no resource (a request, a response) by design
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            bare = isinstance(entry, dict) and resource is None
            what = "carries no resource" if bare else "is not a FHIR resource"
            if issues is None:
                raise InputError(f"{where}.entry[{i}] {what} (no resourceType)")
            issues.append(
                DataIssue(rid=f"{where}.entry[{i}]", message=f"the entry {what}; not used")
            )
            continue
        out.append(resource)
    return out


def _as_entry(item: object) -> object:
    """An item of a bare list as a Bundle entry: a resource is wrapped, an entry kept."""
    if isinstance(item, Mapping) and "resourceType" in item:
        return {"resource": item}
    return item


def _key_name(where: str) -> str:
    """``prefetch.observations`` → ``observations``; ``context.draftOrders`` → ``draftOrders``."""
    return where.split(".", 1)[-1]


def patient_record(
    patient_id: str,
    sources: Iterable[tuple[str, object]],
    hook: str | None = None,
    encounter_id: str | None = None,
) -> Record:
    """Gather resources from several sources, keeping only this patient's (and, given the
    call's ``encounter_id``, only that visit from the `encounter` key).

    Every reading counts: resources without an id are never merged, and two resources with
    the same type and id (a copy sent by two prefetch keys, or a preliminary and a final
    version of one Observation) are both kept unless their JSON is identical; the JSON is
    only compared when ids collide. A resource that names another patient is left out with an
    issue: counting another patient's fever for this one would be worse than missing it. The
    issue names the source (a page the service fetched as its key, ``prefetch.<key>``), never
    the other patient (nor the resource: its id is theirs); a WARNING log says how many. The
    `patient` key must hold this very Patient: a resource of another type there is used as
    any other of this patient's, and said.

    An OperationOutcome among a search's entries (``search.mode`` "outcome", or any other) is
    the EHR's word on that search: one reporting an error or a fatal problem is a data issue
    of its key (the other entries are read all the same), unless the key's data cannot
    change ``hook``'s cards; one of information or warnings only ("no matches") is not.
    """
    record = Record()
    read: list[tuple[str, list[Resource]]] = []  # (source, its resources)
    for where, payload in ((w.replace("fetched.", "prefetch.", 1), p) for w, p in sources):
        resources = bundle_resources(payload, where, record.issues)
        if where in PATIENT_KEYS:
            _check_patient_key(resources, where, patient_id, record.issues)
        elif where in VISIT_KEYS and encounter_id:
            resources = _this_visit(resources, where, encounter_id, record.issues)
        read.append((where, resources))
    if _plainly_own(read, patient_id):  # the common case, checked in one pass
        record.resources = list(chain.from_iterable(resources for _, resources in read))
        record.distinct = True
        return record
    own = f"Patient/{patient_id}"
    outcomes: dict[str, list[Resource]] = {}  # source -> OperationOutcomes reporting a problem
    others: dict[str, int] = {}  # source -> resources of another patient left out
    seen: dict[tuple[str, str], Resource] = {}  # the first copy of each (type, id)
    more: dict[tuple[str, str], list[Resource]] = {}  # the other copies, if any
    images: dict[int, bytes] = {}  # id(resource) -> its sorted JSON, computed on collision

    def image(res: Resource) -> bytes:
        key = id(res)
        got = images.get(key)
        if got is None:
            try:
                got = orjson.dumps(res, option=orjson.OPT_SORT_KEYS)
            except (orjson.JSONEncodeError, TypeError):
                got = repr(key).encode()  # cannot be compared: kept as a distinct copy
            images[key] = got
        return got

    append = record.resources.append
    for where, resources in read:
        for res in resources:
            rtype = res["resourceType"]
            if rtype == "OperationOutcome":
                if not informational_outcome(res):
                    outcomes.setdefault(where, []).append(res)
                continue
            rid = res.get("id")
            if isinstance(rid, str) and rid:
                key = (rtype, rid)
                first = seen.get(key)
                if first is None:
                    seen[key] = res
                else:  # ids collide: compare the JSON, only now
                    copies = more.setdefault(key, [first])
                    if any(c is res or image(c) == image(res) for c in copies):
                        continue  # truly the same reading, sent twice
                    copies.append(res)
            subject = res.get("subject")
            if (  # _other_patient's common case, inlined: this very patient, no other link
                rtype == "Patient"
                or not isinstance(subject, dict)
                or subject.get("reference") != own
                or not _OTHER_LINKS.isdisjoint(res)
            ) and _other_patient(res, rtype, patient_id, own):
                others[where] = others.get(where, 0) + 1
                continue
            append(res)
    for where, count in others.items():
        name = _key_name(where)
        place = f"prefetch key {name}" if where.startswith("prefetch.") else where
        log.warning("resources of another patient in %s (%d)", place, count)
        if where not in PATIENT_KEYS:  # that key's own item says it
            record.issues.append(
                DataIssue(
                    rid=f"{where}.entry",
                    message=_others_text(name, count),
                    recheck="make sure the chart open is this patient's, and report the mix-up",
                    other_patient=True,
                    records=count,
                )
            )
    for where, found in outcomes.items():
        issue = _outcome_issue(where, found, hook)
        if issue is not None:
            record.issues.append(issue)
    return record


_NO_SUBJECT = frozenset({"Patient", "OperationOutcome"})
"""Types whose ``subject`` does not make them plainly this patient's."""


def _plainly_own(read: list[tuple[str, list[Resource]]], patient_id: str) -> bool:
    """Whether every resource read is plainly this patient's and there once: each has an id
    no other resource has (of any type), and is either the Patient itself or refers to it as
    its ``subject``, with no other patient link (nor is an OperationOutcome). Then there are
    no copies, other patients or EHR outcomes to look into, and no id is repeated.

    One set of the ids themselves, not of (type, id) pairs (building and hashing a tuple per
    resource cost a fifth of gathering): a record that gives two resources of different
    types one id, or two resources none, takes the general path, which keeps them all the
    same; so does an id that cannot be hashed (a list: junk). A lone resource without an id
    is kept on either path."""
    own = f"Patient/{patient_id}"
    try:
        ids = {
            res.get("id")
            for _, resources in read
            for res in resources
            if (  # the common case first: a resource of this patient's, then the Patient itself
                type(subject := res.get("subject")) is dict
                and subject.get("reference") == own
                and _PATIENT_LINK not in res
                and _BENEFICIARY_LINK not in res
                and res["resourceType"] not in _NO_SUBJECT
            )
            or (res["resourceType"] == "Patient" and res.get("id") == patient_id)
        }
    except TypeError:
        return False
    return len(ids) == sum(len(resources) for _, resources in read)


#: Most issues of the EHR's OperationOutcomes quoted in one data issue, and their length.
_OUTCOME_ISSUES = 3
_OUTCOME_TEXT = 120
_MARKUP = str.maketrans({c: " " for c in "*_`<>[]|#\r\n\t"})


def _outcome_issue(where: str, outcomes: list[Resource], hook: str | None) -> DataIssue | None:
    """The data issue of a search whose entries held OperationOutcomes reporting a problem:
    what the EHR said (severity and text, as plain words), on the key as a whole."""
    key = _key_name(where)
    spec = declared(key) if where.startswith("prefetch.") else None
    if spec is not None and hook is not None and not spec.matters_at(hook):
        return None  # nothing here reads that key: a data-check item would be noise
    said: list[str] = []
    worst = "error"
    for outcome in outcomes:
        issues = outcome.get("issue")
        for issue in issues if isinstance(issues, list) else [{}]:
            issue = issue if isinstance(issue, Mapping) else {}
            severity = issue.get("severity")
            if severity == "fatal":
                worst = "fatal"
            text = _outcome_text(issue)
            entry = f"{severity}: {text}" if isinstance(severity, str) else text
            if entry not in said:
                said.append(entry)
    what = "a fatal error" if worst == "fatal" else "a problem"
    shown = "; ".join(said[:_OUTCOME_ISSUES]) + ("; ..." if len(said) > _OUTCOME_ISSUES else "")
    message = (
        f"the EHR reported {what} with this search ({shown}); the entries it did return were "
        "read, others may be missing"
    )
    rid = where
    recheck = spec.recheck if spec else None
    return DataIssue(rid=rid, message=message, recheck=recheck, partial_key=key)


def _outcome_text(issue: Mapping[str, Any]) -> str:
    """An OperationOutcome issue in a few plain words: its text, else diagnostics, else code;
    markup and line breaks taken out, cut to `_OUTCOME_TEXT` characters."""
    details = issue.get("details")
    text = details.get("text") if isinstance(details, Mapping) else None
    for candidate in (text, issue.get("diagnostics"), issue.get("code")):
        if isinstance(candidate, str) and candidate.strip():
            words = " ".join(candidate.translate(_MARKUP).split())
            if len(words) > _OUTCOME_TEXT:
                words = words[: _OUTCOME_TEXT - 1].rstrip() + "…"
            return f'"{words}"'
    return "no details given"


def _others_text(key: str, count: int) -> str:
    if count == 1:
        return f"a record of another patient was in {key} and was not used"
    return f"{count} records of another patient were in {key} and were not used"


def _this_visit(
    resources: list[Resource], where: str, encounter_id: str, issues: list[DataIssue]
) -> list[Resource]:
    """The `encounter` key's resources without any Encounter that is not the call's visit (an
    EHR's stale or mixed-up prefetch), said once: another visit's reason for visit must not
    put the patient in scope or raise a sign. An Encounter without an id cannot be told and
    is kept."""
    kept = [
        r
        for r in resources
        if r["resourceType"] != "Encounter" or r.get("id") in (None, "", encounter_id)
    ]
    if len(kept) < len(resources):
        spec = declared("encounter")
        issues.append(
            DataIssue(
                rid=where,
                message=(
                    "it held another visit than the one in context.encounterId, which was not used"
                ),
                recheck=spec.recheck if spec is not None else None,
                headline="encounter: another visit than this one, left out",
            )
        )
    return kept


def _check_patient_key(
    resources: list[Resource], where: str, patient_id: str, issues: list[DataIssue]
) -> None:
    """Say when the `patient` key holds no Patient resource of this patient: the patient's own
    demographics were then not received (the pack's wording adds what that leaves unchecked)."""
    patients = [r for r in resources if r["resourceType"] == "Patient"]
    if any(r.get("id") in (None, "", patient_id) for r in patients):
        return
    kinds = sorted({str(r["resourceType"]) for r in resources} - {"Patient", "OperationOutcome"})
    if patients:
        message = "it held the record of another patient, which was not used"
    elif kinds:
        message = (
            f"it held a {', '.join(kinds)}, not a Patient resource (read as this patient's record)"
        )
    else:
        return
    spec = declared("patient")
    issues.append(
        DataIssue(
            rid=where,
            message=message,
            recheck=spec.recheck if spec is not None else None,
            other_patient=bool(patients),
        )
    )


def _other_patient(res: Resource, rtype: str, patient_id: str, own: str) -> str | None:
    """The other patient a resource names (``own`` is ``Patient/<patient_id>``), if any."""
    if rtype == "Patient":
        rid = res.get("id")
        return f"Patient/{rid}" if rid and rid != patient_id else None
    subject = res.get("subject")
    if (  # the common case first: the subject is this very patient, and no other link
        isinstance(subject, dict)
        and subject.get("reference") == own
        and _OTHER_LINKS.isdisjoint(res)
    ):
        return None
    for link in PATIENT_LINKS:
        ref = res.get(link)
        if ref is None:
            continue
        target = ref.get("reference") if isinstance(ref, dict) else None
        if target == own or not isinstance(target, str) or "Patient/" not in target:
            continue  # the common case first: a plain reference to this very patient
        pid = target.rsplit("Patient/", 1)[1].split("/")[0]
        if pid != patient_id:
            return f"Patient/{pid}"
    return None
