"""``cds review --from-fhir``: a Bulk Data system ``$export`` (kick-off, poll, download).

The async pattern of the Bulk Data Access IG: ``GET [base]/$export`` with
``Prefer: respond-async`` answers 202 and a status URL in ``Content-Location``; polling it
answers 202 (with ``Retry-After``) until the manifest is ready (200); each output file is then
downloaded with the same bearer token when ``requiresAccessToken`` is true. System level, so the
shared Medication resources (which have no patient) are exported too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from cds.errors import AuthError, CdsError, InputError

EXPORT_TYPES = (
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "ServiceRequest",
    "Medication",
)
POLL_TIMEOUT = 600.0
MAX_WAIT = 10.0


def export_to_folder(
    base: str,
    token: str | None,
    dest: Path,
    *,
    client: httpx.Client | None = None,
    timeout: float = POLL_TIMEOUT,
) -> Path:
    """Run an export and write its files plus a local ``manifest.json`` into ``dest``."""
    if not base.startswith(("http://", "https://")):
        raise InputError(f"--from-fhir {base!r} is not an http(s) URL")
    headers = {"Accept": "application/fhir+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    own = client is None
    http = client or httpx.Client(timeout=60.0, headers=headers)
    try:
        status_url = _kick_off(http, base.rstrip("/"), headers)
        manifest = _poll(http, status_url, headers, timeout)
        _download(http, manifest, headers, dest)
        _delete(http, status_url, headers)
    except httpx.HTTPError as exc:
        raise CdsError(f"Bulk export from {base} failed: {exc}") from exc
    finally:
        if own:
            http.close()
    return dest


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code in (401, 403):
        raise AuthError(f"{what}: the FHIR server refused the token ({response.status_code})")
    if response.status_code >= 400:
        raise InputError(f"{what}: HTTP {response.status_code}: {response.text[:300]}")


def _kick_off(http: httpx.Client, base: str, headers: dict[str, str]) -> str:
    response = http.get(
        f"{base}/$export",
        params={"_type": ",".join(EXPORT_TYPES)},
        headers={**headers, "Prefer": "respond-async"},
    )
    _check(response, "Bulk export kick-off")
    location = response.headers.get("Content-Location")
    if response.status_code != 202 or not location:
        raise InputError(
            f"Bulk export kick-off: expected 202 with Content-Location, got {response.status_code}"
        )
    return str(location)


def _poll(http: httpx.Client, url: str, headers: dict[str, str], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = http.get(url, headers=headers)
        _check(response, "Bulk export status")
        if response.status_code == 200:
            return response.json()
        try:
            wait = float(response.headers.get("Retry-After", "1"))
        except ValueError:
            wait = 1.0
        time.sleep(min(max(wait, 0.1), MAX_WAIT))
    raise CdsError(f"Bulk export at {url} not complete after {timeout:.0f} s")


def _download(http: httpx.Client, manifest: Any, headers: dict[str, str], dest: Path) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    needs_token = bool(manifest.get("requiresAccessToken"))
    outputs = []
    for i, item in enumerate(manifest.get("output") or []):
        name = f"{i:03d}.{item.get('type', 'unknown')}.ndjson"
        with http.stream("GET", item["url"], headers=headers if needs_token else {}) as response:
            _check(response, f"download of {item['url']}")
            with (dest / name).open("wb") as fh:
                for chunk in response.iter_bytes():
                    fh.write(chunk)
        outputs.append({**item, "url": name})
    local = {**manifest, "output": outputs}
    (dest / "manifest.json").write_bytes(orjson.dumps(local, option=orjson.OPT_INDENT_2))


def _delete(http: httpx.Client, url: str, headers: dict[str, str]) -> None:
    try:
        http.delete(url, headers=headers)
    except httpx.HTTPError:
        pass  # the server expires the files itself; the review already has them
