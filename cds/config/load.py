"""Building the settings at start-up: defaults < config file < environment < CLI flags.

`load_settings` merges the layers, names the field and the layer of every bad value
(`ConfigError`), and, for the service, refuses unsafe combinations (`check_security`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_settings import EnvSettingsSource

from cds.config.hosts import is_loopback_bind, is_unspecified
from cds.config.settings import Settings
from cds.errors import ConfigError


def load_settings(
    config_file: str | Path | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    serving: bool = True,
) -> Settings:
    """Build the settings: defaults < config file < environment (CDS_*) < `overrides` (flags).

    Raises ConfigError for an unreadable file, an unknown key, a wrong type, an unknown
    `site_timezone`, or (when ``serving``) an unsafe combination (a non-loopback host without
    JWT issuers). The offline commands (`cds evaluate`, `cds review`) read the same file with
    ``serving=False``: they listen on nothing.
    """
    layers: list[tuple[str, dict[str, Any]]] = []
    if config_file is not None:
        layers.append((str(config_file), _read_config(Path(config_file))))
    layers.append(("environment", _read_environment()))
    layers.append(("command line", {k: v for k, v in (overrides or {}).items() if v is not None}))
    merged: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for where, values in layers:
        merged.update(values)
        origin.update(dict.fromkeys(values, where))
    try:
        settings = Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, origin), details=str(exc)) from exc
    if serving:
        check_security(settings)
    return settings


#: Shortest `patient_hash_key` accepted outside development mode: the stored hashes are only as
#: safe as the key is hard to guess (the old default, "cds-store", let 27 of 28 be reversed).
MIN_HASH_KEY_CHARS = 32


def check_security(settings: Settings) -> None:
    """Refuse configurations that would serve patient data without authentication, or with
    JWT verification that could never succeed."""
    if settings.jwt_issuers:
        if is_unspecified(settings.host) and not settings.base_url:
            raise ConfigError(
                f"host {settings.host!r} listens on every address, so the JWT audience cannot "
                f"be derived from it (every signed call would fail with 401): set base_url to "
                "the URL clients call, e.g. https://cds.example.org"
            )
        key = settings.patient_hash_key
        if key is not None and len(key) < MIN_HASH_KEY_CHARS:
            raise ConfigError(
                f"patient_hash_key is shorter than {MIN_HASH_KEY_CHARS} characters: stored "
                "patient hashes could be reversed; set a long random secret, or unset it to "
                "have one generated (patient_hash_key_file)"
            )
        return
    if not is_loopback_bind(settings.host):
        every = " (every address)" if is_unspecified(settings.host) else ""
        raise ConfigError(
            f"refusing to listen on non-loopback host {settings.host!r}{every} without JWT "
            "issuers: configure jwt_issuers (see docs/service.md) or bind 127.0.0.1"
        )
    if not settings.allow_insecure_dev:
        raise ConfigError(
            "no jwt_issuers configured and allow_insecure_dev is false: nobody could call us"
        )


def _read_config(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from exc
    except (ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"config file {path} is not valid YAML/JSON: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config file {path} must hold a mapping of settings")
    return data


def _read_environment() -> dict[str, Any]:
    """The CDS_* variables, decoded per field (JSON for lists and mappings)."""
    try:
        return dict(EnvSettingsSource(Settings)())
    except Exception as exc:  # pydantic-settings raises SettingsError on undecodable JSON
        raise ConfigError(f"invalid CDS_* environment variable: {exc}") from exc


def _describe(exc: ValidationError, origin: Mapping[str, str]) -> str:
    known = sorted(Settings.model_fields)
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in error["loc"])
        top = str(error["loc"][0]) if error["loc"] else ""
        where = origin.get(top, "defaults")
        if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
            close = difflib.get_close_matches(top, known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(known)}"
            problems.append(f"unknown setting '{top}' (from {where}); {hint}")
        else:
            problems.append(f"{loc} (from {where}): {error['msg']}")
    return "invalid settings: " + "; ".join(problems)
