"""The typed call (cds/call.py, issue 12 item 1): built once at the edge, checked there.

The service's call (a request's prefetch Bundles) and batch review's (the same resources, no
Bundle around them) gather the same record; draft orders and selections are read at the
edge; a time without a zone never reaches the spine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from cds.call import HookCall, call_of, recorded_call, request_call
from cds.errors import InputError
from cds.facts.gather import Record
from cds.facts.model import DataIssue
from cds.fhir import bundle
from cds.hooks.registry import HOOKS, ORDER_HOOKS, parse_context
from cds.hooks.request import HookContext, HookRequest, OrderSelectContext

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
PATIENT = {"resourceType": "Patient", "id": "p1"}
SUBJECT = {"reference": "Patient/p1"}
PAIN = {"resourceType": "Condition", "id": "c1", "subject": SUBJECT, "code": {"text": "LBP"}}
OTHER = {"resourceType": "Condition", "id": "c9", "subject": {"reference": "Patient/p2"}}
FEVER = {"resourceType": "Observation", "id": "o1", "subject": SUBJECT, "status": "final"}
DRAFT = {"resourceType": "MedicationRequest", "id": "rx1", "status": "draft", "subject": SUBJECT}


def context(hook: str, **fields: Any) -> HookContext:
    parsed = parse_context(hook, {"userId": "Practitioner/d1", "patientId": "p1", **fields})
    assert parsed is not None
    return parsed


def test_the_service_and_batch_gather_the_same_record() -> None:
    prefetch = {
        "patient": PATIENT,
        "conditions": bundle([PAIN, OTHER], "searchset"),
        "observations": bundle([FEVER, FEVER], "searchset"),  # the same reading sent twice
    }
    served = call_of("patient-view", context("patient-view"), prefetch, NOW)
    sources = [
        ("prefetch.patient", PATIENT),
        ("prefetch.conditions", PAIN),
        ("prefetch.conditions", OTHER),
        ("prefetch.observations", FEVER),
        ("prefetch.observations", FEVER),
    ]
    replayed = recorded_call("patient-view", context("patient-view"), sources, (), NOW)
    assert served.record.resources == replayed.record.resources == [PATIENT, PAIN, FEVER]
    assert served.record.issues == replayed.record.issues
    (other,) = served.record.issues  # another patient's condition: left out, and said
    assert other.other_patient and other.rid == "prefetch.conditions.entry"


def test_draft_orders_are_read_at_the_edge_for_the_order_hooks_only() -> None:
    assert set(ORDER_HOOKS) == {"order-select", "order-sign"}
    assert not HOOKS["patient-view"].draft_orders and not HOOKS["encounter-discharge"].draft_orders
    drafts = bundle([DRAFT], "collection")
    sign = call_of("order-sign", context("order-sign", draftOrders=drafts), {}, NOW)
    assert sign.drafts.resources == [DRAFT] and not sign.drafts.issues
    view = call_of("patient-view", context("patient-view", draftOrders=drafts), {}, NOW)
    assert view.drafts == Record()  # patient-view carries no draft orders, whatever is sent


def test_a_selection_naming_no_draft_order_is_a_data_check_item() -> None:
    select = context(
        "order-select",
        draftOrders=bundle([DRAFT], "collection"),
        selections=["MedicationRequest/rx1", "ServiceRequest/mri"],
    )
    assert isinstance(select, OrderSelectContext)
    call = call_of("order-select", select, {}, NOW)
    (issue,) = call.drafts.issues
    assert issue.rid == "context.selections[1]" and "ServiceRequest/mri" in issue.message
    assert call.drafts.resources == [DRAFT]  # still checked


def test_another_visit_in_the_encounter_key_is_left_out_and_said() -> None:
    """An EHR's stale prefetch: the visit of 400 days ago, whose reason must not speak for
    this one (an integrator's review found it used silently)."""
    old = {"resourceType": "Encounter", "id": "enc-old", "subject": SUBJECT}
    discharge = context("encounter-discharge", encounterId="enc-9001")
    call = call_of("encounter-discharge", discharge, {"encounter": old, "patient": PATIENT}, NOW)
    assert call.record.resources == [PATIENT]
    (issue,) = call.issues
    assert issue.rid == "prefetch.encounter" and "another visit" in issue.message
    this = {**old, "id": "enc-9001"}
    same = call_of("encounter-discharge", discharge, {"encounter": this}, NOW)
    assert same.record.resources == [this] and not same.issues
    for shape in (bundle([old, this], "searchset"), [old, this], [{"resource": old}]):
        mixed = call_of("encounter-discharge", discharge, {"encounter": shape}, NOW)
        assert old not in mixed.record.resources  # a Bundle or a bare list: checked too
        assert any("another visit" in i.message for i in mixed.issues)


def test_selections_sent_at_order_sign_are_not_read() -> None:
    """`selections` is order-select's: at order-sign it is an extra field, not a mismatch to
    put before the clinician."""
    sign = context("order-sign", draftOrders=bundle([DRAFT], "collection"), selections=["X/1"])
    assert call_of("order-sign", sign, {}, NOW).issues == []


def test_issues_come_in_order_notes_record_drafts() -> None:
    note = DataIssue(rid="prefetch.observations", message="not had")
    sent = [DRAFT, "junk"]  # a bare list, with an entry that is not a resource
    call = call_of(
        "order-sign",
        context("order-sign", draftOrders=sent),
        {"conditions": bundle([OTHER], "searchset")},
        NOW,
        notes=[note],
    )
    rids = [i.rid for i in call.issues]
    assert rids[0] == "prefetch.observations"
    assert rids[1] == "prefetch.conditions.entry"
    assert all(r.startswith("context.draftOrders") for r in rids[2:]) and len(rids) == 4


def test_a_time_without_a_zone_never_reaches_the_spine() -> None:
    with pytest.raises(InputError, match="time zone"):
        HookCall("patient-view", context("patient-view"), Record(), Record(), datetime(2026, 1, 1))


def test_request_call_parses_the_context_once_and_refuses_an_unknown_hook() -> None:
    request = HookRequest.model_validate(
        {
            "hook": "encounter-discharge",
            "hookInstance": "x",
            "context": {"userId": "Practitioner/d1", "patientId": "p1", "encounterId": "e1"},
            "prefetch": {"patient": PATIENT},
        }
    )
    call = request_call(request, NOW)
    assert (call.patient_id, call.encounter_id) == ("p1", "e1")
    assert call.record.resources == [PATIENT]
    with pytest.raises(InputError, match="no hook"):
        request_call(request.model_copy(update={"hook": "appointment-book"}), NOW)
    with pytest.raises(InputError, match="encounterId"):
        request_call(
            request.model_copy(
                update={"context": {"userId": "Practitioner/d1", "patientId": "p1"}}
            ),
            NOW,
        )
