"""A febrile disease named with a past year (fix26a, er25d W3): "dengue fever 2019" is a past
disease, no fever now, but only when the year is before the evaluation's own (the pack's
``excluded_by_text`` naming ``(?P<past_year>...)``, read by `cds.facts.concepts.dated_past`);
the same words the same year, and a fever dated this month, stay the sign."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds.facts.extract import FactContext, extract_facts
from cds.pack.load import load_pack

PACK = load_pack()
FEVER = "fever_condition"


def _fevers(resource: dict[str, Any], now: datetime, zone: Any = UTC) -> bool:
    ctx = FactContext(now, PACK.index, PACK.canonical_units, site_tz=zone)
    out = extract_facts([resource], (), ctx)
    return any(f.kind == "condition" and f.valueset == FEVER for f in out.facts)


def _problem(text: str, now: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": "c1",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"text": text},
        "onsetDateTime": (now - timedelta(days=1)).isoformat(),
    }


def _hpi(text: str, now: datetime) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "hpi",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "10164-2"}]},
        "effectiveDateTime": (now - timedelta(hours=2)).isoformat(),
        "valueString": text,
    }


@pytest.mark.parametrize("shape", [_problem, _hpi])
@pytest.mark.parametrize(
    "text, year, fever",
    [
        ("dengue fever 2019", 2026, False),
        ("Valley fever 2015, treated", 2026, False),
        ("typhoid fever 1998", 2026, False),
        ("Dengue fever (2019)", 2026, False),
        ("dengue fever 2025", 2026, False),
        ("dengue fever 2019", 2020, False),
        ("dengue fever 2019", 2019, True),  # the same year: perhaps this week
        ("dengue fever 2026", 2026, True),
        ("dengue fever 2027", 2026, True),  # a year to come: no past
        ("dengue fever 3/2019", 2026, True),  # a date, not a bare year: still read
        ("dengue fever 2019, fever today", 2026, True),
        ("dengue fever 2019; fevers x2 days", 2026, True),
        ("dengue fever 2019, febrile in ED", 2026, True),
        ("dengue fever 2019, 101.2 at home", 2026, True),
        ("Valley fever 2015, now T 38.5", 2026, True),
        ("dengue fever 2019.\nfevers x2 days", 2026, True),  # a second line too
        ("dengue fever 2019.\nT 38.6 in triage", 2026, True),
        ("Valley fever 2015, relapsed", 2026, True),  # the disease back: a fever again
        ("recurrent Valley fever 2015", 2026, True),
        ("dengue fever 2019, afebrile", 2026, False),
        ("dengue fever 2019, new LBP", 2026, False),
        ("scarlet fever, childhood", 2026, False),
        ("fever 11/25", 2026, True),
        ("fever since 2026-11-24", 2026, True),
        ("fever 2026", 2026, True),
        ("fever 38.9 on 11/25/2026", 2026, True),
        ("fever 2019", 2026, True),  # no disease named: a fever, whatever the year says
        ("dengue fever", 2026, True),
    ],
)
def test_a_febrile_disease_with_a_past_year_is_no_fever_now(
    shape: Any, text: str, year: int, fever: bool
) -> None:
    now = datetime(year, 11, 26, 10, 0, tzinfo=UTC)
    assert _fevers(shape(text, now), now) is fever


def test_the_year_is_the_sites() -> None:
    """02:00 UTC on New Year's Day is still the old year in New York: its own year stays."""
    now = datetime(2027, 1, 1, 2, 0, tzinfo=UTC)
    new_york = ZoneInfo("America/New_York")
    assert _fevers(_hpi("dengue fever 2026", now), now, new_york)
    assert not _fevers(_hpi("dengue fever 2026", now), now)
    assert not _fevers(_hpi("dengue fever 2025", now), now, new_york)
