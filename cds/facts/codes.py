"""Code systems as real feeds send them: URIs, OIDs and sloppy ICD-10-CM codes."""

from __future__ import annotations

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
    "https://loinc.org": LOINC,
    "http://loinc.org/": LOINC,
    "urn:oid:2.16.840.1.113883.6.88": RXNORM,
    "https://www.nlm.nih.gov/research/umls/rxnorm": RXNORM,
    "urn:oid:2.16.840.1.113883.6.73": ATC,
    "http://www.whocc.no/atc/": ATC,
    "urn:oid:2.16.840.1.113883.6.12": CPT,
}


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
