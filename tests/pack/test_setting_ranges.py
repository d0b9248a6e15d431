"""Each pack setting declares its valid range (``min``/``max`` in pack.yaml); the schema checks
the declaration, and a site value outside it (a typo such as 3.83 for 38.3) is refused with one
line by ``cds serve`` (at start-up), ``cds evaluate`` and ``cds review`` (A and B)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cds.errors import ConfigError, RulePackError
from cds.pack.load import load_pack

ROOT = Path(__file__).resolve().parents[2]
REQUEST = ROOT / "fhir_examples" / "back-spasm" / "scope-disc-displacement-spo2-86" / "request.json"


def test_every_setting_of_the_bundled_pack_declares_a_range_holding_its_default() -> None:
    pack = load_pack(None)
    assert pack.spec.settings
    for name, setting in pack.spec.settings.items():
        assert setting.min < setting.max, name
        if setting.default is not None:
            assert setting.min <= setting.default <= setting.max, name
    fever, age = pack.spec.settings["fever_celsius"], pack.spec.settings["imaging_age_years"]
    assert (fever.min, fever.max) == (37.5, 40)
    assert (age.min, age.max) == (18, 100)


def _variant(tmp: Path, change: dict[str, object]) -> Path:
    out = tmp / "p"
    shutil.copytree(load_pack(None).path, out)
    spec = yaml.safe_load((out / "pack.yaml").read_text(encoding="utf-8"))
    spec["settings"]["fever_celsius"].update(change)
    spec["settings"]["fever_celsius"] = {
        k: v for k, v in spec["settings"]["fever_celsius"].items() if v is not None
    }
    (out / "pack.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"min": 40, "max": 37.5}, "min 40 is above max 37.5"),
        ({"default": 41.0}, "default 41 is outside min 37.5 .. max 40"),
        ({"min": None}, "settings.fever_celsius.min: Field required"),
    ],
)
def test_the_schema_checks_the_declared_range(
    change: dict[str, object], message: str, tmp_path: Path
) -> None:
    with pytest.raises(RulePackError, match=message):
        load_pack(_variant(tmp_path, change))


def test_a_value_out_of_range_is_refused_and_the_bounds_are_allowed() -> None:
    pack = load_pack(None)
    with pytest.raises(ConfigError, match=r"fever_celsius = 3\.83 is outside its valid range"):
        pack.setting_values({"fever_celsius": 3.83})
    assert (
        pack.setting_values({"fever_celsius": 40.0, "imaging_age_years": 18.0})["fever_celsius"]
        == 40.0
    )
    assert pack.setting_values({"imaging_age_years": None})["imaging_age_years"] is None


@pytest.mark.parametrize(
    "name", ["fever_celsius", "heart_rate_high", "oxygen_saturation_low", "egfr_below"]
)
def test_null_cannot_switch_off_a_setting_the_pack_keeps_on(name: str) -> None:
    """A danger-sign threshold set to null used to drop its rule without a word (fever
    40.1 C, heart rate 160, SpO2 80 % gave no card)."""
    with pytest.raises(ConfigError, match=rf"^site setting {name} = null would switch it off"):
        load_pack(None).setting_values({name: None})


def test_null_is_allowed_where_the_pack_marks_the_setting_switchable_off(tmp_path: Path) -> None:
    pack = load_pack(_variant(tmp_path, {"switchable_off": True}))
    assert pack.setting_values({"fever_celsius": None})["fever_celsius"] is None
    with pytest.raises(ConfigError, match="heart_rate_high = null would switch it off"):
        pack.setting_values({"heart_rate_high": None})


@pytest.mark.parametrize(("value", "shown"), [(True, "true"), (False, "false"), ("38", "'38'")])
def test_a_value_that_is_not_a_number_is_refused_as_such(value: object, shown: str) -> None:
    with pytest.raises(ConfigError, match=rf"fever_celsius = {shown} is not a number"):
        load_pack(None).setting_values({"fever_celsius": value})  # type: ignore[dict-item]


def _cds(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # our own CLI, fixed arguments
        [sys.executable, "-m", "cds", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ["serve", "--port", "18777"],
        ["evaluate", str(REQUEST)],
        ["review", str(ROOT / "fhir_examples" / "bulk"), "--out", "out", "--workers", "1"],
    ],
    ids=["serve", "evaluate", "review"],
)
@pytest.mark.parametrize(
    ("site", "message"),
    [
        ("{fever_celsius: 3.83}", "fever_celsius = 3.83 is outside its valid range 37.5 to 40"),
        ("{heart_rate_high: null}", "heart_rate_high = null would switch it off"),
        ("{fever_celsius: true}", "fever_celsius = true is not a number"),
    ],
    ids=["typo", "null", "boolean"],
)
def test_every_command_refuses_a_bad_value_with_one_line(
    command: list[str], site: str, message: str, tmp_path: Path
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(f"site: {site}\n", encoding="utf-8")
    done = _cds([*command, "--config", str(config)], tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert message in lines[0]
    assert done.stdout == ""
    assert not (tmp_path / "out").exists() and not (tmp_path / "var").exists()
