"""Security headers on every HTTP response (an ASGI middleware, so errors and CORS answers
get them too; the 500 answer, sent outside all middleware, adds them itself).

Every answer is JSON for machines: nothing may be sniffed, framed, cached or given a referrer.
"""

from __future__ import annotations

from typing import Final

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BASE_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
HSTS: Final = "max-age=31536000"


def security_headers(hsts: bool) -> dict[str, str]:
    """The headers every response carries (Strict-Transport-Security only behind TLS)."""
    return {**BASE_HEADERS, "Strict-Transport-Security": HSTS} if hsts else dict(BASE_HEADERS)


class SecurityHeaders:
    """Sets `security_headers(hsts)` on every HTTP response of the wrapped app."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = security_headers(hsts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
