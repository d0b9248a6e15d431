"""An aspirin order coded by its ingredient alone (RxNorm 1191) is read for its dose wherever
the order says it (integrator review int25; `cds.facts.doses`): at or above the pack's
threshold an NSAID, below it low-dose aspirin; no dose, the value set of an unknown dose;
doses that disagree or cannot be a dose, a data-check item. The threshold and the plausible
range are read from the pack, never written here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds.facts.extract import Extraction, extract_facts
from tests.facts.test_real_feeds import CTX, PACK

RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
RULE = PACK.index.doses["aspirin_dose_unknown"]
THRESHOLD = int(RULE.at_least)
LOW, HIGH = int(RULE.low), int(RULE.high)
OWN, THEN, BELOW = RULE.own, RULE.then, RULE.below
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def order(
    display: str = "aspirin",
    text: str | None = None,
    dosage: list[Any] | None = None,
    code: str = "1191",
    resource: str = "MedicationRequest",
) -> dict[str, Any]:
    concept: dict[str, Any] = {"coding": [{"system": RXNORM, "code": code, "display": display}]}
    if text is not None:
        concept["text"] = text
    res: dict[str, Any] = {
        "resourceType": resource,
        "id": "asa",
        "status": "draft" if resource == "MedicationRequest" else "active",
        "intent": "order",
        "medicationCodeableConcept": concept,
        "authoredOn": "2026-11-26T16:00:00Z",
    }
    if dosage is not None:
        res["dosageInstruction" if resource == "MedicationRequest" else "dosage"] = dosage
    return res


def dose(value: object, unit: str = "mg", text: str | None = None) -> list[Any]:
    quantity = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    return [{**({"text": text} if text else {}), "doseAndRate": [{"doseQuantity": quantity}]}]


def read(*drafts: dict[str, Any], home: tuple[dict[str, Any], ...] = ()) -> Extraction:
    return extract_facts(list(home), list(drafts), CTX)


def sets(out: Extraction) -> set[str]:
    return {f.valueset for f in out.facts if f.kind == "medication"}


def side(out: Extraction) -> str | None:
    """Where the dose put the order: THEN, BELOW, OWN (not known), or None (several)."""
    found = sets(out) & {OWN, THEN, BELOW}
    return found.pop() if len(found) == 1 else None


# ------------------------------------------------------------------ the int25 shapes


def test_the_integrators_shapes_are_nsaid_orders() -> None:
    shapes = [
        order(text="aspirin", dosage=dose(650, text="650 mg by mouth every 4 hours prn")),
        order(text="aspirin 325 mg tablet", dosage=dose(650)),
        order("aspirin 325 MG Oral Tablet"),  # (a) the display, no text
        order(dosage=[{"text": "650 mg PO q6h prn pain"}]),  # (c) the words alone
        order(dosage=dose(0.65, "g")),
        order(text="aspirin 325 mg tablet", dosage=dose(2, "{tbl}")),  # 2 tablets of 325
        order(dosage=[{"text": "650 mg PO q4h prn, max 4 g/day"}]),  # a limit is no dose
    ]
    for res in shapes:
        out = read(res)
        assert side(out) == THEN, res
        assert out.issues == [], res


def test_81_mg_and_its_tablets_are_low_dose_aspirin() -> None:
    for res in [
        order(dosage=dose(81, text="81 mg by mouth daily")),
        order("aspirin 81 MG Chewable Tablet"),
        order(text="aspirin 81 mg chewable", dosage=dose(4, "tablet")),  # 324 mg, ACS load
    ]:
        out = read(res)
        assert side(out) == BELOW, res
        assert THEN not in sets(out) and out.issues == []


def test_no_dose_is_the_unknown_dose_and_no_item() -> None:
    out = read(order())
    assert side(out) == OWN and "antiplatelet" in sets(out)  # a blood thinner by its code
    assert out.issues == []
    out = read(order(dosage=dose(2, "tablet")))  # a count, and no strength to count
    assert side(out) == OWN and out.issues == []


def test_doses_that_disagree_or_cannot_be_a_dose_are_an_item_never_an_nsaid() -> None:
    for res, words in [
        (order(text="aspirin 81 mg tablet", dosage=dose(650)), "disagree"),
        (order(dosage=dose(650, text="81 mg daily")), "disagree"),
        (order(dosage=dose(650, "g")), "cannot be a dose of aspirin"),
        (order(dosage=dose(5, "mL")), "cannot be a dose of aspirin"),
        (order(dosage=[{"text": "15 mg/kg PO q6h"}]), "cannot be a dose of aspirin"),
        (order(dosage=dose(650, "mcg")), "cannot be a dose of aspirin"),
    ]:
        out = read(res)
        assert side(out) == OWN, res
        assert len(out.issues) == 1 and words in out.issues[0].message, out.issues


def test_a_home_medicine_is_read_so_and_is_never_an_item() -> None:
    home = order(dosage=dose(650), resource="MedicationStatement")
    assert side(read(home=(home,))) == THEN
    odd = order(text="aspirin 81 mg", dosage=dose(650), resource="MedicationStatement")
    out = read(home=(odd,))
    assert side(out) == OWN and out.issues == []


def test_a_referenced_medications_strength_decides() -> None:
    def medication(strength: float, mid: str = "m") -> dict[str, Any]:
        aspirin = {"coding": [{"system": RXNORM, "code": "1191", "display": "aspirin"}]}
        numerator = {"value": strength, "unit": "mg", "system": UCUM, "code": "mg"}
        return {
            "resourceType": "Medication",
            "id": mid,
            "code": {"text": "Aspirin tablet"},  # a local name: the ingredient is coded
            "ingredient": [
                {
                    "itemCodeableConcept": aspirin,
                    "strength": {"numerator": numerator, "denominator": {"value": 1}},
                }
            ],
        }

    contained = order()
    del contained["medicationCodeableConcept"]
    contained["contained"] = [medication(500)]
    contained["medicationReference"] = {"reference": "#m"}
    assert side(read(contained)) == THEN
    contained["contained"] = [medication(81)]
    assert side(read(contained)) == BELOW
    sent = order()
    del sent["medicationCodeableConcept"]
    sent["medicationReference"] = {"reference": "Medication/m"}
    assert side(read(sent, medication(650))) == THEN


def test_other_medicines_are_not_read_for_a_dose() -> None:
    acetaminophen = order("acetaminophen", dosage=dose(650), code="161")
    assert sets(read(acetaminophen)) == {"acetaminophen"}
    ibuprofen = order("ibuprofen", dosage=dose(81), code="5640")  # no low-dose ibuprofen
    assert "aspirin_antiplatelet" not in sets(read(ibuprofen))


# ------------------------------------------------------------------ properties


@FAST
@given(mg=st.integers(LOW, HIGH))
def test_a_plausible_dose_in_mg_sides_by_the_threshold(mg: int) -> None:
    out = read(order(dosage=dose(mg)))
    assert side(out) == (THEN if mg >= THRESHOLD else BELOW)
    assert out.issues == []


@FAST
@given(
    mg=st.integers(LOW, HIGH),
    how=st.sampled_from(["{} mg PO q6h prn pain", "take {}mg by mouth", "{} MG daily"]),
)
def test_the_same_dose_in_words_or_grams_sides_the_same(mg: int, how: str) -> None:
    expected = THEN if mg >= THRESHOLD else BELOW
    assert side(read(order(dosage=[{"text": how.format(mg)}]))) == expected
    grams = Decimal(mg) / 1000
    assert side(read(order(dosage=dose(str(grams), "g")))) == expected
    assert side(read(order(f"aspirin {mg} MG Oral Tablet"))) == expected


@FAST
@given(mg=st.one_of(st.integers(HIGH + 1, 10**7), st.integers(1, LOW - 1)))
def test_an_implausible_dose_is_an_item_never_a_side(mg: int) -> None:
    out = read(order(dosage=dose(mg)))
    assert side(out) == OWN
    assert len(out.issues) == 1


@FAST
@given(low=st.integers(LOW, THRESHOLD - 1), high=st.integers(THRESHOLD, HIGH))
def test_doses_on_both_sides_are_an_item(low: int, high: int) -> None:
    out = read(order(text=f"aspirin {low} mg tablet", dosage=dose(high)))
    assert side(out) == OWN and len(out.issues) == 1
    assert str(low) in out.issues[0].message and str(high) in out.issues[0].message


@FAST
@given(words=st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=80))
def test_words_without_a_number_say_no_dose(words: str) -> None:
    out = read(order(dosage=[{"text": words}]))
    assert side(out) == OWN and out.issues == []


@FAST
@given(
    value=st.one_of(
        st.none(), st.booleans(), st.text(max_size=8), st.floats(allow_nan=True), st.integers()
    ),
    unit=st.one_of(st.sampled_from(["mg", "g", "{tbl}", "mL", "", "%"]), st.text(max_size=5)),
)
def test_any_quantity_is_read_without_error_and_never_an_nsaid_unless_one(
    value: object, unit: str
) -> None:
    out = read(order(dosage=dose(value, unit)))
    if THEN in sets(out):  # only a number of milligrams at or above the threshold
        mg = Decimal(str(value)) * (1000 if unit == "g" else 1)
        assert unit in ("mg", "g") and THRESHOLD <= mg <= HIGH
