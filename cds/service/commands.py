"""The service's commands: `cds serve`, `cds call`, `cds feedback send` and `report`."""

from __future__ import annotations

import gc
import json
import logging
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cds.errors import InputError, UnknownServiceError

if TYPE_CHECKING:
    from cds.service.client import ServiceClient

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
    feedback = typer.Typer(no_args_is_help=True, help="Clinician feedback: send it, report it.")
    feedback.command("send")(feedback_send)
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
    # The pack, its compiled rulesets, the models and every imported module live as long as the
    # process: moved out of the collector's view, a full collection no longer walks them while
    # every request in flight waits (see the README's performance section).
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        http=limited_protocol(settings),  # request head size and time limits
    )


ServiceArgument = Annotated[str, typer.Argument(help="Service id, e.g. back-spasm-order-sign")]
BaseOption = Annotated[str, typer.Option(help="Base URL of the service.")]
KeyOption = Annotated[
    Path | None, typer.Option(help="Private JWK to sign with (default: var/dev-key.json).")
]
IssOption = Annotated[
    str | None, typer.Option(help="JWT issuer (default: urn:cds:call, as the dev key).")
]
LOCAL = "http://127.0.0.1:8080"


def call(
    service: ServiceArgument,
    patient: Annotated[Path, typer.Option("--patient", help="A patient Bundle (JSON).")],
    base: BaseOption = LOCAL,
    key: KeyOption = None,
    iss: IssOption = None,
    show_request: Annotated[bool, typer.Option(help="Print the request sent.")] = False,
) -> None:
    """Act as an EHR: fill prefetch from the Bundle, sign a JWT, call the service, show the
    cards with their uuids, suggestions, links and override reasons (for `cds feedback send`)."""
    import httpx

    from cds.service.client import build_request, format_cards

    bundle = _read_json(patient)
    client = _client(base, key, iss)
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
    if response.get("cards"):
        typer.echo("\nfeedback: " + feedback_hint(service, base, key, iss))


def feedback_hint(service: str, base: str, key: Path | None, iss: str | None) -> str:
    """The `cds feedback send` command answering a card of this call: the same `--base`,
    `--key` and `--iss` as the call (without them it would sign with the development key,
    and a service trusting only the call's key would refuse it), shell-quoted."""
    same = [("--base", None if base == LOCAL else base), ("--key", key), ("--iss", iss)]
    options = "".join(f" {flag} {shlex.quote(str(value))}" for flag, value in same if value)
    return (
        f"cds feedback send {shlex.quote(service)} --card CARD_UUID{options} "
        "(--accept SUGGESTION_UUID | --override [--reason CODE] [--comment TEXT])"
    )


def feedback_send(
    service: ServiceArgument,
    card: Annotated[str, typer.Option("--card", help="The card's uuid (as `cds call` shows).")],
    accept: Annotated[
        list[str] | None,
        typer.Option(
            "--accept", help="Accepted: the uuid of a suggestion taken (repeat for several)."
        ),
    ] = None,
    override: Annotated[bool, typer.Option("--override", help="Overridden (dismissed).")] = False,
    reason: Annotated[
        str | None,
        typer.Option(help="With --override: a reason code from the card's override reasons."),
    ] = None,
    reason_system: Annotated[
        str | None,
        typer.Option(help="The reason code's system (default: the pack's override reasons')."),
    ] = None,
    comment: Annotated[str | None, typer.Option(help="With --override: a comment.")] = None,
    base: BaseOption = LOCAL,
    key: KeyOption = None,
    iss: IssOption = None,
) -> None:
    """Send feedback on a card, as an EHR does when the user acts on it: accepted with the
    suggestions taken, or overridden with a reason and/or a comment (CDS Hooks 2.0)."""
    import httpx

    from cds.service.client import OVERRIDE_REASON_SYSTEM, feedback_item

    item = feedback_item(
        card,
        accepted=accept or (),
        override=override,
        reason=reason,
        reason_system=reason_system or OVERRIDE_REASON_SYSTEM,
        comment=comment,
    )
    client = _client(base, key, iss)
    with httpx.Client(timeout=30) as http:
        client.feedback(http, service, [item])
    typer.echo(f"feedback sent: card {card} {item['outcome']}")


def _client(base: str, key: Path | None, iss: str | None) -> ServiceClient:
    """A ServiceClient signing with `key`, or the development key (created once)."""
    from cds.service.client import DEFAULT_ISSUER, ServiceClient, dev_key, read_jwk

    jwk = read_jwk(key) if key else dev_key(DEV_KEY)
    return ServiceClient(base, jwk, iss or DEFAULT_ISSUER)


def feedback_report(config: ConfigOption = None) -> None:
    """Override and acceptance rates per rule and pack version, from stored feedback."""
    from cds.config import load_settings
    from cds.store import Store

    settings = load_settings(config, serving=False)
    store = Store(settings.database_url)
    store.check()  # a clear error for a missing file or an unreachable server, nothing created
    try:
        rows = store.report()
    finally:
        store.close()
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
