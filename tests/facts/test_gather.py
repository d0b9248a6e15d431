"""Tests for facts/gather.py: a record read in one pass (every resource plainly this
patient's, each id once) gives exactly what reading it resource by resource gives."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from cds.facts.gather import patient_record

PATIENT = "p1"
#: Says "no problem" (read one resource at a time, and left out without a data issue): with
#: it among the sources, no record is read in one pass.
NO_MATCHES = {
    "resourceType": "OperationOutcome",
    "issue": [{"severity": "information", "code": "informational"}],
}

subjects = st.sampled_from(
    [
        {"reference": f"Patient/{PATIENT}"},
        {"reference": f"Patient/{PATIENT}", "display": "Ann"},
        {"reference": "Patient/p2"},
        {"display": "Ann"},
        "Patient/p1",
    ]
)


@st.composite
def resources(draw: st.DrawFn) -> dict[str, Any]:
    rtype = draw(st.sampled_from(["Observation", "Condition", "Patient"]))
    res: dict[str, Any] = {"resourceType": rtype}
    rid = draw(st.one_of(st.sampled_from(["a", "b", PATIENT, "p2", ""]), st.none()))
    if rid is not None:
        res["id"] = rid
    if rtype != "Patient" and draw(st.integers(0, 3)):
        res["subject"] = draw(subjects)
    if draw(st.integers(0, 9)) == 0:
        res["patient"] = {"reference": "Patient/p2"}
    res["status"] = draw(st.sampled_from(["final", "preliminary"]))  # copies may differ
    return res


def bundle(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "entry": [{"resource": r} for r in items]}


@examples(max_examples=300, deadline=None)
@given(st.lists(st.lists(resources(), max_size=6), min_size=1, max_size=4))
def test_a_record_read_in_one_pass_is_the_record_read_one_by_one(
    sources: list[list[dict[str, Any]]],
) -> None:
    named = [(f"prefetch.k{i}", bundle(items)) for i, items in enumerate(sources)]
    fast = patient_record(PATIENT, named)
    slow = patient_record(PATIENT, [*named, ("prefetch.outcome", NO_MATCHES)])
    assert [id(r) for r in fast.resources] == [id(r) for r in slow.resources]
    assert fast.issues == slow.issues


def test_plain_records_keep_every_resource_in_order() -> None:
    obs = {"resourceType": "Observation", "id": "a", "subject": {"reference": "Patient/p1"}}
    cond = {"resourceType": "Condition", "id": "a", "subject": {"reference": "Patient/p1"}}
    patient = {"resourceType": "Patient", "id": PATIENT}
    record = patient_record(
        PATIENT, [("prefetch.patient", patient), ("prefetch.x", bundle([obs, cond]))]
    )
    assert record.resources == [patient, obs, cond] and record.issues == []


def test_an_exact_copy_is_read_once_and_a_changed_one_kept() -> None:
    obs = {"resourceType": "Observation", "id": "a", "subject": {"reference": "Patient/p1"}}
    amended = {**obs, "status": "amended"}
    once = patient_record(PATIENT, [("prefetch.x", bundle([obs])), ("prefetch.y", bundle([obs]))])
    assert once.resources == [obs]
    twice = patient_record(PATIENT, [("prefetch.x", bundle([obs, dict(obs), amended]))])
    assert twice.resources == [obs, amended]


def test_a_fetched_page_is_named_as_its_prefetch_key() -> None:
    """What the service fetched for a key is that key's data: a data issue about it names
    ``prefetch.<key>``, as one about what the client sent does, never the internal
    ``fetched.<key>`` (integrator review, stop 18)."""
    other = {"resourceType": "Condition", "id": "c9", "subject": {"reference": "Patient/p2"}}
    page = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": other}]}
    record = patient_record(PATIENT, [("fetched.conditions", page)])
    assert record.resources == []
    assert [i.rid for i in record.issues] == ["prefetch.conditions.entry"]
    assert record.issues[0].other_patient
