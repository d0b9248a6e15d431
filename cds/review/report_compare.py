"""The comparison section of ``report.html`` (``cds review --compare B``).

The settings that differ, the cards per topic and per rule as paired bars (A beside B), the
counts per 1,000 patients and per day, a filterable table of the changed cards, and each
changed patient's cards under A and under B side by side, linked from the table by anchors.
Inline SVG, CSS and JS only; every piece of text from the data is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import orjson

from cds.review.compare import CHANGE_KINDS

MAX_PATIENTS = 2000
COLOUR_A = "#8a8f98"
COLOUR_B = "#1f5fa8"
CSS = """
.pair{display:flex;gap:1rem}.pair>div{flex:1;min-width:0}
.legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 1rem}
.up{color:#b3261e}.down{color:#1b7f3b}select{padding:.3rem}
"""
JS = """
function filterChanges(){const q=document.getElementById('change-q').value.toLowerCase();
const k=document.getElementById('change-kind').value;
for(const r of document.querySelectorAll('#changes tbody tr')){
const ok=r.textContent.toLowerCase().includes(q)&&(!k||r.dataset.change===k);
r.style.display=ok?'':'none';}}
"""


def comparison_section(
    out: Path,
    compared: Mapping[str, Any],
    anchor: Any,
    render_cards: Any,
    changed: Sequence[Iterable[tuple[str, bytes]]] | None = None,
) -> tuple[str, str]:
    """The section (shown after the overview's charts) and the changed patients' cards under
    A and B (at the end of the page); ``anchor`` and ``render_cards`` are the report's.
    ``changed``: the changed patients' (patient reference, line) under A and under B, when
    the caller has them; else they are found in cards.ndjson and compare-cards.ndjson."""
    patients = list(compared.get("patients", []))[:MAX_PATIENTS]
    wanted = {str(p["patient"]) for p in patients}
    if changed is None:
        under_a = _lines_of(out / "cards.ndjson", wanted)
        under_b = _lines_of(out / "compare-cards.ndjson", wanted)
    else:
        under_a, under_b = (_lines_among(lines, wanted) for lines in changed)
    a, b = compared["a"], compared["b"]
    parts = [
        "<h2 id='comparison'>Comparison: A beside B</h2>",
        f"<p class='legend'><span style='background:{COLOUR_A}'></span>A: "
        f"{escape(str(a['label']))} ({escape(str(a['pack']))})"
        f"<span style='background:{COLOUR_B}'></span>B: {escape(str(b['label']))} "
        f"({escape(str(b['pack']))})</p>",
        _settings(compared.get("settings_differ", [])),
        _totals(compared),
        _notes(compared.get("notes", [])),
        "<h3>Cards per topic</h3>",
        _paired_bars(compared.get("by_topic", {}), "topics"),
        "<h3>Cards per rule</h3>",
        _paired_bars(
            {k: v for k, v in compared.get("by_rule", {}).items() if v["a"] or v["b"]}, "rules"
        ),
        _change_table(compared, anchor),
    ]
    return "".join(parts), _patient_pairs(patients, under_a, under_b, anchor, render_cards)


def _lines_of(path: Path, patients: set[str]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    if not path.exists():
        return found
    keys = {orjson.dumps(p) for p in patients}  # lines start {"patient":"Patient/x",...
    with path.open("rb") as fh:
        for raw in fh:
            if raw[11 : raw.find(b",", 11)] not in keys:
                continue  # most lines: no need to parse them
            line = orjson.loads(raw)
            found.setdefault(str(line["patient"]), []).append(line)
    return found


def _lines_among(
    lines: Iterable[tuple[str, bytes]], patients: set[str]
) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for patient, raw in lines:
        if patient in patients:
            found.setdefault(patient, []).append(orjson.loads(raw))
    return found


def _settings(rows: Iterable[Mapping[str, Any]]) -> str:
    body = "".join(
        f"<tr><td>{escape(str(r['setting']))}</td><td>{escape(_show(r['a']))}</td>"
        f"<td>{escape(_show(r['b']))}</td></tr>"
        for r in rows
    )
    if not body:
        return (
            "<p id='same-settings' class='meta'>B's effective settings, time zone and pack are "
            "A's: nothing can differ.</p>"
        )
    return (
        "<h3>Settings that differ</h3><table id='settings-differ'><thead><tr><th>Setting</th>"
        f"<th>A</th><th>B</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _notes(notes: Iterable[str]) -> str:
    items = "".join(f"<li>{escape(n)}</li>" for n in notes)
    return f"<h3>What these numbers mean</h3><ul id='compare-notes'>{items}</ul>" if items else ""


def _show(value: Any) -> str:
    return "off" if value is None else str(value)


def _totals(compared: Mapping[str, Any]) -> str:
    span, cards = compared.get("span", {}), compared["cards"]
    changed = compared.get("changed_patients", {})
    rows = [
        ("Cards", cards["a"], cards["b"], cards["difference"]),
        (
            "… per 1,000 patients",
            *(cards["per_1000_patients"][k] for k in ("a", "b", "difference")),
        ),
        (
            f"… per calendar day ({span.get('days')} days of calls, {span.get('timezone')})",
            *(cards["per_day"][k] for k in ("a", "b", "difference")),
        ),
        (
            "Patients with cards",
            compared["patients_with_cards"]["a"],
            compared["patients_with_cards"]["b"],
            compared["patients_with_cards"]["b"] - compared["patients_with_cards"]["a"],
        ),
    ]
    for indicator in ("critical", "warning", "info"):
        row = compared.get("by_indicator", {}).get(indicator)
        if row is not None:
            rows.append((f"… {indicator} cards", row["a"], row["b"], row["difference"]))
    feedback = compared.get("feedback")
    if feedback:
        expected = feedback["expected_overridden"]
        rows.append(
            ("Expected overridden cards", expected["a"], expected["b"], expected["difference"])
        )
    body = "".join(
        f"<tr><th>{escape(str(label))}</th><td>{escape(_show(x))}</td><td>{escape(_show(y))}</td>"
        f"<td class='{_trend(d)}'>{escape(_signed(d))}</td></tr>"
        for label, x, y, d in rows
    )
    kinds = ", ".join(f"{changed[k]} {k}" for k in CHANGE_KINDS if changed.get(k))
    return (
        "<table class='overview' id='compare-totals'><thead><tr><th></th><th>A</th><th>B</th>"
        f"<th>B − A</th></tr></thead><tbody>{body}</tbody></table>"
        f"<p>Patients whose cards change: <strong>{changed.get('total', 0)}</strong>"
        f"{escape(f' ({kinds})' if kinds else '')}.</p>"
    )


def _trend(difference: Any) -> str:
    if not isinstance(difference, int | float) or difference == 0:
        return ""
    return "up" if difference > 0 else "down"


def _signed(value: Any) -> str:
    return "n/a" if value is None else f"{value:+g}"


def _paired_bars(rows: Mapping[str, Mapping[str, Any]], name: str) -> str:
    if not rows:
        return "<p class='meta'>No cards.</p>"
    width, bar_h, label_w = 760, 12, 300
    top = max(max(r["a"], r["b"]) for r in rows.values()) or 1
    order = sorted(rows.items(), key=lambda kv: (-max(kv[1]["a"], kv[1]["b"]), kv[0]))
    items = []
    for i, (label, row) in enumerate(order):
        y = 5 + i * (2 * bar_h + 8)
        items.append(
            f"<text x='{label_w - 6}' y='{y + bar_h + 4}' text-anchor='end' font-size='12'>"
            f"{escape(label)}</text>"
        )
        for j, (side, colour) in enumerate((("a", COLOUR_A), ("b", COLOUR_B))):
            value = int(row[side])
            w = max(1, int((width - label_w - 90) * value / top)) if value else 0
            yy = y + j * bar_h
            items.append(
                f"<rect x='{label_w}' y='{yy}' width='{w}' height='{bar_h - 2}' fill='{colour}'>"
                f"<title>{escape(label)}, {side.upper()}: {value}</title></rect>"
                f"<text x='{label_w + w + 4}' y='{yy + bar_h - 3}' font-size='10'>"
                f"{side.upper()} {value}</text>"
            )
        if row["difference"]:
            items.append(
                f"<text x='{width - 4}' y='{y + bar_h + 4}' text-anchor='end' font-size='12' "
                f"class='{_trend(row['difference'])}'>{row['difference']:+d}</text>"
            )
    height = len(order) * (2 * bar_h + 8) + 10
    return (
        f"<svg id='compare-{name}' width='{width}' height='{height}' role='img' "
        f"aria-label='Cards per {name}, A beside B'>{''.join(items)}</svg>"
    )


def _change_table(compared: Mapping[str, Any], anchor: Any) -> str:
    rows = []
    for patient in compared.get("patients", [])[:MAX_PATIENTS]:
        pid = str(patient["patient"])
        link = anchor("cmp-" + pid)
        for change in patient["changes"]:
            indicator = change["indicator"]
            rows.append(
                f"<tr data-change='{escape(change['change'])}'><td><a href='#{link}'>"
                f"{escape(pid)}</a></td><td>{escape(change['hook'])}</td>"
                f"<td>{escape(change['at'])}</td><td>{escape(change['topic'])}</td>"
                f"<td>{escape(change['change'])}</td>"
                f"<td>{escape(_show(indicator['a']))} → {escape(_show(indicator['b']))}</td>"
                f"<td>{escape(', '.join(change['rules']['a']))}</td>"
                f"<td>{escape(', '.join(change['rules']['b']))}</td>"
                f"<td><a href='#{anchor('ca-' + pid)}'>A</a> · "
                f"<a href='#{anchor('cb-' + pid)}'>B</a></td></tr>"
            )
    total = compared.get("changed_patients", {}).get("total", 0)
    more = total - min(total, MAX_PATIENTS)
    note = f"<p class='meta'>{more} more changed patients are in compare.json.</p>" if more else ""
    options = "".join(f"<option value='{k}'>{k}</option>" for k in CHANGE_KINDS)
    return (
        f"<h3>Changed cards ({len(rows)}, {total} patients)</h3>"
        "<p><input id='change-q' type='search' placeholder='Filter patients, topics, rules' "
        "oninput='filterChanges()' aria-label='Filter changes'> "
        "<select id='change-kind' onchange='filterChanges()' aria-label='Kind of change'>"
        f"<option value=''>every change</option>{options}</select></p>"
        "<table id='changes'><thead><tr><th>Patient</th><th>Hook</th><th>At</th><th>Topic</th>"
        "<th>Change</th><th>Indicator A → B</th><th>Rules under A</th><th>Rules under B</th>"
        f"<th>Cards</th></tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"
    )


def _compared(e: Mapping[str, Any]) -> str:
    """The number the rule compared, in its canonical unit, when it is not what was shown."""
    value, unit = e.get("compared"), e.get("unit")
    if value is None:
        return ""
    recorded = str(e.get("value") or "")
    if recorded.split(" ")[0] == f"{value:g}":
        return ""  # recorded in the unit compared (38.1 Cel, 68 years)
    shown = f"{value:g} {unit}" if unit else f"{value:g}"
    return f", compared as {shown}"


def _when(e: Mapping[str, Any]) -> str:
    time, instant = e.get("time"), e.get("instant")
    if not time:
        return ""
    return f", {time}" + (f", read as {instant}" if instant and instant != time else "")


def _patient_pairs(
    patients: list[Mapping[str, Any]],
    under_a: Mapping[str, list[dict[str, Any]]],
    under_b: Mapping[str, list[dict[str, Any]]],
    anchor: Any,
    render_cards: Any,
) -> str:
    out = ["<h3>Changed patients: cards under A and under B</h3>"]
    for patient in patients:
        pid = str(patient["patient"])
        evidence = sorted(
            {
                f"{e['side'].upper()}: {e['rule']}: {e['what']} {e['value'] or ''}"
                f"{_compared(e)} ({e['resource']}{_when(e)})"
                for c in patient["changes"]
                for e in c["evidence"]
            }
        )
        items = "".join(f"<li>{escape(x)}</li>" for x in evidence)
        out.append(
            f"<section id='{anchor('cmp-' + pid)}' class='compared'><h4>{escape(pid)}</h4>"
            f"<p class='meta'>Evidence that differs:</p><ul>{items}</ul><div class='pair'>"
            f"<div id='{anchor('ca-' + pid)}'><h5>Under A</h5>"
            f"{render_cards(under_a.get(pid, []))}</div>"
            f"<div id='{anchor('cb-' + pid)}'><h5>Under B</h5>"
            f"{render_cards(under_b.get(pid, []))}</div></div>"
            "<p><a href='#changes'>back to the changes</a></p></section>"
        )
    return "".join(out)
