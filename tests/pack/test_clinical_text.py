"""The bundled pack's value sets read the words real records use (issue 10's text variants,
red flags and medicines), and no more: each pattern is checked against near-misses that must
NOT match (a false emergency card is a harm too)."""

from __future__ import annotations

import pytest

from cds.facts.valuesets import RecordCoding
from cds.pack.load import load_pack

PACK = load_pack()
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


def words(text: str) -> set[str]:
    return PACK.index.match([], text)


@pytest.mark.parametrize(
    ("text", "valueset"),
    [
        ("XR LUMBAR SPINE 2-3 VIEWS", "imaging_lumbar_xray"),
        ("SOB", "dyspnea"),
        ("Collapse", "syncope_loc"),
        ("Incontinent of urine", "urinary_incontinence"),
        ("Numbness of groin and inner thighs", "saddle_anesthesia"),
        ("Decreased perineal sensation", "saddle_anesthesia"),
        ("Left leg numb", "numbness_paresthesia"),
        ("Burning urination", "dysuria"),
        ("BACK PAIN - LOWER", "low_back_pain"),
        ("AMS", "confusion"),
        ("Delirium", "confusion"),
        ("Unable to urinate", "urinary_retention"),
        ("Voice", "acvpu_not_alert"),
        ("Responds to pain", "acvpu_not_alert"),
        ("History of breast cancer", "malignancy"),
        ("Metastatic prostate carcinoma", "malignancy"),
        ("IVDU", "iv_drug_use"),
        ("Injection drug use", "iv_drug_use"),
        ("HIV", "immunosuppression"),
        ("Immunodeficiency due to drugs", "immunosuppression"),
        ("Osteoporosis", "osteoporosis"),
        ("Assaulted", "external_cause_injury"),
        ("prednisone 20 mg tablet", "immunosuppressant_med"),
        ("Percocet 5/325", "acetaminophen"),
        ("Percocet 5/325", "opioid"),
        ("Norco", "acetaminophen"),
        ("Tylenol #3", "acetaminophen"),
        ("Tylenol with codeine", "opioid"),
        ("Ultracet", "acetaminophen"),
        ("Lortab", "opioid"),
        ("Aspirin EC 81 mg", "aspirin_antiplatelet"),
        ("Aspirin EC 81 mg", "antiplatelet"),
        ("aspirin 325 mg", "nsaid"),
        ("Diazepam 5 mg", "benzodiazepine"),
        ("Lumbar disc herniation", "lumbar_disc_disorder"),
        ("Lumbar spinal stenosis", "lumbar_spinal_stenosis"),
    ],
)
def test_words_match(text: str, valueset: str) -> None:
    assert valueset in words(text)


@pytest.mark.parametrize(
    ("text", "valueset"),
    [
        ("Tearful, sobbing", "dyspnea"),  # SOB only as a capitalised whole word
        ("sob", "dyspnea"),
        ("Collapse of L1 vertebra", "syncope_loc"),  # a vertebral collapse is not a faint
        ("Collapsed lung", "syncope_loc"),
        ("DXA lumbar spine", "imaging_lumbar_xray"),  # bone density, not a radiograph
        ("Pain", "acvpu_not_alert"),  # pain-score observations are named "Pain"
        ("Pain score", "acvpu_not_alert"),
        ("Alert", "acvpu_not_alert"),
        ("Screening for malignant neoplasm of colon", "malignancy"),
        ("Family history of cancer", "malignancy"),
        ("hearing aids", "immunosuppression"),  # AIDS only in capitals
        ("Encounter for screening for human immunodeficiency virus [HIV]", "immunosuppression"),
        ("Contact with and (suspected) exposure to HIV", "immunosuppression"),
        ("LOC: alert", "syncope_loc"),  # LOC is also "level of consciousness"
        ("hydrocortisone 1% cream", "immunosuppressant_med"),  # topical, not systemic
        ("Aspirin EC 81 mg", "nsaid"),  # antiplatelet dose: never an NSAID to swap
        ("Aspirin 81 mg", "nsaid"),
        ("Nicotine dependence", "iv_drug_use"),
    ],
)
def test_near_misses_do_not_match(text: str, valueset: str) -> None:
    assert valueset not in words(text)


def test_bare_aspirin_ingredient_code_is_not_an_nsaid_order_but_analgesic_dose_is() -> None:
    ingredient = RecordCoding(RXNORM, "1191", "Aspirin")
    assert "nsaid" not in PACK.index.match([ingredient], "Aspirin 81 mg daily")
    assert "aspirin_antiplatelet" in PACK.index.match([ingredient], "Aspirin 81 mg daily")
    assert "nsaid" in PACK.index.match([ingredient], "aspirin 325 mg")
    assert "nsaid" not in PACK.index.match(
        [RecordCoding(RXNORM, "243670", "aspirin 81 MG Oral Tablet")]
    )


@pytest.mark.parametrize(
    ("code", "valueset", "expected"),
    [
        ("C50.911", "malignancy", True),
        ("C61", "malignancy", True),
        ("C90.00", "malignancy", True),
        ("Z85.3", "malignancy", True),
        ("B20", "immunosuppression", True),
        ("Z94.0", "immunosuppression", True),
        ("Z94.7", "immunosuppression", False),  # corneal transplant: no systemic drugs
        ("Z79.69", "immunosuppression", True),
        ("F11.20", "iv_drug_use", True),
        ("F17.210", "iv_drug_use", False),  # nicotine
        ("M81.0", "osteoporosis", True),
        ("Y04.0XXA", "external_cause_injury", True),
        ("W20.8XXA", "external_cause_injury", True),
        ("X50.0XXA", "external_cause_injury", False),  # overexertion: the lifting mechanism
        ("S39.92XA", "back_injury_not_strain", True),
        ("S33.5XXA", "back_injury_not_strain", False),  # lumbar sprain
        ("S39.012A", "back_injury_not_strain", False),  # lumbar strain
        ("F05", "confusion", True),
        ("M51.26", "lumbar_disc_disorder", True),
        ("M51.24", "lumbar_disc_disorder", False),  # thoracic
        ("M48.062", "lumbar_spinal_stenosis", True),
    ],
)
def test_icd10cm_families(code: str, valueset: str, expected: bool) -> None:
    assert (valueset in PACK.index.match([RecordCoding(ICD10, code)])) is expected


def test_every_unused_valueset_is_explained_and_really_unused() -> None:
    used = set()
    for rule in PACK.spec.rules:
        for ref in [*rule.when, *rule.unless]:
            used |= set(PACK.pattern(ref).valuesets)
    for ref in PACK.spec.scope:
        used |= set(PACK.pattern(ref).valuesets)
    for s in (s for t in PACK.spec.topics for s in t.suggestions):
        used |= set(s.only_valuesets)
    unused = set(PACK.valuesets) - used
    assert unused == set(PACK.spec.unused_valuesets)
    assert all(len(why) > 20 for why in PACK.spec.unused_valuesets.values())
