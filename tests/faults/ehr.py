"""A misbehaving EHR FHIR server on loopback, for the fault tests.

`fhirServer` = `{base}/{target}/{mode}`: requests for the faulted resource types get `mode`,
the others a normal answer. `target` is `all` (every type: the required keys fail too) or
`obs` (Observation only: the service should answer with what it has and say what it missed).

Normal data: the patient, a searchset of two Conditions (low back pain, and syncope reported
today: an emergency sign the service finds without any Observation), one normal heart rate.

Modes: `ok` (no fault), `slow` (answers after 30 s), `drip` (a byte every 0.1 s, never
done), `pages` (endless `next` links, 0.2 s a page), `unauthorized` (401), `error` (500),
`malformed` (cut JSON), `outcome` (200 OperationOutcome), `huge` (a 50 MB Bundle, no
Content-Length), `huge-declared` (the same with its Content-Length), `gzip` (50 MB of JSON
gzipped to about 100 kB), `many` (a Bundle of 200,000 entries, 600 kB); and, outside `MODES`,
`page2` (page 1 normal with a `next` link, page 2 a 500).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

PATIENT: Final = "fault-patient"
HUGE_BYTES: Final = 50 * 1024 * 1024
MANY_ENTRIES: Final = 200_000
MODES: Final = (
    "slow",
    "drip",
    "pages",
    "unauthorized",
    "error",
    "malformed",
    "outcome",
    "huge",
    "huge-declared",
    "gzip",
    "many",
)


def _now(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat(timespec="seconds")


def _searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def normal(resource_type: str) -> dict[str, Any]:
    """The healthy answer for one resource type."""
    subject = {"reference": f"Patient/{PATIENT}"}
    if resource_type == "Patient":
        return {"resourceType": "Patient", "id": PATIENT, "birthDate": "1975-03-02"}
    if resource_type == "Condition":
        active = {"coding": [{"code": "active"}]}
        back_pain = {
            "resourceType": "Condition",
            "id": "lbp",
            "subject": subject,
            "clinicalStatus": active,
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]},
            "recordedDate": _now(days=1)[:10],
        }
        syncope = {
            "resourceType": "Condition",
            "id": "syncope",
            "subject": subject,
            "clinicalStatus": active,
            "code": {"text": "Syncope"},
            "recordedDate": _now(hours=2),
        }
        return _searchset(back_pain, syncope)
    if resource_type == "Observation":
        heart_rate = {
            "resourceType": "Observation",
            "id": "hr",
            "status": "final",
            "subject": subject,
            "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
            "effectiveDateTime": _now(hours=1),
            "valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": "/min"},
        }
        return _searchset(heart_rate)
    return _searchset()


def _huge_chunks() -> Iterator[bytes]:
    """A valid searchset Bundle of about HUGE_BYTES, in 64 kB chunks."""
    entry = json.dumps(
        {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "padding " * 100},
            }
        }
    ).encode()
    head, tail = b'{"resourceType":"Bundle","type":"searchset","entry":[', b"]}"
    per_chunk = max(1, 65536 // (len(entry) + 1))
    chunk = b",".join([entry] * per_chunk)
    count = HUGE_BYTES // len(chunk)
    yield head + chunk
    for _ in range(count - 1):
        yield b"," + chunk
    yield tail


_HUGE_SIZE: Final = sum(len(c) for c in _huge_chunks())
_GZIP: dict[str, bytes] = {}


def _gzipped() -> bytes:
    if "body" not in _GZIP:
        _GZIP["body"] = gzip.compress(b"".join(_huge_chunks()), compresslevel=9)
    return _GZIP["body"]


@dataclass
class Ehr:
    """The running server: its base URL, what it was asked and how many bytes it got out."""

    base: str
    paths: list[str] = field(default_factory=list)
    bytes_sent: dict[str, int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)

    def server(self, target: str, mode: str) -> str:
        """The `fhirServer` of a request that should meet `mode` on `target`."""
        return f"{self.base}/{target}/{mode}"


def _handler(ehr: Ehr) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ehr.paths.append(self.path)
            parts = self.path.lstrip("/").split("/", 2)
            if len(parts) < 3:
                self._send(404, b"{}")
                return
            target, mode, rest = parts
            resource_type = rest.split("?", 1)[0].split("/", 1)[0]
            if target == "obs" and resource_type != "Observation":
                self._send(200, json.dumps(normal(resource_type)).encode())
                return
            try:
                self._fault(mode, resource_type)
            except OSError:
                pass  # the service hung up on us: that is what it should do

        def _fault(self, mode: str, resource_type: str) -> None:
            if mode == "ok":
                self._send(200, json.dumps(normal(resource_type)).encode())
            elif mode == "slow":
                ehr.stop.wait(30)
                self._send(200, json.dumps(normal(resource_type)).encode())
            elif mode == "drip":
                self._start(200)
                for _ in range(300):
                    if ehr.stop.wait(0.1):
                        return
                    self.wfile.write(b" ")
                    self.wfile.flush()
            elif mode == "pages":
                time.sleep(0.2)
                page = _searchset()
                page["link"] = [{"relation": "next", "url": f"{ehr.base}{self.path}&p=1"}]
                self._send(200, json.dumps(page).encode())
            elif mode == "unauthorized":
                body = {"resourceType": "OperationOutcome", "issue": [{"code": "login"}]}
                self._send(401, json.dumps(body).encode())
            elif mode == "error":
                self._send(500, b"Internal Server Error")
            elif mode == "malformed":
                self._send(200, b'{"resourceType": "Bundle", "entry": [{"resou')
            elif mode == "outcome":
                body = {"resourceType": "OperationOutcome", "issue": [{"code": "exception"}]}
                self._send(200, json.dumps(body).encode())
            elif mode in ("huge", "huge-declared"):
                self._start(200, _HUGE_SIZE if mode == "huge-declared" else None)
                sent = 0
                for chunk in _huge_chunks():
                    self.wfile.write(chunk)
                    sent += len(chunk)
                    ehr.bytes_sent[self.path] = sent
            elif mode == "gzip":
                body = _gzipped()
                self._start(200, len(body), {"Content-Encoding": "gzip"})
                self.wfile.write(body)
            elif mode == "page2":  # page 1 is the normal data with a next link; page 2 fails
                if "page=2" in self.path:
                    self._send(500, b"Internal Server Error")
                    return
                body = normal(resource_type)
                if body.get("resourceType") == "Bundle":
                    sep = "&" if "?" in self.path else "?"
                    next_url = f"{ehr.base}{self.path}{sep}page=2"
                    body["link"] = [{"relation": "next", "url": next_url}]
                self._send(200, json.dumps(body).encode())
            elif mode == "many":
                entries = b",".join([b"{}"] * MANY_ENTRIES)
                self._send(
                    200, b'{"resourceType":"Bundle","type":"searchset","entry":[' + entries + b"]}"
                )
            else:
                self._send(404, b"{}")

        def _start(
            self, status: int, length: int | None = None, extra: dict[str, str] | None = None
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            if length is not None:
                self.send_header("Content-Length", str(length))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()  # HTTP/1.0: without a length the body ends when we close

        def _send(self, status: int, body: bytes) -> None:
            try:
                self._start(status, len(body))
                self.wfile.write(body)
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def run_ehr() -> Iterator[Ehr]:
    """A fault-injecting FHIR server on 127.0.0.1 (a free port), stopped on exit."""
    ehr = Ehr("")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ehr))
    server.daemon_threads = True
    ehr.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield ehr
    finally:
        ehr.stop.set()  # slow and dripping handlers give up
        server.shutdown()
        server.server_close()
