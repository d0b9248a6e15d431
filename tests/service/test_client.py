"""Tests for service/client.py: the EHR side used by `cds call`."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest

from cds.errors import InputError
from cds.hooks.models import parse_hook_request
from cds.service.client import build_request, dev_key, format_cards, public_jwks, sign
from cds.service.services import PREFETCH
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
    assert text == "[WARNING] S\n    line1\n    line2"
    assert format_cards({"cards": []}) == "no cards"
