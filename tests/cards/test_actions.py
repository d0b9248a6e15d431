"""The replace-the-NSAID suggestion is one `update` of the draft, which the CDS Hooks Sandbox
applies, and which stays valid CDS Hooks 2.0 and valid FHIR R4."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from cds.cards.actions import _ODD_SPACES, build_action_resource, replaced_order
from cds.cards.build import CardContext, build_cards
from cds.errors import RulePackError
from cds.facts.model import Fact
from cds.findings import Evidence, Finding, Outcome
from cds.hooks.models import Action, Card, Suggestion
from cds.pack.load import Pack, load_pack
from cds.pack.schema import SuggestionSpec

DRAFT: dict[str, Any] = {
    "resourceType": "MedicationRequest",
    "id": "rx1",
    "status": "draft",
    "intent": "order",
    "text": {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml">ibuprofen</div>',
    },
    "contained": [
        {"resourceType": "Medication", "id": "med", "code": {"text": "Ibuprofen 600 mg tablet"}}
    ],
    "medicationReference": {"reference": "#med"},
    "subject": {"reference": "Patient/p1"},
    "encounter": {"reference": "Encounter/e1"},
    "reasonCode": [{"text": "Low back pain"}],
    "dosageInstruction": [{"text": "600 mg every 6 hours"}],
    "dispenseRequest": {"quantity": {"value": 30}},
}


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


def _suggestions(pack: Pack, draft: dict[str, Any]) -> list[Suggestion]:
    return _card(pack, draft).suggestions or []


def _card(pack: Pack, draft: dict[str, Any]) -> Card:
    rx = Fact(kind="medication", valueset="ibuprofen", rid="MedicationRequest/rx1", display="x")
    ckd = Fact(kind="condition", valueset="ckd", rid="Condition/ckd", display="CKD")
    finding = Finding(
        "caution-kidney-disease",
        "analgesic-caution",
        "Kidney disease",
        ("MED3",),
        (Evidence.of(rx), Evidence.of(ckd)),
    )
    ctx = CardContext(
        hook="order-select",
        patient_id="p1",
        draft_orders={"MedicationRequest/rx1": draft},
    )
    (card,) = build_cards(pack, Outcome(True, (finding,)), ctx)
    return card


def _sandbox_applies(suggestion: Suggestion) -> str | None:
    """What the CDS Hooks Sandbox's Rx View does with a taken suggestion, transcribed from its
    medicationState reducer (shared/cds-hooks/sandbox/build/app.bundle.js, line 102): the
    first action it can handle wins; a delete clears the prescription, a create or update with
    medicationCodeableConcept.text and coding[0].code becomes the prescribed medicine."""
    for action in suggestion.actions or []:
        if action.type in ("create", "update"):
            concept = (action.resource or {}).get("medicationCodeableConcept")
            if concept and concept.get("text") and (concept.get("coding") or [{}])[0].get("code"):
                return f"prescribe {concept['text']}"
        elif action.type == "delete":
            return "clear the prescription"
    return None


def test_the_swap_is_one_update_that_the_sandbox_applies(pack: Pack) -> None:
    (swap,) = [s for s in _suggestions(pack, DRAFT) if "acetaminophen" in s.label]
    assert [a.type for a in swap.actions or []] == ["update"]
    assert _sandbox_applies(swap) == "prescribe Acetaminophen"


def test_the_update_is_the_same_draft_with_the_medicine_replaced(pack: Pack) -> None:
    (swap,) = _suggestions(pack, DRAFT)
    resource = (swap.actions or [])[0].resource or {}
    assert resource["resourceType"] == "MedicationRequest" and resource["id"] == "rx1"
    assert resource["status"] == "draft" and resource["intent"] == "order"
    assert resource["subject"] == DRAFT["subject"] and resource["encounter"] == DRAFT["encounter"]
    assert resource["reasonCode"] == DRAFT["reasonCode"]
    coding = resource["medicationCodeableConcept"]["coding"][0]
    assert (coding["system"], coding["code"]) == (
        "http://www.nlm.nih.gov/research/umls/rxnorm",
        "161",
    )
    # The old medicine's dose, supply, narrative and contained Medication are gone.
    for gone in (
        "medicationReference",
        "dosageInstruction",
        "dispenseRequest",
        "text",
        "contained",
    ):
        assert gone not in resource, gone
    assert "dose" in (swap.actions or [])[0].description


def test_the_update_action_is_valid_cds_hooks() -> None:
    resource = replaced_order(_pack_swap(), DRAFT)
    assert resource is not None
    Action.model_validate({"type": "update", "description": "d", "resource": resource})


def _pack_swap() -> Any:
    topic = load_pack().topics["analgesic-caution"]
    return next(s for s in topic.suggestions if s.action == "replace-draft-order")


def test_an_invalid_draft_gets_no_swap(pack: Pack) -> None:
    broken = {**DRAFT, "status": 17}
    assert replaced_order(_pack_swap(), broken) is None
    card = _card(pack, broken)
    assert card.suggestions is None
    # the card says why its one-click change is missing, before the source line
    lines = (card.detail or "").split("\n\n")
    assert lines[-2] == (
        '_No one-click "Replace the NSAID order with acetaminophen" is offered for the draft '
        "order MedicationRequest/rx1: no valid FHIR R4 order could be made of it; change it by "
        "hand._"
    )
    assert lines[-1].startswith("_Source:")


def test_a_swap_the_card_offers_says_nothing_more(pack: Pack) -> None:
    assert "one-click" not in (_card(pack, DRAFT).detail or "")


def test_only_a_medication_request_is_replaced() -> None:
    assert replaced_order(_pack_swap(), {**DRAFT, "resourceType": "ServiceRequest"}) is None


def test_a_draft_with_one_category_object_still_gets_the_swap(pack: Pack) -> None:
    """The official Sandbox's Rx View sends `category` as one CodeableConcept (STU3 shape; R4
    has a list): the update wraps it in a list instead of silently dropping the swap."""
    category = {"coding": [{"system": "urn:category", "code": "community"}]}
    draft = {**DRAFT, "category": category}
    (swap,) = _suggestions(pack, draft)
    resource = (swap.actions or [])[0].resource or {}
    assert resource["category"] == [category]
    assert _sandbox_applies(swap) == "prescribe Acetaminophen"
    Action.model_validate({"type": "update", "description": "d", "resource": resource})


def _spec(pack: Pack, action: str) -> SuggestionSpec:
    return next(s for t in pack.spec.topics for s in t.suggestions if s.action == action)


def test_each_call_gets_its_own_patient_and_encounter_though_the_check_is_remembered(
    pack: Pack,
) -> None:
    """The validation of a suggestion's resource is remembered; the resource itself is this
    call's: another patient's ids never leak from an earlier call."""
    spec = _spec(pack, "create-instructions")
    first = build_action_resource(spec, "p1", "e1", "Rest; walk a little each day.")
    second = build_action_resource(spec, "p2", "e2", "Rest; walk a little each day.")
    third = build_action_resource(spec, "p3", None, "Rest; walk a little each day.")
    assert first["subject"] == {"reference": "Patient/p1"}
    assert first["encounter"] == {"reference": "Encounter/e1"}
    assert second["subject"] == {"reference": "Patient/p2"}
    assert second["recipient"] == [{"reference": "Patient/p2"}]
    assert second["encounter"] == {"reference": "Encounter/e2"}
    assert third["subject"] == {"reference": "Patient/p3"} and "encounter" not in third
    assert second["payload"] == [{"contentString": "Rest; walk a little each day."}]


def test_an_invalid_suggestion_is_refused_every_time(pack: Pack) -> None:
    """A pack suggestion that builds an invalid FHIR resource is a pack error, on the first
    call and on every later one (the remembered check keeps its problem)."""
    good = _spec(pack, "create-follow-up")
    bad = good.model_copy(update={"label": "", "replacement_text": None})
    for patient in ("p1", "p2"):
        with pytest.raises(RulePackError, match="builds an invalid ServiceRequest"):
            build_action_resource(bad, patient, "e1", None)
    assert build_action_resource(good, "p1", "e1", None)["resourceType"] == "ServiceRequest"


def test_instructions_share_one_check_only_when_fhir_would_accept_any_of_them(
    pack: Pack,
) -> None:
    """Instructions texts share one remembered check (passages with parts make many); the
    characters that set a text apart are exactly the whitespace FHIR's string pattern
    refuses, and a text of only such whitespace is still validated, and refused, on its own."""
    assert set(_ODD_SPACES) == {
        c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace() and c not in " \t\r\n"
    }
    spec = _spec(pack, "create-instructions")
    for text in ("Rest.", "Rest.\n\nWalk a little each day.", "Fever ≥ 38 °C: call."):
        resource = build_action_resource(spec, "p1", "e1", text)
        assert resource["payload"] == [{"contentString": text}]
    with pytest.raises(RulePackError, match="builds an invalid CommunicationRequest"):
        build_action_resource(spec, "p1", "e1", "\u2028\x0b")
