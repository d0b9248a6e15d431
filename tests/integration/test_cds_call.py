"""`cds call` against the real service: the example patients answer as their README says.

The CLI runs as a subprocess, signs its ES384 JWT with a development key it creates, and the
service (a real `cds serve`) is configured to trust exactly that key, so the whole EHR-side
path is exercised: prefetch filled from the Bundle, draft orders, JWT, cards printed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cds_server import CdsServer, run_cds_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = ROOT / "fhir_examples" / "patients"


def cds(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cds", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("call")


@pytest.fixture(scope="module")
def server(work: Path) -> Iterator[CdsServer]:
    # A first call (refused: nothing listens there) creates the development key pair.
    cds(
        "call",
        "back-spasm-patient-view",
        "--patient",
        str(PATIENTS / "back-pain-with-fever.json"),
        "--base",
        "http://127.0.0.1:9",
        cwd=work,
    )
    jwks = json.loads((work / "var" / "dev-jwks.json").read_text())
    issuer = {"iss": "urn:cds:call", "jwks": jwks}
    (work / "srv").mkdir()
    with run_cds_server(work / "srv", {"jwt_issuers": [issuer]}) as running:
        yield running


@pytest.mark.parametrize(
    "service, patient, expected",
    [
        ("back-spasm-order-sign", "ckd-with-draft-ibuprofen", ["[WARNING] Pain-reliever caution"]),
        ("back-spasm-order-sign", "draft-lumbar-xray-no-criterion", ["[WARNING] Lumbar imaging"]),
        (
            "back-spasm-encounter-discharge",
            "discharge-on-cyclobenzaprine",
            ["[INFO] Sedating medicine", "[INFO] Back spasm discharge instructions"],
        ),
    ],
)
def test_example_patients_answer_as_documented(
    server: CdsServer, work: Path, service: str, patient: str, expected: list[str]
) -> None:
    done = cds(
        "call",
        service,
        "--patient",
        str(PATIENTS / f"{patient}.json"),
        "--base",
        server.base,
        cwd=work,
    )
    assert done.returncode == 0, done.stderr
    headlines = [line for line in done.stdout.splitlines() if line.startswith("[")]
    assert [h for h in headlines if any(h.startswith(e) for e in expected)] == headlines
    assert len(headlines) == len(expected)
