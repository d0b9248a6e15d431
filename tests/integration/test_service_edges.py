"""The real server (`python -m cds serve`, uvicorn + httptools) at its edges, with raw sockets
where HTTP clients would be too polite: request head limits (414, 431, memory bounded) and slow
clients (408, closed), development mode behind a proxy, trailing slashes, HEAD, /healthz,
Retry-After, and the start-up refusal of an every-address bind without base_url."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.service.patient import full_prefetch, hook_request
from tests.support.cds_server import ROOT, CdsServer, free_port, run_cds_server

pytestmark = pytest.mark.integration
PV = "/cds-services/back-spasm-patient-view"
HEAD_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CdsServer]:
    root = tmp_path_factory.mktemp("edges")
    limits = {"header_timeout_seconds": HEAD_TIMEOUT, "body_timeout_seconds": BODY_TIMEOUT}
    with run_cds_server(root, limits) as running:
        yield running


def address(server: CdsServer) -> tuple[str, int]:
    host, port = server.base.removeprefix("http://").split(":")
    return host, int(port)


def exchange(server: CdsServer, data: bytes, timeout: float = 10.0) -> bytes:
    """Send `data` on a new connection, then read until the server closes (or `timeout`)."""
    with socket.create_connection(address(server), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may close before it has read everything: read its answer
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except OSError:
        pass
    return answer


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def get(path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", *headers, "", ""]
    return "\r\n".join(lines).encode()


# --- request head size (item 4) ----------------------------------------------------------------


def test_one_big_header_is_431_with_an_operation_outcome(server: CdsServer) -> None:
    answer = exchange(server, get("/cds-services", "X-Big: " + "a" * 200_000))
    assert status_of(answer) == 431, answer[:200]
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    assert b"x-content-type-options: nosniff" in head.lower()
    issue = json.loads(body)["issue"][0]
    assert issue["details"]["coding"][0]["code"] == "http-431"


def test_many_headers_over_the_total_are_431_and_under_it_answered(server: CdsServer) -> None:
    over = [f"X-H{i}: {'b' * 1000}" for i in range(70)]  # 70 KB in complete headers
    assert status_of(exchange(server, get("/cds-services", *over))) == 431
    under = [f"X-H{i}: {'b' * 1000}" for i in range(50)]  # 50 KB: the control
    answer = exchange(server, get("/cds-services", *under, "Connection: close"))
    assert status_of(answer) == 200, answer[:200]


def test_a_long_request_line_is_414(server: CdsServer) -> None:
    answer = exchange(server, get("/cds-services?" + "q" * 9000))
    assert status_of(answer) == 414
    fine = exchange(server, get("/cds-services?" + "q" * 4000, "Connection: close"))
    assert status_of(fine) == 200
    endless = b"GET /cds-services?" + b"q" * (4 * MIB)  # a target that never ends
    assert status_of(exchange(server, endless)) == 414


def test_memory_does_not_grow_with_header_size(server: CdsServer) -> None:
    """Six clients at once each send one 32 MB header: before the limit the server read them
    in full (RSS 122 → 318 MB); now each is refused after 72 KiB and the rest dropped."""
    pid = server.pid
    exchange(server, get("/cds-services", "X-Warm: " + "a" * 100_000))  # warm the paths
    before = rss_mb(pid)
    answers: list[bytes] = []

    def flood() -> None:
        with socket.create_connection(address(server), timeout=20) as sock:
            chunk = b"a" * 65536
            try:
                sock.sendall(b"GET /cds-services HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ")
                for _ in range(32 * MIB // len(chunk)):
                    sock.sendall(chunk)
            except OSError:
                pass  # refused and closed while we were still sending
            answers.append(read_all(sock))

    threads = [threading.Thread(target=flood) for _ in range(6)]
    for thread in threads:
        thread.start()
    peak = before
    while any(thread.is_alive() for thread in threads):
        peak = max(peak, rss_mb(pid))
        time.sleep(0.02)
    for thread in threads:
        thread.join()
    assert peak - before < 30, (before, peak)
    assert any(status_of(answer) == 431 for answer in answers)
    assert status_of(exchange(server, get("/healthz", "Connection: close"))) == 200


def test_a_body_sent_with_its_headers_is_not_counted_as_header(server: CdsServer) -> None:
    """A 1 MB hook call in one write arrives in chunks holding head and body together; the
    head limit must count only the head."""
    body = hook_request(prefetch=full_prefetch())
    body["padding"] = "p" * MIB
    data = json.dumps(body).encode()
    head = (
        f"POST {PV} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = exchange(server, head + data)
    assert status_of(answer) == 200, answer[:300]


def test_keep_alive_and_pipelined_requests_still_work(server: CdsServer) -> None:
    twice = get("/cds-services") + get("/healthz", "Connection: close")
    answer = exchange(server, twice)
    assert answer.count(b"HTTP/1.1 200 OK") == 2


# --- slow clients (item 4) -----------------------------------------------------------------


def until_closed(
    sock: socket.socket, started: float, limit_s: float, drip: bytes | None
) -> tuple[bytes, float | None]:
    """What the server answers until it closes the connection (sending ``drip`` every 0.2 s
    meanwhile, if given), and when it closed (seconds after ``started``; None: not within
    ``limit_s``)."""
    answer = b""
    while time.monotonic() - started < limit_s:
        try:
            if drip is not None:
                sock.sendall(drip)
            chunk = sock.recv(4096)
        except TimeoutError:
            continue
        except OSError:
            return answer, time.monotonic() - started
        if not chunk:
            return answer, time.monotonic() - started
        answer += chunk
    return answer, None


def test_a_client_trickling_its_headers_is_closed(server: CdsServer) -> None:
    with socket.create_connection(address(server), timeout=1) as sock:
        sock.settimeout(0.2)
        started = time.monotonic()
        sock.sendall(b"GET /cds-services HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
        # one byte every 0.2 s: the connection never goes idle
        answer, closed_at = until_closed(sock, started, HEAD_TIMEOUT + 8, b"a")
    assert closed_at is not None, "the trickling client was never closed"
    assert HEAD_TIMEOUT - 0.5 < closed_at < HEAD_TIMEOUT + 3
    assert status_of(answer) == 408


def test_a_silent_connection_is_closed(server: CdsServer) -> None:
    with socket.create_connection(address(server), timeout=HEAD_TIMEOUT + 8) as sock:
        started = time.monotonic()
        assert sock.recv(10) == b""  # closed, with nothing to answer
        assert time.monotonic() - started < HEAD_TIMEOUT + 3


def stalled_body(server: CdsServer, drip: bool) -> tuple[bytes, float]:
    """Send a hook call's headers and the first bytes of its body, then nothing more (or one
    byte every 0.2 s): the answer, and when the connection closed (seconds after the head)."""
    path = "/cds-services/back-spasm-patient-view"
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Content-Length: 5000\r\n\r\n"
    )
    with socket.create_connection(address(server), timeout=1) as sock:
        sock.settimeout(0.2)
        sock.sendall(head.encode() + b'{"hook": "patient-view", ')
        started = time.monotonic()
        answer, closed_at = until_closed(sock, started, BODY_TIMEOUT + 8, b" " if drip else None)
    assert closed_at is not None, "the stalled client was never answered and closed"
    return answer, closed_at


@pytest.mark.parametrize("drip", [False, True], ids=["stalled", "dripping"])
def test_a_body_not_received_in_time_is_408_and_closed(server: CdsServer, drip: bool) -> None:
    """Headers then a stall (or a body dripped a byte every 0.2 s, never idle): without
    `body_timeout_seconds` the call waited as long as the client liked."""
    answer, closed_at = stalled_body(server, drip)
    assert BODY_TIMEOUT - 0.5 < closed_at < BODY_TIMEOUT + 3
    assert status_of(answer) == 408
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"connection: close" in head.lower()
    outcome = json.loads(body)
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "timeout"
    assert outcome["issue"][0]["details"]["coding"][0]["code"] == "body-timeout"


# --- development mode behind a proxy (item 3) ----------------------------------------------


def test_development_mode_refuses_proxied_requests(server: CdsServer) -> None:
    with httpx.Client(timeout=10) as http:
        assert http.get(server.url("/cds-services")).status_code == 200
        for header in ("X-Forwarded-For", "x-forwarded-proto", "Forwarded", "VIA"):
            for _ in range(3):
                response = http.get(server.url("/cds-services"), headers={header: "1.1 proxy"})
                assert response.status_code == 401, header
        hook = http.post(
            server.url(PV),
            json=hook_request(prefetch=full_prefetch()),
            headers={"X-Forwarded-For": "203.0.113.9"},
        )
        assert hook.status_code == 401
    log = server.log.read_text()
    assert log.count("a request carrying a proxy header (X-Forwarded-*)") == 1
    assert log.count("a request carrying a proxy header (Via)") == 1


# --- trailing slashes, HEAD, /healthz (items 8 and 9) -------------------------------------------


def test_trailing_slashes_are_answered_not_redirected(server: CdsServer) -> None:
    with httpx.Client(timeout=10, follow_redirects=False) as http:
        discovery = http.get(server.url("/cds-services/"))
        hook = http.post(server.url(PV + "/"), json=hook_request(prefetch=full_prefetch()))
    assert discovery.status_code == 200 and discovery.json()["services"]
    assert hook.status_code == 200 and hook.json()["cards"]


def test_head_and_health_through_the_real_server(server: CdsServer) -> None:
    answer = exchange(
        server, b"HEAD /cds-services HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert status_of(answer) == 200 and body == b""
    assert b"content-type: application/json" in head.lower()
    with httpx.Client(timeout=10) as http:
        health = http.get(server.url("/healthz"), headers={"X-Forwarded-For": "10.0.0.1"})
    assert health.status_code == 200  # unauthenticated, proxied or not
    assert health.json() == {"status": "pass", "checks": {"store": "pass"}}


def test_a_503_says_when_to_retry(tmp_path: Path) -> None:
    broken = {
        "database_url": f"sqlite:///{tmp_path}/db/cds.sqlite3",
        "patient_hash_key_file": str(tmp_path / "key"),
        "retry_after_seconds": 7,
    }
    feedback = {
        "feedback": [
            {
                "card": "0b5e3c1a-7d2f-4e8a-9c61-2f4d8e7a1b90",
                "outcome": "overridden",
                "overrideReason": {"userComment": "no"},
                "outcomeTimestamp": "2026-11-26T08:00:00Z",
            }
        ]
    }
    with run_cds_server(tmp_path, broken) as running, httpx.Client(timeout=10) as http:
        (tmp_path / "db").rename(tmp_path / "moved")  # the database goes away after start-up
        answer = http.post(running.url(PV + "/feedback"), json=feedback)
        health = http.get(running.url("/healthz"))
    assert (answer.status_code, answer.headers["retry-after"]) == (503, "7")
    assert health.status_code == 200 and health.json()["checks"] == {"store": "fail"}


# --- start-up (item 8) ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "0x0"])
def test_every_address_without_base_url_does_not_start_with_jwts(tmp_path: Path, host: str) -> None:
    config = {
        "host": host,
        "port": free_port(),
        "database_url": f"sqlite:///{tmp_path}/cds.sqlite3",
        "jwt_issuers": [{"iss": "https://ehr", "jwks": {"keys": []}}],
    }
    path = tmp_path / "cds.json"
    path.write_text(json.dumps(config))
    done = subprocess.run(
        [sys.executable, "-m", "cds", "serve", "--config", str(path)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "set base_url" in done.stderr
    assert "Traceback" not in done.stderr
