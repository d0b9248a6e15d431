"""Tests for review/compare.py: ``cds review --compare B`` equals two separate reviews.

Each comparison (a settings file, a pack with one rule removed, another time zone) is run once
in one pass, and the same population is reviewed twice more, separately, under A and under B:
every count of compare.json, B's cards and errors, and the changed patients must follow from
those two reviews.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from typer.testing import CliRunner

from cds.cli import app, main
from cds.errors import ConfigError
from cds.hooks.feedback import AcceptedSuggestion, FeedbackItem
from cds.pack.load import load_pack
from cds.review.compare import Side, load_counterpart, side_of
from cds.review.local import ReviewOptions, run_review
from cds.review.progress import LogReporter
from cds.store import CardRecord, Store
from fhir_examples.compare.pack_without_rule import write_variant
from tests.review.helpers import SAMPLE, read_ndjson, review

EXAMPLES = Path(__file__).resolve().parents[2] / "fhir_examples" / "compare"
A = Side("defaults", None)
_RULES = re.compile(r"; rules: ([^;]*);")


def _compare(out: Path, target: Path, workers: int = 1, **options: Any) -> dict[str, Any]:
    counterpart = load_counterpart(side_of(target, A))
    run_review(
        [SAMPLE],
        ReviewOptions(out=out, workers=workers, compare=counterpart, **options),
        LogReporter(io.StringIO()),
    )
    return dict(orjson.loads((out / "compare.json").read_bytes()))


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_variant("back-spasm", "sedation-draft-order", tmp_path_factory.mktemp("v") / "p")


@pytest.fixture(scope="module")
def louder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled pack with ``sedation-caution`` raised from info to warning (a pack version
    whose cards change indicator)."""
    out = tmp_path_factory.mktemp("louder") / "p"
    shutil.copytree(load_pack(None).path, out)
    spec = yaml.safe_load((out / "pack.yaml").read_text(encoding="utf-8"))
    spec["pack"]["version"] += "-louder"
    for topic in spec["topics"]:
        if topic["code"] == "sedation-caution":
            topic["indicator"] = "warning"
    (out / "pack.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return out


@pytest.fixture(scope="module")
def plain_a(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("a")
    review([SAMPLE], out, workers=1)
    return out


def _config(tmp: Path, text: str) -> Path:
    path = tmp / "b.yaml"
    path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "fever and age": "site: {fever_celsius: 38.7, imaging_age_years: 50}\n",
    # the sample's zone-less readings are read 3 hours later in Los Angeles than in UTC
    "time zone": "site_timezone: America/Los_Angeles\nsite: {vital_sign_window_hours: 24}\n",
    "pack without a rule": None,
    "pack with another indicator": None,
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_count_equals_two_separate_reviews(
    case: str, variant: Path, louder: Path, plain_a: Path, tmp_path: Path
) -> None:
    text = CASES[case]
    packs = {"pack without a rule": variant, "pack with another indicator": louder}
    target = packs[case] if text is None else _config(tmp_path, text)
    doc = _compare(tmp_path / "both", target)
    b_side = side_of(target, A)
    # another pack may replay other orders: each separate review replays the other's too
    also_a, also_b = ((str(b_side.pack),), ("back-spasm",)) if b_side.pack else ((), ())
    if also_a:
        plain_a = tmp_path / "a"
        review([SAMPLE], plain_a, workers=1, replay_also=also_a)
    plain_b = tmp_path / "b"
    review(
        [SAMPLE], plain_b, workers=1, pack=b_side.pack, site=b_side.site,
        site_timezone=b_side.site_timezone, replay_also=also_b,
    )  # fmt: skip
    sum_a = orjson.loads((plain_a / "summary.json").read_bytes())
    sum_b = orjson.loads((plain_b / "summary.json").read_bytes())
    # A's outputs are a plain review's; B's are B's separate review, byte for byte
    for name in ("cards.ndjson", "errors.ndjson", "summary.json"):
        assert (tmp_path / "both" / name).read_bytes() == (plain_a / name).read_bytes(), name
    assert (tmp_path / "both" / "compare-cards.ndjson").read_bytes() == (
        plain_b / "cards.ndjson"
    ).read_bytes()
    assert (tmp_path / "both" / "compare-errors.ndjson").read_bytes() == (
        plain_b / "errors.ndjson"
    ).read_bytes()
    # every count
    assert doc["patients_reviewed"] == sum_a["patients"]["reviewed"] == 50
    assert doc["calls"] == {"a": sum_a["calls"], "b": sum_b["calls"]}
    assert doc["call_errors"] == {"a": sum_a["call_errors"], "b": sum_b["call_errors"]}
    assert doc["patients_with_cards"] == {
        "a": sum_a["patients"]["with_cards"],
        "b": sum_b["patients"]["with_cards"],
    }
    assert (doc["cards"]["a"], doc["cards"]["b"]) == (sum_a["cards"], sum_b["cards"])
    for key in ("by_topic", "by_rule", "by_indicator", "by_hook_topic"):
        a, b = sum_a[f"cards_{key}"], sum_b[f"cards_{key}"]
        assert set(doc[key]) == {*a, *b}, key
        for name, row in doc[key].items():
            assert (row["a"], row["b"]) == (a.get(name, 0), b.get(name, 0)), (key, name)
            assert row["difference"] == row["b"] - row["a"]
            assert row["per_1000_patients"]["b"] == round(row["b"] / 0.05, 3)
            assert row["per_day"]["a"] == round(row["a"] / doc["span"]["days"], 3)
    for hook, row in doc["by_hook"].items():
        assert row["a"] == sum(
            v for k, v in sum_a["cards_by_hook_topic"].items() if k.startswith(hook)
        )
    # the changed patients, found again from the two separate reviews' cards
    expected = _changes(plain_a / "cards.ndjson", plain_b / "cards.ndjson")
    found = {
        (p["patient"], c["hook"], c["at"], c["topic"]): c["change"]
        for p in doc["patients"]
        for c in p["changes"]
    }
    assert found == expected
    assert doc["changed_patients"]["total"] == len({k[0] for k in expected})
    assert expected  # every kind of B changes some patient's cards on the sample
    if case == "pack with another indicator":
        assert set(expected.values()) == {"indicator changed"}
        assert (
            doc["by_indicator"]["warning"]["difference"] == doc["by_topic"]["sedation-caution"]["a"]
        )
    for kind in ("newly alerted", "silenced", "replaced", "indicator changed", "rules changed"):
        patients = {k[0] for k, v in expected.items() if v == kind}
        assert doc["changed_patients"][kind] == len(patients), kind


def _changes(path_a: Path, path_b: Path) -> dict[tuple[str, str, str, str], str]:
    def cards(path: Path) -> dict[tuple[str, str, str, str], tuple[str, str]]:
        out = {}
        for line in read_ndjson(path):
            for card in line["cards"]:
                rules = _RULES.findall(card["detail"])
                key = (line["patient"], line["hook"], line["at"], card["source"]["topic"]["code"])
                out[key] = (card["indicator"], rules[-1] if rules else "")
        return out

    a, b = cards(path_a), cards(path_b)
    changes = {}
    for key in a.keys() | b.keys():
        if key not in a:
            changes[key] = "newly alerted"
        elif key not in b:
            changes[key] = "silenced"
        elif not set(a[key][1].split(", ")) & set(b[key][1].split(", ")):
            changes[key] = "replaced"
        elif a[key][0] != b[key][0]:
            changes[key] = "indicator changed"
        elif a[key][1] != b[key][1]:
            changes[key] = "rules changed"
    return changes


def test_changes_carry_the_evidence_that_differs(tmp_path: Path) -> None:
    doc = _compare(tmp_path / "out", EXAMPLES / "imaging-age-50.yaml")
    assert doc["settings_differ"] == [{"setting": "imaging_age_years", "a": None, "b": 50.0}]
    silenced = [
        c for p in doc["patients"] for c in p["changes"] if c["topic"] == "imaging-not-indicated"
    ]
    assert silenced and all(c["change"] == "silenced" for c in silenced)
    supported = [
        c
        for p in doc["patients"]
        for c in p["changes"]
        if c["topic"] == "imaging-supported" and c["change"] == "newly alerted"
    ]
    assert len(supported) == len(silenced)  # the same orders, now supported by age
    for change in supported:
        ages = [e for e in change["evidence"] if e["rule"] == "imaging-supported-age"]
        assert ages and all(e["side"] == "b" for e in ages)
        assert any(e["resource"].startswith("Patient/") and "years" in e["value"] for e in ages)


def test_pool_and_single_process_write_the_same_comparison(tmp_path: Path) -> None:
    target = EXAMPLES / "imaging-age-50.yaml"
    _compare(tmp_path / "one", target, workers=1)
    _compare(tmp_path / "two", target, workers=2)
    for name in ("compare.json", "compare-cards.ndjson", "compare-errors.ndjson", "report.html"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_feedback_gives_override_rates_and_expected_overrides(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    store = Store(database)
    store.open()  # what `cds serve` does at start-up: the schema and the SQLite file
    at = datetime(2026, 1, 1, tzinfo=UTC)
    store.record_cards(
        CardRecord(
            f"00000000-0000-4000-8000-00000000000{i}", "back-spasm-order-sign", "back-spasm",
            "1.0.0", "imaging-not-indicated", "warning", ("imaging-not-indicated",), "h", at,
            ("00000000-0000-4000-8000-0000000000aa",),
        )
        for i in range(4)
    )  # fmt: skip
    items = [
        FeedbackItem(
            card=f"00000000-0000-4000-8000-00000000000{i}",
            outcome="overridden" if i < 3 else "accepted",
            acceptedSuggestions=None
            if i < 3
            else [AcceptedSuggestion(id="00000000-0000-4000-8000-0000000000aa")],
            outcomeTimestamp="2026-01-01T10:00:00Z",
        )
        for i in range(4)
    ]
    store.record_feedback("back-spasm-order-sign", items, at)
    store.close()
    result = CliRunner().invoke(
        app,
        [
            "review", str(SAMPLE), "--out", str(tmp_path / "out"), "--workers", "1",
            "--compare", str(EXAMPLES / "imaging-age-50.yaml"), "--feedback", database,
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "expected overridden cards" in result.output
    doc = orjson.loads((tmp_path / "out" / "compare.json").read_bytes())
    rule = doc["feedback"]["rules"]["imaging-not-indicated"]
    cards = doc["by_rule"]["imaging-not-indicated"]
    assert (rule["accepted"], rule["overridden"], rule["override_rate"]) == (1, 3, 0.75)
    assert rule["expected_overridden"] == {
        "a": round(cards["a"] * 0.75, 2),
        "b": round(cards["b"] * 0.75, 2),
        "difference": round((cards["b"] - cards["a"]) * 0.75, 2),
    }
    assert doc["feedback"]["rules"]["discharge-instructions"]["override_rate"] is None
    assert "feedback.sqlite3" not in (tmp_path / "out" / "compare.json").read_text()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    """``cds review SAMPLE ARGS`` through ``main()``: (exit code, stderr)."""

    def run(args: list[str]) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["cds", "review", str(SAMPLE), "--workers", "1", *args])
        with pytest.raises(SystemExit) as exited:
            main()
        return int(exited.value.code or 0), capsys.readouterr().err

    return run


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("site: {fevr_celsius: 38.3}\n", "unknown site setting 'fevr_celsius'"),
        ("site: {fever_celsius: hot}\n", "site.fever_celsius"),
        ("site_timezone: Mars/Olympus\n", "unknown time zone"),
        ("sight: {fever_celsius: 38.3}\n", "did you mean 'site'"),
        ("pack: no-such-pack\n", "no rule pack 'no-such-pack'"),
        ("[not, a, mapping]\n", "must hold a mapping"),
    ],
)
def test_a_bad_b_is_a_clear_usage_error(
    config: str, message: str, tmp_path: Path, cli: Any
) -> None:
    path = _config(tmp_path, config)
    code, err = cli(["--out", str(tmp_path / "out"), "--compare", str(path)])
    assert code == 2, err
    assert err.startswith(f"error: --compare {path}: ") and message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()  # stopped before reading the input


def test_a_missing_b_and_a_pack_that_does_not_load_are_usage_errors(
    tmp_path: Path, variant: Path, cli: Any
) -> None:
    missing = tmp_path / "nowhere.yaml"
    code, err = cli(["--out", str(tmp_path / "o1"), "--compare", str(missing)])
    assert code == 2
    assert "no such settings file, pack folder or pack name" in err
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pack.yaml").write_bytes((variant / "pack.yaml").read_bytes() + b"\nbogus: 1\n")
    for name in ("valuesets.json", "valuesets.yaml"):
        (broken / name).write_bytes((variant / name).read_bytes())
    code, err = cli(["--out", str(tmp_path / "o2"), "--compare", str(broken)])
    assert code == 2
    assert "bogus" in err and f"--compare {broken}" in err


def test_feedback_needs_compare(tmp_path: Path, cli: Any) -> None:
    code, err = cli(["--out", str(tmp_path / "o"), "--feedback", "sqlite:///x.db"])
    assert code == 2 and "--feedback needs --compare" in err


def test_side_errors_name_the_argument(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--compare"):
        load_counterpart(Side("x", None, {"no_such_setting": 1.0}))


def test_the_pack_variant_is_the_bundled_pack_without_the_rule(variant: Path) -> None:
    bundled, other = load_pack(None), load_pack(variant)
    assert set(bundled.rules) - set(other.rules) == {"sedation-draft-order"}
    assert set(other.rules) <= set(bundled.rules)
    assert other.version == f"{bundled.version}-without-sedation-draft-order"
    for rule_id, rule in other.rules.items():
        assert rule == bundled.rules[rule_id]


def test_a_rule_removed_replays_the_same_calls_and_keeps_the_danger_signs(
    tmp_path: Path, variant: Path
) -> None:
    """Without ``sedation-draft-order`` B's pack looks at no opioid or muscle-relaxant order;
    the EHR still calls the service when one is signed, and a danger sign in the record still
    gets its card there. Replaying only B's own orders silenced urgent-sign cards (a false
    'fewer alerts')."""
    doc = _compare(tmp_path / "out", variant)
    assert doc["calls"]["a"] == doc["calls"]["b"]
    for topic in ("emergency-sign", "urgent-sign", "data-check"):
        row = doc["by_topic"].get(topic, {"difference": 0})
        assert row["difference"] == 0, topic
    assert doc["by_rule"]["sedation-draft-order"]["b"] == 0
    assert doc["by_rule"]["sedation-draft-order"]["a"] > 0
    changes = {c["change"] for p in doc["patients"] for c in p["changes"]}
    # an opioid ordered beside a muscle relaxant or benzodiazepine keeps its sedation card in
    # B through the combination rules: its rules change, the card stays
    assert "silenced" in changes and changes <= {"silenced", "rules changed"}
    topics = {c["topic"] for p in doc["patients"] for c in p["changes"]}
    assert topics == {"sedation-caution"}


@pytest.mark.parametrize(
    ("config", "shared"),
    [("site: {imaging_age_years: 50}\n", True), ("site_timezone: America/Chicago\n", False)],
)
def test_b_replays_as_calls_only_when_they_are_the_same(
    config: str, shared: bool, tmp_path: Path
) -> None:
    """Calls are built once when B replays A's (same orders, zone, as-of): not across zones,
    where a record's zone-less times, hence the calls, may differ."""
    from cds.review import local
    from cds.review.replay import AsOf

    counterpart = load_counterpart(side_of(_config(tmp_path, config), A))
    pack = load_pack(None)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    local.init_worker(pack, [], AsOf(None, at), counterpart=counterpart)
    assert local._PAIR is not None and local._PAIR.same_calls is shared
    # B answers as A on the hooks whose ruleset the setting leaves alike, only there
    same = {"encounter-discharge", "patient-view"} if shared else set()
    assert local._PAIR.same_answers == same


def test_a_worker_s_a_and_b_share_one_engine_of_the_worker_s_own(tmp_path: Path) -> None:
    """The pool initializer gives A's and B's Evaluators one new engine (so B may take A's
    answers), never the engine the process had before (a forked worker inherits its
    parent's), which it leaves alone; and a new one again for the next run."""
    from cds.pipeline import Evaluator
    from cds.review import local
    from cds.review.replay import AsOf

    pack = load_pack(None)
    inherited = Evaluator(pack).engine
    counterpart = load_counterpart(side_of(_config(tmp_path, "site_timezone: UTC\n"), A))
    at = AsOf(None, datetime(2026, 1, 1, tzinfo=UTC))
    local.init_worker(pack, [], at, counterpart=counterpart)
    assert local._PAIR is not None
    first = local._PAIR.a.evaluator.engine
    assert local._PAIR.b.evaluator.engine is first and first is not inherited
    local.init_worker(pack, [], at)
    assert local._REVIEWER is not None
    assert local._REVIEWER.evaluator.engine not in (first, inherited)
    assert Evaluator(pack).engine is inherited  # the process's own engine is left alone


def test_b_evaluates_again_under_another_pack_or_where_its_ruleset_differs(
    variant: Path, tmp_path: Path
) -> None:
    """A pack of other content (here: one rule removed) shares no answer, even where the rule
    is not in the hook's ruleset; a setting that changes the order hooks' rulesets leaves them
    to B's own spine. ``test_every_count_equals_two_separate_reviews`` holds B's cards, byte
    for byte, to B's separate review under each kind of B."""
    from cds.review import local
    from cds.review.replay import AsOf, OrderTriggers

    at = AsOf(None, datetime(2026, 1, 1, tzinfo=UTC))
    pack = load_pack(None)
    other = load_counterpart(side_of(variant, A))
    both = OrderTriggers.of_all([pack, other.pack])  # as a run replays them (replay_triggers)
    local.init_worker(pack, [], at, counterpart=other, triggers=both)
    assert local._PAIR is not None and local._PAIR.same_calls
    assert local._PAIR.same_answers == frozenset()
    # the same id and version, edited in place: rulesets alike, cards not (another indicator)
    edited = tmp_path / "edited"
    shutil.copytree(pack.path, edited)
    spec = yaml.safe_load((edited / "pack.yaml").read_text(encoding="utf-8"))
    for topic in spec["topics"]:
        if topic["code"] == "sedation-caution":
            topic["indicator"] = "warning"
    (edited / "pack.yaml").write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    other = load_counterpart(side_of(edited, A))
    local.init_worker(pack, [], at, counterpart=other)
    assert local._PAIR is not None and local._PAIR.same_calls
    assert local._PAIR.b.evaluator.rulesets == local._PAIR.a.evaluator.rulesets
    assert local._PAIR.same_answers == frozenset()
    config = _config(tmp_path, "site: {imaging_age_years: 50}\n")
    local.init_worker(pack, [], at, counterpart=load_counterpart(side_of(config, A)))
    assert local._PAIR is not None
    assert "order-sign" in local._PAIR.a.evaluator.rulesets
    assert "order-sign" not in local._PAIR.same_answers


@pytest.mark.parametrize("first", ["with --compare", "without --compare"])
def test_a_killed_run_resumes_to_the_same_comparison(first: str, tmp_path: Path) -> None:
    """Killed after 3 shards, the same command resumes to byte-identical outputs; a plain run
    killed and rerun with ``--compare`` starts afresh (B is part of the fingerprint), since
    its finished shards have no B."""
    counterpart = load_counterpart(side_of(EXAMPLES / "imaging-age-50.yaml", A))
    clean = tmp_path / "clean"
    review([SAMPLE], clean, workers=1, compare=counterpart)
    killed = tmp_path / "killed"
    options = ReviewOptions(
        out=killed, workers=1, compare=counterpart if first == "with --compare" else None
    )
    with pytest.raises(KeyboardInterrupt):
        run_review([SAMPLE], options, LogReporter(io.StringIO()), _abort_after_shards=3)
    assert len(orjson.loads((killed / "progress.json").read_bytes())["finished"]) == 3
    review([SAMPLE], killed, workers=1, compare=counterpart)
    for name in (
        "cards.ndjson",
        "summary.json",
        "report.html",
        "compare.json",
        "compare-cards.ndjson",
    ):
        assert (killed / name).read_bytes() == (clean / name).read_bytes(), name


def test_report_from_the_shards_changed_lines_is_the_one_the_cards_files_give(
    tmp_path: Path, louder: Path
) -> None:
    """A comparison writes its report from the lines its shards tagged (the flagged ones, and
    the changed patients' under A and B), not by reading cards.ndjson and compare-cards.ndjson
    again: the same bytes as the report made from those files alone."""
    from cds.review.report import write_report

    out = tmp_path / "run"
    compared = _compare(out, louder, workers=2)
    assert compared["patients"], "the louder pack changes some patients' cards"
    written = (out / "report.html").read_bytes()
    summary = orjson.loads((out / "summary.json").read_bytes())
    indicators = {t.code: t.indicator for t in load_pack(None).spec.topics}
    write_report(out, summary, indicators, compared)
    assert (out / "report.html").read_bytes() == written
