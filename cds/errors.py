"""The one error hierarchy of the project.

    CdsError                      exit 1, HTTP 500
    ├── InputError                exit 2, HTTP 400  bad hook request, bad FHIR, unreadable file
    │   ├── UnknownServiceError   exit 2, HTTP 404
    │   ├── PayloadTooLarge       exit 2, HTTP 413
    │   ├── BodyTimeout           exit 2, HTTP 408  body not received within body_timeout_seconds
    │   ├── UnsupportedEncoding   exit 2, HTTP 415  a Content-Encoding we do not decode
    │   ├── UnsupportedMediaType  exit 2, HTTP 415  a request body declared as something not JSON
    │   └── MissingDataError      exit 1, HTTP 412  prefetch absent and not fetchable
    ├── UnitError                 exit 2, HTTP 400  a quantity in a unit we cannot convert
    ├── RulePackError             exit 2, HTTP 500  schema, unknown value set, coverage
    ├── EngineError               exit 1, HTTP 500
    │   └── RuleActionFailed      exit 1, HTTP 500
    ├── AuthError                 exit 2, HTTP 401  every refusal is a bare 401
    ├── ConfigError               exit 2, HTTP 500
    └── StoreUnavailable          exit 1, HTTP 503  feedback database down: the client retries

Each class carries a stable ``code`` for tests and logs. Edges (CLI, HTTP) turn these into
output; the core only raises them.
"""

from __future__ import annotations

from typing import Any


class CdsError(Exception):
    """Root of every error the project raises on purpose."""

    code = "cds-error"
    exit_code = 1
    http_status = 500

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InputError(CdsError):
    """Input we cannot use: a malformed request, FHIR resource or file."""

    code = "input-error"
    exit_code = 2
    http_status = 400


class UnknownServiceError(InputError):
    code = "unknown-service"
    http_status = 404


class PayloadTooLarge(InputError):
    code = "payload-too-large"
    http_status = 413


class UnsupportedEncoding(InputError):
    """A request body in a Content-Encoding we do not decode (gzip, br, ...)."""

    code = "unsupported-encoding"
    http_status = 415


class UnsupportedMediaType(InputError):
    """A request body whose Content-Type is not JSON (text/plain, a form, XML)."""

    code = "unsupported-media-type"
    http_status = 415


class BodyTimeout(InputError):
    """The request body did not arrive in time (a client that sent its headers and stalled)."""

    code = "body-timeout"
    http_status = 408


class MissingDataError(InputError):
    """Data the service needs was neither prefetched nor fetchable."""

    code = "missing-data"
    exit_code = 1
    http_status = 412


class UnitError(CdsError):
    code = "unit-error"
    exit_code = 2
    http_status = 400


class RulePackError(CdsError):
    code = "rule-pack-error"
    exit_code = 2


class EngineError(CdsError):
    code = "engine-error"


class RuleActionFailed(EngineError):
    code = "rule-action-failed"


class AuthError(CdsError):
    code = "unauthorized"
    exit_code = 2
    http_status = 401


class ConfigError(CdsError):
    code = "config-error"
    exit_code = 2


class StoreUnavailable(CdsError):
    code = "store-unavailable"
    http_status = 503
