"""Opening the database a `database_url` names: the start-up engine, which may create a
SQLite file and says what is wrong with the URL (`ConfigError`), and the run-time engine, which
never creates anything and drops a connection whose SQLite file was moved or removed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError, NoSuchModuleError, SQLAlchemyError

from cds.errors import ConfigError

#: Most uuids in one `IN (...)` (old SQLite builds allow 999 parameters per statement).
IN_CHUNK: Final = 500
#: Seconds to wait for a PostgreSQL server to answer a new connection.
CONNECT_TIMEOUT_S: Final = 5


def sqlite_file(url: str) -> Path | None:
    """The absolute path of a SQLite file URL; None for another database or in memory."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(str(parsed.database)).absolute()


def start_up_engine(url: str) -> Engine:
    """An engine that may create the SQLite file (and its folder), after checking the URL and
    reaching the database: `ConfigError` otherwise."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "database_url is not a database URL: use sqlite:///path/to/cds.sqlite3 or "
            "postgresql+psycopg://user:password@host/database"
        ) from None
    shown = shown_url(url)
    if parsed.get_backend_name() == "sqlite" and sqlite_file(url) is None:
        raise ConfigError(
            f"database_url {shown}: an in-memory database would lose every feedback item at "
            "exit: give a file (sqlite:///path/to/cds.sqlite3)"
        )
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        raise ConfigError(
            f"database_url {shown}: unknown database scheme {parsed.drivername!r} (use "
            "sqlite:///... or postgresql+psycopg://...)"
        ) from None
    path = sqlite_file(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"database_url {shown}: cannot create the folder of the database file: "
                f"{exc.strerror or type(exc).__name__}"
            ) from None
    try:
        engine = create_engine(url, **_engine_options(parsed.get_backend_name()))
    except ImportError as exc:
        raise ConfigError(
            f"database_url {shown}: the driver of {parsed.drivername!r} is not installed "
            f"(no module {exc.name or '?'}); postgresql+psycopg:// is the supported PostgreSQL "
            "driver"
        ) from None
    except (SQLAlchemyError, TypeError, ValueError) as exc:
        raise ConfigError(f"database_url {shown}: {type(exc).__name__}") from None
    if path is not None:
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect():
            pass
    except SQLAlchemyError as exc:
        engine.dispose()
        raise ConfigError(
            f"database_url {shown}: cannot connect to the database: {driver_reason(exc)}"
        ) from None
    return engine


def runtime_engine(url: str) -> Engine:
    """The engine of a running service: a SQLite file is opened read-write, never created."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    path = sqlite_file(url)
    if path is None:
        engine = create_engine(url, **_engine_options(backend))
        if backend == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    target = f"file:{quote(str(path))}?mode=rw"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(target, uri=True, check_same_thread=False)

    engine = create_engine(url, creator=connect, pool_pre_ping=True)
    event.listen(engine, "connect", _sqlite_pragmas)
    _guard_sqlite_file(engine, path)
    return engine


def _engine_options(backend: str) -> dict[str, Any]:
    options: dict[str, Any] = {"pool_pre_ping": True}
    if backend == "postgresql":  # an unreachable host fails in seconds, not minutes
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    return options


def shown_url(url: str) -> str:
    """The URL as it may be shown: no password."""
    try:
        return repr(make_url(url).render_as_string(hide_password=True))
    except ArgumentError:
        return "(not a URL)"


def driver_reason(exc: SQLAlchemyError) -> str:
    """The driver's own first line (e.g. `password authentication failed for user "cds"`,
    `Connection refused`), which names no password."""
    original = getattr(exc, "orig", None) or exc
    lines = [ln.strip() for ln in str(original).splitlines() if ln.strip()]
    return lines[0] if lines else type(original).__name__


def _guard_sqlite_file(engine: Engine, path: Path) -> None:
    """Drop connections whose SQLite file is no longer the one at `path`.

    An open connection goes on writing to its file after the file or its folder was removed,
    moved or replaced: those commits succeed, so feedback would be acknowledged (200) and lost
    with the orphaned file. Each connection remembers which file it opened; every checkout
    finds that file at `path` again, or the connection is dropped (`DisconnectionError`) and
    a new one opened, which fails while the database is away: 503, and the client retries.
    """

    def opened(_dbapi_connection: Any, record: Any) -> None:
        record.info["sqlite_file"] = _file_identity(path)

    def checkout(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if _file_identity(path) != record.info.get("sqlite_file"):
            raise DisconnectionError(f"SQLite file {path.name} was moved or removed")

    event.listen(engine, "connect", opened)
    event.listen(engine, "checkout", checkout)


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL + synchronous=NORMAL: a commit no longer waits for an fsync of the whole journal
    # (tens of ms per issued card otherwise); still durable across a process crash.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
