"""Issue 9's reproduced cases, end to end through the pipeline (``Evaluator``): which card
topics a real-feed-shaped record raises. Never lose a danger sign; never cry wolf."""

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
LOINC = "http://loinc.org"


def vital(
    code: str, value: Any, unit: str | None, *, rid: str | None = "v1", **extra: Any
) -> dict[str, Any]:
    res: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": "2026-11-26T05:00:00Z",
        "subject": {"reference": f"Patient/{PATIENT}"},
        **extra,
    }
    if rid is not None:
        res["id"] = rid
    if value is not None:
        res["valueQuantity"] = {"value": value, **({"unit": unit} if unit else {})}
    return res


def topics(*observations: dict[str, Any], entry: Any = None) -> list[str]:
    request = copy.deepcopy(REQUEST)
    bundle = request["prefetch"]["observations"]
    bundle["entry"] = entry if entry is not None else [{"resource": o} for o in observations]
    response = EVALUATOR.run(request_call(parse_hook_request(request), NOW)).response
    return [c.source.topic.code for c in response.cards if c.source.topic is not None]


def test_orthostatic_panel_138_standing_is_an_emergency() -> None:
    panel = vital("85353-1", None, None)
    panel["component"] = [
        {
            "code": {"coding": [{"system": LOINC, "code": "8867-4"}]},
            "valueQuantity": {"value": v, "unit": "/min"},
        }
        for v in (84, 112, 138)
    ]
    assert topics(panel) == ["emergency-sign"]


def test_same_id_final_80_then_amended_150_is_an_emergency() -> None:
    assert topics(vital("8867-4", 80, "/min"), vital("8867-4", 150, "/min", status="amended")) == [
        "emergency-sign"
    ]


def test_two_heart_rates_without_an_id_keep_the_150() -> None:
    assert topics(
        vital("8867-4", 80, "/min", rid=None), vital("8867-4", 150, "/min", rid=None)
    ) == ["emergency-sign"]


@pytest.mark.parametrize(
    "observation",
    [
        vital("8867-4", 72, "beats/minute"),
        vital("9279-1", 16, "breaths/minute"),
        vital("59408-5", 0.97, "1"),
        vital(
            "8867-4",
            None,
            None,
            dataAbsentReason={"coding": [{"code": "unknown"}]},
        ),
    ],
    ids=["hr-beats-minute", "rr-breaths-minute", "spo2-fraction", "hr-absent-unknown"],
)
def test_normal_or_absent_readings_raise_nothing(observation: dict[str, Any]) -> None:
    assert topics(observation) == []


def test_value_integer_150_is_an_emergency() -> None:
    hr = vital("8867-4", None, None)
    hr["valueInteger"] = 150
    assert topics(hr) == ["emergency-sign"]


@pytest.mark.parametrize("status", ["preliminary", "registered"])
def test_unverified_spo2_85_is_data_to_recheck_not_an_emergency(status: str) -> None:
    assert topics(vital("59408-5", 85, "%", status=status)) == ["data-check"]


def test_preliminary_then_final_spo2_85_is_an_emergency() -> None:
    found = topics(vital("59408-5", 85, "%", status="preliminary"), vital("59408-5", 85, "%"))
    assert found == ["emergency-sign"]  # the validated copy supersedes the preliminary one


def test_preliminary_85_validated_as_95_raises_nothing() -> None:
    assert topics(vital("59408-5", 85, "%", status="preliminary"), vital("59408-5", 95, "%")) == []


def test_impossible_spo2_is_data_to_recheck() -> None:
    assert topics(vital("59408-5", 150, "%")) == ["data-check"]


def test_heart_rate_dated_15_days_ahead_is_no_sign() -> None:
    future = vital("8867-4", 150, "/min", effectiveDateTime="2026-12-11T05:00:00Z")
    assert "emergency-sign" not in topics(future)


def test_bundle_entry_as_one_object() -> None:
    assert topics(entry={"resource": vital("8867-4", 150, "/min")}) == ["emergency-sign"]


def test_junk_entry_beside_a_danger_sign() -> None:
    found = topics(entry=["junk", {"resource": vital("8867-4", 150, "/min")}])
    assert found[0] == "emergency-sign"
