"""``cds review --from-fhir`` against a real FHIR server (sekmet-fhir) with Bulk $export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from cds.cli import app
from cds.errors import AuthError
from cds.review.bulk import export_to_folder
from cds.review.synth import synthesize
from tests.support.fhir_server import FhirServer, run_fhir_server

# sekmet-fhir is a pinned dev dependency: without it these fail (run_fhir_server says why),
# they are never skipped in silence
pytestmark = pytest.mark.integration
TOKEN = "review-test-token"


def put_bundle(folder: Path) -> dict[str, Any]:
    """The synthetic population as one transaction of PUTs (ids kept)."""
    entries = []
    for path in sorted(folder.glob("*.ndjson")):
        for raw in path.read_bytes().splitlines():
            res = orjson.loads(raw)
            url = f"{res['resourceType']}/{res['id']}"
            entries.append({"resource": res, "request": {"method": "PUT", "url": url}})
    unique = {e["request"]["url"]: e for e in entries}  # the sample repeats some lines
    return {"resourceType": "Bundle", "type": "transaction", "entry": list(unique.values())}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FhirServer, Path]]:
    data = tmp_path_factory.mktemp("synth")
    synthesize(15, 8, data)
    with run_fhir_server(TOKEN, validation="warn", bulk_delay_seconds=0.2) as server:
        # the orders' requester is a conditional reference (as in Synthea): load its target first
        doctor = {
            "resourceType": "Practitioner",
            "id": "npi-9999912345",
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "9999912345"}],
        }
        server.load_bundle(
            {
                "resourceType": "Bundle",
                "type": "transaction",
                "entry": [
                    {
                        "resource": doctor,
                        "request": {"method": "PUT", "url": "Practitioner/npi-9999912345"},
                    }
                ],
            }
        )
        server.load_bundle(put_bundle(data))
        yield server, data


def test_review_from_fhir_matches_the_files(
    loaded: tuple[FhirServer, Path], tmp_path: Path
) -> None:
    server, data = loaded
    result = CliRunner().invoke(
        app,
        [
            "review",
            "--from-fhir",
            server.base_url,
            "--token",
            TOKEN,
            "--out",
            str(tmp_path / "out"),
            "--workers",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = orjson.loads((tmp_path / "out" / "summary.json").read_bytes())
    expected = orjson.loads((data / "expected.json").read_bytes())
    assert summary["cards_by_hook_topic"] == expected["cards_by_hook_topic"]
    assert summary["patients"]["reviewed"] == 15
    assert (tmp_path / "out" / "export" / "manifest.json").exists()


def test_wrong_token_is_an_auth_error(loaded: tuple[FhirServer, Path], tmp_path: Path) -> None:
    server, _ = loaded
    with pytest.raises(AuthError):
        export_to_folder(server.base_url, "wrong", tmp_path)
