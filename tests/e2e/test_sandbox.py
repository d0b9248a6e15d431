"""The official CDS Hooks Sandbox, a client nobody here wrote, against our real service.

Three real servers on loopback: the Sandbox's production build (`../shared/cds-hooks/sandbox/
build`, a static server), sekmet-fhir with the test patients (`sandbox_patients.py`), and
`cds serve` (uvicorn) trusting the Sandbox's issuer with its public key configured inline, so
its `jku` (on a host unreachable offline) is never fetched. Debian's Chromium, driven by
Playwright, plays the clinician. Every browser request whose host is not loopback is aborted
and listed in the test output (the Sandbox's README makes loopback-only networking a MUST).

The Sandbox renders a failed call (401, 412, CORS) as "No recommendations", the same as a
patient with nothing to flag, so the test checks the service's answers themselves (status and
cards), the page, and the service log (every call verified with the Sandbox's key).
Screenshots go to `test-artifacts/sandbox/` (gitignored).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Request, Response, Route, sync_playwright

from tests.e2e.sandbox_patients import CKD_WARFARIN, RED_FLAG, transaction
from tests.support.cds_server import CdsServer, run_cds_server
from tests.support.fhir_server import FhirServer, run_fhir_server

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SANDBOX = Path(
    os.environ.get("SANDBOX_BUILD", ROOT.parent / "shared" / "cds-hooks" / "sandbox" / "build")
)
SANDBOX_KEYS = ROOT.parent / "shared" / "cds-hooks" / "examples"
SANDBOX_JWKS = SANDBOX_KEYS / "jwt--jwks-public--cds-hooks-sandbox.json"
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
ARTIFACTS = ROOT / "test-artifacts" / "sandbox"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
CHROMIUM = shutil.which("/usr/bin/chromium") or shutil.which("chromium")
#: The machine notes' flags: no GPU, no QUIC, nothing fetched in the background.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVICES = {
    "back-spasm-patient-view",
    "back-spasm-order-select",
    "back-spasm-order-sign",
    "back-spasm-encounter-discharge",
}
TIMEOUT_MS = 15_000

if CHROMIUM is None and os.environ.get("CDS_REQUIRE_BROWSER") == "1":
    pytest.fail("chromium is not installed and CDS_REQUIRE_BROWSER=1 (CI): `make browser`")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed: `make browser` installs it (Debian, as root)",
        allow_module_level=True,
    )


# --- the three servers ------------------------------------------------------------------------


class _Static(SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sandbox_origin() -> Iterator[str]:
    if not (SANDBOX / "index.html").is_file() or not SANDBOX_JWKS.is_file():
        pytest.fail(
            f"the CDS Hooks Sandbox build is not at {SANDBOX} (or its JWKS at {SANDBOX_JWKS}): "
            "it lives in ../shared/cds-hooks/sandbox/ beside the repository; SANDBOX_BUILD "
            "names another build folder"
        )
    handler = functools.partial(_Static, directory=str(SANDBOX))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def fhir() -> Iterator[FhirServer]:
    # the Sandbox sends no token to the FHIR server: reads must be open
    with run_fhir_server("sandbox-test-token", anonymous_reads=True) as server:
        server.transaction(transaction())
        yield server


@pytest.fixture(scope="module")
def service(
    tmp_path_factory: pytest.TempPathFactory, fhir: FhirServer, sandbox_origin: str
) -> Iterator[CdsServer]:
    settings = {
        # the Sandbox's public key, configured: its jku is never needed (nor reachable)
        "jwt_issuers": [{"iss": SANDBOX_ISS, "jwks": json.loads(SANDBOX_JWKS.read_text())}],
        "cors_origins": [sandbox_origin],
        "fhir_server_allowlist": [fhir.base_url + "/"],
        "log_level": "debug",  # one "verified a call" line per accepted JWT
    }
    with run_cds_server(tmp_path_factory.mktemp("sandbox-service"), settings) as server:
        yield server


# --- the browser, loopback only --------------------------------------------------------------


@dataclass
class Exchange:
    """What the browser sent the service and what the service answered."""

    requests: list[Request] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)

    def posts(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.method == "POST" and r.url.endswith(path)]


def _guard(exchange: Exchange, route: Route) -> None:
    """Loopback only: anything else is aborted before it leaves the browser, and listed."""
    host = urllib.parse.urlsplit(route.request.url).hostname or ""
    if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
        route.continue_()
    else:
        exchange.aborted.append(route.request.url)
        route.abort("blockedbyclient")


@dataclass
class Browser:
    page: Page
    exchange: Exchange


@pytest.fixture(scope="module")
def browser(service: CdsServer) -> Iterator[Any]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


def open_screen(
    browser: Any, origin: str, fhir: FhirServer, service: CdsServer, screen: str, patient: str
) -> Browser:
    """A fresh context (no state from another screen) on one of the Sandbox's screens, every
    address pointed at loopback by URL parameters, every request guarded and recorded."""
    exchange = Exchange()
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    context.route("**/*", functools.partial(_guard, exchange))
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)

    def record(request: Request) -> None:
        if request.url.startswith(service.base) and request.method != "OPTIONS":
            exchange.requests.append(request)

    def answered(response: Response) -> None:
        if response.url.startswith(service.base) and response.request.method != "OPTIONS":
            exchange.responses.append(response)

    page.on("request", record)
    page.on("response", answered)
    hook = {"patient-view": "patient-view", "rx-view": "order-select", "pama": "order-select"}
    query = urllib.parse.urlencode(
        {
            "fhirServiceUrl": fhir.base_url,
            "patientId": patient,
            "serviceDiscoveryURL": service.url("/cds-services"),
            "hook": hook[screen],
            "screen": screen,
        }
    )
    page.goto(f"{origin}/?{query}")
    return Browser(page, exchange)


def service_call(page: Page, service: CdsServer, sid: str, action: Any) -> dict[str, Any]:
    """Run `action` and return the service's answer to the hook call it causes (200 asserted:
    a failure would render as "No recommendations")."""
    with page.expect_response(
        lambda r: r.url == service.url(f"/cds-services/{sid}") and r.request.method == "POST"
    ) as info:
        action()
    response = info.value
    assert response.status == 200, f"{sid}: {response.status} {response.text()[:500]}"
    body: dict[str, Any] = response.json()
    return body


def topics(answer: dict[str, Any]) -> list[str]:
    return [c["source"]["topic"]["code"] for c in answer["cards"]]


def shot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))  # the viewport: full_page misplaces the sticky header
    return path


# --- the test --------------------------------------------------------------------------------


def test_the_sandbox_drives_our_service_end_to_end(
    browser: Any,
    sandbox_origin: str,
    fhir: FhirServer,
    service: CdsServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log_start = len(service.log.read_text(errors="replace"))  # after the start-up probes
    screens: list[Browser] = []

    # 1. Patient View, red-flag patient: discovery, then the emergency and urgent cards
    pv = "back-spasm-patient-view"
    view = open_screen(browser, sandbox_origin, fhir, service, "patient-view", RED_FLAG)
    screens.append(view)
    page = view.page
    answer = _first_answer(view, service, pv)  # discovery listed our four services first
    assert sorted(topics(answer)) == ["emergency-sign", "urgent-sign"], topics(answer)
    for card in answer["cards"]:
        page.get_by_text(card["summary"], exact=True).wait_for()
    assert page.get_by_text("No recommendations").count() == 0
    shots = [shot(page, "1-patient-view-red-flag")]

    # overriding the urgent card with a reason sends `overridden` feedback
    urgent = next(c for c in answer["cards"] if c["source"]["topic"]["code"] == "urgent-sign")
    reason = urgent["overrideReasons"][0]
    with page.expect_response(lambda r: r.url.endswith(f"/{pv}/feedback")) as sent:
        # the arrow beside the urgent card's "Dismiss" (one per card, in the answer's order)
        arrows = page.get_by_role("button", name="select dismiss reason")
        arrows.nth(answer["cards"].index(urgent)).click()
        page.get_by_role("menuitem", name=f"Override: {reason['display']}", exact=True).click()
    assert sent.value.status == 200
    overridden = json.loads(sent.value.request.post_data or "{}")["feedback"][0]
    assert overridden["outcome"] == "overridden" and overridden["card"] == urgent["uuid"]
    assert overridden["overrideReason"]["reason"]["code"] == reason["code"]
    shots.append(shot(page, "2-patient-view-overridden"))

    # 2. Rx View, CKD + warfarin: an NSAID draft gets the caution and the swap; taking it
    # leaves an acetaminophen order
    rx = open_screen(browser, sandbox_origin, fhir, service, "rx-view", CKD_WARFARIN)
    screens.append(rx)
    page = rx.page
    sel = "back-spasm-order-select"
    _first_answer(rx, service, sel)  # the screen calls once with no medicine chosen
    page.fill('input[name="medication-input"]', "ibuprofen 600")
    answer = service_call(
        page,
        service,
        sel,
        lambda: page.get_by_text("Ibuprofen 600 MG Oral Tablet", exact=True).click(),
    )
    assert topics(answer) == ["analgesic-caution"], topics(answer)
    (caution,) = answer["cards"]
    assert "Takes a blood thinner" in caution["summary"]  # bleeding first, then the kidneys
    assert "Kidney disease" in caution["detail"]
    (swap,) = [s for s in caution.get("suggestions", []) if "acetaminophen" in s["label"]]
    page.get_by_text(caution["summary"], exact=True).wait_for()
    shots.append(shot(page, "3-rx-view-nsaid-caution"))
    with page.expect_response(lambda r: r.url.endswith(f"/{sel}/feedback")) as sent:
        after = service_call(
            page,
            service,
            sel,
            lambda: page.get_by_role("button", name=swap["label"], exact=True).click(),
        )
    assert sent.value.status == 200
    accepted = json.loads(sent.value.request.post_data or "{}")["feedback"][0]
    assert accepted["outcome"] == "accepted" and accepted["card"] == caution["uuid"]
    assert accepted["acceptedSuggestions"] == [{"id": swap["uuid"]}]
    # the order the Sandbox now holds (and sent us) is acetaminophen, not the NSAID
    draft = json.loads(rx.exchange.posts(f"/{sel}")[-1].post_data or "{}")["context"]
    (order,) = [e["resource"] for e in draft["draftOrders"]["entry"]]
    medicine = order["medicationCodeableConcept"]
    assert medicine["text"] == "Acetaminophen"
    assert [(c["system"], c["code"]) for c in medicine["coding"]] == [
        ("http://www.nlm.nih.gov/research/umls/rxnorm", "161")
    ]
    assert not [s for c in after["cards"] for s in c.get("suggestions", [])]  # nothing to swap
    page.get_by_text(re.compile(r"^Acetaminophen, on ")).first.wait_for()
    shots.append(shot(page, "4-rx-view-after-swap"))

    # 3. PAMA imaging: a lumbar MRI draft without a supporting criterion gets the imaging card
    pama = open_screen(browser, sandbox_origin, fhir, service, "pama", CKD_WARFARIN)
    screens.append(pama)
    page = pama.page
    _first_answer(pama, service, sel)
    page.get_by_text("Search orders").click()
    page.keyboard.type("lumbar")
    mri = (
        "Magnetic resonance (eg, proton) imaging, spinal canal and contents, lumbar; "
        "without contrast material"
    )
    answer = service_call(page, service, sel, lambda: page.get_by_text(mri, exact=True).click())
    assert topics(answer) == ["imaging-not-indicated"], topics(answer)
    page.get_by_text(answer["cards"][0]["summary"], exact=True).wait_for()
    shots.append(shot(page, "5-pama-imaging"))

    # 4. Feedback is stored: `cds feedback report` counts the acceptance and the override
    report = subprocess.run(
        [sys.executable, "-m", "cds", "feedback", "report", "--config", str(service.config)],
        cwd=service.config.parent,
        env={**_env(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    rows = {line.split()[2]: line.split()[3:] for line in report.splitlines()[1:]}
    assert rows["urg-fever-measured"][2] == "1", report  # overridden
    assert rows["caution-kidney-disease"][1] == "1", report  # accepted

    # 5. Every call was verified with the Sandbox's key (configured, never its jku), none
    # refused; each answer above was a 200
    sent_calls = [r for s in screens for r in s.exchange.requests]
    log = service.log.read_text(errors="replace")[log_start:]
    verified = re.findall(
        r"verified a call to (\S+): iss https://sandbox\.cds-hooks\.org, kid (\S+), "
        r"key from configured jwks",
        log,
    )
    assert len(verified) == len(sent_calls), (len(verified), len(sent_calls))
    assert sorted(aud for aud, _ in verified) == sorted(r.url for r in sent_calls)
    assert {kid for _, kid in verified} == {_sandbox_kid()}
    assert "refused a call" not in log, log
    assert all(r.status == 200 for s in screens for r in s.exchange.responses)

    aborted = [url for s in screens for url in s.exchange.aborted]
    with capsys.disabled():
        print(f"\n[sandbox] screenshots: {ARTIFACTS}")
        for path in shots:
            print(f"[sandbox]   {path.name}")
        print(f"[sandbox] {len(sent_calls)} calls to the service, all JWT-verified (ES384)")
        print(f"[sandbox] aborted (not loopback): {len(aborted)}")
        for url in aborted:
            print(f"[sandbox]   {url}")
    assert all(urllib.parse.urlsplit(u).hostname not in LOOPBACK for u in aborted)
    for screen in screens:
        screen.page.context.close()


def _first_answer(view: Browser, service: CdsServer, sid: str) -> dict[str, Any]:
    """The answer to the first hook call a freshly opened screen makes (after discovery)."""
    discovery = _answer(view, service.url("/cds-services"), "GET")
    assert {s["id"] for s in discovery["services"]} == SERVICES
    return _answer(view, service.url(f"/cds-services/{sid}"), "POST")


def _answer(view: Browser, url: str, method: str) -> dict[str, Any]:
    """The service's first answer to `method url` on this screen, 200 asserted (a refusal
    would render as "No recommendations", or as no service at all)."""
    for response in view.exchange.responses:
        if response.url == url and response.request.method == method:
            break
    else:
        response = view.page.wait_for_event(
            "response", lambda r: r.url == url and r.request.method == method
        )
    assert response.status == 200, f"{method} {url}: {response.status} {response.text()[:500]}"
    body: dict[str, Any] = response.json()
    return body


def _sandbox_kid() -> str:
    kid: str = json.loads(SANDBOX_JWKS.read_text())["keys"][0]["kid"]
    return kid


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
