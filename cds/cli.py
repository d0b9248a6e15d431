"""The ``cds`` command line: the only place that prints errors and chooses exit codes."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer

from cds.errors import CdsError, InputError
from cds.evaluate import evaluate_file
from cds.facts.times import parse_instant
from cds.pack.check import check
from cds.scenarios import run_pack_scenarios

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Clinical decision support")
rules_app = typer.Typer(no_args_is_help=True, help="Validate and test rule packs.")
app.add_typer(rules_app, name="rules")

_state = {"verbose": False}


@app.callback()
def _options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show error details.")] = False,
) -> None:
    _state["verbose"] = verbose


@app.command()
def evaluate(
    request: Annotated[Path, typer.Argument(help="A CDS Hooks request (JSON file, - for stdin)")],
    now: Annotated[str | None, typer.Option(help="Evaluation time, ISO 8601 with zone")] = None,
    pack: Annotated[str | None, typer.Option(help="Rule pack name or folder")] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="Settings file (the service's): site settings, site_timezone, pack."
        ),
    ] = None,
) -> None:
    """Evaluate one CDS Hooks request offline and print the response JSON."""
    from cds.config import load_settings

    settings = load_settings(config, serving=False)
    at = _parse_now(now)
    raw = sys.stdin.buffer.read() if str(request) == "-" else _read(request)
    response = evaluate_file(raw, pack, at, settings)
    typer.echo(orjson.dumps(response, option=orjson.OPT_INDENT_2).decode())


@rules_app.command("check")
def rules_check(
    pack: Annotated[str | None, typer.Argument(help="Pack name or folder")] = None,
) -> None:
    """Validate a rule pack: schema, value sets, references, statement coverage, and static
    analysis (unused value sets, untested rules and text patterns, contradictions). Errors
    exit 1; warnings are printed and do not fail."""
    report = check(pack)
    typer.echo(report.text)
    if report.errors:
        raise typer.Exit(1)


@rules_app.command("test")
def rules_test(
    pack: Annotated[str | None, typer.Argument(help="Pack name or folder")] = None,
) -> None:
    """Run a pack's scenario fixtures and show any difference from the expected cards."""
    failures, lines = run_pack_scenarios(pack)
    for line in lines:
        typer.echo(line)
    if failures:
        raise typer.Exit(1)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc


def _parse_now(text: str | None) -> datetime:
    return datetime.now().astimezone() if text is None else parse_instant(text, "--now")


def main() -> None:
    """Entry point: run the app, turning our errors into one line on stderr and an exit code."""
    try:
        code = app(standalone_mode=False)  # a typer.Exit in a command comes back as its code
    except CdsError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        if _state["verbose"] and exc.details is not None:
            typer.echo(str(exc.details), err=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except typer.TyperException as exc:
        # Usage errors (a mistyped option, a missing argument, a bad value) come from typer's
        # own copy of click, not from the `click` package: print the usage line and the error
        # (no traceback) and exit 2, as for any usage error.
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {exc.message}", err=True)
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)


from cds.service.commands import register as _register_service  # noqa: E402

_register_service(app)

from cds.review.commands import register as _register_review  # noqa: E402

_register_review(app)
