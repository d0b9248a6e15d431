"""One settings file, the same cards: `cds serve --config` and `cds evaluate --config` under a
non-default site (fever threshold raised to 38.3 °C, site in America/Chicago), and the batch
review's worker set up from the same file (issue 12, item 4; issue 9, item 6)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from cds.config import load_settings
from cds.errors import ConfigError
from tests.service.asgi import serve_settings
from tests.service.patient import LOINC, back_pain, patient, searchset

ROOT = Path(__file__).resolve().parents[2]
PV = "/cds-services/back-spasm-patient-view"


def evidence(card: dict[str, Any]) -> list[str]:
    """The records a card gives as evidence (its "  - ..." lines; a "latest:" reading shown
    beside an older one is context, not evidence)."""
    return re.findall(r"^  - .*\((\w+/[\w.-]+)\)", card["detail"], re.M)


def temperature_at(value: float, oid: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "8310-5", "display": "Body temperature"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": value,
            "unit": "Cel",
            "system": "http://unitsofmeasure.org",
            "code": "Cel",
        },
    }


def site_request(now: datetime) -> dict[str, Any]:
    """38.1 °C two hours ago (a fever by default, not at this site), and 38.4 °C recorded
    without a zone at a wall-clock time 74 h before now in UTC: outside the 72 h window if read
    as UTC, inside it when read as Chicago time (5 or 6 h behind UTC)."""
    recent = (now - timedelta(hours=2)).isoformat(timespec="seconds")
    local = (now - timedelta(hours=74)).replace(tzinfo=None).isoformat(timespec="seconds")
    prefetch = {
        "patient": patient(),
        "conditions": searchset(back_pain()),
        "observations": searchset(
            temperature_at(38.1, "t-recent", recent), temperature_at(38.4, "t-local", local)
        ),
        "medications": None,
        "medicationstatements": None,
    }
    return {
        "hook": "patient-view",
        "hookInstance": "5b1f0c3e-8f5e-4a57-9d3f-2c5e8e0b7a11",
        "context": {"userId": "Practitioner/dr1", "patientId": "p1"},
        "prefetch": prefetch,
    }


def cli_evaluate(request: dict[str, Any], now: datetime, tmp: Path, config: Path | None) -> Any:
    path = tmp / "request.json"
    path.write_text(json.dumps(request))
    args = [sys.executable, "-m", "cds", "evaluate", str(path), "--now", now.isoformat()]
    if config is not None:
        args += ["--config", str(config)]
    done = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def comparable(cards: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for card in cards:
        card = {k: v for k, v in card.items() if k != "uuid"}
        card["suggestions"] = [
            {k: v for k, v in s.items() if k != "uuid"} for s in card.get("suggestions", [])
        ]
        out.append(card)
    return out


@pytest.mark.anyio
async def test_service_and_cds_evaluate_give_the_same_cards_under_one_site_config(
    tmp_path: Path,
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "site": {"fever_celsius": 38.3},
                "site_timezone": "America/Chicago",
                "database_url": f"sqlite:///{tmp_path}/cds.sqlite3",
            }
        )
    )
    now = datetime.now(UTC).replace(microsecond=0)
    request = site_request(now)
    async with serve_settings(load_settings(config)) as client:
        served = (await client.post(PV, json=request)).json()["cards"]
    offline = cli_evaluate(request, now, tmp_path, config)["cards"]
    assert comparable(served) == comparable(offline)
    (card,) = [c for c in served if c["source"]["topic"]["code"] == "urgent-sign"]
    assert "Observation/t-local" in evidence(card)  # read in Chicago: inside the window
    assert "Observation/t-recent" not in evidence(card)  # 38.1 is below this site's 38.3
    default = cli_evaluate(request, now, tmp_path, None)["cards"]
    (card,) = [c for c in default if c["source"]["topic"]["code"] == "urgent-sign"]
    assert "Observation/t-recent" in card["detail"]  # the pack's default: 38.0
    assert "Observation/t-local" not in card["detail"]  # read in UTC: 74 h old


def test_an_unknown_site_timezone_stops_with_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text("site_timezone: America/Chicgo\n")
    with pytest.raises(ConfigError, match=r"site_timezone .*unknown time zone 'America/Chicgo'"):
        load_settings(config)
    done = subprocess.run(
        [sys.executable, "-m", "cds", "evaluate", "-", "--config", str(config)],
        cwd=ROOT,
        input="{}",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2 and "unknown time zone 'America/Chicgo'" in done.stderr


def test_review_workers_use_the_site_settings(tmp_path: Path) -> None:
    """The batch worker is set up from the same settings: its evaluator carries the site's
    overrides and zone (the full batch-vs-service differential is tests/review's)."""
    from zoneinfo import ZoneInfo

    from cds.pack.load import load_pack
    from cds.review import local
    from cds.review.replay import AsOf

    local.init_worker(
        load_pack(), [], AsOf(None, datetime.now(UTC)), {"fever_celsius": 38.3}, "America/Chicago"
    )
    reviewer = local._REVIEWER
    assert reviewer is not None
    assert reviewer.evaluator.timezone == ZoneInfo("America/Chicago")
    ruleset = reviewer.evaluator.rulesets["encounter-discharge"]
    assert "38.3" in json.dumps(ruleset.definition)


@pytest.mark.anyio
async def test_batch_review_gives_the_service_cards_under_the_same_site_config(
    tmp_path: Path,
) -> None:
    """`cds review --config` (local engine) and the service, one patient at discharge: the
    same cards, with the site's threshold and zone honoured by both."""
    from tests.review.helpers import read_ndjson, review

    config = tmp_path / "site.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "site": {"fever_celsius": 38.3},
                "site_timezone": "America/Chicago",
                "database_url": f"sqlite:///{tmp_path}/cds.sqlite3",
            }
        )
    )
    s = load_settings(config)
    now = datetime.now(UTC).replace(microsecond=0)
    # The review evaluates at the discharge (a minute ago), the service at its own clock: the
    # readings sit 20 minutes off the hour so that "N h ago" reads the same at both moments.
    request = site_request(now - timedelta(minutes=20))
    # back_pain()'s onset is a date, read to the minute from the real clock: at half past some
    # hour its "63 h ago" rounds differently a minute apart. Give it a time off the hour too.
    (pain,) = request["prefetch"]["conditions"]["entry"]
    pain["resource"]["onsetDateTime"] = (now - timedelta(hours=72, minutes=20)).isoformat()
    encounter = {
        "resourceType": "Encounter",
        "id": "e1",
        "status": "finished",
        "class": {"code": "EMER"},
        "subject": {"reference": "Patient/p1"},
        "period": {
            "start": (now - timedelta(hours=3)).isoformat(),
            "end": (now - timedelta(minutes=1)).isoformat(),
        },
    }
    prefetch = request["prefetch"]
    resources = [
        prefetch["patient"],
        *(e["resource"] for e in prefetch["conditions"]["entry"]),
        *(e["resource"] for e in prefetch["observations"]["entry"]),
        encounter,
    ]
    bundle = tmp_path / "in" / "p1.json"
    bundle.parent.mkdir()
    bundle.write_text(
        json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [{"resource": r} for r in resources],
            }
        )
    )
    review([bundle.parent], tmp_path / "out", workers=1, site=s.site, site_timezone=s.site_timezone)
    (line,) = [
        x
        for x in read_ndjson(tmp_path / "out" / "cards.ndjson")
        if x["hook"] == "encounter-discharge"
    ]
    discharge = {
        **request,
        "hook": "encounter-discharge",
        "context": {**request["context"], "encounterId": "e1"},
        "prefetch": {**prefetch, "encounter": encounter},
    }
    async with serve_settings(s) as client:
        served = await client.post("/cds-services/back-spasm-encounter-discharge", json=discharge)
    assert served.status_code == 200, served.text
    assert comparable(line["cards"]) == comparable(served.json()["cards"])
    (card,) = [c for c in line["cards"] if c["source"]["topic"]["code"] == "urgent-sign"]
    assert "Observation/t-local" in evidence(card)
    assert "Observation/t-recent" not in evidence(card)  # shown only as the latest reading
