"""Going home on a prescribed NSAID (ER physician reviews): the caution and the patient's
sheet say not to add another one (beside a reason to avoid NSAIDs, the caution names the pair);
an NSAID on the skin (a gel) is not one."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds.evaluate import evaluate_file

SCENARIO = (
    Path(__file__).resolve().parents[2] / "fhir_examples/back-spasm/discharge-nsaid-prescribed"
)
NOW = datetime.fromisoformat("2026-11-26T10:00:00+04:00")


def cards(medicine: str) -> dict[str, dict[str, Any]]:
    request = orjson.loads((SCENARIO / "request.json").read_bytes())
    (entry,) = request["prefetch"]["medications"]["entry"]
    entry["resource"]["medicationCodeableConcept"] = {"text": medicine}
    response = evaluate_file(orjson.dumps(request), None, NOW)
    return {c["source"]["topic"]["code"]: c for c in response["cards"]}


@pytest.mark.parametrize(
    "medicine", ["Ibuprofen 800 mg tablet", "Naproxen 500 mg tab", "Meloxicam 15 mg tablet"]
)
def test_a_prescribed_nsaid_personalises_the_sheet_and_no_second_one_is_offered(
    medicine: str,
) -> None:
    """No warning card for an NSAID alone (most patients with back pain took one before they
    came: ER physician review, fourth round); the instructions card says why its sheet
    differs."""
    got = cards(medicine)
    assert "analgesic-caution" not in got
    sheet = got["discharge-instructions"]["detail"]
    assert "Already takes an NSAID" in sheet
    assert "Take only one medicine of this kind" in sheet
    assert "may help. This includes" not in sheet  # the store-bought list is not offered


@pytest.mark.parametrize(
    "medicine", ["Diclofenac sodium 1% topical gel", "Voltaren Arthritis Pain 1% gel"]
)
def test_an_nsaid_gel_is_not_a_prescribed_nsaid(medicine: str) -> None:
    got = cards(medicine)
    assert "analgesic-caution" not in got
    assert "Take only one medicine of this kind" not in got["discharge-instructions"]["detail"]


def test_advil_liqui_gels_are_swallowed_not_spread() -> None:
    got = cards("Advil 200 mg liqui-gel, 2 caps q6h")
    assert "Already takes an NSAID" in got["discharge-instructions"]["detail"]


def test_an_nsaid_beside_an_acetaminophen_prescription_is_not_also_offered_to_add() -> None:
    """Naproxen with Percocet: the sheet said both "do not take a second one" and "ask before
    you add naproxen" (ER physician re-check)."""
    request = orjson.loads((SCENARIO / "request.json").read_bytes())
    (entry,) = request["prefetch"]["medications"]["entry"]
    entry["resource"]["medicationCodeableConcept"] = {"text": "Naproxen 500 mg tab"}
    percocet = {**entry["resource"], "id": "perc"}
    percocet["medicationCodeableConcept"] = {"text": "Percocet 5/325 1 tab q6h prn"}
    request["prefetch"]["medications"]["entry"].append({"resource": percocet})
    response = evaluate_file(orjson.dumps(request), None, NOW)
    (sheet,) = [c["detail"] for c in response["cards"] if "### " in c["detail"]]
    assert "Do not take extra Tylenol" in sheet and "Take only one medicine of this kind" in sheet
    assert "before you add ibuprofen" not in sheet
    assert "\n\n\n" not in sheet  # the hidden line leaves no gap


def test_an_nsaid_beside_a_blood_thinner_asks_whether_to_stop_it_not_to_keep_it() -> None:
    """Advil with enoxaparin: the NSAID itself may be the danger; the sheet asked only
    whether to keep taking it (ER physician review, third round, c40)."""
    request = orjson.loads((SCENARIO / "request.json").read_bytes())
    (entry,) = request["prefetch"]["medications"]["entry"]
    entry["resource"]["medicationCodeableConcept"] = {"text": "Advil 200 mg, 2 tabs prn"}
    thinner = {**entry["resource"], "id": "lovenox"}
    thinner["medicationCodeableConcept"] = {"text": "Enoxaparin 40 mg subcutaneous daily"}
    request["prefetch"]["medications"]["entry"].append({"resource": thinner})
    response = evaluate_file(orjson.dumps(request), None, NOW)
    (sheet,) = [c["detail"] for c in response["cards"] if "### " in c["detail"]]
    assert "Take only one medicine of this kind" in sheet
    assert "whether you should stop it" in sheet
    assert "whether you should keep taking it" not in sheet
    plain = cards("Advil 200 mg, 2 tabs prn")["discharge-instructions"]["detail"]
    assert "whether you should keep taking it" in plain
    assert "whether you should stop it" not in plain
