"""Tests for cds/review/sources.py: finding files, reading lines, the verdict of each line."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

from cds.errors import InputError
from cds.review.sources import classify, classify_raw, discover, patient_of, read_lines


def res(rtype: str, rid: str, **fields: object) -> dict[str, object]:
    return {"resourceType": rtype, "id": rid, **fields}


def subj(pid: str) -> dict[str, str]:
    return {"reference": f"Patient/{pid}"}


@pytest.mark.parametrize(
    ("resource", "kind", "pid"),
    [
        (res("Patient", "p1"), "patient", "p1"),
        (res("Observation", "o1", subject=subj("p1")), "patient", "p1"),
        (
            res("Observation", "o1", subject={"reference": "https://h/fhir/Patient/p2/_history/3"}),
            "patient",
            "p2",
        ),
        (res("Observation", "o1", subject={"reference": "Group/g1"}), "error", ""),
        (res("Condition", "c1"), "error", ""),
        (res("Medication", "m1"), "reference", ""),
        (res("Practitioner", "d1"), "ignored", ""),
        (res("Coverage", "cv", beneficiary=subj("p3")), "ignored", "p3"),
        (res("Claim", "cl", patient=subj("p4")), "ignored", "p4"),
        ({"resourceType": "Patient"}, "error", ""),
        ({"id": "x"}, "error", ""),
        ([1, 2], "error", ""),
    ],
)
def test_classify(resource: object, kind: str, pid: str) -> None:
    verdict = classify(resource)
    assert (verdict.kind, verdict.pid) == (kind, pid)
    if kind in ("error", "ignored"):
        assert verdict.reason


def test_classify_raw_bad_json_and_blank() -> None:
    assert classify_raw(b"{not json").kind == "error"
    assert classify_raw(b"   ").reason == "blank line"


def test_patient_of_ignores_performers() -> None:
    assert patient_of({"performer": [subj("p1")]}) is None


def write_ndjson(path: Path, items: list[dict[str, object]], gz: bool = False) -> None:
    data = b"".join(orjson.dumps(i) + b"\n" for i in items)
    path.write_bytes(gzip.compress(data) if gz else data)


def test_folder_without_manifest_sniffs_odd_names(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "11ef-34be-9a2c", [res("Patient", "p1")])
    write_ndjson(
        tmp_path / "1.Condition.ndjson.gz", [res("Condition", "c1", subject=subj("p1"))], gz=True
    )
    (tmp_path / "notes.txt").write_text("hello")
    found = discover([tmp_path])
    assert [(f.path.name, f.declared_type) for f in found] == [
        ("1.Condition.ndjson.gz", "Condition"),
        ("11ef-34be-9a2c", "Patient"),
    ]
    lines = [line for f in found for line in read_lines(f)]
    assert [(ln.line, ln.verdict.pid) for ln in lines] == [(1, "p1"), (1, "p1")]


def test_manifest_lists_the_files(tmp_path: Path) -> None:
    write_ndjson(tmp_path / "eNZwsy9bU7LX8nBB", [res("Patient", "p1")])
    write_ndjson(tmp_path / "stray.ndjson", [res("Patient", "p2")])
    manifest = {"output": [{"type": "Patient", "url": "https://h/files/eNZwsy9bU7LX8nBB"}]}
    (tmp_path / "manifest.json").write_bytes(orjson.dumps(manifest))
    assert [(f.path.name, f.declared_type) for f in discover([tmp_path])] == [
        ("eNZwsy9bU7LX8nBB", "Patient")
    ]
    assert discover([tmp_path / "manifest.json"]) == discover([tmp_path])


def test_manifest_with_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_bytes(orjson.dumps({"output": [{"url": "x.ndjson"}]}))
    with pytest.raises(InputError, match="missing"):
        discover([tmp_path])


def test_missing_input_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        discover([tmp_path / "nope"])


def test_transaction_bundle_urn_references_become_patient_ids(tmp_path: Path) -> None:
    pid = "6f1c1a52-1d5b-4d0e-9a57-8e8d1c1d2e3f"
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "fullUrl": f"urn:uuid:{pid}",
                "resource": {"resourceType": "Patient"},
                "request": {"method": "POST", "url": "Patient"},
            },
            {
                "fullUrl": "urn:uuid:7f1c1a52-1d5b-4d0e-9a57-8e8d1c1d2e3f",
                "resource": {
                    "resourceType": "Observation",
                    "status": "final",
                    "subject": {"reference": f"urn:uuid:{pid}"},
                },
            },
            {"request": {"method": "GET", "url": "Patient"}},
        ],
    }
    (tmp_path / "b.json").write_bytes(orjson.dumps(bundle))
    lines = [ln for f in discover([tmp_path / "b.json"]) for ln in read_lines(f)]
    assert [ln.verdict.kind for ln in lines] == ["patient", "patient", "error"]
    assert {ln.verdict.pid for ln in lines[:2]} == {pid}
    assert orjson.loads(lines[1].raw)["subject"]["reference"] == f"Patient/{pid}"
    assert lines[2].line == 3


def test_collection_bundle_folder_and_a_broken_file(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": res("Patient", "p9")},
            {"resource": res("Condition", "c9", subject=subj("p9"))},
        ],
    }
    (tmp_path / "a.json").write_bytes(orjson.dumps(bundle))
    (tmp_path / "b.json").write_bytes(b"{broken")
    lines = [ln for f in discover([tmp_path]) for ln in read_lines(f)]
    assert [ln.verdict.kind for ln in lines] == ["patient", "patient", "error"]
