"""``report.html`` in headless Chromium: no console messages, the page renders, its script runs.

Chromium is run as a plain subprocess (no extra Python packages): ``--enable-logging=stderr``
writes every console message and uncaught exception of the page to stderr as a ``CONSOLE`` line,
``--dump-dom`` prints the DOM after the page's scripts ran, and ``--screenshot`` writes a PNG.
The stderr log does not tell console.log from console.error, so any console line fails the
test: the report writes nothing to the console. `make browser` installs Chromium (Debian, root);
without it these tests are skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import orjson
import pytest

from tests.review.helpers import SAMPLE, review

pytestmark = pytest.mark.integration

CHROMIUM = next(
    (
        found
        for name in ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
        if (found := shutil.which(name))
    ),
    None,
)
_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]
# [pid:tid:time:INFO:CONSOLE:1] "message", source: file:///.../report.html (12)
# (older builds write CONSOLE(12) instead of CONSOLE:12)
_CONSOLE = re.compile(r':CONSOLE[:(]\d*\)?\] "(?P<message>.*)", source: (?P<source>.*)$', re.M)

if CHROMIUM is None and os.environ.get("CDS_REQUIRE_BROWSER") == "1":
    pytest.fail("chromium is not installed and CDS_REQUIRE_BROWSER=1 (CI): `make browser`")
if CHROMIUM is None:
    pytest.skip(
        "chromium is not installed: `make browser` installs it (Debian, as root)",
        allow_module_level=True,
    )


def chromium(page: Path, work: Path, *args: str) -> tuple[str, list[str]]:
    """Open ``page`` in a fresh headless profile; its stdout and its console messages."""
    profile = work / f"profile-{len(list(work.glob('profile-*')))}"
    profile.mkdir(parents=True)
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return done.stdout, [f"{m['message']} ({m['source']})" for m in _CONSOLE.finditer(done.stderr)]


def with_script(report: Path, script: str, name: str) -> Path:
    """A copy of the report, beside it, with ``script`` run at the end of the body."""
    html = report.read_text(encoding="utf-8")
    assert html.endswith("</body></html>")
    copy = report.with_name(name)
    copy.write_text(html.replace("</body></html>", f"<script>{script}</script></body></html>"))
    return copy


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``cds review fhir_examples/bulk --out tmp``; the report.html path."""
    out = tmp_path_factory.mktemp("review")
    review([SAMPLE], out, workers=1)
    return out / "report.html"


def _patient_rows(dom: str) -> list[str]:
    body = re.search(r"<table id=\"patients\">.*?<tbody>(.*?)</tbody>", dom, re.S)
    assert body, "the patient table is in the DOM"
    return re.findall(r"<tr[^>]*>.*?</tr>", body[1], re.S)


def test_report_opens_without_console_messages_and_renders(report: Path, tmp_path: Path) -> None:
    dom, console = chromium(report, tmp_path, "--dump-dom")
    assert console == [], console
    summary = orjson.loads((report.parent / "summary.json").read_bytes())
    # the two bar charts: one bar per topic and one per indicator
    assert dom.count("<svg") == 2
    bars = len(summary["cards_by_topic"]) + len(summary["cards_by_indicator"])
    assert bars > 2
    assert dom.count("<rect") == bars
    rows = _patient_rows(dom)
    heading = re.search(r"Patients with critical or warning cards \((\d+)\)", dom)
    assert heading and len(rows) == int(heading[1]) > 0
    assert dom.count("<section id=") == len(rows)
    assert "display: none" not in dom


def test_filter_script_runs_in_the_browser(report: Path, tmp_path: Path) -> None:
    """The page's own script, run by Chromium: filtering hides the rows without 'critical'."""
    page = with_script(report, "filterRows('CRITICAL')", "filtered.html")
    dom, console = chromium(page, tmp_path, "--dump-dom")
    assert console == [], console
    rows = _patient_rows(dom)
    hidden = [r for r in rows if "display: none" in r]
    shown = [r for r in rows if "display: none" not in r]
    assert shown and hidden
    assert all("critical" in r for r in shown)
    assert not any(">critical<" in r for r in hidden)


def test_a_script_error_in_the_page_is_caught(report: Path, tmp_path: Path) -> None:
    """The check above can fail: an error injected into a copy of the report is seen."""
    page = with_script(report, "console.error('injected'); notAFunction();", "broken.html")
    dom, console = chromium(page, tmp_path, "--dump-dom")
    assert "Population review" in dom
    assert any("injected" in c for c in console), console
    assert any("Uncaught ReferenceError: notAFunction is not defined" in c for c in console)
    assert all("broken.html" in c for c in console), console


def test_screenshot_is_a_full_page_png(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _, console = chromium(report, tmp_path, f"--screenshot={shot}", "--window-size=1280,1600")
    assert console == [], console
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (1280, 1600)
    # a blank 1280x1600 page is a few kB; the charts, table and text make it far larger
    assert len(png) > 50_000, len(png)


# ---------------------------------------------------------------------------------------------
# The comparison section (``--compare``)


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``cds review fhir_examples/bulk --compare fhir_examples/compare/imaging-age-50.yaml``."""
    from cds.review.compare import Side, load_counterpart, side_of

    out = tmp_path_factory.mktemp("compared")
    target = SAMPLE.parent / "compare" / "imaging-age-50.yaml"
    review([SAMPLE], out, workers=1, compare=load_counterpart(side_of(target, Side("A", None))))
    return out / "report.html"


def _change_rows(dom: str) -> list[str]:
    body = re.search(r"<table id=\"changes\">.*?<tbody>(.*?)</tbody>", dom, re.S)
    assert body, "the table of changes is in the DOM"
    return re.findall(r"<tr[^>]*>.*?</tr>", body[1], re.S)


def test_comparison_section_renders_charts_table_and_both_sides(
    compared: Path, tmp_path: Path
) -> None:
    dom, console = chromium(compared, tmp_path, "--dump-dom")
    assert console == [], console
    doc = orjson.loads((compared.parent / "compare.json").read_bytes())
    assert "Comparison: A beside B" in dom
    settings = re.search(r"<table id=\"settings-differ\">(.*?)</table>", dom, re.S)
    assert settings and "imaging_age_years" in settings[1] and "off" in settings[1]
    # paired bars: one for A and one for B per topic, and per rule with cards
    topics = re.search(r"<svg id=\"compare-topics\".*?</svg>", dom, re.S)
    assert topics and topics[0].count("<rect") == 2 * len(doc["by_topic"])
    rules = re.search(r"<svg id=\"compare-rules\".*?</svg>", dom, re.S)
    with_cards = [r for r, row in doc["by_rule"].items() if row["a"] or row["b"]]
    assert rules and rules[0].count("<rect") == 2 * len(with_cards)
    assert "imaging-supported-age" in rules[0]
    # what the numbers mean, and every kind of change in the menu
    notes = re.search(r"<ul id=\"compare-notes\">(.*?)</ul>", dom, re.S)
    assert notes and notes[1].count("<li>") == len(doc["notes"]) >= 4
    assert "replayed calls only" in notes[1] and "calendar days" in notes[1]
    assert '<option value="replaced">replaced</option>' in dom
    rows = _change_rows(dom)
    assert len(rows) == sum(len(p["changes"]) for p in doc["patients"]) > 0
    # every link of the table leads to a section of the page: the patient, A's and B's cards
    targets = {t for row in rows for t in re.findall(r"href=\"#([^\"]+)\"", row)}
    ids = set(re.findall(r" id=\"([^\"]+)\"", dom))
    assert targets and targets <= ids
    assert sum(t.startswith("p-ca-") for t in targets) == doc["changed_patients"]["total"]
    # a silenced imaging-not-indicated card: under A, not under B
    pid = next(
        p["patient"]
        for p in doc["patients"]
        if any(c["change"] == "silenced" for c in p["changes"])
    )
    anchor = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in pid)
    pair = re.search(rf"<section id=\"p-cmp-{anchor}\".*?</section>", dom, re.S)
    assert pair is not None
    under_a, under_b = pair[0].split("<h5>Under B</h5>")
    assert "Imaging" in under_a and "imaging-not-indicated" in under_a
    assert "imaging-not-indicated" not in under_b and "imaging-supported-age" in under_b


def test_comparison_filter_runs_in_the_browser(compared: Path, tmp_path: Path) -> None:
    script = "document.getElementById('change-kind').value='silenced'; filterChanges();"
    dom, console = chromium(with_script(compared, script, "silenced.html"), tmp_path, "--dump-dom")
    assert console == [], console
    rows = _change_rows(dom)
    shown = [r for r in rows if "display: none" not in r]
    hidden = [r for r in rows if "display: none" in r]
    assert shown and hidden
    assert all('data-change="silenced"' in r for r in shown)
    assert not any('data-change="silenced"' in r for r in hidden)
    script = "document.getElementById('change-q').value='AGE'; filterChanges();"
    dom, console = chromium(with_script(compared, script, "age.html"), tmp_path, "--dump-dom")
    assert console == [], console
    shown = [r for r in _change_rows(dom) if "display: none" not in r]
    assert shown and all("imaging-supported-age" in r for r in shown)
