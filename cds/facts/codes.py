"""Code systems as real feeds send them: URIs, OIDs and sloppy ICD-10-CM codes."""

from __future__ import annotations

import re

SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
CPT = "http://www.ama-assn.org/go/cpt"

# C-CDA-derived feeds send HL7 OIDs instead of FHIR URIs (seen for SNOMED and ICD-10-CM).
_ALIASES = {
    "urn:oid:2.16.840.1.113883.6.96": SNOMED,
    "http://snomed.info/sct/": SNOMED,
    "https://snomed.info/sct": SNOMED,
    "urn:oid:2.16.840.1.113883.6.90": ICD10CM,
    "http://hl7.org/fhir/sid/icd-10-cm/": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.1": LOINC,
    "LN": LOINC,  # HL7 v2's name for LOINC, kept by v2-to-FHIR converters
    "https://loinc.org": LOINC,
    "http://loinc.org/": LOINC,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "https://www.nlm.nih.gov/research/umls/rxnorm": RXNORM,
    "urn:oid:2.16.840.1.113883.6.73": ATC,
    "http://www.whocc.no/atc/": ATC,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
    # WHO ICD-10: ICD-10-CM extends it, and a code the two share (R55, M54.5) means the same
    # thing, so WHO codes are looked up among the ICD-10-CM entries.
    "http://hl7.org/fhir/sid/icd-10": ICD10CM,
    "http://hl7.org/fhir/sid/icd-10/": ICD10CM,
    "urn:oid:2.16.840.1.113883.6.3": ICD10CM,
}

_LOINC_SHAPE = re.compile(r"\d{1,7}-\d", re.ASCII)


def normalize_system(system: str | None) -> str:
    """Return the canonical FHIR URI for a code system given as URI or OID ('' if none)."""
    if not system:
        return ""
    cleaned = system.strip()
    return _ALIASES.get(cleaned, _ALIASES.get(cleaned.lower(), cleaned))


def normalize_code(system: str, code: str) -> str:
    """Normalise a code for matching: ICD-10-CM in upper case with the dot where it belongs.

    Feeds send ``m5450``, ``M5450`` and ``M54.50``; the dot always follows the third character.
    """
    cleaned = code.strip()
    if system == ICD10CM:
        bare = cleaned.replace(".", "").upper()
        return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"
    if system == ATC:
        return cleaned.upper()
    return cleaned


def loinc_check_digit_ok(code: str) -> bool:
    """Whether a code is LOINC-shaped (digits, dash, one check digit) with a valid mod-10
    check digit (LOINC's algorithm, the same as Luhn's): ``8867-4`` yes, ``8867-5`` no."""
    text = code.strip()
    if not _LOINC_SHAPE.fullmatch(text):
        return False
    body, check = text.split("-")
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:  # the rightmost digit and every second one leftwards: doubled
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(check)


def infer_system(system: str, code: str) -> str:
    """The system of a coding sent without one, where its code leaves no doubt: a LOINC code
    with a valid check digit. Otherwise the (normalised) system as given, '' when none."""
    if system or not code:
        return system
    return LOINC if loinc_check_digit_ok(code) else ""
