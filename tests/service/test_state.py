"""Tests for service/state.py: the state `create_app` builds, reached typed from a request."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from starlette.requests import Request

from cds.service.app import create_app
from cds.service.state import ServiceState, service_state
from tests.service.asgi import settings

pytestmark = pytest.mark.anyio


def request_to(app: FastAPI) -> Request:
    return Request({"type": "http", "app": app, "method": "GET", "path": "/", "headers": []})


async def test_a_request_reaches_the_state_its_app_built(tmp_path: Any) -> None:
    s = settings(tmp_path, feedback_max_items=7)
    app = create_app(s)
    async with app.router.lifespan_context(app):
        state = service_state(request_to(app))
        assert isinstance(state, ServiceState)
        assert state is app.state.cds
        assert state.settings.feedback_max_items == 7
        assert sorted(state.services) == [
            "back-spasm-encounter-discharge",
            "back-spasm-order-select",
            "back-spasm-order-sign",
            "back-spasm-patient-view",
        ]
        assert state.services["back-spasm-order-sign"].hook == "order-sign"


async def test_an_app_holding_something_else_is_refused(tmp_path: Any) -> None:
    app = FastAPI()
    app.state.cds = {"settings": settings(tmp_path)}
    with pytest.raises(TypeError, match=r"app\.state\.cds is a dict, not a ServiceState"):
        service_state(request_to(app))
