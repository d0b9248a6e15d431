"""Tests for pack/answer_schema.py and its loading: ``answers.yaml``, the words a row named
for a sign is answered with. The bundled file reads answers; a pack without it (or with empty
lists) still loads and reads, every answer in words then one not understood (a data-check
item, never a sign) and a ``valueBoolean`` still a yes or a no; a bad phrase is a clear
``cds rules check`` error naming the file, the list and the phrase."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from cds.errors import RulePackError
from cds.facts.answer_words import NO_ANSWER_WORDS
from cds.facts.extract import FactContext, extract_facts
from cds.pack.check import check_pack
from cds.pack.load import RULES_DIR, Pack, load_pack

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = RULES_DIR / "back-spasm"
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


def _row(
    value: object, kind: str = "valueString", name: str = "Urinary retention"
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": "row",
        "status": "final",
        "code": {"text": name},
        "effectiveDateTime": "2026-11-26T05:00:00Z",
        kind: value,
    }


def _read(
    pack: Pack, value: object, kind: str = "valueString", name: str = "Urinary retention"
) -> tuple[set[str], list[str]]:
    """The signs (Condition facts) and data-check headlines a row answered so gives."""
    ctx = FactContext(NOW, pack.index, pack.canonical_units, site_tz=UTC)
    out = extract_facts([_row(value, kind, name)], (), ctx)
    signs = {f.valueset for f in out.facts if f.kind == "condition"}
    return signs, [i.headline or i.message for i in out.issues]


def _copy(tmp_path: Path) -> Path:
    copy = tmp_path / "back-spasm"
    shutil.copytree(BUNDLED, copy)
    return copy


def test_the_bundled_pack_reads_its_answer_words() -> None:
    pack = load_pack()
    assert pack.answers is not None and pack.answers.says_yes
    assert _read(pack, "Y") == ({"urinary_retention"}, [])
    assert _read(pack, "denies") == (set(), [])
    signs, issues = _read(pack, "Yes, at baseline")
    assert not signs and issues == ["“Urinary retention: Yes, at baseline”: new or usual state?"]


def _without_file(pack: Path) -> None:
    (pack / "answers.yaml").unlink()


def _empty_lists(pack: Path) -> None:
    (pack / "answers.yaml").write_text(
        "says_yes: []\nusual_state: []\nchanged: []\nsays_nothing: []\nopens_with_no: []\n"
        "no_unless_followed_by: []\n",
        encoding="utf-8",
    )


def _empty_file(pack: Path) -> None:
    (pack / "answers.yaml").write_text("# no answer words yet\n", encoding="utf-8")


@pytest.mark.parametrize("strip", [_without_file, _empty_lists, _empty_file])
def test_a_pack_without_answer_words_loads_and_reads_no_answer_in_words(
    strip: Any, tmp_path: Path
) -> None:
    copy = _copy(tmp_path)
    strip(copy)
    pack = load_pack(copy)
    if strip is _without_file:
        assert pack.answers is None and pack.index.answers is NO_ANSWER_WORDS
    for words in ("Y", "denies", "Yes, at baseline", "0", "WNL"):
        signs, issues = _read(pack, words)
        assert not signs, words  # never a sign from words it cannot read
        assert issues == [f"“Urinary retention: {words}”: answer not understood"], words
    assert _read(pack, True, "valueBoolean") == ({"urinary_retention"}, [])
    assert _read(pack, False, "valueBoolean") == (set(), [])
    # the row's words still name a sign where the value itself does ("retention 600 mL")
    assert _read(pack, "urinary retention, 600 mL on bladder scan")[0] == {"urinary_retention"}
    # a number measuring the sign reads bare only: no word after it is read ("at home")
    assert _read(pack, "38.9", name="Fever")[0] == {"fever_condition"}
    assert _read(pack, "102 F", name="Fever")[0] == {"fever_condition"}
    for words in ("38.9 at home", "38.9 maybe", "Tmax 38.9 last week, 39.1 today"):
        signs, issues = _read(pack, words, name="Fever")
        assert not signs and issues == [f"“Fever: {words}”: answer not understood"], words


def test_the_words_after_a_number_are_the_packs(tmp_path: Path) -> None:
    """``number_in_doubt``, ``number_in_past``, ``number_over``, ``number_recent``: what the
    words after a number in a fever row say of it; the doubt the syntax carries ("?", "~", a
    further number) stays whatever the lists say."""
    bundled = load_pack()
    assert _read(bundled, "38.9 maybe", name="Fever")[0] == set()
    assert _read(bundled, "Tmax 38.9 last week, 39.1 today", name="Fever")[0] == {"fever_condition"}
    copy = _copy(tmp_path)
    path = copy / "answers.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  - maybe\n", "", 1), encoding="utf-8")
    pack = load_pack(copy)
    assert _read(pack, "38.9 maybe", name="Fever")[0] == {"fever_condition"}
    for words in ("?38.9", "~38.9", "38.9 ?", "38.9 at 10 pm"):
        signs, issues = _read(pack, words, name="Fever")
        assert not signs and issues == [f"“Fever: {words}”: answer not understood"], words


def test_now_dates_a_reading_but_does_not_outweigh_over(tmp_path: Path) -> None:
    """``number_now`` ("now", "currently"): a reading so dated is a current one in a row of
    dated readings, and the words are the pack's (without them, "now" dates nothing); it
    never outweighs the words that say a fever is over ("afebrile now")."""
    bundled = load_pack()
    assert _read(bundled, "Tmax 38.9 yesterday, 37.0 now", name="Fever")[0] == {"fever_condition"}
    # read as the current 37.0 alone (below the threshold: the pipeline drops it), no doubt
    assert _read(bundled, "Tmax 38.9 last week, 37.0 currently", name="Fever")[1] == []
    assert _read(bundled, "Tmax 38.9, afebrile now", name="Fever")[0] == set()
    copy = _copy(tmp_path)
    path = copy / "answers.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("number_now:\n  - now\n", "number_now:\n", 1), encoding="utf-8")
    signs, issues = _read(load_pack(copy), "Tmax 38.9 yesterday, 37.0 now", name="Fever")
    assert not signs and issues == ["“Fever: Tmax 38.9 yesterday, 37.0 now”: answer not understood"]


BAD: dict[str, tuple[str, str, tuple[str, ...]]] = {
    # (the phrase replaced, its replacement, words the one error line must contain)
    "unbalanced": ("  - observed\n", "  - 'observed (by'\n", ("says_yes", "no regular expression")),
    "matches-empty": ("  - neg\n", "  - 'neg(?:ative)?|'\n", ("says_nothing", "matches an empty")),
    "a-boolean": ("  - 'no'\n", "  - no\n", ("says_nothing", "valid string")),
    "number-words": ("  - maybe\n", "  - 'maybe|'\n", ("number_in_doubt", "matches an empty")),
    "number-unbalanced": ("  - today\n", "  - 'today)'\n", ("number_recent", "no regular")),
    "now-unbalanced": ("  - currently\n", "  - 'currently('\n", ("number_now", "no regular")),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_phrase_is_a_clear_check_error(name: str, tmp_path: Path) -> None:
    old, new, words = BAD[name]
    copy = _copy(tmp_path)
    path = copy / "answers.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        check_pack(str(copy))
    assert str(path) in caught.value.message
    for word in words:
        assert word in caught.value.message, caught.value.message
    done = subprocess.run(
        [sys.executable, "-m", "cds", "rules", "check", str(copy)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), done.stderr
    assert "answers.yaml" in lines[0] and words[0] in lines[0], lines[0]


def test_an_unknown_list_is_refused(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    path = copy / "answers.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "says_maybe: [perhaps]\n", "utf-8")
    with pytest.raises(RulePackError, match="says_maybe"):
        load_pack(copy)


def test_a_wheel_install_carries_the_answer_words() -> None:
    """Without the file a wheel install would load and read no answer in words: every row
    named for a sign a data-check item. Every file the loader reads travels as data."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = data["tool"]["setuptools"]["data-files"]["share/cds/rules/back-spasm"]
    # every file of the pack folder (terminology.yaml too: `cds rules check` reads it)
    for path in sorted((ROOT / "rules" / "back-spasm").iterdir()):
        assert f"rules/back-spasm/{path.name}" in shipped, path.name


def _without_lead_words(pack: Path) -> None:
    path = pack / "valuesets.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  lead_words:\n")
    end = text.index("heart_rate_obs:\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")


def test_the_words_before_a_measure_are_the_measuring_value_sets(tmp_path: Path) -> None:
    """``lead_words`` of the body temperature: "Fever: Tmax 38.9 at home" is the fever
    reported; without them only a bare number reads, and the rest is not understood."""
    bundled = load_pack()
    assert _read(bundled, "Tmax 38.9 at home", name="Fever")[0] == {"fever_condition"}
    assert _read(bundled, "38.9 at home", name="Fever")[0] == {"fever_condition"}
    copy = _copy(tmp_path)
    _without_lead_words(copy)
    pack = load_pack(copy)
    assert "fever_temperature_obs" not in pack.index.measures
    assert _read(pack, "38.9 at home", name="Fever")[0] == {"fever_condition"}
    signs, issues = _read(pack, "Tmax 38.9 at home", name="Fever")
    assert not signs and issues == ["“Fever: Tmax 38.9 at home”: answer not understood"]


def test_a_bad_lead_word_is_a_clear_check_error(tmp_path: Path) -> None:
    copy = _copy(tmp_path)
    path = copy / "valuesets.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    - 't ?max'\n", "    - 't ?max('\n", 1), encoding="utf-8")
    with pytest.raises(RulePackError) as caught:
        check_pack(str(copy))
    message = caught.value.message
    assert "valuesets.yaml" in message and "lead_words" in message, message
    assert "no regular expression" in message, message
