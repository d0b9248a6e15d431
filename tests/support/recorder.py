"""A loopback HTTP listener that records every TCP connection it accepts (for SSRF tests: a
refused fetch must not even connect) and answers each GET with a fixed JSON body.

    with recording_server({"resourceType": "Patient", "id": "p1"}) as server:
        ...  # make the service fetch from server.base
        assert server.connections == []
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorder:
    """The listener's base URL (http://127.0.0.1:PORT), its accepted connections and paths."""

    port: int
    connections: list[tuple[str, int]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def recording_server(body: Any = None, status: int = 200) -> Iterator[Recorder]:
    """Serve `body` (JSON) with `status` to every GET on a free 127.0.0.1 port."""
    payload = json.dumps(body if body is not None else {}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            recorder.paths.append(self.path)
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        daemon_threads = True

        def verify_request(self, request: Any, client_address: Any) -> bool:
            recorder.connections.append(client_address[:2])
            return True

    server = Server(("127.0.0.1", 0), Handler)
    recorder = Recorder(server.server_address[1])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
