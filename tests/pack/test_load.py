"""Tests for pack/load.py: where packs are found by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cds.errors import RulePackError
from cds.pack import load


def test_a_wheel_install_finds_the_bundled_pack_in_its_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside a checkout there is no rules/ beside the package: the pack comes from
    <prefix>/share/cds/rules, where pyproject's data-files put it."""
    installed = tmp_path / "share" / "cds" / "rules"
    shutil.copytree(load.RULES_DIR / "back-spasm", installed / "back-spasm")
    monkeypatch.setattr(load, "RULES_DIR", tmp_path / "no-checkout")
    monkeypatch.setattr(load, "INSTALLED_RULES_DIR", installed)
    assert load.pack_path(None) == installed / "back-spasm"
    assert load.load_pack("back-spasm").id == "back-spasm"


def test_an_unknown_pack_names_where_it_was_looked_for() -> None:
    with pytest.raises(RulePackError, match="not under") as caught:
        load.pack_path("no-such-pack")
    assert str(load.RULES_DIR) in caught.value.message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("      {reasons}\n", "", r"parts \['reasons'\] have no '\{name\}' line"),
        ("      {reasons}\n", "      {reasons}\n      {typo}\n", r"places parts \['typo'\]"),
        (
            "show_if_rules: [caution-stomach-ulcer]",
            "show_if_rules: [caution-stomach-ulser]",
            "instructions.otc-nsaid-avoid: unknown rule 'caution-stomach-ulser'",
        ),
    ],
    ids=["unplaced", "unknown", "unknown-rule"],
)
def test_passage_parts_are_placed_and_name_known_rules(
    old: str, new: str, message: str, tmp_path: Path
) -> None:
    pack = tmp_path / "p"
    shutil.copytree(load.load_pack(None).path, pack)
    path = pack / "instructions.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulePackError, match=message):
        load.load_pack(pack)


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("valuesets.yaml", "\nchills:\n", "\nchills:\n  text: ['\\bshivers\\b']\nchills:\n"),
        (
            "pack.yaml",
            "\n  - id: urg-groin-numbness\n",
            "\n  - id: urg-groin-numbness\n    id: x\n",
        ),
        ("valuesets.json", "{\n", '{\n  "chills": {"codes": []},\n'),
    ],
    ids=["value-set-twice", "rule-field-twice", "json-key-twice"],
)
def test_a_key_given_twice_is_refused_not_silently_dropped(
    name: str, old: str, new: str, tmp_path: Path
) -> None:
    """YAML and JSON readers keep the last of two equal keys without a word: a value set
    written twice lost its first half so (a topical-NSAID block under `nsaid`)."""
    pack = tmp_path / "p"
    shutil.copytree(load.load_pack(None).path, pack)
    path = pack / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulePackError, match=f"{name}: cannot be read: the key .* is given twice"):
        load.load_pack(pack)


def test_a_pattern_read_from_the_start_must_name_its_term() -> None:
    """Negation is read around the concept's words; a pattern matching from the first word
    of the text would hold "No" of "No cancer" inside its match (issue 9, ER review)."""
    from pydantic import ValidationError

    from cds.pack.valueset_schema import ValueSetAddition

    with pytest.raises(ValidationError, match=r"reads from the start: name its words"):
        ValueSetAddition(text=[r"^(?!.*\bscreening\b).*\bcancer\b"])
    ValueSetAddition(text=[r"^(?!.*\bscreening\b).*(?P<term>\bcancer\b)", r"^\W*[CVPU]\W*$"])


def test_the_index_knows_the_conditions_that_raise_a_danger_signs_card() -> None:
    """A danger sign on the differential is a data-check item (er26 d17); the visit's own back
    pain on it is not (er27 W2): the index holds the Conditions an emergency or urgent rule
    reads, the topics a data-check card names in ``raised_topics``."""
    signs = load.load_pack().index.signs
    assert {"cauda_equina_syndrome", "urinary_retention", "fever_condition"} <= signs
    assert not {"low_back_pain", "back_muscle_spasm", "back_strain_sprain"} & signs
