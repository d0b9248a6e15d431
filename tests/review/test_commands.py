"""Tests for cds/review/commands.py: ``cds synth`` and ``cds review`` through the CLI."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from cds.cli import app


def test_synth_then_review(tmp_path: Path) -> None:
    runner = CliRunner()
    made = runner.invoke(
        app, ["synth", "--patients", "20", "--seed", "5", "--out", str(tmp_path / "data")]
    )
    assert made.exit_code == 0, made.output
    done = runner.invoke(
        app, ["review", str(tmp_path / "data"), "--out", str(tmp_path / "out"), "--workers", "1"]
    )
    assert done.exit_code == 0, done.output
    assert "20 patients" in done.output
    expected = orjson.loads((tmp_path / "data" / "expected.json").read_bytes())
    summary = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    assert summary["cards_by_topic"] == expected["cards_by_topic"]


def test_spark_engine_checks_its_inputs_before_starting_spark(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["review", str(tmp_path), "--out", str(tmp_path / "o"), "--engine", "spark"]
    )
    assert result.exit_code != 0
    assert "no NDJSON, Bundle or Parquet files" in str(result.exception)


def test_spark_master_needs_the_spark_engine(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["review", str(tmp_path), "--out", str(tmp_path / "o"), "--spark-master", "local[1]"]
    )
    assert "--spark-master needs --engine spark" in str(result.exception)


def test_fixed_as_of_needs_a_zone(tmp_path: Path) -> None:
    data = tmp_path / "d.ndjson"
    data.write_bytes(b'{"resourceType": "Patient", "id": "p1"}\n')
    result = CliRunner().invoke(
        app, ["review", str(data), "--out", str(tmp_path / "o"), "--as-of", "2025-01-01T00:00:00"]
    )
    assert "time zone" in str(result.exception)
