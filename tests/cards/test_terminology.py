"""Every code a suggestion writes is a real code with its own display: found in one of the
pack's value sets or in the pack's checked terminology table (rules/back-spasm/terminology.yaml),
with the same display (case aside)."""

from __future__ import annotations

import pytest
import yaml

from cds.cards.actions import SNOMED
from cds.pack.check import suggestion_code_problems
from cds.pack.load import load_pack

PACK = load_pack()
SUGGESTIONS = [
    (topic.code, s) for topic in PACK.spec.topics for s in topic.suggestions if s.replacement_code
]


def test_there_are_coded_suggestions() -> None:
    assert len(SUGGESTIONS) >= 2


def test_every_suggestion_code_is_known_with_its_display() -> None:
    assert suggestion_code_problems(PACK) == []


def test_the_terminology_table_names_a_source_for_each_code() -> None:
    table = yaml.safe_load((PACK.path / "terminology.yaml").read_text(encoding="utf-8"))
    for entry in table["codes"]:
        assert entry["source"].strip() and entry["display"].strip(), entry


def test_the_follow_up_code_is_a_follow_up_visit() -> None:
    (follow_up,) = [s for _, s in SUGGESTIONS if s.action == "create-follow-up"]
    assert (follow_up.replacement_system or SNOMED, follow_up.replacement_code) == (
        SNOMED,
        "185389009",
    )
    assert follow_up.replacement_code != "390906007"  # Follow-up encounter (procedure)


@pytest.mark.parametrize("display", ["Follow-up encounter", "Back pain visit"])
def test_a_wrong_display_is_found(display: str) -> None:
    topic = PACK.topics["discharge-instructions"]
    spec = next(s for s in topic.suggestions if s.action == "create-follow-up")
    broken = spec.model_copy(update={"replacement_display": display})
    topics = [
        t.model_copy(update={"suggestions": [broken]}) if t.code == topic.code else t
        for t in PACK.spec.topics
    ]
    pack = PACK.__class__(
        path=PACK.path,
        spec=PACK.spec.model_copy(update={"topics": topics}),
        valuesets=PACK.valuesets,
        passages=PACK.passages,
    )
    problems = suggestion_code_problems(pack)
    assert len(problems) == 1 and "185389009" in problems[0] and display in problems[0]
