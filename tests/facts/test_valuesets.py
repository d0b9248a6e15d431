"""Tests for facts/valuesets.py: value-set membership with the real pack's value sets."""

from __future__ import annotations

import pytest

from cds.facts.codes import ATC, ICD10CM, LOINC, RXNORM, SNOMED
from cds.facts.valuesets import RecordCoding, ValueSetIndex
from cds.pack.load import load_pack

INDEX = load_pack().index


@pytest.mark.parametrize(
    "coding, valueset",
    [
        (RecordCoding(ICD10CM, "M54.50"), "low_back_pain"),
        (RecordCoding(ICD10CM, "m5450"), "low_back_pain"),
        (RecordCoding("urn:oid:2.16.840.1.113883.6.90", "M54.50"), "low_back_pain"),
        (RecordCoding(ICD10CM, "E11.65"), "diabetes"),  # prefix family E11
        (RecordCoding(ICD10CM, "e1165"), "diabetes"),
        (RecordCoding(SNOMED, "44054006"), "diabetes"),
        (RecordCoding("urn:oid:2.16.840.1.113883.6.96", "44054006"), "diabetes"),
        (RecordCoding(LOINC, "8310-5"), "fever_temperature_obs"),
        (RecordCoding(RXNORM, "5640"), "ibuprofen"),
        (RecordCoding(ATC, "m01ae01"), "ibuprofen"),
        (RecordCoding(ICD10CM, "N18.3"), "ckd"),
    ],
)
def test_codes_match(coding: RecordCoding, valueset: str) -> None:
    assert valueset in INDEX.match([coding])


@pytest.mark.parametrize(
    "code, ingredient",
    [
        ("310965", "ibuprofen"),
        ("197806", "ibuprofen"),
        ("197807", "ibuprofen"),
        ("198014", "naproxen"),
        ("849574", "naproxen"),
    ],
)
def test_an_order_coded_by_product_alone_is_its_ingredient_and_an_nsaid(
    code: str, ingredient: str
) -> None:
    """Feeds code orders by clinical drug (600 mg tablet), often with no words: the caution
    must still see the NSAID (an integrator's review found these missed)."""
    assert INDEX.match([RecordCoding(RXNORM, code)]) == {ingredient, "nsaid"}


@pytest.mark.parametrize("code", ["3322", "6470", "596", "2598", "6960", "10355"])
def test_a_benzodiazepine_coded_by_rxnorm_ingredient_alone_counts(code: str) -> None:
    """Oxycodone with lorazepam coded 6470 and no words was missed (ER physician review)."""
    assert INDEX.match([RecordCoding(RXNORM, code)]) == {"benzodiazepine"}


def test_any_coding_of_several_counts() -> None:
    found = INDEX.match([RecordCoding("http://local/x", "1"), RecordCoding(ICD10CM, "M54.50")])
    assert "low_back_pain" in found


def test_wrong_system_does_not_match() -> None:
    assert INDEX.match([RecordCoding(SNOMED, "M54.50")]) == set()
    assert INDEX.match([RecordCoding(LOINC, "44054006")]) == set()


@pytest.mark.parametrize(
    "text, valueset",
    [
        ("Lumbago", "low_back_pain"),
        ("LOW BACK PAIN", "low_back_pain"),
        ("Spasm of lumbar muscles", "back_muscle_spasm"),
        ("Type 2 diabetes", "diabetes"),
        ("Advil 200 mg tablet", "ibuprofen"),
        ("warfarin 5 mg", "anticoagulant"),
    ],
)
def test_text_only_concepts_match_by_words(text: str, valueset: str) -> None:
    assert valueset in INDEX.match([], text)
    # the display of an unknown coding counts as words too
    assert valueset in INDEX.match([RecordCoding("http://local/x", "1", text)])


def test_unrelated_words_match_nothing() -> None:
    assert INDEX.match([], "Ingrown toenail") == set()
    assert INDEX.match([], "") == set()


def test_excluded_codes_are_not_members() -> None:
    from cds.pack.valueset_schema import ValueSet

    vs = ValueSet.model_validate(
        {
            "id": "demo",
            "title": "demo",
            "prefixes": [{"system": ICD10CM, "prefix": "M54"}],
            "exclude_codes": [{"system": ICD10CM, "code": "M54.2"}],
        }
    )
    index = ValueSetIndex.build({"demo": vs})
    assert index.match([RecordCoding(ICD10CM, "M54.50")]) == {"demo"}
    assert index.match([RecordCoding(ICD10CM, "m542")]) == set()


@pytest.mark.parametrize(
    "coding, text, expected",
    [
        # generic weakness/sensation codes name no body site: not a leg sign on their own
        (RecordCoding(ICD10CM, "R53.1", "Weakness"), "", False),
        (RecordCoding(ICD10CM, "M62.81", "Muscle weakness (generalized)"), "", False),
        (RecordCoding(SNOMED, "26544005", "Muscle weakness (finding)"), "", False),
        # ... but they do when the record's words say legs
        (RecordCoding(ICD10CM, "R53.1", "Weakness"), "Weakness in both legs", True),
        # codes that do name the legs
        (RecordCoding(ICD10CM, "G83.12", "Monoplegia of lower limb"), "", True),
        (RecordCoding(SNOMED, "713514005", "Muscle weakness of limb (finding)"), "", True),
    ],
)
def test_leg_weakness_needs_the_legs(coding: RecordCoding, text: str, expected: bool) -> None:
    assert ("leg_weakness" in INDEX.match([coding], text)) is expected


@pytest.mark.parametrize(
    "coding, text, expected",
    [
        (RecordCoding(ICD10CM, "R20.2", "Paresthesia of skin"), "", False),
        (RecordCoding(SNOMED, "44077006", "Numbness (finding)"), "", False),
        (RecordCoding(ICD10CM, "R20.2", "Paresthesia of skin"), "Tingling in the left foot", True),
        (RecordCoding(SNOMED, "44077006", "Numbness (finding)"), "numbness of both legs", True),
    ],
)
def test_numbness_needs_the_legs(coding: RecordCoding, text: str, expected: bool) -> None:
    assert ("numbness_paresthesia" in INDEX.match([coding], text)) is expected


@pytest.mark.parametrize(
    "text",
    [
        "Low back pain. No fever, no saddle anesthesia, no bladder or bowel incontinence",
        "Back pain, rule out cauda equina",
        "Rule out cauda equina syndrome",
        "r/o cauda equina",
        "? cauda equina syndrome",
        "Father with cauda equina syndrome",
    ],
)
def test_negated_uncertain_and_relatives_words_match_no_danger_sign(text: str) -> None:
    found = INDEX.match([], text)
    assert not found & {
        "cauda_equina_syndrome",
        "saddle_anesthesia",
        "fever_condition",
        "fecal_incontinence",
        "urinary_incontinence",
    }


def test_the_affirmed_part_of_a_reason_still_matches() -> None:
    text = "Low back pain. No fever, no saddle anesthesia, no bladder or bowel incontinence"
    assert INDEX.match_detail([], text) == {"low_back_pain": False}
    assert INDEX.match([], "Denies fever. Saddle anesthesia since this morning") == {
        "saddle_anesthesia"
    }


def test_a_display_only_coding_is_read_like_text() -> None:
    coding = RecordCoding("http://local/dx", "123", "Rule out cauda equina syndrome")
    assert INDEX.match([coding]) == set()
    assert INDEX.match([RecordCoding("http://local/dx", "124", "Cauda equina syndrome")]) == {
        "cauda_equina_syndrome"
    }


def test_a_code_matches_whatever_its_display_says() -> None:
    coding = RecordCoding(ICD10CM, "G83.4", "Rule out cauda equina syndrome")
    assert INDEX.match_detail([coding])["cauda_equina_syndrome"] is True
    assert INDEX.match_detail([coding], "no cauda equina")["cauda_equina_syndrome"] is True


def test_history_counts_only_for_value_sets_that_are_not_acute() -> None:
    assert "syncope_loc" not in INDEX.match([], "history of syncope")
    assert "syncope_loc" not in INDEX.match([], "h/o syncope")
    assert INDEX.match_detail([], "History of diabetes") == {"diabetes": False}
    assert INDEX.match_detail([], "Hx of chronic kidney disease") == {"ckd": False}
    assert INDEX.match([], "Family history of diabetes") == set()


def test_match_detail_tells_codes_from_words() -> None:
    found = INDEX.match_detail([RecordCoding(ICD10CM, "M54.50")], "fever since yesterday")
    assert found == {"low_back_pain": True, "fever_condition": False}
    assert INDEX.match([RecordCoding(ICD10CM, "M54.50")], "fever since yesterday") == set(found)


def test_the_pack_flags_the_acute_value_sets() -> None:
    pack = load_pack()
    assert pack.valuesets["cauda_equina_syndrome"].acute
    assert pack.valuesets["syncope_loc"].acute
    assert pack.valuesets["low_back_pain"].acute
    assert not pack.valuesets["diabetes"].acute
    assert not pack.valuesets["anticoagulant"].acute


def test_a_pattern_anchored_at_the_start_is_judged_on_its_term_group() -> None:
    """A pattern that looks at the whole text ("^(?!.*screening).*cancer") matches from the
    first word, so "No" in "No cancer" lay inside the match, not before it, and the negation
    was not seen: a record saying no cancer supported imaging for cancer. Its ``term`` group
    is what the words around it are read for."""
    index = ValueSetIndex.build(
        {
            vs.id: vs
            for vs in [
                load_pack().valuesets["malignancy"].model_copy(update={"codes": [], "prefixes": []})
            ]
        }
    )
    assert index.match([], "History of breast cancer") == {"malignancy"}
    assert index.match([], "No cancer") == set()
    assert index.match([], "Denies cancer; back pain") == set()
    assert index.match_suspected([], "Rule out cancer") == {"malignancy"}  # what it is for
    assert index.match([], "Rule out cancer") == set()  # no sign of the patient's


def test_an_nsaid_named_for_the_skin_is_no_nsaid_order() -> None:
    index = load_pack().index
    assert "nsaid" not in index.match([], "Diclofenac sodium 1% topical gel")
    assert "nsaid" not in index.match([], "Voltaren gel 1%")
    assert "topical_nsaid" in index.match([], "Voltaren gel 1%")
    assert "nsaid" in index.match([], "Diclofenac 75 mg EC tablet")
    assert "nsaid" in index.match([], "Advil Liqui-Gels 200 mg")


@pytest.mark.parametrize(
    "coding, text",
    [
        (RecordCoding(SNOMED, "276901002"), "PVR"),
        (RecordCoding(LOINC, "8834-4"), "PVR"),
        (RecordCoding("urn:oid:1.2.840.114350.1", "3040", "Pulmonary vascular resistance"), "PVR"),
        (RecordCoding("urn:oid:1.2.840.114350.1", "3041"), "PVR - hemodynamics"),
    ],
)
def test_pvr_coded_or_named_as_the_pulmonary_resistance_is_no_bladder_volume(
    coding: RecordCoding, text: str
) -> None:
    """ "PVR" is also the pulmonary vascular resistance: a code or words saying so keep it out
    of the post-void residual (``excluded_by_code``, ``excluded_by_text``), its words too."""
    assert "post_void_residual_obs" not in INDEX.match([coding], text)
    assert "post_void_residual_obs" in INDEX.match([RecordCoding("urn:oid:1.2", "3042")], "PVR")


def test_excluded_by_code_drops_the_words_of_the_set_too() -> None:
    from cds.pack.valueset_schema import ValueSet

    vs = ValueSet.model_validate(
        {
            "id": "demo",
            "title": "demo",
            "codes": [{"system": SNOMED, "code": "1"}],
            "text": [r"\bPVR\b"],
            "excluded_by_code": [{"system": SNOMED, "code": "2"}],
        }
    )
    index = ValueSetIndex.build({"demo": vs})
    assert index.match([RecordCoding(SNOMED, "3")], "PVR") == {"demo"}
    assert index.match([RecordCoding(SNOMED, "2")], "PVR") == set()
    assert index.match([RecordCoding(SNOMED, "1"), RecordCoding(SNOMED, "2")], "") == set()


@pytest.mark.parametrize(
    "coding, counts",
    [
        (
            RecordCoding(RXNORM, "1658690", "1000 ML heparin sodium, porcine 2 UNT/ML Injection"),
            False,
        ),
        (RecordCoding(RXNORM, "1658692"), False),
        (RecordCoding(RXNORM, "5224", "heparin"), True),
        (
            RecordCoding(
                RXNORM, "1361615", "heparin sodium, porcine 5000 UNT/ML Injectable Solution"
            ),
            True,
        ),
        (
            RecordCoding(RXNORM, "1658717", "250 ML heparin sodium, porcine 100 UNT/ML Injection"),
            True,
        ),
        (
            RecordCoding(RXNORM, "0", "5 ML heparin sodium, porcine 100 UNT/ML Prefilled Syringe"),
            False,
        ),
    ],
)
def test_a_heparin_line_flush_is_no_blood_thinner_by_code_either(
    coding: RecordCoding, counts: bool
) -> None:
    """The imported VSAC list's 2 units/mL bags keep a line open (``exclude_codes``); a
    10 or 100 units/mL syringe is a lock flush whatever its code; a therapeutic heparin, a
    vial or an infusion, stays a blood thinner."""
    assert ("anticoagulant" in INDEX.match([coding])) is counts
    assert "anticoagulant" not in INDEX.match([RecordCoding(RXNORM, "5224")], "Heparin lock flush")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("Fell 6 weeks ago, pain since, no better with PT", {"injury_pain_since"}),
        ("r/o cauda equina", {"cauda_equina_syndrome"}),
        ("fell yesterday, ? fracture", {"trauma_fall"}),
    ],
)
def test_what_an_order_is_for_keeps_the_packs_exclusions(words: str, expected: set[str]) -> None:
    """The uncertain-words reading of an order's reason took back a fall the pack excludes
    as weeks old, and the card called pain since an old fall "a red flag" (er22 G4)."""
    assert INDEX.match_suspected([], words) == expected
