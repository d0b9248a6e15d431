"""What `cds synth` draws for each patient, and the cards that situation must produce.

A *situation* is drawn per patient at a controlled prevalence (`PREVALENCE`); `expected_cards`
states, from the situation alone and by construction, the calls the review replays and the
topics of their cards (the timeline it relies on is in `cds.review.synth`'s docstring).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

#: Fevers (°C) and normal readings just under the threshold, drawn evenly.
FEVERS_C = (38.0, 38.1, 38.2, 38.3, 38.4, 38.6, 39.0, 39.4)
NEAR_FEVER_C = (37.5, 37.7, 37.8, 37.9)
NORMAL_C = 36.9
FEVER_AT_C = Decimal("38.0")
"""The pack's default ``fever_celsius``: the expectations hold under it."""

#: Prevalence of each situation (of in-scope patients unless said otherwise).
PREVALENCE = {
    "in_scope": 0.8,  # of all patients: a back-pain diagnosis
    "encounter": 0.95,  # of all patients: an index visit (else: no discharge call)
    "older_visit": 0.3,
    "heart_rate_high": 0.1,
    "fever": 0.12,
    "near_fever": 0.15,  # of patients without fever: a reading from 37.5 to 37.9 °C
    "comorbidity": 0.25,
    "imaging": 0.3,
    "imaging_support": 0.5,  # of imaging orders: persistent pain or a recent fall
    "nsaid": 0.3,
    "relaxant": 0.2,
    "prior_opioid": 0.1,
    "noise_error_condition": 0.05,
    "noise_error_vital": 0.05,
    "noise_duplicate": 0.05,
    "noise_error_order": 0.03,
    "noise_chest_xray": 0.05,
}

# (code, display) of product-level RxNorm SCDs; the pack matches them by ingredient words.
MEDS = {
    "ibuprofen": ("197806", "Ibuprofen 600 MG Oral Tablet"),
    "naproxen": ("198014", "Naproxen 500 MG Oral Tablet"),
    "acetaminophen": ("198440", "Acetaminophen 500 MG Oral Tablet"),
    "cyclobenzaprine": ("828348", "Cyclobenzaprine Hydrochloride 10 MG Oral Tablet"),
    "methocarbamol": ("197943", "Methocarbamol 500 MG Oral Tablet"),
    "oxycodone": ("1049621", "Oxycodone Hydrochloride 5 MG Oral Tablet"),
    "warfarin": ("855332", "Warfarin Sodium 5 MG Oral Tablet"),
    "lisinopril": ("314076", "Lisinopril 10 MG Oral Tablet"),
}
COMORBIDITIES = ("diabetes", "ckd", "egfr_low", "hba1c_high", "warfarin")


@dataclass
class Situation:
    """What was drawn for one patient."""

    in_scope: bool
    encounter: bool
    older_visit: bool
    heart_rate_high: bool
    fever: bool
    """The temperature the rules compare (in °C) is at least ``FEVER_AT_C``."""
    temperature: float
    """The temperature as written, in ``temperature_unit``."""
    temperature_unit: str
    comorbidity: str | None
    imaging: str | None  # None, "unsupported", "persistent", "fall"
    nsaid: str | None
    relaxant: str | None
    prior_opioid: bool
    noise: frozenset[str]


def draw_situation(rng: random.Random) -> Situation:
    p = PREVALENCE

    def draw(key: str) -> bool:
        return rng.random() < p[key]

    in_scope = draw("in_scope")
    encounter = draw("encounter")
    comorbidity = rng.choice(COMORBIDITIES) if draw("comorbidity") else None
    imaging = None
    if in_scope and draw("imaging"):
        imaging = rng.choice(("persistent", "fall")) if draw("imaging_support") else "unsupported"
    noise = {k for k in p if k.startswith("noise_") and draw(k)}
    if not in_scope:
        noise.discard("noise_duplicate")  # only the back-pain Condition is duplicated
    if comorbidity:
        noise.discard("noise_error_condition")  # an erroneous diabetes next to a real one
    return Situation(
        in_scope=in_scope,
        encounter=encounter,
        older_visit=draw("older_visit"),
        heart_rate_high=draw("heart_rate_high"),
        **_temperature(rng, draw("fever"), draw("near_fever")),
        comorbidity=comorbidity,
        imaging=imaging,
        nsaid=rng.choice(("ibuprofen", "naproxen", "acetaminophen")) if draw("nsaid") else None,
        relaxant=rng.choice(("cyclobenzaprine", "methocarbamol")) if draw("relaxant") else None,
        prior_opioid=in_scope and draw("prior_opioid"),
        noise=frozenset(noise),
    )


def _temperature(rng: random.Random, fever: bool, near: bool) -> dict[str, Any]:
    """A reading in °C or °F (half each) and whether it is a fever as the rules compare it:
    the °F value rounded as written, converted back to °C to 4 places."""
    celsius = rng.choice(FEVERS_C) if fever else rng.choice(NEAR_FEVER_C) if near else NORMAL_C
    if rng.random() < 0.5:
        value, unit = round(celsius * 9 / 5 + 32, 1), "[degF]"
        compared = ((Decimal(str(value)) - 32) * 5 / 9).quantize(Decimal("0.0001"))
    else:
        value, unit, compared = celsius, "Cel", Decimal(str(celsius))
    return {"fever": compared >= FEVER_AT_C, "temperature": value, "temperature_unit": unit}


def expected_cards(sit: Situation) -> list[tuple[str, list[str]]]:
    """The calls the review replays for this patient and the topics of their cards.

    This restates the pack's contract for the situations drawn (see the module docstring for
    the timeline): out-of-scope patients get no cards at all.
    """
    out: list[tuple[str, list[str]]] = []
    signs = [
        t for t, on in (("emergency-sign", sit.heart_rate_high), ("urgent-sign", sit.fever)) if on
    ]
    if sit.prior_opioid:  # signed the day before the visit: no signs yet
        out.append(("order-sign", ["sedation-caution"] if sit.in_scope else []))
    if sit.imaging or sit.nsaid or sit.relaxant:
        topics = list(signs)
        if sit.imaging:
            supported = sit.imaging != "unsupported" or sit.fever
            topics.append("imaging-supported" if supported else "imaging-not-indicated")
        if sit.nsaid and sit.comorbidity:
            topics.append("analgesic-caution")
        if sit.relaxant:
            topics.append("sedation-caution")
        out.append(("order-sign", topics if sit.in_scope else []))
    if sit.encounter:
        topics = [*signs, "discharge-instructions"]
        # the standard advice (store-bought pain relievers) meets a caution: a comorbidity;
        # acetaminophen or an NSAID already prescribed at this visit only personalises the
        # instructions ("no extra acetaminophen": ER physician review, er25a)
        if sit.comorbidity:
            topics.append("analgesic-caution")
        if sit.relaxant or sit.prior_opioid:
            topics.append("sedation-caution")
        out.append(("encounter-discharge", topics if sit.in_scope else []))
    return out


def count_situation(counter: Counter[str], sit: Situation) -> None:
    counter["older_visit"] += sit.older_visit and sit.encounter
    for key in ("in_scope", "encounter", "heart_rate_high", "fever", "prior_opioid"):
        counter[key] += bool(getattr(sit, key))
    for key in ("comorbidity", "imaging", "nsaid", "relaxant"):
        value = getattr(sit, key)
        if value:
            counter[f"{key}:{value}"] += 1
    counter.update(sorted(sit.noise))
