"""Tests for config.py: precedence, validation with hints, and the secure-by-default rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds.config import Settings, is_loopback, is_unspecified, load_settings
from cds.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"CDS_{name.upper()}", raising=False)


def test_defaults_need_no_configuration() -> None:
    s = load_settings()
    assert (s.host, s.port, s.pack, s.dev_mode) == ("127.0.0.1", 8080, "back-spasm", True)
    assert s.external_base_url == "http://127.0.0.1:8080"
    assert s.database_url == "sqlite:///./var/cds.sqlite3"


def test_precedence_defaults_file_env_flags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "cds.yaml"
    config.write_text(
        "port: 9001\nlog_level: debug\npack: back-spasm\nsite: {fever_celsius: 38.3}\n"
    )
    assert load_settings(config).port == 9001
    monkeypatch.setenv("CDS_PORT", "9002")
    monkeypatch.setenv("CDS_FHIR_SERVER_ALLOWLIST", '["https://fhir.example.org/"]')
    s = load_settings(config)
    assert (s.port, s.log_level, s.site) == (9002, "debug", {"fever_celsius": 38.3})
    assert s.fhir_server_allowlist == ["https://fhir.example.org/"]
    assert load_settings(config, {"port": 9003, "host": None}).port == 9003


def test_json_config_file(tmp_path: Path) -> None:
    config = tmp_path / "cds.json"
    config.write_text(json.dumps({"base_url": "https://cds.example.org/"}))
    assert load_settings(config).external_base_url == "https://cds.example.org"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("prot: 9000\n", "did you mean 'port'"),
        ("port: many\n", "port (from"),
        ("jwt_issuers: [{iss: x}]\n", "needs jwks"),
        ("- a list\n", "mapping"),
        ("port: [1\n", "not valid YAML"),
    ],
)
def test_bad_config_stops_with_a_hint(tmp_path: Path, content: str, message: str) -> None:
    config = tmp_path / "cds.yaml"
    config.write_text(content)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load_settings(config)


def test_missing_config_file() -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings("/nonexistent/cds.yaml")


def test_bad_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_PORT", "eighty")
    with pytest.raises(ConfigError, match="from environment"):
        load_settings()


def test_non_loopback_host_without_issuers_is_refused() -> None:
    with pytest.raises(ConfigError, match="non-loopback"):
        load_settings(None, {"host": "0.0.0.0"})
    issuer = {"iss": "https://ehr", "jwks": {"keys": []}}
    served = {"host": "0.0.0.0", "jwt_issuers": [issuer], "base_url": "https://cds.example.org"}
    assert load_settings(None, served).host == "0.0.0.0"


EVERY_ADDRESS = ["0.0.0.0", "::", "[::]", "", "0", "0x0", "0.0", "00", "0x00000000", "0000::0"]


@pytest.mark.parametrize("host", EVERY_ADDRESS)
def test_every_address_without_base_url_is_refused_when_jwts_are_verified(host: str) -> None:
    """The JWT audience would be `http://0.0.0.0:8080/...`: every signed call a 401."""
    issuer = {"iss": "https://ehr", "jwks": {"keys": []}}
    with pytest.raises(ConfigError, match="set base_url"):
        load_settings(None, {"host": host, "jwt_issuers": [issuer]})
    named = load_settings(None, {"host": "10.1.2.3", "jwt_issuers": [issuer]})
    assert named.external_base_url == "http://10.1.2.3:8080"  # an address clients can call


@pytest.mark.parametrize("key", ["cds-store", "x" * 31])
def test_a_short_patient_hash_key_is_refused_outside_development(key: str) -> None:
    issuer = {"iss": "https://ehr", "jwks": {"keys": []}}
    with pytest.raises(ConfigError, match="patient_hash_key is shorter than 32"):
        load_settings(None, {"jwt_issuers": [issuer], "patient_hash_key": key})
    assert load_settings(None, {"jwt_issuers": [issuer], "patient_hash_key": "x" * 32})


@pytest.mark.parametrize("host", [h for h in EVERY_ADDRESS if h])
def test_every_address_in_any_spelling_is_not_loopback_without_issuers(host: str) -> None:
    """`0` and `0x0` are 0.0.0.0 to getaddrinfo (the inet_aton shortcuts), so uvicorn
    listens on every address: never a loopback bind, and said as every address."""
    assert is_unspecified(host)
    with pytest.raises(ConfigError, match=r"non-loopback host .*\(every address\)"):
        load_settings(None, {"host": host})


@pytest.mark.parametrize("host", ["127.1", "0x7f.1", "127.0.0.1", "[::1]", "localhost"])
def test_loopback_in_any_spelling_is_a_loopback_bind(host: str) -> None:
    assert not is_unspecified(host)
    assert load_settings(None, {"host": host}).host == host


@pytest.mark.parametrize("host", ["10.1.2.3", "cds.example.org", "0.0.0.1", "1.2.3.4 x"])
def test_other_hosts_are_neither_every_address_nor_loopback(host: str) -> None:
    assert not is_unspecified(host)
    with pytest.raises(ConfigError, match="non-loopback"):
        load_settings(None, {"host": host})


def test_dev_mode_can_be_switched_off() -> None:
    with pytest.raises(ConfigError, match="allow_insecure_dev"):
        load_settings(None, {"allow_insecure_dev": False})


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("10.0.0.5", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
