"""Run the app in-process for tests: lifespan started, httpx over ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from cds.config import Settings, load_settings
from cds.service.app import create_app

BASE = "http://127.0.0.1:8080"


def settings(tmp_path: Any, **overrides: Any) -> Settings:
    return load_settings(None, {"database_url": f"sqlite:///{tmp_path}/cds.sqlite3", **overrides})


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield client


@asynccontextmanager
async def serve_settings(
    s: Settings, fhir: httpx.AsyncClient | None = None, **kwargs: Any
) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(create_app(s, http_client=fhir, **kwargs)) as client:
        yield client


async def call_with_a_fault(s: Settings, path: str, body: Any, message: str) -> httpx.Response:
    """POST `body` to `path` of an app whose prefetch step raises RuntimeError(`message`): an
    unexpected fault inside the hook, answered as the real server answers it."""
    app = create_app(s)

    class Exploding:
        async def resolve(self, *args: Any) -> Any:
            raise RuntimeError(message)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with app.router.lifespan_context(app):
        app.state.cds.resolver = Exploding()
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return await client.post(path, json=body)
