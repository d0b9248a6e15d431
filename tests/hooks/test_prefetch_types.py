"""A key's Bundle is of the type its template asks when any entry is: the early answer (the
first entry of that type ends the look) says what the whole set of entry types says."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from cds.hooks.prefetch import _entry_types, _wrong_type

TYPES = ["Condition", "Patient", "OperationOutcome", "Observation"]
ENTRY = st.one_of(
    st.sampled_from(TYPES).map(lambda t: {"resource": {"resourceType": t}}),
    st.just({"resource": None}),
    st.just({"request": {"method": "GET"}}),
    st.just({"resource": {"id": "no-type"}}),
    st.just("junk"),
    st.just(None),
)


def _by_the_set(bundle: dict[str, Any], wanted: str) -> str | None:
    """What `_wrong_type` said before it looked for the wanted type first."""
    kinds = _entry_types(bundle.get("entry"))
    if not kinds or wanted in kinds or kinds <= {"OperationOutcome"}:
        return None
    return f"the client sent {', '.join(sorted(kinds))} resources here, not {wanted}"


@given(st.lists(ENTRY, max_size=8), st.sampled_from(TYPES))
def test_the_early_answer_is_the_full_answer(entries: list[Any], wanted: str) -> None:
    bundle = {"resourceType": "Bundle", "entry": entries}
    assert _wrong_type(bundle, wanted) == _by_the_set(bundle, wanted)


def test_a_bundle_of_conditions_with_a_patient_first_is_conditions() -> None:
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient"}},
            {"resource": {"resourceType": "Condition"}},
        ],
    }
    assert _wrong_type(bundle, "Condition") is None
    assert _wrong_type(bundle, "Observation") == (
        "the client sent Condition, Patient resources here, not Observation"
    )
