"""Writes the real-world corpus: tests/realworld/cases/*.json, one file per case.

    PYTHONPATH=$PWD python tests/realworld/make_cases.py          # regenerate
    PYTHONPATH=$PWD python tests/realworld/make_cases.py --check  # fail if the files differ

Each case: id, description, hook, service, request (a CDS Hooks request shaped as Epic-like or
Oracle Health (Cerner)-like feeds send it), expected_topics (the exact set of card topics the
contract requires), optional_topics (topics that may or may not appear: used only where the
contract leaves the choice open), forbidden_topics (said again for the reader: never in the
response), must_mention (strings the card details must contain), expect_status (200, or 412
where nothing received lets the pack speak), batch (whether `cds review` can replay it) and
batch_expected_topics (the encounter-discharge replay's topics at NOW).

The expectations come from the contract (shared/design/contract.md: "Cards", "Scope of the
pack", "What data counts") and an emergency physician's reading of the record, never from
running the engine. Evaluation instant: fhirshapes.NOW (2026-11-26T10:00:00Z), site zone UTC,
default site settings (vital window 72 h, symptom window 14 d, HR >= 131 or <= 40,
RR >= 25 or <= 8, SpO2 <= 91 %, temperature >= 38.0 Cel).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from tests.realworld.fhirshapes import (
    ICD10CM,
    ICD10WHO,
    LBP,
    LOINC,
    OBS_CAT,
    RXNORM,
    SNOMED,
    UCUM,
    Json,
    at,
    cc,
    component,
    condition,
    days,
    encounter,
    lbp,
    med_request,
    med_statement,
    new_id,
    obs,
    outcome,
    panel,
    quantity,
    request,
    searchset,
    service_request,
)

OUT = Path(__file__).resolve().parent / "cases"

E, U, D = "emergency-sign", "urgent-sign", "data-check"
DI, AC, SC = "discharge-instructions", "analgesic-caution", "sedation-caution"
INI, IS = "imaging-not-indicated", "imaging-supported"
DANGER = {E, U}

CASES: list[Json] = []


def add(
    cid: str,
    description: str,
    hook: str,
    req: Json,
    expected: Iterable[str],
    *,
    must: Sequence[str] = (),
    optional: Iterable[str] = (),
    forbidden: Iterable[str] = (),
    status: int = 200,
    batch: bool | None = None,
    in_scope: bool = True,
    tags: Sequence[str] = (),
) -> None:
    expected = sorted(set(expected))
    optional = sorted(set(optional) - set(expected))
    forbidden = set(forbidden)
    # a danger topic not expected is forbidden (the whole point: no false 911 card)
    forbidden |= DANGER - set(expected) - set(optional)
    if batch is None:
        batch = hook in ("patient-view", "encounter-discharge") and status == 200
    batch_expected: list[str] | None = None
    if batch:
        extra = {DI} if in_scope and hook == "patient-view" else set()
        batch_expected = sorted(set(expected) | extra) if in_scope else []
    assert cid not in {c["id"] for c in CASES}, cid
    assert len(cid) <= 60, cid
    CASES.append(
        {
            "id": cid,
            "description": description,
            "hook": hook,
            "service": f"back-spasm-{hook}",
            "tags": list(tags),
            "expected_topics": expected,
            "optional_topics": optional,
            "forbidden_topics": sorted(forbidden - set(expected)),
            "must_mention": list(must),
            "expect_status": status,
            "batch": batch,
            "batch_expected_topics": batch_expected,
            "request": req,
        }
    )


def pv(
    cid: str,
    description: str,
    resources: Sequence[Json],
    expected: Iterable[str],
    *,
    style: str = "epic",
    base: bool = True,
    **kw: Any,
) -> None:
    """A patient-view call for a patient with low back pain (base) plus `resources`."""
    pid = cid
    res = [lbp(pid, style)] if base else []
    res += [r(pid) if callable(r) else r for r in resources]
    add(
        cid,
        description,
        "patient-view",
        request("patient-view", pid, res, style=style),
        expected,
        **kw,
    )


# ---------------------------------------------------------------------------------------------
# 1. Vital-sign thresholds, Epic-like and Cerner-like feeds (NEWS2 3-point bands)
# ---------------------------------------------------------------------------------------------
THRESHOLDS = [
    ("hr", 131, {E}, "heart rate 131: at the high threshold"),
    ("hr", 130, set(), "heart rate 130: just under the high threshold"),
    ("hr", 150, {E}, "heart rate 150"),
    ("hr", 40, {E}, "heart rate 40: at the low threshold"),
    ("hr", 41, set(), "heart rate 41: just above the low threshold"),
    ("hr", 35, {E}, "heart rate 35"),
    ("hr", 72, set(), "heart rate 72: normal"),
    ("rr", 25, {E}, "breathing rate 25: at the high threshold"),
    ("rr", 24, set(), "breathing rate 24: just under"),
    ("rr", 8, {E}, "breathing rate 8: at the low threshold"),
    ("rr", 9, set(), "breathing rate 9: just above"),
    ("rr", 30, {E}, "breathing rate 30"),
    ("rr", 16, set(), "breathing rate 16: normal"),
    ("spo2", 91, {E}, "SpO2 91 %: at the threshold"),
    ("spo2", 92, set(), "SpO2 92 %: just above"),
    ("spo2", 86, {E}, "SpO2 86 %"),
    ("spo2", 97, set(), "SpO2 97 %: normal"),
    ("temp", 38.0, {U}, "temperature 38.0 Cel: at the fever threshold"),
    ("temp", 37.9, set(), "temperature 37.9 Cel: just under"),
    ("temp", 38.6, {U}, "temperature 38.6 Cel"),
    ("temp", 36.8, set(), "temperature 36.8 Cel: normal"),
]
for style in ("epic", "cerner"):
    for kind, value, topics, text in THRESHOLDS:
        vtext = str(value).replace(".", "p")
        must = [str(value)] if topics and not (kind == "temp" and value == 38.0) else []
        pv(
            f"thr-{style}-{kind}-{vtext}",
            f"{style.title()}-like vital-signs feed, low back pain, {text} two hours ago",
            [lambda p, k=kind, v=value, s=style: obs(p, k, v, style=s)],
            topics,
            style=style,
            must=must,
            tags=["threshold", style],
        )

# ---------------------------------------------------------------------------------------------
# 2. Units and value types feeds really send
# ---------------------------------------------------------------------------------------------
UNITS = [
    (
        "hr-72-beats-minute",
        "hr",
        72,
        "beats/minute",
        None,
        set(),
        "HR 72 in 'beats/minute' (no UCUM code): normal, never critical",
    ),
    (
        "hr-150-beats-minute",
        "hr",
        150,
        "beats/minute",
        None,
        {E},
        "HR 150 in 'beats/minute' (no UCUM code)",
    ),
    ("hr-150-bpm-nocode", "hr", 150, "bpm", None, {E}, "HR 150 in 'bpm' with no system or code"),
    ("hr-72-bpm-nocode", "hr", 72, "bpm", None, set(), "HR 72 in 'bpm' with no code: normal"),
    (
        "hr-150-beats-annot",
        "hr",
        150,
        "BPM",
        "{beats}/min",
        {E},
        "HR 150, UCUM code '{beats}/min' (annotation)",
    ),
    ("hr-38-per-min", "hr", 38, "per min", None, {E}, "HR 38 in 'per min'"),
    (
        "rr-16-breaths-minute",
        "rr",
        16,
        "breaths/minute",
        None,
        set(),
        "RR 16 in 'breaths/minute': normal, never critical",
    ),
    ("rr-28-breaths-minute", "rr", 28, "breaths/minute", None, {E}, "RR 28 in 'breaths/minute'"),
    ("rr-6-per-min", "rr", 6, "per min", None, {E}, "RR 6 in 'per min'"),
    ("rr-18-per-min", "rr", 18, "per min", None, set(), "RR 18 in 'per min': normal"),
    (
        "rr-30-breaths-annot",
        "rr",
        30,
        "breaths/min",
        "{breaths}/min",
        {E},
        "RR 30, UCUM '{breaths}/min'",
    ),
    (
        "spo2-0p97-fraction",
        "spo2",
        0.97,
        "1",
        "1",
        set(),
        "SpO2 0.97 with unit '1' (a fraction, 97 %): normal, never critical",
    ),
    ("spo2-0p86-fraction", "spo2", 0.86, "1", "1", {E}, "SpO2 0.86 with unit '1' (86 %)"),
    (
        "spo2-0p91-fraction",
        "spo2",
        0.91,
        "1",
        "1",
        {E},
        "SpO2 0.91 with unit '1' (91 %, at threshold)",
    ),
    ("spo2-88-percent-word", "spo2", 88, "percent", None, {E}, "SpO2 88 with unit text 'percent'"),
    (
        "temp-100p4-degf",
        "temp",
        100.4,
        "°F",
        "[degF]",
        {U},
        "temperature 100.4 [degF] is exactly 38.0 Cel",
    ),
    (
        "temp-100p3-degf",
        "temp",
        100.3,
        "°F",
        "[degF]",
        set(),
        "temperature 100.3 [degF]: under 38.0 Cel",
    ),
    (
        "temp-101p3-degf-text",
        "temp",
        101.3,
        "degF",
        None,
        {U},
        "temperature 101.3 with unit text 'degF', no code",
    ),
    (
        "temp-38p2-degc-symbol",
        "temp",
        38.2,
        "°C",
        None,
        {U},
        "temperature 38.2 with unit '°C', no code",
    ),
    (
        "temp-39-unknown-unit",
        "temp",
        39.0,
        "deg",
        None,
        {D},
        "temperature 39 in an unknown unit 'deg': a data-check, never urgent by itself",
    ),
    (
        "hr-150-mmhg",
        "hr",
        150,
        "mmHg",
        "mm[Hg]",
        {D},
        "heart rate 150 in mm[Hg] (wrong dimension): unreadable, data-check",
    ),
]
for cid, kind, value, unit, code, topics, text in UNITS:
    pv(
        f"unit-{cid}",
        f"Low back pain; {text}",
        [lambda p, k=kind, v=value, u=unit, c=code: obs(p, k, v, unit=u, ucum=c)],
        topics,
        must=[{"spo2": "86", "hr": "150"}.get(kind, "")]
        if topics == {E} and value in (0.86, 150)
        else [],
        tags=["unit"],
    )

VALUE_TYPES = [
    (
        "hr-int-150",
        "hr",
        "valueInteger",
        150,
        {E},
        ["150"],
        "HR 150 as valueInteger: the card names the value",
    ),
    ("hr-int-72", "hr", "valueInteger", 72, set(), [], "HR 72 as valueInteger: normal"),
    ("spo2-int-86", "spo2", "valueInteger", 86, {E}, ["86"], "SpO2 86 as valueInteger"),
    (
        "hr-str-150-min",
        "hr",
        "valueString",
        "150 /min",
        {E},
        ["150"],
        "HR valueString '150 /min' (number with unit)",
    ),
    ("hr-str-150-bpm", "hr", "valueString", "150 bpm", {E}, ["150"], "HR valueString '150 bpm'"),
    ("spo2-str-86-pct", "spo2", "valueString", "86 %", {E}, ["86"], "SpO2 valueString '86 %'"),
    (
        "temp-str-38p5",
        "temp",
        "valueString",
        "38.5 Cel",
        {U},
        [],
        "temperature valueString '38.5 Cel'",
    ),
    (
        "hr-str-150-bare",
        "hr",
        "valueString",
        "150",
        {E},
        ["150"],
        "HR valueString '150' with no unit: the code says a heart rate, read in /min as a "
        "valueInteger is (stop25; was a data-check item)",
    ),
    (
        "hr-str-irregular",
        "hr",
        "valueString",
        "irregular",
        {D},
        [],
        "HR valueString 'irregular' (text): data-check, never critical",
    ),
    (
        "temp-str-febrile",
        "temp",
        "valueString",
        "febrile to touch",
        {D},
        [],
        "temperature valueString 'febrile to touch': data-check, never urgent by itself",
    ),
]
for cid, kind, key, value, topics, must, text in VALUE_TYPES:
    pv(
        f"value-{cid}",
        f"Low back pain; {text}",
        [lambda p, k=kind, kk=key, v=value: obs(p, k, v, value_key=kk)],
        topics,
        must=must,
        tags=["value-type"],
    )

pv(
    "value-hr-absent-unknown",
    "HR with dataAbsentReason 'unknown' and no value: no reading, never critical",
    [lambda p: obs(p, "hr", absent="unknown")],
    set(),
    optional={D},
    tags=["value-type"],
)
pv(
    "value-hr-absent-error",
    "HR with dataAbsentReason 'error' (device error): a data-check, never critical",
    [lambda p: obs(p, "hr", absent="error")],
    {D},
    tags=["value-type"],
)
pv(
    "value-spo2-absent-error-cerner",
    "Cerner-like SpO2 with dataAbsentReason 'error': data-check",
    [lambda p: obs(p, "spo2", absent="error", style="cerner")],
    {D},
    style="cerner",
    tags=["value-type"],
)
pv(
    "value-spo2-absent-plus-real",
    "SpO2 with dataAbsentReason 'asked-declined' and a real SpO2 86 an hour later",
    [
        lambda p: obs(p, "spo2", absent="asked-declined", hours_ago=3),
        lambda p: obs(p, "spo2", 86, hours_ago=2),
    ],
    {E},
    optional={D},
    must=["86"],
    tags=["value-type"],
)

# ---------------------------------------------------------------------------------------------
# 2b. Consciousness read from observations: GCS total below 15, ACVPU/AVPU other than Alert
# ---------------------------------------------------------------------------------------------


def avpu(p: str, word: str, status: str = "final") -> Json:
    answer = cc(("urn:oid:1.2.840.114350.1.13.0.1.7.2.707679.3040", word[0], word), text=word)
    return obs(p, "avpu", answer, value_key="valueCodeableConcept", status=status, seed=word)


CONSCIOUSNESS = [
    ("gcs-13", lambda p: obs(p, "gcs", 13), {E}, ["13"], "Glasgow coma score total 13"),
    (
        "gcs-14-int",
        lambda p: obs(p, "gcs", 14, value_key="valueInteger"),
        {E},
        ["14"],
        "GCS total 14 as valueInteger",
    ),
    ("gcs-15", lambda p: obs(p, "gcs", 15), set(), [], "GCS total 15: normal"),
    (
        "gcs-eye-2-not-total",
        lambda p: obs(p, "gcs", 2, code=cc((LOINC, "9267-6", "Glasgow coma score eye opening"))),
        {E},
        [],
        "GCS eye-opening sub-score 2 alone: eyes open only to pain, so the total is below 15",
    ),
    (
        "gcs-13-preliminary",
        lambda p: obs(p, "gcs", 13, status="preliminary"),
        {D},
        ["13"],
        "GCS total 13 preliminary: data-check",
    ),
    (
        "gcs-12-48h",
        lambda p: obs(p, "gcs", 12, hours_ago=48),
        {E},
        ["12"],
        "GCS total 12 two days ago",
    ),
    ("avpu-verbal", lambda p: avpu(p, "Verbal"), {E}, [], "AVPU 'Verbal' (responds to voice only)"),
    ("avpu-unresponsive", lambda p: avpu(p, "Unresponsive"), {E}, [], "AVPU 'Unresponsive'"),
    ("acvpu-new-confusion", lambda p: avpu(p, "New confusion"), {E}, [], "ACVPU 'New confusion'"),
    ("avpu-alert", lambda p: avpu(p, "Alert"), set(), [], "AVPU 'Alert': normal"),
]
for cid, build, topics, must, text in CONSCIOUSNESS:
    pv(
        f"conscious-{cid}",
        f"Low back pain; {text}",
        [build],
        topics,
        must=must,
        tags=["consciousness"],
    )

# ---------------------------------------------------------------------------------------------
# 3. Statuses: device feeds stay preliminary until a nurse validates them
# ---------------------------------------------------------------------------------------------
STATUSES = [
    (
        "spo2",
        85,
        "preliminary",
        {D},
        ["85"],
        "SpO2 85 % preliminary (device feed): data-check naming it, not critical",
    ),
    ("spo2", 85, "registered", {D}, ["85"], "SpO2 85 % registered: data-check, not critical"),
    ("spo2", 97, "preliminary", set(), [], "SpO2 97 % preliminary: normal, nothing to check"),
    ("spo2", 85, "amended", {E}, ["85"], "SpO2 85 % amended"),
    ("spo2", 85, "corrected", {E}, ["85"], "SpO2 85 % corrected"),
    ("spo2", 85, "entered-in-error", set(), [], "SpO2 85 % entered-in-error: nothing"),
    ("spo2", 85, "cancelled", set(), [], "SpO2 85 % cancelled: nothing"),
    (
        "hr",
        150,
        "preliminary",
        {D},
        ["150"],
        "HR 150 preliminary from a bedside monitor: data-check",
    ),
    ("hr", 35, "preliminary", {D}, ["35"], "HR 35 preliminary: data-check"),
    ("hr", 72, "preliminary", set(), [], "HR 72 preliminary: normal, nothing"),
    ("rr", 30, "preliminary", {D}, ["30"], "RR 30 preliminary: data-check"),
    (
        "temp",
        39.1,
        "preliminary",
        {D},
        ["39.1"],
        "temperature 39.1 preliminary: data-check, not urgent by itself",
    ),
    ("hr", 150, "amended", {E}, ["150"], "HR 150 amended"),
]
for kind, value, status, topics, must, text in STATUSES:
    for style in (
        ("epic", "cerner")
        if status == "preliminary" and kind == "spo2" and value == 85
        else ("epic",)
    ):
        pv(
            f"status-{style}-{kind}-{str(value).replace('.', 'p')}-{status}",
            f"{style.title()}-like feed, low back pain; {text}",
            [lambda p, k=kind, v=value, st=status, s=style: obs(p, k, v, status=st, style=s)],
            topics,
            style=style,
            must=must,
            tags=["status"],
        )


def _unstatused(p: str, kind: str, value: Any, how: str) -> Json:
    """A reading whose status is missing or null (integrator review 3)."""
    o = obs(p, kind, value)
    if how == "absent":
        del o["status"]
    else:
        o["status"] = None
    return o


def _code_listed(p: str, kind: str, value: Any) -> Json:
    """A reading whose CodeableConcept ``code`` was sent as an array of one."""
    o = obs(p, kind, value)
    o["code"] = [o["code"]]
    return o


def _v2_loinc(p: str, kind: str, value: Any) -> Json:
    """A reading whose LOINC coding says system "LN" (HL7 v2 converters keep v2's name)."""
    o = obs(p, kind, value)
    for c in o["code"]["coding"]:
        if c.get("system") == "http://loinc.org":
            c["system"] = "LN"
    return o


MALFORMED = [
    ("nostatus-temp-39p2", lambda p: _unstatused(p, "temp", 39.2, "absent"), {D}, ["39.2"]),
    ("nullstatus-temp-39p2", lambda p: _unstatused(p, "temp", 39.2, "null"), {D}, ["39.2"]),
    ("nullstatus-spo2-85", lambda p: _unstatused(p, "spo2", 85, "null"), {D}, ["85"]),
    ("nostatus-hr-72", lambda p: _unstatused(p, "hr", 72, "absent"), set(), []),
    ("code-array-temp-39p2", lambda p: _code_listed(p, "temp", 39.2), {D}, ["39.2"]),
    ("code-array-hr-150", lambda p: _code_listed(p, "hr", 150), {D}, ["150"]),
    ("loinc-ln-temp-39p2", lambda p: _v2_loinc(p, "temp", 39.2), {U}, ["39.2"]),
    ("loinc-ln-spo2-85", lambda p: _v2_loinc(p, "spo2", 85), {E}, ["85"]),
]
for cid, build, topics, must in MALFORMED:
    pv(
        f"malformed-{cid}",
        "Malformed but recognisable reading (no status, null status, code as an array: a "
        "data-check naming it, never a danger card by itself; LOINC as 'LN': read as LOINC)",
        [build],
        topics,
        must=must,
        tags=["status", "malformed"],
    )

# ---------------------------------------------------------------------------------------------
# 4. Times and windows
# ---------------------------------------------------------------------------------------------
TIMES = [
    ("spo2-85-70h", "spo2", 85, 70, "Z", {E}, "SpO2 85 % 70 h ago: inside the 72 h window"),
    ("spo2-85-74h", "spo2", 85, 74, "Z", set(), "SpO2 85 % 74 h ago: outside the 72 h window"),
    (
        "hr-150-71h-zoneless",
        "hr",
        150,
        71.5,
        None,
        {E},
        "HR 150 71.5 h ago, time without zone (site zone UTC): inside",
    ),
    (
        "hr-150-72h30-zoneless",
        "hr",
        150,
        72.5,
        None,
        set(),
        "HR 150 72.5 h ago, time without zone (site zone UTC): outside",
    ),
    (
        "hr-150-71h-offset",
        "hr",
        150,
        71,
        "-05:00",
        {E},
        "HR 150 71 h ago written with a -05:00 offset: inside",
    ),
    (
        "hr-150-73h-offset",
        "hr",
        150,
        73,
        "-05:00",
        set(),
        "HR 150 73 h ago written with a -05:00 offset: outside",
    ),
    (
        "hr-150-future-5min",
        "hr",
        150,
        -5 / 60,
        "Z",
        {E},
        "HR 150 dated 5 minutes after the hook (clock skew): counts",
    ),
    (
        "hr-150-future-15d",
        "hr",
        150,
        -days(15),
        "Z",
        {D},
        "HR 150 dated 15 days after the hook: a data error (data-check), not a sign",
    ),
    (
        "spo2-85-future-2d",
        "spo2",
        85,
        -days(2),
        "Z",
        {D},
        "SpO2 85 % dated 2 days in the future: data-check, not a sign",
    ),
    (
        "temp-38p5-10d",
        "temp",
        38.5,
        days(10),
        "Z",
        set(),
        "temperature 38.5 ten days ago: outside the vital-sign window",
    ),
]
for cid, kind, value, hours, zone, topics, text in TIMES:
    pv(
        f"time-{cid}",
        f"Low back pain; {text}",
        [lambda p, k=kind, v=value, h=hours, z=zone: obs(p, k, v, hours_ago=h, zone=z)],
        topics,
        batch=False if hours < 0 else None,
        tags=["time"],
    )


def _hr_period(p: str) -> Json:
    r = obs(p, "hr", 150, hours_ago=3)
    del r["effectiveDateTime"]
    r["effectivePeriod"] = {"start": at(3), "end": at(2.5)}
    return r


def _hr_issued_only(p: str) -> Json:
    r = obs(p, "hr", 150, hours_ago=3)
    del r["effectiveDateTime"]
    return r


pv(
    "time-hr-150-effective-period",
    "HR 150 with effectivePeriod (no effectiveDateTime) 3 h ago",
    [_hr_period],
    {E},
    tags=["time"],
)
pv(
    "time-hr-150-issued-only",
    "HR 150 with only `issued` (no effective time) 3 h ago",
    [_hr_issued_only],
    {E},
    tags=["time"],
)

COND_TIMES = [
    (
        "chills-13d",
        dict(onset_hours=days(13)),
        {U},
        "Chills with onset 13 days ago: inside the 14-day symptom window",
    ),
    ("chills-15d", dict(onset_hours=days(15)), set(), "Chills with onset 15 days ago: outside"),
    (
        "chills-period-3d",
        dict(onset_hours=days(3), onset_period=True),
        {U},
        "Chills with onsetPeriod.start 3 days ago",
    ),
    (
        "chills-recorded-2d",
        dict(onset_hours=None, recorded_hours=days(2)),
        {U},
        "Chills with no onset, recordedDate 2 days ago",
    ),
    (
        "chills-onset-20d-recorded-2d",
        dict(onset_hours=days(20), recorded_hours=days(2)),
        set(),
        "Chills with onset 20 days ago recorded 2 days ago: the onset governs, outside",
    ),
    (
        "chills-13d-zoneless",
        dict(onset_hours=days(13.9), onset_zone=None),
        {U},
        "Chills onset 13.9 days ago, zone-less (site UTC): inside",
    ),
]
for cid, kw, topics, text in COND_TIMES:
    pv(
        f"time-cond-{cid}",
        f"Low back pain; {text}",
        [lambda p, k=kw: condition(p, [(SNOMED, "43724002", "Chill (finding)")], **k)],
        topics,
        tags=["time", "condition"],
    )

# ---------------------------------------------------------------------------------------------
# 5. Panels, components, duplicates, resources without ids
# ---------------------------------------------------------------------------------------------
for style in ("epic", "cerner"):
    pv(
        f"panel-{style}-85353-hr140",
        f"{style.title()}-like vital-signs panel 85353-1 with components HR 140, RR 18, SpO2 97",
        [
            lambda p, s=style: panel(
                p,
                [
                    component("hr", 140, style=s),
                    component("rr", 18, style=s),
                    component("spo2", 97, style=s),
                ],
            )
        ],
        {E},
        style=style,
        must=["140"],
        tags=["panel", style],
    )
pv(
    "panel-two-hr-normal-first",
    "Panel with two heart-rate components, 80 first then 150",
    [lambda p: panel(p, [component("hr", 80), component("hr", 150)])],
    {E},
    must=["150"],
    tags=["panel"],
)
pv(
    "panel-orthostatic-138",
    "Orthostatic panel: HR 84 lying, 112 sitting, 138 standing",
    [
        lambda p: panel(
            p,
            [
                component("hr", 84, loinc="68999-2"),
                component("hr", 112, loinc="69000-8"),
                component("hr", 138, loinc="69001-6"),
            ],
            loinc="34553-1",
            display="Orthostatic vital signs",
        )
    ],
    {E},
    must=["138"],
    tags=["panel"],
)
pv(
    "panel-orthostatic-125",
    "Orthostatic panel: HR 78 lying, 96 sitting, 125 standing (all under 131)",
    [
        lambda p: panel(
            p,
            [
                component("hr", 78, loinc="68999-2"),
                component("hr", 96, loinc="69000-8"),
                component("hr", 125, loinc="69001-6"),
            ],
            loinc="34553-1",
            display="Orthostatic vital signs",
        )
    ],
    set(),
    tags=["panel"],
)
pv(
    "panel-spo2-fraction-0p88",
    "Panel with an SpO2 component 0.88 unit '1' (88 %)",
    [
        lambda p: panel(
            p,
            [
                component("hr", 88),
                {
                    "code": {"coding": [{"system": LOINC, "code": "59408-5"}]},
                    "valueQuantity": quantity(0.88, "1", "1"),
                },
            ],
        )
    ],
    {E},
    must=["88"],
    tags=["panel"],
)
pv(
    "panel-temp-38p4",
    "Panel with a temperature component 38.4 Cel",
    [lambda p: panel(p, [component("temp", 38.4), component("hr", 96)])],
    {U},
    tags=["panel"],
)
pv(
    "panel-all-normal",
    "Panel HR 76, RR 14, SpO2 98, temp 36.9: nothing",
    [
        lambda p: panel(
            p,
            [
                component("hr", 76),
                component("rr", 14),
                component("spo2", 98),
                component("temp", 36.9),
            ],
        )
    ],
    set(),
    tags=["panel"],
)
pv(
    "panel-preliminary-hr150",
    "Preliminary panel (device) with HR 150: data-check, not critical",
    [lambda p: panel(p, [component("hr", 150), component("spo2", 96)], status="preliminary")],
    {D},
    must=["150"],
    tags=["panel", "status"],
)
pv(
    "panel-rr-component-breaths",
    "Panel with RR component 27 in 'breaths/minute'",
    [
        lambda p: panel(
            p,
            [
                {
                    "code": {"coding": [{"system": LOINC, "code": "9279-1"}]},
                    "valueQuantity": {"value": 27, "unit": "breaths/minute"},
                }
            ],
        )
    ],
    {E},
    must=["27"],
    tags=["panel", "unit"],
)


def _dupes(p: str, first: tuple[Any, str], second: tuple[Any, str], kind: str = "hr") -> list[Json]:
    a = obs(p, kind, first[0], status=first[1], oid="dup1", last_updated_hours=2)
    b = obs(p, kind, second[0], status=second[1], oid="dup1", last_updated_hours=1)
    return [a, b]


def _pv_many(cid: str, text: str, build: Any, topics: set[str], **kw: Any) -> None:
    pid = cid
    res = [lbp(pid), *build(pid)]
    add(cid, text, "patient-view", request("patient-view", pid, res), topics, **kw)


_pv_many(
    "dup-hr-final80-amended150",
    "Same Observation id twice: final 80, then amended 150",
    lambda p: _dupes(p, (80, "final"), (150, "amended")),
    {E},
    must=["150"],
    batch=False,
    tags=["duplicate"],
)
_pv_many(
    "dup-hr-amended150-final80",
    "Same id twice: amended 150 listed first, final 80 second",
    lambda p: _dupes(p, (150, "amended"), (80, "final")),
    {E},
    must=["150"],
    batch=False,
    tags=["duplicate"],
)
_pv_many(
    "dup-spo2-prelim-then-final",
    "Same id: preliminary then final SpO2 85 %",
    lambda p: _dupes(p, (85, "preliminary"), (85, "final"), "spo2"),
    {E},
    optional={D},
    must=["85"],
    batch=False,
    tags=["duplicate"],
)
_pv_many(
    "dup-spo2-identical",
    "The same final SpO2 86 % sent twice, identical",
    lambda p: [obs(p, "spo2", 86, oid="same1")] * 2,
    {E},
    must=["86"],
    batch=False,
    tags=["duplicate"],
)
_pv_many(
    "noid-hr-80-then-150",
    "Two heart rates without ids: 80, then 150",
    lambda p: [obs(p, "hr", 80, oid=None), obs(p, "hr", 150, oid=None, hours_ago=1)],
    {E},
    must=["150"],
    batch=False,
    tags=["no-id"],
)
_pv_many(
    "noid-spo2-95-then-86",
    "Two SpO2 without ids: 95 %, then 86 %",
    lambda p: [obs(p, "spo2", 95, oid=None), obs(p, "spo2", 86, oid=None, hours_ago=1)],
    {E},
    must=["86"],
    batch=False,
    tags=["no-id"],
)
_pv_many(
    "noid-hr-150-alone",
    "One heart rate 150 without an id",
    lambda p: [obs(p, "hr", 150, oid=None)],
    {E},
    must=["150"],
    batch=False,
    tags=["no-id"],
)
_pv_many(
    "noid-conditions-lbp-and-ces",
    "Low back pain and cauda equina syndrome Conditions, both without ids",
    lambda p: [condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")], cid=None)],
    {E},
    batch=False,
    tags=["no-id"],
)
_pv_many(
    "dup-cond-lbp-active-resolved-fever",
    "Low back pain sent twice (active and resolved copies) and a fever 38.6",
    lambda p: [condition(p, LBP, cid="lbpdup", clinical="resolved"), obs(p, "temp", 38.6)],
    {U},
    batch=False,
    tags=["duplicate"],
)

# ---------------------------------------------------------------------------------------------
# 6. Codes
# ---------------------------------------------------------------------------------------------
pv(
    "code-hr-nosystem-valid-loinc",
    "HR 150 coded only as {code: '8867-4'} without system (a valid LOINC)",
    [lambda p: obs(p, "hr", 150, code={"coding": [{"code": "8867-4"}], "text": "HR"})],
    {E},
    must=["150"],
    tags=["code"],
)
pv(
    "code-spo2-nosystem-valid-loinc",
    "SpO2 86 coded only as {code: '59408-5'} without system",
    [lambda p: obs(p, "spo2", 86, code={"coding": [{"code": "59408-5", "display": "SpO2"}]})],
    {E},
    must=["86"],
    tags=["code"],
)
pv(
    "code-hr-nosystem-bad-check-digit",
    "HR 150 coded {code: '8867-5'} without system: not a valid LOINC, no match by code",
    [lambda p: obs(p, "hr", 150, code={"coding": [{"code": "8867-5"}], "text": "Blood flow"})],
    set(),
    optional={D},
    tags=["code"],
)
pv(
    "code-hr-nosystem-bad-check-digit-named",
    "HR 150 under a code that is no valid LOINC, named 'HR': the name alone says heart rate",
    [lambda p: obs(p, "hr", 150, code={"coding": [{"code": "8867-5"}], "text": "HR"})],
    {E},
    must=["150"],
    tags=["code"],
)
pv(
    "code-hr-epic-local-only",
    "Pulse 142 under an Epic flowsheet code alone, named 'PULSE' (ER review, third round, c14)",
    [
        lambda p: obs(
            p,
            "hr",
            142,
            code={
                "coding": [
                    {
                        "system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.696580",
                        "code": "8",
                        "display": "PULSE",
                    }
                ],
                "text": "Pulse",
            },
        )
    ],
    {E},
    must=["142"],
    tags=["code"],
)
pv(
    "code-spo2-local-only-pulse-ox-name",
    "Pulse oximetry 97 under a local code alone: a normal SpO2, never a heart rate of 97",
    [
        lambda p: obs(
            p,
            "spo2",
            97,
            code={"coding": [{"system": "urn:oid:1.2.3", "code": "10"}], "text": "Pulse Ox"},
        )
    ],
    set(),
    tags=["code"],
)
pv(
    "code-hr-loinc-oid",
    "HR 150 with LOINC given as the HL7 OID urn:oid:2.16.840.1.113883.6.1",
    [
        lambda p: obs(
            p,
            "hr",
            150,
            code={"coding": [{"system": "urn:oid:2.16.840.1.113883.6.1", "code": "8867-4"}]},
        )
    ],
    {E},
    tags=["code"],
)
pv(
    "code-spo2-2708-only",
    "SpO2 84 coded with Epic local flowsheet id and LOINC 2708-6 only",
    [
        lambda p: obs(
            p,
            "spo2",
            84,
            code={
                "coding": [
                    {"system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679", "code": "10"},
                    {"system": LOINC, "code": "2708-6"},
                ],
                "text": "SpO2",
            },
        )
    ],
    {E},
    must=["84"],
    tags=["code"],
)
pv(
    "code-who-icd10-r55",
    "Syncope coded R55 in the WHO ICD-10 system (http://hl7.org/fhir/sid/icd-10), yesterday",
    [lambda p: condition(p, [(ICD10WHO, "R55", "Syncope and collapse")], onset_hours=days(1))],
    {E},
    tags=["code"],
)
pv(
    "code-who-icd10-g834",
    "Cauda equina syndrome coded G83.4 in WHO ICD-10",
    [lambda p: condition(p, [(ICD10WHO, "G83.4", "Cauda equina syndrome")], onset_hours=days(1))],
    {E},
    tags=["code"],
)
pv(
    "code-who-icd10-m545-scope",
    "Only diagnosis: WHO ICD-10 M54.5 low back pain; HR 150",
    [lambda p: condition(p, [(ICD10WHO, "M54.5", "Low back pain")]), lambda p: obs(p, "hr", 150)],
    {E},
    base=False,
    tags=["code", "scope"],
)
pv(
    "code-icd10cm-nodot-g834",
    "Cauda equina syndrome as ICD-10-CM 'G834' (no dot)",
    [lambda p: condition(p, [(ICD10CM, "G834", "Cauda equina syndrome")])],
    {E},
    tags=["code"],
)
pv(
    "code-icd10cm-lower-r32",
    "Urinary incontinence as ICD-10-CM 'r32' (lower case)",
    [lambda p: condition(p, [(ICD10CM, "r32", "Unspecified urinary incontinence")])],
    {E},
    tags=["code"],
)
pv(
    "code-icd10cm-oid-r32",
    "Urinary incontinence R32 with ICD-10-CM given as OID urn:oid:2.16.840.1.113883.6.90",
    [lambda p: condition(p, [("urn:oid:2.16.840.1.113883.6.90", "R32", "Urinary incontinence")])],
    {E},
    tags=["code"],
)
pv(
    "code-snomed-syncope",
    "Syncope SNOMED 271594007, onset 2 days ago",
    [lambda p: condition(p, [(SNOMED, "271594007", "Syncope")], onset_hours=days(2))],
    {E},
    tags=["code"],
)
pv(
    "code-local-display-incontinence",
    "Problem with only a local Cerner code and display 'Urinary incontinence'",
    [
        lambda p: condition(
            p,
            [("https://fhir.cerner.com/x/nomenclature", "N-88231", "Urinary incontinence")],
            style="cerner",
        )
    ],
    {E},
    tags=["code", "text"],
)
pv(
    "code-multi-coding-retention",
    "Urinary retention R33.9 with SNOMED and a local code beside it (new retention: cauda equina "
    "bladder sign)",
    [
        lambda p: condition(
            p,
            [
                ("urn:oid:1.2.840.114350.1.13.0.1.7.2.728286", "9921", "Retention of urine"),
                (ICD10CM, "R33.9", "Retention of urine, unspecified"),
                (SNOMED, "267064002", "Retention of urine"),
            ],
        )
    ],
    {E},
    tags=["code"],
)

# scope by text or local code only
pv(
    "code-text-back-spasm-scope",
    "Only diagnosis: text-only problem 'Back spasm'; SpO2 86",
    [lambda p: condition(p, text="Back spasm"), lambda p: obs(p, "spo2", 86)],
    {E},
    base=False,
    must=["86"],
    tags=["scope", "text"],
)
pv(
    "code-text-lumbago-scope",
    "Only diagnosis: text-only 'Lumbago'; HR 150",
    [lambda p: condition(p, text="Lumbago"), lambda p: obs(p, "hr", 150)],
    {E},
    base=False,
    tags=["scope", "text"],
)
pv(
    "code-local-lbp-scope-fever",
    "Only diagnosis: Epic local code with display 'Low back pain'; temperature 38.5",
    [
        lambda p: condition(
            p, [("urn:oid:1.2.840.114350.1.13.0.1.7.2.728286", "301102", "Low back pain")]
        ),
        lambda p: obs(p, "temp", 38.5),
    ],
    {U},
    base=False,
    tags=["scope", "code"],
)

# ---------------------------------------------------------------------------------------------
# 7. Text: negated, uncertain, historical, family; and affirmed
# ---------------------------------------------------------------------------------------------
NEGATED = [
    ("no-fever", "No fever"),
    ("denies-fever", "Denies fever"),
    ("negative-chills", "Negative for chills"),
    ("without-leg-weakness", "Back pain without leg weakness"),
    ("no-saddle", "No saddle anesthesia"),
    ("denies-bladder", "denies bladder incontinence"),
    ("ro-cauda", "r/o cauda equina"),
    ("rule-out-cauda", "Rule out cauda equina syndrome"),
    ("possible-uti", "possible UTI"),
    ("possible-fever", "Possible fever"),
    ("suspected-cauda", "Suspected cauda equina syndrome"),
    ("q-saddle", "? saddle numbness"),
    ("hx-syncope", "hx of syncope"),
    ("history-syncope", "History of syncope"),
    ("family-cauda", "Family history of cauda equina syndrome"),
    ("fhx-incontinence", "FHx: mother with urinary incontinence"),
    (
        "combined-negation",
        "Low back pain. No fever, no saddle anesthesia, no bladder or bowel incontinence",
    ),
    ("no-sob", "No shortness of breath"),
    ("not-confused", "Alert, not confused"),
    ("no-loc", "Fall without loss of consciousness"),
]
for cid, text in NEGATED:
    pv(
        f"text-neg-{cid}",
        f"Low back pain; text-only problem '{text}': negated/uncertain/historical, never a sign",
        [lambda p, t=text: condition(p, text=t, onset_hours=days(1))],
        set(),
        tags=["text", "negation"],
    )
pv(
    "text-neg-provisional-rule-out",
    "Provisional Condition, text 'Rule out cauda equina syndrome'",
    [lambda p: condition(p, text="Rule out cauda equina syndrome", verification="provisional")],
    set(),
    tags=["text", "negation"],
)
pv(
    "text-neg-differential-ro",
    "Condition with verificationStatus differential, text 'r/o cauda equina': no sign, but a "
    "data-check item asks whether it was ruled out (er27 W3)",
    [lambda p: condition(p, text="r/o cauda equina", verification="differential")],
    {D},
    tags=["text", "negation"],
)

AFFIRMED = [
    ("fever", "Fever", {U}),
    ("reports-fever-today", "Patient reports fever today", {U}),
    ("bladder-control", "Loss of bladder control", {E}),
    ("new-incontinence", "New urinary incontinence since yesterday", {E}),
    ("saddle-anesthesia", "Saddle anesthesia", {U}),
    ("fainted", "Fainted at home", {E}),
    ("passed-out", "Passed out this morning", {E}),
    ("chills-and-fever", "Chills and fever", {U}),
    ("left-leg-numbness", "Numbness in the left leg", {U}),
    ("sob", "Shortness of breath", {E}),
    ("confused", "Confused", {E}),
    ("delirium", "Delirium", {E}),
    ("urinary-retention", "Urinary retention", {E}),
    ("unable-to-void", "Unable to void since this morning", {E}),
    ("no-fever-but-incontinence", "No fever but reports loss of bladder control", {E}),
    ("denies-fever-reports-chills", "Denies fever. Reports chills.", {U}),
]
for cid, text, topics in AFFIRMED:
    pv(
        f"text-aff-{cid}",
        f"Low back pain; affirmed text-only problem '{text}'",
        [lambda p, t=text: condition(p, text=t, onset_hours=days(1))],
        topics,
        tags=["text", "affirmed"],
    )

# statuses of Conditions
CSTAT = [
    (
        "refuted-ces",
        dict(verification="refuted"),
        [(ICD10CM, "G83.4", "Cauda equina syndrome")],
        set(),
        "Cauda equina syndrome G83.4, verificationStatus refuted",
    ),
    (
        "eie-syncope",
        dict(verification="entered-in-error", clinical=None),
        [(ICD10CM, "R55", "Syncope and collapse")],
        set(),
        "Syncope R55 entered-in-error",
    ),
    (
        "resolved-fever",
        dict(clinical="resolved"),
        [(SNOMED, "386661006", "Fever")],
        set(),
        "Fever, clinicalStatus resolved",
    ),
    (
        "inactive-chills",
        dict(clinical="inactive"),
        [(SNOMED, "43724002", "Chill")],
        set(),
        "Chills, clinicalStatus inactive",
    ),
    (
        "recurrence-syncope",
        dict(clinical="recurrence"),
        [(ICD10CM, "R55", "Syncope and collapse")],
        {E},
        "Syncope R55, clinicalStatus recurrence",
    ),
    (
        "relapse-incontinence",
        dict(clinical="relapse"),
        [(ICD10CM, "R32", "Urinary incontinence")],
        {E},
        "Urinary incontinence, clinicalStatus relapse",
    ),
    (
        "provisional-coded-ces",
        dict(verification="provisional"),
        [(ICD10CM, "G83.4", "Cauda equina syndrome")],
        {E},
        "Cauda equina syndrome coded G83.4, provisional (a coded working diagnosis counts)",
    ),
    (
        "unconfirmed-syncope",
        dict(verification="unconfirmed"),
        [(ICD10CM, "R55", "Syncope and collapse")],
        {E},
        "Syncope coded R55, unconfirmed",
    ),
    (
        "no-verification-r32",
        dict(verification=None),
        [(ICD10CM, "R32", "Urinary incontinence")],
        {E},
        "Urinary incontinence R32 with no verificationStatus",
    ),
    (
        "encounter-dx-r55",
        dict(category="encounter-diagnosis"),
        [(ICD10CM, "R55", "Syncope and collapse")],
        {E},
        "Syncope as an encounter-diagnosis category Condition",
    ),
]
for cid, kw, codings, topics, text in CSTAT:
    pv(
        f"cstatus-{cid}",
        f"Low back pain; {text}",
        [lambda p, k=kw, c=codings: condition(p, c, **k)],
        topics,
        tags=["condition-status"],
    )

pv(
    "cstatus-refuted-suppresses-text",
    "Refuted cauda equina syndrome (coded) and an active text-only 'cauda equina syndrome' entry: "
    "the refutation wins",
    [
        lambda p: condition(
            p, [(ICD10CM, "G83.4", "Cauda equina syndrome")], verification="refuted"
        ),
        lambda p: condition(p, text="cauda equina syndrome", seed="txt"),
    ],
    set(),
    tags=["condition-status", "text"],
)
pv(
    "cstatus-refuted-other-concept",
    "Refuted cauda equina syndrome and an affirmed 'Loss of bladder control': the bladder sign "
    "stands",
    [
        lambda p: condition(
            p, [(ICD10CM, "G83.4", "Cauda equina syndrome")], verification="refuted"
        ),
        lambda p: condition(p, text="Loss of bladder control"),
    ],
    {E},
    tags=["condition-status", "text"],
)

# ---------------------------------------------------------------------------------------------
# 8. Scope: the pack speaks only about patients with a back-pain diagnosis
# ---------------------------------------------------------------------------------------------
SCOPE = [
    (
        "none-spo2-85",
        [],
        [("spo2", 85)],
        set(),
        False,
        "No back-pain diagnosis (pneumonia) and SpO2 85 %: out of scope, no cards",
    ),
    (
        "none-fever",
        [],
        [("temp", 39.2)],
        set(),
        False,
        "No back-pain diagnosis and temperature 39.2: out of scope",
    ),
    (
        "neck-pain-hr150",
        [(ICD10CM, "M54.2", "Cervicalgia")],
        [("hr", 150)],
        set(),
        False,
        "Only neck pain M54.2 and HR 150: out of scope",
    ),
    (
        "disc-m5126-hr150",
        [(ICD10CM, "M51.26", "Other intervertebral disc displacement, lumbar region")],
        [("hr", 150)],
        {E},
        True,
        "Only a lumbar disc disorder M51.26 and HR 150: in scope",
    ),
    (
        "stenosis-m48061-spo2",
        [(ICD10CM, "M48.061", "Spinal stenosis, lumbar region without neurogenic claudication")],
        [("spo2", 86)],
        {E},
        True,
        "Only lumbar spinal stenosis M48.061 and SpO2 86: in scope",
    ),
    (
        "stenosis-snomed-fever",
        [(SNOMED, "18347007", "Spinal stenosis of lumbar region")],
        [("temp", 38.4)],
        {U},
        True,
        "Only lumbar spinal stenosis (SNOMED 18347007) and temp 38.4: in scope",
    ),
    (
        "ces-only",
        [(ICD10CM, "G83.4", "Cauda equina syndrome")],
        [],
        {E},
        True,
        "Only diagnosis cauda equina syndrome G83.4 (recent): in scope, emergency",
    ),
    (
        "strain-hr150",
        [
            (
                ICD10CM,
                "S39.012A",
                "Strain of muscle, fascia and tendon of lower back, initial encounter",
            )
        ],
        [("hr", 150)],
        {E},
        True,
        "Lumbar strain S39.012A and HR 150",
    ),
    (
        "spasm-spo2",
        [(ICD10CM, "M62.830", "Muscle spasm of back")],
        [("spo2", 86)],
        {E},
        True,
        "Back muscle spasm M62.830 and SpO2 86",
    ),
    (
        "sciatica-recent",
        [(ICD10CM, "M54.31", "Sciatica, right side")],
        [],
        set(),
        True,
        "Sciatica M54.31 with onset 3 days ago: in scope, but the diagnosis the patient came "
        "with is no urgent sign by itself (ER physician review, third round)",
    ),
    (
        "radiculopathy-m5416-hr",
        [(ICD10CM, "M54.16", "Radiculopathy, lumbar region")],
        [("hr", 38)],
        {E},
        True,
        "Lumbar radiculopathy M54.16 (3 days) and HR 38: the heart rate's card only",
    ),
]
for cid, codings, vitals, topics, in_scope, text in SCOPE:
    res: list[Any] = []
    if codings:
        res.append(lambda p, c=codings: condition(p, c))
    else:
        res.append(lambda p: condition(p, [(ICD10CM, "J18.9", "Pneumonia, unspecified organism")]))
    res += [lambda p, k=k, v=v: obs(p, k, v) for k, v in vitals]
    pv(f"scope-{cid}", text, res, topics, base=False, in_scope=in_scope, tags=["scope"])

NOT_SCOPE = [
    ("negated-lbp", dict(text="No low back pain"), [], "Text-only 'No low back pain'"),
    ("refuted-lbp", dict(codings=LBP, verification="refuted"), [], "Low back pain refuted"),
    (
        "eie-lbp",
        dict(codings=LBP, verification="entered-in-error", clinical=None),
        [],
        "Low back pain entered-in-error",
    ),
    ("resolved-lbp", dict(codings=LBP, clinical="resolved"), [], "Low back pain resolved"),
    (
        "family-lbp",
        dict(text="Family history of low back pain"),
        [],
        "Text-only 'Family history of low back pain'",
    ),
]
for cid, kw, _, text in NOT_SCOPE:
    pv(
        f"scope-out-{cid}",
        f"{text} is the only back-pain record; HR 150 and SpO2 85: out of scope, no cards",
        [
            lambda p, k=kw: condition(p, **k),
            lambda p: obs(p, "hr", 150),
            lambda p: obs(p, "spo2", 85),
        ],
        set(),
        base=False,
        in_scope=False,
        tags=["scope"],
    )

# ---------------------------------------------------------------------------------------------
# 9. Prefetch as received: pages, OperationOutcome, malformed Bundles, extra keys
# ---------------------------------------------------------------------------------------------


def struct(
    cid: str,
    text: str,
    resources: Sequence[Json],
    override: dict[str, Any],
    topics: set[str],
    *,
    hook: str = "patient-view",
    drop: Sequence[str] = (),
    style: str = "epic",
    **kw: Any,
) -> None:
    req = request(hook, cid, resources, style=style, override=override, drop_keys=drop)
    add(cid, text, hook, req, topics, batch=False, tags=["prefetch", *kw.pop("tags", [])], **kw)


p = "pf-conditions-next-unfollowable"
struct(
    p,
    "Conditions page 1 of 3 (next link, no fhirServer to follow it) holds cauda equina; "
    "observations SpO2 86",
    [obs(p, "spo2", 86)],
    {
        "conditions": searchset(
            [lbp(p), condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")])],
            rtype="Condition",
            next_url="https://fhir.epic.example.org/api/FHIR/R4/Condition?patient=x&page=2",
            total=57,
        )
    },
    {E, D},
    must=["86"],
)
p = "pf-observations-next-unfollowable"
struct(
    p,
    "Observations page 1 with a next link that cannot be followed holds HR 150",
    [lbp(p)],
    {
        "observations": searchset(
            [obs(p, "hr", 150)],
            next_url="https://fhir.epic.example.org/api/FHIR/R4/Observation?page=2",
            total=412,
        )
    },
    {E, D},
    must=["150"],
)
p = "pf-observations-next-normal"
struct(
    p,
    "Observations page 1 (normal readings) with a next link that cannot be followed: the rest was "
    "not checked",
    [lbp(p)],
    {
        "observations": searchset(
            [obs(p, "hr", 80)],
            next_url="https://fhir.epic.example.org/api/FHIR/R4/Observation?page=2",
            total=300,
        )
    },
    {D},
)
p = "pf-cerner-observations-next"
struct(
    p,
    "Cerner-like observations page with next link and SpO2 86 on page 1",
    [lbp(p, "cerner")],
    {
        "observations": searchset(
            [obs(p, "spo2", 86, style="cerner")],
            style="cerner",
            next_url="https://fhir-ehr.cerner.example.com/r4/x/Observation?patient=x&-pageContext=abc&-pageDirection=NEXT",
        )
    },
    {E, D},
    style="cerner",
    must=["86"],
)
p = "pf-observations-outcome"
struct(
    p,
    "Observations key is an OperationOutcome (the EHR's own fetch failed); low back pain",
    [lbp(p)],
    {"observations": outcome("Observation search timed out", "timeout")},
    {D},
)
p = "pf-observations-outcome-ces"
struct(
    p,
    "Observations key is an OperationOutcome; conditions hold cauda equina syndrome",
    [lbp(p), condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")])],
    {"observations": outcome("Observation search failed")},
    {E, D},
)
p = "pf-conditions-outcome-pv"
struct(
    p,
    "Conditions key is an OperationOutcome and nothing else says back pain; SpO2 86: the pack "
    "cannot tell whether it speaks (412)",
    [obs(p, "spo2", 86)],
    {"conditions": outcome("Condition search failed")},
    set(),
    status=412,
)
p = "pf-conditions-outcome-discharge"
enc = encounter(
    p,
    f"enc-{p}",
    reason=[cc((ICD10CM, "M54.50", "Low back pain, unspecified"), text="Low back pain")],
)
req = request(
    "encounter-discharge",
    p,
    [obs(p, "spo2", 86)],
    encounter_resource=enc,
    override={"conditions": outcome("Condition search failed")},
)
add(
    p,
    "Discharge: conditions key is an OperationOutcome, encounter reason low back pain, SpO2 86",
    "encounter-discharge",
    req,
    {E, D, DI},
    must=["86"],
    batch=False,
    tags=["prefetch"],
)
p = "pf-search-outcome-entry"
struct(
    p,
    "Cerner-like observations Bundle with an informational OperationOutcome entry (search.mode "
    "outcome) and HR 150",
    [lbp(p, "cerner")],
    {
        "observations": searchset(
            [obs(p, "hr", 150, style="cerner")],
            style="cerner",
            outcome=outcome(
                "Results may be incomplete for encounters older than 5 years",
                "informational",
                "information",
            ),
        )
    },
    {E},
    optional={D},
    style="cerner",
)
p = "pf-search-outcome-error-entry"
struct(
    p,
    "Cerner-like observations Bundle with HR 150 and an OperationOutcome entry (search.mode "
    "outcome) reporting an error: the sign counts, and the EHR's problem is said",
    [lbp(p, "cerner")],
    {
        "observations": searchset(
            [obs(p, "hr", 150, style="cerner")],
            style="cerner",
            outcome=outcome("Some results could not be returned: source system unavailable"),
        )
    },
    {E, D},
    style="cerner",
    must=["reported a problem with this search", "source system unavailable"],
)
p = "pf-conditions-fatal-outcome-entry"
bundle = searchset(
    [lbp(p), condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")])], rtype="Condition"
)
bundle["entry"].append({"resource": outcome("Search aborted", "too-costly", "fatal")})
struct(
    p,
    "Conditions Bundle holding cauda equina and an OperationOutcome entry (no search.mode) "
    "with a fatal issue: the emergency card stands, and a data-check card says the EHR's error",
    [],
    {"conditions": bundle},
    {E, D},
    must=["fatal error with this search", "Search aborted"],
)
p = "pf-conditions-entry-object"
struct(
    p,
    "Conditions Bundle whose `entry` is one object (not a list) holding low back pain; HR 150",
    [obs(p, "hr", 150)],
    {
        "conditions": {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": 1,
            "entry": {"fullUrl": "x", "resource": lbp(p), "search": {"mode": "match"}},
        }
    },
    {E},
    optional={D},
)
p = "pf-observations-entry-object"
struct(
    p,
    "Observations Bundle whose `entry` is one object holding SpO2 86",
    [lbp(p)],
    {
        "observations": {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": {"resource": obs(p, "spo2", 86)},
        }
    },
    {E},
    optional={D},
    must=["86"],
)
p = "pf-extra-key-string"
struct(
    p,
    "An undeclared prefetch key 'vitals' holding a string: ignored; HR 150",
    [lbp(p), obs(p, "hr", 150)],
    {"vitals": "n/a"},
    {E},
)
p = "pf-extra-key-outcome"
struct(
    p,
    "An undeclared prefetch key 'labs' holding an OperationOutcome: ignored; SpO2 86",
    [lbp(p), obs(p, "spo2", 86)],
    {"labs": outcome("not supported")},
    {E},
)
p = "pf-observations-null"
struct(
    p,
    "Observations key null (the EHR knows there are none); cauda equina syndrome",
    [lbp(p), condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")])],
    {"observations": None},
    {E},
)
p = "pf-observations-absent"
struct(
    p,
    "Observations key absent, no fhirServer: not had, so a data-check; cauda equina syndrome "
    "still fires",
    [lbp(p), condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")])],
    {},
    {E, D},
    drop=["observations"],
)
p = "pf-other-patient-obs"
struct(
    p,
    "An HR 150 whose subject is another patient: not this patient's sign",
    [lbp(p), {**obs(p, "hr", 150), "subject": {"reference": "Patient/someone-else"}}],
    {},
    set(),
    optional={D},
)
p = "pf-malformed-neighbour"
struct(
    p,
    "An Observation with no code and no value beside an SpO2 86",
    [
        lbp(p),
        {"resourceType": "Observation", "id": "broken1", "status": "final"},
        obs(p, "spo2", 86),
    ],
    {},
    {E},
    optional={D},
    must=["86"],
)
p = "pf-entry-without-resource"
bundle = searchset([obs(p, "hr", 150)])
bundle["entry"].insert(
    0,
    {
        "fullUrl": "https://fhir.epic.example.org/api/FHIR/R4/Observation/gone",
        "search": {"mode": "match"},
    },
)
struct(
    p,
    "Observations Bundle with an entry that has no resource, and HR 150",
    [lbp(p)],
    {"observations": bundle},
    {E},
    optional={D},
    must=["150"],
)
p = "pf-patient-as-bundle"
struct(
    p,
    "Patient key sent as a searchset Bundle with one Patient; HR 150",
    [lbp(p), obs(p, "hr", 150)],
    {
        "patient": {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": 1,
            "entry": [
                {"resource": {"resourceType": "Patient", "id": p, "birthDate": "1970-01-01"}}
            ],
        }
    },
    {E},
)

# ---------------------------------------------------------------------------------------------
# 10. Discharge
# ---------------------------------------------------------------------------------------------


def egfr(p: str, value: float) -> Json:
    """An eGFR lab result a month ago (laboratory category, LOINC 48642-3)."""
    r = obs(p, "hr", value, hours_ago=days(30), seed="egfr")
    r["category"] = [
        {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                    "code": "laboratory",
                }
            ]
        }
    ]
    r["code"] = cc(
        (LOINC, "48642-3", "Glomerular filtration rate/1.73 sq M.predicted"), text="eGFR"
    )
    r["valueQuantity"] = quantity(value, "mL/min/1.73m2", "mL/min/{1.73_m2}")
    return r


def dc(
    cid: str,
    text: str,
    resources: Sequence[Any],
    expected: set[str],
    *,
    reason: Sequence[Json] = (),
    diagnosis: Sequence[Json] = (),
    base: bool = True,
    style: str = "epic",
    **kw: Any,
) -> None:
    pid = cid
    res = [lbp(pid, style)] if base else []
    res += [r(pid) if callable(r) else r for r in resources]
    enc = encounter(pid, f"enc-{pid}", reason=reason, diagnosis=diagnosis, style=style)
    add(
        cid,
        text,
        "encounter-discharge",
        request("encounter-discharge", pid, res, style=style, encounter_resource=enc),
        expected,
        tags=["discharge", *kw.pop("tags", [])],
        **kw,
    )


for style in ("epic", "cerner"):
    dc(
        f"dc-{style}-standard",
        f"{style.title()}-like discharge, low back pain, nothing else",
        [],
        {DI},
        style=style,
    )
    dc(
        f"dc-{style}-ckd",
        f"{style.title()}-like discharge, low back pain and CKD stage 3 (N18.30)",
        [
            lambda p, s=style: condition(
                p,
                [(ICD10CM, "N18.30", "Chronic kidney disease, stage 3 unspecified")],
                onset_hours=days(900),
                style=s,
            )
        ],
        {DI, AC},
        style=style,
    )
dc(
    "dc-diabetes",
    "Discharge, low back pain and type 2 diabetes E11.9",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications")],
            onset_hours=days(2000),
        )
    ],
    {DI, AC},
)
dc(
    "dc-egfr-45",
    "Discharge, low back pain and eGFR 45 a month ago",
    [lambda p: egfr(p, 45)],
    {DI, AC},
)
dc(
    "dc-egfr-75",
    "Discharge, low back pain and eGFR 75 a month ago: no caution",
    [lambda p: egfr(p, 75)],
    {DI},
)
dc(
    "dc-cyclobenzaprine",
    "Discharge with active cyclobenzaprine",
    [lambda p: med_request(p, "21949", "cyclobenzaprine")],
    {DI, SC},
)
dc(
    "dc-oxycodone-onhold",
    "Discharge with oxycodone on-hold",
    [lambda p: med_request(p, "7804", "Oxycodone", status="on-hold")],
    {DI, SC},
)
dc(
    "dc-cyclobenzaprine-completed",
    "Discharge with a completed cyclobenzaprine course: nothing active",
    [lambda p: med_request(p, "21949", "cyclobenzaprine", status="completed")],
    {DI},
)
dc(
    "dc-lorazepam",
    "Discharge with active lorazepam (a benzodiazepine: sedating)",
    [lambda p: med_request(p, "6470", "Lorazepam")],
    {DI, SC},
)
dc(
    "dc-warfarin-statement",
    "Discharge; warfarin recorded as an active MedicationStatement (home medicine)",
    [lambda p: med_statement(p, "11289", "Warfarin")],
    {DI, AC},
)
dc(
    "dc-hr150",
    "Discharge, low back pain, HR 150 an hour ago",
    [lambda p: obs(p, "hr", 150, hours_ago=1)],
    {DI, E},
    must=["150"],
)
dc(
    "dc-spo2-prelim-88",
    "Discharge, SpO2 88 % preliminary (device)",
    [lambda p: obs(p, "spo2", 88, status="preliminary")],
    {DI, D},
    must=["88"],
)
dc(
    "dc-reason-text-only",
    "Discharge: no Conditions; encounter reasonCode text 'Low back pain' only",
    [],
    {DI},
    base=False,
    reason=[{"text": "Low back pain"}],
)
dc(
    "dc-diagnosis-display-only",
    "Discharge: no Conditions; Encounter.diagnosis a reference with display 'Lumbago' only",
    [],
    {DI},
    base=False,
    diagnosis=[{"condition": {"reference": "Condition/not-sent", "display": "Lumbago"}, "rank": 1}],
)
dc(
    "dc-diagnosis-display-ces",
    "Discharge: Encounter.diagnosis display 'Cauda equina syndrome' (reference only) and reason "
    "low back pain",
    [],
    {DI, E},
    base=False,
    reason=[{"text": "Low back pain"}],
    diagnosis=[{"condition": {"reference": "Condition/dx-2", "display": "Cauda equina syndrome"}}],
)
dc(
    "dc-reason-negated",
    "Discharge: reason 'Low back pain. No fever, no saddle anesthesia, no bladder or bowel "
    "incontinence'",
    [],
    {DI},
    base=False,
    reason=[
        {"text": "Low back pain. No fever, no saddle anesthesia, no bladder or bowel incontinence"}
    ],
)
dc(
    "dc-reason-rule-out-cauda",
    "Discharge: reason 'Back pain, rule out cauda equina'",
    [],
    {DI},
    base=False,
    reason=[{"text": "Back pain, rule out cauda equina"}],
)
dc(
    "dc-reason-rule-out-cauda-lbp",
    "Discharge, low back pain Condition; reason text 'Back pain, rule out cauda equina'",
    [],
    {DI},
    reason=[{"text": "Back pain, rule out cauda equina"}],
)
dc(
    "dc-reason-ro-uti",
    "Discharge, low back pain; reason 'Back pain; possible UTI'",
    [],
    {DI},
    reason=[{"text": "Back pain; possible UTI"}],
)
dc(
    "dc-cerner-reason-coded-fever",
    "Cerner-like discharge: reasonCode M54.50 coded, no Conditions; temperature 38.3",
    [lambda p: obs(p, "temp", 38.3, style="cerner")],
    {DI, U},
    base=False,
    style="cerner",
    reason=[
        cc(
            (ICD10CM, "M54.50", "Low back pain, unspecified"),
            (SNOMED, "279039007", "Low back pain"),
            text="Low back pain",
        )
    ],
)
dc(
    "dc-out-of-scope-pneumonia",
    "Discharge for pneumonia (no back pain) with SpO2 85: out of scope",
    [
        lambda p: condition(p, [(ICD10CM, "J18.9", "Pneumonia, unspecified organism")]),
        lambda p: obs(p, "spo2", 85),
    ],
    set(),
    base=False,
    in_scope=False,
    reason=[{"text": "Pneumonia"}],
)
dc(
    "dc-hx-syncope-text",
    "Discharge, low back pain; problem 'hx of syncope': not a sign",
    [lambda p: condition(p, text="hx of syncope")],
    {DI},
)
dc(
    "dc-orthostatic-panel",
    "Discharge; orthostatic panel HR 84 lying, 112 sitting, 138 standing",
    [
        lambda p: panel(
            p,
            [
                component("hr", 84, loinc="68999-2"),
                component("hr", 112, loinc="69000-8"),
                component("hr", 138, loinc="69001-6"),
            ],
            loinc="34553-1",
            display="Orthostatic vital signs",
        )
    ],
    {DI, E},
    must=["138"],
)

# ---------------------------------------------------------------------------------------------
# 11. Order hooks
# ---------------------------------------------------------------------------------------------
MRI = [(LOINC, "24968-0", "MR Lumbar spine")]


def order(
    cid: str,
    text: str,
    resources: Sequence[Any],
    drafts: Sequence[Any],
    expected: set[str],
    *,
    hook: str = "order-sign",
    base: bool = True,
    **kw: Any,
) -> None:
    pid = cid
    res = [lbp(pid)] if base else []
    res += [r(pid) if callable(r) else r for r in resources]
    ds = [d(pid) if callable(d) else d for d in drafts]
    add(
        cid,
        text,
        hook,
        request(hook, pid, res, drafts=ds),
        expected,
        tags=["order", *kw.pop("tags", [])],
        **kw,
    )


def mri(p: str) -> Json:
    return service_request(p, MRI, "MRI lumbar spine without contrast")


def ibuprofen(p: str) -> Json:
    return med_request(p, "5640", "Ibuprofen", status="draft", hours_ago=0)


order(
    "ord-mri-plain", "MRI lumbar spine for low back pain of 5 days, no red flag", [], [mri], {INI}
)
order(
    "ord-mri-fall",
    "MRI lumbar; fall W19.XXXA three days ago",
    [lambda p: condition(p, [(ICD10CM, "W19.XXXA", "Unspecified fall, initial encounter")])],
    [mri],
    {IS},
)
order(
    "ord-mri-persistent-10wk",
    "MRI lumbar; low back pain with onset 10 weeks ago",
    [lambda p: condition(p, LBP, onset_hours=days(70))],
    [mri],
    {IS},
    base=False,
)
order(
    "ord-mri-fever",
    "MRI lumbar; temperature 38.6 two hours ago",
    [lambda p: obs(p, "temp", 38.6)],
    [mri],
    {IS, U},
)
order(
    "ord-mri-ces",
    "MRI lumbar; cauda equina syndrome G83.4",
    [lambda p: condition(p, [(ICD10CM, "G83.4", "Cauda equina syndrome")])],
    [mri],
    {IS, E},
)
order(
    "ord-mri-cancer-hx",
    "MRI lumbar; personal history of malignant neoplasm Z85.3",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "Z85.3", "Personal history of malignant neoplasm of breast")],
            onset_hours=days(3000),
        )
    ],
    [mri],
    {IS},
)
order(
    "ord-mri-no-fever-text",
    "MRI lumbar; problem text 'No fever': not a red flag",
    [lambda p: condition(p, text="No fever")],
    [mri],
    {INI},
)
order(
    "ord-mri-possible-fever",
    "MRI lumbar; problem text 'possible fever' three days ago: no fever sign (no urgent card), "
    "but a red flag suspected is what the MRI is for (fix26c: once dropped by its full onset "
    "time, while the same problem dated '2026-11-23' supported it)",
    [lambda p: condition(p, text="possible fever")],
    [mri],
    {IS},
    must=["red flag suspected"],
    forbidden={INI},
)
order(
    "ord-mri-fall-text",
    "MRI lumbar; problem text 'Fall from ladder yesterday'",
    [lambda p: condition(p, text="Fall from ladder yesterday", onset_hours=days(1))],
    [mri],
    {IS},
)
order(
    "ord-mri-denies-fall",
    "MRI lumbar; problem text 'Denies fall or trauma'",
    [lambda p: condition(p, text="Denies fall or trauma")],
    [mri],
    {INI},
)
order(
    "ord-mri-no-dx",
    "MRI lumbar ordered for a patient without a back-pain diagnosis (in scope by the order)",
    [],
    [mri],
    {INI},
    base=False,
)
order(
    "ord-mri-hr150",
    "MRI lumbar; HR 150 (not an imaging criterion, an emergency sign)",
    [lambda p: obs(p, "hr", 150)],
    [mri],
    {INI, E},
    hook="order-select",
)
order(
    "ord-mri-spo2-prelim",
    "MRI lumbar; SpO2 85 preliminary",
    [lambda p: obs(p, "spo2", 85, status="preliminary")],
    [mri],
    {INI, D},
)
order(
    "ord-chest-xray-no-dx",
    "Chest X-ray for a patient without back pain: out of scope",
    [],
    [lambda p: service_request(p, [(LOINC, "36643-5", "XR Chest 2 Views")], "XR chest 2 views")],
    set(),
    base=False,
    in_scope=False,
)
order("ord-ibuprofen-plain", "Ibuprofen for low back pain, no caution", [], [ibuprofen], set())
order(
    "ord-ibuprofen-ckd",
    "Ibuprofen; CKD N18.4",
    [
        lambda p: condition(
            p, [(ICD10CM, "N18.4", "Chronic kidney disease, stage 4")], onset_hours=days(900)
        )
    ],
    [ibuprofen],
    {AC},
)
order(
    "ord-ibuprofen-egfr45",
    "Ibuprofen; eGFR 45 a month ago",
    [lambda p: egfr(p, 45)],
    [ibuprofen],
    {AC},
)
order(
    "ord-ibuprofen-warfarin-select",
    "order-select ibuprofen; warfarin MedicationStatement",
    [lambda p: med_statement(p, "11289", "Warfarin")],
    [ibuprofen],
    {AC},
    hook="order-select",
)
order(
    "ord-cyclobenzaprine",
    "Cyclobenzaprine draft",
    [],
    [lambda p: med_request(p, "21949", "cyclobenzaprine", status="draft", hours_ago=0)],
    {SC},
)
order(
    "ord-oxycodone",
    "Oxycodone draft",
    [],
    [lambda p: med_request(p, "7804", "Oxycodone", status="draft", hours_ago=0)],
    {SC},
)
order(
    "ord-ibuprofen-reason-lbp-ckd",
    "Ibuprofen whose reasonCode text is 'low back pain' (no back-pain Condition); CKD",
    [
        lambda p: condition(
            p, [(ICD10CM, "N18.4", "Chronic kidney disease, stage 4")], onset_hours=days(900)
        )
    ],
    [lambda p: {**ibuprofen(p), "reasonCode": [{"text": "low back pain"}]}],
    {AC},
    base=False,
)
order(
    "ord-ibuprofen-no-scope-ckd",
    "Ibuprofen for a headache, no back pain anywhere; CKD: out of scope",
    [
        lambda p: condition(
            p, [(ICD10CM, "N18.4", "Chronic kidney disease, stage 4")], onset_hours=days(900)
        )
    ],
    [lambda p: {**ibuprofen(p), "reasonCode": [{"text": "headache"}]}],
    set(),
    base=False,
    in_scope=False,
)


# ---------------------------------------------------------------------------------------------
# 12. Emergency-physician review (EHR-shaped cases): the visit's reason at every hook, vital
#     codes, comparators, cauda equina and weakness wording, GCS components, CES history
# ---------------------------------------------------------------------------------------------


def visit(
    cid: str,
    text: str,
    hook: str,
    reason: Sequence[Json],
    resources: Sequence[Any],
    expected: set[str],
    *,
    drafts: Sequence[Any] = (),
    **kw: Any,
) -> None:
    """A call at ``hook`` whose only back pain (and maybe sign) is the visit's reason."""
    pid = cid
    res = [r(pid) if callable(r) else r for r in resources]
    enc = encounter(pid, f"enc-{pid}", reason=reason)
    ds = [d(pid) if callable(d) else d for d in drafts]
    req = request(hook, pid, res, encounter_resource=enc, drafts=ds)
    add(cid, text, hook, req, expected, tags=["er-review", *kw.pop("tags", [])], **kw)


RETENTION_CC = [{"text": "Back pain, unable to urinate since last night"}]
visit(
    "er-cc-retention-pv",
    "patient-view; no Conditions; visit reason 'Back pain, unable to urinate since last night'",
    "patient-view",
    RETENTION_CC,
    [],
    {E},
    must=["retention"],
)
visit(
    "er-cc-retention-mri-select",
    "order-select MRI lumbar; the visit reason is back pain with urinary retention",
    "order-select",
    RETENTION_CC,
    [],
    {E, IS},
    drafts=[mri],
    forbidden={INI},
)
visit(
    "er-cc-back-pain-hr160-pv",
    "patient-view; back pain only as the visit reason (text); heart rate 160",
    "patient-view",
    [{"text": "Back pain"}],
    [lambda p: obs(p, "hr", 160)],
    {E},
    must=["160"],
)
visit(
    "er-cc-lbp-ibuprofen-warfarin-sign",
    "order-sign ibuprofen; active warfarin; low back pain only as the visit reason",
    "order-sign",
    [{"text": "Low back pain"}],
    [lambda p: med_request(p, "855332", "warfarin 5 mg tablet")],
    {AC},
    drafts=[ibuprofen],
)
visit(
    "er-cc-coded-lbp-hr160-select",
    "order-select ibuprofen; visit reason coded M54.50 only; heart rate 160",
    "order-select",
    [cc((ICD10CM, "M54.50", "Low back pain, unspecified"))],
    [lambda p: obs(p, "hr", 160)],
    {E},
    drafts=[ibuprofen],
)
visit(
    "er-cc-headache-hr160-pv",
    "patient-view; visit reason 'Headache' (not back pain); heart rate 160: out of scope",
    "patient-view",
    [{"text": "Headache"}],
    [lambda p: obs(p, "hr", 160)],
    set(),
    in_scope=False,
)


for cid, kind, value, loinc, display, topics in [
    ("er-hr-8889-8-pulse-ox-150", "hr", 150, "8889-8", "Heart rate by Pulse oximetry", {E}),
    (
        "er-hr-8893-0-palpation-38",
        "hr",
        38,
        "8893-0",
        "Heart rate Peripheral artery by palpation",
        {E},
    ),
    ("er-hr-8889-8-pulse-ox-88", "hr", 88, "8889-8", "Heart rate by Pulse oximetry", set()),
    ("er-spo2-20564-1-84", "spo2", 84, "20564-1", "Oxygen saturation in Blood", {E}),
    ("er-spo2-20564-1-97", "spo2", 97, "20564-1", "Oxygen saturation in Blood", set()),
    (
        "er-spo2-59417-6-resting-86",
        "spo2",
        86,
        "59417-6",
        "Oxygen saturation in Arterial blood by Pulse oximetry --resting",
        {E},
    ),
]:
    pv(
        cid,
        f"{display} (LOINC {loinc}, the only coding) {value}",
        [lambda p, k=kind, v=value, c=loinc, d=display: obs(p, k, v, code=cc((LOINC, c, d)))],
        topics,
        must=[str(value)] if topics else [],
        tags=["er-review"],
    )


def bounded(p: str, kind: str, comparator: str, value: float, unit: str) -> Json:
    """A vital sign recorded as a bound (a Quantity with a comparator)."""
    qty = {**quantity(value, unit, unit), "comparator": comparator}
    return obs(p, kind, value, seed=comparator, extra={"valueQuantity": qty})


for cid, kind, comparator, value, unit, topics, text in [
    ("er-bound-spo2-lt85", "spo2", "<", 85, "%", {E}, "certain: every value below 85 is <= 91"),
    ("er-bound-spo2-lt92", "spo2", "<", 92, "%", {D}, "could be 91 or below: re-check"),
    ("er-bound-spo2-gt90", "spo2", ">", 90, "%", {D}, "could be 90.5 or 99: re-check"),
    ("er-bound-spo2-gt95", "spo2", ">", 95, "%", set(), "cannot be 91 or below"),
    ("er-bound-hr-gt140", "hr", ">", 140, "/min", {E}, "certain: above 140 is >= 131"),
    ("er-bound-hr-lt140", "hr", "<", 140, "/min", {D}, "could be 131-139: re-check"),
    ("er-bound-temp-ge38", "temp", ">=", 38.0, "Cel", {U}, "certain: at least 38.0"),
    ("er-bound-temp-gt37-9", "temp", ">", 37.9, "Cel", {D}, "could be 37.95: re-check"),
]:
    pv(
        cid,
        f"{kind} recorded as the bound {comparator}{value} {unit}: {text}",
        [lambda p, a=(kind, comparator, value, unit): bounded(p, *a)],
        topics,
        must=[f"{comparator}{value}"] if topics else [],
        tags=["er-review", "comparator"],
    )


for cid, codings, text, onset, topics, what in [
    (
        "er-ces-n39-490-overflow",
        [(ICD10CM, "N39.490", "Overflow incontinence")],
        None,
        14,
        {E},
        "overflow incontinence N39.490 since last night",
    ),
    (
        "er-ces-n39-42-no-awareness",
        [(ICD10CM, "N39.42", "Incontinence without sensory awareness")],
        None,
        14,
        {E},
        "incontinence without sensory awareness N39.42 since last night",
    ),
    (
        "er-ces-n39-490-chronic",
        [(ICD10CM, "N39.490", "Overflow incontinence")],
        None,
        days(3 * 365),
        set(),
        "overflow incontinence on the problem list since three years: no sign",
    ),
    ("er-ces-incontinence-word", [], "Incontinence", 14, {E}, "text 'Incontinence' only"),
    (
        "er-ces-denies-incontinence",
        [],
        "Denies incontinence",
        14,
        set(),
        "text 'Denies incontinence': negated",
    ),
    (
        "er-ces-fecal-incontinence-chronic",
        [],
        "Fecal incontinence",
        days(800),
        set(),
        "text 'Fecal incontinence' with an onset two years ago: history",
    ),
    (
        "er-saddle-toilet-paper",
        [],
        "Cannot feel toilet paper when wiping",
        14,
        {U},
        "text 'Cannot feel toilet paper when wiping' (saddle numbness)",
    ),
    (
        "er-saddle-buttocks-groin",
        [],
        "Numbness in buttocks and groin",
        14,
        {U},
        "text 'Numbness in buttocks and groin'",
    ),
    (
        "er-saddle-between-legs-anus",
        [],
        "Numbness between the legs and around the anus",
        14,
        {U},
        "text 'Numbness between the legs and around the anus'",
    ),
    ("er-weak-rle", [], "RLE weakness", 14, {U}, "text 'RLE weakness'"),
    ("er-weak-lle", [], "LLE weakness", 14, {U}, "text 'LLE weakness'"),
    ("er-weak-left-leg", [], "Weakness of left leg", 14, {U}, "text 'Weakness of left leg'"),
    (
        "er-weak-r29-898-right-leg",
        [(ICD10CM, "R29.898", "Other symptoms and signs involving the musculoskeletal system")],
        "Weakness of right leg",
        14,
        {U},
        "R29.898 with the text 'Weakness of right leg'",
    ),
    (
        "er-weak-legs-since-yesterday",
        [],
        "Weak legs since yesterday, legs giving out",
        14,
        {U},
        "text 'Weak legs since yesterday, legs giving out'",
    ),
    ("er-weak-no-leg-weakness", [], "No leg weakness", 14, set(), "text 'No leg weakness'"),
    (
        "er-weak-generalized",
        [],
        "Generalized weakness",
        14,
        set(),
        "text 'Generalized weakness': not the legs",
    ),
]:
    pv(
        cid,
        f"Low back pain; {what}",
        [lambda p, c=codings, t=text, o=onset: condition(p, c, t, onset_hours=o)],
        topics,
        tags=["er-review", "cauda-equina"],
    )


for cid, loinc, display, value, status, topics in [
    ("er-gcs-verbal-3-preliminary", "9270-0", "Glasgow coma score verbal", 3, "preliminary", {D}),
    ("er-gcs-eye-2-registered", "9267-6", "Glasgow coma score eye opening", 2, "registered", {D}),
    ("er-gcs-motor-5-preliminary", "9268-4", "Glasgow coma score motor", 5, "preliminary", {D}),
    ("er-gcs-verbal-5-preliminary", "9270-0", "Glasgow coma score verbal", 5, "preliminary", set()),
]:
    pv(
        cid,
        f"{display} {value}, status {status}: unverified, so a data-check item (like the total)"
        if topics
        else f"{display} {value} (its maximum), status {status}: nothing",
        [
            lambda p, c=loinc, d=display, v=value, s=status: obs(
                p, "gcs", v, status=s, code=cc((LOINC, c, d))
            )
        ],
        topics,
        tags=["er-review"],
    )


CES = [(ICD10CM, "G83.4", "Cauda equina syndrome")]
pv(
    "er-ces-differential",
    "Low back pain; cauda equina syndrome G83.4 as a differential diagnosis (being considered): "
    "no emergency card, a data-check item asks whether it was ruled out (er26 d17)",
    [lambda p: condition(p, CES, verification="differential", onset_hours=3)],
    {D},
    tags=["er-review", "cauda-equina"],
)
pv(
    "er-ces-provisional-still-counts",
    "Low back pain; cauda equina syndrome G83.4 provisional (a working diagnosis) 3 h ago",
    [lambda p: condition(p, CES, verification="provisional", onset_hours=3)],
    {E},
    tags=["er-review", "cauda-equina"],
)
pv(
    "er-ces-2019-problem-list",
    "Low back pain; cauda equina syndrome G83.4 active on the problem list since 2019: history",
    [lambda p: condition(p, CES, onset_hours=days(7 * 365))],
    set(),
    tags=["er-review", "cauda-equina"],
)
order(
    "er-ces-2019-mri-supported",
    "MRI lumbar; cauda equina syndrome since 2019: no emergency card, imaging still supported",
    [lambda p: condition(p, CES, onset_hours=days(7 * 365))],
    [mri],
    {IS},
    tags=["er-review", "cauda-equina"],
)


# ---------------------------------------------------------------------------------------------
# 13. Emergency-physician review, er18: danger signs in the words charts use, and look-alikes
#     that are no sign (each case is one of the physician's, reshaped for the corpus)
# ---------------------------------------------------------------------------------------------
visit(
    "er18-cc-cant-feel-legs-dc",
    "encounter-discharge; visit reason 'LBP x3d, can't feel her legs since this morning': the "
    "modal is the numbness itself (er18 m04)",
    "encounter-discharge",
    [{"text": "LBP x3d, can't feel her legs since this morning"}],
    [],
    {U, DI},
    must=["can't feel her legs"],
)
visit(
    "er18-cc-unable-to-feel-feet-pv",
    "patient-view; visit reason 'back pain, unable to feel his feet' (er18 m70)",
    "patient-view",
    [{"text": "back pain, unable to feel his feet"}],
    [],
    {U},
    must=["unable to feel his feet"],
)
visit(
    "er18-cc-can-feel-legs-pv",
    "patient-view; visit reason 'LBP, no numbness, can feel both legs': no sign",
    "patient-view",
    [{"text": "LBP, no numbness, can feel both legs"}],
    [],
    set(),
)

visit(
    "er18-cc-radiating-l-leg-pv",
    "patient-view; visit reason 'back pain, now radiating down L leg' (a one-letter side, er18 "
    "m05)",
    "patient-view",
    [{"text": "back pain, now radiating down L leg"}],
    [],
    {U},
    must=["radiating down L leg"],
)
visit(
    "er18-cc-radiating-l-leg-dc",
    "encounter-discharge; visit reason 'LBP radiating down L leg' (er18 m56)",
    "encounter-discharge",
    [{"text": "LBP radiating down L leg"}],
    [],
    {U, DI},
    must=["radiating down L leg"],
)
visit(
    "er18-cc-spreading-thighs-dc",
    "encounter-discharge; visit reason 'LBP, pain worse today and spreading into both thighs' "
    "(er18 m43)",
    "encounter-discharge",
    [{"text": "LBP, pain worse today and spreading into both thighs"}],
    [],
    {U, DI},
    must=["spreading into both thighs"],
)
pv(
    "er18-text-r-leg-beside-nerve-signs",
    "Low back pain; text-only 'pain now radiating down R leg' beside 'LLE weakness' and "
    "'saddle anesthesia': the urgent card lists the spread too (er18 m32)",
    [
        lambda p: condition(p, text="pain now radiating down R leg", onset_hours=days(1)),
        lambda p: condition(p, text="LLE weakness", onset_hours=3, seed="w"),
        lambda p: condition(p, text="saddle anesthesia", onset_hours=3, seed="s"),
    ],
    {U},
    must=["radiating down R leg", "LLE weakness", "saddle anesthesia"],
    tags=["er-review", "text"],
)
for cid, text in [
    ("sciatica-2019", "History of sciatica radiating down L leg 2019"),
    ("no-radiation-l-leg", "No radiation down L leg"),
    ("l-leg-cramps", "L leg cramps"),
    ("rash-thighs", "LBP, rash spreading to both thighs"),
]:
    pv(
        f"er18-text-not-{cid}",
        f"Low back pain; text-only '{text}' yesterday: no spread of the pain, no urgent card",
        [lambda p, t=text: condition(p, text=t, onset_hours=days(1))],
        set(),
        tags=["er-review", "text", "negation"],
    )

visit(
    "er18-cc-saddle-paresthesias-dc",
    "encounter-discharge; visit reason 'LBP with saddle paresthesias' (er18 m57)",
    "encounter-discharge",
    [{"text": "LBP with saddle paresthesias"}],
    [],
    {U, DI},
    must=["saddle paresthesias"],
)
pv(
    "er18-text-not-saddle-paresthesias-resolved",
    "Low back pain; text-only 'Saddle paresthesias resolved' yesterday: past, no urgent card",
    [lambda p: condition(p, text="Saddle paresthesias resolved", onset_hours=days(1))],
    set(),
    tags=["er-review", "text", "negation"],
)

visit(
    "er18-cc-rle-numbness-dc",
    "encounter-discharge; visit reason 'LBP, RLE numbness and tingling' (er18 m58)",
    "encounter-discharge",
    [{"text": "LBP, RLE numbness and tingling"}],
    [],
    {U, DI},
    must=["RLE numbness"],
)
pv(
    "er18-text-not-denies-rle-numbness",
    "Low back pain; text-only 'Denies RLE numbness' yesterday: negated, no urgent card",
    [lambda p: condition(p, text="Denies RLE numbness", onset_hours=days(1))],
    set(),
    tags=["er-review", "text", "negation"],
)

visit(
    "er18-cc-legs-gave-out-dc",
    "encounter-discharge; visit reason 'LBP, legs gave out on stairs twice today' (er18 m66)",
    "encounter-discharge",
    [{"text": "LBP, legs gave out on stairs twice today"}],
    [],
    {U, DI},
    must=["legs gave out"],
)
pv(
    "er18-text-not-legs-never-gave-out",
    "Low back pain; text-only 'Legs never gave out' yesterday: negated, no urgent card",
    [lambda p: condition(p, text="Legs never gave out", onset_hours=days(1))],
    set(),
    tags=["er-review", "text", "negation"],
)

dc(
    "er18-dc-decreased-rectal-tone",
    "Discharge; low back pain; text-only problem 'Decreased rectal tone on exam' entered today: "
    "the sphincter's failure on examination, an emergency sign as loss of bowel control is "
    "(er18 m59)",
    [lambda p: condition(p, text="Decreased rectal tone on exam", onset_hours=2)],
    {E, DI},
    must=["Decreased rectal tone"],
    tags=["er-review", "cauda-equina"],
)
dc(
    "er18-dc-normal-rectal-tone",
    "Discharge; low back pain; text-only 'Rectal tone normal, no saddle anesthesia' today: no sign",
    [lambda p: condition(p, text="Rectal tone normal, no saddle anesthesia", onset_hours=2)],
    {DI},
    tags=["er-review", "cauda-equina"],
)

dc(
    "er18-dc-n39-3-stress-incontinence-of-urine",
    "Discharge; low back pain; N39.3 coded with the text 'Stress incontinence of urine', onset "
    "5 days ago: a pelvic-floor leak, no bladder-control emergency (er18 a46)",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "N39.3", "Stress incontinence (female) (male)")],
            "Stress incontinence of urine",
            onset_hours=days(5),
        )
    ],
    {DI},
    tags=["er-review", "cauda-equina"],
)
dc(
    "er18-dc-urinary-incontinence-stress-type",
    "Discharge; low back pain; text-only 'Urinary incontinence, stress type', onset 6 days ago: "
    "no bladder-control emergency (er18 a38)",
    [lambda p: condition(p, text="Urinary incontinence, stress type", onset_hours=days(6))],
    {DI},
    tags=["er-review", "cauda-equina"],
)

dc(
    "er18-dc-r33-9-text-resolved-status-active",
    "Discharge; low back pain; R33.9 coded, clinicalStatus still active, its text 'Urinary "
    "retention, resolved' (4 days ago): the clinician's words close it, no emergency (er18 a33)",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "R33.9", "Retention of urine, unspecified")],
            "Urinary retention, resolved",
            onset_hours=days(4),
        )
    ],
    {DI},
    tags=["er-review", "cauda-equina", "condition-status"],
)
dc(
    "er18-dc-r33-9-text-not-resolved",
    "Discharge; low back pain; R33.9 coded, its text 'Urinary retention, not resolved' (4 days "
    "ago): still a sign",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "R33.9", "Retention of urine, unspecified")],
            "Urinary retention, not resolved",
            onset_hours=days(4),
        )
    ],
    {E, DI},
    must=["Urinary retention, not resolved"],
    tags=["er-review", "cauda-equina", "condition-status"],
)

for cid, text, topics in [
    ("pre-dm", "Pre-DM, diet controlled", {DI}),  # er18 a35
    ("borderline-dm", "Borderline DM, diet only", {DI}),
    ("dm2-diet", "DM2, diet controlled", {DI, AC}),
]:
    dc(
        f"er18-dc-{cid}",
        f"Discharge; low back pain; text-only problem '{text}' since 2024"
        + (
            ": diabetes, the pain-reliever caution" if AC in topics else ": prediabetes, no caution"
        ),
        [lambda p, t=text: condition(p, text=t, onset_hours=days(700))],
        topics,
        tags=["er-review", "caution"],
    )

dc(
    "er18-dc-hepatitis-vaccine-immune",
    "Discharge; low back pain; text-only 'Hepatitis B vaccine series complete' (2015) and Z23 "
    "with the text 'Hepatitis A immune' (2018): immunity, no liver disease (er18 a28)",
    [
        lambda p: condition(p, text="Hepatitis B vaccine series complete", onset_hours=days(4200)),
        lambda p: condition(
            p,
            [(ICD10CM, "Z23", "Encounter for immunization")],
            "Hepatitis A immune",
            onset_hours=days(3200),
        ),
    ],
    {DI},
    tags=["er-review", "caution"],
)
dc(
    "er18-dc-chronic-hepatitis-b",
    "Discharge; low back pain; text-only 'Chronic hepatitis B, HBsAg positive' (2015): liver "
    "disease, the pain-reliever caution",
    [lambda p: condition(p, text="Chronic hepatitis B, HBsAg positive", onset_hours=days(4200))],
    {DI, AC},
    must=["Chronic hepatitis B"],
    tags=["er-review", "caution"],
)


# ---------------------------------------------------------------------------------------------
# 14. Second emergency-physician review, er18b: signs in words the pack still missed, and
#     look-alikes that must stay silent (each case one of the physician's, reshaped)
# ---------------------------------------------------------------------------------------------
visit(
    "er18b-cc-spreading-buttock-thigh-pv",
    "patient-view; visit reason 'back pain now spreading into L buttock and back of thigh' "
    "(a part of the leg named, er18b b10)",
    "patient-view",
    [{"text": "back pain now spreading into L buttock and back of thigh"}],
    [],
    {U},
    must=["back of thigh"],
)
for cid, text, must in [
    ("posterior-thigh", "LBP radiating to posterior L thigh", "posterior L thigh"),  # h01
    ("back-of-leg", "pain now shooting down the back of her R leg", "back of her R leg"),  # h02
    ("below-knee", "sciatica, now radiating below the knee", "below the knee"),  # h03
]:
    pv(
        f"er18b-text-radiating-{cid}",
        f"Low back pain; text-only '{text}' today: the pain spreads into the leg, urgent",
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        {U},
        must=[must],
        tags=["er-review", "text"],
    )
for cid, text in [
    ("buttock-only", "back pain spreading into L buttock"),
    ("no-radiation-below-knee", "LBP, no radiation below the knee"),
]:
    pv(
        f"er18b-text-not-{cid}",
        f"Low back pain; text-only '{text}' today: no spread into a leg, no urgent card",
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        set(),
        tags=["er-review", "text", "negation"],
    )

visit(
    "er18b-cc-numb-down-there-pv",
    "patient-view; visit reason 'back pain, feels numb down there when wiping': the saddle "
    "area in the patient's words (er18b b14)",
    "patient-view",
    [{"text": "back pain, feels numb down there when wiping"}],
    [],
    {U},
    must=["numb down there"],
)
for cid, text, must in [
    ("numbness-down-there", "numbness down there", "numbness down there"),  # g08
    ("numb-perineum", "numb perineum", "numb perineum"),  # h09
]:
    pv(
        f"er18b-text-{cid}",
        f"Low back pain; text-only '{text}' today: saddle numbness, urgent",
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        {U},
        must=[must],
        tags=["er-review", "text", "cauda-equina"],
    )
pv(
    "er18b-text-not-denies-numbness-down-there",
    "Low back pain; text-only 'Denies numbness down there' today: negated, no urgent card",
    [lambda p: condition(p, text="Denies numbness down there", onset_hours=3)],
    set(),
    tags=["er-review", "text", "negation"],
)

visit(
    "er18b-cc-cant-move-legs-dc",
    "encounter-discharge; visit reason 'LBP, can't move her legs': the inability is the "
    "weakness (er18b e18)",
    "encounter-discharge",
    [{"text": "LBP, can't move her legs"}],
    [],
    {U, DI},
    must=["can't move her legs"],
)
for cid, text, must in [
    ("leg-buckled", "L leg buckled twice while walking today", "leg buckled"),  # b16
    ("legs-buckling", "legs buckling when she stands", "legs buckling"),  # g07
    ("unable-to-move-legs", "unable to move legs", "unable to move legs"),  # g09
    ("cant-lift-legs", "can't lift either leg off the bed", "can't lift either leg"),  # h06
]:
    pv(
        f"er18b-text-{cid}",
        f"Low back pain; text-only '{text}' today: leg weakness, urgent",
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        {U},
        must=[must],
        tags=["er-review", "text"],
    )
for cid, text in [
    ("denies-buckling", "Denies leg buckling"),
    ("can-move-legs", "LBP, can move legs, sensation intact"),
    ("cant-lift-due-to-pain", "Can't lift her leg due to pain"),
]:
    pv(
        f"er18b-text-not-{cid}",
        f"Low back pain; text-only '{text}' today: no leg weakness, no urgent card",
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        set(),
        tags=["er-review", "text", "negation"],
    )

for cid, text, must in [
    ("numb-toes", "numb toes R foot since this AM", "numb toes"),  # f06
    ("foot-and-toes-numb", "R foot and toes numb", "toes numb"),  # g10
    ("numbness-of-toes", "numbness of L toes", "numbness of L toes"),  # h05
]:
    pv(
        f"er18b-text-{cid}",
        f"Low back pain; text-only '{text}' today: numbness of the foot, urgent",
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        {U},
        must=[must],
        tags=["er-review", "text"],
    )
pv(
    "er18b-text-not-no-numbness-in-toes",
    "Low back pain; text-only 'No numbness in toes' today: negated, no urgent card",
    [lambda p: condition(p, text="No numbness in toes", onset_hours=3)],
    set(),
    tags=["er-review", "text", "negation"],
)

dc(
    "er18b-dc-decr-rectal-tone",
    "Discharge; low back pain; text-only 'DRE: decr rectal tone' entered today: decreased "
    "shortened, the sphincter's failure on examination, an emergency sign (er18b h10)",
    [lambda p: condition(p, text="DRE: decr rectal tone", onset_hours=2)],
    {E, DI},
    must=["decr rectal tone"],
    tags=["er-review", "cauda-equina"],
)
dc(
    "er18b-dc-no-decr-rectal-tone",
    "Discharge; low back pain; text-only 'DRE: no decr rectal tone' today: negated, no sign",
    [lambda p: condition(p, text="DRE: no decr rectal tone", onset_hours=2)],
    {DI},
    tags=["er-review", "cauda-equina", "negation"],
)

for cid, text, must in [
    ("prostate-ca", "hx prostate CA, on Lupron", "prostate CA"),  # f01
    ("breast-ca", "Breast CA s/p mastectomy 2020", "Breast CA"),  # g04
    ("colon-ca", "colon CA 2022, s/p resection", "colon CA"),  # j02
    ("lung-ca", "Lung CA, on chemo", "Lung CA"),  # j03
]:
    order(
        f"er18b-ord-mri-{cid}",
        f"MRI lumbar; text-only problem '{text}' (since 2022): cancer written CA after its "
        "organ, imaging supported",
        [lambda p, t=text: condition(p, text=t, onset_hours=days(1500))],
        [mri],
        {IS},
        must=[must],
        tags=["er-review", "text"],
    )
for cid, text in [
    ("ca-125", "CA-125 normal"),
    ("calcium", "Ca 9.4"),
]:
    order(
        f"er18b-ord-mri-not-{cid}",
        f"MRI lumbar; text-only problem '{text}': a tumour marker or calcium, no cancer, "
        "imaging not indicated",
        [lambda p, t=text: condition(p, text=t, onset_hours=days(30))],
        [mri],
        {INI},
        tags=["er-review", "text"],
    )

for cid, name, value, topics in [
    ("pulse-standing-136", "Pulse - Standing", 136, {E}),  # g02
    ("bp-standing-136", "BP - Standing", 136, set()),
]:
    pv(
        f"er18b-code-{cid}",
        f"Flowsheet row '{name}' {value} under an Epic local code alone (an orthostatic set's "
        + ("row): a heart rate, the emergency card" if topics else "row): no heart rate"),
        [
            lambda p, n=name, v=value: obs(
                p,
                "hr",
                v,
                code={
                    "coding": [
                        {
                            "system": "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679",
                            "code": "4003",
                            "display": n,
                        }
                    ],
                    "text": n,
                },
            )
        ],
        topics,
        must=[str(value)] if topics else [],
        tags=["er-review", "code"],
    )

for cid, text, topics in [
    ("confused-about-meds", "pt confused about her medication schedule, teach-back done", set()),
    ("confused-about-where", "confused about where she is since this morning", {E}),
]:
    pv(
        f"er18b-text-{cid}",
        f"Low back pain; text-only '{text}' today: "
        + ("disorientation, the emergency card" if topics else "a question, not delirium (k17)"),
        [lambda p, t=text: condition(p, text=t, onset_hours=2)],
        topics,
        must=["confused about where she is"] if topics else [],
        tags=["er-review", "text"],
    )


def text_med(p: str, text: str) -> Json:
    """An active MedicationRequest named in words alone (a local order catalogue's entry)."""
    med = med_request(p, "0", text, hours_ago=1)
    med["medicationCodeableConcept"] = {"text": text}
    return med


for cid, text, topics in [
    ("heparin-flush", "heparin lock flush 100 unit/mL injection 5 mL", set()),  # k29
    ("heparin-subcut", "heparin 5,000 units subcut q8h", {AC}),
]:
    order(
        f"er18b-ord-ibuprofen-{cid}",
        f"order-sign ibuprofen; text-only active order '{text}': "
        + ("a blood thinner, the caution" if topics else "a line flush, no blood thinner"),
        [lambda p, t=text: text_med(p, t)],
        [ibuprofen],
        topics,
        tags=["er-review", "caution"],
    )

for cid, text, topics in [
    ("paren-resolved", "Urinary retention (resolved)", {DI}),  # b23
    ("dash-resolved", "Urinary retention - resolved", {DI}),  # g11
    ("resolved-after-foley", "Urinary retention, resolved after foley removal", {DI}),  # g12
    (
        "resolved-then-back",
        "Urinary retention, resolved after foley removal but back today",
        {E, DI},
    ),
]:
    dc(
        f"er18b-dc-r33-9-{cid}",
        f"Discharge; low back pain; R33.9 coded, clinicalStatus still active, its text '{text}' "
        + (
            "(4 days ago): back again, still a sign"
            if E in topics
            else "(4 days ago): the clinician's words close it, no emergency"
        ),
        [
            lambda p, t=text: condition(
                p,
                [(ICD10CM, "R33.9", "Retention of urine, unspecified")],
                t,
                onset_hours=days(4),
            )
        ],
        topics,
        must=[text] if E in topics else [],
        tags=["er-review", "cauda-equina", "condition-status"],
    )

for cid, codes, text, topics in [
    (
        "r32-text-stress",
        [(ICD10CM, "R32", "Unspecified urinary incontinence")],
        "Urinary incontinence, stress",
        {DI},
    ),  # b21
    (
        "r32-text-plain",
        [(ICD10CM, "R32", "Unspecified urinary incontinence")],
        "Urinary incontinence",
        {E, DI},
    ),
    ("text-sui", [], "Urinary incontinence (SUI)", {DI}),
]:
    dc(
        f"er18b-dc-{cid}",
        f"Discharge; low back pain; {'R32 coded with the text' if codes else 'text-only'} "
        f"'{text}' today: "
        + (
            "new bladder incontinence, the emergency"
            if E in topics
            else "the stress kind, no emergency"
        ),
        [lambda p, c=codes, t=text: condition(p, c, t, onset_hours=5)],
        topics,
        must=[text] if E in topics else [],
        tags=["er-review", "cauda-equina"],
    )


# ---------------------------------------------------------------------------------------------
# 15. pack19: words as keyboards, phones and exam templates type them; line flushes; "PVR"
# ---------------------------------------------------------------------------------------------
for cid, text, topics, must in [
    # typographic apostrophes read as typed on a keyboard (an EHR's word processor turns "'"
    # into "’"; a phone types "ʼ")
    ("curly-cant-feel-legs", "can’t feel her legs since this morning", {U}, "can’t feel her legs"),
    ("modifier-cant-feel-legs", "canʼt feel her legs since this morning", {U}, "canʼt feel"),
    ("curly-cant-urinate", "Back pain, can’t urinate since last night", {E}, "can’t urinate"),
    ("curly-doesnt-have-saddle", "No fever; doesn’t have saddle numbness", set(), ""),
    ("curly-ces-in-mother", "Cauda equina syndrome in pt’s mother", set(), ""),
    ("nbsp-negative-saddle", "Negative\u00a0for saddle anesthesia", set(), ""),
    # "can not" typed as two words is "can't"; "can not rule out" stays a doubt
    ("can-not-move-legs", "LBP, can not move her legs", {U}, "can not move her legs"),
    ("could-not-feel-feet", "Back pain, could not feel his feet this morning", {U}, "feel his"),
    ("can-not-rule-out-ces", "Back pain, can not rule out cauda equina", set(), ""),
    # a down arrow is "decreased", an up arrow is not
    ("arrow-sensation-saddle", "↓ sensation saddle area on exam", {U}, "↓ sensation saddle"),
    ("up-arrow-sensation-saddle", "↑ sensation saddle area on exam", set(), ""),
    # "resolved" before the concept is past; "unresolved" is current
    ("resolved-fever-before", "Low back pain with resolved fever", set(), ""),
    ("unresolved-fever", "Low back pain with unresolved fever", {U}, "unresolved fever"),
]:
    pv(
        f"pack19-text-{cid}",
        f"Low back pain; text-only problem '{text}' today: "
        + (f"the sign ({', '.join(sorted(topics))})" if topics else "no sign"),
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        topics,
        must=[must] if must else [],
        tags=["pack19", "text"],
    )
for cid, text, topics in [
    ("down-arrow-rectal-tone", "DRE: ↓ rectal tone", {E, DI}),
    ("rectal-tone-down-arrow", "Rectal tone ↓ on DRE", {E, DI}),
    ("up-arrow-rectal-tone", "DRE: ↑ rectal tone", {DI}),
]:
    dc(
        f"pack19-dc-{cid}",
        f"Discharge; low back pain; text-only '{text}' entered today: "
        + ("decreased tone, the emergency sign" if E in topics else "increased tone, no sign"),
        [lambda p, t=text: condition(p, text=t, onset_hours=2)],
        topics,
        must=[text] if E in topics else [],
        tags=["pack19", "cauda-equina"],
    )

for cid, rxcui, display, topics in [
    ("2-units-1000-ml", "1658690", "1000 ML heparin sodium, porcine 2 UNT/ML Injection", set()),
    ("2-units-500-ml", "1658692", "500 ML heparin sodium, porcine 2 UNT/ML Injection", set()),
    ("5000-units-ml", "1361615", "heparin sodium, porcine 5000 UNT/ML Injectable Solution", {AC}),
    (
        "infusion-100-units-ml",
        "1658717",
        "250 ML heparin sodium, porcine 100 UNT/ML Injection",
        {AC},
    ),
]:
    order(
        f"pack19-ord-ibuprofen-heparin-{cid}",
        f"order-sign ibuprofen; active heparin order coded RxNorm {rxcui} '{display}': "
        + ("a blood thinner, the caution" if topics else "a line-flush solution, no blood thinner"),
        [lambda p, c=rxcui, d=display: med_request(p, c, d, hours_ago=5)],
        [ibuprofen],
        topics,
        tags=["pack19", "caution"],
    )


def pvr(p: str, value: float, unit: str | None, code: Json) -> Json:
    """A "PVR" reading as a flowsheet sends it, in ``unit`` (None: no unit), under ``code``."""
    return {
        "resourceType": "Observation",
        "id": new_id(f"{p}/pvr/{value}/{unit}"),
        "status": "final",
        "category": [{"coding": [{"system": OBS_CAT, "code": "exam"}]}],
        "code": code,
        "subject": {"reference": f"Patient/{p}"},
        "effectiveDateTime": at(3),
        "valueQuantity": quantity(value, unit),
    }


LOCAL_PVR_SYSTEM = "urn:oid:1.2.840.114350.1.13.0.1.7.2.707679"
LOCAL_PVR = cc((LOCAL_PVR_SYSTEM, "3040", ""))
for cid, value, unit, code, topics in [
    ("local-850-ml", 850, "mL", {**LOCAL_PVR, "text": "PVR"}, {E}),
    # a pulmonary resistance's unit says it is no bladder volume: not read (er19b E03, E04)
    ("local-320-dyn", 320, "dyn.s/cm5", {**LOCAL_PVR, "text": "PVR"}, set()),
    ("local-4-wood", 4, "Wood units", {**LOCAL_PVR, "text": "PVR"}, set()),
    ("snomed-650-no-unit", 650, None, cc((SNOMED, "276901002", ""), text="PVR"), set()),
    (
        "display-650-no-unit",
        650,
        None,
        cc((LOCAL_PVR_SYSTEM, "3041", "Pulmonary vascular resistance"), text="PVR"),
        set(),
    ),
]:
    pv(
        f"pack19-obs-pvr-{cid}",
        f"Low back pain; 'PVR' {value} {unit or '(no unit)'} three hours ago under "
        + (
            "a local flowsheet code: a bladder volume, the emergency"
            if E in topics
            else "a local code in a pulmonary resistance unit, or a code or words of the "
            "pulmonary vascular resistance: no bladder volume, nothing to re-check"
        ),
        [lambda p, v=value, u=unit, c=code: pvr(p, v, u, c)],
        topics,
        must=["850 mL"] if E in topics else [],
        tags=["pack19", "units"],
    )


# ---------------------------------------------------------------------------------------------
# 16. Third emergency-physician review, er19: review-of-systems signs, near-fainting, leg signs
#     in the order and shorthand notes use, and look-alikes that must stay silent
# ---------------------------------------------------------------------------------------------
for cid, text, topics, must in [
    ("ros-minus-signs", "LBP. (-) fever, (-) chills, (-) saddle anesthesia", set(), ""),  # r05b
    ("ros-plus-chills", "LBP. (+) chills, (-) fever", {U}, "(+) chills"),  # r05
    ("ros-neg-fever", "LBP x2d after lifting, neg fever", set(), ""),
    ("ros-suffix-chills", "LBP. fever (-), chills (+)", {U}, "chills (+)"),
]:
    visit(
        f"er19-cc-{cid}-pv",
        f"patient-view; visit reason '{text}': "
        + ("the (+) item is a sign, the (-) ones are not" if topics else "every sign denied"),
        "patient-view",
        [{"text": text}],
        [],
        topics,
        must=[must] if must else [],
        tags=["negation"],
    )

for cid, text, topics in [
    (
        "almost-fainted",
        "back spasm; almost fainted when standing, did not lose consciousness",
        set(),
    ),
    ("nearly-passed-out", "LBP; felt lightheaded, nearly passed out in shower", set()),  # d42
    ("near-syncope", "LBP, near-syncope when standing up", set()),
    ("passed-out", "LBP; passed out in the shower this morning", {E}),
]:
    visit(
        f"er19-cc-{cid}-dc",
        f"encounter-discharge; visit reason '{text}': "
        + ("a faint, the emergency" if topics else "near-fainting, no faint: no emergency"),
        "encounter-discharge",
        [{"text": text}],
        [],
        {*topics, DI},
        must=["passed out in the shower"] if topics else [],
    )

for cid, text, topics, must in [
    ("numbness-lle-caps", "NUMBNESS LLE", {U}, "NUMBNESS LLE"),  # q21
    ("numbness-lle", "numbness LLE", {U}, "numbness LLE"),  # q21c
    ("paresthesias-ble", "paresthesias BLE", {U}, "paresthesias BLE"),  # r04
    ("weakness-r-leg", "Weakness R leg 4/5 EHL", {U}, "Weakness R leg"),  # r03
    ("numbness-rue", "numbness RUE", set(), ""),
    ("weakness-r-arm", "Weakness R arm 4/5 grip", set(), ""),
    ("no-numbness-lle", "No numbness LLE", set(), ""),
]:
    pv(
        f"er19-text-{cid}",
        f"Low back pain; text-only '{text}' today: "
        + ("a leg's sign, urgent" if topics else "no leg sign, no urgent card"),
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        topics,
        must=[must] if must else [],
        tags=["er-review", "text"],
    )
for cid, text, topics, must in [
    ("radiates-buttock-and-leg", "LBP radiates to R buttock & leg, worse today", {U}, "& leg"),
    ("arrow-radiates", "LBP \u2192 radiates to R buttock & leg, worse today", {U}, "& leg"),
    (
        "radiating-arrow-down",
        "Pt c/o LBP w/ pain radiating \u2193 L leg since this AM",
        {U},
        "L leg",
    ),
    ("burning-w-urination", "Back pain; burning w/ urination x2d", {U}, "burning w/ urination"),
    ("radiates-buttock-and-hip", "LBP radiates to R buttock & hip", set(), ""),
    ("pain-down-after-toradol", "LBP, pain \u2193 after Toradol, no radiation", set(), ""),
    ("no-burning-w-urination", "Back pain, no burning w/ urination", set(), ""),
]:
    visit(
        f"er19-cc-{cid}-dc",
        f"encounter-discharge; visit reason '{text}': "
        + ("an urgent sign in shorthand" if topics else "no sign, no urgent card"),
        "encounter-discharge",
        [{"text": text}],
        [],
        {*topics, DI},
        must=[must] if must else [],
    )

for cid, text, topics, must in [
    ("aox1-per-ems", "back pain, pt A&Ox1 per EMS, usually A&Ox3", {E}, "A&Ox1"),  # r07
    ("oriented-x1", "LBP, oriented x1 on arrival", {E}, "oriented x1"),
    ("aox3", "LBP. A&Ox3, NAD", set(), ""),  # r08
    ("aox2-baseline", "LBP, dementia, A&Ox2 at baseline", set(), ""),
    ("usually-aox2", "LBP; usually A&Ox2 (dementia), no change today", set(), ""),
]:
    visit(
        f"er19-cc-{cid}-pv",
        f"patient-view; visit reason '{text}': "
        + ("disoriented, the emergency" if topics else "oriented, or the usual state: no sign"),
        "patient-view",
        [{"text": text}],
        [],
        topics,
        must=[must] if must else [],
    )

for cid, text, topics, must in [
    ("urinary-incontinance", "back pain w/ new urinary incontinance", {E}, "incontinance"),  # q23
    ("urinary-retension", "LBP, urinary retension since this am", {E}, "retension"),  # r01
    ("stress-incontinance", "LBP; stress incontinance for years", set(), ""),
    ("no-urinary-retension", "LBP, no urinary retension, no saddle anesthesia", set(), ""),
]:
    visit(
        f"er19-cc-{cid}-dc",
        f"encounter-discharge; visit reason '{text}': "
        + ("a bladder sign misspelt, the emergency" if topics else "no bladder sign"),
        "encounter-discharge",
        [{"text": text}],
        [],
        {*topics, DI},
        must=[must] if must else [],
    )

for cid, text, topics, must in [
    ("sp-fall-yesterday", "LBP s/p fall down 3 stairs yesterday", {IS}, "injury"),  # q01
    ("sp-mvc-this-am", "LBP s/p MVC this AM", {IS}, "injury"),  # q01c
    ("sp-fall-2-days", "LBP s/p fall 2 days ago", {IS}, "injury"),
    ("sp-fall-2019", "LBP, s/p fall 2019", {INI}, ""),
    ("sp-fall-undated", "LBP, s/p fall", {INI}, ""),
]:
    visit(
        f"er19-cc-{cid}-mri-sign",
        f"order-sign MRI lumbar; visit reason '{text}': "
        + ("a recent injury supports imaging" if IS in topics else "an injury of the past"),
        "order-sign",
        [{"text": text}],
        [],
        topics,
        drafts=[mri],
        must=[must] if must else [],
        tags=["order"],
    )

for cid, text, topics in [
    ("hep-c-svr12", "Hep C, treated w/ Epclusa 2020, SVR12", {DI}),  # q28
    ("hcv-cured", "Hepatitis C, cured", {DI}),
    ("hep-c-svr-fibrosis", "Hep C, SVR12, F3 fibrosis", {DI, AC}),
    ("hep-c-untreated", "Hep C, not yet treated", {DI, AC}),
]:
    dc(
        f"er19-dc-{cid}",
        f"Discharge; low back pain; text-only problem '{text}' since 2020"
        + (": liver disease, the pain-reliever caution" if AC in topics else ": cured, no caution"),
        [lambda p, t=text: condition(p, text=t, onset_hours=days(2000))],
        topics,
        tags=["er-review", "caution"],
    )

for cid, text, topics in [
    ("alendronate", "alendronate (FOSAMAX) 70 mg weekly", {IS}),  # q30
    ("prolia", "Prolia 60 mg subcut every 6 months", {IS}),
    ("calcium-vitamin-d", "Calcium carbonate-vitamin D3 600 mg-10 mcg tablet", {INI}),
]:
    order(
        f"er19-ord-mri-{cid}",
        f"MRI lumbar; text-only active order '{text}', no osteoporosis on the problem list: "
        + ("an osteoporosis medicine, imaging supported" if IS in topics else "no red flag"),
        [lambda p, t=text: text_med(p, t)],
        [mri],
        topics,
        must=["osteoporosis medicine"] if IS in topics else [],
        tags=["er-review", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 17. er19b: the fourth emergency-physician round (heparin drips, measured retention, PVR rows)
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    # a drip whose instructions flush the line with saline, or say not to, is the drip (D09, D16)
    ("drip-flush-ns", "Heparin infusion per ACS protocol, flush line with NS q shift", {AC}),
    ("drip-do-not-flush", "heparin drip (weight-based) - do not flush line", {AC}),
    # the heparin named as the flush or lock itself stays out
    ("hep-lock-brand", "Hep-Lock U/P 100 units/mL, 5 mL IV PRN line care", set()),
    ("iv-flush-syringe", "heparin (porcine) 10 unit/mL IV flush syringe 3 mL", set()),
]:
    order(
        f"er19b-ord-ibuprofen-heparin-{cid}",
        f"order-sign ibuprofen; text-only active order '{text}': "
        + ("a therapeutic heparin, the caution" if topics else "a line flush, no blood thinner"),
        [lambda p, t=text: text_med(p, t)],
        [ibuprofen],
        topics,
        tags=["er19b", "caution"],
    )


# a measured post-void residual is a cauda equina sign for the imaging rules too (E15)
for cid, value, topics in [("480-ml", 480, {E, IS}), ("150-ml", 150, {INI})]:
    order(
        f"er19b-ord-mri-pvr-{cid}",
        f"order-select lumbar MRI; 'PVR' {value} mL three hours ago: "
        + (
            "retention measured, the emergency and the imaging supported (never 'not indicated')"
            if E in topics
            else "below the retention threshold, no red flag: imaging not indicated"
        ),
        [lambda p, v=value: pvr(p, v, "mL", {**LOCAL_PVR, "text": "PVR"})],
        [mri],
        topics,
        hook="order-select",
        must=[f"{value} mL"] if E in topics else [],
        forbidden={INI} if E in topics else set(),
        tags=["er19b", "cauda-equina", "imaging"],
    )


# post-void residual rows as flowsheets name them (E02-E20); a pre-void bladder scan volume
# and the lungs' residual volume are none
for cid, name, value, unit, topics in [
    ("bladder-scan-pvr-volume", "Bladder Scan PVR Volume", 620, "mL", {E}),
    ("after-voiding", "Bladder scan volume after voiding", 700, "mL", {E}),
    ("residual-urine-scan", "Residual urine (bladder scan)", 400, "mL", {E}),
    ("pvr-cath", "PVR (cath)", 650, "mL", {E}),
    ("pvr-bladder-scan-ml", "PVR Bladder Scan (mL)", 520, "mL", {E}),
    ("bladder-scan-volume", "Bladder scan volume", 620, "mL", set()),
    ("lung-residual-volume", "Residual volume", 2.1, "L", set()),
]:
    pv(
        f"er19b-obs-pvr-row-{cid}",
        f"Low back pain; flowsheet row '{name}' {value} {unit} three hours ago under a local "
        + (
            "code: a residual after voiding, retention measured, the emergency"
            if E in topics
            else "code: no residual (a volume before voiding, or the lungs'), no card"
        ),
        [lambda p, n=name, v=value, u=unit: pvr(p, v, u, {**LOCAL_PVR, "text": n})],
        topics,
        must=[f"{value} {unit}"] if E in topics else [],
        tags=["er19b", "cauda-equina", "units"],
    )


def pvr_text(p: str, text: str) -> Json:
    """A "PVR" flowsheet row whose value is sent as a ``valueString``."""
    o = pvr(p, 0, "mL", {**LOCAL_PVR, "text": "PVR"})
    del o["valueQuantity"]
    return {**o, "id": new_id(f"{p}/pvr-text/{text}"), "valueString": text}


# a bound written as text is the bound a valueQuantity comparator is (E13)
for cid, text, topics in [
    ("above-999", ">999 mL", {E}),
    ("spaced-above-999", "> 999 mL", {E}),
    ("below-50", "<50 mL", set()),
    ("range", "200-300 mL", {D}),
]:
    pv(
        f"er19b-obs-pvr-text-{cid}",
        f"Low back pain; 'PVR' given as the text '{text}' three hours ago: "
        + (
            "a bladder scanner's cap above the threshold, retention certain, the emergency"
            if E in topics
            else "a range, unreadable, a data check"
            if D in topics
            else "a bound below the threshold, no sign"
        ),
        [lambda p, t=text: pvr_text(p, t)],
        topics,
        must=[">999 mL"] if E in topics else [],
        tags=["er19b", "cauda-equina", "bounds"],
    )


def exam_row(p: str, name: str, value: str, *, status: str = "final", hours: float = 3) -> Json:
    """An exam finding as a flowsheet row sends it: the row's name as the code's words (a local
    code), the finding as a ``valueString``; "Physical findings" under its LOINC code."""
    code = (
        cc((LOINC, "29545-1", "Physical findings"))
        if name == "Physical findings"
        else {**cc((LOCAL_PVR_SYSTEM, "4" + str(len(name)), "")), "text": name}
    )
    return {
        "resourceType": "Observation",
        "id": new_id(f"{p}/exam/{name}/{value}/{status}"),
        "status": status,
        "category": [{"coding": [{"system": OBS_CAT, "code": "exam"}]}],
        "code": code,
        "subject": {"reference": f"Patient/{p}"},
        "effectiveDateTime": at(hours),
        "valueString": value,
    }


# exam findings sent as an Observation's words (er19d item 1): the row's name and its value read
# together as a problem's words are; a row named for a sign asks, its value answers (yes counts,
# no or nothing says nothing, anything else is a data check); a measure's words stay unreadable
for cid, name, value, topics, must in [
    ("neuro-ehl", "Physical findings", "Neuro: L EHL 3/5, otherwise 5/5", {U}, "L EHL 3/5"),
    ("lle-motor", "LLE MOTOR STRENGTH", "3/5", {U}, "LLE MOTOR STRENGTH: 3/5"),
    ("lle-motor-full", "LLE MOTOR STRENGTH", "5/5", set(), ""),
    ("lle-sensation", "LLE Sensation", "Decreased to light touch", {U}, "LLE Sensation"),
    ("rectal-tone", "Rectal tone", "decreased", {E}, "Rectal tone: decreased"),
    ("rectal-tone-normal", "Rectal tone", "normal", set(), ""),
    ("orientation-x1", "Orientation", "A&Ox1", {E}, "A&Ox1"),
    ("cam-negative", "CAM", "Negative", set(), ""),
    ("retention-yes", "Urinary retention", "Y", {E}, "Urinary retention: Y"),
    ("retention-no", "Urinary retention", "N", set(), ""),
    ("saddle-deferred", "Saddle anesthesia", "deferred", set(), ""),
    ("incontinence-zero", "Incontinent episodes", "0", set(), ""),
    ("retention-unclear", "Urinary retention", "see nursing note", {D}, "answer not understood"),
    (
        "neuro-normal",
        "Physical findings",
        "Neuro: no focal deficit, 5/5 BLE, sensation intact",
        set(),
        "",
    ),
    (
        "pain-limited",
        "Physical findings",
        "Strength 4/5 LLE due to pain, sensation intact",
        set(),
        "",
    ),
    ("poss-2", "POSS sedation score", "2 - slightly drowsy, easily aroused", set(), ""),
    ("incontinent-baseline", "Bladder", "incontinent of urine at baseline", set(), ""),
    ("hep-c-reactive", "Hepatitis C virus Ab", "Reactive", set(), ""),
]:
    pv(
        f"stop20-exam-{cid}",
        f"Low back pain; exam row '{name}' valued '{value}' three hours ago: "
        + (
            "the finding, its card"
            if topics - {D}
            else "an answer neither yes nor no, a data check"
            if topics
            else "no sign"
        ),
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        must=[must] if must else [],
        tags=["stop20", "exam-text"],
    )

# the same finding not yet validated is a data check, never the sign; older than the symptom
# window it is no sign either
pv(
    "stop20-exam-preliminary",
    "Low back pain; 'Physical findings' valued 'Neuro: L EHL 3/5' still preliminary: a data "
    "check naming it, no urgent card",
    [lambda p: exam_row(p, "Physical findings", "Neuro: L EHL 3/5", status="preliminary")],
    {D},
    must=["not yet verified"],
    tags=["stop20", "exam-text"],
)
pv(
    "stop20-exam-old",
    "Low back pain; 'Rectal tone' valued 'decreased' 20 days ago: outside the symptom window",
    [lambda p: exam_row(p, "Rectal tone", "decreased", hours=20 * 24)],
    set(),
    tags=["stop20", "exam-text"],
)


# seventh physician round (er21): a yes to the patient's usual state is a data check, never the
# 911 card (G1); a yes beyond it is the sign; a boolean or a count answers a sign's row, and a
# status "unknown" is unverified (G9); "Pt denies" says nothing (G8)
for cid, name, value, topics, must in [
    ("incont-yes-baseline", "Urinary incontinence", "Yes, at baseline", {D}, "usual state"),
    ("incont-y-chronic", "Urinary incontinence", "Y - chronic, wears briefs", {D}, "usual state"),
    ("incont-since-prost", "Urinary incontinence", "Yes, since prostatectomy 2019", {D}, ""),
    ("bowel-y-baseline", "Bowel incontinence", "Y, baseline since stroke", {D}, ""),
    ("confusion-yes-dementia", "Confusion", "Yes - baseline (dementia)", {D}, ""),
    ("incont-worse-baseline", "Urinary incontinence", "Yes, worse than baseline", {E}, ""),
    ("saddle-pt-denies", "Saddle anesthesia", "Pt denies", set(), ""),
]:
    pv(
        f"er21-row-{cid}",
        f"Low back pain; row '{name}' valued '{value}'",
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        must=[must] if must else [],
        tags=["er21", "exam-text"],
    )


def _answered(p: str, name: str, answer: Json, status: str = "final") -> Json:
    row = exam_row(p, name, "x", status=status)
    del row["valueString"]
    return {**row, **answer}


for cid, name, answer, status, topics in [
    ("retention-bool-true", "Urinary retention", {"valueBoolean": True}, "final", {E}),
    ("retention-bool-false", "Urinary retention", {"valueBoolean": False}, "final", set()),
    ("incont-count-2", "Urinary incontinence episodes", {"valueInteger": 2}, "final", {E}),
    ("lle-status-unknown", "LLE MOTOR STRENGTH", {"valueString": "3/5"}, "unknown", {D}),
]:
    pv(
        f"er21-row-{cid}",
        f"Low back pain; row '{name}' answered {answer} (status {status})",
        [lambda p, n=name, a=answer, st=status: _answered(p, n, a, st)],
        topics,
        tags=["er21", "exam-text"],
    )

# an unconfirmed finding in words beside an imaging order: the not-indicated card hedges and
# offers no removal (G7)
for cid, name, value, status in [
    ("lle-preliminary", "LLE MOTOR STRENGTH", "3/5", "preliminary"),
    ("saddle-see-note", "Saddle anesthesia", "see note", "final"),
]:
    order(
        f"er21-mri-{cid}",
        f"MRI lumbar; row '{name}' valued '{value}' ({status}): imaging not indicated, hedged",
        [lambda p, n=name, v=value, st=status: exam_row(p, n, v, status=st)],
        [mri],
        {INI, D},
        must=["may be a red flag"],
        tags=["er21", "exam-text"],
    )

# eighth physician round (er22): numbness valued with a saddle place is saddle anesthesia (G1);
# a history that opens with the pain's duration spreads after a comma (G2); a sign's row
# answered with a doubt is a data check (G3); "Responds to voice appropriately" is alert (G6);
# a count of episodes is a yes (er21 v37)
for cid, name, value, topics, must in [
    ("numbness-groin", "Numbness", "Groin", {U}, "Numbness: Groin"),
    ("numbness-buttocks-thighs", "Numbness", "Buttocks and inner thighs", {U}, ""),
    ("sensation-decr-groin", "Sensation", "Decreased in groin", {U}, ""),
    ("sensation-intact-groin", "Sensation", "intact groin", set(), ""),
    (
        "hpi-duration-spread",
        "History of present illness",
        "LBP x3 days, now spreading down both legs",
        {U},
        "",
    ),
    (
        "hpi-rash-spreading",
        "History of present illness",
        "LBP x3 days, rash spreading to legs",
        set(),
        "",
    ),
    ("saddle-unclear", "Saddle anesthesia", "unclear", {D}, "answer not understood"),
    ("saddle-question", "Saddle anesthesia", "?", {D}, "answer not understood"),
    (
        "loc-voice-appropriately",
        "Level of consciousness",
        "Responds to voice appropriately",
        set(),
        "",
    ),
    ("incont-episodes-2", "Urinary incontinence episodes", "2", {E}, ""),
]:
    pv(
        f"er22-row-{cid}",
        f"Low back pain; row '{name}' valued '{value}'",
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        must=[must] if must else [],
        tags=["er22", "exam-text"],
    )

# an MRI whose own reason is pain since an old fall is supported as "pain since an injury",
# never as "the order's reason: a red flag" (er22 G4: the uncertain-words reading of an order's
# reason took the fall back in spite of the pack's exclusion of injuries weeks old)
order(
    "er22-mri-reason-fell-6-weeks-pain-since",
    "order-sign MRI lumbar whose reason is 'Fell 6 weeks ago, pain since, no better with PT'",
    [],
    [
        lambda p: service_request(
            p,
            MRI,
            "MRI lumbar spine without contrast",
            reason={"text": "Fell 6 weeks ago, pain since, no better with PT"},
        )
    ],
    {IS},
    must=["pain since an injury"],
    tags=["er22", "imaging"],
)

# ninth physician round (er23): an appropriate response or "Alert" in a coded level of
# consciousness is no sign (W1); a chronic incontinence said worse is the sign (W2); a saddle
# place with a side, or the buttocks, is saddle anesthesia, "groin pain" is not (W3); radiation
# the words call years old or unchanged is the usual pain (W5)
for cid, name, value, topics, must in [
    ("incont-chronic-worse", "Urinary incontinence", "Chronic, worse than baseline", {E}, ""),
    (
        "incont-chronic-worse-since",
        "Urinary incontinence",
        "Yes - chronic but worse since yesterday",
        {E},
        "",
    ),
    ("numbness-l-groin", "Numbness", "L groin", {U}, ""),
    ("numbness-bilat-buttocks", "Numbness", "Bilateral buttocks", {U}, ""),
    ("numbness-groin-pain", "Numbness", "Groin pain", set(), ""),
    (
        "hpi-sciatica-years",
        "History of present illness",
        "Sciatica x2 yrs, radiating down L leg chronic",
        set(),
        "",
    ),
    (
        "hpi-lbp-years-unchanged",
        "History of present illness",
        "LBP x2 yrs, radiating down L leg, unchanged",
        set(),
        "",
    ),
    (
        "hpi-chronic-now-radiating",
        "History of present illness",
        "Chronic LBP, now radiating down both legs",
        {U},
        "",
    ),  # tenth round (er24): a normal state negated is the abnormal one; genital places; a leg
    # named after a buttock
    ("loc-not-fully-alert-drowsy", "LOC", "Not fully alert, drowsy", {E}, ""),
    ("loc-alert-to-voice-only", "LOC", "Alert to voice only", {E}, ""),
    ("mental-inappropriate", "Mental status", "Inappropriate responses", {E}, ""),
    ("numbness-l-labia", "Numbness", "L labia", {U}, ""),
    ("numbness-buttock-and-leg", "Numbness", "L buttock and L leg", {U}, ""),
    ("loc-awake-alert", "LOC", "Awake, alert, oriented", set(), ""),
    ("loc-alert-q-no-voice", "LOC", "Alert? no - responds to voice", {E}, ""),
    ("alert-row-no", "Alert", "No", {E}, ""),
    ("alert-row-yes", "Alert", "Yes", set(), ""),
]:
    pv(
        f"er23-row-{cid}",
        f"Low back pain; row '{name}' valued '{value}'",
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        must=[must] if must else [],
        tags=["er23", "exam-text"],
    )


def _loc_coded(p: str, text: str) -> Json:
    row = exam_row(p, "Level of consciousness", "x")
    del row["valueString"]
    return {**row, "valueCodeableConcept": {"text": text}}


for cid, text, topics in [
    ("voice-appropriately", "Responds to voice appropriately", set()),
    ("alert-responds-voice", "Alert, responds to voice", set()),
    ("voice", "Responds to voice", {E}),
]:
    pv(
        f"er23-loc-coded-{cid}",
        f"Low back pain; level of consciousness coded as text '{text}'",
        [lambda p, t=text: _loc_coded(p, t)],
        topics,
        tags=["er23", "exam-text"],
    )

# an MRI whose reason is pain since an injury months ago is supported (er23 W4)
order(
    "er23-mri-reason-mvc-2-months-pain-since",
    "order-sign MRI lumbar whose reason is 'MVC 2 months ago, pain since'",
    [],
    [
        lambda p: service_request(
            p,
            MRI,
            "MRI lumbar spine without contrast",
            reason={"text": "MVC 2 months ago, pain since"},
        )
    ],
    {IS},
    must=["pain since an injury"],
    tags=["er23", "imaging"],
)

# reduced consciousness in the notes' words (A19, A20, B15, B16); an observed state after a
# denial's list is its own statement, and not knowing where she is is disorientation (A17,
# A18, A23); "LOC" alone is a trauma note's loss of consciousness
for cid, text, topics, must in [
    ("can-not-stay-awake", "LBP, can not stay awake in triage", {E}, "can not stay awake"),
    ("wont-wake-up", "Wife says he won’t wake up fully", {E}, "won’t wake up"),
    ("down-loc", "↓ LOC since arrival", {E}, "↓ LOC"),
    ("decreased-loc", "Decreased level of consciousness per EMS", {E}, "Decreased level"),
    ("cant-sleep", "Back pain, can’t sleep at night", set(), ""),
    ("no-loc", "Fell from standing, no LOC", set(), ""),
    ("loc-none", "Slipped on ice. LOC: none", set(), ""),
    ("denies-then-confused", "Denies CP/SOB, confused per EMS", {E}, "confused per EMS"),
    ("doesnt-know-where", "Doesn’t know where she is, confused", {E}, "know where she is"),
    ("doesnt-know-year", "doesn’t know what year it is, pt disoriented", {E}, "disoriented"),
    ("denies-confusion", "Denies fever, confusion or weakness", set(), ""),
    ("not-confused", "Alert, not confused, no AMS", set(), ""),
]:
    pv(
        f"er19b-text-{cid}",
        f"Low back pain; text-only problem '{text}' today: "
        + ("altered consciousness, the emergency" if topics else "no sign"),
        [lambda p, t=text: condition(p, text=t, onset_hours=3)],
        topics,
        must=[must] if must else [],
        tags=["er19b", "text", "consciousness"],
    )


def text_draft(p: str, text: str) -> Json:
    """A draft MedicationRequest named in words alone (a brand from the order catalogue)."""
    med = med_request(p, "0", text, status="draft", hours_ago=0)
    med["medicationCodeableConcept"] = {"text": text}
    return med


# hydrocodone-ibuprofen by its brands is an opioid and an NSAID (O19, O39); lidocaine's
# Xylocaine is neither
for cid, text, topics, must in [
    ("vicoprofen-cyclobenzaprine", "Vicoprofen 7.5-200 mg tablet", {SC}, "cyclobenzaprine"),
    ("reprexain-cyclobenzaprine", "Reprexain 5-200 mg tablet", {SC}, "Reprexain"),
    ("xylocaine-cyclobenzaprine", "Xylocaine 1% injection 5 mL", set(), ""),
]:
    order(
        f"er19b-ord-{cid}",
        f"order-sign '{text}' (words only) for a patient taking cyclobenzaprine: "
        + ("an opioid with a muscle relaxant, the sedation pair" if topics else "no opioid"),
        [lambda p: med_request(p, "21949", "cyclobenzaprine")],
        [lambda p, t=text: text_draft(p, t)],
        topics,
        must=[must] if must else [],
        tags=["er19b", "sedation"],
    )


# a red flag the record only suspects is what a lumbar image without its own reason is for
# (A25); a red flag ruled out, or a doubt from a past visit, is none
for cid, text, days_ago, topics in [
    ("cant-rule-out-ces", "LBP, can not rule out cauda equina", 0.1, {IS}),
    ("ces-ruled-out", "LBP, cauda equina ruled out on exam", 0.1, {INI}),
    ("old-doubt", "Can not rule out cauda equina", 60, {INI}),
]:
    order(
        f"er19b-ord-mri-problem-{cid}",
        f"order-select lumbar MRI with no reason; problem '{text}' entered {days_ago} days ago: "
        + ("the suspicion is the indication" if IS in topics else "no red flag, not indicated"),
        [lambda p, t=text, d=days_ago: condition(p, text=t, onset_hours=days(d))],
        [mri],
        topics,
        hook="order-select",
        forbidden={INI} if IS in topics else set(),
        tags=["er19b", "imaging"],
    )
visit(
    "er19b-ord-mri-visit-reason-r-o-ces",
    "order-select lumbar MRI with no reason; the visit's reason 'Back pain, r/o CES': the "
    "suspicion is what the MRI is for, imaging supported, no emergency card for a doubt",
    "order-select",
    [{"text": "Back pain, r/o CES"}],
    [],
    {IS},
    drafts=[mri],
    forbidden={INI},
    tags=["er19b", "imaging"],
)


# the pulmonary resistance's units, as a flowsheet sends them with "PVR", are no bladder
# volume (E03, E04); a bladder unit beside them is still read
for cid, value, unit, topics in [
    ("wu", 3.2, "WU", set()),
    ("dyn-middle-dot", 256, "dyn·s/cm⁵", set()),
    ("ucum-wood", 3.2, "[wood'U]", set()),
    ("cc", 350, "cc", {E}),
]:
    pv(
        f"er19b-obs-pvr-unit-{cid}",
        f"Low back pain; 'PVR' {value} {unit} three hours ago under a local code: "
        + ("a bladder volume, the emergency" if E in topics else "a pulmonary resistance, no card"),
        [lambda p, v=value, u=unit: pvr(p, v, u, {**LOCAL_PVR, "text": "PVR"})],
        topics,
        must=["350 cc"] if E in topics else [],
        tags=["er19b", "units"],
    )


# ---------------------------------------------------------------------------------------------
# 18. Leg signs as exam notes write them (fourth physician round, er19b A14, B07, B10, O01-O04):
#     strength graded or arrowed after the leg, a one-letter side, sensation decreased by leg;
#     normal strength and sensation, an arm, and pain as the cause stay silent
# ---------------------------------------------------------------------------------------------
for cid, text, topics, must in [
    ("wont-move-r-leg", "LBP; won‘t move his R leg, strength 2/5 RLE", {U}, "R leg"),
    ("lle-strength-arrow", "LBP. Exam: LLE strength ↓ (4-/5 EHL)", {U}, "LLE strength"),
    ("decreased-strength-lle", "LBP, decreased strength LLE 4/5", {U}, "strength LLE"),
    ("weak-r-leg", "LBP, weak R leg since this AM", {U}, "weak R leg"),
    ("ble-down-sensation", "LBP. BLE ↓ sensation to LT below knees", {U}, "BLE"),
    ("numbness-l-leg", "LBP, numbness L leg", {U}, "numbness L leg"),
    ("cannot-feel-l-foot", "LBP, cannot feel L foot", {U}, "L foot"),
    ("strength-normal", "LBP. Exam: strength 5/5 BLE, sensation intact BLE", set(), ""),
    ("arm-strength", "LBP. Exam: LUE strength 4/5, decreased sensation L hand", set(), ""),
    ("wont-move-pain", "LBP; won't move his leg d/t pain", set(), ""),
]:
    visit(
        f"er19b-cc-leg-{cid}-pv",
        f"patient-view; visit reason '{text}': "
        + ("a leg sign as an exam note writes it" if topics else "no leg sign"),
        "patient-view",
        [{"text": text}],
        [],
        topics,
        must=[must] if must else [],
        tags=["er19b", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 19. er19c, the fifth physician round: strength graded by leg muscle, numbness by dermatome or
#     leg part, a "(-)" list ended by a finding, "LOC", "vs", confusion at baseline, cured
#     hepatitis C coded, injuries dated in weeks, review-of-systems shorthand; look-alikes silent
# ---------------------------------------------------------------------------------------------
for cid, text, topics, must in [
    ("ehl-3-5", "LBP, strength 3/5 L EHL", {U}, "EHL"),  # va19, l01
    ("l-ehl-3-5", "LBP, L EHL 3/5", {U}, "EHL"),  # va20
    ("4-5-rle", "LBP, 4/5 RLE", {U}, "RLE"),  # va03, l03
    ("4-5-strength-rle", "LBP, 4/5 strength RLE", {U}, "RLE"),  # vd01
    ("ehl-4-5-l", "LBP. Exam: EHL 4/5 L", {U}, "EHL"),  # va05
    ("hip-flexion", "LBP, hip flexion 4/5 L", {U}, "hip flexion"),  # va10
    ("hip-flexors-arrow", "LBP, L hip flexors ↓ 4/5", {U}, "hip flexors"),  # l09
    ("plantarflexion", "LBP, plantarflexion 4/5 R", {U}, "plantarflexion"),  # va21
    ("dorsiflexion-weak", "LBP, dorsiflexion weakness L", {U}, "dorsiflexion"),  # va22
    ("weak-l-foot", "LBP, weak L foot, tripping", {U}, "weak L foot"),  # b17, vb16
    ("leg-weaker", "LBP, L leg weaker than R", {U}, "weaker"),  # va09, l13
    ("ehl-normal", "LBP. Exam: EHL 5/5 bilaterally, hip flexion 5/5", set(), ""),
    ("arm-grades", "LBP. Exam: deltoid 4/5 R, grip 4/5 R, wrist dorsiflexion 4/5 R", set(), ""),
    ("l5-dermatome", "LBP, decreased sensation L5 dermatome", {U}, "L5"),  # l06
    ("l5-distribution", "LBP, decreased sensation L5 distribution", {U}, "L5"),  # va07
    ("s1", "LBP, decreased sensation S1", {U}, "S1"),
    ("lateral-calf", "LBP, decreased sensation L lateral calf", {U}, "calf"),  # vb18
    ("great-toe", "LBP, numbness R great toe", {U}, "great toe"),  # e12, vb12
    ("numb-thigh", "LBP, numb L thigh since AM", {U}, "thigh"),  # e13, vb13
    ("arm-sensation", "LBP, decreased sensation C6 dermatome, numbness R thumb", set(), ""),
    ("toe-denied", "LBP, no numbness R great toe", set(), ""),
]:
    visit(
        f"er19c-cc-leg-{cid}-pv",
        f"patient-view; visit reason '{text}': "
        + ("a leg sign as an exam note writes it" if topics else "no leg sign"),
        "patient-view",
        [{"text": text}],
        [],
        topics,
        must=[must] if must else [],
        tags=["er19c", "text"],
    )


# a strength grade after a "(-)" list is a measurement, its own statement (r07, vc02, vc03);
# loss of consciousness as trauma notes write "LOC" (c06, c07, va12); "vs" makes both sides a
# differential (ve01, ve04); confusion at the patient's baseline is no sign (o10, va15); a
# review of systems denied with no colon (b01, e01, r05, vb07, vb09-vb11)
for cid, text, topics, must in [
    ("neg-list-then-grade", "LBP. (-) saddle anesthesia, (-) clonus, strength 4/5 RLE", {U}, "RLE"),
    ("neg-clonus-then-grade", "LBP. Exam: (-) clonus, strength 4/5 RLE", {U}, "RLE"),
    ("neg-then-plus-grade", "LBP. Exam: (-) saddle anesthesia, (+) 4/5 strength RLE", {U}, "RLE"),
    # vc04 kept it denied, silently; neg22: the numbness names its own side after the list,
    # denied or found? A data check, still no urgent card
    ("neg-list-then-numb", "LBP. (-) fever, numbness L leg", {D}, "numbness L leg"),
    ("neg-list-normal-grade", "LBP. Exam: (-) clonus, strength 5/5 BLE", set(), ""),
    ("loc-30-sec", "fall down stairs w/ LOC x 30 sec, LBP", {E}, "LOC"),
    ("plus-loc", "MVC +LOC, lumbar pain", {E}, "LOC"),
    ("fall-w-loc", "LBP, fall w/ LOC", {E}, "LOC"),
    ("no-loc", "LBP s/p mechanical fall, no LOC", set(), ""),
    ("neg-loc", "LBP s/p mechanical fall, (-) LOC", set(), ""),
    ("wo-loc", "LBP after fall w/o LOC", set(), ""),
    ("loc-none", "LBP after fall. LOC: none", set(), ""),
    ("down-loc", "LBP, ↓ LOC per EMS", {E}, "LOC"),
    ("syncope-vs-fall", "LBP, syncope vs mechanical fall, no LOC", set(), ""),
    ("syncope-versus", "LBP; syncope versus vasovagal near-syncope", set(), ""),
    ("syncope-vs-plus-loc", "LBP, syncope vs mechanical fall, +LOC", {E}, "LOC"),  # va13
    ("syncope-today", "LBP; syncopal episode x1 today", {E}, "syncopal"),
    ("confused-at-baseline", "LBP, confused at baseline", set(), ""),
    ("baseline-confusion", "LBP, baseline confusion per NH staff", set(), ""),
    ("chronically-confused", "LBP, chronically confused", set(), ""),
    ("more-confused", "LBP, more confused than baseline", {E}, "confused"),
    ("confused-baseline-aox3", "LBP, confused, baseline A&Ox3", {E}, "confused"),
    ("ros-neg-fever", "LBP. ROS (-) fever", set(), ""),
    ("ros-neg-shared", "LBP; ROS (-) fever, chills, burning w/ urination", set(), ""),
    ("ros-neg-nospace", "Low back pain. ROS (-)fever, (-)chills", set(), ""),
    ("ros-negative-words", "LBP. ROS negative fever chills", set(), ""),
    ("ros-dash", "LBP ROS - fever, - chills", set(), ""),
    ("ros-pos-chills", "LBP. ROS (+) chills, (-) fever", {U}, "chills"),
    ("ros-negative-except", "LBP. ROS negative except chills", {U}, "chills"),
]:
    visit(
        f"er19c-cc-{cid}-pv",
        f"patient-view; visit reason '{text}': "
        + (
            "a danger sign as the note writes it"
            if topics - {D}
            else "a sign after the denials, denied or found: a data check"
            if topics
            else "no danger sign"
        ),
        "patient-view",
        [{"text": text}],
        [],
        topics,
        must=[must] if must else [],
        tags=["er19c", "text"],
    )

# an injury dated within the last weeks is recent (vb02-vb06, b05); years or months ago is not
for cid, text, topics, must in [
    ("fall-1-wk", "LBP s/p fall 1 wk ago", {IS}, "injury"),
    ("fall-last-week", "LBP s/p fall last week on ice", {IS}, "injury"),
    ("fall-10-days", "LBP s/p fall 10 days ago", {IS}, "injury"),
    ("mvc-2-weeks", "LBP s/p MVC 2 weeks ago", {IS}, "injury"),
    ("fall-2-months", "LBP, s/p fall 2 months ago", {INI}, ""),
    ("fall-6-weeks", "LBP, s/p fall 6 weeks ago", {INI}, ""),
]:
    visit(
        f"er19c-cc-{cid}-mri-sign",
        f"order-sign MRI lumbar; visit reason '{text}': "
        + ("a recent injury supports imaging" if IS in topics else "an injury of the past"),
        "order-sign",
        [{"text": text}],
        [],
        topics,
        drafts=[mri],
        must=[must] if must else [],
        tags=["er19c", "order"],
    )

# a hepatitis C coded chronic (B18.2) whose words say it is cured is no liver disease, unless
# fibrosis or cirrhosis is said (h01, b14)
for cid, text, topics in [
    ("hcv-svr12", "Hepatitis C, treated, SVR12", set()),
    ("hcv-cured", "Hepatitis C - cured", set()),
    ("hcv-svr-cirrhosis", "Hepatitis C, SVR12, cirrhosis", {AC}),
    ("hcv-chronic", "Chronic hepatitis C", {AC}),
]:
    order(
        f"er19c-ord-ibuprofen-{cid}",
        f"Ibuprofen; hepatitis C coded B18.2, its text '{text}': "
        + ("liver disease" if topics else "cured, no liver disease"),
        [
            lambda p, t=text: condition(
                p, [(ICD10CM, "B18.2", "Chronic viral hepatitis C")], t, onset_hours=days(2000)
            )
        ],
        [ibuprofen],
        topics,
        tags=["er19c"],
    )


# ---------------------------------------------------------------------------------------------
# 20. er19d, the sixth physician round: a right arrow as "to" in the pain's spread, cold and
#     flu medicines as acetaminophen, two acetaminophen orders together,
#     hepatitis C cleared, injuries dated older than the injury window, liver and kidney advice,
#     instructions beside an emergency sign; look-alikes silent
# ---------------------------------------------------------------------------------------------
# "radiating → BLE" spreads the pain as "radiating to BLE" does (d16, e05, e06); an arrow to a
# buttock, a denied spread or an arrow to a medicine stays silent
for cid, text, topics, must in [
    ("arrow-ble", "c/o back pain ↑, now radiating → BLE", {U}, "BLE"),
    ("arrow-l-leg", "back pain radiating → L leg", {U}, "L leg"),
    ("arrow-buttock", "LBP radiating → L buttock", set(), ""),
    ("arrow-denied", "LBP, no radiation → legs", set(), ""),
    ("arrow-medicine", "LBP → ibuprofen, L leg cramps", set(), ""),
]:
    visit(
        f"er19d-cc-{cid}-pv",
        f"patient-view; visit reason '{text}': "
        + ("pain spreading into a leg" if topics else "no spread into a leg"),
        "patient-view",
        [{"text": text}],
        [],
        topics,
        must=[must] if must else [],
        tags=["er19d", "text"],
    )

# cold and flu medicines carry acetaminophen: taken at home beside a Norco being ordered, the
# "no extra acetaminophen" caution (f02); ordered for a patient with cirrhosis, the liver
# caution (b39); their cough-only forms and other Vicks or Mucinex products do not
for cid, text, topics, must in [
    ("nyquil", "NyQuil Cold & Flu at bedtime", {AC, SC}, "acetaminophen"),
    ("theraflu", "Theraflu ExpressMax packet", {AC, SC}, "acetaminophen"),
    ("nyquil-cough", "Vicks NyQuil Cough liquid", {SC}, ""),
    ("vaporub", "Vicks VapoRub ointment", {SC}, ""),
]:
    order(
        f"er19d-ord-norco-home-{cid}",
        f"order-sign Norco (words only) for a patient taking '{text}': "
        + ("acetaminophen twice" if AC in topics else "no acetaminophen at home"),
        [lambda p, t=text: text_med(p, t)],
        [lambda p: text_draft(p, "Norco 5-325 mg tablet")],
        topics,
        must=[must] if must else [],
        tags=["er19d", "text"],
    )

for cid, text, topics in [
    ("dayquil", "DayQuil Cold & Flu liquicaps", {AC}),
    ("fast-max", "Mucinex Fast-Max Severe Cold caplets", {AC}),
    ("mucinex", "Mucinex 600 mg ER tablet", set()),
]:
    order(
        f"er19d-ord-{cid}-cirrhosis",
        f"order-sign '{text}' (words only) for a patient with cirrhosis: "
        + ("acetaminophen, the liver caution" if topics else "no acetaminophen"),
        [
            lambda p: condition(
                p,
                [(ICD10CM, "K74.60", "Unspecified cirrhosis of liver")],
                None,
                onset_hours=days(400),
            )
        ],
        [lambda p, t=text: text_draft(p, t)],
        topics,
        tags=["er19d", "text"],
    )


def named_draft(p: str, text: str, mid: str) -> Json:
    """A draft order named in words alone, with its own id (two of them are two orders)."""
    med = text_draft(p, text)
    med["id"] = new_id(f"{p}/{mid}")
    return med


# two acetaminophen-containing medicines ordered together: acetaminophen twice (f01, d07); one
# of them alone, the same order sent twice, or acetaminophen with a non-acetaminophen opioid
# is not
for cid, texts, topics, must in [
    (
        "apap-norco",
        ["acetaminophen 1000 mg PO q6h", "Norco 10-325 mg 1-2 tab q4h prn"],
        {AC, SC},
        "twice",
    ),
    (
        "tylenol-percocet",
        ["Tylenol 650 mg PO q6h", "Percocet 5/325 1 tab q6h prn"],
        {AC, SC},
        "twice",
    ),
    ("norco-alone", ["Norco 10-325 mg 1-2 tab q4h prn"], {SC}, ""),
    ("apap-oxycodone", ["acetaminophen 1000 mg PO q6h", "oxycodone 5 mg PO q6h prn"], {SC}, ""),
]:
    order(
        f"er19d-ord-{cid}",
        f"order-sign {' + '.join(texts)} (words only): "
        + ("acetaminophen ordered twice" if AC in topics else "acetaminophen at most once"),
        [],
        [lambda p, t=t, i=i: named_draft(p, t, f"d{i}") for i, t in enumerate(texts)],
        topics,
        must=[must] if must else [],
        tags=["er19d", "text"],
    )
p = "er19d-ord-norco-copies"
copy = named_draft(p, "Norco 10-325 mg 1-2 tab q4h prn", "d0")
order(
    p,
    "order-sign one Norco order sent twice (one id, the second copy with a note): one order, "
    "no acetaminophen twice",
    [],
    [copy, {**copy, "note": [{"text": "resent"}]}],
    {SC},
    tags=["er19d", "copies"],
)

# a hepatitis C coded B18.2 that the body cleared is no liver disease: the antibody stays, the
# virus is gone (d11); a virus still found, or cirrhosis, is
for cid, text, topics in [
    ("hcv-cleared", "Hep C Ab+, RNA neg (spontaneously cleared)", set()),
    ("hcv-rna-negative", "HCV Ab positive, RNA negative", set()),
    ("hcv-resolved", "Resolved HCV infection", set()),
    ("hcv-rna-detected", "HCV Ab+, RNA detected", {AC}),
    ("hcv-rna-neg-cirrhosis", "Hep C Ab+, RNA neg, cirrhosis on imaging", {AC}),
]:
    order(
        f"er19d-ord-ibuprofen-{cid}",
        f"Ibuprofen; hepatitis C coded B18.2, its text '{text}': "
        + ("liver disease" if topics else "cleared, no liver disease"),
        [
            lambda p, t=text: condition(
                p, [(ICD10CM, "B18.2", "Chronic viral hepatitis C")], t, onset_hours=days(2000)
            )
        ],
        [ibuprofen],
        topics,
        tags=["er19d"],
    )

# an injury the words date older than the 30-day injury window is history, with no past marker
# too (d05, e02); one dated recent, a second recent injury, or pain that went on from it since
# still supports imaging (a24)
for cid, text, topics, must in [
    ("fell-6-weeks-healed", "fell off bike 6 weeks ago, healed; new LBP x2d", {INI}, ""),
    ("fell-5-weeks", "LBP since yesterday, fell 5 weeks ago", {INI}, ""),
    ("mvc-3-months", "MVC 3 months ago, LBP x3d", {INI}, ""),
    ("fell-3-weeks", "LBP since yesterday, fell 3 weeks ago", {IS}, "injury"),
    ("fell-again", "fell 6 weeks ago, fell again yesterday, LBP", {IS}, "injury"),
    ("fell-pain-since", "fell down stairs 6 weeks ago, LBP since, no better w/ PT", {IS}, "injury"),
]:
    visit(
        f"er19d-cc-{cid}-mri-sign",
        f"order-sign MRI lumbar; visit reason '{text}': "
        + ("a recent injury supports imaging" if IS in topics else "an injury of the past"),
        "order-sign",
        [{"text": text}],
        [],
        topics,
        drafts=[mri],
        must=[must] if must else [],
        tags=["er19d", "order"],
    )

# a fall coded W11.XXXA recorded today whose words date it 6 weeks ago (e07): history, by its
# code too; the same code with no date in its words is a recent injury
for cid, text, topics in [
    ("ladder-6-weeks", "Fall from ladder 6 weeks ago", {INI}),
    ("ladder", "Fall from ladder", {IS}),
]:
    order(
        f"er19d-ord-mri-{cid}",
        f"order-sign MRI lumbar; W11.XXXA recorded today, its text '{text}': "
        + ("a recent injury" if IS in topics else "an injury of the past"),
        [
            lambda p, t=text: condition(
                p,
                [(ICD10CM, "W11.XXXA", "Fall on and from ladder, initial encounter")],
                t,
                onset_hours=None,
                recorded_hours=1,
            )
        ],
        [mri],
        topics,
        tags=["er19d", "order"],
    )

# going home with cirrhosis and CKD stage 4: the liver passage warns of acetaminophen, and the
# kidney passage no longer offers it as the better choice (d02)
dc(
    "er19d-dc-cirrhosis-ckd4",
    "Discharge, low back pain, cirrhosis K74.60 and CKD stage 4 N18.4: the pain-reliever "
    "caution; the patient sheet warns that acetaminophen can hurt the liver",
    [
        lambda p: condition(
            p, [(ICD10CM, "K74.60", "Unspecified cirrhosis of liver")], None, onset_hours=days(400)
        ),
        lambda p: condition(
            p, [(ICD10CM, "N18.4", "Chronic kidney disease, stage 4")], None, onset_hours=days(400)
        ),
    ],
    {AC, DI},
    must=["can hurt your liver"],
    tags=["er19d", "discharge"],
)

# going home with an emergency sign on the problem list (b13_cond): the instructions card says
# first that the sign is open, and sending them is not recommended
dc(
    "er19d-dc-retention-open",
    "Discharge, low back pain and urinary retention R33.9 today: the emergency card, and the "
    "instructions card says the emergency sign is open",
    [
        lambda p: condition(
            p, [(ICD10CM, "R33.9", "Retention of urine, unspecified")], None, onset_hours=3
        )
    ],
    {E, DI},
    must=["emergency sign is open"],
    tags=["er19d", "discharge"],
)


# ---------------------------------------------------------------------------------------------
# 21. pack21, the sixth physician round's leftovers: sedating antihistamines and gabapentinoids
#     beside an opioid or a muscle relaxant; an unverified reading's own status; one
#     combination medicine is one order; pain since an injury
# ---------------------------------------------------------------------------------------------
# a sedating antihistamine beside an opioid or a muscle relaxant adds drowsiness: named as a
# pair; alone, a newer antihistamine, or diphenhydramine on the skin, nothing more
for cid, draft, home, topics, must in [
    (
        "oxy-benadryl",
        "oxycodone 5 mg PO q6h prn",
        "Benadryl 25 mg at bedtime",
        {SC},
        "antihistamine",
    ),
    ("flexeril-nyquil", "Flexeril 10 mg tid", "Vicks NyQuil Cold & Flu", {SC}, "antihistamine"),
    (
        "zzzquil-tramadol",
        "ZzzQuil 50 mg at bedtime",
        "tramadol 50 mg q6h prn",
        {SC},
        "antihistamine",
    ),
    (
        "vistaril-norco",
        "Vistaril 25 mg q6h prn itch",
        "Norco 5-325 mg q6h prn",
        {SC},
        "antihistamine",
    ),
    ("benadryl-alone", "Benadryl 25 mg PO q6h prn", "", set(), ""),
    ("phenergan-alone", "promethazine 25 mg PO q6h prn nausea", "", set(), ""),
    ("loratadine-oxy", "loratadine 10 mg daily", "oxycodone 5 mg q6h prn", set(), ""),
    ("oxy-benadryl-cream", "oxycodone 5 mg PO q6h prn", "diphenhydramine 2% cream", {SC}, ""),
]:
    order(
        f"pack21-ord-{cid}",
        f"order-sign '{draft}'"
        + (f" for a patient taking '{home}'" if home else " alone")
        + (": a sedating antihistamine beside an opioid or relaxant" if must else ": no pair"),
        [lambda p, t=home: text_med(p, t)] if home else [],
        [lambda p, t=draft: text_draft(p, t)],
        topics,
        must=[must] if must else [],
        tags=["pack21", "sedation"],
    )


def named_med(p: str, text: str, mid: str) -> Json:
    """An active order named in words alone, with its own id (two of them are two orders)."""
    med = text_med(p, text)
    med["id"] = new_id(f"{p}/{mid}")
    return med


for cid, meds, topics, must in [
    (
        "tramadol-hydroxyzine",
        ["tramadol 50 mg q6h prn", "hydroxyzine 25 mg qhs prn"],
        {DI, SC},
        "antihistamine",
    ),
    ("benadryl-alone", ["diphenhydramine 25 mg qhs prn sleep"], {DI}, ""),
]:
    dc(
        f"pack21-dc-{cid}",
        f"Discharge with {' and '.join(meds)} active: "
        + (
            "a sedating antihistamine beside the opioid"
            if must
            else "a sedating antihistamine alone, no card"
        ),
        [lambda p, t=t, i=i: named_med(p, t, f"m{i}") for i, t in enumerate(meds)],
        topics,
        must=[must] if must else [],
        tags=["pack21", "sedation", "discharge"],
    )


# gabapentin or pregabalin beside an opioid or a muscle relaxant can slow breathing (FDA, 2019):
# named as a pair (the relaxant since the eighth physician round, er22 G5); alone, nothing
for cid, draft, home, topics, must in [
    ("norco-gabapentin", "Norco 5-325 mg q6h prn", "gabapentin 300 mg tid", {SC}, "2019"),
    ("lyrica-oxycodone", "Lyrica 75 mg bid", "oxycodone 5 mg q6h prn", {SC}, "2019"),
    ("gabapentin-alone", "gabapentin 300 mg PO tid", "", set(), ""),
    ("pregabalin-tizanidine", "pregabalin 75 mg bid", "tizanidine 4 mg q8h prn", {SC}, "2019"),
]:
    order(
        f"pack21-ord-{cid}",
        f"order-sign '{draft}'"
        + (f" for a patient taking '{home}'" if home else " alone")
        + (": a gabapentinoid in a pair, slowed breathing" if must else ": no pair"),
        [lambda p, t=home: text_med(p, t)] if home else [],
        [lambda p, t=draft: text_draft(p, t)],
        topics,
        must=[must] if must else [],
        tags=["pack21", "sedation"],
    )
dc(
    "pack21-dc-oxycodone-gabapentin",
    "Discharge with oxycodone and gabapentin active: an opioid with a gabapentinoid, the "
    "sedation card names the pair and slowed breathing",
    [
        lambda p: named_med(p, "oxycodone 5 mg q6h prn", "m0"),
        lambda p: named_med(p, "gabapentin 300 mg tid", "m1"),
    ],
    {DI, SC},
    must=["slow breathing"],
    tags=["pack21", "sedation", "discharge"],
)
dc(
    "pack21-dc-gabapentin-alone",
    "Discharge with gabapentin active alone: no sedation card",
    [lambda p: named_med(p, "gabapentin 300 mg tid", "m0")],
    {DI},
    tags=["pack21", "sedation", "discharge"],
)


# an unconfirmed reading's item names its own reason: its status, that it gives none, or the
# bound it was recorded as
for cid, build, must in [
    ("spo2-preliminary", lambda p: obs(p, "spo2", 85, status="preliminary"), "status preliminary"),
    ("hr-registered", lambda p: obs(p, "hr", 150, status="registered"), "status registered"),
    ("rr-no-status", lambda p: _unstatused(p, "rr", 30, "absent"), "gives no status"),
    ("spo2-bound-lt92", lambda p: bounded(p, "spo2", "<", 92, "%"), "bound: below 92"),
]:
    pv(
        f"pack21-obs-reason-{cid}",
        f"Low back pain; an unconfirmed reading ({cid}): the data-check item names why it is "
        "unconfirmed",
        [build],
        {D},
        must=[must],
        tags=["pack21", "status"],
    )


# Excedrin (acetaminophen, aspirin and caffeine in one tablet) is one order, coded 308297 or in
# words (b12): alone no "ordered with the NSAID"; coded, it is still an NSAID and acetaminophen
# for a kidney caution; beside a second order of ibuprofen, acetaminophen with the NSAID
EXCEDRIN = "acetaminophen 250 MG / aspirin 250 MG / caffeine 65 MG Oral Tablet"
CKD3 = [(ICD10CM, "N18.30", "Chronic kidney disease, stage 3 unspecified")]
for cid, drafts, ckd, topics, must in [
    ("words", ["Excedrin Extra Strength caplet"], False, set(), ""),
    ("code", ["308297"], False, set(), ""),
    ("code-ckd", ["308297"], True, {AC}, "Kidney disease"),
    ("words-ckd", ["Excedrin Extra Strength caplet"], True, {AC}, "Kidney disease"),
    (
        "with-ibuprofen",
        ["Excedrin Extra Strength caplet", "ibuprofen 600 mg"],
        False,
        {AC},
        "with the NSAID",
    ),
]:
    order(
        f"pack21-ord-excedrin-{cid}",
        f"order-select {' + '.join(drafts)}"
        + (" for a patient with CKD stage 3" if ckd else "")
        + ": one Excedrin is one order"
        + (", a caution" if topics else ", nothing to say"),
        [lambda p: condition(p, CKD3, None, onset_hours=days(400))] if ckd else [],
        [
            (lambda p, i=i: med_request(p, "308297", EXCEDRIN, status="draft", hours_ago=0))
            if d.isdigit()
            else (lambda p, d=d, i=i: named_draft(p, d, f"d{i}"))
            for i, d in enumerate(drafts)
        ],
        topics,
        hook="order-select",
        must=[must] if must else [],
        tags=["pack21", "caution"],
    )


# pain lasting since an injury older than the injury window supports imaging under its own
# name, not as a recent injury (a24); an old injury healed, or a recent one, as before
for cid, text, topics, must in [
    (
        "stairs-pain-since",
        "fell down stairs 6 weeks ago, LBP since, no better w/ PT",
        {IS},
        "since an earlier injury",
    ),
    ("mvc-ever-since", "MVC 6 weeks ago, back pain ever since", {IS}, "since an earlier injury"),
    ("ladder-healed", "fell off ladder 2 months ago, healed; new LBP x2d", {INI}, ""),
    ("fell-yesterday-since", "fell yesterday, LBP since", {IS}, "recent injury"),
]:
    visit(
        f"pack21-cc-{cid}-mri-sign",
        f"order-sign MRI lumbar; visit reason '{text}': "
        + (
            "pain since an earlier injury supports imaging"
            if "earlier" in must
            else ("a recent injury" if IS in topics else "an injury of the past")
        ),
        "order-sign",
        [{"text": text}],
        [],
        topics,
        drafts=[mri],
        must=[must] if must else [],
        tags=["pack21", "order"],
    )


# ---------------------------------------------------------------------------------------------
# 21b. stop 22: an NSAID ordered beside another NSAID (taken at home, or ordered with it) is a
#      caution of its own; a gel, a low-dose aspirin or a single Excedrin is not a second NSAID
# ---------------------------------------------------------------------------------------------
for cid, draft, home, must in [
    ("ibuprofen-naproxen", "ibuprofen 600 mg q6h prn", "naproxen 500 mg BID", "takes an NSAID"),
    ("ibuprofen-aleve", "Motrin 800 mg tid", "Aleve 220 mg prn", "takes an NSAID"),
    ("meloxicam-ibuprofen", "meloxicam 15 mg daily", "ibuprofen 800 mg tid", "takes an NSAID"),
    ("ibuprofen-excedrin", "ibuprofen 400 mg q6h prn", "Excedrin Migraine", "takes an NSAID"),
    ("ibuprofen-diclofenac-gel", "ibuprofen 400 mg q6h prn", "diclofenac 1% gel qid", ""),
    ("ibuprofen-aspirin-81", "ibuprofen 400 mg q6h prn", "aspirin 81 mg daily", "blood thinner"),
    ("acetaminophen-naproxen", "acetaminophen 650 mg q6h prn", "naproxen 500 mg BID", ""),
]:
    order(
        f"stop22-ord-{cid}",
        f"order-select '{draft}' for a patient taking '{home}': "
        + ("a caution" if must else "no second NSAID, nothing to say"),
        [lambda p, t=home: text_med(p, t)],
        [lambda p, t=draft: text_draft(p, t)],
        {AC} if must else set(),
        hook="order-select",
        must=[must] if must else [],
        tags=["stop22", "nsaid"],
    )
# aspirin written as ASA or by brand, and NSAIDs by their other brands (er25a D, E)
for cid, draft, home, must in [
    ("ibuprofen-asa-81", "ibuprofen 800 mg tid", "ASA 81 mg daily", "blood thinner"),
    ("ibuprofen-ecotrin-81", "ibuprofen 800 mg tid", "Ecotrin Low Strength 81 mg", "blood thinner"),
    ("ibuprofen-asa-325", "ibuprofen 800 mg tid", "ASA 325 mg prn", "takes an NSAID"),
    ("ibuprofen-goodys", "ibuprofen 800 mg tid", "Goody's Extra Strength powder", "takes an NSAID"),
    ("ibuprofen-anaprox", "ibuprofen 800 mg tid", "Anaprox DS 550 mg tablet", "takes an NSAID"),
    ("ibuprofen-relafen", "ibuprofen 800 mg tid", "Relafen 500 mg bid", "takes an NSAID"),
    ("ibuprofen-mesalamine", "ibuprofen 800 mg tid", "5-ASA 1000 mg suppository qhs", ""),
]:
    order(
        f"stop22-asa-{cid}",
        f"order-select '{draft}' for a patient taking '{home}': "
        + ("a caution" if must else "no aspirin, no caution"),
        [lambda p, t=home: text_med(p, t)],
        [lambda p, t=draft: text_draft(p, t)],
        {AC} if must else set(),
        hook="order-select",
        must=[must] if must else [],
        tags=["stop22", "nsaid"],
    )
# acetaminophen beside an NSAID order, or at discharge, is context, never a caution by itself;
# acetaminophen ordered while another medicine already holds it is one (er25a A, B, C)
order(
    "stop22-ord-ibuprofen-home-tylenol",
    "order-sign ibuprofen for a patient taking Tylenol at home: the usual plan, no caution",
    [lambda p: text_med(p, "Tylenol Extra Strength 500 mg tablet")],
    [ibuprofen],
    set(),
    tags=["stop22", "acetaminophen"],
)
order(
    "stop22-ord-ibuprofen-acetaminophen-drafts",
    "order-sign ibuprofen 600 mg and acetaminophen 1000 mg together: one acetaminophen, no caution",
    [],
    [
        lambda p: named_draft(p, "ibuprofen 600 mg q6h prn", "d0"),
        lambda p: named_draft(p, "acetaminophen 1000 mg q6h prn", "d1"),
    ],
    set(),
    tags=["stop22", "acetaminophen"],
)
order(
    "stop22-ord-tylenol-home-norco",
    "order-select acetaminophen 1000 mg for a patient taking Norco: acetaminophen twice",
    [lambda p: text_med(p, "Norco 5-325 mg q6h prn")],
    [lambda p: text_draft(p, "acetaminophen 1000 mg q6h prn")],
    {AC},
    hook="order-select",
    must=["Acetaminophen already taken"],
    tags=["stop22", "acetaminophen"],
)
order(
    "stop22-ord-ibuprofen-home-tylenol-ckd",
    "order-sign ibuprofen for a patient with CKD stage 3 who takes Tylenol: the kidney "
    "caution, the Tylenol listed beside it, no swap",
    [
        lambda p: text_med(p, "Tylenol Extra Strength 500 mg tablet"),
        lambda p: condition(p, CKD3, None, onset_hours=days(400)),
    ],
    [ibuprofen],
    {AC},
    must=["Kidney disease", "already contains acetaminophen"],
    tags=["stop22", "acetaminophen"],
)
dc(
    "stop22-dc-home-acetaminophen",
    "Discharge with acetaminophen active and no risk: the instructions say no extra "
    "acetaminophen, no caution card",
    [lambda p: named_med(p, "acetaminophen 500 mg 2 tabs q6h prn", "m0")],
    {DI},
    must=["acetaminophen"],
    tags=["stop22", "acetaminophen", "discharge"],
)
for cid, drafts, must in [
    ("ibuprofen-naproxen", ["ibuprofen 600 mg q6h prn", "naproxen 500 mg BID"], "Two NSAIDs"),
    ("ketorolac-ibuprofen", ["ketorolac 10 mg q6h x5d", "Advil 200 mg prn"], "Two NSAIDs"),
    ("ibuprofen-gel", ["ibuprofen 600 mg q6h prn", "diclofenac 1% gel qid"], ""),
]:
    order(
        f"stop22-sign-{cid}",
        f"order-sign {' + '.join(drafts)}: "
        + ("two NSAIDs ordered together, a caution" if must else "one NSAID by mouth, nothing"),
        [],
        [lambda p, d=d, i=i: named_draft(p, d, f"d{i}") for i, d in enumerate(drafts)],
        {AC} if must else set(),
        must=[must] if must else [],
        tags=["stop22", "nsaid"],
    )


# ---------------------------------------------------------------------------------------------
# 22. er21, the seventh physician round: danger signs written as a flowsheet row's words or a
#     problem's words: the level of consciousness (G2), trouble breathing (G3), leg weakness
#     rows (G4), numbness named by its place (G5), a spreading pain (G6); look-alikes silent
# ---------------------------------------------------------------------------------------------
def er21_rows(prefix: str, rows: list[tuple[str, str, str, set[str], str]], what: str) -> None:
    """One patient-view case per flowsheet row (its name and value in words, three hours ago)."""
    for cid, name, value, topics, must in rows:
        pv(
            f"er21-{prefix}-{cid}",
            f"Low back pain; row '{name}' valued '{value}' three hours ago: "
            + (
                f"{what}, its card"
                if topics - {D}
                else "neither yes nor no, a data check"
                if topics
                else "no sign"
            ),
            [lambda p, n=name, v=value: exam_row(p, n, v)],
            topics,
            must=[must] if must else [],
            tags=["er21", "exam-text"],
        )


def er21_problems(prefix: str, rows: list[tuple[str, str, set[str], str]], what: str) -> None:
    """One patient-view case per text-only problem entered three hours ago."""
    for cid, text, topics, must in rows:
        pv(
            f"er21-{prefix}-{cid}",
            f"Low back pain; text-only problem '{text}' today: "
            + (f"{what}, its card" if topics else "no sign"),
            [lambda p, t=text: condition(p, text=t, onset_hours=3)],
            topics,
            must=[must] if must else [],
            tags=["er21", "text"],
        )


# G2: a level of consciousness below alert in words (AVPU's V, P or U), the emergency the coded
# ACVPU answer raises; alert is nothing, and a row named only "LOC" answered yes is a data check
er21_rows(
    "loc",
    [
        ("voice", "Level of Consciousness", "Responds to voice", {E}, "Responds to voice"),
        ("pain", "Level of Consciousness", "Responds to pain", {E}, "Responds to pain"),
        ("unresponsive", "Level of Consciousness", "Unresponsive", {E}, "Unresponsive"),
        ("obtunded", "Level of Consciousness", "Obtunded", {E}, "Obtunded"),
        ("stuporous", "Level of Consciousness", "Stuporous", {E}, "Stuporous"),
        ("avpu-v", "AVPU", "V", {E}, "AVPU: V"),
        ("avpu-p", "AVPU", "P", {E}, "AVPU: P"),
        ("avpu-u", "AVPU", "U", {E}, "AVPU: U"),
        ("acvpu-voice", "ACVPU", "Voice", {E}, "ACVPU: Voice"),
        ("acvpu-pain", "ACVPU", "Pain", {E}, "ACVPU: Pain"),
        ("acvpu-unresponsive", "ACVPU", "Unresponsive", {E}, "ACVPU: Unresponsive"),
        ("alert", "Level of Consciousness", "Alert", set(), ""),
        ("alert-oriented", "Level of Consciousness", "Alert and oriented", set(), ""),
        ("alert-voice", "Level of Consciousness", "Alert, responds to voice", set(), ""),
        ("avpu-a", "AVPU", "A", set(), ""),
        ("acvpu-alert", "ACVPU", "Alert", set(), ""),
        ("loc-yes", "LOC", "Yes", {D}, "LOC: Yes"),
        ("loc-no", "LOC", "No", set(), ""),
        ("loc-alert", "LOC", "Alert", set(), ""),
    ],
    "not alert, the emergency",
)
er21_problems(
    "loc-text",
    [
        ("unresponsive", "Unresponsive", {E}, "Unresponsive"),
        ("pain-unresponsive-nsaids", "Back pain unresponsive to NSAIDs", set(), ""),
        ("responds-to-pain-meds", "LBP, responds to pain medication", set(), ""),
    ],
    "not alert, the emergency",
)

# G3: trouble breathing as nursing words write it (labored, an increased work of breathing,
# respiratory distress); unlabored breathing, no distress and "NAD" are nothing
er21_rows(
    "breathing",
    [
        ("effort-labored", "Respiratory effort", "Labored", {E}, "Respiratory effort: Labored"),
        ("labored", "Breathing", "labored", {E}, "Breathing: labored"),
        ("wob-increased", "Work of breathing", "Increased", {E}, "Work of breathing: Increased"),
        ("distress-moderate", "Respiratory distress", "moderate", {E}, "moderate"),
        ("distress-none", "Respiratory distress", "none", set(), ""),
        ("effort-unlabored", "Respiratory effort", "Unlabored", set(), ""),
        ("effort-non-labored", "Respiratory effort", "non-labored", set(), ""),
        ("wob-normal", "Work of breathing", "normal", set(), ""),
        ("appearance-nad", "General appearance", "NAD", set(), ""),
    ],
    "trouble breathing, the emergency",
)
er21_problems(
    "breathing-text",
    [
        ("labored", "Labored breathing", {E}, "Labored breathing"),
        ("distress", "Respiratory distress", {E}, "Respiratory distress"),
        ("wob", "increased work of breathing", {E}, "work of breathing"),
        ("no-distress", "LBP, no respiratory distress", set(), ""),
        ("unlabored", "LBP; breathing unlabored, NAD", set(), ""),
    ],
    "trouble breathing, the emergency",
)


def valued_row(p: str, name: str, key: str, value: Any) -> Json:
    """An exam row whose value is not words: ``key`` is valueQuantity, valueInteger or
    valueCodeableConcept (given as its text)."""
    o = exam_row(p, name, str(value))
    del o["valueString"]
    o["id"] = new_id(f"{p}/valued/{name}/{key}/{value}")
    o[key] = {"text": value} if key == "valueCodeableConcept" else value
    return o


def strength_panel(p: str, rows: Sequence[tuple[str, str]]) -> Json:
    """A motor exam sent as one Observation with a component per row (name, value in words)."""
    o = exam_row(p, "Strength", "")
    del o["valueString"]
    o["id"] = new_id(f"{p}/panel/{rows}")
    o["component"] = [
        {"code": {**cc((LOCAL_PVR_SYSTEM, "5" + str(len(n)), "")), "text": n}, "valueString": v}
        for n, v in rows
    ]
    return o


# G4: leg weakness rows as other feeds name them: the strength first, the side after the
# muscle, a leg's motor row valued weak, a bare grade 0-4; 5/5, strong, an arm, grip and a
# grade blamed on pain or give-way are nothing
er21_rows(
    "strength",
    [
        ("lle-decreased", "Strength Left Lower Extremity", "Decreased", {U}, "Decreased"),
        ("dorsiflexion-l", "Dorsiflexion L", "4/5", {U}, "Dorsiflexion L: 4/5"),
        ("ankle-df-left", "Ankle dorsiflexion, left", "4/5", {U}, "4/5"),
        ("left-leg-motor-weak", "Left Leg Motor", "Weak", {U}, "Left Leg Motor: Weak"),
        ("lle-motor-weak", "LLE motor", "weak", {U}, "LLE motor: weak"),
        ("hip-flexion-bare-4", "Left hip flexion", "4", {U}, "Left hip flexion: 4"),
        ("hip-flexion-bare-5", "Left hip flexion", "5", set(), ""),
        ("lle-5of5", "Dorsiflexion L", "5/5", set(), ""),
        ("right-leg-strong", "Right Leg Motor", "Strong", set(), ""),
        ("lue-weak", "LUE motor", "weak", set(), ""),
        ("grip-3", "Grip strength L", "3", set(), ""),
        ("wrist-df-4of5", "Left wrist dorsiflexion", "4/5", set(), ""),
        ("df-due-to-pain", "Dorsiflexion L", "4/5 due to pain", set(), ""),
        ("lle-give-way", "LLE motor", "4/5 give-way", set(), ""),
    ],
    "a weak leg, the urgent sign",
)
for cid, name, key, value, topics, must in [
    (
        "lle-qty-3",
        "LLE MOTOR STRENGTH",
        "valueQuantity",
        {"value": 3},
        {U},
        "LLE MOTOR STRENGTH: 3",
    ),
    ("lle-qty-5", "LLE MOTOR STRENGTH", "valueQuantity", {"value": 5}, set(), ""),
    ("lle-integer-2", "LLE MOTOR STRENGTH", "valueInteger", 2, {U}, "LLE MOTOR STRENGTH: 2"),
    ("pain-score-qty-3", "Pain score", "valueQuantity", {"value": 3}, set(), ""),
    ("lle-response-weak", "LLE Motor Response", "valueCodeableConcept", "Weak", {U}, "Weak"),
]:
    pv(
        f"er21-strength-{cid}",
        f"Low back pain; row '{name}' with {key} {value} three hours ago: "
        + ("a leg's strength below 5, the urgent sign" if topics else "no sign"),
        [lambda p, n=name, k=key, v=value: valued_row(p, n, k, v)],
        topics,
        must=[must] if must else [],
        tags=["er21", "exam-text"],
    )
pv(
    "er21-strength-panel-hip-flexion",
    "Low back pain; a 'Strength' panel three hours ago, components 'Right hip flexion' 5 and "
    "'Left hip flexion' 4 (grades with no /5): the left leg is weak, the urgent sign",
    [lambda p: strength_panel(p, [("Right hip flexion", "5"), ("Left hip flexion", "4")])],
    {U},
    must=["Left hip flexion: 4"],
    tags=["er21", "exam-text"],
)
pv(
    "er21-strength-panel-left-leg-weak",
    "Low back pain; a panel three hours ago, 'Left Leg Motor' Weak and 'Right Leg Motor' "
    "Strong: the left leg is weak, the urgent sign",
    [lambda p: strength_panel(p, [("Left Leg Motor", "Weak"), ("Right Leg Motor", "Strong")])],
    {U},
    must=["Left Leg Motor: Weak"],
    tags=["er21", "exam-text"],
)

# G5: a numbness or tingling row whose value is its place (a leg, a lumbar dermatome), and a
# problem written so; none, denied, a hand and a bare yes with no leg named are nothing
er21_rows(
    "numbness",
    [
        ("l5-dermatome", "Numbness", "L5 dermatome", {U}, "Numbness: L5 dermatome"),
        ("location-l5", "Numbness location", "L5 distribution", {U}, "L5 distribution"),
        ("l-leg", "Numbness", "L leg", {U}, "Numbness: L leg"),
        ("bilateral-legs", "Numbness/tingling", "bilateral legs", {U}, "bilateral legs"),
        ("tingling-both-legs", "Tingling", "both legs", {U}, "Tingling: both legs"),
        ("none", "Numbness", "none", set(), ""),
        ("denies", "Numbness", "denies", set(), ""),
        ("fingers", "Numbness", "fingers", set(), ""),
        ("tingling-hands", "Tingling", "hands", set(), ""),
        ("yes-no-leg", "Numbness", "Y", set(), ""),
    ],
    "numbness in a leg, the urgent sign",
)
er21_problems(
    "numbness-text",
    [
        ("l-leg", "Numbness: L leg", {U}, "Numbness: L leg"),
        ("bilateral", "Numbness/tingling bilateral legs", {U}, "bilateral legs"),
        ("hands", "Numbness/tingling both hands", set(), ""),
    ],
    "numbness in a leg, the urgent sign",
)

# G6: a spreading pain in an Observation's words, as a Condition's words already count; a
# triage row asking whether the pain radiates to the legs answered only yes is the pain the
# patient came with (the physician judged silence right), and a buttock, no radiation or a
# non-radiating pain are nothing
er21_rows(
    "spread",
    [
        (
            "reassessment-both-legs",
            "Pain reassessment",
            "Worse, now radiating down both legs",
            {U},
            "radiating down both legs",
        ),
        ("row-asks-yes", "Pain radiating to legs", "Y", set(), ""),
        ("radiation-none", "Pain radiation", "none", set(), ""),
        ("location-buttock", "Pain location", "Low back, radiating to L buttock", set(), ""),
        ("location-no-radiation", "Pain location", "Low back, no radiation", set(), ""),
        ("quality-non-radiating", "Pain quality", "Aching, non-radiating", set(), ""),
    ],
    "the pain spreading into a leg, the urgent sign",
)


def hpi(p: str, text: str) -> Json:
    """A history of present illness (LOINC 10164-2) sent as an Observation's words."""
    o = exam_row(p, "HPI", text)
    o["code"] = cc((LOINC, "10164-2", "History of Present illness Narrative"))
    return o


pv(
    "er21-spread-hpi-left-leg",
    "Low back pain; a history of present illness (LOINC 10164-2) three hours ago 'Pain now "
    "radiating down the left leg since this morning': the pain spreading, the urgent sign",
    [lambda p: hpi(p, "Pain now radiating down the left leg since this morning")],
    {U},
    must=["radiating down the left leg"],
    tags=["er21", "exam-text"],
)


# ---------------------------------------------------------------------------------------------
# 23. obs22: observation words: a temperature in a fever row's words (item 1), an effort note
#     after a comma (item 2), an injury in a history of present illness (item 3)
# ---------------------------------------------------------------------------------------------
def obs22_rows(
    prefix: str,
    rows: list[tuple[str, str, str, set[str], str]],
    what: str,
    brief: str = "obs22",
) -> None:
    """One patient-view case per flowsheet row (its name and value in words, three hours ago),
    named and tagged for the ``brief`` that added it."""
    for cid, name, value, topics, must in rows:
        pv(
            f"{brief}-{prefix}-{cid}",
            f"Low back pain; row '{name}' valued '{value}' three hours ago: "
            + (
                f"{what}, its card"
                if topics - {D}
                else "not understood, a data check"
                if topics
                else "no sign"
            ),
            [lambda p, n=name, v=value: exam_row(p, n, v)],
            topics,
            must=[must] if must else [],
            tags=[brief, "exam-text"],
        )


# Item 1: a temperature in a fever row's words is the fever reported at or above the pack's
# threshold (38.0 Cel by default; a bare number above the Celsius range is Fahrenheit), no
# fever below it, and a number in doubt or out of every range stays a data check
obs22_rows(
    "fever",
    [
        ("tmax-home", "Fever", "Tmax 38.9 at home", {U}, "Fever: Tmax 38.9 at home"),
        ("t-101-5f", "Fever", "T 101.5F", {U}, "Fever: T 101.5F"),
        ("39-1-c", "Fever", "39.1 C", {U}, "Fever: 39.1 C"),
        ("102-home", "Fever", "102 at home", {U}, "read as 38.9"),
        ("temp-this-am", "Fever", "temp 38.3 this AM", {U}, "temp 38.3 this AM"),
        ("100-4", "Fever", "100.4", {U}, "Fever: 100.4"),
        ("tmax-37-4", "Fever", "Tmax 37.4", set(), ""),
        ("100-3", "Fever", "100.3", set(), ""),
        ("doubt-38", "Fever", "?38", {D}, "Fever: ?38"),
        # a range whose low end is a fever is the sign (fix25a, er25b t05: was a data check)
        ("range-38-39", "Fever", "38-39", {U}, "Fever: 38-39"),
        ("about-38-5", "Fever", "~38.5", {D}, "Fever: ~38.5"),
        ("bare-31", "Fever", "31", {D}, "Fever: 31"),
        ("bare-250", "Fever", "250", {D}, "Fever: 250"),
    ],
    "a fever reported, the urgent sign",
)
for cid, value, topics, must in [
    ("38-9-c", "38.9 C", {U}, "38.9 C"),
    ("101-5-f", "101.5 F", {U}, "101.5 F"),
    ("37-0-c", "37.0 C", set(), ""),
]:
    pv(
        f"obs22-temp-string-{cid}",
        f"Low back pain; body temperature (LOINC 8310-5) valueString '{value}' two hours ago: "
        + ("a measured fever, the urgent sign" if topics else "no fever"),
        [lambda p, v=value: obs(p, "temp", v, value_key="valueString")],
        topics,
        must=[must] if must else [],
        tags=["obs22", "units"],
    )


# Item 2: an effort note after a comma qualifies the grade before it when it is all its clause
# says; another finding, a side, a denied give-way or a grade after the note stay weakness
obs22_rows(
    "effort",
    [
        ("ble-comma-give-way", "Physical findings", "4/5 BLE, give-way", set(), ""),
        (
            "lle-row-bilateral-le-giveway",
            "LLE motor strength",
            "4/5 bilateral LE, giveway",
            set(),
            "",
        ),
        ("rle-dash-give-way-effort", "Motor exam", "strength 4/5 RLE - give way effort", set(), ""),
        ("l-leg-limited-by-pain", "LLE motor strength", "4/5 L leg, limited by pain", set(), ""),
        ("df-comma-due-to-pain", "Dorsiflexion L", "4/5, due to pain", set(), ""),
        ("ble-give-way-noted", "Physical findings", "4/5 BLE, give-way noted", set(), ""),
        (
            "l-leg-new-foot-drop",
            "Physical findings",
            "4/5 L leg, new foot drop",
            {U},
            "new foot drop",
        ),
        ("l-leg-no-give-way", "LLE motor strength", "4/5 L leg, no give-way", {U}, "no give-way"),
        ("give-way-l-3-rle", "Strength", "give-way L, 3/5 RLE", {U}, "3/5 RLE"),
        ("rle-give-way-3-lle", "Strength", "4/5 RLE, give-way, 3/5 LLE", {U}, "3/5 LLE"),
        ("ble-give-way-l-only", "Physical findings", "4/5 BLE, give-way L", {U}, "give-way L"),
    ],
    "a weak leg, the urgent sign",
)


# Item 3: an injury in a history of present illness (LOINC 10164-2) reads as in a problem's
# words: a recent one supports the MRI (trauma), an older one with pain since is pain since an
# injury, an old healed one and a denied one are nothing; a fall screening over months is no
# injury; the danger signs of the same words read as in a note
for cid, text, topics, must in [
    ("fell-ladder-2-days", "fell off ladder 2 days ago", {IS}, "recent injury"),
    ("mvc-3-days-lbp-since", "MVC 3 days ago, LBP since", {IS}, "recent injury"),
    ("assault-last-night", "assaulted last night, kicked in back", {IS}, "recent injury"),
    ("fell-6-weeks-pain-since", "fell 6 weeks ago, pain since", {IS}, "pain since an injury"),
    ("mvc-2-months-pain-since", "MVC 2 months ago, pain since", {IS}, "pain since an injury"),
    ("fell-bike-2-years-healed", "fell off bike 2 years ago, healed", {INI}, ""),
    ("fell-5-weeks", "fell 5 weeks ago", {INI}, ""),
    ("denies-fall-injury", "denies fall or injury", {INI}, ""),
    ("lifting-denies-fever", "LBP x 3 days after lifting, denies fever", {INI}, ""),
]:
    order(
        f"obs22-hpi-mri-{cid}",
        f"order-select MRI lumbar; a history of present illness (LOINC 10164-2) three hours ago "
        f"'{text}': " + (f"supported ({must})" if topics == {IS} else "no supporting criterion"),
        [lambda p, t=text: hpi(p, t)],
        [mri],
        topics,
        hook="order-select",
        must=[must] if must else [],
        tags=["obs22", "imaging"],
    )
order(
    "obs22-row-fall-screen-3-months-mri",
    "order-select MRI lumbar; a fall screening row 'Fallen in last 3 months' valued 'Yes': a "
    "fall at some time over months, no recent injury: no supporting criterion",
    [lambda p: exam_row(p, "Fallen in last 3 months", "Yes")],
    [mri],
    {INI},
    hook="order-select",
    tags=["obs22", "imaging"],
)
order(
    "obs22-row-hit-by-past-year-mri",
    "order-select MRI lumbar; a screening row 'Hit by partner in the past year' valued 'Yes': "
    "an injury at some time over a year, no recent injury: no supporting criterion",
    [lambda p: exam_row(p, "Hit by partner in the past year", "Yes")],
    [mri],
    {INI},
    hook="order-select",
    tags=["obs22", "imaging"],
)
order(
    "obs22-row-mechanism-fall-ladder-mri",
    "order-select MRI lumbar; a row 'Mechanism of injury' valued 'Fall from ladder' three hours "
    "ago: a recent injury, supported",
    [lambda p: exam_row(p, "Mechanism of injury", "Fall from ladder")],
    [mri],
    {IS},
    hook="order-select",
    must=["recent injury"],
    tags=["obs22", "imaging"],
)
for cid, text, topics, must in [
    ("denies-fever", "LBP x 3 days after lifting, denies fever", set(), ""),
    ("numbness-l-leg", "LBP x2 days, numbness L leg", {U}, "numbness L leg"),
    ("fell-ladder-2-days", "fell off ladder 2 days ago", set(), ""),
]:
    pv(
        f"obs22-hpi-pv-{cid}",
        f"Low back pain; a history of present illness (LOINC 10164-2) three hours ago '{text}': "
        + ("leg numbness, the urgent sign" if topics else "no danger sign"),
        [lambda p, t=text: hpi(p, t)],
        topics,
        must=[must] if must else [],
        tags=["obs22", "exam-text"],
    )


# ---------------------------------------------------------------------------------------------
# 18. neg22: a leg or saddle sign named with its own side or place after a denial's list
#     ("(-) fever, numbness L leg") may be a finding written on: a data check asking whether it
#     was denied or found, never silence and never the urgent card; the controls stay as read
# ---------------------------------------------------------------------------------------------
NEG22_LISTED = [  # (id, words, what the data check must quote)
    ("minus-numbness-l-leg", "(-) fever, numbness L leg", "numbness L leg"),
    ("no-numbness-l-leg", "no fever, numbness L leg", "numbness L leg"),
    ("neg-colon-weakness-r-leg", "Neg: fever, weakness R leg", "weakness R leg"),
    ("denies-numbness-left-foot", "denies fever, numbness in left foot", "left foot"),
    ("ros-l-leg-numbness", "ROS (-) fever, chills, L leg numbness", "L leg numbness"),
    # "numbness bilateral legs" was here: both sides are no place of the item's own since
    # fix25d (er25c item 8), a denial (section fix25d at the end)
    ("numbness-l5", "(-) fever, numbness L5", "numbness L5"),
    ("weakness-lle", "denies fever, weakness LLE", "weakness LLE"),
    ("l-groin-numbness", "no fever, L groin numbness", "L groin numbness"),
    ("radiating-l-leg", "(-) fever, pain radiating down L leg", "radiating down L leg"),
]
NEG22_CONTROLS = [  # (id, words, topics): as read before neg22
    ("no-side", "(-) fever, chills, numbness", set()),
    ("own-minus", "(-) fever, (-) numbness L leg", set()),
    ("trigger-right-before", "denies numbness L leg", set()),
    ("shared-place", "No numbness, tingling or weakness in BLE", set()),
    ("plus-item", "(-) fever, (+) numbness L leg", {U}),
    ("new-sentence", "No fever. Numbness L leg", {U}),
]

for cid, words, must in NEG22_LISTED:
    pv(
        f"neg22-problem-{cid}",
        f"Low back pain; text-only problem '{words}' today: the sign named with its own side or "
        "place after the denials may be denied or found: a data check, no urgent card",
        [lambda p, t=words: condition(p, text=t, onset_hours=3)],
        {D},
        must=[must],
        tags=["neg22", "negation", "text"],
    )
for cid, words, topics in NEG22_CONTROLS:
    pv(
        f"neg22-problem-control-{cid}",
        f"Low back pain; text-only problem '{words}' today: "
        + ("the sign affirmed, urgent" if topics else "every sign denied, no card"),
        [lambda p, t=words: condition(p, text=t, onset_hours=3)],
        topics,
        tags=["neg22", "negation", "text"],
    )
for cid, words, must in NEG22_LISTED[:4] + NEG22_LISTED[7:]:
    pv(
        f"neg22-hpi-{cid}",
        f"Low back pain; a history of present illness three hours ago '{words}': a data check "
        "asking whether the placed sign was denied or found",
        [lambda p, t=words: exam_row(p, "History of present illness", t)],
        {D},
        must=[must],
        tags=["neg22", "negation", "exam-text"],
    )
for cid, words, topics in NEG22_CONTROLS:
    pv(
        f"neg22-hpi-control-{cid}",
        f"Low back pain; a history of present illness three hours ago '{words}'",
        [lambda p, t=words: exam_row(p, "History of present illness", t)],
        topics,
        tags=["neg22", "negation", "exam-text"],
    )
for cid, words, must in NEG22_LISTED[:5]:
    visit(
        f"neg22-reason-{cid}-pv",
        f"patient-view; visit reason 'LBP. {words}': a data check, no urgent card",
        "patient-view",
        [{"text": f"LBP. {words}"}],
        [],
        {D},
        must=[must],
        tags=["neg22", "negation"],
    )
for cid, words, topics in NEG22_CONTROLS:
    visit(
        f"neg22-reason-control-{cid}-pv",
        f"patient-view; visit reason 'LBP. {words}'",
        "patient-view",
        [{"text": f"LBP. {words}"}],
        [],
        topics,
        tags=["neg22", "negation"],
    )
visit(
    "neg22-reason-minus-numbness-l-leg-dc",
    "encounter-discharge; visit reason 'LBP. (-) fever, numbness L leg': the data check beside "
    "the discharge instructions, no urgent card",
    "encounter-discharge",
    [{"text": "LBP. (-) fever, numbness L leg"}],
    [],
    {D, DI},
    must=["numbness L leg"],
    tags=["neg22", "negation"],
)
order(
    "neg22-mri-select-listed-weakness",
    "order-select MRI lumbar; text-only problem 'denies fever, weakness R leg' today: imaging "
    "not indicated, hedged (a possible red flag to confirm), no removal offered",
    [lambda p: condition(p, text="denies fever, weakness R leg", onset_hours=3)],
    [mri],
    {INI, D},
    hook="order-select",
    must=["may be a red flag", "weakness R leg"],
    tags=["neg22", "negation"],
)
# the draft order's own reason, read as the record's words are: a numbness after the denials
# is a data check beside the hedged not-indicated card; a leg weakness there is also what the
# order is for (a red flag named or suspected supports imaging, as "r/o cauda equina" does)
for cid, reason, topics, must in [
    ("numbness", "(-) fever, numbness L leg", {INI, D}, ["may be a red flag", "numbness L leg"]),
    ("weakness", "(-) fever, weakness R leg", {IS, D}, ["weakness R leg"]),
]:
    order(
        f"neg22-mri-reason-listed-{cid}",
        f"order-sign MRI lumbar whose reason is '{reason}': a data check on the listed sign",
        [],
        [
            lambda p, r=reason: service_request(
                p, MRI, "MRI lumbar spine without contrast", reason={"text": r}
            )
        ],
        topics,
        must=must,
        tags=["neg22", "negation", "imaging"],
    )
pv(
    "neg22-problem-old-listed-none",
    "Low back pain; text-only problem '(-) fever, numbness L leg' from 20 days ago: outside "
    "the symptom window, no card",
    [lambda p: condition(p, text="(-) fever, numbness L leg", onset_hours=days(20))],
    set(),
    tags=["neg22", "negation", "text"],
)


# ---------------------------------------------------------------------------------------------
# 26. fix25a: fever in words (er25b): the plural "fevers", "feverish" and "F/C" in ROS and HPI
#     words (item 1); a fever row's range or one reading in two units (item 2); a fever row's
#     reading that its words place in the past (item 3)
# ---------------------------------------------------------------------------------------------
# Item 1: affirmed, a reported fever (and chills for "F/C"); denied, nothing; with a lumbar
# image ordered, the reported fever supports it
for cid, name, words, topics, must in [
    (
        "ros-fevers-tmax",
        "Review of systems",
        "Constitutional: fevers (Tmax 38.2) x2 days",
        {U},
        "Fever reported",
    ),
    ("ros-positive-fevers", "Review of systems", "Positive for fevers", {U}, "Fever reported"),
    (
        "ros-fevers-and-chills",
        "Review of systems",
        "Positive for fevers and chills",
        {U},
        "Fever reported",
    ),
    ("hpi-co-fevers", "HPI", "c/o fevers at home, Tmax 38.6", {U}, "Fever reported"),
    ("hpi-subjective-fevers", "HPI", "LBP x3d, subjective fevers at home", {U}, "Fever reported"),
    ("ros-plus-fc", "Review of systems", "Constitutional: +F/C", {U}, "Fever reported"),
    ("ros-denies-fevers", "Review of systems", "Constitutional: denies fevers", set(), ""),
    ("hpi-no-fevers-or-chills", "HPI", "LBP x2d, no fevers or chills", set(), ""),
    ("ros-denies-fc-nv", "Review of systems", "Denies F/C/N/V", set(), ""),
    ("foley-fc", "Nursing note", "F/C to gravity, draining clear urine", set(), ""),
]:
    pv(
        f"fix25a-words-{cid}",
        f"Low back pain; row '{name}' valued '{words}' three hours ago: "
        + ("a fever reported, the urgent sign" if topics else "no sign"),
        [lambda p, n=name, v=words: exam_row(p, n, v)],
        topics,
        must=[must] if must else [],
        tags=["fix25a", "exam-text"],
    )
for cid, words in [
    ("ros-positive-fevers", "Positive for fevers"),
    ("hpi-co-fevers", "c/o fevers at home, Tmax 38.6"),
]:
    order(
        f"fix25a-mri-{cid}",
        f"order-sign MRI lumbar; row '{words}' three hours ago: imaging supported by the "
        "reported fever, and the urgent sign",
        [lambda p, v=words: exam_row(p, "Review of systems", v)],
        [mri],
        {IS, U},
        must=["reported fever"],
        tags=["fix25a", "imaging"],
    )
# Item 2: a range is the sign when either end is one (ranges24, er30: its worst end was read);
# one reading in two units is the sign when they agree, a data check when they disagree
obs22_rows(
    "range",
    [
        ("38-39", "Fever", "38-39", {U}, "Fever: 38-39"),
        ("38-5-39", "Fever", "38.5-39", {U}, "Fever: 38.5-39"),
        ("101-102f", "Fever", "101-102F", {U}, "Fever: 101-102F"),
        ("100-101f", "Fever", "100-101F", {U}, "Fever: 100-101F"),
        ("37-5-38-5", "Fever", "37.5-38.5", {U}, "Fever: 37.5-38.5"),
        ("39-2c-102-6f", "Fever", "39.2C (102.6F)", {U}, "Fever: 39.2C (102.6F)"),
        ("102-6f-39-2c", "Fever", "102.6F (39.2C)", {U}, "Fever: 102.6F (39.2C)"),
        ("38-9c-102f", "Fever", "38.9 °C (102 °F)", {U}, "Fever: 38.9 °C (102 °F)"),
        ("disagree", "Fever", "39.2C (101.2F)", {D}, "Fever: 39.2C (101.2F)"),
        ("37-2c-99f", "Fever", "37.2C (99F)", set(), ""),
    ],
    "a fever reported, the urgent sign",
    "fix25a",
)
# Item 3: a reading the row's words place in the past is no current sign: weeks back (last
# week, a week ago) nothing at all (the fever's words are excluded: er25d W2), over with no
# date (afebrile since) a data check; one from yesterday, this morning or at home stays the sign
obs22_rows(
    "past",
    [
        ("last-week", "Fever", "Tmax 38.9 last week", set(), ""),
        ("last-week-afebrile", "Fever", "Tmax 38.9 last week, afebrile since", set(), ""),
        ("a-week-ago", "Fever", "Tmax 38.9 a week ago", set(), ""),
        ("afebrile-since", "Fever", "Tmax 38.9, afebrile since", {D}, "afebrile since"),
        ("yesterday-afebrile", "Fever", "38.9 yesterday, afebrile since", {U}, "afebrile since"),
        ("yesterday", "Fever", "Tmax 38.9 yesterday", {U}, "Fever: Tmax 38.9 yesterday"),
        ("this-am", "Fever", "temp 38.3 this AM", {U}, "temp 38.3 this AM"),
        ("at-home", "Fever", "Tmax 38.9 at home", {U}, "Tmax 38.9 at home"),
    ],
    "a fever reported, the urgent sign",
    "fix25a",
)


# ---------------------------------------------------------------------------------------------
# 24. fix25b: leg weakness words (emergency physician round er25b items 6-10): a leg row's grade
#     after an effort note on the other side (6), "LE" alone as the lower extremity (7), the
#     limb after the word (8), effort words beyond a bare give-way (9), old weakness (10)
# ---------------------------------------------------------------------------------------------
def fix25b_rows(prefix: str, rows: list[tuple[str, str, str, set[str], str]]) -> None:
    """One patient-view case per row (its name and value in words, three hours ago)."""
    for cid, name, value, topics, must in rows:
        pv(
            f"fix25b-{prefix}-{cid}",
            f"Low back pain; row '{name}' valued '{value}' three hours ago: "
            + ("a weak leg, the urgent sign" if topics else "no new leg weakness, no card"),
            [lambda p, n=name, v=value: exam_row(p, n, v)],
            topics,
            must=[must] if must else [],
            tags=["fix25b", "exam-text"],
        )


# Item 6: give-way on one side hides nothing on the other
fix25b_rows(
    "other-side",
    [
        ("lower-extremity", "Lower extremity strength", "give-way L, 3/5 R", {U}, "3/5 R"),
        ("le", "LE strength", "give-way L, 3/5 R", {U}, "3/5 R"),
        ("lle", "LLE strength", "give-way L, 3/5 R", {U}, "3/5 R"),
        ("rle", "RLE strength", "give-way L, 3/5 R", {U}, "3/5 R"),
        ("motor-exam-leg", "Motor exam", "give-way L, 3/5 R leg", {U}, "3/5 R leg"),
        ("le-poor-effort-too", "LE strength", "give-way L, 3/5 R, poor effort", set(), ""),
        ("ue-row", "UE strength", "give-way L, 3/5 R", set(), ""),
    ],
)
# Item 7: "LE" alone is the lower extremity
fix25b_rows(
    "le",
    [
        ("4-l", "LE strength", "4/5 L", {U}, "LE strength: 4/5 L"),
        ("3", "LE strength", "3/5", {U}, "LE strength: 3/5"),
        ("lower-extremity-3-r", "Lower extremity strength", "3/5 R", {U}, "3/5 R"),
        ("4-l-leg", "LE strength", "4/5 L leg", {U}, "4/5 L leg"),
        ("ble", "BLE strength", "4/5", {U}, "BLE strength: 4/5"),
        ("bilat", "Bilat LE strength", "4/5", {U}, "Bilat LE strength: 4/5"),
        ("5-ble", "LE strength", "5/5 BLE", set(), ""),
        ("5", "LE strength", "5/5", set(), ""),
        ("5-rue-4", "LE strength", "5/5, RUE 4/5", set(), ""),
    ],
)
# Item 8: the limb after the word; denied forms stay denied
fix25b_rows(
    "ros",
    [
        (
            "weakness-paren-l-leg",
            "Review of systems",
            "Positive for weakness (L leg)",
            {U},
            "L leg",
        ),
        ("weakness-in-l-leg", "Review of systems", "weakness in L leg", {U}, "L leg"),
        ("weakness-in-both-legs", "Review of systems", "weakness in both legs", {U}, "both legs"),
        ("weak-l-leg", "Review of systems", "weak L leg", {U}, "weak L leg"),
        ("l-leg-weakness", "Review of systems", "Positive for L leg weakness", {U}, "L leg"),
        ("denies-weakness-in-legs", "Review of systems", "denies weakness in legs", set(), ""),
        ("no-weakness-in-l-leg", "Review of systems", "no weakness in L leg", set(), ""),
        ("negative-paren-l-leg", "Review of systems", "Negative for weakness (L leg)", set(), ""),
    ],
)
# Item 9: effort words beyond a bare give-way qualify the same grade; a grade's own finding,
# a denied give-way and a note with its own side stay weakness
fix25b_rows(
    "effort",
    [
        ("poor-effort", "LLE strength", "4/5, poor effort", set(), ""),
        ("effort-limited", "LLE strength", "4/5 L hip flexion, effort-limited", set(), ""),
        ("effort-dependent", "LLE strength", "4/5, effort dependent", set(), ""),
        ("submaximal", "RLE strength", "4/5, submaximal effort", set(), ""),
        ("breakaway", "LLE strength", "4/5, breakaway", set(), ""),
        ("give-way-pain", "Strength", "4/5 L leg, give-way (pain)", set(), ""),
        ("give-way-before", "Strength", "give-way 4/5 L leg, R 5/5", set(), ""),
        ("give-way-pain-r-5", "Strength", "4/5 L leg, give-way (pain), R 5/5", set(), ""),
        ("ble-poor-effort", "LE strength", "4/5 BLE, poor effort", set(), ""),
        ("new-foot-drop", "LLE strength", "4/5 L leg, new foot drop", {U}, "new foot drop"),
        ("no-give-way", "LLE strength", "4/5 L leg, no give-way", {U}, "no give-way"),
        ("give-way-own-side", "LE strength", "4/5 BLE, give-way (L)", {U}, "give-way (L)"),
        ("poor-effort-other-leg", "Strength", "4/5 L leg (poor effort), 3/5 R leg", {U}, "3/5 R"),
        ("give-way-before-other-3", "Strength", "give-way 4/5 L leg, 3/5 R leg", {U}, "3/5 R"),
    ],
)
# Item 10: weakness the words call old is no new weakness, unless they say it changed or name
# another leg sign
fix25b_rows(
    "old",
    [
        ("chronic", "Motor", "chronic L leg weakness", set(), ""),
        (
            "chronic-since-stroke",
            "Motor",
            "L leg weakness, chronic since 2019 stroke, unchanged",
            set(),
            "",
        ),
        ("at-baseline", "Motor", "L leg weakness at baseline", set(), ""),
        ("residual-old-stroke", "Motor", "residual L leg weakness from old stroke", set(), ""),
        ("chronic-worse-today", "Motor", "chronic L leg weakness, worse today", {U}, "worse today"),
        ("new", "Motor", "new L leg weakness", {U}, "new L leg weakness"),
        ("baseline-now-worse", "LLE strength", "baseline L weakness, now worse", {U}, "now worse"),
        ("chronic-new-foot-drop", "Motor", "chronic L leg weakness, new R foot drop", {U}, "foot"),
        ("chronic-rle-3", "Motor", "chronic L leg weakness; RLE 3/5", {U}, "RLE 3/5"),
        ("chronic-lbp", "Motor", "Chronic LBP, L leg weakness", {U}, "L leg weakness"),
        ("unchanged-alone", "Motor", "L leg weakness, unchanged", {U}, "unchanged"),
    ],
)


# ---------------------------------------------------------------------------------------------
# 25. fix25c: a fall named as a noun phrase ("mechanical fall yesterday", "slip and fall",
#     "GLF", "slipped on ice") is a recent injury that supports a lumbar X-ray at order-sign,
#     in a history of present illness, a visit's reason or a problem's words (er25b x09-x11,
#     x19, i06); fall risk words and old or denied falls stay no injury (imaging not indicated)
# ---------------------------------------------------------------------------------------------
XR_LUMBAR = [(LOINC, "24970-6", "XR Lumbar spine AP and Lateral")]


def xr_lumbar(p: str) -> Json:
    return service_request(p, XR_LUMBAR, "XR lumbar spine AP and lateral")


FIX25C_FALLS = [  # (id, words): a recent fall named as a noun phrase
    ("mechanical-fall-yesterday", "mechanical fall yesterday"),
    ("slip-and-fall-yesterday", "slip and fall yesterday"),
    ("ground-level-fall-2d", "ground-level fall 2d ago"),
    ("glf-yesterday", "GLF yesterday"),
    ("slipped-on-ice-yesterday", "slipped on ice yesterday"),
    ("slipped-ice-landed-back", "slipped on ice yesterday, landed on back"),
    ("fall-from-standing-2-days", "fall from standing 2 days ago"),
    ("status-post-fall-this-am", "status post fall this AM"),
]
FIX25C_NO_FALL = [  # (id, words): no recent injury ("fell asleep" was one before fix25c)
    ("fall-2-years-ago", "fall 2 years ago"),
    ("h-o-falls", "h/o falls"),
    ("fall-risk", "fall risk"),
    ("fall-precautions", "fall precautions"),
    ("high-fall-risk", "high fall risk"),
    ("morse-fall-scale-45", "Morse fall scale 45"),
    ("denies-falls", "denies falls"),
    ("mechanical-fall-2-years", "mechanical fall 2 years ago"),
    ("slipped-ice-no-fall", "slipped on ice but did not fall"),
    ("fell-asleep-couch", "fell asleep on the couch yesterday"),
]
for cid, words in FIX25C_FALLS:
    order(
        f"fix25c-hpi-xr-{cid}",
        f"order-sign XR lumbar; a history of present illness (LOINC 10164-2) three hours ago "
        f"'{words}': a recent fall, imaging supported (no removal offered)",
        [lambda p, t=words: hpi(p, t)],
        [xr_lumbar],
        {IS},
        must=["recent injury"],
        tags=["fix25c", "imaging"],
    )
for cid, words in FIX25C_NO_FALL:
    order(
        f"fix25c-hpi-xr-no-{cid}",
        f"order-sign XR lumbar; a history of present illness (LOINC 10164-2) three hours ago "
        f"'{words}': no recent injury, imaging not indicated",
        [lambda p, t=words: hpi(p, t)],
        [xr_lumbar],
        {INI},
        tags=["fix25c", "imaging"],
    )
for cid, words in FIX25C_FALLS[:5]:
    visit(
        f"fix25c-reason-xr-{cid}",
        f"order-sign XR lumbar; visit reason 'Low back pain, {words}': a recent fall, imaging "
        "supported",
        "order-sign",
        [{"text": f"Low back pain, {words}"}],
        [],
        {IS},
        drafts=[xr_lumbar],
        must=["recent injury"],
        tags=["fix25c", "imaging"],
    )
for cid, words in FIX25C_NO_FALL[2:7]:
    visit(
        f"fix25c-reason-xr-no-{cid}",
        f"order-sign XR lumbar; visit reason 'Low back pain, {words}': no recent injury, imaging "
        "not indicated",
        "order-sign",
        [{"text": f"Low back pain, {words}"}],
        [],
        {INI},
        drafts=[xr_lumbar],
        tags=["fix25c", "imaging"],
    )
for cid, words in [FIX25C_FALLS[0], FIX25C_FALLS[3], FIX25C_FALLS[4]]:
    order(
        f"fix25c-problem-xr-{cid}",
        f"order-sign XR lumbar; text-only problem '{words}' recorded today: a recent fall, "
        "imaging supported",
        [lambda p, t=words: condition(p, text=t, onset_hours=3)],
        [xr_lumbar],
        {IS},
        must=["recent injury"],
        tags=["fix25c", "imaging", "text"],
    )
order(
    "fix25c-problem-xr-no-high-fall-risk",
    "order-sign XR lumbar; text-only problem 'High fall risk' recorded today: no injury, imaging "
    "not indicated",
    [lambda p: condition(p, text="High fall risk", onset_hours=3)],
    [xr_lumbar],
    {INI},
    tags=["fix25c", "imaging", "text"],
)


# ---------------------------------------------------------------------------------------------
# 26. stop22: words that name a fever and are none (hay fever, a fever blister, a past rheumatic
#     fever, the yellow fever vaccine, discharge advice "return for fever", a "-fever" review of
#     systems), and a fever row answered "afebrile": no card; the fever itself still is one
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("hay-fever", "Hay fever", set()),
    ("rhinitis-hay-fever", "Allergic rhinitis (hay fever)", set()),
    ("fever-blister", "Fever blister on lower lip", set()),
    ("rheumatic-fever", "Rheumatic fever", set()),
    ("yellow-fever-vaccine", "Yellow fever vaccine given", set()),
    ("return-for-fever", "Return for fever or worsening pain", set()),
    ("ros-minus-fever-chills", "ROS: -fever, -chills, -night sweats", set()),
    ("ros-plus-fever-minus-chills", "ROS: +fever, -chills", {U}),
    ("low-grade-fever", "low-grade fever since yesterday", {U}),
]:
    pv(
        f"stop22-cc-{cid}",
        f"Low back pain; a problem's words '{text}' yesterday: "
        + ("a fever, the urgent sign" if topics else "no fever, no card"),
        [lambda p, t=text: condition(p, text=t, onset_hours=20)],
        topics,
        must=["Fever"] if topics else [],
        tags=["stop22", "fever", "text"],
    )
obs22_rows(
    "fever-row",
    [
        ("afebrile", "Fever", "afebrile", set(), ""),
        ("afebrile-capital", "Fever", "Afebrile", set(), ""),
    ],
    "a fever reported, the urgent sign",
    "stop22",
)


# ---------------------------------------------------------------------------------------------
# 27. fix25d: saddle numbness written without a preposition ("numbness groin", "Numbness L
#     groin") is the sign (er25c items 1, 3); after a denial's list a saddle place needs no
#     side (item 2), two signs joined by "and" share one item's side (item 5), a side may
#     follow "foot drop" (item 7): a data check; both sides ("BLE", "bilateral legs") are a
#     template's denial, no data check (item 8)
# ---------------------------------------------------------------------------------------------
FIX25D_SIGN = [  # (id, words): the saddle sign itself, urgent
    ("numbness-groin", "numbness groin"),
    ("numbness-l-groin", "Numbness L groin"),
    ("no-fever-stop-numbness-groin", "No fever. Numbness groin."),
    ("no-fever-stop-numbness-l-groin", "No fever. Numbness L groin."),
]
FIX25D_LISTED = [  # (id, words, what the data check must quote)
    ("numbness-groin", "no fever, numbness groin", "numbness groin"),
    ("numbness-in-groin", "no fever, numbness in groin", "numbness in groin"),
    ("neg-groin-numbness", "Neg: fever, chills, groin numbness", "groin numbness"),
    ("numbness-in-genitals", "no fever, numbness in genitals", "numbness in genitals"),
    ("numbness-l-groin", "no fever, numbness L groin", "numbness L groin"),
    ("numbness-around-anus", "no fever, numbness around the anus", "around the anus"),
    ("numbness-and-weakness-l-leg", "no fever, numbness and weakness L leg", "weakness L leg"),
    ("weakness-and-numbness-r-leg", "no fever, weakness and numbness R leg", "numbness R leg"),
    ("foot-drop-l", "no fever, foot drop L", "foot drop L"),
    ("numbness-tingling-rle", "denies fever, numbness/tingling RLE", "RLE"),
]
FIX25D_CONTROLS = [  # (id, words, topics)
    ("groin-pain", "Groin pain", set()),
    ("l-groin-strain", "L groin strain", set()),
    ("groin-rash", "no fever, numbness, groin rash", set()),
    ("minus-saddle-anesthesia", "(-) fever, saddle anesthesia", set()),
    ("denies-saddle-anesthesia", "denies saddle anesthesia", set()),
    ("groin-or-legs", "Pt denies fever, chills, numbness in groin or legs, incontinence", set()),
    (
        "ble-template",
        "denies bowel/bladder incontinence, saddle anesthesia, numbness/tingling BLE",
        set(),
    ),
    ("numbness-tingling-ble", "denies fever, numbness/tingling BLE", set()),
    ("numbness-bilateral-legs", "no fever, no chills, numbness bilateral legs", set()),
    ("weakness-both-legs", "denies fever, weakness both legs", set()),
    ("numbness-and-weakness-alone", "numbness and weakness L leg", {U}),
    # the words a cauda equina screen names its sign by are no place (stop 22)
    ("perianal-numbness", "no fever, perianal numbness", set()),
]

for cid, words in FIX25D_SIGN:
    pv(
        f"fix25d-hpi-sign-{cid}",
        f"Low back pain; a history of present illness three hours ago '{words}': numbness of "
        "the groin, the saddle sign, urgent",
        [lambda p, t=words: exam_row(p, "History of present illness", t)],
        {U},
        tags=["fix25d", "exam-text"],
    )
pv(
    "fix25d-problem-sign-numbness-groin",
    "Low back pain; text-only problem 'Numbness groin' today: the saddle sign, urgent",
    [lambda p: condition(p, text="Numbness groin", onset_hours=3)],
    {U},
    tags=["fix25d", "text"],
)
for cid, words, must in FIX25D_LISTED:
    pv(
        f"fix25d-hpi-{cid}",
        f"Low back pain; a history of present illness three hours ago '{words}': a data check "
        "asking whether the placed sign was denied or found",
        [lambda p, t=words: exam_row(p, "History of present illness", t)],
        {D},
        must=[must],
        tags=["fix25d", "negation", "exam-text"],
    )
for cid, words, must in FIX25D_LISTED[:3]:
    pv(
        f"fix25d-problem-{cid}",
        f"Low back pain; text-only problem '{words}' today: a data check, no urgent card",
        [lambda p, t=words: condition(p, text=t, onset_hours=3)],
        {D},
        must=[must],
        tags=["fix25d", "negation", "text"],
    )
    visit(
        f"fix25d-reason-{cid}-pv",
        f"patient-view; visit reason 'LBP. {words}': a data check, no urgent card",
        "patient-view",
        [{"text": f"LBP. {words}"}],
        [],
        {D},
        must=[must],
        tags=["fix25d", "negation"],
    )
for cid, words, topics in FIX25D_CONTROLS:
    pv(
        f"fix25d-hpi-control-{cid}",
        f"Low back pain; a history of present illness three hours ago '{words}': "
        + ("the sign affirmed, urgent" if topics else "no sign, no data check"),
        [lambda p, t=words: exam_row(p, "History of present illness", t)],
        topics,
        tags=["fix25d", "negation", "exam-text"],
    )
for cid, words, topics in FIX25D_CONTROLS[6:8]:
    pv(
        f"fix25d-problem-control-{cid}",
        f"Low back pain; text-only problem '{words}' today: every sign denied, no card",
        [lambda p, t=words: condition(p, text=t, onset_hours=3)],
        topics,
        tags=["fix25d", "negation", "text"],
    )
order(
    "fix25d-mri-hpi-listed-numbness-groin",
    "order-sign MRI lumbar; a history of present illness 'no fever, numbness groin': imaging "
    "not indicated, hedged (a possible red flag to confirm), no removal offered",
    [lambda p: exam_row(p, "History of present illness", "no fever, numbness groin")],
    [mri],
    {INI, D},
    must=["may be a red flag", "numbness groin"],
    tags=["fix25d", "negation", "imaging"],
)


# a cauda equina screen's denial names the saddle signs by their own words: one denial, no
# data check (stop 22, after fix25d)
for cid, text in [
    (
        "ces-screen-perineal",
        "Denies fever, chills, saddle anesthesia, perineal numbness, bowel or bladder incontinence",
    ),
    ("ces-screen-perianal", "denies saddle anesthesia, perianal numbness"),
]:
    pv(
        f"stop22-hpi-{cid}",
        f"Low back pain; a history of present illness '{text}': a denial, no card",
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        set(),
        tags=["stop22", "negation", "text"],
    )


# the last physician check (er25d): a hyphenated word with fever in it, a return-to-clinic line
# and a number that fell are no sign and no injury
for cid, text in [
    ("anti-fever", "took anti-fever medicine for the ache"),
    ("non-febrile", "non-febrile, well appearing"),
    ("rtc-for-fevers", "f/u PCP, RTC for fevers, numbness, weakness"),
]:
    pv(
        f"stop22-hpi-{cid}",
        f"Low back pain; a history of present illness '{text}': no fever, no card",
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        set(),
        tags=["stop22", "fever", "text"],
    )
for cid, text, topics in [
    ("pain-fell-to", "LBP x2d, pain fell to 3/10 after ketorolac", {INI}),
    ("bp-fell-to", "LBP x2d, BP fell to 90/60 after morphine, recovered", {INI}),
    ("fell-from-ladder", "fell from ladder yesterday, LBP since", {IS}),
]:
    order(
        f"stop22-hpi-xr-{cid}",
        f"order-sign lumbar X-ray; a history of present illness '{text}': "
        + ("a recent fall supports it" if IS in topics else "no fall, not indicated"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        [xr_lumbar],
        topics,
        tags=["stop22", "imaging", "text"],
    )


# a fever the words date weeks back is no current sign; old weakness in the words "weakness in
# L leg" is no new sign (er25d W2, W7)
for cid, text, topics in [
    ("fever-last-week-afebrile", "fever last week, afebrile since", set()),
    ("fevers-2-weeks-ago", "fevers 2 weeks ago, none since", set()),
    ("fevers-week-38-5-today", "fevers x1 week, 38.5 today", {U}),
    ("weakness-in-l-leg-baseline", "weakness in L leg, baseline", set()),
    ("weakness-in-l-leg-chronic", "weakness in L leg (chronic, unchanged)", set()),
    ("weakness-in-l-leg-worse", "weakness in L leg, worse today", {U}),
]:
    pv(
        f"stop22-hpi-{cid}",
        f"Low back pain; a history of present illness '{text}': "
        + ("a current sign, urgent" if topics else "nothing current, no card"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop22", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 28. fix26b: a fever row with readings each dated by its own words (er25d W4): the current ones
#     decide, as one reading alone would; a past one set aside
# ---------------------------------------------------------------------------------------------
obs22_rows(
    "dated",
    [
        ("last-week-today", "Fever", "Tmax 38.9 last week, 39.1 today", {U}, "39.1 today"),
        ("today-last-week", "Fever", "39.1 today, 38.9 last week", {U}, "39.1 today"),
        ("last-week-this-am", "Fever", "38.9 last week; 39.1 this AM", {U}, "39.1 this AM"),
        ("today-tonight", "Fever", "39.1 today, 39.4 tonight", {U}, "39.4 tonight"),
        ("below-beside-past", "Fever", "38.9 last week, 37.0 today", set(), ""),
        ("one-below-now", "Fever", "38.5 today, 37.0 this AM", {U}, "38.5 today"),
        ("undated-first", "Fever", "38.9, 39.2 today", {D}, "answer not understood"),
    ],
    "a fever reported, the urgent sign",
    "fix26b",
)


# coded data in whole records (er26): a danger sign coded on the differential is a data-check
# item, never silence and never the sign's own card; a cancer in remission, resolved or
# inactive is still the history that supports a lumbar image
for cid, codings, topics in [
    ("ces", [(ICD10CM, "G83.4", "Cauda equina syndrome")], {D}),
    ("retention", [(ICD10CM, "R33.9", "Retention of urine, unspecified")], {D}),
    ("fever", [(ICD10CM, "R50.9", "Fever, unspecified")], {D}),
]:
    pv(
        f"er26-differential-{cid}",
        f"Low back pain; {codings[0][2]} coded today, verificationStatus differential: "
        "ruled out or not? a data-check item",
        [lambda p, c=codings: condition(p, c, verification="differential", onset_hours=3)],
        topics,
        tags=["er26", "status"],
    )
for cid, codings in [
    ("lbp", [(ICD10CM, "M54.50", "Low back pain, unspecified")]),
    ("spasm", [(ICD10CM, "M62.830", "Muscle spasm of back")]),
    ("strain", [(ICD10CM, "S39.012A", "Strain of muscle of lower back, initial encounter")]),
]:
    pv(
        f"er26-differential-own-{cid}",
        f"Low back pain; {codings[0][2]} on the differential: the visit's own back pain, no "
        "danger sign to rule out, no card (er27 W2)",
        [lambda p, c=codings: condition(p, c, verification="differential", onset_hours=3)],
        set(),
        tags=["er26", "status"],
    )
pv(
    "er26-differential-ces-old",
    "Low back pain; cauda equina syndrome on the differential 60 days ago: outside the symptom "
    "window, no card",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "G83.4", "Cauda equina syndrome")],
            verification="differential",
            onset_hours=days(60),
        )
    ],
    set(),
    tags=["er26", "status"],
)
pv(
    "er26-provisional-ces",
    "Low back pain; cauda equina syndrome coded today, verificationStatus provisional: the sign",
    [
        lambda p: condition(
            p,
            [(ICD10CM, "G83.4", "Cauda equina syndrome")],
            verification="provisional",
            onset_hours=3,
        )
    ],
    {E},
    tags=["er26", "status"],
)
for cid, code, status in [
    (
        "z85-3-remission",
        (ICD10CM, "Z85.3", "Personal history of malignant neoplasm of breast"),
        "remission",
    ),
    (
        "z85-46-resolved",
        (ICD10CM, "Z85.46", "Personal history of malignant neoplasm of prostate"),
        "resolved",
    ),
    ("c50-inactive", (ICD10CM, "C50.911", "Malignant neoplasm of right female breast"), "inactive"),
]:
    order(
        f"er26-xr-cancer-{cid}",
        f"order-sign lumbar X-ray; {code[2]} ({status}): a cancer in the history supports it",
        [lambda p, c=code, st=status: condition(p, [c], clinical=st, onset_hours=days(3000))],
        [xr_lumbar],
        {IS},
        tags=["er26", "imaging", "status"],
    )


# ---------------------------------------------------------------------------------------------
# 29. fix26a: "weakness" right after an effort word ("give-way weakness", "breakaway weakness
#     L leg") and effort blamed on pain after the grade ("4/5 L leg, poor effort due to pain")
#     are no new leg weakness (er25d W5, W6); a grade on the other side, a denied give-way and a
#     foot drop beside them stay the urgent sign. A febrile disease named with a past year or
#     childhood is no fever now (W3)
# ---------------------------------------------------------------------------------------------
for cid, name, value, topics, must in [
    ("give-way-weakness", "Motor", "4/5 L leg, give-way weakness", set(), ""),
    ("breakaway-weakness-l-leg", "Motor", "breakaway weakness L leg", set(), ""),
    (
        "give-way-weakness-ble-5",
        "LE strength",
        "give-way weakness BLE, 5/5 with encouragement",
        set(),
        "",
    ),
    ("give-way-bare", "Motor", "4/5 L leg, give-way", set(), ""),
    ("poor-effort-due-to-pain", "Motor", "4/5 L leg, poor effort due to pain", set(), ""),
    ("effort-limited-by-pain", "Motor", "4/5 L leg, effort limited by pain", set(), ""),
    ("limited-by-pain", "Motor", "4/5 L leg, limited by pain", set(), ""),
    ("new-foot-drop", "Motor", "4/5 L leg, new foot drop", {U}, "foot drop"),
    ("give-way-l-3-r", "LE strength", "give-way L, 3/5 R", {U}, "3/5 R"),
    ("no-give-way", "Motor", "4/5 L leg, no give-way", {U}, "no give-way"),
    ("no-give-way-weakness", "Motor", "4/5 L leg, no give-way weakness", {U}, "no give-way"),
    ("poor-effort-other-side", "Motor", "4/5 L leg, poor effort R", {U}, "poor effort R"),
    ("give-way-weakness-r-leg", "Motor", "4/5 L leg, give-way weakness R leg", {U}, "4/5 L"),
    (
        "breakaway-new-foot-drop",
        "Motor",
        "breakaway weakness L leg, new foot drop",
        {U},
        "foot drop",
    ),
    ("give-way-weakness-ble-3-r", "LE strength", "give-way weakness BLE, 3/5 R", {U}, "3/5 R"),
]:
    pv(
        f"fix26a-{cid}",
        f"Low back pain; row '{name}' valued '{value}' three hours ago: "
        + ("a weak leg, the urgent sign" if topics else "effort, no new leg weakness, no card"),
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        must=[must] if must else [],
        tags=["fix26a", "exam-text"],
    )


# a febrile disease named with the patient's past (a year before NOW's, childhood, years ago)
# is no current fever (er25d W3); the same words beside a fever of now, and a fever dated this
# month or this year, stay the urgent sign
for cid, text, topics in [
    ("dengue-fever-2019", "dengue fever 2019", set()),
    ("valley-fever-2015-treated", "Valley fever 2015, treated", set()),
    ("ho-typhoid-fever-1998", "h/o typhoid fever 1998", set()),
    ("scarlet-fever-as-a-child", "scarlet fever as a child", set()),
    ("scarlet-fever-childhood", "scarlet fever, childhood", set()),
    ("hx-dengue-fever", "hx dengue fever", set()),
    ("dengue-fever-2026", "dengue fever 2026", {U}),
    ("dengue-fever-2019-fevers-2d", "dengue fever 2019; fevers x2 days", {U}),
    ("dengue-fever-2019-101-home", "dengue fever 2019, 101.2 at home", {U}),
    ("fever-11-25", "fever 11/25", {U}),
    ("fever-since-2026-11-24", "fever since 2026-11-24", {U}),
    ("fever-2026", "fever 2026", {U}),
    ("fever-38-9-on-11-25-2026", "fever 38.9 on 11/25/2026", {U}),
]:
    pv(
        f"fix26a-hpi-{cid}",
        f"Low back pain; a history of present illness '{text}': "
        + ("a fever now, the urgent sign" if topics else "a past disease, no fever now, no card"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        must=["Fever"] if topics else [],
        tags=["fix26a", "fever", "text"],
    )
    pv(
        f"fix26a-cc-{cid}",
        f"Low back pain; a problem's words '{text}' yesterday: "
        + ("a fever now, the urgent sign" if topics else "a past disease, no fever now, no card"),
        [lambda p, t=text: condition(p, text=t, onset_hours=20)],
        topics,
        must=["Fever"] if topics else [],
        tags=["fix26a", "fever", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 30. stop23: a history naming a sign on several lines is read by entries: an old fever or
#     chronic weakness on one line, a new one on the next stays the sign; a qualifier wrapped
#     onto the next line still belongs to its sign (er27 W1)
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("weeks-ago-then-today", "fevers 2 weeks ago\nfever again today", {U}),
    ("last-week-then-38-9", "fever last week, afebrile since\nnew fever 38.9 today", {U}),
    ("one-line-all-past", "fevers 2 weeks ago, none since\nLBP x2d", set()),
    ("wrapped-chronic-incontinence", "Urinary incontinence\n(chronic, since 2015)", set()),
    ("wrapped-baseline-weakness", "L leg weakness -\nbaseline per family.", set()),
    ("fever-then-lbp-weeks", "Fever since last night\nLBP started 2 weeks ago", {U}),
    ("chronic-then-new-weakness", "L leg weakness, chronic\nR leg weakness new today", {U}),
    ("chronic-weakness-alone", "L leg weakness, chronic since stroke", set()),
]:
    pv(
        f"stop23-hpi-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a current sign, urgent" if topics else "only an old one, no card"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop23", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 31. fix26c: a problem in no value set whose words only suspect a red flag ("Cannot rule out
# cauda equina syndrome") is what a lumbar image is for however its onset is written: a full
# time in a zone already seen was read as plainly past and dropped before its words were read
# ---------------------------------------------------------------------------------------------
for cid, text, days_ago, zone, topics in [
    ("cannot-rule-out-ces-z", "Cannot rule out cauda equina syndrome", 1, "Z", {IS}),
    ("cannot-rule-out-ces-offset", "Cannot rule out cauda equina syndrome", 1, "+04:00", {IS}),
    ("r-o-ces-z", "r/o CES", 2, "Z", {IS}),
    ("cannot-rule-out-ces-old", "Cannot rule out cauda equina syndrome", 60, "Z", {INI}),
]:
    order(
        f"fix26c-ord-mri-problem-{cid}",
        f"order-select lumbar MRI with no reason; problem '{text}' (in no value set) entered "
        f"{days_ago} days ago, onset zone {zone}: "
        + ("the suspicion is the indication" if IS in topics else "an old doubt, not indicated"),
        [
            lambda p: condition(p, text="Low back pain", onset_hours=days(3)),
            lambda p, t=text, d=days_ago, z=zone: condition(
                p, text=t, onset_hours=days(d), onset_zone=z
            ),
        ],
        [mri],
        topics,
        hook="order-select",
        forbidden={INI} if IS in topics else set(),
        tags=["fix26c", "imaging", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 32. stop23: a denial's header on its own line reaches the list below it (er27 W4: "Denies:"
#     then bulleted items; "Pt denies" then the list on the next line); a line that is no
#     bullet, or one with its own "+", is its own statement
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    (
        "denies-bullets",
        "Denies:\n- fever\n- chills\n- leg weakness\n- urinary retention\n- saddle anesthesia",
        set(),
    ),
    ("pt-denies-next-line", "Pt denies\nfever, chills, leg weakness, urinary retention.", set()),
    ("return-precautions-bullets", "Return precautions:\n- fever\n- urinary retention", set()),
    (
        "ros-negative-for-next-line",
        "ROS negative for\nfevers, saddle numbness, incontinence.",
        set(),
    ),
    ("return-to-ed-for", "Return to ED for:\nfever, new weakness, numbness in groin.", set()),
    ("denies-bullets-then-finding", "Denies:\n- fever\n- chills\nUrinary retention x1 day", {E}),
    ("ros-bullet-own-plus", "ROS:\n- denies fever\n- + urinary retention", {E}),
    ("denies-then-blank-line", "Denies:\n\n- urinary retention", {E}),
    ("denies-numbered", "Denies:\n1. fever\n2. urinary retention", set()),
    ("denies-bullet-positive", "Denies:\n- fever\n- urinary retention: POSITIVE", {E}),
]:
    pv(
        f"stop23-list-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a sign of its own" if topics else "all denied, no card"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop23", "negation", "text"],
    )
pv(
    "stop23-list-label-answer-lines",
    "Low back pain; a history of present illness 'Fever:' / 'no' / 'Urinary retention since "
    "last night': an answer line heads no list, so the retention stays an emergency (er28 W1); "
    "'Fever:' answered 'no' on the next line is a denial (stop 24: no urgent card)",
    [
        lambda p: exam_row(
            p, "History of present illness", "Fever:\nno\nUrinary retention since last night"
        )
    ],
    {E},
    tags=["stop23", "negation", "text"],
)


# ---------------------------------------------------------------------------------------------
# 33. stop23: a fever row's reading dated where this visit measured it ("in ED", "in triage",
#     "on arrival") is a current one beside the fever at home (er27 W6)
# ---------------------------------------------------------------------------------------------
obs22_rows(
    "dated",
    [
        ("in-ed", "Fever", "Tmax 102.1 at home yesterday, 99.1 in ED", {U}, "yesterday"),
        ("in-triage", "Fever", "Tmax 38.6 at home this AM; 37.4 in triage", {U}, "this AM"),
        ("past-then-ed", "Fever", "38.9 last week, 37.0 in ED", set(), ""),
        ("afebrile-now", "Fever", "Tmax 38.9, afebrile now", {D}, "answer not understood"),
    ],
    "a fever reported, the urgent sign",
    "stop23",
)


# ---------------------------------------------------------------------------------------------
# 34. stop24 dating: when a sign was, in words (brief dating24). A back pain's duration on an
#     earlier line dates no old fever; an old deficit dated by a past year's event is no new
#     weakness; a past fever with a normal reading today is no current fever; "now" dates a
#     fever row's reading; a reading dated by a span or a day is the sign reported then (the
#     rules' window decides), and a date that cannot be placed is a data check. Near-miss
#     controls: a current fever and a current weakness stay. Dates of the calendar in words
#     ("on 11/25", "CVA 2026") do not move with the HTTP leg's clock: they are tested at a
#     fixed time in tests/facts/test_said_dates.py instead.
# ---------------------------------------------------------------------------------------------
for cid, text, topics, optional in (
    ("lbp-then-old-fever", "LBP x2d\nfevers 2 weeks ago", set(), set()),
    ("lbp-and-wrapped-old-fever", "LBP x2d and\nfevers 2 weeks ago", {U}, set()),
    ("lbp-then-fever-again", "LBP x2d\nfevers 2 weeks ago\nfever again today", {U}, set()),
    ("old-fever-normal-today", "subjective fevers last week; 37.0 today", set(), set()),
    ("lbp-old-fever-normal", "LBP x2d\nsubjective fevers last week; 37.0 today", set(), set()),
    ("old-fever-high-today", "subjective fevers last week; 38.4 today", {U}, set()),
    ("old-fever-99-7f-today", "fevers last week; 99.7F today", {U}, set()),
    ("fever-again-today", "fevers last week and again today; 37.0 now", {U}, set()),
    ("fevers-since-last-week", "fevers since last week", {U}, set()),
    ("fever-then-afebrile", "fever last week, afebrile since", set(), set()),
):
    pv(
        f"stop24-dating-hpi-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a current fever, its card" if topics else "no current fever, no card"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        optional=optional,
        tags=["stop24", "dating", "text"],
    )
for cid, text, topics in (
    ("known-since-cva-wrapped", "Known L leg weakness\nsince CVA 2015", set()),
    ("known-since-cva", "Known L leg weakness since CVA 2015", set()),
    ("since-2015", "L leg weakness since 2015", set()),
    ("since-this-morning", "L leg weakness since this morning", {U}),
    ("new-hx-cva", "new L leg weakness, hx CVA 2015", {U}),
    ("since-cva-worse-today", "Known L leg weakness since CVA 2015, worse today", {U}),
):
    pv(
        f"stop24-dating-problem-{cid}",
        f"Low back pain; a problem {text!r} (onset 72 h ago): "
        + ("a current leg weakness, its card" if topics else "the old deficit, no card"),
        [lambda p, t=text: condition(p, (), t)],
        topics,
        tags=["stop24", "dating", "text"],
    )
obs22_rows(
    "dating",
    [
        ("38-9-now", "Fever", "38.9 now", {U}, "38.9 now"),
        ("37-0-now", "Fever", "37.0 now", set(), ""),
        ("yesterday-then-now", "Fever", "Tmax 38.9 yesterday, 37.0 now", {U}, "yesterday"),
        ("past-then-now", "Fever", "Tmax 38.9 last week, 37.0 now", set(), ""),
        ("afebrile-now", "Fever", "Tmax 38.9, afebrile now", {D}, "answer not understood"),
        ("2-days-ago", "Fever", "38.9 2 days ago", {U}, "own words (2 days ago)"),
        ("5-hours-ago", "Fever", "38.9 5 hours ago", {U}, "own words (5 hours ago)"),
        ("20-days-ago", "Fever", "38.9 20 days ago", set(), ""),
        ("normal-2-days-ago", "Fever", "37.2 2 days ago", set(), ""),
        ("dated-then-afebrile", "Fever", "38.9 2 days ago, afebrile since", {U}, "2 days ago"),
        ("no-such-day", "Fever", "38.9 on 13/40", {D}, "answer not understood"),
        ("two-dates", "Fever", "38.9 on 11/25, 2 days ago", {D}, "answer not understood"),
        ("old-high-new-lower", "Fever", "39.5 20 days ago, 38.5 today", {D}, "not understood"),
        ("low-then-high-today", "Fever", "37.0 2 days ago, 38.9 today", {U}, "38.9 today"),
    ],
    "a fever reported, the urgent sign",
    "stop24",
)


# ---------------------------------------------------------------------------------------------
# 35. stop24 (integrator review int24): a GCS outside its scale is no reading of the patient
#     (0 as a flowsheet's "not assessable", 150 for 15): a data-check item, never an
#     emergency; an aspirin order coded at an analgesic dose (RxNorm SCD, no text) is an NSAID
# ---------------------------------------------------------------------------------------------
for cid, value, topics in [
    ("gcs-0", 0, {D}),
    ("gcs-2", 2, {D}),
    ("gcs-16", 16, {D}),
    ("gcs-150", 150, {D}),
    ("gcs-3", 3, {E}),
]:
    pv(
        f"stop24-{cid}",
        f"Low back pain; GCS total {value}: "
        + ("the lowest score, an emergency" if E in topics else "outside 3-15, a data-check item"),
        [lambda p, v=value: obs(p, "gcs", v)],
        topics,
        must=[str(value)],
        tags=["stop24", "consciousness"],
    )


def coded_only(resource: Json) -> Json:
    """A medication order as Oracle Health and many Epic builds send it: an RxNorm product
    code with its display, no CodeableConcept.text."""
    del resource["medicationCodeableConcept"]["text"]
    return resource


for cid, rxcui, display, context in [
    (
        "aspirin-325-warfarin",
        "212033",
        "aspirin 325 MG Oral Tablet",
        lambda p: med_request(p, "11289", "Warfarin"),
    ),
    (
        "aspirin-650-ckd",
        "198475",
        "aspirin 650 MG Oral Tablet",
        lambda p: condition(p, [(ICD10CM, "N18.30", "Chronic kidney disease, stage 3")]),
    ),
    (
        "fiorinal-ckd",
        "238135",
        "aspirin 325 MG / butalbital 50 MG / caffeine 40 MG Oral Tablet",
        lambda p: condition(p, [(ICD10CM, "N18.30", "Chronic kidney disease, stage 3")]),
    ),
]:
    order(
        f"stop24-{cid}",
        f"Order-sign: {display} coded alone (RxNorm {rxcui}, no text) for a patient with "
        + ("warfarin" if "warfarin" in cid else "CKD stage 3")
        + ": an analgesic dose of aspirin is an NSAID order, the pain-reliever caution",
        [context],
        [
            lambda p, r=rxcui, d=display: coded_only(
                med_request(p, r, d, status="draft", hours_ago=0)
            )
        ],
        {AC},
        tags=["stop24", "medication"],
    )


# ---------------------------------------------------------------------------------------------
# 36. stop24 temperatures in words: a temperature written in free text after a word naming it
#     ("Tmax 101.5 at home", "T 38.9 in triage") is the fever sign at the threshold; below it,
#     dated in the past, denied or advised with a comparator, nothing; in doubt, a data-check
#     item, never the urgent card
# ---------------------------------------------------------------------------------------------
STOP24_HPI = [
    ("tmax-f-at-home", "LBP x3d. Tmax 101.5 at home", {U}),
    ("t-c-triage", "LBP x3d. T 38.9 in triage", {U}),
    ("temp-this-am", "LBP x3d, temp 39.2 this AM", {U}),
    ("temp-was", "Back spasm since Sunday. Temp was 38.4 this morning.", {U}),
    ("t-at-threshold-f", "LBP. T 100.4", {U}),
    ("tmax-of-no-date", "Tmax of 102 per wife", {U}),
    ("vitals-line-fever", "BP 132/84 HR 92 RR 18 T 38.7 SpO2 97%", {U}),
    ("past-then-today", "Tmax 38.9 last week, 39.1 today", {U}),
    ("then-lower-today", "Tmax 38.9 yesterday, 37.0 today", {U}),
    # near misses: below the threshold, past, a threshold, a vertebra, a dose
    ("t-below", "LBP x3d. T 37.1", set()),
    ("afebrile-tmax-below", "afebrile, Tmax 37.6", set()),
    ("vitals-line-normal", "BP 120/80 HR 88 RR 16 T 36.8 SpO2 98%", set()),
    ("last-week", "LBP. Tmax 39 last week", set()),
    ("weeks-ago", "LBP. Tmax 39 2 weeks ago", set()),
    ("no-temps-over", "LBP, no temps > 38", set()),
    ("denies-t-over", "LBP, denies T > 100.4", set()),
    ("call-if", "Discussed: call if temp > 100.4", set()),
    ("return-for", "Return for temp over 38 or new weakness", set()),
    ("defined-as", "fever defined as T >= 38", set()),
    ("or-higher", "Call if temp 100.4 or higher", set()),
    ("t12-vertebra", "Old T12 compression fracture, stable", set()),
    ("max-dose", "oxycodone max 40 mg daily", set()),
    # in doubt: a data-check item when it may be a fever, never the urgent card
    ("query", "LBP. T ?38.5", {D}),
    ("tilde", "LBP. T ~38.5", {D}),
    ("two-units", "T 38.9C (101F) at home", {D}),
    ("decimal-lost", "LBP. T 389", {D}),
    ("decimal-slipped", "LBP. T 3.9", {D}),
    ("bound-affirmed", "LBP. Tmax >39 at home", {D}),
    ("in-denial-list", "no weakness, temp 38.6", {D}),
    ("query-below", "LBP. T ?36.5", set()),
]
for cid, text, topics in STOP24_HPI:
    pv(
        f"stop24-hpi-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + (
            "the urgent fever sign" if U in topics else "a data-check item" if topics else "no card"
        ),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        forbidden=[] if U in topics else [U],
        tags=["stop24", "text"],
    )
for cid, name, value, topics in [
    ("row-tmax", "Tmax", "101.5 at home", {U}),
    ("row-tmax-below", "Tmax", "99.0 at home", set()),
    ("exam-vitals", "Physical findings", "Gen: uncomfortable. T 39.0, HR 96.", {U}),
]:
    pv(
        f"stop24-{cid}",
        f"Low back pain; a row {name!r} valued {value!r}: "
        + ("the urgent fever sign" if topics else "below the threshold, no card"),
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        forbidden=[] if topics else [U],
        tags=["stop24", "text"],
    )
for cid, text, topics in [
    ("problem-tmax", "Low back pain, Tmax 101.5 at home", {U}),
    ("problem-below", "Low back pain, T 37.2", set()),
    ("problem-past", "Low back pain; temp 39 a week ago", set()),
]:
    pv(
        f"stop24-{cid}",
        f"Low back pain; a problem's words {text!r}: "
        + ("the urgent fever sign" if topics else "no card"),
        [lambda p, t=text: condition(p, (), t)],
        topics,
        forbidden=[] if topics else [U],
        tags=["stop24", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 37. stop24 lines: how real notes lay out lines and lists. Line ends of every form read alike
#     (CRLF, a lone CR, U+2028); every bullet mark templates use; a label answered "no" on the
#     next line; a denial's list without bullets, one sign's name a line; a later item marked
#     NEW in capitals under a denial is asked about (data-check). Near-miss controls: a line
#     that says more after the list, a blank line, a full stop, a "+" stay the sign.
# ---------------------------------------------------------------------------------------------
_STOP24_LINES: list[tuple[str, str, set[str]]] = [
    # item 1: line ends
    ("crlf-fever-none", "Fever:\r\nnone\r\nback pain", set()),
    ("crlf-fever-none-retention", "Fever:\r\nnone\r\nUrinary retention since last night", {E}),
    ("cr-denies-then-retention", "Denies fever.\rUrinary retention since last night", {E}),
    ("cr-bullets-denied", "Denies:\r- fever\r- urinary retention", set()),
    ("crlf-bullets-denied", "Denies:\r\n- fever\r\n- urinary retention", set()),
    ("u2028-bullets-denied", "Denies:\u2028- fever\u2028- urinary retention", set()),
    ("crlf-blank-line-ends-list", "Denies:\r\n- fever\r\n\r\n- urinary retention", {E}),
    ("cr-blank-line-ends-list", "Denies:\r- fever\r\rUrinary retention since last night", {E}),
    ("cr-no-fever-then-retention", "No fever\rurinary retention", {E}),
    # item 2: bullets
    ("white-bullet", "Denies:\n\u25e6 fever\n\u25e6 urinary retention", set()),
    ("square-bullet", "Denies:\n\u25aa fever\n\u25aa urinary retention", set()),
    ("triangle-bullet", "Denies:\n\u2023 fever\n\u2023 urinary retention", set()),
    ("middle-dot-bullet", "Denies:\n\u00b7 fever\n\u00b7 urinary retention", set()),
    ("letter-o-bullet", "Denies:\no fever\no urinary retention", set()),
    ("asterisk-bullet", "Denies:\n* fever\n* urinary retention", set()),
    ("en-dash-bullet", "Denies:\n\u2013 fever\n\u2013 urinary retention", set()),
    ("quote-bullet", "Denies:\n> fever\n> urinary retention", set()),
    ("bullet-neg-opens-item", "ROS:\n\u2022 (-) fever\n\u2022 (-) urinary retention", set()),
    ("white-bullet-then-finding", "Denies:\n\u25e6 fever\nUrinary retention x1 day", {E}),
    ("white-bullet-own-plus", "Denies:\n\u25e6 fever\n\u25e6 + urinary retention", {E}),
    ("or-line-is-no-bullet", "Denies:\no fever\nor urinary retention", {E}),
    # item 3: a label answered on the next line
    ("label-no-next-line", "Fever:\nno\nback pain", set()),
    ("label-no-next-line-crlf", "Fever:\r\nno\r\nback pain", set()),
    ("label-denies-then-retention", "Fever:\ndenies\nUrinary retention", {E}),
    ("label-yes-next-line", "Fever:\nyes\nback pain", {U}),
    # item 4: a denial's list without bullets
    ("pt-denies-lines", "Pt denies\nfever\nchills\nleg weakness", set()),
    ("negative-for-lines", "Negative for:\nfever\nurinary retention\nsaddle anesthesia", set()),
    (
        "lines-then-retention-since",
        "Pt denies\nfever\nchills\nUrinary retention since last night",
        {E},
    ),
    ("lines-then-started-today", "Pt denies\nfever\nchills\nleg weakness started today", {U}),
    ("lines-blank-line", "Pt denies\nfever\nchills\n\nleg weakness", {U}),
    ("lines-full-stop", "Pt denies\nfever, chills.\nleg weakness", {U}),
    # item 5: a later item marked NEW in capitals under a denial: asked, not dropped
    ("new-caps-nested-bullet", "Denies:\n- fever\n  - NEW urinary retention", {D}),
    ("new-caps-bullet", "Denies:\n- fever\n- NEW urinary retention", {D}),
    ("new-onset-caps-line", "Pt denies\nfever\nNEW ONSET leg weakness", {D}),
    ("new-lower-case-bullet", "Denies:\n- fever\n- new urinary retention", set()),
    ("denies-new-caps-first-item", "Denies NEW leg weakness", set()),
    ("new-caps-after-full-stop", "Denies fever.\nNEW urinary retention", {E}),
]
for cid, text, topics in _STOP24_LINES:
    pv(
        f"stop24-lines-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + (
            "denied or found? asked (data-check)"
            if topics == {D}
            else "a sign of its own"
            if topics
            else "all denied, no card"
        ),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        must=["NEW"] if topics == {D} else [],
        tags=["stop24", "negation", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 38. stop24: advice is no finding and no suspicion ("Return for fever or new numbness",
#     "Return precautions reviewed: fever, incontinence"): an MRI ordered beside such words
#     has no supporting criterion; a real doubt ("concern for epidural abscess") still has
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("return-for", "Low back pain. Return for fever or new numbness", {INI}),
    ("return-precautions", "Return precautions reviewed: fever, incontinence", {INI}),
    ("watch-for", "Back pain; watch for fever", {INI}),
    ("call-if", "Call if fever or trouble urinating", {INI}),
    ("rtc-if", "LBP. RTC if numbness in groin", {INI}),
    ("concern-for", "concern for epidural abscess", {IS}),
    ("if-then-rule-out", "if fever, r/o epidural abscess", {IS}),
]:
    order(
        f"stop24-advice-{cid}",
        f"MRI lumbar; a problem's words {text!r}: "
        + ("a doubt the MRI is for" if IS in topics else "advice, no criterion for the MRI"),
        [lambda p, t=text: condition(p, text=t)],
        [mri],
        topics,
        forbidden={INI} if IS in topics else {IS},
        tags=["stop24", "negation", "text"],
    )
for cid, text, topics in [
    ("return-for-hpi", "Return for fever or urinary retention", set()),
    ("return-then-finding", "Return precautions: fever. Urinary retention since last night", {E}),
]:
    pv(
        f"stop24-advice-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a sign of its own after the advice" if topics else "advice, no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop24", "negation", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 39. stop24 (emergency physician round er29): discharge advice in its every wording is no
#     finding ("Call 911 for", "Call your doctor for", "Go to the ER if you have", "Seek care
#     for:" or "Reasons to return:" above a list, "RTED for"); "lost control of his bladder" is
#     the bladder sign; numbness from a known neuropathy or at baseline is no new sign
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("call-911-for", "Call 911 for trouble breathing, fainting or confusion.", set()),
    (
        "call-doctor-for",
        "Call your doctor for fever over 100.4 F, chills, or burning when you pee.",
        set(),
    ),
    ("seek-care-list", "Seek care for:\n- fever\n- new weakness\n- loss of bladder control", set()),
    (
        "reasons-to-return",
        "Reasons to return:\n\u2022 fever\n\u2022 numbness in groin\n\u2022 incontinence",
        set(),
    ),
    ("rted-for", "RTED for fever, incontinence, saddle anesthesia.", set()),
    ("er-if-you-have", "Go to the ER if you have trouble breathing or pass out.", set()),
    ("return-if-you-have", "Return if you have fever or numbness in the groin", set()),
    ("called-911", "Pt called 911 for trouble breathing", {E}),
    ("went-to-er-for", "Went to the ER for incontinence yesterday", {E}),
    ("advice-then-finding", "Call 911 for confusion. Lost control of his bladder last night.", {E}),
    ("lost-bladder-control", "Lost control of his bladder last night.", {E}),
    ("lost-bladder-control-x1", "Lost bladder control x1 this AM.", {E}),
    ("lost-bowel-control", "Lost control of her bowels this morning.", {E}),
    (
        "numbness-neuropathy-baseline",
        "Known right foot numbness since 2019 (diabetic neuropathy), at baseline.",
        set(),
    ),
    (
        "numbness-chronic-neuropathy",
        "Chronic bilateral foot numbness from diabetic neuropathy.",
        set(),
    ),
    (
        "numbness-neuropathy-and-new",
        "Chronic foot numbness from neuropathy, new L leg numbness since yesterday",
        {U},
    ),
    ("numbness-not-at-baseline", "L leg numbness, not at baseline", {U}),
    ("numbness-worse-than-baseline", "Neuropathy; L foot numbness worse than baseline", {U}),
]:
    pv(
        f"stop24-er29-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a sign" if topics else "advice or an old deficit, no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop24", "negation", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 40. stop24 vitals in words (emergency physician round er29): a heart rate, breathing rate or
# SpO2 written in an HPI after its own lead words is a reading of its value set, compared by
# the rules on it, with near-miss controls at each threshold; advice, goals, a reading that
# has settled since, "BP 130/80" and a pulse grade are nothing; a reading dated before now,
# an impossible number is a data-check item; a range is the sign when either end crosses
# (ranges24, er30: was a data-check item when one end only crossed).
# ---------------------------------------------------------------------------------------------
STOP24_VITALS = [
    ("hr-136", "HR 136, pt anxious.", {E}),
    ("hr-130", "HR 130, pt anxious.", set()),
    ("spo2-89-ra", "SpO2 89% on RA.", {E}),
    ("spo2-92-ra", "SpO2 92% on RA.", set()),
    ("spo2-89-on-o2", "SpO2 89% on 2L NC", {E}),
    ("spo2-94-on-o2", "SpO2 94% on 2L", set()),
    ("sats-words", "Pt uncomfortable, sats 86% on room air", {E}),
    ("vitals-line", "BP 130/80 HR 136 RR 16 T 36.8 SpO2 98%", {E}),
    ("vitals-line-normal", "BP 130/80 HR 88 RR 16 T 36.8 SpO2 98%", set()),
    ("rr-28", "RR 28, speaking full sentences", {E}),
    ("rr-22", "RR 22, speaking full sentences", set()),
    ("hr-decade", "HR in the 140s", {E}),
    ("settled", "HR 136 yesterday, now 88", {D}),  # stop 25: every reading counts
    ("settled-decades", "HR 140s on arrival, now 90s", {E}),
    ("earlier-only", "HR 136 yesterday", {D}),
    ("range-top-crosses", "HR 120-140", {E}),
    ("range-low-crosses", "SpO2 88-92%", {E}),
    ("range-both-cross", "HR 135-150", {E}),
    ("range-below", "HR 100-120", set()),
    ("advice-call-if", "Call if HR > 120", set()),
    ("goal-keep", "keep SpO2 > 92%", set()),
    ("goal-hr", "goal HR < 110", set()),
    ("implausible", "HR 400", {D}),
    ("bp-only", "BP 130/80", set()),
    ("pulse-grade", "DP pulse 2+ bilaterally", set()),
    ("hours", "LBP x 48 hr, pain 10/10", set()),
    ("temp-range-below", "Temp 36.5-37.2 over shift", set()),
]
for cid, text, topics in STOP24_VITALS:
    pv(
        f"stop24-vitals-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + (
            "the emergency sign"
            if E in topics
            else "a data-check item, never the emergency card"
            if topics
            else "no card"
        ),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        forbidden=[] if E in topics else [E, U],
        tags=["stop24", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 41. stop24 notes: a Condition's notes (Condition.note, FHIR Annotations) are read for danger
#     signs as a history of present illness is (er29): "New left leg numbness since yesterday"
#     written on a three-week-old low back pain is the urgent sign, "Urinary incontinence this
#     AM" the emergency one. A note is dated by its own time; one without a time, at its
#     record's last update (the latest it can have been written). Near-miss controls: a negated,
#     advice or history note; a resolved Condition's note; a note dated 30 days ago; an undated
#     note on a record last updated 20 days ago; a note that is not an Annotation (no crash).
#     At discharge and at order-sign too.
# ---------------------------------------------------------------------------------------------
def noted_lbp(
    p: str,
    notes: Any,
    *,
    updated_hours: float | None = days(20),
    onset_hours: float = days(21),
    clinical: str = "active",
    codings: Sequence[tuple[str | None, str, str]] = LBP,
) -> Json:
    """A problem (low back pain, begun three weeks ago, by default) carrying ``notes`` as its
    ``note``, its record last updated ``updated_hours`` ago (None: no ``meta.lastUpdated``)."""
    meta = {"lastUpdated": at(updated_hours)} if updated_hours is not None else {}
    return condition(
        p,
        codings,
        clinical=clinical,
        onset_hours=onset_hours,
        seed=f"note/{notes!r}",
        extra={"meta": meta, "note": notes},
    )


def note(text: Any, hours: float | None = None, **more: Any) -> Json:
    """An Annotation: ``text`` written ``hours`` ago (None: no time), an author's name beside."""
    written = {"time": at(hours)} if hours is not None else {}
    return {"authorString": "Dr. A. Lee", **written, "text": text, **more}


_NUMB = "New left leg numbness since yesterday."
_INCONT = "Urinary incontinence this AM."
_DENIAL_THEN = "Denies:\n- fever\n- chills\nUrinary retention since last night"
STOP24_NOTES: list[tuple[str, str, Any, dict[str, Any], set[str], list[str]]] = [
    ("numbness", "a note of 3 h ago", [note(_NUMB, 3)], {}, {U}, ["Note on", "numbness"]),
    ("incontinence", "a note of 5 h ago", [note(_INCONT, 5)], {}, {E}, ["incontinence this"]),
    ("denial-then-retention", "a note of 2 h ago", [note(_DENIAL_THEN, 2)], {}, {E}, []),
    ("tmax", "a note of 4 h ago", [note("Tmax 101.5 at home", 4)], {}, {U}, ["Tmax 101.5"]),
    (
        "new-after-denial",
        "a note of 4 h ago",
        [note("Denies:\n- fever\n- NEW urinary retention", 4)],
        {},
        {D},
        ["NEW"],
    ),
    (
        "undated-updated-today",
        "a note with no time, its record last updated 6 h ago",
        [note(_INCONT)],
        {"updated_hours": 6},
        {E},
        ["no time"],
    ),
    (
        "undated-no-update-recent-onset",
        "a note with no time on a problem begun 2 days ago, no last update",
        [note(_NUMB)],
        {"updated_hours": None, "onset_hours": days(2)},
        {U},
        [],
    ),
    ("one-annotation-alone", "one Annotation not in a list", note(_INCONT, 5), {}, {E}, []),
    (
        "second-note-finds",
        "two notes",
        [note("No incontinence", 48), note(_INCONT, 5)],
        {},
        {E},
        [],
    ),
    # near misses
    ("negated", "a note of 5 h ago", [note("No incontinence", 5)], {}, set(), []),
    ("advice", "a note of 5 h ago", [note("Return for fever", 5)], {}, set(), []),
    ("history", "a note of 5 h ago", [note("h/o urinary retention 2019", 5)], {}, set(), []),
    ("dated-30-days", "a note of 30 days ago", [note(_INCONT, days(30))], {}, set(), []),
    (
        "undated-updated-20-days",
        "a note with no time, its record last updated 20 days ago",
        [note(_INCONT)],
        {},
        set(),
        [],
    ),
    # words not sent as an Annotation's text: unread, so a data-check item, never silence
    ("not-an-annotation", "a note sent as a bare string", _INCONT, {}, {D}, ["could not be read"]),
    (
        "text-not-a-string",
        "a note whose text is a list",
        [note([_INCONT], 5)],
        {},
        {D},
        ["could not be read"],
    ),
    ("future", "a note dated 2 days ahead", [note(_INCONT, -days(2))], {}, {D}, ["note on"]),
]
for cid, when, notes, kw, topics, must in STOP24_NOTES:
    pv(
        f"stop24-notes-{cid}",
        f"Low back pain begun 3 weeks ago; {when} says {notes!r}: "
        + (
            "a danger sign"
            if topics & DANGER
            else "a data-check item"
            if topics
            else "no sign (negated, advice, history, outside the window or not an Annotation)"
        ),
        [lambda p, n=notes, k=kw: noted_lbp(p, n, **k)],
        topics,
        base=False,
        must=must,
        tags=["stop24", "notes", "text"],
    )
pv(
    "stop24-notes-resolved-problem",
    "Low back pain; a RESOLVED urinary tract infection whose note of 5 h ago says "
    f"{_INCONT!r}: a Condition that does not count, its notes neither",
    [
        lambda p: noted_lbp(
            p,
            [note(_INCONT, 5)],
            clinical="resolved",
            codings=[(ICD10CM, "N39.0", "Urinary tract infection, site not specified")],
        )
    ],
    set(),
    tags=["stop24", "notes", "text"],
)
pv(
    "stop24-notes-other-problem",
    f"Low back pain; an active hypertension whose note of 5 h ago says {_INCONT!r}: a "
    "Condition that counts, whatever it names: the emergency sign",
    [
        lambda p: noted_lbp(
            p, [note(_INCONT, 5)], codings=[(ICD10CM, "I10", "Essential (primary) hypertension")]
        )
    ],
    {E},
    must=["Note on Essential"],
    tags=["stop24", "notes", "text"],
)
pv(
    "stop24-notes-code-and-note",
    "Low back pain; urinary retention coded (R33.9) 20 h ago, its note written then says "
    "'Urinary retention since last night': the emergency sign, its evidence said once",
    [
        lambda p: noted_lbp(
            p,
            [note("Urinary retention since last night", 20)],
            onset_hours=20,
            codings=[(ICD10CM, "R33.9", "Retention of urine, unspecified")],
        )
    ],
    {E},
    must=["Retention of urine"],
    tags=["stop24", "notes", "text"],
)
dc(
    "stop24-notes-discharge",
    f"Discharge; low back pain begun 3 weeks ago whose note of 5 h ago says {_INCONT!r}: "
    "the emergency sign at discharge too",
    [lambda p: noted_lbp(p, [note(_INCONT, 5)])],
    {E, DI},
    base=False,
    must=["Note on"],
    tags=["stop24", "notes", "text"],
)
order(
    "stop24-notes-order-mri",
    f"MRI lumbar ordered; low back pain begun 3 weeks ago whose note of 5 h ago says "
    f"{_INCONT!r}: the emergency sign, and a red flag the MRI is for",
    [lambda p: noted_lbp(p, [note(_INCONT, 5)])],
    [mri],
    {E, IS},
    base=False,
    must=["Note on"],
    tags=["stop24", "notes", "text"],
)


# ---------------------------------------------------------------------------------------------
# 42. stop24 ranges (emergency physician round er30): a range of measured readings ("ranged",
# "on monitor", "overnight", "over shift") is read by its worst end, every reading counting:
# the sign when the end in the sign's direction crosses (the high end for a fast heart rate or
# a fever, the low end for a low SpO2 or a slow heart rate), nothing when the range is wholly
# on the safe side, a data-check item when hedged; near-miss controls for each. A fever named
# again after "afebrile since", not resolved, or dated yesterday stays urgent (the over-words
# change for a dated fever, er30 v21, is not made: see the ranges24 report).
# ---------------------------------------------------------------------------------------------
STOP24_RANGES = [
    ("hr-ranged-monitor", "HR ranged 120-140 on monitor.", {E}),
    ("hr-decades-overnight", "HR 120s-140s on monitor overnight.", {E}),
    ("temp-f-overnight", "Temp 99.1-100.9 F overnight.", {U}),
    ("spo2-low-end", "SpO2 88-92% on RA over shift.", {E}),
    ("hr-brady-low-end", "HR 38-50 on monitor.", {E}),
    ("hr-safe", "HR 100-120 on monitor.", set()),
    ("hr-safe-below-130", "HR ranged 110-130 overnight.", set()),
    ("temp-safe", "Temp 36.5-37.2 overnight.", set()),
    ("temp-f-safe", "Temp 98.1-99.9 F overnight.", set()),
    ("spo2-safe", "SpO2 92-96% on RA.", set()),
    ("hr-hedged", "HR maybe 120-140.", {D}),
    ("temp-hedged", "Temp ~37.5-38.5 overnight.", {D}),
    ("hr-single-overnight", "HR 140 overnight.", {D}),
    ("hr-range-yesterday", "HR 120-140 yesterday.", {D}),
    ("afebrile-then-fever", "afebrile since arrival, fever 39 at home this AM", {U}),
    ("afebrile-since-fever-again", "Fever 38.5 on 11/20, afebrile since, fever again tonight", {U}),
    ("fever-not-resolved", "fever has not resolved", {U}),
    ("fever-yesterday-afebrile", "Fever 38.5 yesterday, afebrile since.", {U}),
]
for cid, text, topics in STOP24_RANGES:
    for hook in ("pv", "dc"):
        what = (
            "the emergency sign"
            if E in topics
            else "the urgent fever sign"
            if U in topics
            else "a data-check item, never an emergency or urgent card"
            if topics
            else "no card"
        )
        rows = [lambda p, t=text: exam_row(p, "History of present illness", t)]
        desc = f"Low back pain; a history of present illness {text!r}: {what}"
        kw: dict[str, Any] = {
            "forbidden": [] if topics & {E, U} else [E, U],
            "tags": ["stop24", "ranges", "text"],
        }
        if hook == "pv":
            pv(f"stop24-ranges-{cid}", desc, rows, topics, **kw)
        else:
            dc(f"stop24-ranges-dc-{cid}", f"Discharge. {desc}", rows, topics | {DI}, **kw)


# ---------------------------------------------------------------------------------------------
# 43. stop24 (emergency physician round er30): ROS headers "Pertinent negatives:" and
#     "Negatives:"; "doubt" a sign; education ("red flags reviewed using teach-back:") and
#     advice above a list ("If you develop any of the following, return to the ED:") are no
#     finding; retention, incontinence and saddle numbness in lay words; a residual numbness
#     after an old surgery is no new sign
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    (
        "pertinent-negatives",
        "Pertinent negatives: fever, chills, night sweats, weight loss, urinary retention, "
        "incontinence, saddle anesthesia, leg weakness, dysuria, syncope, SOB.",
        set(),
    ),
    ("negatives-colon", "Negatives: fever, chills, saddle anesthesia.", set()),
    ("precautions-incl", "LBP. Return precautions given incl. cauda equina sx.", set()),
    ("doubt-ces", "Considered but doubt cauda equina, epidural abscess.", set()),
    ("no-doubt-retention", "No doubt about urinary retention, 900 mL on bladder scan", {E}),
    (
        "teach-back",
        "Back pain red flags reviewed with patient and spouse using teach-back: trouble "
        "peeing or loss of bladder control, numbness between legs, weakness in legs, fever.",
        set(),
    ),
    (
        "return-immediately-list",
        "Please return immediately if you develop any of the following:\n* fever\n* chills",
        set(),
    ),
    (
        "develop-following-list",
        "If you develop any of the following, return to the ED:\n- fever\n- chills",
        set(),
    ),
    (
        "following-list-then-finding",
        "If you develop any of the following, return to the ED:\n- fever\n"
        "Urinary retention since last night",
        {E},
    ),
    ("has-not-urinated", "Has not urinated since yesterday morning, bladder feels full.", {E}),
    ("no-urine-output", "No urine output since last night, bladder distended on exam.", {E}),
    ("voided-twice", "No urinary retention, has voided twice", set()),
    ("not-voided-2-hours", "Has not voided in 2 hours, drinking fluids", set()),
    ("not-voided-14-hours", "Has not urinated in 14 hours", {E}),
    ("not-peed-since-yesterday", "Hasn't peed in 14 hours, since yesterday", {E}),
    ("not-peed-himself", "Has not peed himself or in his pants", set()),
    ("bladder-accident", "Had an accident with his bladder this morning.", {E}),
    ("car-accident-bladder", "Car accident with bladder injury 2019", set()),
    ("numb-private-area", "Numb around his bottom and private area since last night.", {U}),
    ("numb-private-parts", "Numbness of his private parts since yesterday.", {U}),
    (
        "residual-toe-numbness",
        "Residual L great toe numbness since 2017 surgery, unchanged.",
        set(),
    ),
    (
        "no-new-residual",
        "No new symptoms. Hx of L4-5 microdiscectomy 2017 with residual L great toe numbness, "
        "unchanged.",
        set(),
    ),
    ("baseline-urge", "Baseline urge incontinence, unchanged from baseline.", set()),
]:
    pv(
        f"stop24-er30-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a sign" if topics else "no finding, no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop24", "negation", "text"],
    )

# ---------------------------------------------------------------------------------------------
# 44. stop25 denials (emergency physicians, den25): a label answered with a denial of its own
#     words ("Fever: no fever", "Fever:" / "no fever", "Urinary retention: no retention"); a
#     denial's list wrapped onto a lower-case next line ("Denies fever" / "chills"); a weight
#     lost in a list without bullets ("weight loss 10 lb"); not voided since arrival with no time
#     is a data-check item, not the emergency. Each with its affirmed near-miss control.
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("fever-no-fever", "Fever: no fever", set()),
    ("fever-next-line-no-fever", "Fever:\nno fever", set()),
    ("fever-none", "Fever: none", set()),
    ("fever-denies", "Fever: denies", set()),
    ("fever-dash-no", "Fever - no", set()),
    ("chills-no-chills", "Chills: no chills", set()),
    ("retention-no-retention", "Urinary retention: no retention", set()),
    ("fever-yes", "Fever: yes", {U}),
    ("fever-number", "Fever: 38.9", {U}),
    ("fever-no-meds", "Fever: no meds taken for it", {U}),
    ("fever-no-fever-at-home", "Fever: no fever at home, 39.1 here", {U}),
    ("retention-no-improvement", "Urinary retention: no improvement in retention", {E}),
    ("retention-yes-after-fever-no", "Fever: no fever. Urinary retention: yes", {E}),
    ("denies-fever-wrapped-chills", "Denies fever\nchills", set()),
    ("denies-fever-wrapped-retention", "Denies fever\nurinary retention", set()),
    ("denies-fever-chills-since", "Denies fever\nChills since last night.", {U}),
    ("denies-fever-retention-line", "Denies fever\nUrinary retention", {E}),
    ("no-fever-retention-line", "No fever\nurinary retention", {E}),
    ("denies-fever-full-stop", "Denies fever.\nchills", {U}),
    ("list-weight-loss", "Denies:\nfever\nweight loss 10 lb\nurinary retention", set()),
    (
        "list-weight-loss-pt-denies",
        "Pt denies\nfever\n10 lb weight loss\nleg weakness",
        set(),
    ),
    (
        "list-weight-loss-then-finding",
        "Denies:\nfever\nweight loss 10 lb\nUrinary retention started today",
        {E},
    ),
    ("list-heart-rate-ends", "Denies:\nfever\nHR 135\nurinary retention", {E}),
    ("not-voided-since-arrival", "Has not voided since arrival", {D}),
    ("not-voided-in-ed", "Hasn't urinated in the ED", {D}),
    ("not-voided-yet", "Has not voided yet", {D}),
    ("not-voided-since-arrival-8h", "Has not voided since arrival 8 hours ago", {E}),
    ("not-voided-since-arrival-3h", "Has not voided since arrival 3 hours ago", set()),
    ("not-voided-14-hours", "Has not voided in 14 hours", {E}),
    ("unable-to-void-since-night", "Unable to void since last night", {E}),
    ("unable-to-void-since-arrival", "Unable to void since arrival", {E}),
    (
        "not-voided-since-arrival-distended",
        "Has not voided since arrival, bladder distended",
        {E},  # int26: the distended bladder answers the data-check's question
    ),
]:
    pv(
        f"stop25-denials-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a sign or a data check" if topics else "a denial, no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop25", "negation", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 44. stop25 undated notes: a note with no time, on a record with no last update, was written on
#     or after its problem's date, perhaps today. Dated as the problem, a sign it names on a
#     problem of weeks ago fell outside the window: silence. Now a data-check item says so; on
#     a recent problem the sign's card already cites the note, and no item is added. Controls:
#     a denial, a medicine, a record last updated 20 days ago (the note is that old at least).
# ---------------------------------------------------------------------------------------------
STOP25_UNDATED: list[tuple[str, str, dict[str, Any], set[str], list[str]]] = [
    ("incontinence-40-days", _INCONT, {"onset_hours": days(40)}, {D}, ["gives no time"]),
    ("numbness-40-days", _NUMB, {"onset_hours": days(40)}, {D}, ["perhaps today"]),
    ("incontinence-3-days", _INCONT, {"onset_hours": days(3)}, {E}, ["no time"]),
    ("denied-40-days", "Denies incontinence or numbness.", {"onset_hours": days(40)}, set(), []),
    ("medicine-40-days", "On metformin for diabetes.", {"onset_hours": days(40)}, set(), []),
    ("updated-20-days", _INCONT, {"onset_hours": days(40), "updated_hours": days(20)}, set(), []),
]
for cid, text, kw, topics, must in STOP25_UNDATED:
    pv(
        f"stop25-undated-note-{cid}",
        f"Low back pain, a note with no time saying {text!r}, its record "
        + ("last updated 20 days ago" if "updated_hours" in kw else "never said to be updated")
        + ": "
        + ("a danger sign" if topics & DANGER else "a data-check item" if topics else "nothing"),
        [lambda p, t=text, k=kw: noted_lbp(p, [note(t)], **{"updated_hours": None, **k})],
        topics,
        base=False,
        must=must,
        tags=["stop25", "notes", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 45. stop25 (emergency physician round er31): burning or pain passing urine in the patient's
#     own words ("burns when she pees", "hurts to pee", "pain with peeing"), and a pain that
#     goes down both legs a few words after it: the urgent signs. Controls: denied, a pain
#     that goes down with rest, a pain score going down.
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("burns-when-pees", "Burns when she pees since yesterday.", {U}),
    ("it-burns-when-i-pee", "Says it burns when she pees.", {U}),
    ("hurts-to-pee", "Hurts to pee since yesterday.", {U}),
    ("pain-with-peeing", "Pain with peeing x2 days.", {U}),
    ("stings-when-urinates", "Stings when he urinates, started this AM.", {U}),
    ("denies-burning-pee", "Denies burning when she pees.", set()),
    ("no-pain-with-peeing", "No pain with peeing, no blood in urine.", set()),
    ("now-goes-down-both-legs", "Back pain is worse today and now goes down both legs.", {U}),
    ("travels-down-leg", "Pain started in low back, now travels down his left leg.", {U}),
    ("goes-down-with-rest", "Back pain goes down with rest, legs fine.", set()),
    ("pain-score-goes-down", "Pain goes down to 3/10 with meds.", set()),
    # a fever label answered "afebrile"; a sign after a denial's comma with its own onset
    ("fever-label-afebrile", "Fever: afebrile. Back pain x3 days.", set()),
    ("fever-dash-afebrile", "Fever - afebrile", set()),
    ("not-febrile", "Not febrile. Back pain x3 days.", set()),
    ("no-chills-fever-since", "No chills, fever since yesterday.", {U}),
    ("no-chills-or-fever-since", "No chills or fever since yesterday.", set()),
    ("denies-fever-chills-x2", "Denies fever, chills x2 days.", {U}),
    ("no-fever-chills-or-sweats", "No fever, chills, or sweats.", set()),
    # a fever or chills dated by a month's name before this one: past, as "last month" is; a
    # recent word beside it keeps it. Only months with a past year here: the HTTP test reads
    # the corpus at the real time (a month alone is tested at fixed days in
    # tests/facts/test_dated_months.py)
    ("fever-flu-october", "Had a fever with the flu in October 2025, fully recovered.", set()),
    ("fever-june-2025", "Fever in June 2025 with pneumonia, treated.", set()),
    ("in-october-fevers", "In October 2025 he had fevers with the flu.", set()),
    ("chills-in-october", "Chills in Oct. 2025 with the flu.", set()),
    ("fever-october-again", "Fever in October, fever again since yesterday.", {U}),
    ("fever-since-october", "Fever since October.", {U}),
    ("fever-may-be-viral", "Fever may be viral, started this AM.", {U}),
]:
    pv(
        f"stop25-er31-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("an urgent sign" if topics else "no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop25", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 44. stop25 aspirin dose (integrator review int25): an aspirin order coded by its ingredient
#     alone (RxNorm 1191) with its dose elsewhere, in the coding's display, the order's text,
#     its dosageInstruction (a quantity or words) or a Medication's ingredient.strength: 325 mg
#     or more a dose is an NSAID, the pain-reliever caution; 81 mg is no NSAID. No dose at all
#     beside CKD or warfarin is the caution hedged ("no clear dose"); doses that disagree or
#     that cannot be a dose are a data-check item. Controls: aspirin 81 mg, acetaminophen 325
#     mg tablets (650 mg a dose) beside naproxen taken at home, ibuprofen 400 mg.
# ---------------------------------------------------------------------------------------------

CKD3 = (ICD10CM, "N18.30", "Chronic kidney disease, stage 3")


def _dose(value: float, unit: str = "mg", text: str | None = None) -> list[Json]:
    code = {"tablet": "{tbl}"}.get(unit, unit)
    dose: Json = {"doseQuantity": {"value": value, "unit": unit, "system": UCUM, "code": code}}
    return [{**({"text": text} if text else {}), "doseAndRate": [dose]}]


def asa_draft(
    p: str,
    display: str = "aspirin",
    text: str | None = None,
    dosage: list[Json] | None = None,
    rxcui: str = "1191",
) -> Json:
    """A draft aspirin order coded by its RxNorm ingredient, as Epic and Oracle Health send
    one: the dose in its display, its text or its dosageInstruction, or nowhere."""
    res = med_request(p, rxcui, display, status="draft", hours_ago=0)
    concept = res["medicationCodeableConcept"]
    if text is None:
        del concept["text"]
    else:
        concept["text"] = text
    if dosage is not None:
        res["dosageInstruction"] = dosage
    return res


def asa_medication(p: str, strength: float, *, contained: bool) -> list[Json]:
    """A draft order referencing a Medication coded 1191 whose ingredient gives the strength
    per tablet: contained in the order, or sent beside it in draftOrders."""
    med: Json = {
        "resourceType": "Medication",
        "id": "asa",
        "code": cc((RXNORM, "1191", "aspirin")),
        "ingredient": [
            {
                "itemCodeableConcept": cc((RXNORM, "1191", "aspirin")),
                "strength": {
                    "numerator": {"value": strength, "unit": "mg", "system": UCUM, "code": "mg"},
                    "denominator": {"value": 1, "unit": "TAB", "code": "{tbl}"},
                },
            }
        ],
    }
    res = med_request(p, "1191", "aspirin", status="draft", hours_ago=0)
    del res["medicationCodeableConcept"]
    if contained:
        res["contained"] = [med]
        res["medicationReference"] = {"reference": "#asa"}
        return [res]
    res["medicationReference"] = {"reference": "Medication/asa"}
    return [res, med]


def asa_words(p: str, words: str, dosage: list[Json] | None = None) -> Json:
    """A draft aspirin order named by its words alone, no code ("Aspirin"), as a free-text
    order or a pharmacy's local entry sends one."""
    res = asa_draft(p, dosage=dosage)
    res["medicationCodeableConcept"] = {"text": words}
    return res


STOP25_RISKS = {
    "ckd": lambda p: condition(p, [CKD3]),
    "warfarin": lambda p: med_request(p, "11289", "Warfarin"),
    "none": None,
}
STOP25_ASPIRIN = [
    # (id, risk, drafts, topics, must mention, what it shows)
    (
        "in-dose-650",
        "ckd",
        lambda p: [
            asa_draft(
                p,
                text="aspirin",
                dosage=_dose(650, text="650 mg by mouth every 4 hours as needed for pain"),
            )
        ],
        {AC},
        [],
        "a doseQuantity of 650 mg",
    ),
    (
        "in-text-325-dose-650",
        "warfarin",
        lambda p: [asa_draft(p, text="aspirin 325 mg tablet", dosage=_dose(650))],
        {AC},
        [],
        "its text 325 mg and a dose of 650 mg",
    ),
    (
        "in-display-325",
        "ckd",
        lambda p: [asa_draft(p, "aspirin 325 MG Oral Tablet")],
        {AC},
        [],
        "its coding's display 325 MG, no text",
    ),
    (
        "in-dosage-text-650",
        "ckd",
        lambda p: [asa_draft(p, dosage=[{"text": "650 mg PO q6h prn pain"}])],
        {AC},
        [],
        "its dosage words '650 mg PO q6h prn pain'",
    ),
    (
        "in-dose-650",
        "warfarin",
        lambda p: [asa_draft(p, dosage=_dose(650))],
        {AC},
        [],
        "a doseQuantity of 650 mg alone",
    ),
    (
        "in-2-tablets-of-325",
        "ckd",
        lambda p: [asa_draft(p, text="aspirin 325 mg tablet", dosage=_dose(2, "tablet"))],
        {AC},
        [],
        "2 tablets of its 325 mg",
    ),
    (
        "med-contained-325",
        "ckd",
        lambda p: asa_medication(p, 325, contained=True),
        {AC},
        [],
        "a contained Medication's strength 325 mg",
    ),
    (
        "med-bundle-500",
        "warfarin",
        lambda p: asa_medication(p, 500, contained=False),
        {AC},
        [],
        "a Medication in draftOrders of strength 500 mg",
    ),
    (
        "in-dose-81",
        "ckd",
        lambda p: [asa_draft(p, dosage=_dose(81, text="81 mg by mouth daily"))],
        set(),
        [],
        "81 mg: low-dose aspirin, no NSAID (control)",
    ),
    (
        "med-contained-81",
        "ckd",
        lambda p: asa_medication(p, 81, contained=True),
        set(),
        [],
        "a contained Medication's strength 81 mg (control)",
    ),
    (
        "in-no-dose",
        "ckd",
        lambda p: [asa_draft(p)],
        {AC},
        ["no clear dose"],
        "no dose anywhere: the caution, hedged",
    ),
    (
        "in-no-dose",
        "warfarin",
        lambda p: [asa_draft(p)],
        {AC},
        ["no clear dose"],
        "no dose anywhere: the caution, hedged",
    ),
    (
        "in-no-dose",
        "none",
        lambda p: [asa_draft(p)],
        set(),
        [],
        "no dose and no reason to avoid NSAIDs: no card",
    ),
    (
        "words-dose-650",
        "ckd",
        lambda p: [asa_words(p, "Aspirin", _dose(650, text="650 mg PO q6h prn pain"))],
        {AC},
        [],
        "no code: its words 'Aspirin' and a dose of 650 mg",
    ),
    (
        "words-dose-81",
        "ckd",
        lambda p: [asa_words(p, "Aspirin EC", _dose(81))],
        set(),
        [],
        "no code: 'Aspirin EC' and a dose of 81 mg (control)",
    ),
    (
        "words-no-dose",
        "ckd",
        lambda p: [asa_words(p, "Aspirin")],
        {AC},
        ["no clear dose"],
        "no code: 'Aspirin' with no dose anywhere, the caution hedged",
    ),
    (
        "words-baby",
        "ckd",
        lambda p: [asa_words(p, "Baby aspirin")],
        set(),
        [],
        "no code: 'Baby aspirin', low-dose (control)",
    ),
    (
        "in-dose-650-g",
        "ckd",
        lambda p: [asa_draft(p, dosage=_dose(650, "g"))],
        {AC, D},
        ["dose not understood"],
        "a dose of 650 g: no dose of aspirin",
    ),
    (
        "in-dose-mg-per-kg",
        "ckd",
        lambda p: [asa_draft(p, dosage=[{"text": "15 mg/kg PO q6h"}])],
        {AC, D},
        ["dose not understood"],
        "a dose per kg",
    ),
    (
        "in-text-81-dose-650",
        "ckd",
        lambda p: [asa_draft(p, text="aspirin 81 mg tablet", dosage=_dose(650))],
        {AC, D},
        ["doses disagree"],
        "81 mg in its text, 650 mg a dose",
    ),
    (
        "in-text-81-dose-650",
        "none",
        lambda p: [asa_draft(p, text="aspirin 81 mg tablet", dosage=_dose(650))],
        {D},
        ["doses disagree"],
        "doses that disagree, no risk: the data-check item alone",
    ),
]
for cid, risk, drafts, topics, must, what in STOP25_ASPIRIN:
    context = STOP25_RISKS[risk]
    order(
        f"stop25-aspirin-{cid}-{risk}",
        (
            f"Order-sign: aspirin with {what}, for a patient "
            if cid.startswith("words")
            else f"Order-sign: aspirin coded by its RxNorm ingredient (1191) with {what}, for a "
            "patient "
        )
        + {
            "ckd": "with CKD stage 3",
            "warfarin": "on warfarin",
            "none": "with no reason to avoid NSAIDs",
        }[risk]
        + (": the pain-reliever caution" if AC in topics else ": no caution")
        + (", and a data-check item" if D in topics else ""),
        [context] if context else [],
        [
            lambda p, d=drafts: d(p)[0],
            *([lambda p, d=drafts: d(p)[1]] if cid == "med-bundle-500" else []),
        ],
        topics,
        must=must,
        forbidden=set() if D in topics else {D},
        tags=["stop25", "medication"],
    )
order(
    "stop25-aspirin-control-apap-650-naproxen-home",
    "Order-sign: acetaminophen 325 mg tablets, 650 mg a dose (RxNorm ingredient 161), for a "
    "patient who takes naproxen: acetaminophen is no NSAID whatever its dose, so no caution "
    "of a second NSAID (control)",
    [lambda p: med_request(p, "7258", "Naproxen")],
    [
        lambda p: {
            **asa_draft(p, "acetaminophen", "acetaminophen 325 mg tablet", _dose(650), rxcui="161"),
        }
    ],
    set(),
    forbidden={AC, D},
    tags=["stop25", "medication"],
)
order(
    "stop25-aspirin-control-ibuprofen-400-ckd",
    "Order-sign: ibuprofen (RxNorm ingredient 5640) 400 mg a dose for a patient with CKD stage "
    "3: the pain-reliever caution, as before (control)",
    [lambda p: condition(p, [CKD3])],
    [lambda p: asa_draft(p, "ibuprofen", dosage=_dose(400), rxcui="5640")],
    {AC},
    forbidden={D},
    tags=["stop25", "medication"],
)


# ---------------------------------------------------------------------------------------------
# 44. stop25 vitals in words (emergency physicians): a vital sign written in an HPI with no
#     coded vitals is read as a coded reading at the same time would be. This visit's start
#     ("on arrival", "in triage") or a time of day is a current reading, and every reading
#     counts, as every coded one does: a later normal one ("92 at discharge") hides no earlier
#     one that crossed (er32), nor does a trend's last number; a saturation may follow
#     how it was taken ("SpO2 on 2L 88%"); a temperature dated "2 days ago" is a fever in the
#     rules' 14-day window and one 20 days ago is none; a fever reported "at home" after a
#     normal reading is urgent; "febrile to" is the number's to decide. A flowsheet "Pulse"
#     row valued a bare "136" is 136 /min. "P" is a pulse only inside a vital-signs line
#     ("T 37.1 P 138 R 18"); "P 138" alone stays unread. Near-miss controls for each.
# ---------------------------------------------------------------------------------------------
STOP25_VITALS = [
    ("hr-on-arrival", "LBP since lifting yesterday. HR 136 on arrival, pale.", {E}),
    ("hr-in-triage", "HR 136 in triage, pt anxious.", {E}),
    ("spo2-on-arrival", "SpO2 88% on arrival.", {E}),
    ("temp-clock", "T 38.9 at 14:00, given acetaminophen.", {U}),
    ("hr-clock", "HR 136 @ 0930.", {E}),
    ("temp-2-days-ago", "LBP x3d. T 38.9 2 days ago.", {U}),
    ("temp-two-days-ago", "Pt reports T 38.9 two days ago.", {U}),
    ("temp-20-days-ago", "T 38.9 20 days ago, none since.", set()),
    ("hr-arrival-then-discharge", "HR 136 on arrival, 92 at discharge.", {E}),
    ("hr-arrival-then-now", "HR 136 on arrival, now 92 after fluids.", {E}),
    ("hr-arrival-then-bare", "HR 136 on arrival, 92.", {E}),
    ("hr-arrival-repeat", "HR 136 on arrival. Repeat HR 92.", {E}),
    ("hr-arrival-below", "HR 118 on arrival.", set()),
    ("hr-clock-later-normal", "HR 136 @ 0930, 92 @ 1100.", {E}),
    ("hr-clock-later-high", "HR 92 @ 0930, 136 @ 1100.", {E}),
    ("hr-at-home", "HR 140 at home per pt.", {D}),
    ("hr-arrow-down", "HR 136 -> 98 with fluids.", {E}),
    ("hr-paren-was", "HR 88 now (was 142 on arrival).", {E}),
    ("hr-triage-reassessment", "In triage HR 134; on reassessment HR 90.", {E}),
    ("spo2-arrival-improved", "SpO2 88% on arrival, improved to 96% on RA after neb.", {E}),
    ("hr-never-crossed", "HR 118 on arrival, 92 at discharge.", set()),
    ("hr-arrow-up", "HR 98 -> 136.", {E}),
    ("hr-arrow-unicode", "HR 98 → 136 while ambulating.", {E}),
    ("sats-on-2l-ok", "sats on 2L 94%.", set()),
    ("spo2-on-2l-low", "SpO2 on 2L 88%.", {E}),
    ("spo2-on-ra-low", "SpO2 on RA 89%, tachypneic.", {E}),
    ("keep-spo2-on-2l", "Keep SpO2 on 2L > 92%.", set()),
    ("temp-home-fever", "T 37.0, 101.2 at home.", {U}),
    ("temp-home-normal", "T 37.0, 99.1 at home.", set()),
    ("temp-home-last-week", "T 37.0, 101.2 at home last week.", set()),
    ("febrile-to-37-5", "Febrile to 37.5 in triage.", set()),
    ("febrile-to-38-6", "Febrile to 38.6 in triage.", {U}),
    ("febrile-to-101", "febrile to 101 at home", {U}),
    ("febrile-plain", "Febrile overnight.", {U}),
    ("advice-hr", "Call if HR > 120.", set()),
    ("p-vitals-line-fast", "T 37.1 P 138 R 18 BP 124/78.", {E}),
    ("p-vitals-line-normal", "T 36.9 P 88 BP 128/76.", set()),
    ("p-alone-unread", "P 138.", set()),
    ("p-plan-unread", "A/P 138 RR 16, plan PT.", set()),
]
for cid, text, topics in STOP25_VITALS:
    what = (
        "the emergency sign"
        if E in topics
        else "the urgent fever sign"
        if U in topics
        else "a data-check item, never an emergency or urgent card"
        if topics
        else "no card"
    )
    pv(
        f"stop25-vitals-{cid}",
        f"Low back pain, no coded vitals; a history of present illness {text!r}: {what}",
        [lambda p, t=text: hpi(p, t)],
        topics,
        forbidden=[] if topics & {E, U} else [E, U],
        tags=["stop25", "vitals", "text"],
    )
for cid, name, value, topics in [
    ("pulse-row-136", "Pulse", "136", {E}),
    ("heart-rate-row-92", "Heart rate", "92", set()),
    ("pulse-row-400", "Pulse", "400", {D}),
    ("resp-rate-row-32", "Resp rate", "32", {E}),
]:
    pv(
        f"stop25-vitals-{cid}",
        f"Low back pain; a flowsheet row {name!r} valued the bare text {value!r}: "
        + ("the sign" if topics & {E, U} else "a data-check item" if topics else "no card"),
        [lambda p, n=name, v=value: exam_row(p, n, v)],
        topics,
        forbidden=[] if topics & {E, U} else [E, U],
        tags=["stop25", "vitals", "flowsheet"],
    )


# ---------------------------------------------------------------------------------------------
# 46. stop25 (integrator int26, emergency physician round er32): a bladder's volume in words is
#     the retention (a scan or residual of 600 mL or more, a catheter's 500 mL or more, an urge
#     the patient cannot act on), and "not voided since arrival" beside it asks nothing more;
#     groin numbness with a possessive; painful urination in more patients' words; a home
#     pulse oximeter's reading (a data-check item); a bladder, faint or burning sign dated by a
#     past year or month with nothing recent beside it is history. Controls for each.
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("void-arrival-scan-900", "Has not voided since arrival. Bladder scan 900 mL.", {E}),
    (
        "void-arrival-cath-1100",
        "Has not voided since arrival. Straight cath returned 1100 mL.",
        {E},
    ),
    ("void-arrival-urge", "Pt has not voided since arrival, reports urge but unable to go", {E}),
    ("void-arrival-distended", "Has not voided since arrival, bladder distended.", {E}),
    ("void-arrival-alone", "Has not voided since arrival.", {D}),
    ("bladder-scan-900", "Bladder scan 900 mL.", {E}),
    ("bladder-scan-250", "Bladder scan 250 mL, voided after.", set()),
    ("bladder-scan-700-then-voided", "Bladder scan 700 mL then voided 650 mL.", set()),
    ("foley-300", "Foley cath with 300 mL.", set()),
    ("groin-numb-his", "Numbness in his groin since this morning.", {U}),
    ("groin-pain-his", "Pain in his groin since this morning.", set()),
    ("pain-passing-water", "Pain passing water since Sunday.", {U}),
    ("peeing-painful", "Says peeing is painful.", {U}),
    ("burning-feeling-urinating", "Complains of a burning feeling when urinating.", {U}),
    ("denies-pain-passing-water", "Denies pain passing water.", set()),
    ("home-pulse-ox-82", "Home pulse ox read 82% this morning per pt.", {D}),
    ("pulse-ox-showed-86", "Pulse ox showed 86% on RA.", {E}),
    (
        "retention-2019-foley",
        "Urinary retention after hernia surgery in 2019, Foley x2 days.",
        set(),
    ),
    ("retention-march-2019", "Urinary retention in March 2019 after surgery.", set()),
    ("retention-x2-turp-2019", "Urinary retention x2 days, had TURP in 2019.", {E}),
    (
        "incontinence-seizure-2025",
        "One episode of urinary incontinence in August 2025; none since.",
        set(),
    ),
    ("syncope-2024", "Syncope in October 2024, workup negative, none since.", set()),
    ("syncope-today-prior-2019", "Syncope today; prior syncope in 2019.", {E}),
    ("dysuria-july-2025", "Burning with urination in July 2025, treated for UTI.", set()),
    ("fevers-x3-may-pneumonia", "Fevers x3 days, in May 2025 had pneumonia.", {U}),
]:
    pv(
        f"stop25-er32-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a danger sign" if topics & DANGER else "a data-check item" if topics else "no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop25", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 47. stop25 (emergency physician round er32, p02): a past GI bleed or ulcer written in a
#     problem's note or a history's words is the NSAID caution's reason, as a coded one is;
#     denied or a risk discussed is none.
# ---------------------------------------------------------------------------------------------
def gerd_with_note(p: str, text: str) -> Json:
    res = condition(
        p,
        [(ICD10CM, "K21.9", "Gastro-esophageal reflux disease without esophagitis")],
        onset_hours=days(3000),
    )
    res["note"] = [{"authorString": "Dr. A. Lee", "text": text}]
    return res


for cid, text, in_note, topics in [
    ("note-hx-gi-bleed", "Hx of GI bleed, EGD showed gastric ulcer, H. pylori treated", True, {AC}),
    ("note-no-gi-bleed", "No hx of GI bleed or ulcer", True, set()),
    ("hpi-h-o-gi-bleed", "PMH: GERD, h/o GI bleed 2019", False, {AC}),
    ("hpi-risk-discussed", "Discussed GI bleed risk with NSAIDs", False, set()),
]:
    order(
        f"stop25-er32-{cid}",
        f"Order-sign: ibuprofen 600 mg; {'a GERD problem note' if in_note else 'a history'} "
        f"says {text!r}: " + ("the pain-reliever caution" if topics else "no caution"),
        [
            (lambda p, t=text: gerd_with_note(p, t))
            if in_note
            else (lambda p, t=text: exam_row(p, "History of present illness", t))
        ],
        [
            lambda p: med_request(
                p, "197806", "Ibuprofen 600 MG Oral Tablet", status="draft", hours_ago=0
            )
        ],
        topics,
        tags=["stop25", "medication", "text"],
    )


# ---------------------------------------------------------------------------------------------
# 48. stop25 (emergency physician round er33): an urge the patient cannot act on in more words;
#     numb "privates", "can't feel anything down there"; "Sat 89%" before a percent sign;
#     "tachycardic to", "desatted to"; a heart rate "on monitor"; "my pee burns"; a bladder
#     scan followed later in its sentence by voiding; an old test's or episode's heart rate
#     dated by a year in its clause and a fetal heart rate are no reading; a GI bleed's risk
#     reviewed with no history of one is no caution (at order-sign: section 47). Controls.
# ---------------------------------------------------------------------------------------------
for cid, text, topics in [
    ("urge-pee-cant-go", "Feels the urge to pee but can't go.", {E}),
    ("needs-urinate-nothing", "Needs to urinate but nothing comes out.", {E}),
    ("needs-work-cant", "Needs to go to work but can't, back pain.", set()),
    ("privates-numb", 'Pt states "my privates feel numb" since this morning.', {U}),
    ("cant-feel-down-there", '"I can\'t feel anything down there when I sit on the toilet."', {U}),
    ("sat-89-arrival", "Sat 89% on arrival, 97% RA after repositioning.", {E}),
    ("sat-for-90-min", "Sat for 90 min in the waiting room.", set()),
    ("tachycardic-to-140", "Tachycardic to 140 on arrival.", {E}),
    ("not-tachycardic", "Not tachycardic.", set()),
    ("desatted-to-85", "Desatted to 85% on RA.", {E}),
    ("max-hr-on-monitor", "Max HR on monitor 133 during transfer to bed.", {E}),
    ("my-pee-burns", '"My pee burns" x2 days.', {U}),
    (
        "scan-then-pt-voided",
        "Bladder scan 700 mL; pt then voided 650 mL, repeat scan 40 mL.",
        set(),
    ),
    ("stress-test-2024", "Exercise stress test 2024: max HR 165, no ischemia.", {D}),
    ("holter-2023", "Holter 2023: max HR 160 during exercise.", {D}),
    ("svt-2021-hr-150", "SVT in 2021 with HR 150, ablated, no recurrence.", {D}),
    ("fetal-hr", "Fetal HR 140s by doppler, pt 20 wk pregnant.", set()),
    ("room-2019-hr-150", "Room 2019: HR 150, pt anxious.", {D}),
    ("hr-150-today", "Known SVT since 2019. HR 150 today, palpitations.", {E}),
    ("spo2-88-this-am", "SpO2 88% this AM on RA.", {E}),
    ("hr-88-today", "HR 88 today.", set()),
]:
    pv(
        f"stop25-er33-{cid}",
        f"Low back pain; a history of present illness {text!r}: "
        + ("a danger sign" if topics & DANGER else "a data-check item" if topics else "no sign"),
        [lambda p, t=text: exam_row(p, "History of present illness", t)],
        topics,
        tags=["stop25", "text"],
    )
order(
    "stop25-er33-gi-risk-no-history",
    "Order-sign: ibuprofen 600 mg; a history says 'Risk of GI bleed reviewed; no prior "
    "history of bleeding.': no caution",
    [
        lambda p: exam_row(
            p,
            "History of present illness",
            "Risk of GI bleed reviewed; no prior history of bleeding.",
        )
    ],
    [
        lambda p: med_request(
            p, "197806", "Ibuprofen 600 MG Oral Tablet", status="draft", hours_ago=0
        )
    ],
    set(),
    tags=["stop25", "medication", "text"],
)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    OUT.mkdir(exist_ok=True)
    wanted = {f"{c['id']}.json": json.dumps(c, indent=1, ensure_ascii=False) + "\n" for c in CASES}
    present = {p.name for p in OUT.glob("*.json")}
    if check:
        stale = [
            n for n, t in wanted.items() if not (OUT / n).exists() or (OUT / n).read_text() != t
        ]
        extra = sorted(present - set(wanted))
        if stale or extra:
            print(f"corpus out of date: {len(stale)} differ, {len(extra)} extra")
            return 1
        print(f"{len(wanted)} cases up to date")
        return 0
    for name in present - set(wanted):
        (OUT / name).unlink()
    for name, text in wanted.items():
        (OUT / name).write_text(text)
    print(f"wrote {len(wanted)} cases to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
