"""Sedating medicines that add to an opioid or a muscle relaxant (sixth physician review,
pack21): a sedating antihistamine or a gabapentinoid is named as a pair on the sedation card
beside one, raises nothing alone, and one combination medicine is never read as two."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cds.call import request_call
from cds.hooks.models import Card
from cds.hooks.registry import parse_hook_request
from cds.pack.load import load_pack
from cds.pipeline import Evaluator

EXAMPLES = Path(__file__).resolve().parents[2] / "fhir_examples" / "back-spasm"
EVALUATOR = Evaluator(load_pack())


def _order(rid: str, words: str, status: str, patient: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"text": words},
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": "2026-11-26T01:00:00Z",
    }


def _cards(
    name: str, *, active: tuple[str, ...] = (), drafts: tuple[str, ...] = ()
) -> dict[str, Card]:
    """The scenario's cards by topic, its medicines and draft orders replaced by these (words
    alone)."""
    folder = EXAMPLES / name
    request = copy.deepcopy(json.loads((folder / "request.json").read_text(encoding="utf-8")))
    now = datetime.fromisoformat(json.loads((folder / "scenario.json").read_text())["now"])
    patient = request["context"]["patientId"]
    request["prefetch"]["medications"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {"resource": _order(f"a{i}", w, "active", patient)} for i, w in enumerate(active)
        ],
    }
    if "draftOrders" in request["context"]:
        request["context"]["draftOrders"]["entry"] = [
            {"resource": _order(f"d{i}", w, "draft", patient)} for i, w in enumerate(drafts)
        ]
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    return {c.source.topic.code: c for c in response.cards if c.source.topic is not None}


SELECT = "oxycodone-select-with-active-diphenhydramine"
DISCHARGE = "discharge-tramadol-hydroxyzine"
ANTIHISTAMINE = "with a sedating antihistamine"


def test_an_opioid_selected_beside_home_benadryl_is_named_as_a_pair() -> None:
    card = _cards(SELECT, active=("Benadryl 25 mg at bedtime",), drafts=("oxycodone 5 mg",))[
        "sedation-caution"
    ]
    assert card.summary.startswith(
        "Sedating medicine (opioid or relaxant + sedating antihistamine)"
    )
    assert ANTIHISTAMINE in card.detail
    assert "  - current medicine: Benadryl 25 mg at bedtime" in card.detail


def test_a_sedating_antihistamine_alone_raises_nothing() -> None:
    assert "sedation-caution" not in _cards(SELECT, drafts=("diphenhydramine 25 mg PO",))
    assert "sedation-caution" not in _cards(SELECT, drafts=("Phenergan 25 mg q6h prn nausea",))
    cards = _cards(DISCHARGE, active=("hydroxyzine 25 mg at bedtime",))
    assert "sedation-caution" not in cards


def test_a_newer_antihistamine_is_no_pair() -> None:
    cards = _cards(SELECT, active=("loratadine 10 mg daily",), drafts=("oxycodone 5 mg",))
    assert ANTIHISTAMINE not in cards["sedation-caution"].detail


def test_a_sleep_aid_ordered_beside_a_current_relaxant_is_named_as_a_pair() -> None:
    cards = _cards(SELECT, active=("cyclobenzaprine 10 mg tid",), drafts=("ZzzQuil 50 mg",))
    assert "  - being ordered: ZzzQuil 50 mg" in cards["sedation-caution"].detail


def test_diphenhydramine_on_the_skin_is_no_pair() -> None:
    cards = _cards(SELECT, active=("diphenhydramine 2% cream",), drafts=("oxycodone 5 mg",))
    assert ANTIHISTAMINE not in cards["sedation-caution"].detail


def test_one_promethazine_with_codeine_syrup_is_one_medicine_not_a_pair() -> None:
    cards = _cards(SELECT, drafts=("promethazine-codeine 6.25-10 mg/5 mL syrup",))
    detail = cards["sedation-caution"].detail
    assert ANTIHISTAMINE not in detail
    assert "being ordered" in detail  # the opioid's own card names it


def test_the_sheet_names_the_sleep_or_allergy_medicine_beside_the_opioid() -> None:
    detail = _cards(DISCHARGE, active=("tramadol 50 mg q6h prn", "Tylenol PM at bedtime"))[
        "discharge-instructions"
    ].detail
    assert "cold or sleep medicine that makes you drowsy" in detail
    assert "Do not drink alcohol while you take them." in detail


GABAPENTIN = "can slow breathing (FDA safety warning, 2019)"


def test_an_opioid_selected_beside_gabapentin_is_named_as_a_pair() -> None:
    cards = _cards(SELECT, active=("gabapentin 300 mg tid",), drafts=("oxycodone 5 mg",))
    card = cards["sedation-caution"]
    assert card.summary.startswith(
        "Sedating medicine (opioid or relaxant + gabapentinoid: slowed breathing)"
    )
    assert GABAPENTIN in card.detail
    assert "  - current medicine: gabapentin 300 mg tid" in card.detail


def test_a_gabapentinoid_alone_raises_nothing() -> None:
    assert "sedation-caution" not in _cards(SELECT, drafts=("pregabalin 75 mg bid",))
    assert "sedation-caution" not in _cards(DISCHARGE, active=("gabapentin 600 mg tid",))


@pytest.mark.parametrize(
    ("active", "draft"),
    [("Lyrica 75 mg bid", "cyclobenzaprine 10 mg"), ("cyclobenzaprine 10 mg", "pregabalin 75 mg")],
)
def test_a_gabapentinoid_beside_a_muscle_relaxant_is_a_breathing_pair(
    active: str, draft: str
) -> None:
    """A central nervous system depressant beside the gabapentinoid (FDA, 2019): pregabalin
    with cyclobenzaprine is a common discharge pair (eighth physician round, er22 G5)."""
    cards = _cards(SELECT, active=(active,), drafts=(draft,))
    assert GABAPENTIN in cards["sedation-caution"].detail


def test_the_sheet_warns_about_breathing_for_an_opioid_with_gabapentin() -> None:
    detail = _cards(DISCHARGE, active=("oxycodone 5 mg q6h prn", "Neurontin 300 mg tid"))[
        "discharge-instructions"
    ].detail
    assert "also gabapentin or\npregabalin (Neurontin, Lyrica)." in detail
    assert "Do not drink alcohol while you take them." in detail
