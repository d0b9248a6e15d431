"""A small CDS Client (what an EHR does), for `cds call`, `cds feedback send`, tests and
benchmarks.

It fills a service's prefetch templates from a patient Bundle, takes the Bundle's draft orders
as `draftOrders`, signs each call with an ES384 JWT, and sends it; it sends feedback on the
cards the same way.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qsl

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from cds.errors import CdsError, InputError
from cds.facts.gather import bundle_resources
from cds.fhir import Resource, bundle
from cds.hooks.registry import ORDER_HOOKS
from cds.hooks.wire import UUID_PATTERN
from cds.pack.schema import OverrideReasonSpec
from cds.service.prefetch import Unavailable, render

DEFAULT_ISSUER: Final = "urn:cds:call"
#: The code system of a pack's override reasons unless the pack names another.
OVERRIDE_REASON_SYSTEM: Final = str(OverrideReasonSpec.model_fields["system"].default)


def new_private_jwk(kid: str | None = None) -> dict[str, Any]:
    """A fresh P-384 private key as a JWK (alg ES384)."""
    key = ec.generate_private_key(ec.SECP384R1())
    jwk: dict[str, Any] = json.loads(ECAlgorithm.to_jwk(key))
    return {**jwk, "kid": kid or uuid.uuid4().hex[:16], "alg": "ES384", "use": "sig"}


def public_jwks(private_jwk: Mapping[str, Any]) -> dict[str, Any]:
    """The JWK Set that publishes the public half of `private_jwk`."""
    return {"keys": [{k: v for k, v in private_jwk.items() if k != "d"}]}


def dev_key(path: Path) -> dict[str, Any]:
    """The development signing key at `path`, created (with its public JWKS beside it) if absent."""
    if path.exists():
        return read_jwk(path)
    jwk = new_private_jwk()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(jwk, indent=2))
    path.chmod(0o600)
    path.with_name("dev-jwks.json").write_text(json.dumps(public_jwks(jwk), indent=2))
    return jwk


def read_jwk(path: Path) -> dict[str, Any]:
    try:
        jwk: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read a JWK from {path}: {exc}") from exc
    if "d" not in jwk or "kid" not in jwk:
        raise InputError(f"{path} is not a private JWK with a kid")
    return jwk


def sign(private_jwk: Mapping[str, Any], iss: str, aud: str, lifetime: int = 300) -> str:
    """A CDS Hooks client JWT for one call to `aud`."""
    alg = str(private_jwk.get("alg", "ES384"))
    key = jwt.PyJWK(dict(private_jwk), algorithm=alg)
    now = int(time.time())
    claims = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key.key, algorithm=alg, headers={"kid": private_jwk["kid"]})


def build_request(
    hook: str, templates: Mapping[str, str], record: Resource, user: str = "Practitioner/cds-call"
) -> dict[str, Any]:
    """A hook request for the patient in `record` (a Bundle), prefetch filled from its
    resources."""
    resources = bundle_resources(record, "patient bundle")
    patient = _first(resources, "Patient")
    if patient is None or not patient.get("id"):
        raise InputError("the patient bundle has no Patient with an id")
    context: dict[str, Any] = {"userId": user, "patientId": patient["id"]}
    encounter = _first(resources, "Encounter")
    if encounter is not None and encounter.get("id"):
        context["encounterId"] = encounter["id"]
    elif hook == "encounter-discharge":
        raise InputError("encounter-discharge needs an Encounter in the patient bundle")
    drafts = [r for r in resources if r.get("status") == "draft"]
    if hook in ORDER_HOOKS:
        context["draftOrders"] = bundle(drafts, "collection")
        if hook == "order-select":
            context["selections"] = [f"{d['resourceType']}/{d['id']}" for d in drafts]
    others = [r for r in resources if r.get("status") != "draft"]
    prefetch = {}
    for key, template in templates.items():
        try:
            query = render(template, context)
        except Unavailable:  # a token this call's context lacks (no encounter): not sent
            continue
        prefetch[key] = resolve_template(query, others)
    return {
        "hook": hook,
        "hookInstance": str(uuid.uuid4()),
        "context": context,
        "prefetch": prefetch,
    }


def resolve_template(query: str, resources: Sequence[Resource]) -> Resource | None:
    """Answer a rendered prefetch query from local resources: a read, or a searchset Bundle.

    Only `status` is applied as a filter; `patient`, `_sort` and `_count` need no work because
    a patient Bundle holds one patient's data.
    """
    path, _, query_string = query.partition("?")
    rtype, _, rid = path.partition("/")
    if rid:
        match = [r for r in resources if r["resourceType"] == rtype and r.get("id") == rid]
        return match[0] if match else None
    params = dict(parse_qsl(query_string))
    statuses = set(params["status"].split(",")) if "status" in params else None
    found = [
        r
        for r in resources
        if r["resourceType"] == rtype and (statuses is None or r.get("status") in statuses)
    ]
    return bundle(found, "searchset")


def _first(resources: Sequence[Resource], rtype: str) -> Resource | None:
    return next((r for r in resources if r["resourceType"] == rtype), None)


class ServiceClient:
    """Calls one CDS service base URL with signed JWTs."""

    def __init__(self, base: str, private_jwk: Mapping[str, Any], iss: str = DEFAULT_ISSUER):
        self.base = base.rstrip("/")
        self.private_jwk = private_jwk
        self.iss = iss

    def _call(self, client: httpx.Client, method: str, path: str, body: Any = None) -> Any:
        url = f"{self.base}{path}"
        headers = {"Authorization": f"Bearer {sign(self.private_jwk, self.iss, url)}"}
        try:
            response = client.request(method, url, json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise CdsError(f"cannot reach {url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise CdsError(f"{url} answered {response.status_code}: {_diagnostics(response)}")
        return response.json()

    def discovery(self, client: httpx.Client) -> dict[str, Any]:
        body: dict[str, Any] = self._call(client, "GET", "/cds-services")
        return body

    def call(self, client: httpx.Client, service_id: str, request: Any) -> dict[str, Any]:
        body: dict[str, Any] = self._call(client, "POST", f"/cds-services/{service_id}", request)
        return body

    def feedback(
        self, client: httpx.Client, service_id: str, items: Sequence[Mapping[str, Any]]
    ) -> None:
        """POST feedback items to the service's feedback endpoint (CDS Hooks 2.0)."""
        self._call(client, "POST", f"/cds-services/{service_id}/feedback", {"feedback": items})


def feedback_item(
    card: str,
    accepted: Sequence[str] = (),
    override: bool = False,
    reason: str | None = None,
    reason_system: str = OVERRIDE_REASON_SYSTEM,
    comment: str | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """One feedback item: the card accepted (with the ids of the suggestions taken) or
    overridden (with a reason code from the card's list and/or a comment); InputError for a
    combination the spec does not allow."""
    if not card:
        raise InputError("feedback needs the card's uuid (--card)")
    if bool(accepted) == override:
        raise InputError("say either --accept SUGGESTION_UUID or --override, not both or neither")
    if (reason or comment) and not override:
        raise InputError("--reason and --comment go with --override")
    # only the uuids the service issues: refused here (exit 2), not as the server's 400 (exit 1)
    if not UUID_PATTERN.fullmatch(card):
        raise InputError("--card must be the uuid of a card (as `cds call` shows it)")
    if any(not UUID_PATTERN.fullmatch(s) for s in accepted):
        raise InputError("--accept must be the uuid of a suggestion of the card")
    when = (at or datetime.now(UTC)).isoformat(timespec="seconds").replace("+00:00", "Z")
    item: dict[str, Any] = {"card": card, "outcomeTimestamp": when}
    if accepted:
        item["outcome"] = "accepted"
        item["acceptedSuggestions"] = [{"id": s} for s in accepted]
        return item
    item["outcome"] = "overridden"
    why: dict[str, Any] = {}
    if reason:
        why["reason"] = {"code": reason, "system": reason_system}
    if comment:
        why["userComment"] = comment
    if why:  # an override may give no reason at all (spec: overrideReason is optional)
        item["overrideReason"] = why
    return item


def _diagnostics(response: httpx.Response) -> str:
    try:
        body = response.json()
        return "; ".join(str(i.get("diagnostics", i.get("code"))) for i in body["issue"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return response.text[:300] or "(no body)"


def format_cards(response: Mapping[str, Any]) -> str:
    """Cards as text a person reads: indicator and summary, the card's uuid, the detail
    indented, then its suggestions (uuid and label), links and override reason codes: what
    `cds feedback send` needs to answer the card."""
    cards = response.get("cards") or []
    if not cards:
        return "no cards"
    blocks = []
    for card in cards:
        lines = [f"[{str(card.get('indicator', '')).upper()}] {card.get('summary', '')}"]
        lines.append(f"    card: {card.get('uuid') or '(no uuid: feedback cannot name it)'}")
        lines += [f"    {line}".rstrip() for line in (card.get("detail") or "").splitlines()]
        for suggestion in card.get("suggestions") or []:
            star = " (recommended)" if suggestion.get("isRecommended") else ""
            uuid_ = suggestion.get("uuid") or "(no uuid)"
            lines.append(f"    suggestion {uuid_}: {suggestion.get('label', '')}{star}")
        for link in card.get("links") or []:
            lines.append(f"    link: {link.get('label', '')} <{link.get('url', '')}>")
        reasons = card.get("overrideReasons") or []
        if reasons:
            codes = ", ".join(f"{r.get('code')} ({r.get('display', '')})" for r in reasons)
            lines.append(f"    override reasons: {codes}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
