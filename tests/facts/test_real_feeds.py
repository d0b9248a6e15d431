"""Issue 9: the facts layer on real-world-shaped data. Every reading counts (panels, copies,
resources without an id), unverified and unreadable readings are kept and said, units and
values as feeds send them, codes without a system, WHO ICD-10, site time zones, readings dated
in the future, text-only matches and coded values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from cds.facts.extract import FactContext, extract_facts
from cds.facts.gather import bundle_resources, patient_record
from cds.facts.model import Fact
from cds.pack.load import load_pack

PACK = load_pack()
SITE = timezone(timedelta(hours=-5))  # a US site, the server in UTC
NOW = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # 12:00 at the site
CTX = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=SITE)
LOINC = "http://loinc.org"
DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


def obs(
    code: str = "8867-4",
    value: Any = 80,
    unit: str | None = "/min",
    *,
    rid: str | None = "o1",
    status: str | None = "final",
    when: str = "2026-11-26T10:00:00Z",
    **extra: Any,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when,
        **extra,
    }
    if rid is not None:
        res["id"] = rid
    if value is not None:
        res["valueQuantity"] = {"value": value, **({"unit": unit} if unit else {})}
    return res


def facts(*resources: dict[str, Any], ctx: FactContext = CTX) -> list[Fact]:
    return extract_facts(resources, [], ctx).facts


def vs(found: list[Fact], valueset: str) -> list[Fact]:
    return [f for f in found if f.valueset == valueset]


def values(found: list[Fact], valueset: str) -> list[float | None]:
    return sorted((f.value for f in vs(found, valueset)), key=lambda v: -1 if v is None else v)


# ------------------------------------------------------------------ 1. every reading counts


def test_orthostatic_panel_gives_every_heart_rate() -> None:
    panel = obs("85353-1", None, rid="panel")
    panel["component"] = [
        {"code": {"coding": [{"system": LOINC, "code": "8867-4"}]}, "valueQuantity": q}
        for q in (
            {"value": 84, "unit": "/min"},
            {"value": 112, "unit": "/min"},
            {"value": 138, "unit": "/min"},
        )
    ]
    assert values(facts(panel), "heart_rate_obs") == [84.0, 112.0, 138.0]


def test_a_panel_heading_without_a_value_is_not_an_unreadable_reading() -> None:
    panel = obs("8867-4", None, rid="panel")  # the heading is coded heart rate itself
    panel["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
            "valueQuantity": {"value": 138, "unit": "/min"},
        }
    ]
    out = extract_facts([panel], [], CTX)
    assert [(f.value, f.understood) for f in vs(out.facts, "heart_rate_obs")] == [(138.0, True)]


def test_same_id_twice_final_then_amended_both_count_and_name_the_copy() -> None:
    first = obs(value=80, meta={"lastUpdated": "2026-11-26T10:01:00Z"})
    second = obs(value=150, status="amended", meta={"lastUpdated": "2026-11-26T10:30:00Z"})
    record = patient_record("p1", [("a", first), ("b", second)])
    assert len(record.resources) == 2
    found = vs(facts(*record.resources), "heart_rate_obs")
    assert sorted(f.value or 0 for f in found) == [80.0, 150.0]
    (amended,) = [f for f in found if f.value == 150.0]
    assert amended.note is not None
    assert "status amended" in amended.note and "2026-11-26T10:30:00Z" in amended.note


def test_a_verified_copy_supersedes_the_preliminary_copy_of_one_id() -> None:
    prelim = obs("59408-5", 85, "%", status="preliminary")
    final = obs("59408-5", 85, "%", status="final")
    found = vs(facts(prelim, final), "oxygen_saturation_obs")
    assert [f.verified for f in found] == [True]
    other = obs("59408-5", 85, "%", status="preliminary", rid="o2")  # another reading: kept
    assert sorted(f.verified for f in vs(facts(other, final), "oxygen_saturation_obs")) == [
        False,
        True,
    ]


@pytest.mark.parametrize("status", ["preliminary", "registered"])
def test_an_unverified_reading_names_its_own_status(status: str) -> None:
    """The data-check item says why this reading is unconfirmed (pack21 item 3)."""
    (found,) = vs(facts(obs("59408-5", 85, "%", status=status)), "oxygen_saturation_obs")
    assert not found.verified and found.note == f"status {status}: not yet verified"
    (final,) = vs(facts(obs("59408-5", 85, "%")), "oxygen_saturation_obs")
    assert final.note is None


def test_an_unverified_copy_names_its_status_once() -> None:
    a = obs("59408-5", 85, "%", status="preliminary")
    b = {**a, "valueQuantity": {"value": 84, "unit": "%"}}
    record = patient_record("p1", [("a", a), ("b", b)])
    for found in vs(facts(*record.resources), "oxygen_saturation_obs"):
        assert found.note is not None and found.note.count("preliminary") == 1, found.note


def test_resources_without_an_id_are_never_merged() -> None:
    a, b = obs(value=80, rid=None), obs(value=150, rid=None)
    record = patient_record("p1", [("a", a), ("b", b)])
    assert len(record.resources) == 2
    assert values(facts(*record.resources), "heart_rate_obs") == [80.0, 150.0]


def test_identical_copies_are_one_reading() -> None:
    a = obs(value=150)
    record = patient_record(
        "p1",
        [("a", a), ("b", {**a}), ("c", {"resourceType": "Bundle", "entry": [{"resource": a}]})],
    )
    assert len(record.resources) == 1


def test_latest_is_the_newest_verified_readable_reading() -> None:
    old = obs(value=90, rid="a", when="2026-11-26T08:00:00Z")
    newer_prelim = obs(value=150, rid="b", status="preliminary", when="2026-11-26T11:00:00Z")
    found = vs(facts(old, newer_prelim), "heart_rate_obs")
    assert {f.rid: f.latest for f in found} == {"Observation/a": True, "Observation/b": False}


# ------------------------------------------------------------------ 2. bundles


def test_entry_sent_as_one_object_is_a_list_of_one() -> None:
    bundle = {"resourceType": "Bundle", "entry": {"resource": obs(value=150)}}
    assert len(bundle_resources(bundle, "prefetch.vitals", [])) == 1


@pytest.mark.parametrize("entry", ["junk", 3, {"resource": "junk"}, {"resource": {"id": "x"}}])
def test_an_entry_that_is_not_a_resource_is_a_data_issue(entry: object) -> None:
    bundle = {"resourceType": "Bundle", "entry": [entry, {"resource": obs(value=150)}]}
    record = patient_record("p1", [("prefetch.vitals", bundle)])
    assert len(record.resources) == 1
    assert [i.rid for i in record.issues] == ["prefetch.vitals.entry[0]"]


def test_an_entry_list_that_is_neither_is_a_data_issue() -> None:
    record = patient_record("p1", [("k", {"resourceType": "Bundle", "entry": "junk"})])
    assert record.resources == [] and len(record.issues) == 1


# ------------------------------------------------------------------ 3. units and values


@pytest.mark.parametrize(
    "unit",
    [
        "beats/minute",
        "beats/min",
        "bpm",
        "/min",
        "{beats}/min",
        "per min",
        "per minute",
        "Beats/Minute",
    ],
)
def test_heart_rate_unit_spellings(unit: str) -> None:
    assert values(facts(obs(value=72, unit=unit)), "heart_rate_obs") == [72.0]


@pytest.mark.parametrize(
    "unit", ["breaths/minute", "breaths/min", "{breaths}/min", "per min", "/min"]
)
def test_breathing_rate_unit_spellings(unit: str) -> None:
    found = vs(facts(obs("9279-1", 16, unit)), "respiratory_rate_obs")
    assert [(f.value, f.understood) for f in found] == [(16.0, True)]


@pytest.mark.parametrize("unit", ["1", "{ratio}", None])
def test_spo2_as_a_fraction_is_percent(unit: str | None) -> None:
    assert values(facts(obs("59408-5", 0.97, unit)), "oxygen_saturation_obs") == [97.0]
    assert values(facts(obs("59408-5", 0.86, unit)), "oxygen_saturation_obs") == [86.0]


def test_a_fraction_is_percent_only_for_oxygen_saturation() -> None:
    (hba1c,) = vs(facts(obs("4548-4", 0.06, "1")), "diabetes_lab_hba1c")
    assert hba1c.understood is False


def test_value_integer_is_read() -> None:
    del_q = obs(value=None)
    del_q["valueInteger"] = 150
    (hr,) = vs(facts(del_q), "heart_rate_obs")
    # shown with the unit it was read in (a heart rate has one)
    assert (hr.value, hr.understood, hr.source_value) == (150.0, True, "150 /min")


@pytest.mark.parametrize(
    "code, text, valueset, expected",
    [
        ("8867-4", "150 bpm", "heart_rate_obs", 150.0),
        ("8867-4", "150/min", "heart_rate_obs", 150.0),
        ("8310-5", "101.2 F", "fever_temperature_obs", 38.4444),
        ("8310-5", "38.5 °C", "fever_temperature_obs", 38.5),
        ("59408-5", "86 %", "oxygen_saturation_obs", 86.0),
    ],
)
def test_numeric_value_string_with_a_unit(
    code: str, text: str, valueset: str, expected: float
) -> None:
    res = obs(code, None)
    res["valueString"] = text
    (f,) = vs(facts(res), valueset)
    assert f.understood and f.value == pytest.approx(expected, abs=1e-4)
    assert f.source_value == text


@pytest.mark.parametrize("text", ["120-130", "<60", "~150", "see note", "75", "tachy 150 bpm"])
def test_ambiguous_value_string_is_unreadable(text: str) -> None:
    code = "8310-5" if text == "75" else "8867-4"  # 75: no body temperature in °C or °F
    res = obs(code, None)
    res["valueString"] = text
    found = [f for f in facts(res) if f.kind == "observation"]
    assert found and all(not f.understood and f.value is None for f in found)


@pytest.mark.parametrize(
    "code, value, unit",
    [
        ("59408-5", 150, "%"),
        ("59408-5", 12, "%"),
        ("8867-4", 980, "/min"),
        ("8867-4", 5, "/min"),
        ("9279-1", 160, "/min"),
        ("8310-5", 98.6, "Cel"),  # Fahrenheit labelled Celsius
        ("8310-5", 20, "Cel"),
    ],
)
def test_physiologically_impossible_values_are_unreadable(
    code: str, value: float, unit: str
) -> None:
    out = extract_facts([obs(code, value, unit)], [], CTX)
    (f,) = [f for f in out.facts if f.kind == "observation"]
    assert (f.understood, f.value) == (False, None)
    assert f.note and "possible range" in f.note
    assert out.issues


@pytest.mark.parametrize("code, value", [("8867-4", 10), ("8867-4", 350), ("59408-5", 20)])
def test_extreme_but_possible_values_are_read(code: str, value: float) -> None:
    unit = "%" if code == "59408-5" else "/min"
    (f,) = [f for f in facts(obs(code, value, unit)) if f.kind == "observation"]
    assert (f.understood, f.value) == (True, float(value))


# ------------------------------------------------------------------ 4. statuses, absent data


@pytest.mark.parametrize("status", ["preliminary", "registered"])
def test_unverified_readings_are_kept_not_dropped(status: str) -> None:
    (f,) = vs(facts(obs("59408-5", 85, "%", status=status)), "oxygen_saturation_obs")
    assert (f.value, f.verified, f.understood) == (85.0, False, True)
    assert f.to_engine(1)["verified"] == 0


@pytest.mark.parametrize("status", ["final", "amended", "corrected"])
def test_verified_readings(status: str) -> None:
    (f,) = vs(facts(obs(value=150, status=status)), "heart_rate_obs")
    assert f.verified and f.to_engine(1)["verified"] == 1


@pytest.mark.parametrize("status", ["", None])
def test_a_reading_without_status_is_unverified(status: str | None) -> None:
    """No status (absent, null, blank): nobody said it is final; a sign behind it reaches
    the data-check card (integrator review 3), never an emergency card by itself."""
    (f,) = vs(facts(obs(value=150, status=status)), "heart_rate_obs")
    assert (f.verified, f.note) == (False, "the record gives no status; read as not yet verified")


@pytest.mark.parametrize("status", ["cancelled", "entered-in-error"])
def test_other_statuses_are_dropped(status: str) -> None:
    assert vs(facts(obs(value=150, status=status)), "heart_rate_obs") == []


def test_status_unknown_is_an_unverified_reading() -> None:
    """The source system does not know which status applies: a reading to confirm (the
    data-check card), neither a sign nor dropped (er21 G9)."""
    (f,) = vs(facts(obs(value=150, status="unknown")), "heart_rate_obs")
    assert f.verified is False


def test_heart_rate_with_data_absent_unknown_makes_no_fact() -> None:
    res = obs(value=None)
    res["dataAbsentReason"] = {"coding": [{"system": DATA_ABSENT, "code": "unknown"}]}
    out = extract_facts([res], [], CTX)
    assert vs(out.facts, "heart_rate_obs") == [] and out.issues == []


# ------------------------------------------------------------------ 7. codes


def test_loinc_code_without_a_system_with_a_valid_check_digit() -> None:
    res = obs(value=150)
    res["code"] = {"coding": [{"code": "8867-4"}]}
    assert values(facts(res), "heart_rate_obs") == [150.0]


def test_loinc_shaped_code_with_a_wrong_check_digit_is_not_read() -> None:
    res = obs(value=150)
    res["code"] = {"coding": [{"code": "8867-5"}]}
    assert vs(facts(res), "heart_rate_obs") == []


def condition(code: dict[str, Any], *, rid: str = "c1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": code,
        "onsetDateTime": "2026-11-25",
        **extra,
    }


def test_who_icd10_system_matches_icd10cm_entries() -> None:
    c = condition({"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "R55"}]})
    (f,) = vs(facts(c), "syncope_loc")
    assert f.by_text is False


def encounter(**extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "in-progress",
        "period": {"start": "2026-11-26T09:00:00Z"},
        **extra,
    }


def test_encounter_diagnosis_given_only_as_a_display_is_a_text_condition() -> None:
    enc = encounter(
        diagnosis=[{"condition": {"reference": "Condition/nowhere", "display": "Syncope"}}]
    )
    (f,) = vs(facts(enc), "syncope_loc")
    assert (f.kind, f.by_text, f.rid) == ("condition", True, "Encounter/e1")


def test_encounter_diagnosis_resolved_in_the_record_is_left_to_the_condition() -> None:
    resolved = condition({"text": "Syncope"}, clinicalStatus={"coding": [{"code": "resolved"}]})
    enc = encounter(diagnosis=[{"condition": {"reference": "Condition/c1", "display": "Syncope"}}])
    assert vs(facts(resolved, enc), "syncope_loc") == []


def test_encounter_reason_reference_display_is_a_text_condition() -> None:
    enc = encounter(reasonReference=[{"display": "Fever and chills"}])
    found = facts(enc)
    assert {f.valueset for f in found if f.by_text} >= {"fever_condition", "chills"}


def test_draft_order_reason_reference_display_counts() -> None:
    draft = {
        "resourceType": "ServiceRequest",
        "id": "d1",
        "status": "draft",
        "intent": "order",
        "code": {"text": "MRI lumbar spine"},
        "reasonReference": [{"display": "Low back pain"}],
    }
    found = extract_facts([], [draft], CTX).facts
    (f,) = vs(found, "low_back_pain")
    assert (f.kind, f.by_text) == ("condition", True)


# ------------------------------------------------------------------ 8. times


def test_zone_less_times_are_read_in_the_site_zone() -> None:
    # 08:00 at a UTC-5 site is 13:00Z: 4 h before 17:00Z (not 9 h, as UTC would say)
    (f,) = vs(facts(obs(value=150, when="2026-11-26T08:00:00")), "heart_rate_obs")
    assert f.age_h == 4.0
    utc_ctx = FactContext(NOW, PACK.index, PACK.canonical_units)
    (g,) = vs(facts(obs(value=150, when="2026-11-26T08:00:00"), ctx=utc_ctx), "heart_rate_obs")
    assert g.age_h == 9.0


def test_site_zone_decides_the_72_hour_edge() -> None:
    # 2026-11-23T16:30 at the site is 21:30Z: 67.5 h before now, inside the window
    (f,) = vs(facts(obs(value=150, when="2026-11-23T16:30:00")), "heart_rate_obs")
    assert f.age_h == 67.5


def test_reading_dated_days_after_the_evaluation_time_is_a_data_issue() -> None:
    out = extract_facts([obs(value=150, when="2026-12-11T10:00:00Z")], [], CTX)
    assert vs(out.facts, "heart_rate_obs") == []
    (issue,) = out.issues
    assert "h after the evaluation time" in issue.message and "clock" in issue.message
    assert issue.recheck


def test_condition_dated_in_the_future_is_a_data_issue() -> None:
    c = condition({"text": "Fainting"}, onsetDateTime="2026-12-20T00:00:00Z")
    out = extract_facts([c], [], CTX)
    assert out.facts == [] and len(out.issues) == 1


@pytest.mark.parametrize(
    "when", ["2026-11-26T17:45:00Z", "2026-11-26", "2026-11", "2026", "2026-11-26T12:30:00"]
)
def test_clock_skew_and_partial_dates_are_not_the_future(when: str) -> None:
    out = extract_facts([obs(value=150, when=when)], [], CTX)
    assert len(vs(out.facts, "heart_rate_obs")) == 1 and out.issues == []


# ------------------------------------------------------------------ 9. by_text, refuted


def test_by_text_only_when_words_matched() -> None:
    coded = condition({"coding": [{"system": "http://snomed.info/sct", "code": "271594007"}]})
    worded = condition({"text": "Syncope"}, rid="c2")
    found = {f.rid: f.by_text for f in vs(facts(coded, worded), "syncope_loc")}
    assert found == {"Condition/c1": False, "Condition/c2": True}


def test_a_refuted_condition_suppresses_text_matches_of_its_value_set() -> None:
    refuted = condition(
        {"coding": [{"system": "http://snomed.info/sct", "code": "192970008"}]},
        verificationStatus={"coding": [{"code": "refuted"}]},
    )
    enc = encounter(reasonCode=[{"text": "Back pain, cauda equina"}])
    coded_too = condition(
        {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G83.4"}]}, rid="c3"
    )
    found = vs(facts(refuted, enc, coded_too), "cauda_equina_syndrome")
    assert [f.rid for f in found] == ["Condition/c3"]  # the coded one stays


def test_entered_in_error_also_suppresses_text_matches() -> None:
    wrong = condition(
        {"text": "Fever"}, verificationStatus={"coding": [{"code": "entered-in-error"}]}
    )
    enc = encounter(reasonCode=[{"text": "fever"}])
    assert vs(facts(wrong, enc), "fever_condition") == []


# ------------------------------------------------------------------ 10. coded values


def test_a_coded_value_in_a_value_set_makes_an_observation_fact() -> None:
    res = obs("8661-1", None)  # chief complaint, answered with a code
    res["valueCodeableConcept"] = {
        "coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "R55"}],
        "text": "Fainted at home",
    }
    found = vs(facts(res), "syncope_loc")
    (f,) = [f for f in found if f.kind == "observation"]
    assert (f.kind, f.by_text, f.source_value) == ("observation", False, "Fainted at home")
    # and a condition of it, which the symptom rules read (time: the effective time)
    (c,) = [f for f in found if f.kind == "condition"]
    assert (c.by_text, c.time) == (False, f.time)
    # the observation shows its answer as its value, once; the condition names it in words
    assert c.display == f"{f.display}: Fainted at home"


def test_the_observation_code_still_makes_its_fact() -> None:
    res = obs("67775-7", None)
    res["valueCodeableConcept"] = {"text": "Voice"}
    (f,) = vs(facts(res), "consciousness_acvpu_obs")
    assert f.source_value == "Voice"


# ------------------------------------------------------------------ transformations (property)

SIGNS = [  # (LOINC, value, unit, value set, expected canonical value)
    ("8867-4", 150, "/min", "heart_rate_obs", 150.0),
    ("8867-4", 35, "beats/minute", "heart_rate_obs", 35.0),
    ("9279-1", 30, "breaths/min", "respiratory_rate_obs", 30.0),
    ("59408-5", 86, "%", "oxygen_saturation_obs", 86.0),
    ("59408-5", 0.86, "1", "oxygen_saturation_obs", 86.0),
    ("8310-5", 101.2, "[degF]", "fever_temperature_obs", 38.4444),
]


def _into_panel(res: dict[str, Any]) -> list[dict[str, Any]]:
    panel = obs("85353-1", None, rid=res.get("id"), when=res["effectiveDateTime"])
    panel["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
            "valueQuantity": {"value": 70, "unit": "/min"},
        },
        {"code": res["code"], "valueQuantity": res["valueQuantity"]},
    ]
    return [panel]


NORMAL = {
    "8867-4": {"value": 80, "unit": "/min"},
    "9279-1": {"value": 16, "unit": "/min"},
    "59408-5": {"value": 97, "unit": "%"},
    "8310-5": {"value": 37, "unit": "Cel"},
}


def _code(res: dict[str, Any]) -> str:
    code: str = res["code"]["coding"][0]["code"]
    return code


def _zone_less(res: dict[str, Any]) -> list[dict[str, Any]]:
    at = datetime.fromisoformat(res["effectiveDateTime"]).astimezone(SITE)
    return [{**res, "effectiveDateTime": at.replace(tzinfo=None).isoformat()}]


HARMLESS = {
    "as is": lambda r: [r],
    "duplicated": lambda r: [r, dict(r)],
    "normal copy first": lambda r: [
        {**r, "valueQuantity": NORMAL[_code(r)]},
        {**r, "status": "amended"},
    ],
    "id removed": lambda r: [{k: v for k, v in r.items() if k != "id"}],
    "moved into a panel": _into_panel,
    "malformed neighbour": lambda r: [{"resourceType": "Observation", "id": "x", "status": 3}, r],
    "time without a zone": _zone_less,
    "system-less LOINC": lambda r: [
        {**r, "code": {"coding": [{"code": r["code"]["coding"][0]["code"]}]}}
    ],
}

HARMFUL = {
    "preliminary": lambda r: [{**r, "status": "preliminary"}],
    "entered in error": lambda r: [{**r, "status": "entered-in-error"}],
    "dated 15 days ahead": lambda r: [{**r, "effectiveDateTime": "2026-12-11T10:00:00Z"}],
}


@pytest.mark.parametrize("sign", SIGNS, ids=[f"{s[0]}-{s[1]}" for s in SIGNS])
@pytest.mark.parametrize("name", list(HARMLESS))
def test_a_sign_survives_what_must_not_matter(sign: tuple[Any, ...], name: str) -> None:
    code, value, unit, valueset, expected = sign
    resources = HARMLESS[name](obs(code, value, unit))
    record = patient_record(
        "p1",
        [("prefetch", {"resourceType": "Bundle", "entry": [{"resource": r} for r in resources]})],
    )
    found = vs(facts(*record.resources), valueset)
    assert any(
        f.understood
        and f.verified
        and f.value == pytest.approx(expected, abs=1e-4)
        and f.age_h == 7.0
        for f in found
    ), (name, found)


@pytest.mark.parametrize("sign", SIGNS, ids=[f"{s[0]}-{s[1]}" for s in SIGNS])
@pytest.mark.parametrize("name", list(HARMFUL))
def test_a_sign_stops_under_what_must_matter(sign: tuple[Any, ...], name: str) -> None:
    code, value, unit, valueset, _ = sign
    found = vs(facts(*HARMFUL[name](obs(code, value, unit))), valueset)
    assert not any(f.understood and f.verified for f in found), (name, found)


def test_words_as_text_are_said_to_be_no_number() -> None:
    res = obs("9279-1", None, valueString="fast")
    (fact,) = vs(facts(res), "respiratory_rate_obs")
    assert (fact.value, fact.understood) == (None, False)
    assert fact.note == "value 'fast' is not a number in /min"


@pytest.mark.parametrize(
    ("code", "text", "valueset", "expected"),
    [
        ("9279-1", "32", "respiratory_rate_obs", 32.0),
        ("8867-4", "136", "heart_rate_obs", 136.0),
        ("8867-4", " 92 ", "heart_rate_obs", 92.0),
        ("59408-5", "88", "oxygen_saturation_obs", 88.0),
        ("8310-5", "38.9", "fever_temperature_obs", 38.9),
        ("8310-5", "98.6", "fever_temperature_obs", 37.0),
    ],
)
def test_a_bare_number_as_text_is_read_as_the_code_says(
    code: str, text: str, valueset: str, expected: float
) -> None:
    """A flowsheet row sends its number as text ("Pulse" valued "136"): the code says what it
    measures, and its unit where a number without one is read (per minute, percent; a body
    temperature by its range), as a ``valueInteger`` is (stop 25; was a data-check item)."""
    res = obs(code, None, valueString=text)
    (fact,) = vs(facts(res), valueset)
    assert fact.understood and fact.value == pytest.approx(expected, abs=0.01)


@pytest.mark.parametrize(
    ("code", "text", "valueset"),
    [("8867-4", "400", "heart_rate_obs"), ("8310-5", "75", "fever_temperature_obs")],
)
def test_a_bare_number_as_text_no_reading_can_be_stays_unread(
    code: str, text: str, valueset: str
) -> None:
    (fact,) = vs(facts(obs(code, None, valueString=text)), valueset)
    assert (fact.value, fact.understood) == (None, False)


def test_a_reading_that_cannot_be_read_is_named_by_what_it_is() -> None:
    """The data-check summary said "Observation/o1 not checked in full" for a heart rate in a
    unit no table holds (ER physician review, fourth round): the issue names the reading."""
    res = obs("8867-4", 320, "dyn.s/cm5")
    res["code"]["coding"][0]["display"] = "Heart rate"
    (issue,) = extract_facts([res], [], CTX).issues
    assert issue.headline == "Heart rate 320 dyn.s/cm5 could not be read"
    assert issue.rid == "Observation/o1" and "dyn.s/cm5" in issue.message
