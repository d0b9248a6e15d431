"""The service's commands: `cds serve`, `cds call` and `cds feedback report`."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from cds.errors import InputError, UnknownServiceError

# The HTTP client, JWT and settings modules are imported by the commands that use them: every
# `cds` command (a batch review too) would otherwise pay for them at start.

DEV_KEY = Path("var/dev-key.json")

ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Settings file (YAML or JSON).")
]


def register(app: typer.Typer) -> None:
    """Add `serve`, `call` and the `feedback` group to the `cds` command line."""
    app.command()(serve)
    app.command()(call)
    feedback = typer.Typer(no_args_is_help=True, help="Stored clinician feedback.")
    feedback.command("report")(feedback_report)
    app.add_typer(feedback, name="feedback")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve the CDS Hooks service (uvicorn)."""
    import uvicorn

    from cds.config import load_settings
    from cds.service.app import create_app
    from cds.service.protocol import limited_protocol

    settings = load_settings(config, {"host": host, "port": port})
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = create_app(settings)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        http=limited_protocol(settings),  # request head size and time limits
    )


def call(
    service: Annotated[str, typer.Argument(help="Service id, e.g. back-spasm-order-sign")],
    patient: Annotated[Path, typer.Option("--patient", help="A patient Bundle (JSON).")],
    base: Annotated[str, typer.Option(help="Base URL of the service.")] = "http://127.0.0.1:8080",
    key: Annotated[
        Path | None, typer.Option(help="Private JWK to sign with (default: var/dev-key.json).")
    ] = None,
    iss: Annotated[
        str | None, typer.Option(help="JWT issuer (default: urn:cds:call, as the dev key).")
    ] = None,
    show_request: Annotated[bool, typer.Option(help="Print the request sent.")] = False,
) -> None:
    """Act as an EHR: fill prefetch from the Bundle, sign a JWT, call the service, show cards."""
    import httpx

    from cds.service.client import (
        DEFAULT_ISSUER,
        ServiceClient,
        build_request,
        dev_key,
        format_cards,
        read_jwk,
    )

    bundle = _read_json(patient)
    jwk = read_jwk(key) if key else dev_key(DEV_KEY)
    client = ServiceClient(base, jwk, iss or DEFAULT_ISSUER)
    with httpx.Client(timeout=30) as http:
        entries = {s["id"]: s for s in client.discovery(http).get("services", [])}
        if service not in entries:
            raise UnknownServiceError(f"{base} offers no service '{service}'")
        entry = entries[service]
        request = build_request(entry["hook"], entry.get("prefetch") or {}, bundle)
        if show_request:
            typer.echo(json.dumps(request, indent=2))
        response = client.call(http, service, request)
    typer.echo(format_cards(response))


def feedback_report(config: ConfigOption = None) -> None:
    """Override and acceptance rates per rule and pack version, from stored feedback."""
    from cds.config import load_settings
    from cds.store import Store

    settings = load_settings(config)
    rows = Store(settings.database_url).report()
    if not rows:
        typer.echo("no cards recorded yet")
        return
    typer.echo(
        f"{'pack':<24} {'rule':<32} {'cards':>6} {'accept':>7} {'overr.':>7} {'overr. %':>9}"
    )
    for row in rows:
        rate = "-" if row.override_rate is None else f"{100 * row.override_rate:.0f} %"
        typer.echo(
            f"{row.pack_id + ' ' + row.pack_version:<24} {row.rule_id:<32} {row.cards:>6} "
            f"{row.accepted:>7} {row.overridden:>7} {rate:>9}"
        )


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read JSON from {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path} does not hold a FHIR Bundle")
    return data
