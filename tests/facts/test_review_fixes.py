"""Fixes from the emergency physician's and the integrator's review: withdrawn copies, what a
draft order is for, coded answers that are symptoms, readable displays of converted readings,
future-dated readings named."""

from __future__ import annotations

from typing import Any

import pytest

from cds.facts.extract import extract_facts
from cds.facts.model import Fact
from tests.facts.test_real_feeds import CTX, PACK, facts, obs, vs

SNOMED = "http://snomed.info/sct"


def condition(rid: str, text: str, *, verification: str = "confirmed", **extra: Any) -> dict:
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"text": text},
        "onsetDateTime": "2026-11-26T10:00:00Z",
        **extra,
    }


# ------------------------------------------------------------------ 1. retraction


def test_newest_copy_entered_in_error_by_version_drops_every_copy() -> None:
    first = obs(value=150, meta={"versionId": "1"})
    second = obs(value=150, status="entered-in-error", meta={"versionId": "2"})
    out = extract_facts([first, second], [], CTX)
    assert vs(out.facts, "heart_rate_obs") == []
    assert out.issues == []  # withdrawn: not data to re-check either


def test_version_10_is_newer_than_version_9_numerically() -> None:
    older = obs(value=150, status="entered-in-error", meta={"versionId": "9"})
    newer = obs(value=150, meta={"versionId": "10"})
    assert [f.value for f in vs(facts(older, newer), "heart_rate_obs")] == [150.0]


def test_newest_by_last_updated_when_a_version_is_missing() -> None:
    first = obs(value=150, meta={"versionId": "1", "lastUpdated": "2026-11-26T10:01:00Z"})
    second = obs(value=150, status="entered-in-error", meta={"lastUpdated": "2026-11-26T10:30:00Z"})
    assert vs(facts(first, second), "heart_rate_obs") == []


def test_an_older_copy_in_error_withdraws_nothing() -> None:
    first = obs(value=80, status="entered-in-error", meta={"versionId": "1"})
    second = obs(value=150, meta={"versionId": "2"})
    assert [f.value for f in vs(facts(first, second), "heart_rate_obs")] == [150.0]


def test_copies_without_an_order_keep_every_counting_copy() -> None:
    first = obs(value=150)
    second = obs(value=150, status="entered-in-error")
    (kept,) = vs(facts(first, second), "heart_rate_obs")
    assert kept.value == 150.0
    assert kept.note is not None and "does not say which copy is newer" in kept.note


def test_newest_condition_copy_refuted_drops_every_copy() -> None:
    first = condition("c1", "Syncope", meta={"versionId": "1"})
    second = condition("c1", "Syncope", verification="refuted", meta={"versionId": "2"})
    assert vs(facts(first, second), "syncope_loc") == []


def test_an_older_copy_names_what_the_newer_copy_reads() -> None:
    first = obs(value=150, meta={"versionId": "1"})
    second = obs(
        value=82,
        status="corrected",
        meta={"versionId": "2", "lastUpdated": "2026-11-26T14:00:00Z"},
    )
    found = vs(facts(first, second), "heart_rate_obs")
    (high,) = [f for f in found if f.value == 150.0]  # still a sign (contract)
    assert high.note is not None
    assert "a newer copy (corrected, 2026-11-26 09:00) reads 82 /min" in high.note
    (low,) = [f for f in found if f.value == 82.0]
    assert low.note is not None and "newer copy" not in low.note


# ------------------------------------------------------------------ 2. what an order is for


def mri(reason: dict[str, Any] | None = None, ref: str | None = None) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": "mri1",
        "status": "draft",
        "code": {"coding": [{"system": "http://loinc.org", "code": "24968-0"}]},
    }
    if reason is not None:
        res["reasonCode"] = [reason]
    if ref is not None:
        res["reasonReference"] = [{"display": ref}]
    return res


def drafted(order: dict[str, Any]) -> list[Fact]:
    return extract_facts([], [order], CTX).facts


def test_suspected_cauda_equina_is_what_the_order_is_for_not_a_sign() -> None:
    found = drafted(mri({"text": "r/o cauda equina"}))
    assert vs(found, "cauda_equina_syndrome") == []  # no emergency card
    (reason,) = vs(found, "order_reason_red_flag")
    assert (reason.kind, reason.draft) == ("condition", True)


def test_concern_for_epidural_abscess_supports_imaging() -> None:
    found = drafted(mri(ref="concern for spinal epidural abscess"))
    assert [f.kind for f in vs(found, "order_reason_red_flag")] == ["condition"]
    assert vs(found, "imaging_red_flags_history") == []


def test_affirmed_reason_is_both_a_sign_and_the_order_reason() -> None:
    found = drafted(mri({"text": "cauda equina syndrome"}))
    assert len(vs(found, "cauda_equina_syndrome")) == 1
    assert len(vs(found, "order_reason_red_flag")) == 1


def test_negated_or_plain_reason_supports_nothing() -> None:
    assert vs(drafted(mri({"text": "no saddle anesthesia"})), "order_reason_red_flag") == []
    assert vs(drafted(mri({"text": "low back pain"})), "order_reason_red_flag") == []


def test_a_recorded_order_reason_is_no_order_reason_fact() -> None:
    order = mri({"text": "r/o cauda equina"}) | {"status": "active"}
    assert vs(facts(order), "order_reason_red_flag") == []


def test_a_problem_that_only_suspects_a_red_flag_is_what_imaging_is_for() -> None:
    # er19b A25: the record's doubt, not a sign (no cauda equina fact, no emergency card)
    found = facts(condition("c1", "LBP, can not rule out cauda equina"))
    (doubt,) = vs(found, "suspected_red_flag")
    assert doubt.rid == "Condition/c1" and doubt.time is not None
    assert vs(found, "cauda_equina_syndrome") == []


def test_a_red_flag_affirmed_ruled_out_or_resolved_is_no_suspicion() -> None:
    for entry in [
        condition("c1", "Cauda equina syndrome"),  # affirmed: a finding of its own
        condition("c2", "LBP, cauda equina ruled out"),
        condition("c3", "r/o cauda equina", clinicalStatus={"coding": [{"code": "resolved"}]}),
        condition("c4", "LBP, can not rule out muscle strain"),  # a doubt, no red flag
    ]:
        assert vs(facts(entry), "suspected_red_flag") == [], entry["code"]


def test_the_visits_reason_or_diagnosis_in_words_can_suspect_a_red_flag() -> None:
    visit = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "in-progress",
        "reasonCode": [{"text": "Back pain, r/o CES"}],
        "diagnosis": [{"condition": {"display": "possible spinal epidural abscess"}}],
    }
    assert len(vs(facts(visit), "suspected_red_flag")) == 2


def test_infection_words_are_a_red_flag() -> None:
    for words in ("spinal epidural abscess", "vertebral osteomyelitis", "L4-5 discitis"):
        assert "imaging_red_flags_history" in PACK.index.match([], words), words


# ------------------------------------------------------------------ 4. coded answers


def test_chief_complaint_syncope_is_a_condition_too() -> None:
    res = obs("8661-1", None)
    res["valueCodeableConcept"] = {"coding": [{"system": SNOMED, "code": "271594007"}]}
    kinds = sorted(f.kind for f in vs(facts(res), "syncope_loc"))
    assert kinds == ["condition", "observation"]


def test_acvpu_answer_keeps_its_observation_fact() -> None:
    res = obs("67775-7", None)
    res["valueCodeableConcept"] = {"text": "Voice"}
    assert "observation" in [f.kind for f in vs(facts(res), "acvpu_not_alert")]


def test_a_numeric_value_makes_no_condition() -> None:
    assert [f.kind for f in facts(obs(value=150))] == ["observation"]


# ------------------------------------------------------------------ 6. displays


def test_spo2_fraction_shows_the_converted_reading() -> None:
    (f,) = vs(facts(obs("59408-5", 0.89, "1")), "oxygen_saturation_obs")
    assert (f.value, f.source_value) == (89.0, "89 % (sent as 0.89)")


def test_vital_without_a_unit_shows_its_implied_unit() -> None:
    (f,) = vs(facts(obs("59408-5", 88, None)), "oxygen_saturation_obs")
    assert (f.value, f.source_value) == (88.0, "88 %")


def test_future_reading_is_named_in_its_data_issue() -> None:
    res = obs(value=150, when="2026-11-26T22:00:00Z")  # 5 h after 17:00 UTC
    res["code"]["coding"][0]["display"] = "Heart rate"
    out = extract_facts([res], [], CTX)
    assert vs(out.facts, "heart_rate_obs") == []
    (issue,) = out.issues
    assert issue.message.startswith("Heart rate 150 /min dated 2026-11-26 17:00")
    assert "5 h after the evaluation time" in issue.message


# ------------------------------------------------------------------ "PVR" in pulmonary units


def pvr(value: Any = None, unit: str | None = None, **extra: Any) -> dict:
    res = obs(value=value, unit=unit, **extra)
    res["code"] = {
        "coding": [{"system": "urn:oid:1.2.840.114350.1", "code": "3040"}],
        "text": "PVR",
    }
    return res


@pytest.mark.parametrize(
    "given",
    [
        pvr(3.2, "Wood units"),
        pvr(256, "dyn·s/cm⁵"),
        pvr(valueQuantity={"value": 3.2, "code": "[wood'U]"}),
        pvr(valueString="3.2 WU"),
    ],
)
def test_a_pvr_in_pulmonary_units_is_no_bladder_volume_nor_a_unit_to_recheck(given: dict) -> None:
    out = extract_facts([given], [], CTX)
    assert vs(out.facts, "post_void_residual_obs") == [] and out.issues == []


def test_a_pvr_in_a_bladder_unit_is_still_read() -> None:
    (fact,) = vs(facts(pvr(350, "cc")), "post_void_residual_obs")
    assert fact.value == 350.0 and fact.understood
