"""Tests for service/hashkey.py: the patient hash key is a per-install secret, never a default."""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from cds.errors import ConfigError
from cds.service.hashkey import patient_hash_key
from cds.store import Store
from tests.service.asgi import serve_settings, settings
from tests.service.patient import full_prefetch, hook_request

pytestmark = pytest.mark.anyio
PV = "/cds-services/back-spasm-patient-view"


def test_a_key_is_generated_once_with_mode_0600(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    s = settings(tmp_path)
    first = patient_hash_key(s)
    path = tmp_path / "var" / "patient-hash.key"  # the default, beside the default database
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) == 64 and first != "cds-store"
    assert patient_hash_key(s) == first  # read back, not generated again
    other = settings(tmp_path, patient_hash_key_file=str(tmp_path / "other" / "key"))
    assert patient_hash_key(other) != first  # per install


def test_the_key_file_is_not_beside_a_database_that_cannot_be_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blocked database folder gives 503 on feedback while hooks answer; the key must not
    stop start-up there."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "not-a-folder").write_text("")
    s = settings(tmp_path, database_url=f"sqlite:///{tmp_path}/not-a-folder/cds.sqlite3")
    assert patient_hash_key(s) == (tmp_path / "var" / "patient-hash.key").read_text().strip()


def test_a_configured_key_wins_and_no_file_is_written(tmp_path: Path) -> None:
    s = keyed(tmp_path, patient_hash_key="k" * 40)
    assert patient_hash_key(s) == "k" * 40
    assert not Path(s.patient_hash_key_file).exists()


def keyed(tmp_path: Path, **overrides: Any) -> Any:
    """Settings whose key file is in `tmp_path` (the default is ./var, under the cwd)."""
    return settings(tmp_path, patient_hash_key_file=str(tmp_path / "patient-hash.key"), **overrides)


def test_a_key_file_readable_by_others_stops_start_up(tmp_path: Path) -> None:
    s = keyed(tmp_path)
    patient_hash_key(s)
    path = tmp_path / "patient-hash.key"
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"readable by other users.*chmod 600"):
        patient_hash_key(s)


def test_a_short_key_file_stops_start_up(tmp_path: Path) -> None:
    path = tmp_path / "patient-hash.key"
    path.write_text("cds-store\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match="fewer than 32 characters"):
        patient_hash_key(keyed(tmp_path))


async def test_stored_hashes_are_keyed_by_the_generated_secret(tmp_path: Any) -> None:
    """The hash stored for an issued card is the HMAC under the generated key, so the old
    default key ("cds-store") no longer reverses it."""
    s = keyed(tmp_path)
    store = Store(s.database_url)
    async with serve_settings(s, store=store) as client:
        response = await client.post(
            PV, json=hook_request(prefetch=full_prefetch("pt-42"), pid="pt-42")
        )
        assert response.status_code == 200 and response.json()["cards"]
    with store.engine().connect() as connection:
        (stored,) = {
            row[0] for row in connection.exec_driver_sql("SELECT patient_hash FROM issued_card")
        }
    store.close()
    key = (tmp_path / "patient-hash.key").read_text().strip()

    def mac(k: str) -> str:
        return hmac.new(k.encode(), b"pt-42", hashlib.sha256).hexdigest()

    assert stored == mac(key)
    assert stored != mac("cds-store")
