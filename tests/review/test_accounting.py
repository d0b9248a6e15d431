"""Every input line is accounted for: read = used + reference + errors + ignored."""

from __future__ import annotations

from pathlib import Path

import orjson

from tests.review.helpers import read_ndjson, review


def test_broken_input_lines_are_all_accounted_for(tmp_path: Path) -> None:
    data = tmp_path / "in"
    data.mkdir()
    good_patient = orjson.dumps({"resourceType": "Patient", "id": "p1"})
    condition = orjson.dumps(
        {
            "resourceType": "Condition",
            "id": "c1",
            "subject": {"reference": "Patient/p1"},
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]},
            "recordedDate": "2025-01-01T10:00:00Z",
        }
    )
    lines = [
        good_patient,
        condition,
        condition,  # duplicate
        b"{this is not json",
        b"[1, 2, 3]",
        b'{"id": "no-type"}',
        b'{"resourceType": "Observation", "id": "o1", "status": "final"}',  # no patient
        b'{"resourceType": "Practitioner", "id": "d1"}',
        b'{"resourceType": "ImagingStudy", "id": "i1", "subject": {"reference": "Patient/p1"}}',
        b'{"resourceType": "Medication", "id": "m1"}',
        b"",
        b'{"resourceType": "Condition", "id": "c2", "subject": {"reference": "Patient/a b"}}',
    ]
    (data / "mixed.ndjson").write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out"
    summary = review([data], out)

    counted = summary["lines"]
    assert counted["read"] == len(lines)
    assert counted["balanced"] is True
    assert counted["used"] == 2  # the Patient and one copy of the Condition
    assert counted["reference"] == 1
    assert counted["errors"] == 5  # bad JSON, array, no type, no patient, bad patient id
    assert counted["ignored"] == 4  # duplicate, Practitioner, ImagingStudy, blank line
    errors = read_ndjson(out / "errors.ndjson")
    by_line = {e["line"]: e["reason"] for e in errors if "line" in e}
    assert set(by_line) == {4, 5, 6, 7}
    assert all(e["file"].endswith("mixed.ndjson") for e in errors if "line" in e)
    assert "not valid JSON" in by_line[4]
    assert "no patient reference" in by_line[7]
    assert any(e.get("patient") == "Patient/a b" for e in errors)
    assert summary["patients"]["reviewed"] == 1
