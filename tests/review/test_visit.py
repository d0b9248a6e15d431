"""Batch review sends each replayed call only its own visit, as the service's `encounter`
template does (Encounter/{{context.encounterId}}): an older visit's reason for visit must not
put the patient in scope or raise a sign in batch when it would not at the EHR."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.review.helpers import read_ndjson, review

NOW = datetime.now(UTC).replace(microsecond=0)
SUBJECT = {"reference": "Patient/p1"}


def visit(eid: str, days_ago: float, reason: str) -> dict[str, Any]:
    start = NOW - timedelta(days=days_ago)
    return {
        "resourceType": "Encounter",
        "id": eid,
        "status": "finished",
        "class": {"code": "EMER"},
        "subject": SUBJECT,
        "period": {"start": start.isoformat(), "end": (start + timedelta(hours=3)).isoformat()},
        "reasonCode": [{"text": reason}],
    }


def discharge_topics(tmp_path: Path, *encounters: dict[str, Any]) -> list[str]:
    folder = tmp_path / "in"
    folder.mkdir()
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1980-01-01"}
    bundle = {"resourceType": "Bundle", "type": "collection"}
    bundle["entry"] = [{"resource": r} for r in (patient, *encounters)]
    (folder / "p1.json").write_text(json.dumps(bundle))
    review([folder], tmp_path / "out", workers=1)
    lines = read_ndjson(tmp_path / "out" / "cards.ndjson")
    return [
        c["source"]["topic"]["code"]
        for line in lines
        if line["hook"] == "encounter-discharge"
        for c in line["cards"]
    ]


def test_the_discharge_visits_own_reason_counts(tmp_path: Path) -> None:
    topics = discharge_topics(tmp_path, visit("today", 0.2, "Low back pain, unable to urinate"))
    assert "emergency-sign" in topics and "discharge-instructions" in topics


def test_an_older_visits_reason_does_not_speak_for_this_discharge(tmp_path: Path) -> None:
    """Three days ago: back pain and urinary retention; today: a cough. At the EHR only
    today's visit is prefetched, so the pack is silent; batch was raising a critical card."""
    old = visit("three-days-ago", 3, "Low back pain, unable to urinate")
    assert discharge_topics(tmp_path, old, visit("today", 0.2, "Cough")) == []
