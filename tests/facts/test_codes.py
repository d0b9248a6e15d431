"""Tests for facts/codes.py: code systems as real feeds send them."""

from __future__ import annotations

import pytest

from cds.facts.codes import (
    ATC,
    CPT,
    ICD10CM,
    LOINC,
    RXNORM,
    SNOMED,
    normalize_code,
    normalize_system,
)


@pytest.mark.parametrize(
    "raw, canonical",
    [
        ("urn:oid:2.16.840.1.113883.6.96", SNOMED),
        ("http://snomed.info/sct/", SNOMED),
        ("https://snomed.info/sct", SNOMED),
        (" http://snomed.info/sct ", SNOMED),
        ("urn:oid:2.16.840.1.113883.6.90", ICD10CM),
        ("http://hl7.org/fhir/sid/icd-10-cm/", ICD10CM),
        ("urn:oid:2.16.840.1.113883.6.1", LOINC),
        ("HTTPS://LOINC.ORG", LOINC),
        ("urn:oid:2.16.840.1.113883.6.88", RXNORM),
        ("urn:oid:2.16.840.1.113883.6.73", ATC),
        ("urn:oid:2.16.840.1.113883.6.12", CPT),
        (LOINC, LOINC),
        ("http://local.example/codes", "http://local.example/codes"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalize_system(raw: str | None, canonical: str) -> None:
    assert normalize_system(raw) == canonical


@pytest.mark.parametrize(
    "system, raw, normal",
    [
        (ICD10CM, "M54.50", "M54.50"),
        (ICD10CM, "M5450", "M54.50"),
        (ICD10CM, "m54.50", "M54.50"),
        (ICD10CM, " m5450 ", "M54.50"),
        (ICD10CM, "M545.0", "M54.50"),  # the dot always follows the third character
        (ICD10CM, "M54", "M54"),
        (ICD10CM, "r50.9", "R50.9"),
        (ATC, "m01ae01", "M01AE01"),
        (SNOMED, " 44054006 ", "44054006"),
        (LOINC, "8310-5", "8310-5"),
        ("http://local.example/codes", "Back-7", "Back-7"),  # case kept outside ICD/ATC
    ],
)
def test_normalize_code(system: str, raw: str, normal: str) -> None:
    assert normalize_code(system, raw) == normal
