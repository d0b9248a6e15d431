"""`make run` installs no PySpark (the `spark` extra is for `make test` and batch users):
`cds review --engine spark` without it says how to install the extra, exits 2, no traceback.

PySpark is made unimportable in a child interpreter (``sys.modules['pyspark'] = None``, what
Python does for a package that is not there), so the shared venv, which has it, is untouched.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "fhir_examples" / "patients" / "back-pain-with-fever.json"

WITHOUT_PYSPARK = """
import sys
sys.modules["pyspark"] = None
sys.argv = ["cds", *sys.argv[1:]]
from cds.cli import main
main()
"""


def test_spark_engine_without_pyspark_says_how_to_install_the_extra(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_PYSPARK,
            "review",
            str(EXAMPLE),
            "--engine",
            "spark",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert "the 'spark' extra (PySpark), which is not installed" in done.stderr
    assert "pip install -e '.[spark]'" in done.stderr
    assert "pip install 'cds[spark]'" in done.stderr
    assert "--engine local" in done.stderr


def test_make_run_installs_no_extra_and_make_test_the_dev_and_spark_extras() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run_rule = makefile.split("\n$(RUN_STAMP):", 1)[1].split("\n\n", 1)[0]
    test_rule = makefile.split("\n$(STAMP):", 1)[1].split("\n\n", 1)[0]
    assert "\nrun: $(RUN_STAMP)\n" in makefile
    assert "pip install -q -e .\n" in run_rule + "\n"
    assert "[" not in run_rule.split("pip install -q -e", 1)[1], "no extra for serving"
    assert "-e '.[dev,spark]'" in test_rule
