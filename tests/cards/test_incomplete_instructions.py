"""Discharge instructions on a record not had in full (an integrator's review): the card says
so before the patient gets the pain-reliever advice, and the data-check card names what the
missing key leaves unchecked."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds.call import UNAVAILABLE_EXTENSION
from cds.evaluate import evaluate_file

SCENARIO = (
    Path(__file__).resolve().parents[2] / "fhir_examples/back-spasm/discharge-standard-instructions"
)
NOW = datetime.fromisoformat("2026-11-26T10:00:00+04:00")
NOTE = "Part of the record was not received"


def cards(drop: str | None) -> dict[str, dict[str, Any]]:
    request = orjson.loads((SCENARIO / "request.json").read_bytes())
    if drop is not None:
        del request["prefetch"][drop]  # absent: not fetched, and nothing fetches offline
    response = evaluate_file(orjson.dumps(request), None, NOW)
    return {c["source"]["topic"]["code"]: c for c in response["cards"]}


def test_instructions_on_the_whole_record_carry_no_warning() -> None:
    card = cards(None)["discharge-instructions"]
    assert NOTE not in card["detail"]
    assert any(s.get("isRecommended") for s in card["suggestions"])


def test_instructions_on_part_of_the_record_are_not_recommended_to_send() -> None:
    """The clinician reviews them first (ER physician and integrator reviews)."""
    card = cards("medications")["discharge-instructions"]
    assert card["suggestions"] and not any(s.get("isRecommended") for s in card["suggestions"])


@pytest.mark.parametrize("key", ["medications", "medicationstatements", "observations"])
def test_instructions_say_when_a_key_they_rest_on_was_not_had(key: str) -> None:
    got = cards(key)
    detail = got["discharge-instructions"]["detail"]
    assert NOTE in detail
    assert detail.index(NOTE) < detail.index("### ")  # before the patient's text
    assert key in got["data-check"]["detail"]


def test_the_problem_list_gap_names_the_pain_reliever_cautions() -> None:
    request = orjson.loads((SCENARIO / "request.json").read_bytes())
    conditions = request["prefetch"]["conditions"]
    conditions["link"] = [{"relation": "next", "url": "https://ehr.example/Condition?page=2"}]
    response = evaluate_file(orjson.dumps(request), None, NOW)
    got = {c["source"]["topic"]["code"]: c for c in response["cards"]}
    assert NOTE in got["discharge-instructions"]["detail"]
    assert "pain-reliever cautions" in got["data-check"]["detail"]


def test_cds_evaluate_names_the_key_in_the_response_extension_as_the_service_does() -> None:
    """`cds evaluate` left out the `prefetch-unavailable` extension the service adds for the
    same request (integrator review)."""
    request = orjson.loads((SCENARIO / "request.json").read_bytes())
    del request["prefetch"]["medications"]
    response = evaluate_file(orjson.dumps(request), None, NOW)
    (note,) = response["extension"][UNAVAILABLE_EXTENSION]
    assert note["key"] == "medications" and note["reason"]
    whole = evaluate_file((SCENARIO / "request.json").read_bytes(), None, NOW)
    assert "extension" not in whole
