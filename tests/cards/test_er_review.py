"""An emergency physician's review of the pack (2026-12-06), end to end through the pipeline:
the patient sheet and the sedation card say what fits this patient, and only that."""

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
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _scenario(name: str) -> tuple[dict[str, Any], datetime]:
    request = json.loads((EXAMPLES / name / "request.json").read_text(encoding="utf-8"))
    now = json.loads((EXAMPLES / name / "scenario.json").read_text(encoding="utf-8"))["now"]
    return request, datetime.fromisoformat(now)


def _medicine(rid: str, code: str, display: str, patient: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": RXNORM, "code": code, "display": display}],
            "text": display,
        },
        "subject": {"reference": f"Patient/{patient}"},
        "authoredOn": "2026-11-26T01:00:00Z",
    }


def _cards(name: str, *medicines: tuple[str, str, str]) -> dict[str, Card]:
    """The scenario's cards by topic, with these medicines active (rid, RxNorm, display)."""
    request, now = _scenario(name)
    request = copy.deepcopy(request)
    patient = request["context"]["patientId"]
    bundle = request["prefetch"].get("medications") or {
        "resourceType": "Bundle",
        "type": "searchset",
    }
    bundle.setdefault("entry", [])
    bundle["entry"] += [{"resource": _medicine(*m, patient)} for m in medicines]
    request["prefetch"]["medications"] = bundle
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    return {c.source.topic.code: c for c in response.cards if c.source.topic is not None}


PERCOCET = ("perc", "1049221", "oxyCODONE-acetaminophen (PERCOCET) 5-325 mg tablet")
DIAZEPAM = ("diaz", "197591", "diazepam 5 mg tablet")


def _sheet(cards: dict[str, Card]) -> str:
    detail = cards["discharge-instructions"].detail
    return detail[detail.index("---") :]


def test_a_percocet_patient_is_never_offered_tylenol() -> None:
    """CKD and Percocet: the sheet said "Acetaminophen (Tylenol) may be a better choice" and
    then "do not take extra Tylenol"."""
    sheet = _sheet(_cards("discharge-ckd-no-ibuprofen", PERCOCET))
    assert "Do not take extra Tylenol" in sheet
    assert "may be a better choice" not in sheet
    assert "Tylenol" not in sheet.split("### A medicine you take already has acetaminophen")[0]


def test_without_acetaminophen_prescribed_the_tylenol_advice_stays() -> None:
    sheet = _sheet(_cards("discharge-ckd-no-ibuprofen"))
    assert "Acetaminophen (Tylenol) may be a better choice for you." in sheet


def test_the_nsaid_passage_names_only_the_patients_own_reasons() -> None:
    """A patient with only kidney disease was told "at least one of these: kidney disease,
    ulcer, bleeding, blood thinner"."""
    sheet = _sheet(_cards("discharge-ckd-no-ibuprofen"))
    section = sheet.split("### Pain medicines to stay away from")[1].split("###")[0]
    assert section.strip().startswith("Your health record shows:\n- Kidney disease\n\nBecause")
    for other in ("ulcer", "Bleeding", "blood thinner", "at least one"):
        assert other not in section
    with_warfarin = _sheet(
        _cards("discharge-ckd-no-ibuprofen", ("warf", "855332", "warfarin sodium 5 MG Oral Tablet"))
    )
    assert "- Kidney disease\n- A medicine that thins your blood (a blood thinner)\n" in (
        with_warfarin
    )


def test_an_opioid_selected_beside_a_current_benzodiazepine_is_named_as_a_pair() -> None:
    card = _cards("opioid-order-select", DIAZEPAM)["sedation-caution"]
    assert card.summary.startswith("Sedating medicine (opioid + benzodiazepine: slowed breathing)")
    assert "can slow or stop breathing (FDA boxed warning, 2016)" in card.detail
    assert "advise no alcohol or other sedating medicines" in card.detail
    assert "  - being ordered: oxycodone hydrochloride 5 MG Oral Tablet" in card.detail
    assert "  - current medicine: diazepam 5 mg tablet" in card.detail


def test_an_opioid_alone_keeps_the_plain_sedation_card() -> None:
    card = _cards("opioid-order-select")["sedation-caution"]
    assert card.summary == (
        "Sedating medicine (opioid, muscle relaxant or benzodiazepine): advise no driving or "
        "heavy machinery"
    )
    assert "breathing" not in card.detail and "current medicine" not in card.detail


def test_the_sheet_warns_about_breathing_and_alcohol_for_an_opioid_with_a_benzodiazepine() -> None:
    cards = _cards(
        "discharge-standard-instructions",
        ("oxy", "1049621", "oxycodone hydrochloride 5 MG Oral Tablet"),
        DIAZEPAM,
    )
    sheet = _sheet(cards)
    assert "Together they can slow your\nbreathing down, or even stop it." in sheet
    assert "Do not drink alcohol while you take them." in sheet
    plain = _sheet(
        _cards(
            "discharge-standard-instructions",
            ("oxy", "1049621", "oxycodone hydrochloride 5 MG Oral Tablet"),
        )
    )
    assert "breathing down" not in plain and "alcohol" not in plain


def _with_observation(name: str, observation: dict[str, Any]) -> dict[str, Card]:
    request, now = _scenario(name)
    request = copy.deepcopy(request)
    observation["subject"] = {"reference": f"Patient/{request['context']['patientId']}"}
    bundle = request["prefetch"].get("observations") or {
        "resourceType": "Bundle",
        "type": "searchset",
    }
    bundle["entry"] = [*bundle.get("entry", []), {"resource": observation}]
    request["prefetch"]["observations"] = bundle
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    return {c.source.topic.code: c for c in response.cards if c.source.topic is not None}


def _temperature(status: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "t1",
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}]},
        "effectiveDateTime": "2026-11-26T04:30:00Z",
        "valueQuantity": {"value": 39.4, "unit": "Cel"},
    }


@pytest.mark.parametrize(
    ("row", "value", "status"),
    [
        ("LLE MOTOR STRENGTH", "3/5", "preliminary"),  # a finding not yet verified
        ("Saddle anesthesia", "see note", "final"),  # a sign's row answered unclearly
        ("Urinary retention", "Y", "preliminary"),
    ],
)
def test_imaging_not_indicated_hedges_beside_an_unconfirmed_finding_in_words(
    row: str, value: str, status: str
) -> None:
    """Seventh physician round, G7: an unconfirmed 3/5 leg or retention is what the MRI is
    for; the card offered "Remove the lumbar imaging order" with no word of it."""
    exam = {
        "resourceType": "Observation",
        "id": "exam1",
        "status": status,
        "code": {"text": row},
        "effectiveDateTime": "2026-11-26T04:30:00Z",
        "valueString": value,
    }
    cards = _with_observation("imaging-not-indicated-order-sign", exam)
    assert set(cards) == {"imaging-not-indicated", "data-check"}
    card = cards["imaging-not-indicated"]
    assert "A reading or finding that may be a red flag is in the record" in card.detail
    assert not card.suggestions


def test_imaging_not_indicated_hedges_beside_an_unverified_fever_and_offers_no_removal() -> None:
    """An XR order beside a preliminary 39.4 °C: the card said no red flag was found and
    offered "Remove" while the data-check card showed the unverified fever."""
    plain = _cards("imaging-not-indicated-order-sign")["imaging-not-indicated"]
    assert [s.label for s in plain.suggestions or []] == ["Remove the lumbar imaging order"]
    assert "may be a red flag" not in plain.detail

    cards = _with_observation("imaging-not-indicated-order-sign", _temperature("preliminary"))
    assert "data-check" in cards
    card = cards["imaging-not-indicated"]
    assert "A reading or finding that may be a red flag is in the record but not verified" in (
        card.detail
    )
    assert not card.suggestions


def test_a_verified_fever_is_a_red_flag_not_a_caveat() -> None:
    cards = _with_observation("imaging-not-indicated-order-sign", _temperature("final"))
    assert "imaging-not-indicated" not in cards and "urgent-sign" in cards


def _heart_rate(value: float, rid: str = "hr1") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "effectiveDateTime": "2026-11-26T05:00:00Z",
        "valueQuantity": {"value": value, "unit": "/min"},
    }


def test_a_future_dated_reading_is_named_by_what_it_is_in_the_summary() -> None:
    """The summary said "Observation/t1 not checked in full" for a 39.5 °C temperature dated
    70 h after the call."""
    future = _temperature("final") | {
        "effectiveDateTime": "2026-11-29T04:00:00Z",
        "valueQuantity": {"value": 39.5, "unit": "Cel"},
        "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5"}], "text": "Temp"},
    }
    card = _with_observation("imaging-not-indicated-order-sign", future)["data-check"]
    assert card.summary.startswith("Check this data: Temp 39.5 °C dated 2026-11-29 ")
    assert card.summary.endswith(", 70 h after the evaluation time")
    assert "Observation/t1 not checked" not in card.summary
    assert "Temp 39.5 °C dated" in card.detail and "39.5 Cel" not in card.detail


def test_the_data_check_opening_line_is_true_beside_an_emergency_card() -> None:
    """It opened "No emergency or urgent card was raised" beside an emergency card."""
    alone = _with_observation("imaging-not-indicated-order-sign", _temperature("preliminary"))
    assert "No emergency or urgent card was raised from these items." in (
        alone["data-check"].detail
    )
    request, now = _scenario("imaging-not-indicated-order-sign")
    request = copy.deepcopy(request)
    patient = {"reference": f"Patient/{request['context']['patientId']}"}
    entries = [_temperature("preliminary"), _heart_rate(150)]
    request["prefetch"]["observations"] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": o | {"subject": patient}} for o in entries],
    }
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    cards = {c.source.topic.code: c for c in response.cards if c.source.topic is not None}
    assert "emergency-sign" in cards
    detail = cards["data-check"].detail
    assert "No emergency" not in detail
    assert "The emergency or urgent card of this call rests on other data" in detail


def test_a_search_outcome_error_does_not_say_the_entries_read_were_not_checked() -> None:
    """One line said "the entries it did return were read" and "danger signs ... in the
    problem list were not checked"."""
    request, now = _scenario("imaging-not-indicated-order-sign")
    request = copy.deepcopy(request)
    request["prefetch"]["conditions"]["entry"].append(
        {
            "resource": {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "timeout", "diagnostics": "timeout"}],
            },
            "search": {"mode": "outcome"},
        }
    )
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    (card,) = [c for c in response.cards if c.source.topic and c.source.topic.code == "data-check"]
    line = next(x for x in card.detail.splitlines() if x.startswith("- conditions:"))
    assert "the entries it did return were read" in line
    assert line.endswith("in problem-list entries not received were not checked")


def test_imaging_not_indicated_is_no_verdict_when_the_vital_signs_were_not_had() -> None:
    """The observations fetch failed (the EHR sent an OperationOutcome): a fever, a red flag,
    could not be checked, and the card still offered "Remove the lumbar imaging order"
    (ER physician review, third round, c51)."""
    request, now = _scenario("imaging-not-indicated-order-sign")
    request = copy.deepcopy(request)
    request["prefetch"]["observations"] = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "timeout", "diagnostics": "flowsheet timeout"}],
    }
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    cards = {c.source.topic.code: c for c in response.cards if c.source.topic is not None}
    assert "data-check" in cards
    card = cards["imaging-not-indicated"]
    assert "Part of the record was not received in full" in card.detail
    assert not card.suggestions


def test_beside_liver_disease_the_kidney_passage_never_offers_tylenol() -> None:
    """Cirrhosis and CKD stage 4: the kidney passage said "Acetaminophen (Tylenol) may be a
    better choice" while the liver passage warned it can hurt the liver (sixth physician
    review, er19d d02)."""
    request, now = _scenario("discharge-ckd-no-ibuprofen")
    request = copy.deepcopy(request)
    patient = request["context"]["patientId"]
    cirrhosis = {
        "resourceType": "Condition",
        "id": "cirr",
        "clinicalStatus": {
            "coding": [
                {
                    "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                    "code": "active",
                }
            ]
        },
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/sid/icd-10-cm",
                    "code": "K74.60",
                    "display": "Unspecified cirrhosis of liver",
                }
            ]
        },
        "subject": {"reference": f"Patient/{patient}"},
        "onsetDateTime": "2025-01-01",
    }
    request["prefetch"]["conditions"]["entry"].append({"resource": cirrhosis})
    response = EVALUATOR.run(request_call(parse_hook_request(request), now)).response
    cards = {c.source.topic.code: c for c in response.cards if c.source.topic is not None}
    sheet = _sheet(cards)
    assert "Acetaminophen (Tylenol) can hurt your liver" in sheet
    assert "may be a better choice" not in sheet
    assert "- Kidney disease" in sheet.split("### Pain medicines to stay away from")[1]
