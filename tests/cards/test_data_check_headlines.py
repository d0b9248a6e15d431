"""The data-check card's summary says what the item is (an integrator's and an emergency
physician's reviews): "not checked in full" was said of a key sent as a plain list whose
resources were all read, and of another visit left out."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from cds.evaluate import evaluate_file

SCENARIO = (
    Path(__file__).resolve().parents[2] / "fhir_examples/back-spasm/discharge-standard-instructions"
)
NOW = datetime.fromisoformat("2026-11-26T10:00:00+04:00")


def data_check(request: dict[str, Any]) -> str:
    response = evaluate_file(orjson.dumps(request), None, NOW)
    (card,) = [c for c in response["cards"] if c["source"]["topic"]["code"] == "data-check"]
    return str(card["summary"])


def request() -> dict[str, Any]:
    return dict(orjson.loads((SCENARIO / "request.json").read_bytes()))


def test_a_key_sent_as_a_plain_list_says_it_was_read() -> None:
    sent = request()
    conditions = sent["prefetch"]["conditions"]
    sent["prefetch"]["conditions"] = [e["resource"] for e in conditions["entry"]]
    assert data_check(sent) == (
        "Check this data: conditions sent as a plain list, not a Bundle (all of it read)"
    )


def test_another_visit_says_it_was_left_out() -> None:
    sent = request()
    sent["prefetch"]["encounter"] = {
        "resourceType": "Encounter",
        "id": "enc-last-year",
        "status": "finished",
        "subject": {"reference": f"Patient/{sent['context']['patientId']}"},
        "reasonCode": [{"text": "Low back pain"}],
    }
    assert data_check(sent) == "Check this data: encounter: another visit than this one, left out"
