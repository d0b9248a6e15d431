"""The FastAPI application: `create_app(settings)` assembles the service from its parts.

Errors become output here and only here: every `CdsError` is answered with its `http_status`
and an OperationOutcome whose diagnostics is the error's message (a 401 says nothing more than
"unauthorized"); anything unexpected is a 500 with no stack trace.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

import anyio
import anyio.to_thread
import httpx
import orjson
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from cds.config import Settings, check_security
from cds.errors import CdsError
from cds.pack.load import Pack, load_pack
from cds.pipeline import Evaluator
from cds.service.auth import Authenticator
from cds.service.hashkey import patient_hash_key
from cds.service.headers import SecurityHeaders, security_headers
from cds.service.health import StoreProbe
from cds.service.outbound import Outbound, guarded_client
from cds.service.prefetch import FetchPolicy, PrefetchResolver
from cds.service.recorder import CardRecorder, open_store
from cds.service.routes import router
from cds.service.state import ServiceState, service_state
from cds.services import announce_dropped, services_for
from cds.store import Store

log = logging.getLogger("cds.service")
#: At most this many requests wait on the database at a time; the others wait without a thread
#: (a locked SQLite holds a writer 5 s), so hook evaluations always find a thread.
STORE_THREADS: Final = 4

ERROR_SYSTEM: Final = "https://cds.example.org/CodeSystem/error"
#: FHIR issue-type codes (http://hl7.org/fhir/issue-type) per HTTP status.
ISSUE_CODES: Final = {
    400: "invalid",
    401: "login",
    404: "not-found",
    405: "not-supported",
    408: "timeout",
    412: "incomplete",
    413: "too-long",
    414: "too-long",
    415: "not-supported",
    431: "too-long",
    503: "transient",
}


def create_app(
    settings: Settings,
    *,
    http_client: httpx.AsyncClient | None = None,
    store: Store | None = None,
    pack: Pack | None = None,
) -> FastAPI:
    """The CDS Hooks service for `settings`; `http_client` and `store` may be injected."""
    check_security(settings)
    pack = pack or load_pack(settings.pack)
    evaluator = Evaluator(pack, settings.site, timezone=settings.timezone)
    services = services_for(pack, settings.prefetch_templates)  # ConfigError: no start
    announce_dropped(services)
    store = store or Store(settings.database_url)
    open_store(store, pack)  # a database that cannot be used stops the start (ConfigError)
    hash_key = patient_hash_key(settings)
    outbound = Outbound(
        allow_private=settings.allow_private_fhir_servers,
        resolve_timeout=settings.fetch_timeout_seconds,
    )
    quiet_http_client_logs()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        client = http_client or guarded_client(outbound)
        app.state.cds = state = ServiceState(
            settings=settings,
            pack=pack,
            evaluator=evaluator,
            services=services,
            store=store,
            auth=Authenticator(settings, client, outbound=outbound),
            resolver=PrefetchResolver(client, _policy(settings, outbound)),
            recorder=CardRecorder(store),
            store_limiter=anyio.CapacityLimiter(STORE_THREADS),
            hash_key=hash_key,
            dev_refusals=set(),
            store_probe=StoreProbe(store),
        )
        if settings.dev_mode:
            log.warning(
                "development mode: no jwt_issuers configured, calls are answered WITHOUT "
                "authentication (loopback Host only; requests carrying proxy headers such as "
                "Forwarded, X-Forwarded-* or Via are refused)"
            )
        try:
            yield
        finally:
            if http_client is None:
                await client.aclose()
            await anyio.to_thread.run_sync(state.recorder.close)  # flush issued cards
            store.close()

    app = FastAPI(
        title="CDS Hooks service",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # `/cds-services/` is answered by the same route, never redirected: Starlette's redirect
        # was built from the Host header, switched to http:// and dropped base_url's path.
        redirect_slashes=False,
    )
    app.include_router(router)
    if settings.cors_origins:
        app.add_middleware(
            _Cors,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=settings.cors_allow_headers,
            # what a browser-hosted EHR may read of an answer besides the safelisted headers
            expose_headers=["Server-Timing", "Retry-After"],
        )
    app.add_middleware(SecurityHeaders, hsts=settings.hsts)  # outermost: CORS answers too
    app.add_exception_handler(CdsError, _cds_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
    return app


def _policy(settings: Settings, outbound: Outbound) -> FetchPolicy:
    return FetchPolicy(
        allowlist=tuple(settings.fhir_server_allowlist),
        call_timeout=settings.fetch_timeout_seconds,
        total_timeout=settings.fetch_total_seconds,
        max_pages=settings.fetch_max_pages,
        max_bytes=settings.fetch_max_bytes,
        max_entries=settings.fetch_max_entries,
        outbound=outbound,
    )


def quiet_http_client_logs() -> None:
    """httpx logs every request URL at INFO and httpcore traces at DEBUG; our fetch URLs
    carry patient ids (`Condition?patient=…`), so neither may log below WARNING."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class _Cors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered like every other error: an
    OperationOutcome (Starlette answers a plain-text "Disallowed CORS origin")."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        outcome = operation_outcome(
            response.status_code, f"CORS preflight refused: {refused} not allowed", "cors-refused"
        )
        for name, value in response.headers.items():
            if name.lower() not in ("content-type", "content-length"):
                outcome.headers[name] = value
        return outcome


def operation_outcome(
    status: int, message: str, code: str, details: Any = None, retry_after: int | None = None
) -> Response:
    """An error answer: an OperationOutcome with one error issue (a 401 says `Bearer`, a 503
    when to come back: `retry_after` seconds)."""
    issue: dict[str, Any] = {
        "severity": "error",
        "code": ISSUE_CODES.get(status, "exception"),
        "details": {"coding": [{"system": ERROR_SYSTEM, "code": code}]},
        "diagnostics": message,
    }
    missing = details.get("missing") if isinstance(details, dict) else None
    if missing:
        issue["expression"] = [f"prefetch.{key}" for key in missing]
    body = {"resourceType": "OperationOutcome", "issue": [issue]}
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    if status == 408:  # the rest of a stalled body must not be read as the next request
        headers["Connection"] = "close"
    if status == 503 and retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    return Response(
        orjson.dumps(body), status_code=status, media_type="application/json", headers=headers
    )


async def _cds_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CdsError)
    if exc.http_status >= 500:
        log.error("%s %s failed: %s: %s", request.method, request.url.path, exc.code, exc.message)
    if exc.http_status == 401:  # bare: the reason is in the log, not in the answer
        return operation_outcome(401, "unauthorized", exc.code)
    retry_after = service_state(request).settings.retry_after_seconds
    return operation_outcome(
        exc.http_status, exc.message, exc.code, exc.details, retry_after=retry_after
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    response = operation_outcome(exc.status_code, str(exc.detail), f"http-{exc.status_code}")
    response.headers.update(exc.headers or {})  # a 405 MUST say `Allow` (RFC 9110 §15.5.6)
    return response


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    response = operation_outcome(500, "internal error", "internal-error")
    # sent by Starlette's outermost error middleware, so SecurityHeaders never sees it
    state: ServiceState | None = getattr(request.app.state, "cds", None)
    response.headers.update(security_headers(state is not None and state.settings.hsts))
    return response
