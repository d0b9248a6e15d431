"""What every request handler shares: `ServiceState`, built once by `create_app`, and the one
typed way to reach it from a request (`service_state`)."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
from starlette.requests import Request

from cds.config import Settings
from cds.pack.load import Pack
from cds.pipeline import Evaluator
from cds.service.auth import Authenticator
from cds.service.health import StoreProbe
from cds.service.prefetch import PrefetchResolver
from cds.service.recorder import CardRecorder
from cds.services import ServiceSpec
from cds.store import Store


@dataclass
class ServiceState:
    """Everything a request handler needs, built once per application."""

    settings: Settings
    pack: Pack
    evaluator: Evaluator
    services: dict[str, ServiceSpec]
    store: Store
    auth: Authenticator
    resolver: PrefetchResolver
    recorder: CardRecorder
    #: Threads that may wait on the database at once (feedback), apart from the evaluator's
    store_limiter: anyio.CapacityLimiter
    #: Key of the HMAC that replaces patient ids in the store (`cds.service.hashkey`)
    hash_key: str
    #: Reasons development mode refused a request that were logged already (once each)
    dev_refusals: set[str]
    #: Whether the store answers, for `/healthz`
    store_probe: StoreProbe


def service_state(request: Request) -> ServiceState:
    """The state of the application serving `request` (`create_app` sets it at start-up).

    Starlette's ``app.state`` holds anything; this is the one place that says what ours holds.
    """
    state = request.app.state.cds
    if not isinstance(state, ServiceState):
        raise TypeError(f"app.state.cds is a {type(state).__name__}, not a ServiceState")
    return state
