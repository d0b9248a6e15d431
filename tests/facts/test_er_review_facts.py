"""Facts-layer fixes from the emergency physician's review on EHR-shaped cases (rev-er):
vital-sign codes, comparators, cauda equina and leg-weakness words, GCS components, cauda
equina as history."""

from __future__ import annotations

from typing import Any

import pytest

from cds.facts.bounds import resolve_bounds
from cds.facts.model import Fact
from cds.pack.compile import compile_pack
from tests.facts.test_real_feeds import PACK, facts, obs, vs


@pytest.mark.parametrize(
    ("code", "valueset"),
    [
        ("8889-8", "heart_rate_obs"),  # heart rate by pulse oximetry
        ("8893-0", "heart_rate_obs"),  # by palpation
        ("20564-1", "oxygen_saturation_obs"),  # oxygen saturation in blood
        ("2708-6", "oxygen_saturation_obs"),
        ("59408-5", "oxygen_saturation_obs"),
        ("59417-6", "oxygen_saturation_obs"),
    ],
)
def test_vital_sign_codes_are_read(code: str, valueset: str) -> None:
    unit = "%" if valueset == "oxygen_saturation_obs" else "/min"
    (fact,) = vs(facts(obs(code, 84, unit)), valueset)
    assert fact.value == 84.0 and fact.understood and fact.verified


# ------------------------------------------------------------------ comparators are bounds


def bounded(code: str, comparator: str, value: float, unit: str, **kw: Any) -> Fact:
    res = obs(code, value, unit, **kw)
    res["valueQuantity"]["comparator"] = comparator
    (fact,) = [f for f in facts(res) if f.valueset != "gcs_obs"]  # gcs_obs: no rule
    return fact


def resolved(fact: Fact, settings: dict[str, Any] | None = None) -> Fact:
    (out,) = resolve_bounds([fact], compile_pack(PACK, "patient-view", settings or {}).reach)
    return out


def test_the_facts_layer_keeps_the_comparator() -> None:
    fact = bounded("59408-5", "<", 92, "%")
    assert (fact.bound, fact.value, fact.source_value) == ("<", 92.0, "<92 %")


@pytest.mark.parametrize(
    ("code", "comparator", "value", "unit", "verified", "low", "high"),
    [
        ("59408-5", "<", 85, "%", True, None, 91),  # certain: a sign
        ("59408-5", "<=", 91, "%", True, None, 91),
        ("59408-5", "<", 92, "%", False, None, 91),  # possible: data-check, below 91
        ("59408-5", ">", 90, "%", False, None, 91),
        ("8867-4", ">", 140, "/min", True, 131, None),
        ("8867-4", ">=", 131, "/min", True, 131, None),
        ("8867-4", ">", 130, "/min", False, 131, None),
        ("8867-4", "<", 140, "/min", False, 131, None),  # possible fast rate
        ("8867-4", "<", 100, "/min", False, None, 40),  # below 100 includes 40 and less
    ],
)
def test_a_bound_is_a_sign_only_when_certain_else_a_data_check_value(
    code: str,
    comparator: str,
    value: float,
    unit: str,
    verified: bool,
    low: float | None,
    high: float | None,
) -> None:
    out = resolved(bounded(code, comparator, value, unit))
    assert out.verified is verified and out.value is not None
    assert (low is None or out.value >= low) and (high is None or out.value <= high)
    assert out.source_value == f"{comparator}{value} {unit}"  # the evidence shows the bound
    assert out.note is not None and "bound" in out.note


def test_a_bound_that_rules_the_sign_out_crosses_no_threshold() -> None:
    out = resolved(bounded("59408-5", ">", 95, "%"))
    assert out.verified is False and out.value is not None and out.value > 95


def test_a_strict_bound_at_the_threshold_is_not_certain() -> None:
    # GCS "<15" is below 15 (certain); "<=15" may be 15 (possible only)
    assert resolved(bounded("9269-2", "<", 15, "{score}")).verified is True
    out = resolved(bounded("9269-2", "<=", 15, "{score}"))
    assert out.verified is False and out.value is not None and out.value < 15


def test_the_site_threshold_moves_the_verdict() -> None:
    fact = bounded("59408-5", "<", 93, "%")
    assert resolved(fact).verified is False
    assert resolved(fact, {"oxygen_saturation_low": 93}).verified is True


def test_an_unverified_bound_stays_unverified_even_when_certain() -> None:
    out = resolved(bounded("59408-5", "<", 85, "%", status="preliminary"))
    assert out.verified is False and out.value is not None and out.value <= 91


def written(code: str, text: str) -> Fact:
    res = obs(code, 0, "%")
    res["valueString"] = text
    del res["valueQuantity"]
    (fact,) = [f for f in facts(res) if f.valueset != "gcs_obs"]
    return fact


@pytest.mark.parametrize(
    ("text", "comparator", "verified", "shown"),
    [
        ("< 88 %", "<", True, "<88 %"),  # a device's floor, spaced: certain, a sign
        ("<92 %", "<", False, "<92 %"),  # possible only: a data-check value
        ("\u2264 85 %", "<=", True, "<=85 %"),
    ],
)
def test_a_bound_written_as_text_is_read_as_the_quantity_bound(
    text: str, comparator: str, verified: bool, shown: str
) -> None:
    fact = written("59408-5", text)
    assert (fact.bound, fact.understood, fact.source_value) == (comparator, True, shown)
    assert resolved(fact).verified is verified


@pytest.mark.parametrize("text", [">140", "200-300 /min", "~140 /min", "> 140 bpm, irregular"])
def test_text_that_is_not_one_bound_and_unit_stays_unread(text: str) -> None:
    fact = written("8867-4", text)
    assert fact.bound is None and not fact.understood


def test_an_unknown_comparator_is_a_value_not_understood() -> None:
    fact = bounded("59408-5", "ad", 85, "%")
    assert not fact.understood and fact.note and "comparator" in fact.note


# ------------------------------------------------------------------ cauda equina and weakness


def problem(text: str | None = None, code: str | None = None, onset: str = "2026-11-26") -> dict:
    concept: dict[str, Any] = {"text": text} if text else {}
    if code:
        concept["coding"] = [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code}]
    return {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": concept,
        "onsetDateTime": onset,
    }


@pytest.mark.parametrize(
    ("text", "code", "valueset"),
    [
        (None, "N39.490", "urinary_incontinence"),
        (None, "N39.42", "urinary_incontinence"),
        ("Incontinence", None, "urinary_incontinence"),
        ("Cannot feel toilet paper when wiping", None, "saddle_anesthesia"),
        ("Numbness in buttocks and groin", None, "saddle_anesthesia"),
        ("Numbness between the legs and around the anus", None, "saddle_anesthesia"),
        ("RLE weakness", None, "leg_weakness"),
        ("LLE weakness", None, "leg_weakness"),
        ("Weakness of left leg", None, "leg_weakness"),
        ("Weakness of right leg", "R29.898", "leg_weakness"),
        ("Weak legs since yesterday", None, "leg_weakness"),
    ],
)
def test_cauda_equina_and_weakness_words_and_codes(
    text: str | None, code: str | None, valueset: str
) -> None:
    (fact,) = vs(facts(problem(text, code)), valueset)
    assert fact.by_text is (code is None or code == "R29.898")


@pytest.mark.parametrize(
    ("text", "valueset"),
    [
        ("Denies incontinence", "urinary_incontinence"),
        ("No bowel or bladder incontinence", "urinary_incontinence"),
        ("Fecal incontinence", "urinary_incontinence"),
        ("No leg weakness", "leg_weakness"),
        ("Denies RLE weakness", "leg_weakness"),
        ("Generalized weakness", "leg_weakness"),
        ("Denies numbness between the legs", "saddle_anesthesia"),
    ],
)
def test_negated_or_other_words_are_not_the_sign(text: str, valueset: str) -> None:
    assert vs(facts(problem(text)), valueset) == []


def test_an_old_overflow_incontinence_is_outside_the_symptom_window() -> None:
    (fact,) = vs(facts(problem(code="N39.490", onset="2023-01-10")), "urinary_incontinence")
    assert fact.age_h > 14 * 24  # the rule's symptom window leaves it out


# ------------------------------------------------------------------ differential diagnoses


def test_a_differential_diagnosis_is_no_sign_but_counts_where_history_does() -> None:
    def verified_as(status: str, code: str) -> list[str]:
        res = problem(code=code)
        res["verificationStatus"] = {"coding": [{"code": status}]}
        return [f.valueset for f in facts(res)]

    assert "cauda_equina_syndrome" in verified_as("provisional", "G83.4")
    assert "cauda_equina_syndrome" not in verified_as("differential", "G83.4")
    assert "diabetes" in verified_as("differential", "E11.9")  # not a current sign: counts
    # never silent either (er26 d17): a data-check item asks whether it was ruled out, and a
    # red flag on the differential is what an image may be for
    ces = verified_as("differential", "G83.4")  # also a red flag in the history (G83.4)
    assert ces == ["imaging_red_flags_history", "sign_on_differential", "suspected_red_flag"]
    assert verified_as("differential", "R33.9") == ["sign_on_differential", "suspected_red_flag"]
    assert verified_as("differential", "R06.02") == ["sign_on_differential"]  # no red flag
    assert "sign_on_differential" not in verified_as("provisional", "R33.9")
    assert "sign_on_differential" not in verified_as("differential", "E11.9")
    assert verified_as("refuted", "G83.4") == []
    # words that suspect it already ("r/o CES" on the differential): one suspicion, not two
    res = problem(text="r/o cauda equina syndrome")
    res["verificationStatus"] = {"coding": [{"code": "differential"}]}
    assert [f.valueset for f in facts(res)] == ["sign_on_differential", "suspected_red_flag"]


def test_a_cancer_in_remission_is_still_cancer_in_the_history() -> None:
    for clinical in ("remission", "resolved", "inactive"):  # er26 o35
        res = problem(code="Z85.3")
        res["clinicalStatus"] = {"coding": [{"code": clinical}]}
        assert vs(facts(res), "malignancy") != [], clinical
    res = problem(code="R33.9")
    res["clinicalStatus"] = {"coding": [{"code": "resolved"}]}
    assert facts(res) == []  # a resolved sign still counts for nothing


# ------------------------------------------------------------------ a code closed by its words


@pytest.mark.parametrize(
    ("text", "code", "valueset", "counts"),
    [
        ("Urinary retention, resolved", "R33.9", "urinary_retention", False),  # er18 a33
        ("Urinary retention, resolved.", "R33.9", "urinary_retention", False),
        ("Urinary retention, not resolved", "R33.9", "urinary_retention", True),
        ("Urinary retention (resolved)", "R33.9", "urinary_retention", False),  # er18b b23
        ("Urinary retention - resolved", "R33.9", "urinary_retention", False),  # er18b g11
        (
            "Urinary retention, resolved after foley removal",  # er18b g12
            "R33.9",
            "urinary_retention",
            False,
        ),
        ("RLE weakness - resolved 12/3", "G83.11", "leg_weakness", False),
        ("RLE weakness", "G83.11", "leg_weakness", True),
        (
            "Urinary retention, resolved after foley removal but back today",
            "R33.9",
            "urinary_retention",
            True,
        ),
        ("Urinary retention non-resolved", "R33.9", "urinary_retention", True),
        (
            "Urinary retention, resolved with catheter, recurred today",
            "R33.9",
            "urinary_retention",
            True,
        ),
        ("Urinary retention", "R33.9", "urinary_retention", True),
        ("Peptic ulcer, resolved", "K27.9", "peptic_ulcer", True),  # counts resolved
        ("Type 2 diabetes, resolved", "E11.9", "diabetes", True),  # history counts, as in words
    ],
)
def test_a_coded_sign_whose_own_words_close_it_is_no_sign(
    text: str, code: str, valueset: str, counts: bool
) -> None:
    """A clinicalStatus left active beside the clinician's own ", resolved" (or "(resolved)",
    " - resolved", ", resolved after foley removal"): the words win, as they do for the same
    words without a code, and only for a current sign or symptom."""
    found = [f.valueset for f in facts(problem(text, code))]
    assert (valueset in found) is counts


# ------------------------------------------------------------------ a code narrowed by its words


@pytest.mark.parametrize(
    ("text", "code", "counts"),
    [
        ("Urinary incontinence, stress", "R32", False),  # er18b b21
        ("Stress urinary incontinence", "R32", False),
        ("Urinary incontinence (SUI)", "R32", False),
        ("Urinary incontinence", "R32", True),
        ("Urinary incontinence since last night, no stress test done", "R32", True),
    ],
)
def test_a_code_does_not_count_where_its_words_name_a_kind_the_set_leaves_out(
    text: str, code: str, counts: bool
) -> None:
    """R32 (unspecified) beside words saying the stress kind: read as the words say, a
    pelvic-floor leak, not the bladder of cauda equina (`excluded_by_text`)."""
    found = [f.valueset for f in facts(problem(text, code))]
    assert ("urinary_incontinence" in found) is counts
