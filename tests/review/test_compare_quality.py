"""Tests for the quality review of ``cds review --compare B`` (issue 13): B layered on A, the
feedback counted per card, calendar days, per-indicator rows, "replaced" changes, notes, the
same settings said plainly, the compared value and instant in the evidence, and bad inputs.
"""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from cds.cli import app, main
from cds.hooks.feedback import AcceptedSuggestion, FeedbackItem
from cds.review.compare import Side, load_counterpart, side_of
from cds.review.local import ReviewOptions, run_review
from cds.review.progress import LogReporter
from cds.store import CardRecord, Store
from tests.review.helpers import SAMPLE

EXAMPLES = Path(__file__).resolve().parents[2] / "fhir_examples" / "compare"


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _run(tmp: Path, args: list[str]) -> tuple[Any, dict[str, Any]]:
    """``cds review SAMPLE --out tmp/out ARGS`` in process: (the result, compare.json)."""
    out = tmp / "out"
    result = CliRunner().invoke(
        app, ["review", str(SAMPLE), "--out", str(out), "--workers", "1", *args]
    )
    assert result.exit_code == 0, result.output
    return result, orjson.loads((out / "compare.json").read_bytes())


# 1. B is layered on A ---------------------------------------------------------------------


def test_b_overrides_only_what_it_sets_on_top_of_a(tmp_path: Path) -> None:
    config_a = _write(
        tmp_path / "a.yaml",
        "site_timezone: America/Chicago\nsite: {vital_sign_window_hours: 48, gcs_below: 14}\n",
    )
    config_b = _write(tmp_path / "b.yaml", "site: {fever_celsius: 38.3}\n")
    _, doc = _run(tmp_path, ["--config", str(config_a), "--compare", str(config_b)])
    # only the setting B gives differs: A's window, GCS and zone carry over to B
    assert doc["settings_differ"] == [{"setting": "fever_celsius", "a": 38.0, "b": 38.3}]
    assert doc["b"]["site_timezone"] == "America/Chicago"
    assert doc["b"]["site"] == {
        "vital_sign_window_hours": 48.0,
        "gcs_below": 14.0,
        "fever_celsius": 38.3,
    }
    effective_a, effective_b = doc["a"]["settings"], doc["b"]["settings"]
    assert effective_b["vital_sign_window_hours"] == effective_a["vital_sign_window_hours"] == 48
    assert (effective_a["fever_celsius"], effective_b["fever_celsius"]) == (38.0, 38.3)
    assert effective_b["heart_rate_high"] == 131  # the pack's default, shown as in force
    # B's own zone and pack, when it gives them, replace A's
    base = Side("a", None, {"vital_sign_window_hours": 48.0}, "America/Chicago")
    other = side_of(_write(tmp_path / "z.yaml", "site_timezone: Asia/Tokyo\n"), base)
    assert (other.site_timezone, other.site) == ("Asia/Tokyo", {"vital_sign_window_hours": 48.0})


# 2. Feedback per card, per rule, "no feedback" ----------------------------------------------


def _card(i: int, rules: tuple[str, ...], at: datetime) -> CardRecord:
    topic = "imaging-not-indicated" if "imaging-not-indicated" in rules else "sedation-caution"
    return CardRecord(
        f"00000000-0000-4000-8000-0000000000{i:02d}", "back-spasm-order-sign", "back-spasm",
        "1.0.0", topic, "warning", rules, "h", at, ("00000000-0000-4000-8000-0000000000aa",),
    )  # fmt: skip


def _item(i: int, outcome: str, when: str) -> FeedbackItem:
    accepted = [AcceptedSuggestion(id="00000000-0000-4000-8000-0000000000aa")]
    return FeedbackItem(
        card=f"00000000-0000-4000-8000-0000000000{i:02d}",
        outcome=outcome,
        acceptedSuggestions=accepted if outcome == "accepted" else None,
        outcomeTimestamp=when,
    )


def test_override_rates_count_each_card_once_and_each_rule_apart(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    store = Store(database)
    store.open()
    at = datetime(2026, 1, 1, tzinfo=UTC)
    store.record_cards(
        [
            _card(1, ("imaging-not-indicated",), at),  # overridden three times
            _card(2, ("imaging-not-indicated",), at),  # accepted once
            _card(3, ("sedation-draft-order", "sedation-active-at-discharge"), at),  # overridden
            _card(4, ("sedation-active-at-discharge",), at),  # accepted
            _card(5, ("sedation-active-at-discharge",), at),  # accepted
            _card(
                6, ("sedation-active-at-discharge",), at
            ),  # accepted, then overridden: latest wins
        ]
    )
    items = [
        _item(1, "overridden", "2026-01-02T10:00:00Z"),
        _item(1, "overridden", "2026-01-02T11:00:00Z"),
        _item(1, "overridden", "2026-01-02T12:00:00Z"),
        _item(2, "accepted", "2026-01-03T10:00:00Z"),
        _item(3, "overridden", "2026-01-04T10:00:00Z"),
        _item(4, "accepted", "2026-01-05T10:00:00Z"),
        _item(5, "accepted", "2026-01-05T11:00:00Z"),
        _item(6, "accepted", "2026-01-06T10:00:00Z"),
        _item(6, "overridden", "2026-01-07T10:00:00Z"),
    ]
    store.record_feedback("back-spasm-order-sign", items, at)
    store.close()
    result, doc = _run(
        tmp_path,
        ["--compare", str(EXAMPLES / "imaging-age-50.yaml"), "--feedback", database],
    )
    rules = doc["feedback"]["rules"]
    # per card, not per item: 1 of 2 cards overridden (per item it would be 3 of 4)
    imaging = rules["imaging-not-indicated"]
    assert (imaging["accepted"], imaging["overridden"], imaging["override_rate"]) == (1, 1, 0.5)
    # each rule its own rate: card 3 counts for both of its rules; card 6 by its latest answer
    assert rules["sedation-draft-order"]["override_rate"] == 1.0
    discharge = rules["sedation-active-at-discharge"]
    assert (discharge["accepted"], discharge["overridden"]) == (2, 2)
    assert discharge["override_rate"] == 0.5
    # a rule nobody answered: no rate and the reason, never 0
    silent = rules["discharge-instructions"]
    assert silent["override_rate"] is None and silent["expected_overridden"] is None
    assert silent["reason"] == "no feedback"
    assert doc["feedback"]["period"] == {
        "first": "2026-01-02T10:00:00+00:00",
        "last": "2026-01-07T10:00:00+00:00",
    }
    assert any("2026-01-02T10:00:00+00:00" in note for note in doc["notes"])
    assert "expected overridden cards" in result.output


# 3. Calendar days ------------------------------------------------------------------------


def test_per_day_counts_calendar_days_in_the_site_zone(tmp_path: Path) -> None:
    from cds.review.burden import calendar_days

    def at(text: str) -> float:
        return datetime.fromisoformat(text).timestamp()

    # two hours across midnight: two calendar days, not 0.083 of a day
    assert (
        calendar_days([at("2025-03-01T23:00:00+00:00"), at("2025-03-02T01:00:00+00:00")], "UTC")
        == 2
    )
    # the same two instants are one day in New York (18:00 and 20:00 on 1 March)
    span = [at("2025-03-01T23:00:00+00:00"), at("2025-03-02T01:00:00+00:00")]
    assert calendar_days(span, "America/New_York") == 1
    # one instant: one day; no call: none
    assert calendar_days([at("2025-03-01T12:00:00+00:00")] * 2, "UTC") == 1
    assert calendar_days(None, "UTC") == 0
    _, doc = _run(tmp_path, ["--compare", str(EXAMPLES / "fever-38.3.yaml")])
    first = datetime.fromisoformat(doc["span"]["first_call"])
    last = datetime.fromisoformat(doc["span"]["last_call"])
    assert doc["span"]["days"] == (last.date() - first.date()).days + 1
    assert doc["span"]["timezone"] == "UTC"
    cards = doc["cards"]
    assert cards["per_day"]["a"] == round(cards["a"] / doc["span"]["days"], 3)


# 5-8. Indicators, "replaced", notes, the same settings ------------------------------------


def test_per_indicator_rows_replaced_changes_and_notes(tmp_path: Path) -> None:
    config = _write(tmp_path / "b.yaml", "site: {fever_celsius: 38.7, imaging_age_years: 50}\n")
    result, doc = _run(tmp_path, ["--compare", str(config)])
    assert set(doc["by_indicator"]) == {"critical", "warning", "info"}
    for row in doc["by_indicator"].values():
        assert {"a", "b", "difference", "per_1000_patients", "per_day"} <= set(row)
    assert sum(r["a"] for r in doc["by_indicator"].values()) == doc["cards"]["a"]
    assert sum(r["b"] for r in doc["by_indicator"].values()) == doc["cards"]["b"]
    assert "per indicator: critical" in result.output
    # an order supported by a fever under A, by age under B: one topic, other rules only
    replaced = [c for p in doc["patients"] for c in p["changes"] if c["change"] == "replaced"]
    assert replaced and doc["changed_patients"]["replaced"] >= 1
    for change in replaced:
        assert change["rules"]["a"] and change["rules"]["b"]
        assert not set(change["rules"]["a"]) & set(change["rules"]["b"])
    notes = " ".join(doc["notes"])
    assert "replayed calls only" in notes and "calendar days" in notes
    assert not doc["same_settings"]


def test_b_equal_to_a_is_said_plainly(tmp_path: Path) -> None:
    config_a = _write(tmp_path / "a.yaml", "site: {fever_celsius: 38.3}\n")
    same = _write(tmp_path / "b.yaml", "site: {fever_celsius: 38.3}\n")
    result, doc = _run(tmp_path, ["--config", str(config_a), "--compare", str(same)])
    assert doc["same_settings"] is True and doc["settings_differ"] == []
    assert "effective settings" in doc["notes"][0]
    assert "B's effective settings, time zone and pack are A's" in result.output
    assert doc["changed_patients"]["total"] == 0
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "id='same-settings'" in html


# 9. The compared value and the instant of the reading -------------------------------------


def test_evidence_gives_the_compared_value_and_the_instant(tmp_path: Path) -> None:
    config = _write(tmp_path / "b.yaml", "site: {fever_celsius: 39.0}\n")
    _, doc = _run(tmp_path, ["--compare", str(config)])
    fevers = [
        e
        for p in doc["patients"]
        for c in p["changes"]
        for e in c["evidence"]
        if e["rule"] == "urg-fever-measured"
    ]
    assert fevers
    fahrenheit = [e for e in fevers if "[degF]" in e["value"]]
    assert fahrenheit, "the sample has fevers written in °F"
    for e in fahrenheit:
        written = float(e["value"].split()[0])
        assert e["unit"] == "Cel"
        assert e["compared"] == round((written - 32) * 5 / 9, 2)
    for e in fevers:
        assert e["instant"] and datetime.fromisoformat(e["instant"]).tzinfo is not None
    zoneless = [e for e in fevers if datetime.fromisoformat(e["time"]).tzinfo is None]
    assert zoneless, "the sample has readings whose time has no zone"
    for e in zoneless:  # read in the site's zone (UTC): the same wall time, in UTC
        instant = datetime.fromisoformat(e["instant"])
        assert instant.astimezone(UTC).replace(tzinfo=None) == datetime.fromisoformat(e["time"])
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "compared as" in html


# 10. Bad inputs: one line, exit 2, nothing read ------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    def run(args: list[str]) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["cds", "review", str(SAMPLE), "--workers", "1", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        return int(exited.value.code or 0), capsys.readouterr().err

    return run


def _not_a_database(tmp: Path) -> str:
    (tmp / "text.sqlite3").write_text("not a database\n", encoding="utf-8")
    return f"sqlite:///{tmp / 'text.sqlite3'}"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (lambda tmp: f"sqlite:///{tmp / 'none.sqlite3'}", "there is no database file"),
        (lambda tmp: "feedback.db", "is not a database URL"),
        (lambda tmp: "nosuch://host/db", "unknown database scheme"),
        (lambda tmp: "sqlite:///:memory:", "in-memory"),
        (_not_a_database, "cannot read the feedback store"),
    ],
)
def test_an_unusable_feedback_url_is_one_line_and_exit_2(
    url: Any, message: str, tmp_path: Path, cli: Any
) -> None:
    code, err = cli(
        [
            "--out", str(tmp_path / "out"), "--compare", str(EXAMPLES / "fever-38.3.yaml"),
            "--feedback", url(tmp_path),
        ]
    )  # fmt: skip
    assert code == 2, err
    assert err.startswith("error: --feedback: ") and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("site: {fever_celsius: 3.83}\n", "fever_celsius = 3.83 is outside its valid range 37.5"),
        ("site: {imaging_age_years: 5}\n", "imaging_age_years = 5 is outside its valid range 18"),
    ],
)
@pytest.mark.parametrize("side", ["--config", "--compare"])
def test_an_out_of_range_setting_in_a_or_b_is_refused(
    text: str, message: str, side: str, tmp_path: Path, cli: Any
) -> None:
    path = _write(tmp_path / "s.yaml", text)
    code, err = cli(["--out", str(tmp_path / "out"), side, str(path)])
    assert code == 2, err
    assert err.startswith(f"error: {side} {path}: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
    with pytest.raises(Exception, match="outside its valid range"):
        load_counterpart(Side("x", None, {"fever_celsius": 3.83}))


def test_the_engines_agree_on_the_new_fields(tmp_path: Path) -> None:
    """One worker and two write the same compare.json (the new fields come from the shards'
    changes and the parent's merge alike)."""
    target = EXAMPLES / "fever-38.3.yaml"
    for workers in (1, 2):
        run_review(
            [SAMPLE],
            ReviewOptions(
                out=tmp_path / str(workers),
                workers=workers,
                compare=load_counterpart(side_of(target, Side("defaults", None))),
            ),
            LogReporter(io.StringIO()),
        )
    assert (tmp_path / "1" / "compare.json").read_bytes() == (
        tmp_path / "2" / "compare.json"
    ).read_bytes()
