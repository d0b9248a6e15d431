"""Prefetch templates per deployment (`prefetch_templates`), through a real `cds serve`.

A deployment replaces a key's template or drops a key its EHR cannot send: discovery shows
the effective templates, the service fetches (fhirServer fallback) only those, a dropped key
is not a "could not be retrieved" item on every card while a key still declared but not sent
still is, and `cds evaluate --config` reads a request against the same keys. Bad settings
stop start-up with a clear error.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from cds.config import load_settings
from cds.errors import ConfigError
from cds.pack.load import load_pack
from cds.services import services_for
from tests.service.patient import back_pain, hook_request, patient, searchset
from tests.support.cds_server import CdsServer, run_cds_server
from tests.support.recorder import Recorder, recording_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PV, SIGN = "back-spasm-patient-view", "back-spasm-order-sign"
VITALS = "Observation?patient={{context.patientId}}&category=vital-signs&_sort=-date&_count=50"
TEMPLATES: dict[str, dict[str, str | None]] = {
    PV: {"observations": VITALS, "medicationstatements": None},
    SIGN: {"medications": None, "medicationstatements": None},
}


@pytest.fixture(scope="module")
def fhir() -> Iterator[Recorder]:
    with recording_server(searchset()) as server:  # every search: no matches
        yield server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, fhir: Recorder) -> Iterator[CdsServer]:
    root = tmp_path_factory.mktemp("templates")
    settings = {"prefetch_templates": TEMPLATES, "fhir_server_allowlist": [fhir.base + "/"]}
    with run_cds_server(root, settings) as running:
        yield running


@pytest.fixture(scope="module")
def default_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CdsServer]:
    with run_cds_server(tmp_path_factory.mktemp("defaults")) as running:
        yield running


def services(server: CdsServer) -> dict[str, dict[str, Any]]:
    body = httpx.get(server.url("/cds-services"), timeout=10).json()
    return {s["id"]: s for s in body["services"]}


def order_sign(**prefetch: Any) -> dict[str, Any]:
    """An order-sign call of a back-pain patient; only the keys given are sent."""
    return hook_request("order-sign", prefetch=prefetch)


def post(server: CdsServer, service: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(server.url(f"/cds-services/{service}"), json=body, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def data_check(answer: dict[str, Any]) -> str:
    cards = [c for c in answer["cards"] if c["source"]["topic"]["code"] == "data-check"]
    return cards[0]["detail"] if cards else ""


def test_discovery_shows_the_effective_templates(
    server: CdsServer, default_server: CdsServer
) -> None:
    ours, default = services(server), services(default_server)
    said = server.log_tail()  # once at start-up, since no card will say it
    assert (
        "back-spasm-order-sign: prefetch key medications dropped by prefetch_templates (when "
        "a client does not send it anyway: pain-reliever and sedation cautions could not be "
        "checked against the patient's medicines)"
    ) in said
    assert ours[PV]["prefetch"]["observations"] == VITALS
    assert "medicationstatements" not in ours[PV]["prefetch"]
    assert "medications" in ours[PV]["prefetch"]  # not named: kept
    assert set(ours[SIGN]["prefetch"]) == {"patient", "conditions", "observations", "encounter"}
    for service in ("back-spasm-order-select", "back-spasm-encounter-discharge"):
        assert ours[service]["prefetch"] == default[service]["prefetch"]
    assert set(default[SIGN]["prefetch"]) == {
        "patient",
        "conditions",
        "observations",
        "medications",
        "medicationstatements",
        "encounter",
    }


def test_a_dropped_key_is_not_said_a_declared_key_not_sent_still_is(
    server: CdsServer, default_server: CdsServer
) -> None:
    body = order_sign(
        patient=patient(), conditions=searchset(back_pain())
    )  # no observations, no medicines
    dropped = data_check(post(server, SIGN, body))
    assert "observations" in dropped  # still declared, not sent: said
    assert "medications" not in dropped and "medicationstatements" not in dropped
    default = data_check(post(default_server, SIGN, body))
    assert "medications:" in default and "medicationstatements:" in default


def test_the_service_fetches_only_the_effective_templates(
    server: CdsServer, fhir: Recorder
) -> None:
    fhir.paths.clear()
    body = order_sign(patient=patient(), conditions=searchset(back_pain()))
    body["fhirServer"] = fhir.base
    body["fhirAuthorization"] = {
        "access_token": "t",
        "token_type": "Bearer",
        "expires_in": 300,
        "scope": "patient/*.read",
        "subject": "cds-service",
    }
    assert data_check(post(server, SIGN, body)) == ""  # all had: nothing to say
    assert [unquote(p).split("?")[0] for p in fhir.paths] == ["/Observation"]
    fhir.paths.clear()
    post(
        server,
        PV,
        {
            **body,
            "hook": "patient-view",
            "context": {"userId": "Practitioner/1", "patientId": "p1"},
        },
    )
    assert [unquote(p) for p in fhir.paths] == ["/" + VITALS.replace("{{context.patientId}}", "p1")]


def test_cds_evaluate_config_reads_the_same_keys(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            order_sign(patient=patient(), conditions=searchset(back_pain()), observations=None)
        )
    )
    config = tmp_path / "cds.yaml"
    config.write_text(json.dumps({"prefetch_templates": TEMPLATES}))

    def evaluate(*extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "cds", "evaluate", str(request), *extra],
            capture_output=True,
            text=True,
            timeout=60,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return data_check(json.loads(done.stdout))

    assert "medications:" in evaluate()
    assert evaluate("--config", str(config)) == ""


BAD = [
    (
        {"back-spasm-patient-veiw": {"observations": None}},
        "offers no service 'back-spasm-patient-veiw'",
    ),
    (
        {PV: {"encounter": "Encounter?patient={{context.patientId}}"}},
        "must read 'Encounter/{{context.encounterId}}'",
    ),
    ({PV: {"observation": None}}, "unknown prefetch key 'observation'"),
    ({PV: {"conditions": None}}, "the conditions key is required and cannot be dropped"),
    ({PV: {"observations": "Observation?code=8310-5"}}, "must name this patient"),
    (
        {PV: {"observations": "http://evil/Observation?patient={{context.patientId}}"}},
        "must be a relative FHIR query",
    ),
    (
        {PV: {"observations": "Observation?patient={{context.userId}}"}},
        "unknown token '{{context.userId}}'",
    ),
    (
        {PV: {"observations": "Condition?patient={{context.patientId}}"}},
        "must ask for Observation resources",
    ),
    (
        {PV: {"patient": "Patient/{{context.encounterId}}"}},
        "must read 'Patient/{{context.patientId}}'",
    ),
    (
        {PV: {"observations": "Observation?patient={{context.patientId}}&_count=5 0"}},
        "holds whitespace",
    ),
]


@pytest.mark.parametrize("templates, said", BAD)
def test_bad_templates_are_refused_with_a_clear_error(templates: dict[str, Any], said: str) -> None:
    with pytest.raises(ConfigError) as refused:  # settings first, then the pack's services
        settings = load_settings(None, {"prefetch_templates": templates}, serving=False)
        services_for(load_pack(settings.pack), settings.prefetch_templates)
    assert said in refused.value.message


@pytest.mark.parametrize("templates, said", [BAD[0], BAD[4]])
def test_bad_templates_stop_cds_serve(tmp_path: Path, templates: dict[str, Any], said: str) -> None:
    config = tmp_path / "cds.json"
    config.write_text(json.dumps({"prefetch_templates": templates, "port": 1}))
    done = subprocess.run(
        [sys.executable, "-m", "cds", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and said in done.stderr
    assert str(config) in done.stderr or "offers no service" in said
    assert "Traceback" not in done.stderr


def test_templates_come_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_PREFETCH_TEMPLATES", json.dumps({PV: {"medications": None}}))
    assert load_settings(None).prefetch_templates == {PV: {"medications": None}}
    monkeypatch.setenv("CDS_PREFETCH_TEMPLATES", json.dumps({PV: {"patient": None}}))
    with pytest.raises(ConfigError, match=r"from environment.*patient key is required"):
        load_settings(None)


def test_the_documented_example_is_valid() -> None:
    import yaml

    doc = (ROOT / "docs" / "service.md").read_text()
    example = doc.split("```yaml\nprefetch_templates:", 1)[1].split("```", 1)[0]
    settings = load_settings(None, yaml.safe_load("prefetch_templates:" + example), serving=False)
    specs = services_for(load_pack(settings.pack), settings.prefetch_templates)
    assert "medicationstatements" not in specs[SIGN].service.prefetch
    assert "category=vital-signs" in specs[PV].service.prefetch["observations"]
