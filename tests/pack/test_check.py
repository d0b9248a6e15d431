"""``cds rules check``: the bundled pack passes; broken copies fail naming the file and problem.

Each broken pack is a copy of ``rules/back-spasm`` in a temporary folder with one mistake a
clinical informaticist could make: a misspelt key, an unknown value set, a rule citing an
unknown statement, an instruction passage removed so a statement is covered by nothing. Then
static analysis: each gap of the kind a clinical review found by hand (a value set nobody
reads, an untested rule, a rule that negates what it requires, a wrong suggestion code, an
untested text pattern) is found with its file, path and severity; errors exit 1.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from cds.errors import RulePackError
from cds.pack.check import (
    check,
    check_pack,
    fired_rules,
    text_only_statements,
)
from cds.pack.examples import scenarios
from cds.pack.load import RULES_DIR, Pack, load_pack

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = RULES_DIR / "back-spasm"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} should occur exactly once in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _misspelt_key(pack: Path) -> None:
    _edit(pack / "pack.yaml", "    selection_behavior: any", "    selection_behaviour: any")


def _unknown_valueset(pack: Path) -> None:
    _edit(
        pack / "pack.yaml",
        "{fact: condition, valuesets: dyspnea,",
        "{fact: condition, valuesets: dyspnoea,",
    )


def _unknown_statement(pack: Path) -> None:
    _edit(pack / "pack.yaml", "    covers: [ER2]\n", "    covers: [ER22]\n")


def _passage_removed(pack: Path) -> None:
    path = pack / "instructions.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["passages"] = [p for p in data["passages"] if p["id"] != "lifting"]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


# (break the copy, the file the message must name, words the message must contain)
BROKEN: dict[str, tuple[Callable[[Path], None], str, tuple[str, ...]]] = {
    "misspelt-key": (_misspelt_key, "pack.yaml", ("selection_behaviour", "not permitted")),
    "unknown-valueset": (
        _unknown_valueset,
        "pack.yaml",
        ("rules.er-trouble-breathing", "unknown value set 'dyspnoea'"),
    ),
    "unknown-statement": (
        _unknown_statement,
        "pack.yaml",
        ("rules.er-confusion", "unknown statement 'ER22'"),
    ),
    "statement-uncovered": (_passage_removed, "pack.yaml", ("covered by nothing", "HC7")),
    # A rule that requires and negates one criterion, or negates a wider pattern of the same
    # facts, can never fire: the loader rejects it (defined below, with the static analysis).
    "requires-and-negates": (
        lambda p: _requires_and_negates(p),
        "pack.yaml",
        ("rules.urg-fever-measured", "requires and negates"),
    ),
    "negates-a-wider-pattern": (
        lambda p: _negates_a_wider_pattern(p),
        "pack.yaml",
        ("rules.urg-chills", "requires and negates"),
    ),
}


@pytest.fixture
def broken_pack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Path, str, tuple[str, ...]]:
    breaker, filename, words = BROKEN[request.param]
    copy = tmp_path / "back-spasm"
    shutil.copytree(BUNDLED, copy)
    breaker(copy)
    return copy, filename, words


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cds", "rules", "check", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_bundled_pack_passes() -> None:
    report = check_pack(None)
    assert "ok" in report
    assert "33 statements covered" in report


def test_bundled_pack_passes_on_the_command_line() -> None:
    done = _cli()
    assert done.returncode == 0, done.stderr
    assert "ok" in done.stdout
    assert done.stderr == ""


def test_an_unchanged_copy_passes(tmp_path: Path) -> None:
    copy = tmp_path / "back-spasm"
    shutil.copytree(BUNDLED, copy)
    assert "ok" in check_pack(str(copy))


@pytest.mark.parametrize("broken_pack", sorted(BROKEN), indirect=True)
def test_broken_pack_fails_naming_file_and_problem(
    broken_pack: tuple[Path, str, tuple[str, ...]],
) -> None:
    path, filename, words = broken_pack
    with pytest.raises(RulePackError) as caught:
        check_pack(str(path))
    message = caught.value.message
    assert str(path / filename) in message, message
    for word in words:
        assert word in message, message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("broken_pack", sorted(BROKEN), indirect=True)
def test_broken_pack_cli_exits_2_with_one_line(
    broken_pack: tuple[Path, str, tuple[str, ...]],
) -> None:
    path, filename, words = broken_pack
    done = _cli(str(path))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: ")
    assert filename in lines[0] and words[-1] in lines[0], lines[0]


# --- Static analysis: each gap in a copy of the pack is found, with file, path and severity ---


def _unlist_unused(pack: Path) -> None:
    text = (pack / "pack.yaml").read_text(encoding="utf-8")
    start = text.index("  gcs_obs: >-\n")
    end = text.index("  consciousness_acvpu_obs:", start)
    (pack / "pack.yaml").write_text(text[:start] + text[end:], encoding="utf-8")


def _stale_unused(pack: Path) -> None:
    _edit(pack / "pack.yaml", "unused_valuesets:\n", "unused_valuesets:\n  dyspnea: not needed\n")


def _rule_without_scenario(pack: Path) -> None:
    _edit(
        pack / "pack.yaml",
        "  - id: urg-chills\n",
        "  - id: urg-rigors\n    topic: urgent-sign\n    label: Rigors\n    covers: [URG5]\n"
        "    when:\n      - {fact: condition, valuesets: chills}\n  - id: urg-chills\n",
    )


def _requires_and_negates(pack: Path) -> None:
    _edit(
        pack / "pack.yaml",
        "    when: [fever-measured]\n",
        "    when: [fever-measured]\n    unless: [fever-measured]\n",
    )


def _negates_a_wider_pattern(pack: Path) -> None:
    # Every fact the rule requires (a recent chill) is also an unbounded chill: never fires.
    _edit(
        pack / "pack.yaml",
        "      - {fact: condition, valuesets: chills, within: {days: symptom_window_days}}\n",
        "      - {fact: condition, valuesets: chills, within: {days: symptom_window_days}}\n"
        "    unless:\n      - {fact: condition, valuesets: [chills, dysuria]}\n",
    )


def _no_data_check_topic(pack: Path) -> None:
    data = yaml.safe_load((pack / "pack.yaml").read_text(encoding="utf-8"))
    data["topics"] = [t for t in data["topics"] if t["code"] != "data-check"]
    for rule in data["rules"]:  # its rules must name some topic to load at all
        if rule["topic"] == "data-check":
            rule["topic"] = "urgent-sign"
    (pack / "pack.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def _wrong_suggestion_display(pack: Path) -> None:
    _edit(
        pack / "pack.yaml",
        "replacement_display: Follow-up visit\n",
        "replacement_display: Follow-up encounter\n",
    )


def _silent_text_pattern(pack: Path) -> None:
    path = pack / "valuesets.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["chills"]["text"].append(r"\bshakking chils\b")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


# (break the copy, severity, file, path in it, words of the message)
ANALYSED: dict[str, tuple[Callable[[Path], None], str, str, str, str]] = {
    "unused-valueset": (_unlist_unused, "error", "valuesets.json", "gcs_obs", "no rule"),
    "stale-unused": (
        _stale_unused,
        "error",
        "pack.yaml",
        "unused_valuesets.dyspnea",
        "rules.er-trouble-breathing",
    ),
    "rule-without-scenario": (
        _rule_without_scenario,
        "error",
        "pack.yaml",
        "rules.urg-rigors",
        "no golden scenario",
    ),
    "no-data-check-topic": (_no_data_check_topic, "error", "pack.yaml", "topics", "data-check"),
    "wrong-suggestion-display": (
        _wrong_suggestion_display,
        "error",
        "pack.yaml",
        "topics.discharge-instructions",
        "185389009",
    ),
    "silent-text-pattern": (
        _silent_text_pattern,
        "warning",
        "valuesets.yaml",
        "chills.text[",
        "shakking chils",
    ),
}


@pytest.mark.parametrize("name", sorted(ANALYSED))
def test_static_analysis_finds_the_gap(tmp_path: Path, name: str) -> None:
    breaker, severity, filename, where, words = ANALYSED[name]
    copy = tmp_path / "back-spasm"
    shutil.copytree(BUNDLED, copy)
    before = {str(f).replace(str(copy), "") for f in check(str(copy)).findings}
    breaker(copy)
    report = check(str(copy))
    new = [f for f in report.findings if str(f).replace(str(copy), "") not in before]
    assert len(new) == 1, "\n".join(map(str, new))
    (found,) = new
    assert (found.severity, found.file, found.path.startswith(where)) == (
        severity,
        copy / filename,
        True,
    ), str(found)
    assert words in found.message, str(found)
    assert f"{copy / filename}: {found.path}: " in str(found)
    done = _cli(str(copy))
    assert done.returncode == (1 if severity == "error" else 0), done.stdout + done.stderr
    assert str(found) in done.stdout


def test_the_bundled_pack_has_no_static_error() -> None:
    report = check(None)
    assert report.errors == [], "\n".join(map(str, report.errors))


def test_a_statement_covered_only_by_text_rules_is_a_warning() -> None:
    pack = load_pack()
    chills = pack.valuesets["chills"]
    text_only = chills.model_copy(update={"codes": [], "prefixes": []})
    pack = Pack(pack.path, pack.spec, {**pack.valuesets, "chills": text_only}, pack.passages)
    (found,) = text_only_statements(pack)
    assert (found.severity, found.path) == ("warning", "statements.URG5")
    assert text_only_statements(load_pack()) == []


def test_fired_rules_are_read_from_the_golden_cards() -> None:
    fired = fired_rules(scenarios(load_pack()))
    assert "spo2-91-card" in fired["er-oxygen-low"]
    assert "spo2-92-none" not in fired.get("er-oxygen-low", [])
