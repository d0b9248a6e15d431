"""`GET /healthz` for load balancers: is the process answering, and does the store answer?

Hooks are answered without the store (issued cards are recorded by their own thread), so a
store outage does not make the service unhealthy: the answer stays 200 with
``{"status": "warn", "checks": {"store": "fail"}}``. Taking every instance out of a load
balancer because the shared database is down would stop the danger-sign cards too. The body
names no database, host, error or patient.

Probes run one at a time on their own thread, are given `PROBE_TIMEOUT_S`, and a result is
reused for `CACHE_S`: a load balancer polling every instance every second costs one
``SELECT 1`` a second, and a hung database never holds a feedback thread for the probe.
"""

from __future__ import annotations

import time
from typing import Any, Final

import anyio
import anyio.to_thread
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from cds.errors import StoreUnavailable
from cds.store import Store

PROBE_TIMEOUT_S: Final = 2.0
CACHE_S: Final = 1.0


class StoreProbe:
    """Whether `store` answers a trivial query, asked at most once per `CACHE_S`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = anyio.Lock()
        self._threads = anyio.CapacityLimiter(1)
        self._checked_at = -CACHE_S
        self._reachable = False

    async def reachable(self) -> bool:
        """True when the store answered within `PROBE_TIMEOUT_S` (at most `CACHE_S` ago)."""
        async with self._lock:
            if time.monotonic() - self._checked_at >= CACHE_S:
                self._reachable = False
                with anyio.move_on_after(PROBE_TIMEOUT_S):
                    self._reachable = await anyio.to_thread.run_sync(
                        self._ping, abandon_on_cancel=True, limiter=self._threads
                    )
                self._checked_at = time.monotonic()
            return self._reachable

    def _ping(self) -> bool:
        try:
            with self.store.engine().connect() as connection:
                connection.execute(text("SELECT 1"))
        except (SQLAlchemyError, StoreUnavailable, OSError):
            return False
        return True


def health_body(store_reachable: bool) -> dict[str, Any]:
    """The `/healthz` answer (the shape of the IETF health-check draft, without details)."""
    store = "pass" if store_reachable else "fail"
    return {"status": "pass" if store_reachable else "warn", "checks": {"store": store}}
