"""Fixtures shared across test folders: the session's real PostgreSQL server."""

from tests.support.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]
