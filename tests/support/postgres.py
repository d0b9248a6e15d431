"""A real PostgreSQL server for the tests: Debian's `postgresql` binaries (initdb, pg_ctl) run on
a free 127.0.0.1 port in a temporary folder, for the whole test session.

    def test_x(postgres_url: str) -> None:      # a fresh empty database per test
        Store(postgres_url).open()

The binaries are found on PATH or under /usr/lib/postgresql/<version>/bin (Debian; `make
postgres` installs them). initdb refuses to run as root: as root the server runs as the
`postgres` system user (created by Debian's package) through `runuser`. Clients log in over
TCP with a password (scram-sha-256), so a wrong password is really refused.

Without the binaries, or when the server cannot start, the tests that need it are skipped, or
fail when CDS_REQUIRE_POSTGRES=1 (CI sets it: a PostgreSQL test that did not run is no pass).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PostgresServer", "postgres_server", "postgres_url", "start_postgres"]

USER = "cds"
PASSWORD = "cds-test-password"
_START_TIMEOUT_S = 60


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, the newest version first; None if there is none."""
    found = shutil.which("pg_ctl")
    if found and (Path(found).resolve().parent / "initdb").exists():
        return Path(found).resolve().parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
    )
    for folder in reversed(versions):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    """One running server: its port, folder and the binaries that run it."""

    bin: Path
    folder: Path
    port: int
    run_as: list[str]

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "server.log"

    def url(self, database: str = "postgres", password: str = PASSWORD) -> str:
        return f"postgresql+psycopg://{USER}:{password}@127.0.0.1:{self.port}/{database}"

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=PASSWORD,
            dbname="postgres",
            autocommit=True,
        ) as connection:
            connection.execute(sql)  # type: ignore[arg-type]

    def create_database(self) -> str:
        name = f"cds_test_{uuid.uuid4().hex[:12]}"
        self._admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, str(self.bin / "pg_ctl"), "-D", str(self.data), *args],
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT_S,
            check=check,
        )

    def stop(self) -> None:
        self.pg_ctl("-m", "immediate", "stop", check=False)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.pg_ctl("-w", "-t", str(_START_TIMEOUT_S), "-l", str(self.log), "-o", options, "start")


def start_postgres(folder: Path) -> PostgresServer:
    """initdb and start a server in `folder`; raises RuntimeError saying why it could not."""
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError(
            "no PostgreSQL binaries (initdb, pg_ctl) on PATH or in /usr/lib/postgresql/*/bin: "
            "run `make postgres` (Debian: apt-get install postgresql)"
        )
    run_as: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no `postgres` user") from None
        os.chown(folder, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if run_as:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    init = subprocess.run(
        [
            *run_as,
            str(bin_dir / "initdb"),
            "-D",
            str(folder / "data"),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        capture_output=True,
        text=True,
        timeout=_START_TIMEOUT_S,
    )
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr.strip()[-2000:]}")
    server = PostgresServer(bin_dir, folder, _free_port(), run_as)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = server.log.read_text() if server.log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {exc.stderr.strip()}\n{log[-2000:]}") from exc
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server for the session; skipped (failed with CDS_REQUIRE_POSTGRES=1) when
    it cannot start."""
    folder = Path(tempfile.mkdtemp(prefix="cds-pg-"))
    try:
        server = start_postgres(folder)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        if os.environ.get("CDS_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"CDS_REQUIRE_POSTGRES=1 and PostgreSQL cannot start: {exc}")
        pytest.skip(f"PostgreSQL cannot start here: {exc}")
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh, empty database on the session's server (dropped afterwards)."""
    name = postgres_server.create_database()
    try:
        yield postgres_server.url(name)
    finally:
        postgres_server.drop_database(name)
