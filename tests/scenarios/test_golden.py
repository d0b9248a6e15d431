"""Golden cards: every scenario under fhir_examples/.

Each scenario folder holds a CDS Hooks request, its evaluation time and the expected
(normalised) response. The comparison is the one ``cds rules test`` makes
(``cds.scenarios``); the CLI itself is also run end to end. To add or change a scenario,
edit ``fhir_examples/make_scenarios.py`` and run it with ``--update-golden`` (then read the
changed cards as a clinician would before committing them).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cds.pack.examples import Scenario, scenarios
from cds.scenarios import ScenarioRunner, diff, normalise, run_scenario

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ScenarioRunner()  # the pack loaded and compiled once, as `cds rules test` does
PACK = RUNNER.pack
SCENARIOS = scenarios(PACK)


def test_there_are_scenarios() -> None:
    assert len(SCENARIOS) >= 30, "the back-spasm pack lost its golden scenarios"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_matches_golden(scenario: Scenario) -> None:
    actual = RUNNER.run(scenario)
    delta = diff(normalise(scenario.expected), actual)
    assert not delta, f"{scenario.name}: cards differ from expected-cards.json\n{delta}"


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario_is_well_formed(scenario: Scenario) -> None:
    meta = scenario.meta
    assert set(meta) >= {"now", "description", "statements", "hook"}
    assert scenario.now.utcoffset() not in (None, 0), "use a non-UTC offset for 'now'"
    request = json.loads(scenario.request_bytes)
    assert request["hook"] == meta["hook"]
    assert request["context"]["userId"].startswith("Practitioner/")
    unknown = set(meta.get("site", {})) - set(PACK.spec.settings)
    assert not unknown, f"site settings the pack does not have: {unknown}"


def test_scenario_site_settings_reach_the_evaluator() -> None:
    """A scenario's ``site`` (scenario.json) is what the runner evaluates it under: the same
    request without the site's age threshold gets the 'not indicated' card instead."""
    scenario = next(s for s in SCENARIOS if s.name == "imaging-age-50-site-setting-supported")
    assert scenario.site == {"imaging_age_years": 50}

    def topics(response: dict[str, Any]) -> list[str]:
        return [c["source"]["topic"]["code"] for c in response["cards"]]

    assert topics(RUNNER.run(scenario)) == ["imaging-supported"]
    default = Scenario(scenario.path, {k: v for k, v in scenario.meta.items() if k != "site"})
    assert topics(RUNNER.run(default)) == ["imaging-not-indicated"]
    older = Scenario(scenario.path, {**scenario.meta, "site": {"imaging_age_years": 65}})
    assert topics(RUNNER.run(older)) == ["imaging-not-indicated"]
    # a lone evaluation (`cds evaluate`: the pack loaded and compiled for it) answers alike
    assert run_scenario(scenario) == RUNNER.run(scenario)
    assert topics(run_scenario(older)) == ["imaging-not-indicated"]


def test_generator_and_files_agree() -> None:
    """The request files are what make_scenarios.py writes (no hand edits drift away)."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "fhir_examples" / "make_scenarios.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cli_rules_test_passes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cds", "rules", "test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    summary = re.search(r"^(\d+) passed, 0 failed$", done.stdout, re.MULTILINE)
    assert summary, done.stdout
    assert int(summary.group(1)) == len(SCENARIOS)


def test_cli_evaluate_matches_golden() -> None:
    scenario = next(s for s in SCENARIOS if s.name == "nsaid-ckd-caution")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "cds",
            "evaluate",
            str(scenario.path / "request.json"),
            "--now",
            scenario.meta["now"],
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    actual = normalise(json.loads(done.stdout))
    delta = diff(normalise(scenario.expected), actual)
    assert not delta, delta
    assert actual["cards"], "the chosen scenario should produce cards"
