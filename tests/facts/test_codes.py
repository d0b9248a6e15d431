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
    infer_system,
    loinc_check_digit_ok,
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


@pytest.mark.parametrize("code", ["8867-4", "8310-5", "59408-5", "2708-6", "9279-1", "4548-4"])
def test_real_loinc_codes_have_valid_check_digits(code: str) -> None:
    assert loinc_check_digit_ok(code)
    assert infer_system("", code) == LOINC


@pytest.mark.parametrize("code", ["8867-5", "8867", "88674", "R55", "271594007", "8867-44", ""])
def test_other_codes_are_not_read_as_loinc(code: str) -> None:
    assert not loinc_check_digit_ok(code)
    assert infer_system("", code) == ""


def test_a_given_system_is_kept() -> None:
    assert infer_system(SNOMED, "8867-4") == SNOMED


@pytest.mark.parametrize(
    "system",
    [
        "http://hl7.org/fhir/sid/icd-10",
        "http://hl7.org/fhir/sid/icd-10/",
        "urn:oid:2.16.840.1.113883.6.3",
    ],
)
def test_who_icd10_reads_as_icd10cm(system: str) -> None:
    assert normalize_system(system) == ICD10CM


def test_match_detail_says_code_or_words() -> None:
    from cds.facts.valuesets import RecordCoding
    from cds.pack.load import load_pack

    index = load_pack().index
    assert index.match_detail([RecordCoding(ICD10CM, "R55")]) == {"syncope_loc": True}
    assert index.match_detail([], "fainted") == {"syncope_loc": False}
    assert index.match_detail([RecordCoding("", "", "Syncope")]) == {"syncope_loc": False}
    # a coded coding's display names its code: not read as words (the concept's text is)
    assert index.match_detail([RecordCoding(ICD10CM, "R55", "fever")]) == {"syncope_loc": True}
    both = index.match_detail([RecordCoding(ICD10CM, "R55")], "fever")
    assert both == {"syncope_loc": True, "fever_condition": False}
    assert index.match([RecordCoding(ICD10CM, "R55")], "fever") == set(both)
    assert index.match_detail([RecordCoding("", "8867-4")]) == {"heart_rate_obs": True}
