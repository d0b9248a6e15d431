"""A mistyped option or a missing argument is a usage error: the usage line and the error on
stderr, exit 2, and no traceback, for every subcommand (the README promises it)."""

from __future__ import annotations

import sys

import pytest

from cds.cli import main


def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str):
    monkeypatch.setattr(sys, "argv", ["cds", *args])
    with pytest.raises(SystemExit) as stop:
        main()
    out = capsys.readouterr()
    return stop.value.code, out.out, out.err


@pytest.mark.parametrize(
    "args, usage, error",
    [
        (["evaluate", "X", "--confg", "f"], "cds evaluate [OPTIONS]", "No such option: --confg"),
        (["serve", "--prot", "1"], "cds serve [OPTIONS]", "No such option: --prot"),
        (["review", "in", "--engin", "spark"], "cds review [OPTIONS]", "No such option: --engin"),
        (["call", "svc", "--patinet", "p.json"], "cds call [OPTIONS]", "No such option: --patinet"),
        (["rules", "check", "--strict"], "cds rules check [OPTIONS]", "No such option: --strict"),
        (["feedback", "report", "--confg", "f"], "cds feedback report", "No such option: --confg"),
        (["synth", "--patients", "many"], "cds synth [OPTIONS]", "Invalid value for '--patients'"),
        (["evaluate"], "cds evaluate [OPTIONS]", "Missing argument"),
        (["evalute", "X"], "cds [OPTIONS] COMMAND", "No such command 'evalute'"),
    ],
)
def test_usage_error_prints_usage_and_error_and_exits_2(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    usage: str,
    error: str,
) -> None:
    code, out, err = run(monkeypatch, capsys, *args)
    assert code == 2
    assert err.startswith("Usage: ")
    assert usage in err.splitlines()[0]
    assert error in err
    assert "Traceback" not in err + out
    assert "NoSuchOption" not in err + out
    assert len(err.splitlines()) <= 6


def test_the_suggestion_names_the_right_option(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _, _, err = run(monkeypatch, capsys, "evaluate", "X", "--confg", "f")
    assert "--config" in err
