"""Tests for the short paths of fact building (facts/observations.py, facts/records.py,
facts/extract.py): each must give exactly what the general reading gives.

The plain Observation path (`_plain_observation`) and the memo of Quantities it reads must
make the facts and data issues of `_any_observation`, the reader of every shape; a Condition
in no value set is checked for a future date without its hours worked out; copies are sought
only when two resources share an id.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from cds.facts.copies import Extraction
from cds.facts.extract import FactContext, extract_facts
from cds.facts.observations import _any_observation, read_observation
from cds.pack.load import load_pack

PACK = load_pack()
TZ = timezone(timedelta(hours=4))
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=TZ)
LOINC = "http://loinc.org"
HEART_RATE = "8867-4"
TEMPERATURE = "8310-5"
#: A LOINC code of a value set whose readings are not numbers (no canonical unit), if any.
UNITLESS = next(
    (
        c.code
        for vs in PACK.valuesets.values()
        if PACK.canonical_units.get(vs.id) is None
        for c in vs.codes
        if c.system == LOINC
    ),
    "72107-6",
)


def observation(code: str, quantity: Any, **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "o1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": "2026-11-26T08:00:00+04:00",
        "valueQuantity": quantity,
        **extra,
    }


QUANTITIES = [
    {"value": 88, "unit": "/min"},
    {"value": 88.0, "unit": "/min"},
    {"value": True, "unit": "/min"},
    {"value": 1, "unit": "/min"},
    {"value": 1.0, "unit": "/min"},
    {"value": 0.97, "unit": "1"},
    {"value": 88, "unit": "furlongs"},
    {"value": 880, "unit": "/min"},
    {"value": 88, "unit": "/min", "comparator": ">"},
    {"value": 88, "unit": "/min", "comparator": "about"},
    {"value": 88, "unit": "/min", "comparator": ["<"]},
    {"value": "88", "unit": "/min"},
    {"value": [88], "unit": "/min"},
    {"value": 2**70, "unit": "/min"},
    {"value": 101.5},
    {"value": 38.6, "code": "Cel", "system": "http://unitsofmeasure.org"},
    {},
]
TIMES = ["2026-11-26T08:00:00+04:00", "2026-11-28T08:00:00+04:00", "2026-11", None]


def general(res: dict[str, Any], ctx: FactContext) -> Extraction:
    out = Extraction()
    _any_observation(res, ctx, out)
    return out


def plain(res: dict[str, Any], ctx: FactContext) -> Extraction:
    out = Extraction()
    read_observation(res, ctx, out, {}, False)
    return out


@pytest.mark.parametrize("code", [HEART_RATE, TEMPERATURE, UNITLESS, "0000-0"])
@pytest.mark.parametrize("quantity", QUANTITIES, ids=repr)
@pytest.mark.parametrize("when", TIMES)
def test_the_plain_observation_path_reads_as_the_general_reader(
    code: str, quantity: dict[str, Any], when: str | None
) -> None:
    ctx = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=TZ)
    res = observation(code, quantity, effectiveDateTime=when)
    expected = general(res, ctx)
    for _ in range(2):  # the second time from the memos
        got = plain(res, ctx)
        assert got.facts == expected.facts
        assert got.issues == expected.issues


def test_remembered_quantities_keep_the_type_of_their_value() -> None:
    """1, 1.0 and true are equal in Python, but not the same reading (nor the same words)."""
    ctx = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=TZ)
    for values in [(1, 1.0, True), (60, 60.0)]:
        for _ in range(2):  # the second time from the memo
            read = [
                plain(observation(HEART_RATE, {"value": value, "unit": "/min"}), ctx).facts[0]
                for value in values
            ]
            assert len({f.source_value for f in read}) == len(values)
    (yes,) = plain(observation(HEART_RATE, {"value": True, "unit": "/min"}), ctx).facts
    assert not yes.understood and yes.source_value == "True /min"  # a boolean is no number
    (sixty,) = plain(observation(HEART_RATE, {"value": 60.0, "unit": "/min"}), ctx).facts
    assert (sixty.value, sixty.source_value) == (60.0, "60.0 /min")


def condition(code: str, onset: object, rid: str = "c1") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": rid,
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": code}]},
        "onsetDateTime": onset,
    }


@pytest.mark.parametrize(
    ("onset", "issue"),
    [
        ("2026-11-26T12:59:00+04:00", False),  # within the hour's tolerance
        ("2026-11-26T13:00:00+04:00", False),  # exactly the tolerance
        ("2026-11-26T13:00:01+04:00", False),  # 1.0003 h: 1.00 h once rounded
        ("2026-11-26T13:01:00+04:00", True),
        ("2026-11-26T09:30:00Z", True),
        ("2027-01", True),
        ("2026-11-20", False),
        ("not a date", False),
    ],
)
def test_a_condition_in_no_value_set_still_says_a_future_date(onset: str, issue: bool) -> None:
    ctx = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=TZ)
    for _ in range(2):  # the second time with every zone already learnt
        out = extract_facts([condition("999999999", onset)], [], ctx)
        assert out.facts == []
        assert [i.rid for i in out.issues] == (["Condition/c1"] if issue else [])


def test_an_id_shared_by_two_types_is_no_copy() -> None:
    ctx = FactContext(NOW, PACK.index, PACK.canonical_units, site_tz=TZ)
    both = [
        observation(HEART_RATE, {"value": 88, "unit": "/min"}),
        {**condition("999999999", "2026-11-20"), "id": "o1"},
    ]
    (fact,) = extract_facts(both, [], ctx).facts
    assert fact.note is None  # not "one of 2 copies"
    twice = extract_facts([both[0], {**both[0], "status": "amended"}], [], ctx).facts
    assert [f.note is not None and "one of 2 copies" in f.note for f in twice] == [True, True]
