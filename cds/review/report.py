"""``report.html``: one self-contained page (inline CSS, JS and SVG; nothing fetched).

Bar charts of cards per topic and per indicator, a table of the patients with critical or
warning cards, and each such patient's cards with their evidence, linked by anchors. Every
piece of text from the data is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import orjson

from cds.review.replay import FLAGGED
from cds.review.report_compare import CSS as COMPARE_CSS
from cds.review.report_compare import JS as COMPARE_JS
from cds.review.report_compare import comparison_section

MAX_PATIENTS = 2000
_RANK = {"critical": 0, "warning": 1, "info": 2}
_COLOURS = {"critical": "#b3261e", "warning": "#b26a00", "info": "#1f5fa8"}
_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;color:#1d1d1f;max-width:72rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;
text-align:left;font-size:.9rem}.critical{color:#b3261e;font-weight:600}
.warning{color:#b26a00;font-weight:600}.info{color:#1f5fa8}
.card{border-left:4px solid #ccc;padding:.3rem .8rem;margin:.5rem 0;background:#fafafa}
.card.critical{border-color:#b3261e}.card.warning{border-color:#b26a00}.card.info{border-color:#1f5fa8}
.detail{white-space:pre-wrap;font-size:.85rem;color:#333;font-weight:400}
.meta{color:#666;font-size:.85rem}input{padding:.3rem;width:20rem}
"""
_JS = """
function filterRows(q){q=q.toLowerCase();
for(const r of document.querySelectorAll('#patients tbody tr')){
r.style.display=r.textContent.toLowerCase().includes(q)?'':'none';}}
"""


def write_report(
    out: Path,
    summary: Mapping[str, Any],
    indicators: Mapping[str, str] | None = None,
    compared: Mapping[str, Any] | None = None,
    flagged_lines: Iterable[tuple[str, bytes]] | None = None,
    changed_lines: Sequence[Iterable[tuple[str, bytes]]] | None = None,
) -> Path:
    """Write ``out/report.html`` from the summary and the lines of ``out/cards.ndjson`` with a
    critical or warning card.

    ``indicators`` maps each topic to its indicator (the pack's), for the bar colours;
    ``compared`` is compare.json's content (``--compare``), shown in a comparison section;
    ``flagged_lines`` those lines as (patient reference, line), in the file's order, when the
    caller has them (the shards wrote them apart), else they are read from cards.ndjson; with
    ``compared``, ``changed_lines`` the changed patients' lines under A and under B, likewise
    (else read from cards.ndjson and compare-cards.ndjson).
    """
    lines = _flagged_in(out / "cards.ndjson") if flagged_lines is None else flagged_lines
    flagged, more = _flagged_patients(lines)
    comparison, compared_cards = (
        comparison_section(out, compared, _anchor, _render_lines, changed_lines)
        if compared
        else ("", "")
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>CDS review: {escape(str(summary.get('pack', '')))}</title>",
        f"<style>{_CSS}{COMPARE_CSS if compared else ''}</style>"
        f"<script>{_JS}{COMPARE_JS if compared else ''}</script></head><body>",
        f"<h1>Population review: {escape(str(summary.get('pack', '')))}</h1>",
        _overview(summary),
        "<h2>Cards per topic</h2>",
        _bars(
            summary.get("cards_by_topic", {}),
            {t: _COLOURS.get(i, "#777") for t, i in (indicators or {}).items()},
        ),
        "<h2>Cards per indicator</h2>",
        _bars(summary.get("cards_by_indicator", {}), dict(_COLOURS)),
        comparison,
        _patient_table(flagged, more),
        _patient_sections(flagged),
        compared_cards,
        "</body></html>",
    ]
    path = out / "report.html"
    path.write_text("\n".join(parts), encoding="utf-8")
    return path


def _flagged_patients(
    lines: Iterable[tuple[str, bytes]],
) -> tuple[dict[str, list[dict[str, Any]]], int]:
    """Patients with a critical or warning card (the first MAX_PATIENTS, their lines parsed),
    and how many more."""
    flagged: dict[str, list[dict[str, Any]]] = {}
    more: set[str] = set()
    for patient, raw in lines:
        if patient in flagged or len(flagged) < MAX_PATIENTS:
            flagged.setdefault(patient, []).append(orjson.loads(raw))
        else:
            more.add(patient)
    return flagged, len(more)


_FLAGGED_BYTES = tuple(orjson.dumps(indicator) for indicator in FLAGGED)
"""Each flagged indicator as a cards line spells it ('"critical"'): the prefilter follows
FLAGGED."""


def _flagged_in(cards_path: Path) -> Iterator[tuple[str, bytes]]:
    """(patient reference, line) of each line of a cards file with a critical or warning
    card."""
    with cards_path.open("rb") as fh:
        for raw in fh:
            if not any(marker in raw for marker in _FLAGGED_BYTES):
                continue  # most lines: no need to parse them
            line = orjson.loads(raw)
            if any(c.get("indicator") in FLAGGED for c in line["cards"]):
                yield str(line["patient"]), raw


def _overview(summary: Mapping[str, Any]) -> str:
    lines = summary.get("lines", {})
    patients = summary.get("patients", {})
    rows = [
        ("Patients reviewed", patients.get("reviewed")),
        ("Patients with cards", patients.get("with_cards")),
        ("Hook calls replayed", sum(summary.get("calls", {}).values())),
        ("Cards", summary.get("cards")),
        ("As of", summary.get("as_of")),
        ("Input lines read", lines.get("read")),
        (
            "… used / reference / ignored / errors",
            f"{lines.get('used')} / {lines.get('reference')} / {lines.get('ignored')} / "
            f"{lines.get('errors')}",
        ),
    ]
    body = "".join(f"<tr><th>{escape(str(k))}</th><td>{escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table class='overview'>{body}</table>"


def _bars(counts: Mapping[str, int], colours: Mapping[str, str]) -> str:
    if not counts:
        return "<p class='meta'>No cards.</p>"
    width, bar_h, label_w = 640, 22, 200
    top = max(counts.values()) or 1
    height = bar_h * len(counts) + 10
    items = []
    for i, (name, value) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))):
        y = 5 + i * bar_h
        w = max(1, int((width - label_w - 60) * value / top))
        colour = escape(colours.get(name, "#777"))
        items.append(
            f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end' font-size='12'>"
            f"{escape(name)}</text><rect x='{label_w}' y='{y + 3}' width='{w}' height='{bar_h - 6}'"
            f" fill='{colour}'><title>{escape(name)}: {value}</title></rect>"
            f"<text x='{label_w + w + 6}' y='{y + 15}' font-size='12'>{value}</text>"
        )
    return f"<svg width='{width}' height='{height}' role='img'>{''.join(items)}</svg>"


def _anchor(patient: str) -> str:
    return "p-" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in patient)


def _worst(lines: list[dict[str, Any]]) -> str:
    indicators = [str(c.get("indicator", "info")) for ln in lines for c in ln["cards"]]
    return min(indicators, key=lambda i: _RANK.get(i, 3))


def _patient_table(flagged: dict[str, list[dict[str, Any]]], more: int) -> str:
    rows = []
    order = sorted(flagged, key=lambda p: (_RANK.get(_worst(flagged[p]), 3), p))
    for patient in order:
        lines = flagged[patient]
        worst = _worst(lines)
        topics = sorted(
            {
                c.get("source", {}).get("topic", {}).get("code", "?")
                for ln in lines
                for c in ln["cards"]
                if c.get("indicator") in FLAGGED
            }
        )
        rows.append(
            f"<tr><td><a href='#{_anchor(patient)}'>{escape(patient)}</a></td>"
            f"<td class='{escape(worst)}'>{escape(worst)}</td><td>{escape(', '.join(topics))}</td>"
            f"<td>{len(lines)}</td></tr>"
        )
    note = (
        f"<p class='meta'>{more} more patients with critical or warning cards are in "
        f"cards.ndjson.</p>"
        if more
        else ""
    )
    return (
        f"<h2>Patients with critical or warning cards ({len(flagged) + more})</h2>"
        "<p><input type='search' placeholder='Filter patients or topics' "
        "oninput='filterRows(this.value)' aria-label='Filter'></p>"
        "<table id='patients'><thead><tr><th>Patient</th><th>Worst</th><th>Topics</th>"
        f"<th>Calls with cards</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _patient_sections(flagged: dict[str, list[dict[str, Any]]]) -> str:
    out = ["<h2>Cards and evidence</h2>"]
    for patient in sorted(flagged):
        out.append(f"<section id='{_anchor(patient)}'><h3>{escape(patient)}</h3>")
        out.append(_render_lines(flagged[patient]))
        out.append("<p><a href='#patients'>back to the table</a></p></section>")
    return "".join(out)


def _render_lines(lines: list[dict[str, Any]]) -> str:
    """Card lines (one per call) as HTML: the call, then each card with its detail."""
    if not lines:
        return "<p class='meta'>No cards.</p>"
    out = []
    for line in lines:
        out.append(f"<p class='meta'>{escape(str(line['hook']))} at {escape(str(line['at']))}</p>")
        for card in line["cards"]:
            indicator = escape(str(card.get("indicator", "info")))
            out.append(
                f"<div class='card {indicator}'><div class='{indicator}'>"
                f"{escape(str(card.get('summary', '')))}</div>"
                f"<div class='detail'>{escape(str(card.get('detail', '')))}</div></div>"
            )
    return "".join(out)
