"""eGFR computed from serum creatinine when the record has creatinine but no eGFR.

Kidney function cautions against NSAIDs (the sheet's "kidney disease"). Many labs report a
creatinine without an eGFR, and many feeds drop the eGFR line; a creatinine of 2.4 mg/dL in a
70-year-old is kidney disease whether or not the lab printed the estimate. The estimate here is
the race-free CKD-EPI 2021 creatinine equation (Inker LA et al., N Engl J Med 2021;385:1737-49,
the equation the US National Kidney Foundation and ASN task force recommend):

    eGFR = 142 x min(Scr/k, 1)^a x max(Scr/k, 1)^-1.200 x 0.9938^age [x 1.012 if female]
    k = 0.7 (female) or 0.9 (male); a = -0.241 (female) or -0.302 (male); Scr in mg/dL

It is an adult equation and needs the sex the equation was fitted on: no estimate is made for a
patient under 18, without a birth date, or whose Patient.gender is not male or female (the card
then simply has no computed eGFR; a real eGFR or a coded kidney disease still counts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from cds.facts.model import Fact

if TYPE_CHECKING:  # pragma: no cover - typing only (extraction imports this module)
    from cds.facts.timing import FactContext

EGFR_VALUESET = "renal_lab_egfr"
CREATININE_VALUESET = "renal_lab_creatinine"
EGFR_UNIT = "mL/min/{1.73_m2}"
ADULT_YEARS = 18

Sex = Literal["female", "male"]


def ckd_epi_2021(creatinine_mg_dl: float, age_years: float, sex: Sex) -> float:
    """The CKD-EPI 2021 (race-free) creatinine eGFR in mL/min/1.73 m², not rounded.

    Raises ValueError for a creatinine that is not a positive finite number or an age below 18
    (the equation is for adults).
    """
    if not math.isfinite(creatinine_mg_dl) or creatinine_mg_dl <= 0:
        raise ValueError(f"creatinine must be a positive number of mg/dL, not {creatinine_mg_dl}")
    if not math.isfinite(age_years) or age_years < ADULT_YEARS:
        raise ValueError(f"CKD-EPI 2021 is an adult equation; age {age_years} is under 18")
    kappa, alpha = (0.7, -0.241) if sex == "female" else (0.9, -0.302)
    ratio = creatinine_mg_dl / kappa
    egfr: float = 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age_years
    return egfr * 1.012 if sex == "female" else egfr


def _sex(patient: Mapping[str, Any] | None) -> Sex | None:
    gender = patient.get("gender") if patient else None
    if gender == "female":
        return "female"
    if gender == "male":
        return "male"
    return None


def derived_egfr_facts(
    facts: Sequence[Fact], patient_resource: Mapping[str, Any] | None, ctx: FactContext
) -> list[Fact]:
    """An eGFR fact computed from the most recent readable creatinine, when no readable eGFR is
    as recent as that creatinine (a lab that reports both at once is taken at its word).

    The fact is in the eGFR value set, points at the creatinine's resource, and says in its
    display that it was computed and from what. ``ctx`` is the extraction's context (kept for a
    uniform signature with the other fact builders).
    """
    del ctx
    sex = _sex(patient_resource)
    age_fact = next((f for f in facts if f.kind == "patient" and f.valueset == "age"), None)
    if sex is None or age_fact is None or age_fact.value is None:
        return []
    creatinines = [
        f
        for f in facts
        if f.kind == "observation"
        and f.valueset == CREATININE_VALUESET
        and f.understood
        and f.verified
        and f.time_known
        and f.value is not None
        and f.value > 0
    ]
    if not creatinines:
        return []
    newest = min(creatinines, key=lambda f: f.age_h)
    measured = [
        f
        for f in facts
        if f.kind == "observation"
        and f.valueset == EGFR_VALUESET
        and f.understood
        and f.value is not None
        and (not f.time_known or f.age_h <= newest.age_h)
    ]
    if measured:
        return []
    # Age at the time of the creatinine, not today (a result from 11 months ago).
    age_then = age_fact.value - newest.age_h / (24 * 365.25)
    assert newest.value is not None  # filtered above; mypy cannot see through the list
    try:
        value = ckd_epi_2021(newest.value, age_then, sex)
    except ValueError:
        return []
    shown = f"{round(newest.value, 2):g}"
    return [
        Fact(
            kind="observation",
            valueset=EGFR_VALUESET,
            rid=newest.rid,
            display=f"eGFR computed from creatinine {shown} mg/dL (CKD-EPI 2021)",
            value=round(value, 1),
            unit=EGFR_UNIT,
            source_value=f"{value:.0f} mL/min/1.73 m2",
            time=newest.time,
            age_h=newest.age_h,
            time_known=True,
            note=newest.note,
        )
    ]
