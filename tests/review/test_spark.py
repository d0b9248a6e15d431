"""Tests for cds/review/spark.py: the Spark engine gives the local engine's outputs.

One ``local[2]`` session for the whole module (start-up costs 5-10 s); the sample is reviewed
once by each engine and the outputs compared.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from cds.cli import app
from cds.errors import InputError
from cds.review.local import ReviewOptions
from cds.review.progress import LogReporter
from cds.review.spark import run_review_spark, spark_session
from tests.review.helpers import SAMPLE, read_ndjson, review

pytest.importorskip("pyspark", reason="pyspark is not installed (pip install -e '.[spark]')")

pytestmark = [pytest.mark.spark]
OUTPUTS = ("cards.ndjson", "summary.json", "errors.ndjson", "report.html")


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    session = spark_session(None, 2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local")
    review([SAMPLE], out, workers=1)
    return out


@pytest.fixture(scope="module")
def spark_run(spark: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("spark")
    log = io.StringIO()
    run_review_spark([SAMPLE], ReviewOptions(out=out, workers=2), LogReporter(log), spark=spark)
    return out, log.getvalue()


def _sorted_lines(path: Path) -> list[bytes]:
    return sorted(path.read_bytes().splitlines())


def test_cards_and_counts_are_the_local_engines(
    spark_run: tuple[Path, str], local_run: Path
) -> None:
    out, _ = spark_run
    assert _sorted_lines(out / "cards.ndjson") == _sorted_lines(local_run / "cards.ndjson")
    summary = orjson.loads((out / "summary.json").read_bytes())
    assert summary == orjson.loads((local_run / "summary.json").read_bytes())
    expected = orjson.loads((SAMPLE / "expected.json").read_bytes())
    assert summary["cards_by_hook_topic"] == expected["cards_by_hook_topic"]
    assert summary["patients"]["reviewed"] == expected["patients"]
    assert summary["lines"]["balanced"] is True


def test_outputs_are_byte_identical_with_as_many_partitions_as_shards(
    spark_run: tuple[Path, str], local_run: Path
) -> None:
    out, log = spark_run
    assert "(16 partitions)" in log  # the local engine's 16 shards
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (local_run / name).read_bytes(), name
    assert not (out / "parts").exists()


def test_engine_is_built_once_per_python_worker(spark_run: tuple[Path, str]) -> None:
    _, log = spark_run
    processes = [line for line in log.splitlines() if "Python worker processes" in line]
    assert processes, log
    assert int(processes[0].split(", in ")[1].split()[0]) <= 2  # local[2]: two task slots
    assert "reviewed 50/50 patients" in log


def test_cards_parquet_holds_the_card_lines(spark: Any, spark_run: tuple[Path, str]) -> None:
    out, _ = spark_run
    rows = spark.read.parquet(str(out / "cards.parquet")).collect()
    lines = read_ndjson(out / "cards.ndjson")
    assert len(rows) == len(lines) > 0
    assert [r.asDict()["patient"] for r in rows][:1] and set(rows[0].asDict()) == {
        "patient",
        "hook",
        "at",
        "cards",
    }
    by_key = {(r.patient, r.hook, r.at): orjson.loads(r.cards) for r in rows}
    assert by_key == {(x["patient"], x["hook"], x["at"]): x["cards"] for x in lines}


def test_parquet_table_input_gives_the_same_cards(
    spark: Any, local_run: Path, tmp_path: Path
) -> None:
    table = tmp_path / "resources"
    rows = [
        (line.decode(),)
        for path in sorted(SAMPLE.glob("*.ndjson"))
        for line in path.read_bytes().splitlines()
    ]
    rows.append(("not json",))
    spark.createDataFrame(rows, "resource STRING").coalesce(2).write.parquet(str(table))
    out = tmp_path / "out"
    summary = run_review_spark(
        [table], ReviewOptions(out=out, workers=2), LogReporter(io.StringIO()), spark=spark
    )
    assert _sorted_lines(out / "cards.ndjson") == _sorted_lines(local_run / "cards.ndjson")
    local = orjson.loads((local_run / "summary.json").read_bytes())
    assert summary["lines"]["read"] == local["lines"]["read"] + 1
    assert summary["lines"]["errors"] == 1 and summary["lines"]["balanced"] is True
    assert summary["cards_by_rule"] == local["cards_by_rule"]
    assert summary["inputs"] == [{"file": str(table), "format": "parquet", "type": None}]
    (error,) = read_ndjson(out / "errors.ndjson")
    assert error["file"] == str(table) and error["reason"].startswith("not valid JSON")
    assert 1 <= error["line"] <= len(rows)


def test_command_line_uses_the_running_session(spark: Any, local_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["review", str(SAMPLE), "--out", str(out), "--engine", "spark", "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    assert "50 patients" in result.output
    assert (out / "cards.ndjson").read_bytes() == (local_run / "cards.ndjson").read_bytes()
    assert not spark.sparkContext._jsc.sc().isStopped()  # the session it found is left running


def test_a_delta_table_is_refused_before_spark_starts(tmp_path: Path) -> None:
    (tmp_path / "table" / "_delta_log").mkdir(parents=True)
    (tmp_path / "table" / "part-0.parquet").write_bytes(b"PAR1")
    with pytest.raises(InputError, match="Delta table"):
        run_review_spark(
            [tmp_path / "table"], ReviewOptions(out=tmp_path / "o"), LogReporter(io.StringIO())
        )


def test_comparison_is_the_local_engines(spark: Any, tmp_path: Path) -> None:
    """``--compare`` on Spark writes the local engine's comparison, byte for byte."""
    from cds.review.compare import Side, load_counterpart, side_of

    target = SAMPLE.parent / "compare" / "imaging-age-50.yaml"
    counterpart = load_counterpart(side_of(target, Side("defaults", None)))
    outs = {}
    for engine in ("local", "spark"):
        out = outs[engine] = tmp_path / engine
        options = ReviewOptions(out=out, workers=2, compare=counterpart)
        if engine == "spark":
            run_review_spark([SAMPLE], options, LogReporter(io.StringIO()), spark=spark)
        else:
            review([SAMPLE], out, workers=1, compare=counterpart)
    names = ("compare.json", "compare-cards.ndjson", "compare-errors.ndjson", *OUTPUTS)
    for name in names:
        assert (outs["spark"] / name).read_bytes() == (outs["local"] / name).read_bytes(), name
    doc = orjson.loads((outs["spark"] / "compare.json").read_bytes())
    assert doc["changed_patients"]["total"] > 0
