"""The key of the HMAC that replaces patient ids in the store.

A fixed default key is no key: with it, 27 of 28 stored hashes were reversed by hashing
candidate ids. So unless `patient_hash_key` is set, a random key is generated on first start
into `patient_hash_key_file` (mode 0600; default ``patient-hash.key`` beside the SQLite
database, else ``./var/patient-hash.key``) and read from there afterwards. Several instances
sharing one database must share one key: set `patient_hash_key`, or give them the same file.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path
from typing import Final

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from cds.config import MIN_HASH_KEY_CHARS, Settings
from cds.errors import ConfigError

log = logging.getLogger("cds.service")
KEY_FILE_NAME: Final = "patient-hash.key"


def key_file(settings: Settings) -> Path:
    """Where the generated key is kept: the setting, else beside the SQLite file, else ./var."""
    if settings.patient_hash_key_file:
        return Path(settings.patient_hash_key_file)
    try:
        url = make_url(settings.database_url)
    except ArgumentError:
        return Path("var") / KEY_FILE_NAME
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).parent / KEY_FILE_NAME
    return Path("var") / KEY_FILE_NAME


def patient_hash_key(settings: Settings) -> str:
    """The configured key, else the one in the key file (created, mode 0600, on first start).

    ConfigError when the file is readable by others, too short, or cannot be read or written.
    """
    if settings.patient_hash_key is not None:
        if len(settings.patient_hash_key) < MIN_HASH_KEY_CHARS:
            log.warning(
                "patient_hash_key is shorter than %d characters: stored patient hashes could "
                "be reversed (refused outside development mode)",
                MIN_HASH_KEY_CHARS,
            )
        return settings.patient_hash_key
    path = key_file(settings)
    try:
        if _create(path):
            log.warning("generated a new patient hash key in %s (keep it with the database)", path)
        return _read(path)
    except OSError as exc:
        raise ConfigError(f"cannot read or create the patient hash key {path}: {exc}") from exc


def _create(path: Path) -> bool:
    """Write a new random key to `path` unless it exists; True when written.

    Written to a private temporary file, then hard-linked into place: two processes starting
    at once both end up reading the one key that won, never a half-written file.
    """
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def _read(path: Path) -> str:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"patient hash key file {path} is readable by other users (mode {mode:04o}): "
            f"run chmod 600 {path}"
        )
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_HASH_KEY_CHARS:
        raise ConfigError(
            f"patient hash key file {path} holds fewer than {MIN_HASH_KEY_CHARS} characters"
        )
    return key
