"""The card uuids of a review are name-based (uuid5): the same on every run and every machine."""

from __future__ import annotations

import uuid

import pytest

from cds.review.replay import _NAMESPACE, _uuids


@pytest.mark.parametrize("seed", ["abc|encounter-discharge|2025-11-01T14:00:00-05:00", "é|x", ""])
def test_each_uuid_is_uuid5_of_the_seed_and_its_number(seed: str) -> None:
    made = _uuids(seed)
    expected = [str(uuid.uuid5(_NAMESPACE, f"{seed}|{n}")) for n in range(12)]
    assert [made() for _ in range(12)] == expected


def test_two_calls_with_one_seed_give_the_same_sequence() -> None:
    first, second = _uuids("p|order-sign|t"), _uuids("p|order-sign|t")
    assert [first() for _ in range(3)] == [second() for _ in range(3)]
