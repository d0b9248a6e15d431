"""Tests for service/client.py: the EHR side used by `cds call`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import jwt
import pytest

from cds.errors import InputError
from cds.hooks.feedback import parse_feedback
from cds.hooks.registry import parse_hook_request
from cds.service.client import (
    build_request,
    dev_key,
    feedback_item,
    format_cards,
    public_jwks,
    sign,
)
from cds.services import PREFETCH
from tests.service.patient import patient_bundle

TEMPLATES = {k.key: k.template for k in PREFETCH}


def test_build_request_fills_prefetch_from_the_bundle() -> None:
    bundle = patient_bundle()
    bundle["entry"].append(
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": "m1",
                "status": "draft",
                "intent": "order",
                "subject": {"reference": "Patient/p1"},
            }
        }
    )
    request = build_request("order-select", TEMPLATES, bundle)
    parse_hook_request(request)  # a valid 2.0 request
    assert request["prefetch"]["patient"]["id"] == "p1"
    assert len(request["prefetch"]["conditions"]["entry"]) == 1
    assert request["prefetch"]["medications"]["entry"] == []  # the draft is not active
    assert request["context"]["selections"] == ["MedicationRequest/m1"]


def test_the_encounter_key_is_left_out_without_an_encounter_and_sent_with_one() -> None:
    """Every service asks for the visit; a client whose context has no encounterId cannot
    fill the template and sends the other keys (it was a crash of `cds call`)."""
    templates = {**TEMPLATES, "encounter": "Encounter/{{context.encounterId}}"}
    request = build_request("patient-view", templates, patient_bundle())
    assert "encounter" not in request["prefetch"] and "encounterId" not in request["context"]
    assert request["prefetch"]["patient"]["id"] == "p1"
    bundle = patient_bundle()
    visit = {"resourceType": "Encounter", "id": "e1", "status": "in-progress"}
    bundle["entry"].append({"resource": {**visit, "reasonCode": [{"text": "Back pain"}]}})
    request = build_request("patient-view", templates, bundle)
    assert request["context"]["encounterId"] == "e1"
    assert request["prefetch"]["encounter"]["reasonCode"] == [{"text": "Back pain"}]


def test_encounter_discharge_needs_an_encounter() -> None:
    with pytest.raises(InputError, match="Encounter"):
        build_request("encounter-discharge", TEMPLATES, patient_bundle())


def test_dev_key_is_created_once_and_signs_es384(tmp_path: Path) -> None:
    path = tmp_path / "var" / "dev-key.json"
    key = dev_key(path)
    assert dev_key(path) == key
    assert (tmp_path / "var" / "dev-jwks.json").exists()
    token = sign(key, "urn:x", "http://a/cds-services")
    public = jwt.PyJWK(public_jwks(key)["keys"][0]).key
    claims = jwt.decode(token, public, algorithms=["ES384"], audience="http://a/cds-services")
    assert claims["iss"] == "urn:x" and claims["jti"]
    assert jwt.get_unverified_header(token)["kid"] == key["kid"]


def test_format_cards() -> None:
    text = format_cards(
        {"cards": [{"indicator": "warning", "summary": "S", "detail": "line1\nline2"}]}
    )
    assert text == "[WARNING] S\n    card: (no uuid: feedback cannot name it)\n    line1\n    line2"
    assert format_cards({"cards": []}) == "no cards"


def test_format_cards_shows_what_feedback_needs() -> None:
    card = {
        "uuid": "c-1",
        "indicator": "info",
        "summary": "S",
        "detail": "d",
        "suggestions": [{"label": "Do it", "uuid": "s-1", "isRecommended": True}],
        "links": [{"label": "Guide", "url": "https://example.org/g", "type": "absolute"}],
        "overrideReasons": [{"code": "r1", "system": "x", "display": "Reason one"}],
    }
    assert format_cards({"cards": [card]}).splitlines() == [
        "[INFO] S",
        "    card: c-1",
        "    d",
        "    suggestion s-1: Do it (recommended)",
        "    link: Guide <https://example.org/g>",
        "    override reasons: r1 (Reason one)",
    ]


CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"  # feedback names the uuids we issue
SUGGESTION = "e56e1945-20b3-4393-8503-a1a20fd73152"


def test_feedback_items_as_the_spec_has_them() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert feedback_item(CARD, accepted=[SUGGESTION], at=at) == {
        "card": CARD,
        "outcome": "accepted",
        "acceptedSuggestions": [{"id": SUGGESTION}],
        "outcomeTimestamp": "2026-01-02T03:04:05Z",
    }
    item = feedback_item(CARD, override=True, reason="checked", comment="ok", at=at)
    assert item["outcome"] == "overridden"
    assert item["overrideReason"] == {
        "reason": {"code": "checked", "system": "https://cds.example.org/override-reason"},
        "userComment": "ok",
    }
    assert "overrideReason" not in feedback_item(CARD, override=True, at=at)
    parse_feedback({"feedback": [item]})  # what the service accepts
    with pytest.raises(InputError, match="either --accept"):
        feedback_item(CARD, accepted=[SUGGESTION], override=True)
    with pytest.raises(InputError, match="go with --override"):
        feedback_item(CARD, accepted=[SUGGESTION], comment="x")
