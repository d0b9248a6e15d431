"""Tests for facts/egfr.py: the CKD-EPI 2021 equation against worked values, and the computed
eGFR fact built from a creatinine when the record has no eGFR."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cds.facts.egfr import ckd_epi_2021
from cds.facts.extract import FactContext, extract_facts
from cds.facts.model import Fact
from cds.pack.load import load_pack

PACK = load_pack()
TZ = timezone(timedelta(hours=4))
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=TZ)
CTX = FactContext(NOW, PACK.index, PACK.canonical_units)
LOINC = "http://loinc.org"


@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "expected"),
    [
        # The US National Kidney Foundation's CKD-EPI 2021 calculator (kidney.org): a 55-year-old
        # man with creatinine 1.2 mg/dL has an eGFR of 71 mL/min/1.73 m².
        (1.2, 55, "male", 71),
        # Hand-worked from the published equation (Inker 2021), rounded as labs report:
        # 60-year-old man, 1.0 mg/dL: 142 x (1.0/0.9)^-1.2 x 0.9938^60 = 86.2.
        (1.0, 60, "male", 86),
        # 60-year-old woman, 1.0 mg/dL: 142 x (1.0/0.7)^-1.2 x 0.9938^60 x 1.012 = 64.5.
        (1.0, 60, "female", 64),
        # Below kappa the gentler exponent applies: woman of 40, 0.6 mg/dL:
        # 142 x (0.6/0.7)^-0.241 x 0.9938^40 x 1.012 = 115.9.
        (0.6, 40, "female", 116),
        # Kidney failure range: man of 70, 4.0 mg/dL: 142 x (4.0/0.9)^-1.2 x 0.9938^70 = 15.1.
        (4.0, 70, "male", 15),
    ],
)
def test_worked_values(creatinine: float, age: int, sex: Any, expected: int) -> None:
    assert round(ckd_epi_2021(creatinine, age, sex)) == expected


def test_continuous_at_kappa_and_female_factor() -> None:
    at = ckd_epi_2021(0.7, 50, "female")
    assert ckd_epi_2021(0.6999, 50, "female") == pytest.approx(at, rel=1e-3)
    assert ckd_epi_2021(0.7001, 50, "female") == pytest.approx(at, rel=1e-3)
    # At Scr = kappa both power terms are 1: only 142, age and the female factor remain.
    assert at == pytest.approx(142 * 0.9938**50 * 1.012)


@pytest.mark.parametrize(("creatinine", "age"), [(0, 50), (-1, 50), (float("nan"), 50), (1, 17)])
def test_out_of_domain_is_refused(creatinine: float, age: float) -> None:
    with pytest.raises(ValueError):
        ckd_epi_2021(creatinine, age, "male")


def patient(gender: str = "male", birth: str = "1956-05-14") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", "gender": gender, "birthDate": birth}


def lab(code: str, value: float, unit: str, *, rid: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org"},
    }


def egfrs(*resources: dict[str, Any]) -> list[Fact]:
    facts = extract_facts(resources, (), CTX).facts
    return [f for f in facts if f.valueset == "renal_lab_egfr"]


def test_creatinine_alone_gives_a_computed_egfr_that_says_so() -> None:
    # A man born 1956-05-14 is 70 on 2026-11-26; creatinine 2.4 mg/dL: eGFR about 28.
    (fact,) = egfrs(patient(), lab("2160-0", 2.4, "mg/dL", rid="cr1", when="2026-11-20T08:00:00Z"))
    assert fact.rid == "Observation/cr1"
    assert fact.display == "eGFR computed from creatinine 2.4 mg/dL (CKD-EPI 2021)"
    assert fact.value == pytest.approx(ckd_epi_2021(2.4, 70.5, "male"), abs=0.3)
    assert fact.value is not None and fact.value < 30
    assert fact.unit == "mL/min/{1.73_m2}"
    assert fact.latest


def test_si_creatinine_is_converted_before_the_equation() -> None:
    # 212 µmol/L = 2.4 mg/dL (88.42 µmol/L per mg/dL).
    (fact,) = egfrs(patient(), lab("14682-9", 212.2, "µmol/L", rid="cr1", when="2026-11-20T08:00Z"))
    assert fact.display == "eGFR computed from creatinine 2.4 mg/dL (CKD-EPI 2021)"


def test_a_reported_egfr_as_recent_wins() -> None:
    when = "2026-11-20T08:00:00Z"
    found = egfrs(
        patient(),
        lab("2160-0", 2.4, "mg/dL", rid="cr1", when=when),
        lab("98979-8", 75, "mL/min/{1.73_m2}", rid="gfr1", when=when),
    )
    assert [f.rid for f in found] == ["Observation/gfr1"]


def test_a_newer_creatinine_than_the_last_egfr_is_computed_and_is_the_latest() -> None:
    found = egfrs(
        patient(),
        lab("98979-8", 75, "mL/min/{1.73_m2}", rid="gfr1", when="2026-01-10T08:00:00Z"),
        lab("2160-0", 2.4, "mg/dL", rid="cr1", when="2026-11-20T08:00:00Z"),
    )
    latest = [f for f in found if f.latest]
    assert [f.rid for f in latest] == ["Observation/cr1"]


@pytest.mark.parametrize("who", [patient(gender="unknown"), patient(birth="2012-01-01"), None])
def test_no_estimate_without_an_adult_of_known_sex(who: dict[str, Any] | None) -> None:
    creatinine = lab("2160-0", 2.4, "mg/dL", rid="cr1", when="2026-11-20T08:00:00Z")
    assert egfrs(*([who] if who else []), creatinine) == []
