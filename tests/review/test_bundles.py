"""A folder of per-patient transaction Bundles (urn:uuid references, as Synthea writes them)
gives the same cards as the same data as Bulk NDJSON."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson

from tests.review.helpers import SAMPLE, read_ndjson, review


def write_bundles(folder: Path) -> None:
    folder.mkdir()
    per_patient: dict[str, list[dict[str, Any]]] = defaultdict(list)
    shared = []
    for path in sorted(SAMPLE.glob("*.ndjson")):
        for res in read_ndjson(path):
            if res["resourceType"] == "Medication":
                shared.append({"fullUrl": f"Medication/{res['id']}", "resource": res})
                continue
            pid = res["id"] if res["resourceType"] == "Patient" else res["subject"]["reference"][8:]
            if res["resourceType"] == "Patient":
                res = {k: v for k, v in res.items() if k != "id"}  # POST: the urn is the id
                entry = {"fullUrl": f"urn:uuid:{pid}", "resource": res}
            else:
                res = {**res, "subject": {"reference": f"urn:uuid:{pid}"}}
                entry = {"fullUrl": f"{res['resourceType']}/{res['id']}", "resource": res}
            per_patient[pid].append(entry)
    for pid, entries in per_patient.items():
        bundle = {"resourceType": "Bundle", "type": "transaction", "entry": entries}
        (folder / f"{pid}.json").write_bytes(orjson.dumps(bundle))
    medications = {"resourceType": "Bundle", "type": "collection", "entry": shared}
    (folder / "medications.json").write_bytes(orjson.dumps(medications))


def test_bundles_give_the_same_cards_as_ndjson(tmp_path: Path) -> None:
    write_bundles(tmp_path / "bundles")
    from_ndjson = review([SAMPLE], tmp_path / "a", workers=1)
    from_bundles = review([tmp_path / "bundles"], tmp_path / "b", workers=1)
    a = (tmp_path / "a" / "cards.ndjson").read_bytes()
    b = (tmp_path / "b" / "cards.ndjson").read_bytes()
    assert a == b
    assert from_bundles["cards_by_hook_topic"] == from_ndjson["cards_by_hook_topic"]
    assert from_bundles["lines"]["balanced"] is True
    assert from_bundles["lines"]["read"] == from_ndjson["lines"]["read"]
