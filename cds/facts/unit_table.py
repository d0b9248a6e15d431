"""The unit table as data: the canonical UCUM codes the rules compare in, and the spellings
real feeds send for each (`cds.facts.units` reads a Quantity's unit with it and converts).

Symbols whose case carries meaning are matched exactly (``EXACT``); words and compound units
are matched case-insensitively (``FOLDED``). Keys have had all whitespace removed, and NFKC
applied (℃ → °C, m² → m2) before lookup.
"""

from __future__ import annotations

# Canonical UCUM codes: the only strings `canonical_unit` returns and `convert` accepts.
CEL = "Cel"
DEG_F = "[degF]"
KELVIN = "K"
PER_MIN = "/min"
PERCENT = "%"
EGFR = "mL/min/{1.73_m2}"
ML_PER_MIN = "mL/min"
MMOL_PER_MOL = "mmol/mol"
KG = "kg"
LB = "[lb_av]"
G = "g"
SCORE = "{score}"
MG_DL = "mg/dL"
UMOL_L = "umol/L"
ML = "mL"
LITRE = "L"

CANONICAL = frozenset(
    {
        CEL,
        DEG_F,
        KELVIN,
        PER_MIN,
        PERCENT,
        EGFR,
        ML_PER_MIN,
        MMOL_PER_MOL,
        KG,
        LB,
        G,
        SCORE,
        MG_DL,
        UMOL_L,
        ML,
        LITRE,
    }
)

# Spellings matched case-sensitively, keyed with all whitespace removed. These are short symbols
# where case carries meaning: "K" is kelvin but "k" is not, "g" is gram but UCUM "G" is gauss.
EXACT: dict[str, str] = {
    # UCUM codes themselves.
    CEL: CEL,
    DEG_F: DEG_F,
    KELVIN: KELVIN,
    PER_MIN: PER_MIN,
    PERCENT: PERCENT,
    G: G,
    # EHRs put the display symbol in Quantity.unit; NFKC has already turned ℃/℉ into these.
    "°C": CEL,
    "°F": DEG_F,
    # A volume (a bladder scan's post-void residual): UCUM's litre is L (or l).
    ML: ML,
    LITRE: LITRE,
    "l": LITRE,
    # Strictly UCUM "C" is coulomb and "F" is farad, but no vital-sign feed means those: a bare
    # C or F next to a temperature is always Celsius or Fahrenheit.
    "C": CEL,
    "F": DEG_F,
    # Exponent and reciprocal forms some devices emit for rates.
    "min-1": PER_MIN,
    "1/min": PER_MIN,
}

# Spellings matched case-insensitively (keys are casefolded, whitespace removed): words and
# compound units where feeds vary only in capitalisation ("mL" vs "ml", "Celsius" vs "celsius").
FOLDED: dict[str, str] = {
    # Volumes, as bladder scanners and flowsheets write them.
    "ml": ML,
    "milliliter": ML,
    "milliliters": ML,
    "millilitre": ML,
    "millilitres": ML,
    "cc": ML,
    "cm3": ML,
    # Temperature; EHRs send Fahrenheit as [degF], degF or "deg F".
    "degc": CEL,
    "celsius": CEL,
    "degreesc": CEL,
    "degreescelsius": CEL,
    "degf": DEG_F,
    "[degf]": DEG_F,
    "fahrenheit": DEG_F,
    "degreesf": DEG_F,
    "degreesfahrenheit": DEG_F,
    "kelvin": KELVIN,
    # Rates per minute: heart rate and respiratory rate carry UCUM annotations ({beats}) that
    # do not change the unit, so they all collapse to /min.
    "{beats}/min": PER_MIN,
    "{beat}/min": PER_MIN,
    "beats/min": PER_MIN,
    "beat/min": PER_MIN,
    "bpm": PER_MIN,
    "{breaths}/min": PER_MIN,
    "{breath}/min": PER_MIN,
    "breaths/min": PER_MIN,
    "breath/min": PER_MIN,
    "perminute": PER_MIN,
    "permin": PER_MIN,
    "/min": PER_MIN,
    "1/min": PER_MIN,
    "/minute": PER_MIN,
    "beatsperminute": PER_MIN,
    "breathsperminute": PER_MIN,
    "beats/minute": PER_MIN,
    "beat/minute": PER_MIN,
    "{beats}/minute": PER_MIN,
    "breaths/minute": PER_MIN,
    "breath/minute": PER_MIN,
    "{breaths}/minute": PER_MIN,
    # Percent (HbA1c NGSP, SpO2).
    "percent": PERCENT,
    "{percent}": PERCENT,
    # eGFR: labs write the body-surface normalisation in many ways; NFKC has already turned
    # "m²" into "m2".
    "ml/min/{1.73_m2}": EGFR,
    "ml/min/{1.73m2}": EGFR,
    "ml/min/1.73_m2": EGFR,
    "ml/min/1.73m2": EGFR,
    "ml/min/1.73m^2": EGFR,
    "ml/min": ML_PER_MIN,
    # HbA1c IFCC.
    "mmol/mol": MMOL_PER_MOL,
    # Mass.
    "kg": KG,
    "kilogram": KG,
    "kilograms": KG,
    "[lb_av]": LB,
    "lb": LB,
    "lbs": LB,
    "pound": LB,
    "pounds": LB,
    "gram": G,
    "grams": G,
    # Scores (Glasgow coma score): a UCUM annotation, unitless.
    "{score}": SCORE,
    "{scoreof}": SCORE,
    "score": SCORE,
    "{points}": SCORE,
    "points": SCORE,
    # Serum creatinine: conventional and SI units (NFKC turns the micro sign µ into Greek μ).
    "mg/dl": MG_DL,
    "umol/l": UMOL_L,
    "µmol/l": UMOL_L,
    "μmol/l": UMOL_L,
    "micromol/l": UMOL_L,
}
