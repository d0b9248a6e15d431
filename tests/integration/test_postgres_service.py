"""The real service (`cds serve`, uvicorn) on a real PostgreSQL server, and `cds feedback
report` against it; a `database_url` that cannot be used stops `cds serve` with one clear line
(exit 2, no traceback), and `cds feedback report` says what is wrong without creating anything.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.service.patient import full_prefetch, hook_request
from tests.support.cds_server import ROOT, free_port, run_cds_server
from tests.support.postgres import PASSWORD, PostgresServer

pytestmark = pytest.mark.integration
PV = "/cds-services/back-spasm-patient-view"
REASONS = "https://cds.example.org/override-reason"


def cds(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    return subprocess.run(
        [sys.executable, "-m", "cds", *args, "--config", str(config)],
        cwd=config.parent,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.postgres
def test_feedback_through_the_real_service_on_postgresql_and_the_report(
    tmp_path: Path, postgres_url: str
) -> None:
    with (
        run_cds_server(tmp_path, {"database_url": postgres_url}) as server,
        httpx.Client(base_url=server.base, timeout=30) as http,
    ):
        cards = []
        for _ in range(3):
            response = http.post(PV, json=hook_request(prefetch=full_prefetch()))
            assert response.status_code == 200, response.text
            cards += response.json()["cards"]
        items = [
            {
                "card": card["uuid"],
                "outcome": "overridden",
                "overrideReason": {"reason": {"system": REASONS, "code": "already-assessed"}},
                "outcomeTimestamp": "2026-11-26T08:00:00Z",
            }
            for card in cards[:2]
        ]
        bad = {**items[0], "overrideReason": {"userComment": "x\x00" + "y" * 70_000}}
        response = http.post(PV + "/feedback", json={"feedback": [*items, bad]})
        assert response.status_code == 400, response.text  # was 503, and nothing stored
        assert response.json()["issue"][0]["expression"] == ["feedback[2]"]
        assert http.post(PV + "/feedback", json={"feedback": items}).status_code == 200
    report = cds(server.config, "feedback", "report")
    assert report.returncode == 0, report.stderr
    line = next(ln for ln in report.stdout.splitlines() if "urg-fever-measured" in ln)
    assert line.split()[-5:] == ["3", "0", "2", "100", "%"]


@pytest.mark.postgres
def test_cds_serve_refuses_wrong_postgresql_credentials(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    config = tmp_path / "cds.json"
    url = postgres_server.url("postgres", password="not-the-password")
    config.write_text(f'{{"database_url": "{url}", "port": {free_port()}}}')
    served = cds(config, "serve")
    assert served.returncode == 2
    assert "Traceback" not in served.stderr
    assert "cannot connect to the database: " in served.stderr
    assert "password authentication failed" in served.stderr
    assert "not-the-password" not in served.stderr and PASSWORD not in served.stderr
    report = cds(config, "feedback", "report")
    assert report.returncode == 2 and "password authentication failed" in report.stderr
    assert "Traceback" not in report.stderr


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("oracle+nosuch://u:pw@127.0.0.1/x", "unknown database scheme 'oracle+nosuch'"),
        ("postgresql+pg8000://u:pw@127.0.0.1/x", "the driver of 'postgresql+pg8000' is not"),
        ("postgresql+psycopg://u:pw@127.0.0.1:{port}/x", "cannot connect to the database"),
    ],
)
def test_cds_serve_and_the_report_refuse_an_unusable_database_url(
    tmp_path: Path, url: str, message: str
) -> None:
    config = tmp_path / "cds.json"
    url = url.format(port=free_port())  # nobody listens there
    config.write_text(f'{{"database_url": "{url}", "port": {free_port()}}}')
    for command in (["serve"], ["feedback", "report"]):
        done = cds(config, *command)
        assert done.returncode == 2, (command, done.stderr)
        assert message in done.stderr and "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_the_report_on_a_missing_sqlite_file_says_so_and_creates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "nowhere" / "cds.sqlite3"
    config = tmp_path / "cds.json"
    config.write_text(f'{{"database_url": "sqlite:///{db}"}}')
    done = cds(config, "feedback", "report")
    assert done.returncode == 2
    assert f"there is no database file at {db}" in done.stderr
    assert not db.parent.exists()
