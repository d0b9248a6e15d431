"""The seventh physician round (er21): danger signs a flowsheet row or a problem writes in
words, read through the pack's text patterns (`found_in_observation_text`): a level of
consciousness below alert (G2), trouble breathing (G3), leg weakness rows (G4), numbness
named by its place (G5) and a spreading pain (G6); their look-alikes say nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cds.facts.extract import FactContext, extract_facts
from cds.facts.model import Fact
from cds.pack.load import load_pack

PACK = load_pack()
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CTX = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=UTC)


def row(name: str, value: Any, *, kind: str = "valueString") -> dict[str, Any]:
    """A final flowsheet row three hours old: its name as words, its value as ``kind``."""
    return {
        "resourceType": "Observation",
        "id": "row",
        "status": "final",
        "code": {"coding": [{"system": "urn:oid:1.2.3.4", "code": "77"}], "text": name},
        "effectiveDateTime": "2026-11-26T05:00:00Z",
        kind: value,
    }


def problem(text: str) -> dict[str, Any]:
    """An active text-only Condition with an onset three hours ago."""
    return {
        "resourceType": "Condition",
        "id": "problem",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": text},
        "onsetDateTime": "2026-11-26T05:00:00Z",
    }


def read(*resources: dict[str, Any]) -> tuple[list[Fact], list[str]]:
    out = extract_facts(resources, (), CTX)
    return out.facts, [i.headline or i.message for i in out.issues]


def signs(*resources: dict[str, Any]) -> set[str]:
    return {f.valueset for f in read(*resources)[0] if f.kind == "condition"}


# --- G2: the level of consciousness ---------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("Level of Consciousness", "Responds to voice"),
        ("Level of Consciousness", "Responds to pain"),
        ("Level of Consciousness", "Unresponsive"),
        ("Level of Consciousness", "Obtunded"),
        ("Level of Consciousness", "Stuporous"),
        ("AVPU", "V"),
        ("AVPU", "P"),
        ("AVPU", "U"),
        ("ACVPU", "Voice"),
        ("ACVPU", "Pain"),
        ("ACVPU", "Unresponsive"),
        ("LOC", "Lethargic"),
    ],
)
def test_a_level_below_alert_in_words_is_drowsiness(name: str, value: str) -> None:
    facts, issues = read(row(name, value))
    assert "drowsiness" in {f.valueset for f in facts if f.kind == "condition"}
    assert issues == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("Level of Consciousness", "Alert"),
        ("Level of Consciousness", "Alert and oriented"),
        ("Level of Consciousness", "Alert, responds to voice"),
        # nursing shorthand for a conversant patient (eighth physician round, er22 G6)
        ("Level of Consciousness", "Responds to voice appropriately"),
        ("AVPU", "A"),
        ("AVPU", "Alert"),
        ("ACVPU", "Alert"),
        ("LOC", "Alert"),
        ("LOC", "No"),
        ("Pain reassessment", "Responds to pain medication"),
    ],
)
def test_alert_and_look_alikes_say_nothing(name: str, value: str) -> None:
    assert read(row(name, value)) == ([], [])


def test_acvpu_c_is_a_new_confusion() -> None:
    assert signs(row("ACVPU", "C")) == {"confusion"}


def test_unresponsive_as_a_problem_is_drowsiness_and_a_pain_unresponsive_to_treatment_is_not() -> (
    None
):
    assert "drowsiness" in signs(problem("Unresponsive"))
    assert "drowsiness" not in signs(problem("Back pain unresponsive to NSAIDs"))
    assert "drowsiness" not in signs(problem("LBP unresponsive to conservative treatment"))


@pytest.mark.parametrize("value", ["Yes", "Y", "+"])
def test_a_row_named_only_loc_answered_yes_is_neither_a_faint_nor_drowsiness(value: str) -> None:
    """Loss of consciousness or level of consciousness: the row does not say which, so its
    own value set (loc_unclear), whose only rule is a data-check item."""
    assert signs(row("LOC", value)) == {"loc_unclear"}
    rules = [r for r in PACK.rules.values() if any("loc_unclear" in str(p) for p in r.when)]
    assert [r.topic for r in rules] == ["data-check"]


# --- G3: trouble breathing ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("Respiratory effort", "Labored"),
        ("Breathing", "labored"),
        ("Work of breathing", "Increased"),
        ("Respiratory distress", "moderate"),
    ],
)
def test_labored_breathing_and_distress_in_a_row_are_trouble_breathing(
    name: str, value: str
) -> None:
    facts, issues = read(row(name, value))
    assert "dyspnea" in {f.valueset for f in facts if f.kind == "condition"}
    assert issues == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("Respiratory distress", "none"),
        ("Respiratory effort", "Unlabored"),
        ("Respiratory effort", "non-labored"),
        ("Breathing", "unlabored"),
        ("Work of breathing", "normal"),
        ("General appearance", "NAD"),
        ("Respiratory", "No respiratory distress, breathing unlabored"),
    ],
)
def test_unlabored_breathing_and_no_distress_say_nothing(name: str, value: str) -> None:
    facts, issues = read(row(name, value))
    assert [f for f in facts if f.kind == "condition"] == [] and issues == []


@pytest.mark.parametrize(
    "text, sign",
    [
        ("Labored breathing", True),
        ("Respiratory distress", True),
        ("increased work of breathing", True),
        ("no respiratory distress", False),
        ("breathing unlabored", False),
        ("NAD", False),
    ],
)
def test_trouble_breathing_in_a_problem_s_words(text: str, sign: bool) -> None:
    assert ("dyspnea" in signs(problem(text))) is sign


# --- G4: leg weakness rows ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, value, kind",
    [
        ("Strength Left Lower Extremity", "Decreased", "valueString"),
        ("Strength Left Lower Extremity", {"text": "Decreased"}, "valueCodeableConcept"),
        ("Dorsiflexion L", "4/5", "valueString"),
        ("Ankle dorsiflexion, left", "4/5", "valueString"),
        ("Left Leg Motor", "Weak", "valueString"),
        ("LLE motor", "weak", "valueString"),
        ("LLE Motor Response", {"text": "Weak"}, "valueCodeableConcept"),
        ("Left hip flexion", "4", "valueString"),
        ("LLE MOTOR STRENGTH", {"value": 3}, "valueQuantity"),
        ("LLE MOTOR STRENGTH", {"value": 0.0}, "valueQuantity"),
        ("Left hip flexion", 4, "valueInteger"),
    ],
)
def test_a_weak_leg_row_is_leg_weakness(name: str, value: Any, kind: str) -> None:
    facts, issues = read(row(name, value, kind=kind))
    assert {f.valueset for f in facts if f.kind == "condition"} == {"leg_weakness"}
    assert issues == []


@pytest.mark.parametrize(
    "name, value, kind",
    [
        ("Left hip flexion", "5", "valueString"),
        ("Dorsiflexion L", "5/5", "valueString"),
        ("Right Leg Motor", "Strong", "valueString"),
        ("LUE motor", "weak", "valueString"),
        ("Grip strength L", "3/5", "valueString"),
        ("Left wrist dorsiflexion", "4", "valueString"),
        ("Dorsiflexion L", "4/5 due to pain", "valueString"),
        ("LLE motor", "4/5 give-way", "valueString"),
        ("LLE MOTOR STRENGTH", {"value": 5}, "valueQuantity"),
        ("LLE MOTOR STRENGTH", {"value": 3.5}, "valueQuantity"),
        ("LLE MOTOR STRENGTH", {"value": 3, "comparator": "<"}, "valueQuantity"),
        ("LLE MOTOR STRENGTH", {"value": 3, "unit": "kg"}, "valueQuantity"),
        ("LLE MOTOR STRENGTH", True, "valueBoolean"),
        ("LUE MOTOR STRENGTH", {"value": 3}, "valueQuantity"),
        ("Pain score", {"value": 3}, "valueQuantity"),
        ("Pain score", 4, "valueInteger"),
    ],
)
def test_full_strength_an_arm_pain_and_other_numbers_say_nothing(
    name: str, value: Any, kind: str
) -> None:
    assert read(row(name, value, kind=kind)) == ([], [])


def test_a_bare_grade_in_a_preliminary_row_is_a_data_check_item() -> None:
    prelim = {
        **row("LLE MOTOR STRENGTH", {"value": 3}, kind="valueQuantity"),
        "status": "preliminary",
    }
    facts, issues = read(prelim)
    assert [f for f in facts if f.kind == "condition"] == []
    assert issues == ["“LLE MOTOR STRENGTH: 3” not yet verified (status preliminary)"]


def test_a_number_is_no_answer_to_a_row_named_for_a_sign() -> None:
    """A row named for a sign is in a value set: a number there is left as it was (no
    finding from it)."""
    facts, _ = read(row("Urinary incontinence", 2, kind="valueInteger"))
    assert [f for f in facts if f.kind == "condition"] == []


def test_a_strength_panel_reads_each_component_with_its_own_name() -> None:
    panel = {
        **row("Strength", "", kind="valueString"),
        "component": [
            {"code": {"text": "Right hip flexion"}, "valueString": "5"},
            {"code": {"text": "Left hip flexion"}, "valueString": "4"},
        ],
    }
    del panel["valueString"]
    facts, _ = read(panel)
    found = [f for f in facts if f.kind == "condition"]
    assert [(f.valueset, f.display) for f in found] == [("leg_weakness", "Left hip flexion: 4")]


# --- G5: numbness named by its place --------------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("Numbness", "L5 dermatome"),
        ("Numbness location", "L5 distribution"),
        ("Numbness", "L leg"),
        ("Numbness/tingling", "bilateral legs"),
        ("Tingling", "both legs"),
    ],
)
def test_a_numbness_row_valued_with_a_leg_or_a_lumbar_dermatome_is_leg_numbness(
    name: str, value: str
) -> None:
    facts, issues = read(row(name, value))
    assert {f.valueset for f in facts if f.kind == "condition"} == {"numbness_paresthesia"}
    assert issues == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("Numbness", "none"),
        ("Numbness", "denies"),
        ("Numbness", "fingers"),
        ("Tingling", "hands"),
        ("Numbness", "Y"),
        ("Numbness", "L5-S1"),
    ],
)
def test_a_numbness_row_naming_no_leg_says_nothing(name: str, value: str) -> None:
    assert read(row(name, value)) == ([], [])


@pytest.mark.parametrize(
    "text, sign",
    [
        ("Numbness: L leg", True),
        ("Numbness/tingling bilateral legs", True),
        ("Numbness/tingling both hands", False),
        ("denies numbness, legs feel heavy", False),
    ],
)
def test_numbness_named_by_its_place_in_a_problem(text: str, sign: bool) -> None:
    assert ("numbness_paresthesia" in signs(problem(text))) is sign


# --- G6: a spreading pain in an Observation's words -----------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [
        ("Pain reassessment", "Worse, now radiating down both legs"),
        ("History of present illness", "Pain now radiating down the left leg since this morning"),
        ("Pain radiating to legs", "Yes, new since yesterday, now below the knee"),
    ],
)
def test_a_spreading_pain_in_a_row_s_words_is_the_spread(name: str, value: str) -> None:
    facts, issues = read(row(name, value))
    assert "radiating_leg_pain" in {f.valueset for f in facts if f.kind == "condition"}
    assert issues == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("Pain radiating to legs", "Y"),
        ("Pain radiating to legs", "yes"),
        ("Pain radiating to legs", "N"),
        ("Pain radiation", "none"),
        ("Pain location", "Low back, radiating to L buttock"),
        ("Pain location", "Low back, no radiation"),
        ("Pain quality", "Aching, non-radiating"),
        ("Patient education", "Return if pain spreads to legs"),
    ],
)
def test_the_presenting_radiation_and_look_alikes_are_no_spread(name: str, value: str) -> None:
    facts, issues = read(row(name, value))
    assert [f for f in facts if f.kind == "condition"] == [] and issues == []
