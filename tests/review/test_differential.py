"""The batch review and the service spine give the same cards for the same request and time.

The requests here are built independently of cds/review/replay.py: one prefetch Bundle with
every resource of the patient dated up to the call, sent through ``cds evaluate``'s code path
(cds/evaluate.py), and compared with the batch's cards (uuids aside).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from cds.evaluate import evaluate_file
from cds.hooks.registry import HOOKS
from tests.review.helpers import SAMPLE, read_ndjson, review, without_uuids

DATED = {
    "Condition": "recordedDate",
    "Observation": "effectiveDateTime",
    "MedicationRequest": "authoredOn",
    "ServiceRequest": "authoredOn",
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    out = tmp_path_factory.mktemp("diff")
    review([SAMPLE], out, workers=1)
    return read_ndjson(out / "cards.ndjson")


def sample_records() -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[str, Any]]]:
    by_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    meds = {}
    for path in sorted(SAMPLE.glob("*.ndjson")):
        for res in read_ndjson(path):
            if res["resourceType"] == "Medication":
                meds[f"Medication/{res['id']}"] = res
            elif res["resourceType"] == "Patient":
                by_patient[res["id"]].append(res)
            else:
                by_patient[res["subject"]["reference"].split("/")[1]].append(res)
    return by_patient, meds


def at(text: str) -> datetime:
    """An instant; a time without a zone is read in the site's zone (UTC by default), as the
    review and the service read it."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def hand_request(
    line: dict[str, Any], record: list[dict[str, Any]], meds: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    when = at(line["at"])
    pid = line["patient"].split("/")[1]
    kept, drafts, seen = [], [], set()
    for res in record:
        key = (res["resourceType"], res["id"])
        if key in seen:
            continue
        seen.add(key)
        field = DATED.get(res["resourceType"])
        if res["resourceType"] == "Encounter":
            field_value = res["period"]["start"]
        else:
            field_value = res.get(field) if field else None
        if field_value and at(field_value) > when:
            continue
        signed = (
            line["hook"] == "order-sign"
            and res.get("authoredOn")
            and at(res["authoredOn"]) == when
            and res["status"] == "active"
            and res["resourceType"] in ("MedicationRequest", "ServiceRequest")
        )
        (drafts if signed else kept).append(res)
    kept += list(meds.values())
    context: dict[str, Any] = {"userId": "Practitioner/x", "patientId": pid}
    if line["hook"] == "encounter-discharge":
        ended = [
            r for r in kept if r["resourceType"] == "Encounter" and at(r["period"]["end"]) == when
        ]
        context["encounterId"] = ended[0]["id"]
    else:
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {**d, "status": "draft"}} for d in drafts],
        }
    everything = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in kept],
    }
    return {
        "hook": line["hook"],
        "hookInstance": "d1",
        "context": context,
        # Under a key the services declare (an undeclared one is ignored, as by the service);
        # the spine reads every resource of a key whatever its type. The other declared keys
        # are answered "no data" (null): an absent key would be a data-check item.
        "prefetch": {
            **{key.key: None for key in HOOKS[line["hook"]].keys},
            "conditions": everything,
        },
    }


def test_batch_cards_equal_the_spine_cards(batch: list[dict[str, Any]]) -> None:
    records, meds = sample_records()
    picked = [line for line in batch if line["hook"] == "order-sign"][:6]
    picked += [line for line in batch if line["hook"] == "encounter-discharge"][:6]
    assert len(picked) == 12
    for line in picked:
        pid = line["patient"].split("/")[1]
        request = hand_request(line, records[pid], meds)
        response = evaluate_file(orjson.dumps(request), None, at(line["at"]))
        assert without_uuids(response["cards"]) == without_uuids(line["cards"]), line["patient"]


def test_card_uuids_are_stable(batch: list[dict[str, Any]], tmp_path: Path) -> None:
    review([SAMPLE], tmp_path, workers=1)
    assert read_ndjson(tmp_path / "cards.ndjson") == batch
