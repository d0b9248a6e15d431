"""Tests for facts/negation.py (`listed_after_denial`) and facts/suspected.py
(`sign_after_denial`): a sign a denial's list reaches only as a later item that names its own
side or place ("(-) fever, numbness L leg") is neither denied nor affirmed, but a
``sign_after_denial`` fact (a data-check item), from a Condition's words, the visit's reason
and an Observation's words (brief neg22)."""

from __future__ import annotations

from typing import Any

import pytest

from cds.facts.extract import extract_facts
from cds.facts.negation import assertion, listed_after_denial
from tests.facts.test_real_feeds import CTX, PACK, facts, vs
from tests.facts.test_review_fixes import condition

LISTED = "sign_after_denial"


def read(text: str, term: str) -> tuple[str, bool]:
    i = text.lower().index(term.lower())
    return assertion(text, i, i + len(term)), listed_after_denial(text, i, i + len(term))


@pytest.mark.parametrize(
    "text, term",
    [
        ("(-) fever, numbness L leg", "numbness"),
        ("no fever, numbness L leg", "numbness"),
        ("Neg: fever, weakness R leg", "weakness"),
        ("denies fever, numbness in left foot", "numbness"),
        ("ROS (-) fever, chills, L leg numbness", "numbness"),
        ("(-) fever, numbness L5", "numbness"),
        ("no fever, L groin numbness", "groin numbness"),
        ("denies fever, weakness LLE", "weakness"),
        # a saddle place needs no side; two signs joined by "and" share theirs (er25c)
        ("no fever, numbness groin", "numbness groin"),
        ("no fever, numbness in groin", "numbness in groin"),
        ("Neg: fever, chills, groin numbness", "groin numbness"),
        ("no fever, numbness in genitals", "numbness in genitals"),
        ("no fever, numbness around the anus", "numbness around the anus"),
        ("no fever, numbness L groin", "numbness L groin"),
        ("no fever, numbness and weakness L leg", "weakness"),
        ("no fever, weakness and numbness R leg", "numbness"),
        ("no fever, foot drop L", "foot drop"),
    ],
)
def test_a_placed_later_item_is_uncertain_not_denied(text: str, term: str) -> None:
    assert read(text, term) == ("uncertain", True)


@pytest.mark.parametrize(
    "text, term, expected",
    [
        # no side or place of its own: a plain list item, denied as before
        ("(-) fever, chills, numbness", "numbness", "negated"),
        ("No fever, chills, sweats, weight loss or leg weakness", "leg weakness", "negated"),
        # its own denial, or the item right after the trigger
        ("(-) fever, (-) numbness L leg", "numbness", "negated"),
        ("denies numbness L leg", "numbness", "negated"),
        ("denies numbness L leg, fever", "numbness", "negated"),
        # a place shared by an "or" tail is the list's
        ("No numbness, tingling or weakness in BLE", "weakness", "negated"),
        ("No numbness, tingling or weakness R leg", "weakness", "negated"),
        ("denies fever, chills, numbness in groin or legs", "numbness in groin", "negated"),
        # both sides are no place of the item's own: a template's denial (er25c item 8)
        ("no fever, no chills, numbness bilateral legs", "numbness", "negated"),
        ("denies fever, numbness/tingling BLE", "numbness", "negated"),
        ("denies fever, weakness both legs", "weakness", "negated"),
        # a sign's own name is no place: "saddle" in "saddle anesthesia"
        ("(-) fever, saddle anesthesia", "saddle anesthesia", "negated"),
        ("denies saddle anesthesia", "saddle anesthesia", "negated"),
        # nor the words a cauda equina screen names it by (stop 22)
        ("no fever, perianal numbness", "perianal numbness", "negated"),
        (
            "Denies fever, chills, saddle anesthesia, perineal numbness, bowel or bladder"
            " incontinence",
            "perineal numbness",
            "negated",
        ),
        # a "(+)" or a new sentence ends the denial
        ("(-) fever, (+) numbness L leg", "numbness", "affirmed"),
        ("No fever. Numbness L leg", "Numbness", "affirmed"),
        # the denied first item stays denied; "Neg:" opens a denial
        ("Neg: fever, weakness R leg", "fever", "negated"),
        ("UA neg: trace protein", "trace", "affirmed"),
        # an uncertainty trigger is the nearer one: uncertain, not a listed sign
        ("(-) fever, possible numbness L leg", "numbness", "uncertain"),
    ],
)
def test_controls_keep_their_reading(text: str, term: str, expected: str) -> None:
    assert read(text, term) == (expected, False)


def _visit(words: str) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "in-progress",
        "reasonCode": [{"text": words}],
        "diagnosis": [{"condition": {"display": "no fever, weakness R leg"}}],
    }


def _row(value: str, status: str = "final") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": status,
        "code": {"text": "History of present illness"},
        "effectiveDateTime": "2026-11-26T16:00:00Z",
        "valueString": value,
    }


def test_a_problem_the_visit_and_a_note_each_give_a_listed_sign() -> None:
    found = facts(condition("c1", "(-) fever, numbness L leg"))
    (listed,) = vs(found, LISTED)
    assert listed.rid == "Condition/c1" and listed.display == "(-) fever, numbness L leg"
    assert vs(found, "numbness_paresthesia") == [] and vs(found, "fever_condition") == []
    assert len(vs(facts(_visit("LBP. denies fever, numbness in left foot")), LISTED)) == 2
    (noted,) = vs(facts(_row("(-) fever, pain radiating down L leg")), LISTED)
    assert noted.display == "History of present illness: (-) fever, pain radiating down L leg"
    assert vs(facts(_row("(-) fever, pain radiating down L leg")), "radiating_leg_pain") == []


@pytest.mark.parametrize(
    "words",
    [
        "(-) fever, chills, numbness",
        "(-) fever, (-) numbness L leg",
        "denies numbness L leg",
        "Numbness L leg",  # affirmed: the sign itself, no data check
        "(-) fever, (+) numbness L leg",
    ],
)
def test_no_listed_sign_where_the_words_are_clear(words: str) -> None:
    assert vs(facts(condition("c1", words)), LISTED) == []
    assert vs(facts(_row(words)), LISTED) == []


def test_an_old_or_resolved_problem_is_read_as_its_status_says() -> None:
    resolved = condition(
        "c1", "(-) fever, numbness L leg", clinicalStatus={"coding": [{"code": "resolved"}]}
    )
    assert vs(facts(resolved), LISTED) == []
    old = condition("c2", "(-) fever, numbness L leg", onsetDateTime="2024-01-01T00:00:00Z")
    (listed,) = vs(facts(old), LISTED)  # dated: the rule's symptom window decides
    assert listed.age_h > 24 * 300


def test_only_placed_value_sets_are_listed() -> None:
    assert PACK.index.match_listed([], "(-) fever, chills, L knee pain") == set()
    assert PACK.index.match_listed([], "(-) fever, numbness L arm") == set()


def test_a_draft_orders_reason_gives_a_listed_sign() -> None:
    order = {
        "resourceType": "ServiceRequest",
        "id": "s1",
        "status": "draft",
        "code": {"text": "MRI lumbar spine"},
        "reasonCode": [{"text": "(-) fever, numbness L leg"}],
    }
    out = extract_facts([], [order], CTX)
    (listed,) = vs(out.facts, LISTED)
    assert listed.rid == "ServiceRequest/s1" and listed.age_h == 0.0


def test_a_concepts_words_are_read_once_for_both_questions(monkeypatch: Any) -> None:
    """fix26c: read_condition asks the words' two questions (a sign listed after a denial, a
    red flag doubted) once per concept, however often the concept comes."""
    index = PACK.index
    asked: list[str] = []
    listed, suspected = index.match_listed, index.match_suspected
    monkeypatch.setattr(index, "match_listed", lambda *a: asked.append("listed") or listed(*a))
    monkeypatch.setattr(index, "match_suspected", lambda *a: asked.append("doubt") or suspected(*a))
    old = "2026-10-01T08:00:00Z"
    quiet = condition("q", "Appendicitis, s/p appendectomy, 2019", onsetDateTime=old)
    assert facts(quiet) == facts(quiet) == [] and asked == ["listed"]  # no doubt in its words
    both = condition("b", "r/o cauda equina; (-) fever, numbness L leg", onsetDateTime=old)
    first = facts(both)
    assert {f.valueset for f in first} == {LISTED, "suspected_red_flag"}
    assert facts(both) == first and asked == ["listed", "listed", "doubt"]


@pytest.mark.parametrize(
    "onset", ["2026-11-25T06:00:00Z", "2026-11-25T06:00:00+04:00", "2026-11-25"]
)
def test_a_problem_that_only_suspects_a_red_flag_counts_however_its_date_is_written(
    onset: str,
) -> None:
    """fix26c: a Condition in no value set whose words suspect a red flag ("Cannot rule out
    cauda equina syndrome") gave no ``suspected_red_flag`` once its full time was plainly past
    (a zone already seen), only when written as a date: imaging-not-indicated, not supported."""
    problem = condition("s", "Cannot rule out cauda equina syndrome", onsetDateTime=onset)
    for _ in range(2):  # the second time the zone is known: plainly past
        (doubt,) = vs(facts(problem), "suspected_red_flag")
        assert doubt.time == onset and 0 < doubt.age_h < 48


@pytest.mark.parametrize(
    "text, term, expected",
    [
        # a later item marked NEW in capitals: denied or found? (stop 24 item 5)
        ("Denies:\n- fever\n- NEW urinary retention", "urinary retention", ("uncertain", True)),
        ("Denies:\n- fever\n  - NEW urinary retention", "urinary retention", ("uncertain", True)),
        ("Denies:\n- NEW ONSET urinary retention", "urinary retention", ("uncertain", True)),
        ("Denies:\n◦ fever\n◦ NEW onset leg weakness", "leg weakness", ("uncertain", True)),
        ("Pt denies\nfever\nNEW urinary retention", "urinary retention", ("uncertain", True)),
        ("denies fever, NEW ONSET leg weakness", "leg weakness", ("uncertain", True)),
        # lower case, the trigger's own first item on its line, no denial: as before
        ("Denies:\n- fever\n- new urinary retention", "urinary retention", ("negated", False)),
        ("denies NEW leg weakness", "leg weakness", ("negated", False)),
        ("Return precautions:\n- NEW urinary retention", "urinary", ("hypothetical", False)),
        ("NEW urinary retention", "urinary retention", ("affirmed", False)),
        ("Denies fever.\nNEW urinary retention", "urinary retention", ("affirmed", False)),
    ],
)
def test_a_later_item_shouted_new_is_asked_about(
    text: str, term: str, expected: tuple[str, bool]
) -> None:
    assert read(text, term) == expected


def test_a_danger_sign_shouted_new_after_a_denial_is_a_data_check_fact() -> None:
    """The ``sign_after_denial`` fact names any danger sign so marked, not only a placed one:
    "NEW urinary retention" under "Denies:" gave no card at all (stop 24 item 5)."""
    text = "Denies:\n- fever\n- NEW urinary retention"
    assert PACK.index.match_listed([], text) == {"urinary_retention"}
    assert "urinary_retention" not in PACK.index.match_detail([], text)
    assert PACK.index.match_listed([], text.replace("NEW", "new")) == set()
    (listed,) = vs(facts(condition("n", text, onsetDateTime="2026-11-25T06:00:00Z")), LISTED)
    assert listed.display == text
