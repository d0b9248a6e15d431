"""Issue 9's negated and uncertain text, end to end through the pipeline: words that deny,
doubt or place a danger sign in the past or in a relative raise no danger card; the same words
affirmed still do."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from cds.call import request_call
from cds.hooks.registry import parse_hook_request
from cds.pack.load import load_pack
from cds.pipeline import Evaluator

BASE = Path(__file__).resolve().parents[2] / "fhir_examples/back-spasm/heart-rate-131-card"
REQUEST: dict[str, Any] = json.loads((BASE / "request.json").read_text())
NOW = datetime.fromisoformat(json.loads((BASE / "scenario.json").read_text())["now"])
PATIENT = REQUEST["context"]["patientId"]
EVALUATOR = Evaluator(load_pack())
DANGER = {"emergency-sign", "urgent-sign"}


def condition(text: str, verification: str = "confirmed", rid: str = "c-text") -> dict[str, Any]:
    """A text-only Condition (no code), as problem lists and reason fields send them."""
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": verification}]},
        "code": {"text": text},
        "subject": {"reference": f"Patient/{PATIENT}"},
        "recordedDate": "2026-11-26T04:00:00Z",
    }


def topics(*conditions: dict[str, Any]) -> set[str]:
    """Card topics for the scenario's low back pain plus ``conditions``, no vital signs."""
    request = copy.deepcopy(REQUEST)
    request["prefetch"]["observations"]["entry"] = []
    request["prefetch"]["observations"]["total"] = 0
    bundle = request["prefetch"]["conditions"]
    bundle["entry"] = bundle["entry"] + [{"resource": c} for c in conditions]
    response = EVALUATOR.run(request_call(parse_hook_request(request), NOW)).response
    return {c.source.topic.code for c in response.cards if c.source.topic is not None}


@pytest.mark.parametrize(
    "text, verification",
    [
        (
            "Low back pain. No fever, no saddle anesthesia, no bladder or bowel incontinence",
            "confirmed",
        ),
        ("Back pain, rule out cauda equina", "confirmed"),
        ("Rule out cauda equina syndrome", "provisional"),
        ("r/o cauda equina syndrome", "provisional"),
        ("? cauda equina syndrome", "confirmed"),
        ("Denies saddle anesthesia, urinary retention or leg weakness", "confirmed"),
        ("Father with cauda equina syndrome", "confirmed"),
        ("History of syncope", "confirmed"),
    ],
)
def test_denied_doubted_past_or_family_text_raises_no_danger_card(
    text: str, verification: str
) -> None:
    assert not topics(condition(text, verification)) & DANGER


@pytest.mark.parametrize(
    "text",
    [
        "Cauda equina syndrome",
        "Low back pain. No fever. New saddle anesthesia since this morning",
        "Denies fever, but reports bowel incontinence",
    ],
)
def test_the_same_signs_affirmed_still_raise_a_danger_card(text: str) -> None:
    assert topics(condition(text)) & DANGER
