"""The tables the documentation gives are read back against the code (as datasette does), so a
command, option or setting cannot be added, renamed or dropped without its table following:

- README "Command line": one row per `cds` command, each naming exactly that command's
  options and arguments, a required one never inside brackets;
- README "Site settings": one row per setting of the bundled pack, with its default;
- docs/service.md settings table: one row per field of `cds.config.Settings`, no row for a
  field the model does not have, and the default the model gives.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from cds.cli import app
from cds.config import Settings
from cds.pack.load import load_pack

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SERVICE_DOC = (ROOT / "docs" / "service.md").read_text(encoding="utf-8")


def table_after(text: str, heading: str) -> list[list[str]]:
    """The rows (cells, stripped) of the first table after ``heading``; a ``\\|`` stays in
    its cell."""
    rest = text[text.index(heading) :]
    lines = rest.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:  # the header and its |---| line
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
        rows.append([c.strip().replace("\\|", "|") for c in cells])
    return rows


# --- README "Command line" against typer's commands --------------------------------------------


def commands() -> Iterator[tuple[str, Any]]:
    """(``cds rules check``, click command) for every command of the `cds` app."""

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, f"{path} {name}")
        else:
            yield path, command

    yield from walk(typer.main.get_command(app), "cds")


COMMANDS = dict(commands())
ROWS = {row[0].strip("`"): row for row in table_after(README, "## Command line")}


def documented(synopsis: str) -> str:
    """The command a row documents: the longest known command its synopsis starts with."""
    found = [c for c in COMMANDS if synopsis == c or synopsis.startswith(c + " ")]
    assert found, f"README command table: {synopsis!r} is no `cds` command"
    return max(found, key=len)


BY_COMMAND = {documented(s): s for s in ROWS}


def read_synopsis(synopsis: str, command: Any, path: str) -> tuple[dict[str, bool], list[bool]]:
    """Options named ({--name: bracketed}) and positional arguments ([bracketed, ...]) of a
    row, reading an option's value as the token after it unless the option is a flag."""
    flags = {
        name: p.is_flag
        for p in command.params
        if p.param_type_name == "option"
        for name in [*p.opts, *p.secondary_opts]
    }
    options: dict[str, bool] = {}
    arguments: list[bool] = []
    depth, expect_value = 0, False
    for token in re.findall(r"[\[\]()]|[^\s\[\]()]+", synopsis[len(path) :]):
        if token in "[(":
            depth += 1
        elif token in "])":
            depth -= 1
        elif token == "|":
            continue
        elif token.startswith("--"):
            options[token] = depth > 0
            expect_value = not flags.get(token, False)
        elif expect_value:
            expect_value = False
        else:
            arguments.append(depth > 0)
    return options, arguments


def test_every_command_has_a_row() -> None:
    assert sorted(BY_COMMAND) == sorted(COMMANDS)


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_a_command_row_names_its_options_and_arguments(path: str) -> None:
    command = COMMANDS[path]
    options, arguments = read_synopsis(BY_COMMAND[path], command, path)
    params = [p for p in command.params if p.param_type_name == "option"]
    names = {p.opts[0]: p for p in params}
    spelled = {n: p.opts[0] for p in params for n in [*p.opts, *p.secondary_opts]}
    unknown = sorted(set(options) - set(spelled))
    assert not unknown, f"{path}: README names options the command does not have: {unknown}"
    named = {spelled[n]: bracketed for n, bracketed in options.items()}
    missing = sorted(set(names) - set(named))
    assert not missing, f"{path}: options missing from the README row: {missing}"
    for name, bracketed in named.items():
        assert not (names[name].required and bracketed), f"{path}: {name} is required"
    args = [p for p in command.params if p.param_type_name == "argument"]
    assert len(arguments) == len(args), f"{path}: arguments {[a.name for a in args]}"
    for arg, bracketed in zip(args, arguments, strict=True):
        assert arg.required != bracketed, f"{path}: argument {arg.name} required={arg.required}"


# --- README "Site settings" against the bundled pack ---------------------------------------------


def pack_rows() -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for row in table_after(README, "### Site settings"):
        names = re.findall(r"`(\w+)`", row[0])
        defaults = [d.strip() for d in row[1].split("/")]
        assert len(names) == len(defaults), row
        for name, default in zip(names, defaults, strict=True):
            out[name] = None if default.startswith("null") else float(default)
    return out


def test_the_site_settings_table_is_the_pack_s_settings() -> None:
    settings = load_pack().spec.settings
    rows = pack_rows()
    assert sorted(rows) == sorted(settings)
    for name, spec in settings.items():
        assert rows[name] == spec.default, f"{name}: README {rows[name]}, pack {spec.default}"


# --- docs/service.md settings table against the Settings model ---------------------------------


def service_rows() -> dict[str, str]:
    rows = table_after(SERVICE_DOC, "| setting | default | description |")
    return {row[0].strip("`"): row[1] for row in rows}


def test_the_settings_table_is_the_settings_model() -> None:
    rows = service_rows()
    fields = Settings.model_fields
    assert not sorted(set(rows) - set(fields)), "documented, but no such setting"
    assert not sorted(set(fields) - set(rows)), "settings missing from docs/service.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_a_setting_s_documented_default_is_the_model_s(name: str) -> None:
    default = Settings.model_fields[name].get_default(call_default_factory=True)
    cell = service_rows()[name]
    if default is None:  # an unset setting: the table says what that means
        return
    shown = re.match(r"`([^`]*)`", cell)
    assert shown, f"{name}: the default column should start with the value in backticks"
    text = shown.group(1)
    if isinstance(default, bool):
        assert text == str(default).lower(), name
    elif isinstance(default, (int, float)):
        assert float(text) == default, name
    elif isinstance(default, str):
        assert text == default, name
    else:
        assert json.loads(text) == default, name
