"""Reading a request body: its media type, size and time limits, the JSON object in it, and
its depth."""

from __future__ import annotations

import re
from typing import Any, Final

import anyio
import orjson
from starlette.requests import Request

from cds.errors import (
    BodyTimeout,
    InputError,
    PayloadTooLarge,
    UnsupportedEncoding,
    UnsupportedMediaType,
)
from cds.service.state import service_state

#: Deepest nesting of objects and arrays accepted in a request body (FHIR needs about 15).
MAX_JSON_DEPTH: Final = 64


async def read_body(request: Request) -> bytes:
    """The body, refused with 415 when declared as something not JSON (`require_json`), with
    413 past `max_body_bytes` (declared or actually streamed), and with 408 when it is not all
    there `body_timeout_seconds` after we began to read it (a client that sent its headers and
    stalled, or drips its body, would hold the call)."""
    require_json(request.headers.get("content-type"))
    settings = service_state(request).settings
    encoding = request.headers.get("content-encoding")
    if encoding is not None and encoding.strip().lower() not in ("", "identity"):
        # never echoed (error bodies carry no input); 415 per RFC 9110 section 15.5.16
        raise UnsupportedEncoding(
            "Content-Encoding is not supported: send the request body uncompressed"
        )
    limit = settings.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise InputError("invalid Content-Length")
        if int(declared) > limit:
            raise PayloadTooLarge(f"request body over {limit} bytes")
    chunks, size = [], 0
    timeout = settings.body_timeout_seconds
    try:
        with anyio.fail_after(timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(f"request body over {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeout(f"request body not received within {timeout:g} s") from None
    return b"".join(chunks)


def require_json(content_type: str | None) -> None:
    """UnsupportedMediaType (415) unless `content_type` is absent, empty or a JSON media type.

    A browser sends a cross-site POST of text/plain, a form or multipart without a CORS
    preflight; read as JSON, such a page could drive the service (and write to its store).
    JSON is any type whose subtype is ``json`` or ends in ``+json`` (application/json,
    application/fhir+json), whatever its parameters (``charset``). A request with no
    Content-Type is read as JSON: some clients send none.
    """
    if content_type is None or not content_type.strip():
        return
    media_type = content_type.partition(";")[0].strip().lower()
    kind, slash, subtype = media_type.partition("/")
    if kind and slash and (subtype == "json" or subtype.endswith("+json")):
        return
    # never echoed (error bodies carry no input)
    raise UnsupportedMediaType(
        "Content-Type is not JSON: send the request body as application/json "
        "(application/fhir+json and other +json types are read too)"
    )


#: The UTF-8 byte order mark: some .NET EHR clients put it before the JSON of their calls.
UTF8_BOM: Final = b"\xef\xbb\xbf"


def json_object(body: bytes) -> dict[str, Any]:
    """The body as a JSON object nested at most MAX_JSON_DEPTH deep, else InputError (400).
    A UTF-8 byte order mark before it is dropped (JSON forbids it; RFC 8259 lets a parser
    ignore it)."""
    body = body.removeprefix(UTF8_BOM)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "not valid UTF-8" in exc.msg:  # Latin-1, UTF-16, ...: JSON on the wire is UTF-8
            raise InputError("request body is not UTF-8 (RFC 8259: JSON is sent as UTF-8)") from exc
        raise InputError(f"request body is not valid JSON: {exc.msg}") from exc
    if not isinstance(data, dict):
        raise InputError("request body must be a JSON object")
    if json_depth_exceeds(body, MAX_JSON_DEPTH):
        raise InputError(f"request body nests deeper than {MAX_JSON_DEPTH} levels")
    return data


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True if the objects/arrays of a valid JSON text nest more than `limit` deep (the top
    level is 1).

    Read from the text, at C speed: a walk of the parsed tree cost twice the parse itself
    (130 µs for a 30 KB hook call). Escapes and string contents are dropped, leaving only the
    brackets outside strings; then each pass removes the innermost pairs. ``bytes.replace`` of
    ``{}`` then ``[]`` takes off one or two levels a pass, so a text it empties within
    ``limit // 2`` passes is within the limit; only one it does not is counted level by level.
    No recursion, whatever the depth.
    """
    if b"\\" in body:
        body = _ESCAPE.sub(b"", body)
    brackets = body.translate(None, _NOT_SYNTAX).replace(b'""', b"")
    if b'"' in brackets:  # strings with brackets inside (adjacent ones merged: harmless)
        brackets = _STRING.sub(b"", brackets)
    quick = brackets
    for _ in range(limit // 2):
        if not quick:
            return False
        quick = quick.replace(b"{}", b"").replace(b"[]", b"")
    if not quick:
        return False
    for _ in range(limit):  # deeper than half the limit: one level a pass
        if not brackets:
            return False
        brackets = _INNERMOST.sub(b"", brackets)
    return bool(brackets)


_ESCAPE: Final = re.compile(rb"\\.", re.DOTALL)
_NOT_SYNTAX: Final = bytes(range(256)).translate(None, b'{}[]"')
_STRING: Final = re.compile(rb'"[^"]*"')
_INNERMOST: Final = re.compile(rb"\{\}|\[\]")
