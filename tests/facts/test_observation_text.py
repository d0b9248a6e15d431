"""Exam findings sent as an Observation's words (`cds.facts.observation_text`): the row's name
and its value read together as a Condition's words are; a row named for a sign answered yes,
no or neither; unverified findings and a measure's words never a sign."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.call import request_call
from cds.facts.extract import FactContext, extract_facts
from cds.facts.model import Fact
from cds.hooks.registry import parse_hook_request
from cds.pack.load import load_pack
from cds.pipeline import Evaluator

PACK = load_pack()
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
CTX = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=UTC)
BASE = Path(__file__).resolve().parents[2] / "fhir_examples/back-spasm/heart-rate-131-card"
REQUEST: dict[str, Any] = json.loads((BASE / "request.json").read_text())
EVALUATOR = Evaluator(PACK)
DANGER = {"emergency-sign", "urgent-sign"}
E, U, D = "emergency-sign", "urgent-sign", "data-check"


def row(
    name: str | None,
    value: str,
    *,
    status: str | None = "final",
    loinc: str | None = None,
    when: str = "2026-11-26T05:00:00Z",
) -> dict[str, Any]:
    """An Observation as a flowsheet sends an exam row: its name as words, its value as words."""
    code: dict[str, Any] = (
        {"coding": [{"system": "http://loinc.org", "code": loinc, "display": name}]}
        if loinc
        else {"text": name}
        if name
        else {"coding": [{"system": "urn:oid:1.2.3.4", "code": "77"}]}
    )
    o: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "exam",
        "code": code,
        "effectiveDateTime": when,
        "valueString": value,
    }
    if status is not None:
        o["status"] = status
    return o


def facts_of(*resources: dict[str, Any]) -> tuple[list[Fact], list[str]]:
    out = extract_facts(resources, (), CTX)
    return out.facts, [i.headline or i.message for i in out.issues]


def signs(*resources: dict[str, Any]) -> set[str]:
    return {f.valueset for f in facts_of(*resources)[0] if f.kind == "condition"}


def topics(*resources: dict[str, Any]) -> set[str]:
    """Card topics for the example's low back pain plus ``resources`` as its observations."""
    request = copy.deepcopy(REQUEST)
    request["prefetch"]["observations"]["entry"] = [{"resource": r} for r in resources]
    request["prefetch"]["observations"]["total"] = len(resources)
    response = EVALUATOR.run(request_call(parse_hook_request(request), NOW)).response
    return {c.source.topic.code for c in response.cards if c.source.topic is not None}


@pytest.mark.parametrize(
    "name, value, loinc, sign",
    [
        ("Physical findings", "Neuro: L EHL 3/5, otherwise 5/5", "29545-1", "leg_weakness"),
        ("LLE MOTOR STRENGTH", "3/5", None, "leg_weakness"),
        ("Left lower extremity strength", "4-/5", None, "leg_weakness"),
        ("LLE Sensation", "Decreased to light touch", None, "numbness_paresthesia"),
        ("Rectal tone", "decreased", None, "fecal_incontinence"),
        ("Perineal sensation", "absent", None, "saddle_anesthesia"),
        ("Orientation", "A&Ox1", None, "confusion"),
        ("Mental status", "confused, new since this morning", None, "confusion"),
        ("Voiding", "Unable to void", None, "urinary_retention"),
        ("Urinary retention", "Y", None, "urinary_retention"),
        ("Urinary retention", "Yes - 900 mL on bladder scan", None, "urinary_retention"),
        ("Saddle anesthesia", "present", None, "saddle_anesthesia"),
        ("Fever", "subjective", None, "fever_condition"),
        ("CAM-ICU", "Positive", None, "confusion"),
        (None, "Neuro: decreased rectal tone", None, "fecal_incontinence"),
    ],
)
def test_a_finding_in_words_is_a_condition_of_its_sign(
    name: str | None, value: str, loinc: str | None, sign: str
) -> None:
    facts, issues = facts_of(row(name, value, loinc=loinc))
    found = [f for f in facts if f.kind == "condition" and f.valueset == sign]
    assert found and issues == []
    fact = found[0]
    assert fact.by_text and fact.rid == "Observation/exam"
    assert value in fact.display and (name or "") in fact.display  # the row's name and value
    assert fact.time == "2026-11-26T05:00:00Z" and fact.age_h == pytest.approx(3.0)


@pytest.mark.parametrize(
    "name, value",
    [
        ("LLE MOTOR STRENGTH", "5/5"),
        ("Physical findings", "Neuro: no focal deficit, strength 5/5 BLE, sensation intact"),
        ("CAM", "Negative"),
        ("Confusion Assessment Method", "negative"),
        ("Urinary retention", "no"),
        ("Urinary retention", "N"),
        ("Urinary retention", "No retention, voided 400 mL"),
        ("Saddle anesthesia", "deferred"),
        ("Saddle anesthesia", "not assessed"),
        ("Confusion", "WNL"),
        ("Confusion", "n/a"),
        ("Urinary incontinence", "0"),
        ("Rectal tone", "normal"),
        ("Rectal exam", "declined by patient"),
        ("Physical findings", "Strength 4/5 LLE due to pain, sensation intact"),
        ("Mental status", "confused at baseline (dementia)"),
        ("Bladder", "incontinent of urine at baseline"),
        ("POSS sedation score", "2 - slightly drowsy, easily aroused"),
        ("Patient education", "Return if numbness or weakness in legs"),
        ("Discharge teaching", "call 911 if loss of bladder control"),
        ("Hepatitis C virus Ab", "Reactive"),  # a lab result, never a diagnosis
        ("Chief complaint", "Lower back pain, no fever"),
    ],
)
def test_words_that_deny_doubt_or_say_nothing_make_no_finding(name: str, value: str) -> None:
    facts, issues = facts_of(row(name, value))
    assert [f.valueset for f in facts if f.kind == "condition"] == []
    assert issues == []


@pytest.mark.parametrize(
    "name, value",
    [
        ("Urinary retention", "see nursing note"),
        ("Urinary retention", "2"),
        ("Saddle anesthesia", "unclear"),  # a doubt the negation reader hears (er22 G3)
        ("Saddle anesthesia", "?"),
        ("Confusion", "no change"),
    ],
)
def test_a_sign_row_answered_neither_yes_nor_no_is_a_data_check_item(name: str, value: str) -> None:
    facts, issues = facts_of(row(name, value))
    assert [f for f in facts if f.kind == "condition"] == []
    assert issues == [f"“{name}: {value}”: answer not understood"]
    assert topics(row(name, value)) == {D}


@pytest.mark.parametrize(
    "name, value",
    [
        ("Urinary incontinence", "Yes, at baseline"),
        ("Urinary incontinence", "Y - chronic, wears briefs"),
        ("Urinary incontinence", "Yes, since prostatectomy 2019"),
        ("Urinary incontinence", "Yes (chronic)"),
        ("Bowel incontinence", "Y, baseline since stroke"),
        ("Confusion", "Yes - baseline (dementia)"),
        ("Confusion", "yes, long-standing"),
    ],
)
def test_a_yes_to_the_patients_usual_state_is_a_data_check_item_never_critical(
    name: str, value: str
) -> None:
    """A seventh-round false "call 911": the answer opens with yes, but what it says yes to is
    the patient's old state (chronic incontinence after a prostatectomy, dementia)."""
    facts, issues = facts_of(row(name, value))
    assert [f for f in facts if f.kind == "condition"] == []
    assert issues == [f"“{name}: {value}”: new or usual state?"]
    assert topics(row(name, value)) == {D}


@pytest.mark.parametrize(
    "name, value",
    [
        ("Urinary incontinence", "Yes, worse than baseline"),
        ("Confusion", "Yes - new, not at baseline per daughter"),
        ("Urinary incontinence", "Yes, new since last night"),
    ],
)
def test_a_yes_beyond_the_usual_state_is_the_sign(name: str, value: str) -> None:
    assert topics(row(name, value)) == {E}


@pytest.mark.parametrize("value", ["Pt denies", "patient denies", "Patient denied"])
def test_a_denial_in_the_patients_name_says_nothing(value: str) -> None:
    facts, issues = facts_of(row("Saddle anesthesia", value))
    assert [f for f in facts if f.kind == "condition"] == [] and issues == []


@pytest.mark.parametrize(
    "value, expected",
    [({"valueBoolean": True}, {E}), ({"valueBoolean": False}, set()), ({"valueInteger": 2}, {D})],
    ids=["true", "false", "a number"],
)
def test_a_sign_row_answered_by_a_boolean_or_a_count(
    value: dict[str, Any], expected: set[str]
) -> None:
    """Was silently nothing: a yes/no or a count is an answer too, in a row named for a sign."""
    exam = row("Urinary retention", "x")
    del exam["valueString"]
    exam.update(value)
    assert topics(exam) == expected


def test_a_boolean_or_a_count_in_a_row_named_for_no_sign_says_nothing() -> None:
    exam = row("Pain score", "x")
    del exam["valueString"]
    exam["valueInteger"] = 7
    assert facts_of(exam) == ([], [])


@pytest.mark.parametrize("status", ["preliminary", "registered", "unknown", None])
def test_an_unverified_finding_is_a_data_check_item_not_a_sign(status: str | None) -> None:
    exam = row("Physical findings", "Neuro: L EHL 3/5", status=status, loinc="29545-1")
    facts, issues = facts_of(exam)
    assert [f for f in facts if f.kind == "condition"] == []
    state = f"status {status}" if status else "no status"
    assert issues == [f"“Physical findings: Neuro: L EHL 3/5” not yet verified ({state})"]
    assert topics(exam) == {D}


def test_a_measures_words_stay_an_unreadable_reading_never_a_sign() -> None:
    """A temperature valued "febrile" is a reading that cannot be read (the contract: a
    data-check item, never an urgent sign by itself), not a clinician's statement of fever."""
    temp = row("Body temperature", "febrile", loinc="8310-5")
    assert signs(temp) == set()
    assert topics(temp) == {D}


def test_a_coded_answer_is_read_once() -> None:
    """A chief complaint coded Syncope makes one syncope finding (the coded answer's), not a
    second one from its words."""
    cc = row("Chief complaint", "x", loinc="8661-1")
    del cc["valueString"]
    cc["valueCodeableConcept"] = {
        "coding": [{"system": "http://snomed.info/sct", "code": "271594007", "display": "Syncope"}]
    }
    facts, _ = facts_of(cc)
    assert [f.valueset for f in facts if f.kind == "condition"] == ["syncope_loc"]


def test_a_value_in_words_of_a_coded_value_is_read_with_its_row() -> None:
    exam = row("Rectal tone", "x")
    del exam["valueString"]
    exam["valueCodeableConcept"] = {"text": "decreased"}
    assert signs(exam) == {"fecal_incontinence"}


def test_panel_components_are_read_each_with_its_own_name() -> None:
    panel = row("Neuro exam", "x")
    del panel["valueString"]
    panel["component"] = [
        {"code": {"text": "RLE motor strength"}, "valueString": "5/5"},
        {"code": {"text": "LLE motor strength"}, "valueString": "3/5"},
        {"code": {"text": "Saddle anesthesia"}, "valueString": "absent"},
    ]
    facts, issues = facts_of(panel)
    assert [(f.valueset, f.display) for f in facts if f.kind == "condition"] == [
        ("leg_weakness", "LLE motor strength: 3/5")
    ]
    assert issues == []


def test_a_finding_older_than_the_symptom_window_raises_no_card() -> None:
    assert topics(row("Rectal tone", "decreased", when="2026-11-06T05:00:00Z")) == set()
    assert topics(row("Rectal tone", "decreased")) == {E}


def test_a_whole_exam_note_is_shortened_on_the_card() -> None:
    note = "Neuro: L EHL 3/5. " + "Otherwise unremarkable, gait antalgic. " * 10
    facts, _ = facts_of(row("Physical findings", note, loinc="29545-1"))
    (fact,) = [f for f in facts if f.kind == "condition"]
    assert len(fact.display) == 160 and fact.display.endswith("…")
    assert fact.display.startswith("Physical findings: Neuro: L EHL 3/5.")


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("Physical findings", "Neuro: L EHL 3/5, otherwise 5/5", {U}),
        ("Rectal tone", "decreased", {E}),
        ("Orientation", "A&Ox1", {E}),
        ("Mental status", "no confusion", set()),
    ],
)
def test_the_same_words_as_a_condition_or_an_observation_raise_the_same_cards(
    name: str, value: str, expected: set[str]
) -> None:
    """Invariance: where the words sit (a problem's text, or an exam row) does not change what
    they say."""
    condition = {
        "resourceType": "Condition",
        "id": "said",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": f"{name}: {value}"},
        "recordedDate": "2026-11-26T05:00:00Z",
    }
    request = copy.deepcopy(REQUEST)
    request["prefetch"]["observations"]["entry"] = []
    request["prefetch"]["conditions"]["entry"].append({"resource": condition})
    response = EVALUATOR.run(request_call(parse_hook_request(request), NOW)).response
    as_condition = {c.source.topic.code for c in response.cards if c.source.topic is not None}
    assert as_condition & (DANGER | {D}) == expected
    assert topics(row(name, value)) & (DANGER | {D}) == expected


_SIGN_ROWS = ["Urinary retention", "Saddle anesthesia", "Confusion", "Bowel incontinence"]
_NOTHING = [
    "no",
    "N",
    "none",
    "neg",
    "negative",
    "absent",
    "denies",
    "-",
    "(-)",
    "0",
    "WNL",
    "normal",
    "intact",
    "n/a",
    "NA",
    "not assessed",
    "deferred",
    "refused",
    "unknown",
]


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(_SIGN_ROWS),
    st.sampled_from(_NOTHING),
    st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
    st.sampled_from(["", " ", ".", "  "]),
)
def test_a_sign_row_answered_no_is_never_a_finding(
    name: str, answer: str, case: Any, tail: str
) -> None:
    value = case(answer) + tail
    facts, issues = facts_of(row(name, value))
    assert [f for f in facts if f.kind == "condition"] == [] and issues == []


@pytest.mark.parametrize(
    "name", ["Urinary incontinence episodes", "Incontinent episodes", "# voids"]
)
def test_a_count_of_one_or_more_in_a_row_that_counts_the_sign_is_the_sign(name: str) -> None:
    """er21 v37, er22: two incontinence episodes is a yes, not an answer to ask about."""
    exam = row(name, "x")
    del exam["valueString"]
    exam["valueInteger"] = 2
    expected = set() if name == "# voids" else {E}  # voiding is no sign
    assert topics(exam) == expected


@pytest.mark.parametrize(
    "value",
    [
        "Chronic, worse than baseline",
        "Chronic - worse than baseline",
        "Yes - chronic but worse since yesterday",
    ],
)
def test_an_old_state_said_to_be_worse_is_the_sign(value: str) -> None:
    """Ninth physician round, er23 W2: "chronic" silenced the answer before "worse" was read."""
    assert topics(row("Urinary incontinence", value)) == {E}


@pytest.mark.parametrize("value", ["Yes, at baseline", "Yes (chronic)"])
def test_an_old_state_not_said_to_be_worse_stays_a_question(value: str) -> None:
    assert topics(row("Urinary incontinence", value)) == {D}
