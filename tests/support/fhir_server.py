"""A real FHIR R4 test server (sekmet-fhir, FastAPI + SQLite) run as a subprocess on loopback.

    with run_fhir_server("test-token") as server:
        server.load_bundle(transaction_bundle)
        with server.client() as client:
            client.get("Observation", params={"patient": pid})

Each server gets a fresh temporary directory (settings file, SQLite store, Bulk export files, log)
that is removed when the context exits. See tests/support/FHIR_SERVER_NOTES.md for what the server
supports and its quirks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

import httpx

__all__ = ["FhirServer", "FhirServerError", "run_fhir_server"]

Validation = Literal["strict", "warn", "off"]

FHIR_JSON = "application/fhir+json"
_PORT_ATTEMPTS = 3  # a free port can be taken between our probe and the server's bind
_STOP_TIMEOUT = 10.0
_LOG_TAIL = 4000


class FhirServerError(RuntimeError):
    """The test FHIR server failed to start, or refused a request made through the helper."""


@dataclass(frozen=True)
class FhirServer:
    """A running sekmet-fhir server; `base_url` ends in `/fhir`, `token` is its bearer token."""

    base_url: str
    token: str
    data_dir: Path
    log_path: Path
    startup_seconds: float

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def client(self, timeout: float = 30.0) -> httpx.Client:
        """An httpx client with base URL and bearer token set; the caller closes it (`with`)."""
        return httpx.Client(
            base_url=f"{self.base_url}/",
            headers={**self.auth_headers, "Accept": FHIR_JSON},
            timeout=timeout,
        )

    def transaction(self, bundle: dict[str, Any]) -> dict[str, Any]:
        """POST a transaction (or batch) Bundle to the base; return the response Bundle.

        Raises FhirServerError on an HTTP error or when any entry of the response is not 2xx
        (a batch answers 200 even when single entries fail).
        """
        with self.client() as client:
            response = client.post(
                self.base_url,
                content=json.dumps(bundle).encode(),
                headers={"Content-Type": FHIR_JSON},
            )
        if response.status_code != 200:
            raise FhirServerError(
                f"Bundle POST to {self.base_url} failed with {response.status_code}: "
                f"{_diagnostics(response)}"
            )
        result: dict[str, Any] = response.json()
        failed = [
            entry["response"]
            for entry in result.get("entry", [])
            if not str(entry.get("response", {}).get("status", "")).startswith("2")
        ]
        if failed:
            raise FhirServerError(f"Bundle entries failed: {json.dumps(failed)[:_LOG_TAIL]}")
        return result

    def load_bundle(self, bundle: dict[str, Any]) -> None:
        """Load a transaction Bundle (`urn:uuid` references are rewritten by the server)."""
        self.transaction(bundle)

    def log_tail(self) -> str:
        """The end of the server's combined stdout/stderr (uvicorn access log included)."""
        return _read_tail(self.log_path)


@contextmanager
def run_fhir_server(
    token: str,
    *,
    startup_timeout: float = 20.0,
    validation: Validation = "strict",
    bulk_delay_seconds: float = 1.0,
    anonymous_reads: bool = False,
) -> Iterator[FhirServer]:
    """Start sekmet-fhir on a free 127.0.0.1 port in a fresh temp dir; stop it on exit.

    `validation` is the server's inbound structural validation (fhir.resources R4B models):
    "strict" rejects invalid resources with 400. `bulk_delay_seconds` (capped at 1.0 by the
    server) is how long a Bulk export job stays "in progress" before its manifest is ready.
    `anonymous_reads` also answers requests without a token (a browser client such as the
    CDS Hooks Sandbox sends none); the token still works.
    """
    if not token:
        # an empty static token would match "Authorization: Bearer " with no credentials
        raise ValueError("token must be a non-empty string")
    if importlib.util.find_spec("sekmet") is None:
        raise FhirServerError("sekmet-fhir is not installed in this interpreter (pip install it)")
    with tempfile.TemporaryDirectory(prefix="sekmet-fhir-", ignore_cleanup_errors=True) as tmp:
        root = Path(tmp)
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = _free_port()
            log_path = root / f"server-{attempt}.log"
            settings = _write_settings(
                root, port, token, validation, bulk_delay_seconds, anonymous_reads
            )
            with log_path.open("wb") as log:
                process = _spawn(root, settings, port, log)
                try:
                    server = _wait_until_ready(
                        process, port, token, root, log_path, startup_timeout, attempt
                    )
                    if server is None:
                        continue  # port was taken under us: try another one
                    yield server
                    return
                finally:
                    _stop(process)
        raise FhirServerError(f"no free port after {_PORT_ATTEMPTS} attempts")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _write_settings(
    root: Path,
    port: int,
    token: str,
    validation: Validation,
    bulk_delay_seconds: float,
    anonymous: bool = False,
) -> Path:
    # JSON is valid YAML, which is what sekmet reads.
    settings = {
        "base_url": f"http://127.0.0.1:{port}/fhir",  # used for every link, Location and manifest
        "host": "127.0.0.1",  # default is 0.0.0.0
        "port": port,
        "data_dir": str(root / "data"),  # sekmet.db (+ WAL) and bulk/<job>/*.ndjson
        "server_auth": {
            "types": ["none", "bearer"] if anonymous else ["bearer"],
            "tokens": [token],
        },
        "validation": {"inbound": validation},
        # the simulator would answer ServiceRequests/MedicationRequests like a lab or pharmacy
        # and write resources of its own; its delay also sets the Bulk job's minimum duration
        "simulator": {"enabled": False, "delay_seconds": bulk_delay_seconds},
        "log_inbound": False,  # otherwise every request and body is stored in SQLite
        "own_private_key_path": str(root / "keys" / "sekmet_private.pem"),
    }
    path = root / "settings.yaml"
    path.write_text(json.dumps(settings, indent=2))
    return path


def _spawn(root: Path, settings: Path, port: int, log: IO[bytes]) -> subprocess.Popen[bytes]:
    # SEKMET_BASE_URL / SEKMET_DB / SEKMET_PORT / SEKMET_PUBLIC_URL would override the file
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEKMET_")}
    env["PYTHONUNBUFFERED"] = "1"
    env["TYPER_STANDARD_TRACEBACK"] = "1"  # plain start-up tracebacks in the log, not rich boxes
    command = [sys.executable, "-m", "sekmet.cli", "serve", "--config", str(settings)]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    return subprocess.Popen(
        command,
        cwd=root,  # sekmet resolves relative paths (keys/, reports/) against the cwd
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def _wait_until_ready(
    process: subprocess.Popen[bytes],
    port: int,
    token: str,
    root: Path,
    log_path: Path,
    timeout: float,
    attempt: int,
) -> FhirServer | None:
    """Poll the (unauthenticated) CapabilityStatement until it answers 200.

    Returns None when the server exited because the port was already in use.
    """
    base_url = f"http://127.0.0.1:{port}/fhir"
    started = time.monotonic()
    with httpx.Client(timeout=2.0) as probe:
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                output = _read_tail(log_path)
                if "address already in use" in output.lower() and attempt < _PORT_ATTEMPTS:
                    return None
                raise FhirServerError(
                    f"sekmet-fhir exited with {process.returncode} during start-up:\n{output}"
                )
            try:
                if probe.get(f"{base_url}/metadata").status_code == 200:
                    return FhirServer(
                        base_url=base_url,
                        token=token,
                        data_dir=root / "data",
                        log_path=log_path,
                        startup_seconds=time.monotonic() - started,
                    )
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise FhirServerError(
        f"sekmet-fhir did not answer {base_url}/metadata within {timeout:.0f} s:\n"
        f"{_read_tail(log_path)}"
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
    process.wait()


def _read_tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-_LOG_TAIL:]
    except OSError:
        return "(no server output)"


def _diagnostics(response: httpx.Response) -> str:
    """The OperationOutcome diagnostics of an error response, else its raw text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:_LOG_TAIL]
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        issues = body.get("issue", [])
        return "; ".join(str(i.get("diagnostics", i.get("code"))) for i in issues)
    return response.text[:_LOG_TAIL]
