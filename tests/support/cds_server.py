"""Our service as a real subprocess (`python -m cds serve`, uvicorn) on a free loopback port.

    with run_cds_server(tmp_path, {"database_url": ...}) as server:
        httpx.get(server.url("/cds-services"))
        server.kill()       # SIGKILL, as a crash would
        server.start()      # same port, same config

Used by the fault tests, the schemathesis run and the load benchmarks (bench/ imports it).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class CdsServer:
    """One `cds serve` process; `config` is the file it reads, `log` its stdout and stderr."""

    base: str
    config: Path
    log: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def start(self, timeout: float = 30.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "cds", "serve", "--config", str(self.config)],
                cwd=self.config.parent,
                env={**env, "PYTHONPATH": str(ROOT)},
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"service exited:\n{self.log_tail()}")
            try:
                httpx.get(self.url("/cds-services"), timeout=1)
                return
            except httpx.TransportError:
                time.sleep(0.05)
        self.kill()
        raise RuntimeError(f"service did not start:\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL after 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a crash or an OOM kill."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_tail(self, size: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-size:]
        except OSError:
            return "(no log)"


Server = TypeVar("Server", bound=CdsServer)


@contextmanager
def run_cds_server(
    root: Path, settings: dict[str, Any] | None = None, kind: type[Server] = CdsServer
) -> Iterator[Server]:
    """Start the service with `settings` (database in `root` unless given) as a `kind` (a
    suite's subclass with its own helpers); stop it on exit."""
    port = free_port()
    config = {
        "port": port,
        "database_url": f"sqlite:///{root}/cds.sqlite3",
        "log_level": "warning",
        **(settings or {}),
    }
    path = root / "cds.json"
    path.write_text(json.dumps(config))
    server = kind(f"http://127.0.0.1:{port}", path, root / "service.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()
