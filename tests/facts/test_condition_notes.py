"""A Condition's notes (er29, brief notes24): each Annotation's text is read for signs as a
history of present illness is, for a Condition that counts, dated by the note's own time (else
its record's last update, else the later of onset and recordedDate); the evidence names the
Condition and shows the note's words; a note the Condition's own code already says as recently
adds no second evidence line; malformed notes are passed over without an error, or said as a
data-check item when they hold words."""

from __future__ import annotations

from typing import Any

import pytest

from cds.facts.model import Fact
from tests.facts.test_observation_text import NOW, facts_of

INCONT = "Urinary incontinence this AM."
LBP = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]}
RETENTION = {
    "coding": [
        {
            "system": "http://hl7.org/fhir/sid/icd-10-cm",
            "code": "R33.9",
            "display": "Retention of urine, unspecified",
        }
    ]
}
SIGNS = {"urinary_incontinence", "urinary_retention", "numbness_paresthesia", "leg_weakness"}


def problem(
    notes: Any,
    *,
    code: dict[str, Any] | None = None,
    clinical: str | None = "active",
    verification: str | None = None,
    onset: str | None = "2026-11-01T08:00:00Z",
    recorded: str | None = None,
    updated: str | None = None,
) -> dict[str, Any]:
    """A problem-list Condition (low back pain begun 25 days before NOW, by default)."""
    res: dict[str, Any] = {"resourceType": "Condition", "id": "c1", "code": code or LBP}
    if clinical is not None:
        res["clinicalStatus"] = {"coding": [{"code": clinical}]}
    if verification is not None:
        res["verificationStatus"] = {"coding": [{"code": verification}]}
    if onset is not None:
        res["onsetDateTime"] = onset
    if recorded is not None:
        res["recordedDate"] = recorded
    if updated is not None:
        res["meta"] = {"lastUpdated": updated}
    res["note"] = notes
    return res


def sign_facts(res: dict[str, Any]) -> list[Fact]:
    return [f for f in facts_of(res)[0] if f.valueset in SIGNS]


def test_a_note_names_the_sign_with_its_words_the_condition_and_its_own_time() -> None:
    (fact,) = sign_facts(problem([{"text": INCONT, "time": "2026-11-26T05:00:00Z"}]))
    assert fact.valueset == "urinary_incontinence" and fact.kind == "condition"
    assert fact.rid == "Condition/c1"
    assert fact.display.endswith(f": {INCONT}") and fact.display.startswith("Note on ")
    assert fact.time == "2026-11-26T05:00:00Z" and fact.age_h == 3.0 and fact.time_known
    assert fact.by_text and fact.verified and fact.understood


@pytest.mark.parametrize(
    "text, valueset",
    [
        ("New left leg numbness since yesterday.", "numbness_paresthesia"),
        ("Denies:\n- fever\n- chills\nUrinary retention since last night", "urinary_retention"),
    ],
)
def test_a_note_is_read_as_an_hpi_row_is(text: str, valueset: str) -> None:
    (fact,) = sign_facts(problem([{"text": text, "time": "2026-11-26T05:00:00Z"}]))
    assert fact.valueset == valueset


@pytest.mark.parametrize(
    "text",
    ["No incontinence", "Return for fever", "h/o urinary retention 2019", "Denies numbness"],
)
def test_a_negated_advice_or_history_note_gives_nothing(text: str) -> None:
    facts, issues = facts_of(problem([{"text": text, "time": "2026-11-26T05:00:00Z"}]))
    assert not [f for f in facts if f.display.startswith("Note on")] and not issues


def test_a_sign_after_a_denials_list_in_a_note_is_asked_about() -> None:
    res = problem([{"text": "Denies:\n- fever\n- NEW urinary retention", "time": NOW.isoformat()}])
    facts = facts_of(res)[0]
    assert {f.valueset for f in facts if f.display.startswith("Note on")} == {"sign_after_denial"}


@pytest.mark.parametrize(
    "given",
    [
        {"clinical": "resolved"},
        {"clinical": "inactive"},
        {"clinical": "remission"},
        {"verification": "refuted"},
        {"verification": "entered-in-error"},
    ],
)
def test_a_condition_that_does_not_count_has_no_note_read(given: dict[str, str]) -> None:
    assert not sign_facts(problem([{"text": INCONT, "time": "2026-11-26T05:00:00Z"}], **given))


@pytest.mark.parametrize("clinical", [None, "recurrence", "relapse"])
def test_a_condition_that_counts_has_its_notes_read(clinical: str | None) -> None:
    res = problem([{"text": INCONT, "time": "2026-11-26T05:00:00Z"}], clinical=clinical)
    assert [f.valueset for f in sign_facts(res)] == ["urinary_incontinence"]


def test_a_note_without_a_time_is_dated_at_its_records_last_update() -> None:
    (fact,) = sign_facts(problem([{"text": INCONT}], updated="2026-11-25T08:00:00Z"))
    assert fact.time == "2026-11-25T08:00:00Z" and fact.age_h == 24.0
    assert fact.note is not None and "last update" in fact.note


def test_without_a_last_update_the_later_of_onset_and_recorded_date() -> None:
    res = problem([{"text": INCONT}], recorded="2026-11-20T08:00:00Z")
    (fact,) = sign_facts(res)
    assert fact.time == "2026-11-20T08:00:00Z" and fact.age_h == 144.0
    (fact,) = sign_facts(problem([{"text": INCONT}]))  # onset alone: 25 days, outside windows
    assert fact.time == "2026-11-01T08:00:00Z"


def test_a_note_dated_after_the_evaluation_time_is_a_data_issue_not_a_sign() -> None:
    facts, issues = facts_of(problem([{"text": INCONT, "time": "2026-11-28T08:00:00Z"}]))
    assert not [f for f in facts if f.valueset in SIGNS]
    assert len(issues) == 1 and "a note on" in issues[0] and "after the evaluation" in issues[0]


@pytest.mark.parametrize(
    "notes",
    [5, [{"text": 5}], [{"text": None}], [{"time": "2026-11-26T05:00:00Z"}], [{"text": "   "}]],
)
def test_a_malformed_note_with_no_words_is_passed_over(notes: Any) -> None:
    facts, issues = facts_of(problem(notes))
    assert not [f for f in facts if f.valueset in SIGNS] and not issues


@pytest.mark.parametrize(
    "notes",
    [INCONT, [INCONT], [None, 5, [INCONT]], [{"text": [INCONT]}]],
)
def test_a_malformed_note_with_words_is_a_data_check_item_not_silence(notes: Any) -> None:
    facts, issues = facts_of(problem(notes))
    assert not [f for f in facts if f.valueset in SIGNS]
    (issue,) = issues
    assert issue.startswith("A note on ") and issue.endswith(" could not be read")


def test_one_annotation_sent_alone_is_read_as_a_list_of_one() -> None:
    (fact,) = sign_facts(problem({"text": INCONT, "time": "2026-11-26T05:00:00Z"}))
    assert fact.valueset == "urinary_incontinence"


def test_a_time_that_is_not_a_string_leaves_the_note_undated() -> None:
    res = problem([{"text": INCONT, "time": 5}], updated="2026-11-25T08:00:00Z")
    (fact,) = sign_facts(res)
    assert fact.time == "2026-11-25T08:00:00Z"


def test_a_sign_said_by_code_and_note_alike_is_one_evidence_line() -> None:
    when = "2026-11-25T08:00:00Z"
    res = problem(
        [{"text": "Urinary retention since last night", "time": when}], code=RETENTION, onset=when
    )
    (fact,) = sign_facts(res)
    assert fact.display == "Retention of urine, unspecified"  # the code's own fact


def test_a_newer_note_adds_its_line_to_an_older_code() -> None:
    res = problem(
        [{"text": "Urinary retention worse today", "time": "2026-11-26T05:00:00Z"}],
        code=RETENTION,
        onset="2026-10-01T08:00:00Z",
    )
    facts = sign_facts(res)
    assert [f.display.startswith("Note on") for f in facts] == [False, True]
    assert facts[1].age_h == 3.0


def test_a_note_with_a_number_keeps_its_line_beside_the_code() -> None:
    fever = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "R50.9"}]}
    when = "2026-11-25T08:00:00Z"
    res = problem([{"text": "Tmax 101.5 at home", "time": when}], code=fever, onset=when)
    measured = [f for f in facts_of(res)[0] if f.valueset == "fever_condition" and f.value]
    assert len(measured) == 1 and measured[0].display.startswith("Note on")


def test_a_problem_in_no_value_set_still_has_its_notes_read() -> None:
    htn = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I10"}]}
    (fact,) = sign_facts(problem([{"text": INCONT, "time": "2026-11-26T05:00:00Z"}], code=htn))
    assert fact.valueset == "urinary_incontinence" and fact.rid == "Condition/c1"


def test_notes_of_a_differential_condition_are_read_for_their_own_findings() -> None:
    ces = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "G83.4"}]}
    res = problem(
        [{"text": "Urinary retention since last night", "time": "2026-11-26T05:00:00Z"}],
        code=ces,
        verification="differential",
    )
    assert [f.valueset for f in sign_facts(res)] == ["urinary_retention"]
