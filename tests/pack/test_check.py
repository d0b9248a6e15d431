"""``cds rules check``: the bundled pack passes; broken copies fail naming the file and problem.

Each broken pack is a copy of ``rules/back-spasm`` in a temporary folder with one mistake a
clinical informaticist could make: a misspelt key, an unknown value set, a rule citing an
unknown statement, an instruction passage removed so a statement is covered by nothing.
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
from cds.pack.check import check_pack
from cds.pack.load import RULES_DIR

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
