"""Tests for facts/extract.py (and facts/gather.py): tolerance of real feeds, with the real
pack's value sets.

Real EHR feeds send unknown fields and extensions, several codings per concept, OIDs, sloppy
ICD-10-CM codes, text-only concepts, partial or zone-less times, Fahrenheit, UCUM annotations
and worse. None of it may crash extraction, and anything we cannot read in a value set we
care about is kept as an unreadable fact with a note, never dropped in silence.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.facts.extract import FactContext, extract_facts
from cds.facts.gather import patient_record
from cds.facts.model import Fact
from cds.pack.load import load_pack

PACK = load_pack()
TZ = timezone(timedelta(hours=4))  # non-UTC on purpose: flushes out time-zone bugs
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=TZ)
CTX = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=TZ)

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def facts_of(*resources: dict[str, Any], drafts: tuple[dict[str, Any], ...] = ()) -> list[Fact]:
    return extract_facts(resources, drafts, CTX).facts


def by_vs(facts: list[Fact], valueset: str) -> list[Fact]:
    return [f for f in facts if f.valueset == valueset]


def observation(
    code: str = "8310-5",
    value: Any = 38.5,
    unit: str | None = "Cel",
    *,
    status: str = "final",
    when: str = "2026-11-26T08:00:00+04:00",
    rid: str = "t1",
    **extra: Any,
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when,
        **extra,
    }
    if value is not None:
        res["valueQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org"}
    return res


def condition(code: dict[str, Any], *, rid: str = "c1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": code,
        "onsetDateTime": "2026-11-25",
        **extra,
    }


def coded(system: str, code: str, display: str = "") -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


# ---------------------------------------------------------------------- unknown content


def test_unknown_fields_extensions_and_primitive_extensions_are_ignored() -> None:
    obs = observation(
        extension=[{"url": "http://example.org/x", "valueString": "y"}],
        modifierExtension=[],
        _status={"extension": [{"url": "http://example.org/s", "valueCode": "z"}]},
        _effectiveDateTime={"extension": []},
        somethingNew={"deep": [1, 2, {"x": None}]},
    )
    obs["code"]["coding"][0]["extension"] = [{"url": "u"}]
    obs["valueQuantity"]["_value"] = {"extension": []}
    (fact,) = by_vs(facts_of(obs), "fever_temperature_obs")
    assert fact.value == 38.5 and fact.understood


# ---------------------------------------------------------------------- codes


def test_any_one_of_several_codings_counts() -> None:
    code = {
        "coding": [
            {"system": "http://local.example/codes", "code": "BACK-7"},
            {"system": ICD10, "code": "M54.50"},
            {"system": SNOMED, "code": "00000"},
        ]
    }
    assert by_vs(facts_of(condition(code)), "low_back_pain")


@pytest.mark.parametrize(
    "system, code",
    [
        ("urn:oid:2.16.840.1.113883.6.90", "M54.50"),  # ICD-10-CM by OID
        (ICD10, "M5450"),  # no dot
        (ICD10, "m54.50"),  # lower case
        (ICD10, " m5450 "),
        ("http://hl7.org/fhir/sid/icd-10-cm/", "M54.50"),  # trailing slash
    ],
)
def test_icd10cm_as_feeds_send_it(system: str, code: str) -> None:
    assert by_vs(facts_of(condition(coded(system, code))), "low_back_pain")


def test_snomed_by_oid() -> None:
    facts = facts_of(condition(coded("urn:oid:2.16.840.1.113883.6.96", "44054006")))
    assert by_vs(facts, "diabetes")


def test_text_only_concept() -> None:
    facts = facts_of(condition({"text": "Lumbago, acute"}))
    (fact,) = by_vs(facts, "low_back_pain")
    assert fact.display == "Lumbago, acute"


def test_single_coding_sent_as_an_object() -> None:
    code = {"coding": {"system": ICD10, "code": "M54.50", "display": "Low back pain"}}
    assert by_vs(facts_of(condition(code)), "low_back_pain")


def test_unknown_codes_make_no_facts() -> None:
    assert facts_of(condition(coded(SNOMED, "999999999", "Ingrown toenail"))) == []


# ---------------------------------------------------------------------- times


def test_partial_dates_are_read_as_their_last_moment() -> None:
    month = condition(coded(ICD10, "R50.9"), onsetDateTime="2026-11")
    year = condition(coded(ICD10, "R50.9"), onsetDateTime="2026", rid="c2")
    f_month, f_year = by_vs(facts_of(month, year), "fever_condition")
    end = datetime(2026, 11, 30, 23, 59, 59, tzinfo=TZ)
    assert f_month.age_h == 0.0 and f_month.time_known  # the end of November is after now
    assert f_year.age_h == 0.0 and "2026" in (f_year.note or "")
    old = condition(coded(ICD10, "R50.9"), onsetDateTime="2026-10")
    (f_old,) = by_vs(facts_of(old), "fever_condition")
    assert f_old.age_h == round((NOW - end.replace(month=10, day=31)) / timedelta(hours=1), 2)


def test_missing_time_zone_is_read_in_the_site_zone() -> None:
    (fact,) = by_vs(facts_of(observation(when="2026-11-26T08:00:00")), "fever_temperature_obs")
    assert fact.age_h == 4.0 and fact.time_known and "time zone" in (fact.note or "")


def test_missing_time_zone_is_read_in_the_site_zone_not_the_evaluation_zone() -> None:
    """The evaluation time in UTC, the site in Chicago (UTC-6 in November): 08:00 at the site
    is 14:00 UTC, two hours before a 16:00 UTC evaluation (not eight)."""
    from zoneinfo import ZoneInfo

    now = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)
    ctx = FactContext(now, PACK.index, PACK.canonical_units, site_tz=ZoneInfo("America/Chicago"))
    facts = extract_facts([observation(when="2026-11-26T08:00:00")], [], ctx).facts
    (fact,) = by_vs(facts, "fever_temperature_obs")
    assert fact.age_h == 2.0


def test_unreadable_time_is_unknown_with_a_note() -> None:
    (fact,) = by_vs(facts_of(observation(when="yesterday-ish")), "fever_temperature_obs")
    assert not fact.time_known and fact.age_h == 0.0
    assert "could not be read" in (fact.note or "")


def test_period_start_is_the_time() -> None:
    obs = observation(when="x")
    del obs["effectiveDateTime"]
    obs["effectivePeriod"] = {"start": "2026-11-26T10:00:00+04:00"}
    (fact,) = by_vs(facts_of(obs), "fever_temperature_obs")
    assert fact.age_h == 2.0


# ---------------------------------------------------------------------- units and values


@pytest.mark.parametrize(
    "value, unit, celsius",
    [(100.4, "[degF]", 38.0), (101.3, "°F", 38.5), (38.2, "Cel", 38.2), (37.9, "°C", 37.9)],
)
def test_fahrenheit_and_celsius(value: float, unit: str, celsius: float) -> None:
    (fact,) = by_vs(facts_of(observation(value=value, unit=unit)), "fever_temperature_obs")
    assert fact.value == celsius and fact.unit == "Cel"
    assert fact.source_value == f"{value} {unit}"


def test_beats_per_minute_annotation() -> None:
    obs = observation("8867-4", 135, "{beats}/min")
    (fact,) = by_vs(facts_of(obs), "heart_rate_obs")
    assert fact.value == 135.0 and fact.understood


def test_unknown_unit_makes_an_unreadable_fact_and_an_issue() -> None:
    out = extract_facts([observation(value=38.5, unit="furlongs")], [], CTX)
    (fact,) = by_vs(out.facts, "fever_temperature_obs")
    assert not fact.understood and fact.value is None and fact.note
    assert [i.rid for i in out.issues] == ["Observation/t1"]


def test_value_string_on_a_temperature_is_unreadable() -> None:
    obs = observation(value=None, valueString="hot to touch")
    out = extract_facts([obs], [], CTX)
    (fact,) = by_vs(out.facts, "fever_temperature_obs")
    assert not fact.understood and "hot to touch" in (fact.note or "")
    assert out.issues


def test_a_newer_unreadable_reading_does_not_displace_the_latest_readable_one() -> None:
    good = observation(value=37.0, when="2026-11-26T06:00:00+04:00", rid="a")
    bad = observation(value="n/a", when="2026-11-26T11:00:00+04:00", rid="b")
    facts = by_vs(facts_of(good, bad), "fever_temperature_obs")
    assert {f.rid: f.latest for f in facts} == {"Observation/a": True, "Observation/b": False}


# ---------------------------------------------------------------------- statuses


@pytest.mark.parametrize(
    "status, counted",
    [
        ("final", True),
        ("amended", True),
        ("corrected", True),
        ("preliminary", None),
        ("registered", None),
        ("cancelled", False),
        ("entered-in-error", False),
        ("unknown", None),
    ],
)
def test_observation_status(status: str, counted: bool | None) -> None:
    """None: kept as an unverified reading (a device feed's preliminary SpO2 of 85 %; status
    ``unknown``: the source system does not know which applies, er21 G9)."""
    facts = facts_of(observation(status=status))
    assert bool(facts) is (counted is not False)
    assert all(f.verified is (counted is True) for f in facts)


@pytest.mark.parametrize(
    "clinical, verification, counted",
    [
        ("active", None, True),
        ("recurrence", None, True),
        ("relapse", "confirmed", True),
        ("active", "provisional", True),
        ("inactive", None, False),
        ("remission", None, False),
        ("resolved", None, False),
        ("active", "refuted", False),
        ("active", "entered-in-error", False),
        (None, None, True),  # absent status: the record stands
    ],
)
def test_condition_status(clinical: str | None, verification: str | None, counted: bool) -> None:
    res = condition(coded(ICD10, "M54.50"))
    del res["clinicalStatus"]
    if clinical:
        res["clinicalStatus"] = {"coding": [{"code": clinical}]}
    if verification:
        res["verificationStatus"] = {"coding": [{"code": verification}]}
    assert bool(facts_of(res)) is counted


def medication_request(status: str, rid: str = "m1", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": coded(RXNORM, "5640", "Ibuprofen"),
        "authoredOn": "2026-11-26T09:00:00+04:00",
        **extra,
    }


@pytest.mark.parametrize(
    "status, counted",
    [
        ("active", True),
        ("on-hold", True),
        ("draft", False),
        ("completed", False),
        ("stopped", False),
        ("cancelled", False),
        ("entered-in-error", False),
    ],
)
def test_medication_request_status(status: str, counted: bool) -> None:
    assert bool(by_vs(facts_of(medication_request(status)), "ibuprofen")) is counted


def test_draft_orders_count_whatever_their_status() -> None:
    facts = facts_of(drafts=(medication_request("draft"),))
    (fact,) = by_vs(facts, "ibuprofen")
    assert fact.draft


# ---------------------------------------------------------------------- medication references


def test_medication_reference_to_contained_medication() -> None:
    req = medication_request("active", medicationReference={"reference": "#med1"})
    del req["medicationCodeableConcept"]
    req["contained"] = [{"resourceType": "Medication", "id": "med1", "code": coded(RXNORM, "5640")}]
    assert by_vs(facts_of(req), "ibuprofen")


def test_medication_reference_to_bundled_medication() -> None:
    req = medication_request("active", medicationReference={"reference": "Medication/m9"})
    del req["medicationCodeableConcept"]
    med = {"resourceType": "Medication", "id": "m9", "code": coded(RXNORM, "5640")}
    assert by_vs(facts_of(req, med), "ibuprofen")
    full = medication_request(
        "active", rid="m2", medicationReference={"reference": "https://ehr/fhir/Medication/m9"}
    )
    del full["medicationCodeableConcept"]
    assert by_vs(facts_of(full, med), "ibuprofen")


def test_medication_reference_to_missing_medication_uses_its_display() -> None:
    req = medication_request(
        "active", medicationReference={"reference": "Medication/gone", "display": "Advil 200 mg"}
    )
    del req["medicationCodeableConcept"]
    assert by_vs(facts_of(req), "ibuprofen")


# ---------------------------------------------------------------------- latest, dedupe


def test_only_the_most_recent_reading_is_latest() -> None:
    old = observation("4548-4", 7.1, "%", when="2026-01-01", rid="old")
    new = observation("4548-4", 6.0, "%", when="2026-11-01", rid="new")
    facts = by_vs(facts_of(old, new), "diabetes_lab_hba1c")
    assert {f.rid: f.latest for f in facts} == {"Observation/old": False, "Observation/new": True}


def test_a_resource_sent_twice_counts_once() -> None:
    """Truly the same reading (identical JSON) through two prefetch keys is gathered once."""
    obs = observation()
    record = patient_record("p1", [("prefetch.a", obs), ("prefetch.b", dict(obs))])
    assert len(record.resources) == 1
    assert len(by_vs(facts_of(*record.resources), "fever_temperature_obs")) == 1


def test_resource_of_another_patient_is_left_out_with_an_issue() -> None:
    mine = observation(subject={"reference": "Patient/p1"})
    theirs = observation(rid="t2", subject={"reference": "Patient/p2"})
    record = patient_record(
        "p1",
        [
            (
                "prefetch.obs",
                {"resourceType": "Bundle", "entry": [{"resource": mine}, {"resource": theirs}]},
            )
        ],
    )
    assert [r["id"] for r in record.resources] == ["t1"]
    (issue,) = record.issues
    # the item names the key, never the other patient nor their record (issue: review-int)
    assert issue.rid == "prefetch.obs.entry"
    assert issue.message == "a record of another patient was in obs and was not used"
    assert "p2" not in issue.model_dump_json() and "t2" not in issue.model_dump_json()


# ---------------------------------------------------------------------- malformed records


@pytest.mark.parametrize(
    "resource",
    [
        {"resourceType": "Encounter", "status": "finished", "reasonCode": 5},
        {
            "resourceType": "MedicationRequest",
            "status": "active",
            "reasonCode": "x",
            "medicationCodeableConcept": {"text": "vitamin D"},
        },
        {"resourceType": "Condition", "code": {"coding": 7}},
        {"resourceType": "Condition", "code": {"coding": [{"system": 5, "code": ["M54.5"]}]}},
        {"resourceType": "Observation", "status": ["final"], "code": "8310-5"},
        {"resourceType": "Patient", "birthDate": 1970},
    ],
)
def test_malformed_records_are_skipped_quietly(resource: dict[str, Any]) -> None:
    out = extract_facts([resource], [resource], CTX)
    assert out.facts == [] and out.issues == []


def test_single_reason_object_is_read_as_a_list() -> None:
    enc = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "reasonCode": {"text": "low back pain"},
    }
    assert by_vs(facts_of(enc), "low_back_pain")


def test_a_handler_failure_becomes_a_data_issue(monkeypatch: pytest.MonkeyPatch) -> None:
    from cds.facts import extract

    def broken(*_args: Any) -> None:
        raise TypeError("unexpected shape")

    monkeypatch.setitem(extract._HANDLERS, "Observation", broken)
    out = extract_facts([observation(), condition(coded(ICD10, "M54.50"))], [], CTX)
    assert [f.valueset for f in out.facts] == ["low_back_pain"]
    (issue,) = out.issues
    assert issue.rid == "Observation/t1" and "unexpected shape" in issue.message


# ---------------------------------------------------------------------- properties

HANDLED = [
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "ServiceRequest",
    "Encounter",
    "Patient",
    "Medication",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=12)
)
KEYS = st.sampled_from(
    [
        "status",
        "code",
        "coding",
        "system",
        "display",
        "text",
        "valueQuantity",
        "value",
        "unit",
        "valueString",
        "effectiveDateTime",
        "effectivePeriod",
        "start",
        "onsetDateTime",
        "clinicalStatus",
        "verificationStatus",
        "medicationCodeableConcept",
        "medicationReference",
        "reference",
        "contained",
        "id",
        "resourceType",
        "reasonCode",
        "birthDate",
        "authoredOn",
        "period",
        "comparator",
        "issued",
        "recordedDate",
        "_status",
        "extension",
    ]
) | st.text(max_size=6)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=10,
)
RANDOM = st.builds(
    lambda rtype, body: {**body, "resourceType": rtype},
    st.sampled_from(HANDLED),
    st.dictionaries(KEYS, JSONISH, max_size=6),
)
WELL_FORMED = [
    observation(),
    observation("8867-4", 120, "/min"),
    condition(coded(ICD10, "M54.50")),
    medication_request("active"),
    {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"},
    {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "reasonCode": [coded(ICD10, "M54.50")],
        "period": {"start": "2026-11-26"},
    },
]
# a real resource with one field replaced by garbage reaches the deep paths
DAMAGED = st.builds(
    lambda base, key, value: {**base, key: value}, st.sampled_from(WELL_FORMED), KEYS, JSONISH
)
GARBAGE = st.one_of(RANDOM, DAMAGED)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(GARBAGE, max_size=4), st.lists(GARBAGE, max_size=2))
def test_extract_never_raises_on_arbitrary_resources(
    resources: list[dict[str, Any]], drafts: list[dict[str, Any]]
) -> None:
    out = extract_facts(resources, drafts, CTX)
    # not even the last-resort net in _extract_one was needed
    assert not [i for i in out.issues if i.message.startswith("record could not be read")]
    for fact in out.facts:
        assert fact.value is None or abs(fact.value) < 1e12
        assert fact.age_h >= 0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(GARBAGE, max_size=3),
    st.lists(GARBAGE, max_size=3),
    st.decimals("38.0", "42.0", places=1).map(float),
    st.integers(0, 71),
)
def test_a_fever_among_garbage_is_still_found(
    before: list[dict[str, Any]], after: list[dict[str, Any]], celsius: float, hours_ago: int
) -> None:
    when = (NOW - timedelta(hours=hours_ago)).isoformat()
    fever = observation(value=celsius, when=when, rid="fever-1")
    facts = extract_facts([*before, fever, *after], [], CTX).facts
    assert any(
        f.rid == "Observation/fever-1"
        and f.valueset == "fever_temperature_obs"
        and f.understood
        and f.value == celsius
        and f.age_h == hours_ago
        for f in facts
    )


def test_vital_signs_panel_components_are_read() -> None:
    """Some EHRs send the heart rate and temperature as components of a vital-signs panel."""
    panel = observation("85353-1", None, None, rid="panel")
    panel["component"] = [
        {"code": coded(LOINC, "8867-4"), "valueQuantity": {"value": 140, "code": "/min"}},
        {"code": coded(LOINC, "8310-5"), "valueQuantity": {"value": 101.2, "code": "[degF]"}},
        {"code": coded(LOINC, "0000-0"), "valueQuantity": {"value": 1, "code": "1"}},
    ]
    facts = facts_of(panel)
    (hr,) = by_vs(facts, "heart_rate_obs")
    (temp,) = by_vs(facts, "fever_temperature_obs")
    assert (hr.value, hr.rid, hr.understood) == (140.0, "Observation/panel", True)
    assert temp.value == pytest.approx(38.4444, abs=1e-4)


DATA_ABSENT = "http://terminology.hl7.org/CodeSystem/data-absent-reason"


@pytest.mark.parametrize(
    "reason",
    [
        "not-performed",
        "not-asked",
        "asked-declined",
        "unknown",
        "asked-unknown",
        "temp-unknown",
        "not-applicable",
    ],
)
def test_nothing_measured_is_no_reading_not_an_unreadable_one(reason: str) -> None:
    """'Not performed' is not a garbled temperature: no fact, no 'could not be read' card."""
    absent = observation(value=None, unit=None)
    absent.pop("valueQuantity", None)
    absent["dataAbsentReason"] = coded(DATA_ABSENT, reason)
    assert by_vs(facts_of(absent), "fever_temperature_obs") == []


@pytest.mark.parametrize(
    "reason",
    [
        "error",
        "not-a-number",
        "negative-infinity",
        "positive-infinity",
        "masked",
        "as-text",
        "unsupported",
        "bogus",
        None,
    ],
)
def test_a_measurement_we_were_not_given_is_unreadable(reason: str | None) -> None:
    """A heart rate 'absent' because of an error, NaN or masking may be 140 /min: it is kept
    as an unreadable reading, so the pack's unreadable-vital-sign card says so."""
    absent = observation("8867-4", value=None, unit=None)
    absent.pop("valueQuantity", None)
    absent["dataAbsentReason"] = coded(DATA_ABSENT, reason) if reason else {"text": ""}
    out = extract_facts([absent], [], CTX)
    (fact,) = by_vs(out.facts, "heart_rate_obs")
    assert fact.understood is False and fact.value is None
    (issue,) = out.issues
    assert issue.message == f"no value: data absent ({reason or 'no reason given'})"


def test_a_readable_component_is_not_hidden_by_an_empty_sibling() -> None:
    """Each component is a reading: the 140 counts, and the unreadable one is said too."""
    panel = observation("85353-1", None, None, rid="panel")
    panel["component"] = [
        {"code": coded(LOINC, "8867-4"), "valueString": "see note"},
        {"code": coded(LOINC, "8867-4"), "valueQuantity": {"value": 140, "code": "/min"}},
    ]
    facts = by_vs(facts_of(panel), "heart_rate_obs")
    assert sorted((f.value or 0.0, f.understood) for f in facts) == [(0.0, False), (140.0, True)]


def test_facts_built_positionally_carry_each_field_where_it_belongs() -> None:
    """The extractor builds its facts with positional arguments (keywords cost 3x as much):
    a reordered Fact field would swap values silently, so each field is checked by name."""
    assert [f.name for f in fields(Fact)] == [
        "kind", "valueset", "rid", "display", "value", "unit", "source_value", "time",
        "age_h", "time_known", "latest", "understood", "draft", "note", "verified", "by_text",
        "bound",
    ]  # fmt: skip
    reading = {
        "resourceType": "Observation",
        "id": "hr1",
        "status": "preliminary",
        "code": {"coding": [{"system": LOINC, "code": "8867-4"}], "text": "Heart rate"},
        "effectiveDateTime": "2026-11-26T10:30:00+04:00",
        "valueQuantity": {"value": 150, "unit": "/min", "comparator": ">="},
    }
    condition = {
        "resourceType": "Condition",
        "id": "c1",
        "code": {"coding": [{"system": ICD10, "code": "M62.830"}], "text": "Back spasm"},
        "onsetDateTime": "2026-11-25T12:00:00+04:00",
    }
    facts = facts_of(reading, condition)
    (hr,) = by_vs(facts, "heart_rate_obs")
    assert (hr.kind, hr.rid, hr.display) == ("observation", "Observation/hr1", "Heart rate")
    assert (hr.value, hr.unit, hr.source_value) == (150.0, "/min", ">=150 /min")
    assert (hr.time, hr.age_h, hr.time_known) == ("2026-11-26T10:30:00+04:00", 1.5, True)
    note = "status preliminary: not yet verified"  # the reading's own reason (pack21)
    assert (hr.latest, hr.understood, hr.draft, hr.note) == (True, True, False, note)
    assert (hr.verified, hr.by_text, hr.bound) == (False, False, ">=")
    (spasm,) = by_vs(facts, "back_muscle_spasm")
    assert (spasm.kind, spasm.rid, spasm.display) == ("condition", "Condition/c1", "Back spasm")
    assert (spasm.value, spasm.unit, spasm.source_value) == (None, None, None)
    assert (spasm.time, spasm.age_h, spasm.time_known) == ("2026-11-25T12:00:00+04:00", 24.0, True)
    assert (spasm.latest, spasm.understood, spasm.draft, spasm.note) == (True, True, False, None)
    assert (spasm.verified, spasm.by_text, spasm.bound) == (True, False, None)


def code_only_draft(code: str, system: str = RXNORM) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": "rx9",
        "status": "draft",
        "medicationCodeableConcept": {"coding": [{"system": system, "code": code}]},
    }


def test_a_draft_known_only_by_a_code_no_list_holds_is_a_data_check_item() -> None:
    """An RxNorm product code with no words (ibuprofen 400 mg as 197805, unlisted): its
    caution cannot be checked, so the clinician is told, never left with silence (ER review)."""
    (issue,) = extract_facts((), (code_only_draft("197805"),), CTX).issues
    assert issue.rid == "MedicationRequest/rx9"
    assert "known only by its code (197805" in issue.message


@pytest.mark.parametrize("code", ["197806", "6470", "5640"])
def test_a_draft_known_by_a_listed_code_needs_no_words(code: str) -> None:
    extraction = extract_facts((), (code_only_draft(code),), CTX)
    assert extraction.issues == [] and extraction.facts


def test_a_draft_with_words_is_read_by_its_words_not_flagged() -> None:
    draft = code_only_draft("197805")
    draft["medicationCodeableConcept"]["text"] = "Ibuprofen 400 mg tablet"
    extraction = extract_facts((), (draft,), CTX)
    assert extraction.issues == [] and by_vs(extraction.facts, "ibuprofen")


@pytest.mark.parametrize("status", ["resolved", "inactive", "remission"])
def test_a_past_gi_bleed_or_ulcer_still_counts_other_past_conditions_do_not(status: str) -> None:
    """A healed GI bleed is still the strongest reason to be careful with an NSAID (ER
    physician review); a resolved back pain or diabetes entry says nothing now."""

    def past(cid: str, code: str | None, text: str | None = None) -> dict[str, Any]:
        concept: dict[str, Any] = {"text": text} if text else {}
        if code:
            concept["coding"] = [{"system": ICD10, "code": code}]
        return {
            "resourceType": "Condition",
            "id": cid,
            "clinicalStatus": {"coding": [{"code": status}]},
            "code": concept,
            "recordedDate": "2025-01-10",
        }

    facts = facts_of(
        past("b1", "K92.2"),
        past("b2", None, "History of upper GI bleed"),
        past("u1", "K25.9"),
        past("p1", "M54.50"),
        past("d1", "E11.9"),
    )
    assert {f.rid for f in by_vs(facts, "gi_bleeding")} == {"Condition/b1", "Condition/b2"}
    assert {f.rid for f in by_vs(facts, "peptic_ulcer")} == {"Condition/u1"}
    assert {f.rid for f in facts} == {"Condition/b1", "Condition/b2", "Condition/u1"}


@pytest.mark.parametrize(
    "sent, celsius, said",
    [(101.5, 38.6111, "101.5 °F"), (38.6, 38.6, "38.6 °C"), (98.6, 37.0, "98.6 °F")],
)
def test_a_temperature_without_a_unit_is_read_by_its_range(
    sent: float, celsius: float, said: str
) -> None:
    """°C and °F ranges a living patient can show do not overlap: 101.5 can only be °F, a
    fever; 98.6 a normal °F reading, not a data-check item (ER physician review)."""
    reading = temperature_reading({"value": sent})
    assert (reading.value, reading.unit, reading.understood) == (celsius, "Cel", True)
    assert reading.source_value == f"{said} (sent without a unit)"


@pytest.mark.parametrize("sent", [60, 12, 130])
def test_a_unitless_temperature_in_no_range_stays_a_data_check_item(sent: float) -> None:
    reading = temperature_reading({"value": sent})
    assert not reading.understood and "has no unit" in (reading.note or "")


def temperature_reading(quantity: dict[str, Any]) -> Fact:
    (fact,) = by_vs(
        facts_of(
            {
                "resourceType": "Observation",
                "id": "t",
                "status": "final",
                "code": {"coding": [{"system": LOINC, "code": "8310-5"}]},
                "effectiveDateTime": "2026-11-26T06:00:00+00:00",
                "valueQuantity": quantity,
            }
        ),
        "fever_temperature_obs",
    )
    return fact


def test_a_code_sent_alone_is_named_by_the_pack_and_a_sent_name_is_kept() -> None:
    def fever(display: str | None) -> dict[str, Any]:
        coding = {"system": ICD10, "code": "R50.9"}
        if display is not None:
            coding["display"] = display
        return {
            "resourceType": "Condition",
            "id": "f",
            "code": {"coding": [coding]},
            "recordedDate": "2026-11-25",
        }

    (alone,) = by_vs(facts_of(fever(None)), "fever_condition")
    assert alone.display == "Fever, unspecified"
    (named,) = by_vs(facts_of(fever("Fever after surgery")), "fever_condition")
    assert named.display == "Fever after surgery"


def test_draft_order_medication_sent_among_the_drafts() -> None:
    """A draft's Medication sent beside it in draftOrders, by id or by a urn fullUrl."""
    draft = medication_request("draft", medicationReference={"reference": "Medication/m9"})
    del draft["medicationCodeableConcept"]
    med = {"resourceType": "Medication", "id": "m9", "code": coded(RXNORM, "5640")}
    assert by_vs(facts_of(drafts=(draft, med)), "ibuprofen")
    urn = "urn:uuid:0f0e0d0c-0000-4000-8000-000000000009"
    by_url = medication_request("draft", medicationReference={"reference": urn})
    del by_url["medicationCodeableConcept"]
    unnamed = {"resourceType": "Medication", "code": coded(RXNORM, "5640")}
    facts = extract_facts((), (by_url, unnamed), CTX, {urn: unnamed}).facts
    assert by_vs(facts, "ibuprofen")
    assert not by_vs(extract_facts((), (by_url, unnamed), CTX).facts, "ibuprofen")


def test_a_draft_order_with_a_misspelt_type_is_named() -> None:
    """A draft sent as 'medicationrequest' was ignored in silence (integrator review): its
    cautions were never checked, and nothing said so."""
    draft = {**medication_request("draft"), "resourceType": "medicationrequest"}
    out = extract_facts((), (draft,), CTX)
    assert not by_vs(out.facts, "ibuprofen")
    (issue,) = out.issues
    assert "'medicationrequest', not 'MedicationRequest'; not checked" in issue.message
    other = {"resourceType": "NutritionOrder", "id": "n1", "status": "draft"}
    assert extract_facts((), (other,), CTX).issues == []  # an order no rule reads: nothing


@pytest.mark.parametrize(
    "rtype, said",
    [
        ("MedicationRequest ", "'MedicationRequest ', not 'MedicationRequest'"),
        ("MedicationOrder", "'MedicationOrder', which is no FHIR R4 resource type"),
        ("MedicationRequests", "'MedicationRequests', which is no FHIR R4 resource type"),
        ("MedicatonRequest", "'MedicatonRequest', which is no FHIR R4 resource type"),
    ],
)
def test_a_draft_order_of_no_fhir_type_is_named(rtype: str, said: str) -> None:
    """Second integrator round: DSTU2's MedicationOrder, a plural, a typo, a trailing blank."""
    draft = {**medication_request("draft"), "resourceType": rtype}
    (issue,) = extract_facts((), (draft,), CTX).issues
    assert said in issue.message


def test_a_medication_reference_given_by_its_display_alone_is_read() -> None:
    """A Reference may be its display alone (second integrator round)."""
    draft = medication_request("draft", medicationReference={"display": "Ibuprofen 400 mg"})
    del draft["medicationCodeableConcept"]
    out = extract_facts((), (draft,), CTX)
    assert by_vs(out.facts, "ibuprofen") and out.issues == []
