"""`cds call` against the real service: the example patients answer as their README says.

The CLI runs as a subprocess, signs its ES384 JWT with a development key it creates, and the
service (a real `cds serve`) is configured to trust exactly that key, so the whole EHR-side
path is exercised: prefetch filled from the Bundle, draft orders, JWT, cards printed.
"""

from __future__ import annotations

import json
import re
import shlex
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


# --- the whole cycle from the command line: discovery -> hook -> cards -> feedback -> report ---

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def call_cards(server: CdsServer, work: Path, service: str, patient: str) -> str:
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
    return done.stdout


def test_cds_call_prints_card_uuids_suggestions_links_and_reasons(
    server: CdsServer, work: Path
) -> None:
    out = call_cards(server, work, "back-spasm-order-sign", "draft-lumbar-xray-no-criterion")
    assert re.search(rf"^    card: {UUID}$", out, re.M)
    assert re.search(rf"^    suggestion {UUID}: Remove the lumbar imaging order", out, re.M)
    assert "    link: ACR Appropriateness Criteria: Low Back Pain <https://" in out
    assert "    override reasons: red-flag-not-coded (A red flag is present" in out
    assert "feedback: cds feedback send back-spasm-order-sign --card CARD_UUID" in out


def report(server: CdsServer, work: Path) -> dict[str, tuple[int, int, int]]:
    """`cds feedback report` on the service's own store: rule -> (cards, accepted, overridden)."""
    done = cds("feedback", "report", "--config", str(server.config), cwd=work)
    assert done.returncode == 0, done.stderr
    rows = {}
    for line in done.stdout.splitlines()[1:]:
        parts = line.split()
        rows[parts[2]] = (int(parts[3]), int(parts[4]), int(parts[5]))
    return rows


def test_feedback_sent_from_the_command_line_is_stored_and_reported(
    server: CdsServer, work: Path
) -> None:
    out = call_cards(server, work, "back-spasm-order-sign", "ckd-with-draft-ibuprofen")
    card = re.search(rf"^    card: ({UUID})$", out, re.M).group(1)
    suggestion = re.search(rf"^    suggestion ({UUID}): ", out, re.M).group(1)
    before = report(server, work)
    sent = cds(
        "feedback",
        "send",
        "back-spasm-order-sign",
        "--card",
        card,
        "--accept",
        suggestion,
        "--base",
        server.base,
        cwd=work,
    )
    assert sent.returncode == 0, sent.stderr
    assert f"feedback sent: card {card} accepted" in sent.stdout

    out = call_cards(server, work, "back-spasm-order-sign", "draft-lumbar-xray-no-criterion")
    card = re.search(rf"^    card: ({UUID})$", out, re.M).group(1)
    sent = cds(
        "feedback",
        "send",
        "back-spasm-order-sign",
        "--card",
        card,
        "--override",
        "--reason",
        "pain-persistent",
        "--comment",
        "six weeks of pain",
        "--base",
        server.base,
        cwd=work,
    )
    assert sent.returncode == 0, sent.stderr
    after = report(server, work)

    def more(rule: str, column: int) -> int:
        return after[rule][column] - before.get(rule, (0, 0, 0))[column]

    assert more("caution-kidney-disease", 1) == 1  # accepted: the replace suggestion taken
    assert more("imaging-not-indicated", 2) == 1  # overridden, with its reason
    assert sum(more(rule, 1) + more(rule, 2) for rule in after) == 2


@pytest.mark.parametrize(
    "args, said",
    [
        (["--accept", "s1", "--override"], "either --accept SUGGESTION_UUID or --override"),
        ([], "either --accept SUGGESTION_UUID or --override"),
        (["--accept", "s1", "--reason", "checked"], "--reason and --comment go with --override"),
    ],
)
def test_feedback_send_refuses_a_confused_outcome(work: Path, args: list[str], said: str) -> None:
    done = cds(
        "feedback",
        "send",
        "back-spasm-order-sign",
        "--card",
        "c1",
        *args,
        "--base",
        "http://127.0.0.1:9",
        cwd=work,
    )
    assert done.returncode == 2
    assert done.stderr == f"error: {said}\n" or said in done.stderr


def test_the_feedback_hint_of_a_call_with_its_own_key_and_issuer_can_be_pasted_as_is(
    work: Path,
) -> None:
    """A service trusting only the integrator's key: the hint `cds call --key K --iss I`
    prints must carry both, or `cds feedback send` signs with the development key (401)."""
    from cds.service.client import new_private_jwk, public_jwks

    private = new_private_jwk("integrator-1")
    key = work / "integrator key.json"  # a space: the hint must quote it
    key.write_text(json.dumps(private))
    issuer = {"iss": "https://ehr.integrator.test", "jwks": public_jwks(private)}
    (work / "own-key").mkdir()
    with run_cds_server(work / "own-key", {"jwt_issuers": [issuer]}) as server:
        done = cds(
            "call",
            "back-spasm-order-sign",
            "--patient",
            str(PATIENTS / "ckd-with-draft-ibuprofen.json"),
            "--base",
            server.base,
            "--key",
            str(key),
            "--iss",
            issuer["iss"],
            cwd=work,
        )
        assert done.returncode == 0, done.stderr
        card = re.search(rf"^    card: ({UUID})$", done.stdout, re.M).group(1)
        suggestion = re.search(rf"^    suggestion ({UUID}): ", done.stdout, re.M).group(1)
        hint = next(ln for ln in done.stdout.splitlines() if ln.startswith("feedback: "))
        command = hint.removeprefix("feedback: ").replace("CARD_UUID", card)
        command = re.sub(
            r" \(--accept SUGGESTION_UUID \| .*\)$", f" --accept {suggestion}", command
        )
        args = shlex.split(command)
        assert args[:3] == ["cds", "feedback", "send"]
        sent = cds(*args[1:], cwd=work)
        assert sent.returncode == 0, sent.stderr  # 401 when the hint left out --key / --iss
        assert f"feedback sent: card {card} accepted" in sent.stdout
