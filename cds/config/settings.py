"""The settings model: every setting with its default, description and validators.

`Settings` is the single place a setting is defined (the settings table of docs/service.md is
checked against it); `JwtIssuer` is one trusted CDS Client. Values come from
`cds.config.load.load_settings`, never from this module's defaults alone.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from cds.urls import UnsafeUrl, normalise_url


class JwtIssuer(BaseModel):
    """One CDS Client (EHR) we trust: its `iss` and where its public keys come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    iss: str = Field(description="The `iss` claim this client signs with (exact match).")
    jwks: dict[str, Any] | None = Field(
        default=None, description="The client's public JWK Set, inline ({'keys': [...]})."
    )
    jwks_url: str | None = Field(
        default=None, description="A URL of the client's JWK Set, fetched and cached."
    )
    jku_prefixes: list[str] = Field(
        default_factory=list,
        description="URL prefixes a JWT's `jku` header may point into; any other jku is refused.",
    )
    tenants: list[str] | None = Field(
        default=None, description="If set, the `tenant` claim must be one of these."
    )

    @field_validator("jku_prefixes")
    @classmethod
    def _normalise_prefixes(cls, prefixes: list[str]) -> list[str]:
        """Each prefix in its normalised spelling, the one a `jku` is matched in."""
        try:
            return [normalise_url(p) for p in prefixes]
        except UnsafeUrl as exc:
            raise ValueError(f"jku_prefixes: {exc}") from None

    @model_validator(mode="after")
    def _has_keys(self) -> JwtIssuer:
        if self.jwks is None and self.jwks_url is None and not self.jku_prefixes:
            raise ValueError(f"issuer {self.iss!r} needs jwks, jwks_url or jku_prefixes")
        return self


class Settings(BaseSettings):
    """Every setting of the CDS Hooks service, with its default."""

    model_config = SettingsConfigDict(
        env_prefix="CDS_", extra="forbid", frozen=True, validate_default=True
    )

    host: str = Field(default="127.0.0.1", description="Address to bind (loopback by default).")
    port: int = Field(default=8080, ge=1, le=65535, description="TCP port to listen on.")
    base_url: str | None = Field(
        default=None,
        description="External base URL (scheme://host[:port][/prefix]) used as the JWT `aud` "
        "prefix; default http://{host}:{port}. Set it behind a proxy.",
    )
    database_url: str = Field(
        default="sqlite:///./var/cds.sqlite3",
        description="SQLAlchemy URL of the card and feedback store (SQLite file or "
        "postgresql+psycopg://...); checked at start-up, which it stops when the database "
        "cannot be used.",
    )
    feedback_max_items: int = Field(
        default=1000,
        ge=1,
        description="Most feedback items taken in one feedback call (413 above).",
    )
    pack: str = Field(
        default="back-spasm", description="Rule pack: a name under rules/ or a folder."
    )
    site: dict[str, StrictBool | float | None] = Field(
        default_factory=dict,
        description="Site overrides of the pack's settings, e.g. {vital_sign_window_hours: 48} "
        "(a true/false is kept as given, so the pack refuses it instead of reading 1 or 0).",
    )
    site_timezone: str = Field(
        default="UTC",
        description="The site's IANA time zone (e.g. America/Chicago): times a record gives "
        "without a zone are read in it, by the service, `cds evaluate` and `cds review`.",
    )
    jwt_issuers: list[JwtIssuer] = Field(
        default_factory=list,
        description="Trusted CDS Clients: [{iss, jwks | jwks_url | jku_prefixes, tenants}]. "
        "Empty = development mode (loopback only, no JWT).",
    )
    jwt_leeway_seconds: int = Field(
        default=60, ge=0, le=600, description="Clock skew allowed on `exp`/`iat`."
    )
    max_token_lifetime_seconds: int = Field(
        default=300,
        ge=1,
        le=3600,
        description="Longest JWT lifetime accepted: a token whose `exp` is more than this "
        "after its `iat` is refused (CDS Hooks: short-lived, about 5 minutes).",
    )
    jwt_replay_cache_per_issuer: int = Field(
        default=100_000,
        ge=10,
        description="Most live `jti`s remembered per issuer (each until its token can no "
        "longer be accepted); when an issuer's are all live, its new tokens are refused.",
    )
    jwks_cache_max_entries: int = Field(
        default=64,
        ge=1,
        description="Most JWK Sets (by URL: `jwks_url`s and allowlisted `jku`s) kept in "
        "memory; the least recently used is dropped.",
    )
    jwks_cache_max_age_seconds: float = Field(
        default=3600.0,
        gt=0,
        description="A cached JWK Set older than this is read again before use.",
    )
    allow_insecure_dev: bool = Field(
        default=True,
        description="With no jwt_issuers, answer calls without a JWT (only on a loopback host).",
    )
    fhir_server_allowlist: list[str] = Field(
        default_factory=list,
        description="URL prefixes of FHIR servers the service may fetch missing prefetch "
        "from; a request's fhirServer outside these is never contacted.",
    )
    allow_private_fhir_servers: bool = Field(
        default=False,
        description="Let fhirServer, jku and jwks_url hosts resolve to private addresses (10/8, "
        "172.16/12, 192.168/16, fc00::/7); refused by default. Loopback needs a loopback host "
        "named in the allowlist; link-local, multicast and unspecified are always refused.",
    )
    prefetch_templates: dict[str, dict[str, str | None]] = Field(
        default_factory=dict,
        description="Per service id, prefetch templates that replace the defaults "
        "({key: template}) or drop a key the EHR cannot send ({key: null}); discovery, "
        "fetching and `cds evaluate` use the result. Required keys can be replaced, not dropped.",
    )
    fetch_timeout_seconds: float = Field(
        default=3.0, gt=0, description="Time budget of one FHIR fetch (per HTTP call)."
    )
    fetch_total_seconds: float = Field(
        default=8.0, gt=0, description="Time budget of all FHIR fetches of one hook call."
    )
    fetch_max_pages: int = Field(
        default=20, ge=1, description="Most search pages followed per prefetch key."
    )
    fetch_max_bytes: int = Field(
        default=8 * 1024 * 1024,
        ge=1024,
        description="Most bytes read from the FHIR server per prefetch key (all its pages); "
        "past it the read stops and the key is unavailable.",
    )
    fetch_max_entries: int = Field(
        default=5000,
        ge=1,
        description="Most Bundle entries fetched per prefetch key (all its pages); past it the "
        "key is unavailable.",
    )
    max_body_bytes: int = Field(
        default=5 * 1024 * 1024, ge=1024, description="Largest request body accepted (413 above)."
    )
    inline_max_bytes: int = Field(
        default=256 * 1024,
        ge=0,
        description="Hook calls up to this size, with nothing fetched for them, are evaluated "
        "on the event loop instead of a worker thread (0: every call on a thread).",
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Browser origins allowed by CORS (none by default)."
    )
    cors_allow_headers: list[str] = Field(
        default_factory=lambda: ["Authorization", "Content-Type"],
        description="Request headers a browser may send cross-origin (CORS preflight answer).",
    )
    hsts: bool = Field(
        default=False,
        description="Send Strict-Transport-Security (max-age one year): set it when clients "
        "reach the service over HTTPS (behind TLS).",
    )
    patient_hash_key: str | None = Field(
        default=None,
        description="Key of the HMAC that replaces patient ids in the store (raw ids are never "
        "stored), at least 32 characters; unset: a random key generated on first start into "
        "patient_hash_key_file.",
    )
    patient_hash_key_file: str = Field(
        default="var/patient-hash.key",
        description="Where the generated patient hash key is kept (mode 0600), relative to the "
        "working directory like the default database; only used without patient_hash_key.",
    )
    max_request_line_bytes: int = Field(
        default=8 * 1024,
        ge=256,
        description="Longest request line (method, target, version) accepted (414 above).",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        description="Most bytes of request header fields accepted, all together (431 above).",
    )
    header_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A connection whose request line and headers are not complete this many "
        "seconds after they began (or after it opened) is closed (slow clients).",
    )
    body_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A request body not received in full this many seconds after the service "
        "began to read it (a client that sent its headers, then stalled) is answered 408 and "
        "the connection closed.",
    )
    retry_after_seconds: int = Field(
        default=10,
        ge=1,
        description="The Retry-After header (seconds) sent with every 503 answer.",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Log level of the service."
    )

    @field_validator("prefetch_templates")
    @classmethod
    def _check_prefetch_templates(
        cls, value: dict[str, dict[str, str | None]]
    ) -> dict[str, dict[str, str | None]]:
        # Each template on its own here; which service ids and keys exist is the pack's (its
        # hooks), checked where the services are built (cds.services.services_for).
        from cds.hooks.prefetch import declared
        from cds.hooks.templates import REQUIRED_KEPT, check_template

        for service, templates in value.items():
            for key, template in templates.items():
                spec = declared(key)
                if template is None and spec is not None and spec.required:
                    raise ValueError(f"{service}: {REQUIRED_KEPT.format(key=key)}")
                if template is not None or spec is None:
                    try:
                        check_template(key, template or "")
                    except ValueError as exc:
                        raise ValueError(f"{service}: {exc}") from None
        return value

    @field_validator("site_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        zone_of(value)
        return value

    @property
    def timezone(self) -> tzinfo:
        """The site's zone (``site_timezone``) as a tzinfo."""
        return zone_of(self.site_timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `load_settings` merges file, environment and flags itself, in that order.
        return (init_settings,)

    @property
    def external_base_url(self) -> str:
        """The base URL clients call us at, without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def dev_mode(self) -> bool:
        """True when calls are answered without a JWT (no issuers configured)."""
        return not self.jwt_issuers


@functools.cache
def zone_of(name: str) -> tzinfo:
    """The tzinfo of an IANA zone name; ValueError naming it when unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r}: give an IANA name such as 'UTC' or 'America/Chicago'"
        ) from exc
