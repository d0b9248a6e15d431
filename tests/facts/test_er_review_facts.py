"""Facts-layer fixes from the emergency physician's review on EHR-shaped cases (rev-er):
vital-sign codes, comparators, cauda equina and leg-weakness words, GCS components, cauda
equina as history."""

from __future__ import annotations

import pytest

from tests.facts.test_real_feeds import facts, obs, vs


@pytest.mark.parametrize(
    ("code", "valueset"),
    [
        ("8889-8", "heart_rate_obs"),  # heart rate by pulse oximetry
        ("8893-0", "heart_rate_obs"),  # by palpation
        ("20564-1", "oxygen_saturation_obs"),  # oxygen saturation in blood
        ("2708-6", "oxygen_saturation_obs"),
        ("59408-5", "oxygen_saturation_obs"),
        ("59417-6", "oxygen_saturation_obs"),
    ],
)
def test_vital_sign_codes_are_read(code: str, valueset: str) -> None:
    unit = "%" if valueset == "oxygen_saturation_obs" else "/min"
    (fact,) = vs(facts(obs(code, 84, unit)), valueset)
    assert fact.value == 84.0 and fact.understood and fact.verified
