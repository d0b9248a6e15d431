"""The real-world corpus (tests/realworld/cases/, written by make_cases.py) through every entry
point: `cds evaluate` (the CLI in-process, fixed --now), the real HTTP service (a `cds serve`
subprocess; the request's times are moved to the real clock), and `cds review` (batch, the
encounter-discharge replay at NOW) for the cases a Bulk export can hold.

Each case names the exact set of card topics the contract requires (`expected_topics`, plus
`optional_topics` where the contract leaves the choice open) and strings its cards must show.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import cds.evaluate
from cds.cli import app
from cds.errors import MissingDataError
from tests.realworld.fhirshapes import NOW, NOW_ISO, shift_times
from tests.realworld.make_cases import CASES as GENERATED
from tests.support.cds_server import CdsServer, run_cds_server

CASE_DIR = Path(__file__).resolve().parent / "cases"
CASES: list[dict[str, Any]] = [json.loads(p.read_text()) for p in sorted(CASE_DIR.glob("*.json"))]
BY_ID = {c["id"]: c for c in CASES}
BATCH = [c for c in CASES if c["batch"]]


def test_corpus_is_generated_and_large_enough() -> None:
    """The committed files are exactly what make_cases.py writes, and there are enough."""
    assert len(CASES) >= 150
    assert {c["id"] for c in GENERATED} == set(BY_ID)
    for case in GENERATED:
        assert json.loads(json.dumps(case)) == BY_ID[case["id"]], case["id"]


def check(
    case: Mapping[str, Any], cards: list[dict[str, Any]], where: str, key: str = "expected_topics"
) -> None:
    topics = [c.get("source", {}).get("topic", {}).get("code") for c in cards]
    got = set(topics)
    expected = set(case[key] or [])
    optional = set(case["optional_topics"])
    detail = " ".join(f"{c.get('summary', '')} {c.get('detail', '')}" for c in cards)
    assert len(topics) == len(got), f"{where}: more than one card of a topic: {topics}"
    assert expected <= got <= expected | optional, (
        f"{where}: {case['id']} ({case['description']}): topics {sorted(got)}, "
        f"expected {sorted(expected)}" + (f" (+ optional {sorted(optional)})" if optional else "")
    )
    assert not got & set(case["forbidden_topics"]), f"{where}: forbidden topic in {sorted(got)}"
    for text in case["must_mention"]:
        assert text in detail, (
            f"{where}: {case['id']}: the cards do not mention {text!r}:\n{detail}"
        )


# --- (a) the spine, as `cds evaluate` runs it --------------------------------------------------


@pytest.fixture(scope="module")
def cli(monkeypatch_module: pytest.MonkeyPatch) -> CliRunner:
    # the pack is loaded once, not per call (0.2 s each): loading is not what is tested here
    cached = functools.lru_cache(maxsize=None)(cds.evaluate.load_pack)
    monkeypatch_module.setattr(cds.evaluate, "load_pack", cached)
    return CliRunner()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as mp:
        yield mp


@pytest.mark.parametrize("cid", sorted(BY_ID))
def test_cds_evaluate(cid: str, cli: CliRunner) -> None:
    case = BY_ID[cid]
    raw = json.dumps(case["request"]).encode()
    result = cli.invoke(app, ["evaluate", "-", "--now", NOW_ISO], input=raw)
    if case["expect_status"] == 412:
        assert isinstance(result.exception, MissingDataError), result.output
        return
    assert result.exception is None, f"{cid}: {result.exception!r}\n{result.output}"
    check(case, json.loads(result.stdout)["cards"], "cds evaluate")


# --- (b) the real HTTP service -------------------------------------------------------------------


@pytest.fixture(scope="module")
def http_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, Any]]:
    """Every case POSTed to a real `cds serve`, times moved so NOW is the service's clock."""
    root = tmp_path_factory.mktemp("corpus-service")
    results: dict[str, tuple[int, Any]] = {}
    server: CdsServer
    with run_cds_server(root) as server, httpx.Client(timeout=30) as client:
        for case in CASES:
            delta = timedelta(seconds=round((datetime.now(UTC) - NOW).total_seconds()))
            body = shift_times(case["request"], delta)
            reply = client.post(server.url(f"/cds-services/{case['service']}"), json=body)
            try:
                payload = reply.json()
            except ValueError:
                payload = reply.text
            results[case["id"]] = (reply.status_code, payload)
    return results


@pytest.mark.integration
@pytest.mark.parametrize("cid", sorted(BY_ID))
def test_http_service(cid: str, http_results: dict[str, tuple[int, Any]]) -> None:
    case = BY_ID[cid]
    status, payload = http_results[cid]
    assert status == case["expect_status"], f"{cid}: HTTP {status}: {str(payload)[:400]}"
    if status == 200:
        check(case, payload["cards"], "HTTP")


# --- (c) batch review -----------------------------------------------------------------------------


def _resources(case: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The record a Bulk export would hold for this case's patient."""
    prefetch = case["request"]["prefetch"]
    out: list[dict[str, Any]] = [prefetch["patient"]]
    for key in ("conditions", "observations", "medications", "medicationstatements"):
        bundle = prefetch.get(key) or {}
        out += [e["resource"] for e in bundle.get("entry", []) if "resource" in e]
    pid = case["request"]["context"]["patientId"]
    if "encounter" in prefetch:
        out.append(prefetch["encounter"])
    else:  # a patient-view case is replayed as the discharge of today's visit
        out.append(
            {
                "resourceType": "Encounter",
                "id": f"enc-{pid}",
                "status": "in-progress",
                "class": {
                    "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                    "code": "EMER",
                },
                "subject": {"reference": f"Patient/{pid}"},
                "period": {"start": (NOW - timedelta(hours=6)).strftime("%Y-%m-%dT%H:%M:%SZ")},
            }
        )
    return out


@pytest.fixture(scope="module")
def batch_results(tmp_path_factory: pytest.TempPathFactory, cli: CliRunner) -> dict[str, list[Any]]:
    root = tmp_path_factory.mktemp("corpus-batch")
    inputs = root / "in"
    inputs.mkdir()
    for case in BATCH:
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in _resources(case)],
        }
        (inputs / f"{case['id']}.json").write_text(json.dumps(bundle))
    out = root / "out"
    result = cli.invoke(
        app, ["review", str(inputs), "--out", str(out), "--as-of", NOW_ISO, "--workers", "1"]
    )
    assert result.exception is None or getattr(result.exception, "code", 1) == 0, result.output
    cards: dict[str, list[Any]] = {}
    for line in (out / "cards.ndjson").read_text().splitlines():
        row = json.loads(line)
        if row["hook"] == "encounter-discharge":
            cards[row["patient"].removeprefix("Patient/")] = row["cards"]
    return cards


@pytest.mark.parametrize("cid", sorted(c["id"] for c in BATCH))
def test_batch_review(cid: str, batch_results: dict[str, list[Any]]) -> None:
    case = BY_ID[cid]
    check(
        case,
        batch_results.get(case["request"]["context"]["patientId"], []),
        "cds review",
        key="batch_expected_topics",
    )
