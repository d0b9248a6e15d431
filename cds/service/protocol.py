"""uvicorn's httptools protocol with limits on the request head: size and time.

httptools (llhttp) has no header limit of its own, and uvicorn sets none for it (its
``h11_max_incomplete_event_size`` covers h11 only): one 32 MB header was read in full (RSS
122 → 253 MB). `limited_protocol(settings)` returns the class `cds serve` gives uvicorn as
``http=``. It

* checks, once the head is complete, the request target against `max_request_line_bytes`
  (414) and the header fields (names, values, ``": "`` and CRLF) against `max_header_bytes`
  all together (431), then closes;
* counts the bytes received while a head is incomplete, because uvicorn gathers the target
  and httptools each header until they end: an endless one is refused (414 or 431) once the
  bytes of an unfinished head pass both limits together, so memory stays bounded whatever its
  size. The chunk in which a request begins is not counted (it may end the previous
  request's body); the next one is;
* closes a connection whose head is not complete `header_timeout_seconds` after it began, or
  after the connection opened (a client trickling its headers, or sending nothing). A request
  head that is still incomplete gets a 408 first. One timer per connection looks at a
  deadline that each request sets and clears.

A refusal is written, the sending side shut (FIN), and whatever the client still sends is
read and dropped for at most `LINGER_S` before the connection closes: closing at once with
unread bytes would send a TCP reset, and the client would lose the 431 before reading it.

The hot path pays two Python calls and one sum over the headers per request.
"""

from __future__ import annotations

import asyncio
import http
import logging
import time
from typing import Any, ClassVar, Final

import httptools
import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from cds.config import Settings
from cds.service.app import ERROR_SYSTEM
from cds.service.headers import security_headers

log = logging.getLogger("cds.service")
#: Seconds between two log lines about refused heads (a flood must not flood the log).
_LOG_EVERY_S: Final = 60.0
#: Seconds a refused connection is still read from (and the bytes dropped) before closing.
LINGER_S: Final = 2.0
_ISSUE: Final = {408: "timeout", 414: "too-long", 431: "too-long"}
_WHY: Final = {
    408: "request head not complete in time",
    414: "request line too long",
    431: "request header fields too large",
}


class _HeadRefused(Exception):
    """Raised inside a parser callback to stop parsing a head that is over a limit."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """`HttpToolsProtocol` refusing oversized request heads and closing slow ones."""

    max_line: ClassVar[int] = 8 * 1024
    max_headers: ClassVar[int] = 64 * 1024
    head_timeout: ClassVar[float] = 10.0
    hsts: ClassVar[bool] = False
    _logged_at: ClassVar[dict[int, float]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_head = False
        self._messages = 0
        self._unfinished_bytes = 0  # received while a begun head was incomplete
        #: loop time by which the current head must be complete (None: not waiting for one)
        self._head_deadline: float | None = None
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False

    # --- connection -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline = self.loop.time() + self.head_timeout
        self._head_timer = self.loop.call_later(self.head_timeout, self._check_head_time)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own data_received, except that a refused head gets its own answer
        # instead of the 400 every parser callback error would get.
        if self._refused:
            return  # lingering after a refusal: dropped unread
        self._unset_keepalive_if_required()
        begun = self._messages
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _HeadRefused):
                self._refuse(exc.__context__.status)
            else:
                self._bad_request()
            return
        except httptools.HttpParserError:
            self._bad_request()
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_head and begun == self._messages:
            self._unfinished_bytes += len(data)
            if self._unfinished_bytes > self.max_line + self.max_headers:
                self._refuse(414 if len(self.url) > self.max_line else 431)

    # --- parser callbacks -------------------------------------------------------------------
    # Counted once per request, when the head is complete: a Python call per header (on_url,
    # on_header) cost more than the sums. An unfinished head is bounded by data_received.

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._messages += 1
        self._in_head = True
        self._unfinished_bytes = 0
        if self._head_deadline is None:
            self._head_deadline = self.loop.time() + self.head_timeout

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_deadline = None
        if len(self.url) > self.max_line:
            raise _HeadRefused(414)
        headers = self.headers
        if sum(len(name) + len(value) for name, value in headers) + 4 * len(headers) > (
            self.max_headers
        ):
            raise _HeadRefused(431)
        super().on_headers_complete()

    # --- slow heads -------------------------------------------------------------------------

    def _check_head_time(self) -> None:
        """One timer per connection: close it when its head is late, else look again when the
        current head is due (or in `head_timeout` when none is awaited)."""
        self._head_timer = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        deadline = self._head_deadline
        answering = self.cycle is not None and not self.cycle.response_complete
        if deadline is not None and now >= deadline and not answering:
            if self._in_head:
                self._refuse(408)
            else:
                self.transport.close()  # opened and silent: nothing to answer
            return
        # an answer being written (pipelining) is never cut: look again later
        wait = deadline - now if deadline is not None and deadline > now else self.head_timeout
        self._head_timer = self.loop.call_later(wait, self._check_head_time)

    # --- refusals ---------------------------------------------------------------------------

    def _bad_request(self) -> None:
        message = "Invalid HTTP request received."
        self.logger.warning(message)
        self.send_400_response(message)

    def _refuse(self, status: int) -> None:
        """Answer `status` as an OperationOutcome and close the connection."""
        self._head_deadline = None
        self._note(status)
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self.transport.close()  # an earlier answer is being written: cannot add ours
            return
        self.transport.write(refusal(status, self.hsts))
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()

    @classmethod
    def _note(cls, status: int) -> None:
        now = time.monotonic()
        if now - cls._logged_at.get(status, -_LOG_EVERY_S) >= _LOG_EVERY_S:
            cls._logged_at[status] = now
            log.warning(
                "refused a request: %s (%d; said at most once a minute)", _WHY[status], status
            )


def refusal(status: int, hsts: bool) -> bytes:
    """The whole HTTP answer refusing a request head: an OperationOutcome, connection closed."""
    issue = {
        "severity": "error",
        "code": _ISSUE[status],
        "details": {"coding": [{"system": ERROR_SYSTEM, "code": f"http-{status}"}]},
        "diagnostics": _WHY[status],
    }
    body = orjson.dumps({"resourceType": "OperationOutcome", "issue": [issue]})
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Connection": "close",
        **security_headers(hsts),
    }
    head = f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return (head + "\r\n").encode("ascii") + body


def limited_protocol(settings: Settings) -> type[LimitedHttpToolsProtocol]:
    """The protocol class for uvicorn's ``http=``, with the limits of `settings`."""
    return type(
        "LimitedHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {
            "max_line": settings.max_request_line_bytes,
            "max_headers": settings.max_header_bytes,
            "head_timeout": settings.header_timeout_seconds,
            "hsts": settings.hsts,
        },
    )
