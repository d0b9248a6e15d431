"""Invariance of danger signs on real-world data (issue 9, item 7).

For every danger-sign rule family, a record that fires it must still fire the same topic after
each transformation that must not matter:

* the reading (or Condition) duplicated, same id;
* the reading moved into a component of a vital-signs panel (85353-1);
* its id removed;
* a malformed neighbour resource added to the same prefetch key;
* its prefetch key split into two pages: page 1 (with a `next` link) in `prefetch`, page 2 (holding
  the sign) handed to the spine as a fetched page, as the service does after following the link;
* its time given without a zone (the site zone is UTC, the default);
* its Condition text wrapped in an affirmative sentence ("Patient reports X today", codes removed);

and must stop firing under each that must matter: negated text, verificationStatus refuted,
entered-in-error, outside the look-back window. The spine (`Evaluator.run`) is called directly
at the fixed NOW, as `cds evaluate` and the service do.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.call import call_of
from cds.evaluate import parse_request
from cds.hooks.registry import Hook
from cds.pack.load import load_pack
from cds.pipeline import Evaluator
from tests.realworld.fhirshapes import (
    ICD10CM,
    NOW,
    SNOMED,
    Json,
    at,
    component,
    condition,
    days,
    lbp,
    obs,
    panel,
    request,
)

PID = "inv-patient"
E, U = "emergency-sign", "urgent-sign"


@dataclass(frozen=True)
class Family:
    name: str
    topic: str
    kind: str  # "obs" or "cond"
    vital: str = ""
    low: float = 0
    high: float = 0
    codings: tuple[tuple[str, str, str], ...] = ()
    phrases: tuple[str, ...] = ()


FAMILIES = [
    Family("spo2-low", E, "obs", "spo2", 70, 91),
    Family("hr-high", E, "obs", "hr", 131, 190),
    Family("hr-low", E, "obs", "hr", 25, 40),
    Family("rr-high", E, "obs", "rr", 25, 45),
    Family("rr-low", E, "obs", "rr", 4, 8),
    Family("fever", U, "obs", "temp", 38.0, 41.0),
    Family(
        "cauda-equina-incontinence",
        E,
        "cond",
        # the cauda equina bladder and bowel signs; the syndrome itself is an emergency at any
        # onset date (issue 10: active cauda equina syndrome, whatever its age), so it has no
        # window to fall outside and is not part of this family
        codings=(
            (ICD10CM, "R32", "Unspecified urinary incontinence"),
            (SNOMED, "72042002", "Incontinence of feces"),
        ),
        phrases=(
            "loss of bladder control",
            "urinary incontinence",
            "bowel incontinence",
        ),
    ),
    Family(
        "syncope",
        E,
        "cond",
        codings=((ICD10CM, "R55", "Syncope and collapse"), (SNOMED, "271594007", "Syncope")),
        phrases=("syncope", "fainting", "loss of consciousness"),
    ),
]
BY_NAME = {f.name: f for f in FAMILIES}

KEEP = ["duplicate", "panel", "no-id", "neighbour", "paged", "zone-less", "affirm"]
STOP = ["negated", "refuted", "entered-in-error", "outside-window"]


def applicable(family: Family, names: list[str]) -> list[str]:
    only_obs = {"panel"}
    only_cond = {"affirm", "negated", "refuted"}
    return [
        n
        for n in names
        if not (family.kind == "cond" and n in only_obs)
        and not (family.kind == "obs" and n in only_cond)
    ]


@dataclass
class Record:
    """The sign resource, the rest of the record, and where the sign lives."""

    family: Family
    sign: list[Json]
    others: list[Json]
    neighbours: list[Json]
    paged: bool = False
    phrase: str = ""


def base_record(
    family: Family, draw_value: float, hours: float, pick: int, coded: bool, style: str
) -> Record:
    if family.kind == "obs":
        value: float = round(draw_value, 1) if family.vital == "temp" else int(draw_value)
        sign = obs(PID, family.vital, value, hours_ago=hours, style=style, oid="sign-1")
        normal = obs(
            PID,
            "hr" if family.vital != "hr" else "spo2",
            80 if family.vital != "hr" else 98,
            hours_ago=hours + 1,
            style=style,
            oid="normal-1",
        )
        return Record(family, [sign], [lbp(PID, style), normal], [])
    phrase = family.phrases[pick % len(family.phrases)]
    coding = family.codings[pick % len(family.codings)]
    if coded:
        sign = condition(PID, [coding], onset_hours=hours, style=style, cid="sign-1")
    else:
        sign = condition(
            PID, text=phrase[0].upper() + phrase[1:], onset_hours=hours, style=style, cid="sign-1"
        )
    return Record(family, [sign], [lbp(PID, style)], [], phrase=phrase)


NORMAL = {"hr": 80, "rr": 16, "spo2": 97, "temp": 36.8}
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _set_value(resource: Json, value: float) -> None:
    if "valueQuantity" in resource:
        resource["valueQuantity"]["value"] = value
    for comp in resource.get("component", []):
        comp["valueQuantity"]["value"] = value


MALFORMED: list[Json] = [
    {"resourceType": "Observation", "id": "broken-1", "status": "final"},
    {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "Misc"},
        "valueString": "see note",
    },
    {"resourceType": "Condition", "id": "broken-2", "subject": {"reference": f"Patient/{PID}"}},
    {"resourceType": "Basic", "id": "broken-3", "code": {"text": "unknown"}},
    {
        "resourceType": "Observation",
        "id": "broken-4",
        "code": {"coding": [{"system": "http://loinc.org"}]},
        "subject": {"reference": f"Patient/{PID}"},
        "valueQuantity": {"value": None},
    },
]


def _naive_utc(text: str) -> str:
    t = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S")


def transform(record: Record, name: str, pick: int) -> None:
    """Apply one named transformation to the record in place."""
    sign = record.sign
    if name == "duplicate":
        # an earlier copy of the same id that does not count or is normal, then the sign again
        older = copy.deepcopy(sign[0])
        if older["resourceType"] == "Observation":
            _set_value(older, NORMAL[record.family.vital])
            older["meta"] = {"lastUpdated": "2026-11-01T00:00:00Z"}
        else:
            older["clinicalStatus"] = {"coding": [{"system": CLIN, "code": "inactive"}]}
            older["meta"] = {"lastUpdated": "2026-01-01T00:00:00Z"}
        record.sign = [older, *sign, copy.deepcopy(sign[0])]
    elif name == "panel":
        new = []
        for r in sign:
            if r["resourceType"] != "Observation" or "valueQuantity" not in r:
                new.append(r)  # a normal older copy already turned into a panel
                continue
            vital = record.family.vital
            reading = component(vital, r["valueQuantity"]["value"])
            # a normal reading of the same kind comes first in the panel
            reading = [component(vital, NORMAL[vital]), reading]
            filler = (
                [component("rr", 16), component("temp", 36.9)]
                if record.family.vital not in ("rr", "temp")
                else [component("hr", 82), component("spo2", 97)]
            )
            comps = filler[: pick % 3] + reading + filler[pick % 3 :]
            p = panel(PID, comps, status=r["status"], oid=r.get("id", "auto") or "auto")
            p["effectiveDateTime"] = r["effectiveDateTime"]
            if "id" not in r:
                p.pop("id", None)
            new.append(p)
        record.sign = new
    elif name == "no-id":
        # no ids anywhere, and a normal reading (or a problem) of the same kind first
        for r in [*sign, *record.others]:
            r.pop("id", None)
        if record.family.kind == "obs":
            normal = obs(
                PID, record.family.vital, NORMAL[record.family.vital], hours_ago=0.2, oid=None
            )
        else:
            normal = condition(PID, text="Anxiety", cid=None)
        record.others.append(normal)
    elif name == "neighbour":
        record.neighbours.append(copy.deepcopy(MALFORMED[pick % len(MALFORMED)]))
    elif name == "paged":
        record.paged = True
    elif name == "zone-less":
        for r in sign:
            for key in ("effectiveDateTime", "onsetDateTime"):
                if key in r:
                    r[key] = _naive_utc(r[key])
    elif name == "affirm":
        for r in sign:
            r["code"] = {"text": f"Patient reports {record.phrase} today"}
    elif name == "negated":
        for r in sign:
            r["code"] = {
                "text": ["No ", "Denies ", "Patient denies ", "Negative for "][pick % 4]
                + record.phrase
            }
    elif name == "refuted":
        for r in sign:
            r["verificationStatus"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                        "code": "refuted",
                    }
                ]
            }
    elif name == "entered-in-error":
        for r in sign:
            if r["resourceType"] == "Observation":
                r["status"] = "entered-in-error"
            else:
                r.pop("clinicalStatus", None)
                r["verificationStatus"] = {
                    "coding": [
                        {
                            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                            "code": "entered-in-error",
                        }
                    ]
                }
    elif name == "outside-window":
        hours = 73 + pick * 7 if record.family.kind == "obs" else days(15) + pick * 24
        for r in sign:
            for key in ("effectiveDateTime", "onsetDateTime"):
                if key in r:
                    r[key] = at(hours)
            r.pop("issued", None)
    else:  # pragma: no cover
        raise AssertionError(name)


_EVALUATOR: list[Evaluator] = []


def evaluator() -> Evaluator:
    if not _EVALUATOR:
        _EVALUATOR.append(Evaluator(load_pack(None)))
    return _EVALUATOR[0]


def topics_of(record: Record, hook: Hook) -> set[str]:
    key = "observations" if record.sign[0]["resourceType"] == "Observation" else "conditions"
    resources = [*record.others, *record.sign, *record.neighbours]
    req = request(hook, PID, resources)
    extra: list[tuple[str, object]] = []
    if record.paged:
        page = req["prefetch"][key]
        entries = page["entry"]
        sign_ids = {id(r) for r in record.sign}
        first = [e for e in entries if id(e["resource"]) not in sign_ids]
        second = [e for e in entries if id(e["resource"]) in sign_ids]
        base = "https://fhir.epic.example.org/api/FHIR/R4"
        next_url = (
            f"{base}/{'Observation' if key == 'observations' else 'Condition'}?patient={PID}&page=2"
        )
        page1 = {
            **page,
            "entry": first,
            "total": len(entries),
            "link": [
                {"relation": "self", "url": f"{base}/x"},
                {"relation": "next", "url": next_url},
            ],
        }
        page2 = {
            **page,
            "entry": second,
            "total": len(entries),
            "link": [{"relation": "self", "url": next_url}],
        }
        req["prefetch"][key] = page1
        extra.append((f"fetched.{key}", page2))
    # through the wire format, as every entry point parses it
    hook_request, context = parse_request(json.dumps(req).encode())
    assert context is not None
    call = call_of(hook, context, hook_request.prefetch, NOW, extra)
    response = evaluator().run(call).response
    return {c.source.topic.code for c in response.cards if c.source.topic is not None}


def build(
    family: Family, value: float, hours_frac: float, pick: int, coded: bool, style: str
) -> Record:
    if family.kind == "obs":
        hours = 0.5 + hours_frac * 69
    else:
        hours = days(0.5 + hours_frac * 13)
    value = family.low + value * (family.high - family.low)
    return base_record(family, value, hours, pick, coded, style)


# --- deterministic: every transformation alone, for every family ----------------------------------

KEEP_CASES = [(f.name, t) for f in FAMILIES for t in ["none", *applicable(f, KEEP)]]
STOP_CASES = [(f.name, t) for f in FAMILIES for t in applicable(f, STOP)]


@pytest.mark.parametrize(("family", "name"), KEEP_CASES, ids=[f"{f}-{t}" for f, t in KEEP_CASES])
def test_each_irrelevant_change_keeps_the_sign(family: str, name: str) -> None:
    fam = BY_NAME[family]
    for coded in (True, False) if fam.kind == "cond" else (True,):
        record = build(fam, 0.5, 0.3, 1, coded, "epic")
        if name != "none":
            transform(record, name, 1)
        got = topics_of(record, "patient-view")
        assert fam.topic in got, f"{family} after {name} (coded={coded}): topics {sorted(got)}"


@pytest.mark.parametrize(("family", "name"), STOP_CASES, ids=[f"{f}-{t}" for f, t in STOP_CASES])
def test_each_relevant_change_stops_the_sign(family: str, name: str) -> None:
    fam = BY_NAME[family]
    for coded in (True, False) if fam.kind == "cond" else (True,):
        record = build(fam, 0.5, 0.3, 1, coded, "epic")
        transform(record, name, 1)
        got = topics_of(record, "patient-view")
        assert fam.topic not in got, f"{family} after {name} (coded={coded}): topics {sorted(got)}"


# --- property: any combination, any value in the firing band, either feed, two hooks ---

fractions = st.floats(min_value=0, max_value=1, allow_nan=False)
PROPERTY = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI must not flake
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def scenario(draw: Callable[..., Any], stop: bool) -> tuple[Family, Record, list[str], str]:
    family = draw(st.sampled_from(FAMILIES))
    coded = draw(st.booleans())
    record = build(
        family,
        draw(fractions),
        draw(fractions),
        draw(st.integers(0, 11)),
        coded,
        draw(st.sampled_from(["epic", "cerner"])),
    )
    keep = applicable(family, KEEP)
    names = draw(st.lists(st.sampled_from(keep), unique=True, max_size=4))
    if stop:
        stopper = draw(st.sampled_from(applicable(family, STOP)))
        if stopper == "negated":
            names = [n for n in names if n != "affirm"]
        # the stopping change first, so every copy/panel/page carries it
        names = [stopper, *names]
    # "paged" is structural: it splits the finished record, so it comes last
    names = sorted(names, key=lambda n: n == "paged")
    pick = draw(st.integers(0, 11))
    for name in names:
        transform(record, name, pick)
    hook = draw(st.sampled_from(["patient-view", "encounter-discharge"]))
    return family, record, names, hook


@PROPERTY
@given(scenario(stop=False))
def test_irrelevant_changes_keep_every_sign(s: tuple[Family, Record, list[str], str]) -> None:
    family, record, names, hook = s
    got = topics_of(record, hook)
    assert family.topic in got, f"{family.name} after {names} ({hook}): topics {sorted(got)}"


@PROPERTY
@given(scenario(stop=True))
def test_relevant_changes_stop_every_sign(s: tuple[Family, Record, list[str], str]) -> None:
    family, record, names, hook = s
    got = topics_of(record, hook)
    assert family.topic not in got, f"{family.name} after {names} ({hook}): topics {sorted(got)}"
