"""Tests for pack/compile.py.

The compiled durable JSON of the bundled pack is snapshot-tested per hook in
``tests/pack/snapshots/<hook>.json``, so a reviewer sees the engine-level effect of a YAML
change as a diff. After a deliberate change, regenerate the snapshots with

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/pack/test_compile.py

and review the diff before committing it.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import given
from hypothesis import settings as examples
from hypothesis import strategies as st

from cds.errors import RulePackError
from cds.facts.model import Fact, FactKind
from cds.hooks.registry import ALL_HOOKS, Hook
from cds.pack.compile import CompiledRuleset, compile_pack
from cds.pack.load import load_pack

SNAPSHOTS = Path(__file__).parent / "snapshots"
PACK = load_pack()


def _snapshot(ruleset: CompiledRuleset) -> dict[str, Any]:
    return {
        "name": ruleset.name,
        "negated_first": sorted(list(p) for p in ruleset.negated_first),
        "definition": ruleset.definition,
    }


@pytest.mark.parametrize("hook", ALL_HOOKS)
def test_compiled_pack_matches_snapshot(hook: str) -> None:
    got = json.dumps(_snapshot(compile_pack(PACK, hook)), indent=2, sort_keys=True) + "\n"
    path = SNAPSHOTS / f"{hook}.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(got, encoding="utf-8")
    if not path.exists():
        pytest.fail(f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 to create it")
    assert got == path.read_text(encoding="utf-8"), f"regenerate with UPDATE_SNAPSHOTS=1: {path}"


def test_compiling_is_deterministic_and_names_carry_the_hash() -> None:
    a, b = compile_pack(PACK, "order-sign"), compile_pack(PACK, "order-sign")
    assert a == b and a.name.startswith("back-spasm@1.0.0/order-sign#")
    assert compile_pack(PACK, "order-sign", {"imaging_age_years": 50}).name != a.name


def _aliases(rule: dict[str, Any]) -> list[str]:
    return [alias for term in rule["all"] for alias in term]


def _mentions_age(expr: dict[str, Any]) -> bool:
    return '"kind": "patient"' in json.dumps(expr)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_null_age_setting_switches_off_the_age_threshold(hook: str) -> None:
    off = compile_pack(PACK, hook).definition
    assert "imaging-supported-age" not in off
    assert not any(_mentions_age(t) for t in off["imaging-not-indicated"]["all"])

    on = compile_pack(PACK, hook, {"imaging_age_years": 50}).definition
    assert "imaging-supported-age" in on
    age = on["imaging-supported-age"]["all"][1]["p1"]
    assert {"$gte": {"value": 50.0}} in age["$and"] and {"kind": "patient"} in age["$and"]
    negated = [t for t in on["imaging-not-indicated"]["all"] if _mentions_age(t)]
    assert len(negated) == 1
    ((alias, expr),) = negated[0].items()
    assert alias.endswith("$not") and {"$gte": {"value": 50.0}} in expr["$and"]
    # an imaging rule negates the age fact: patients are asserted before the order
    assert ("patient", "age") in compile_pack(PACK, hook, {"imaging_age_years": 50}).negated_first


def test_only_hooks_drops_draft_patterns_at_discharge() -> None:
    discharge = compile_pack(PACK, "encounter-discharge").definition
    sign = compile_pack(PACK, "order-sign").definition
    assert _aliases(discharge["caution-diabetes"]) == ["p0"]
    assert discharge["caution-diabetes"]["all"][0]["p0"]["$and"][0] == {"kind": "condition"}
    assert _aliases(sign["caution-diabetes"]) == ["p0", "p1"]
    assert {"draft": 1} in sign["caution-diabetes"]["all"][0]["p0"]["$and"]
    assert '"draft": 1' not in json.dumps(discharge)
    # no draft-imaging scope pattern and no imaging rule at discharge
    assert not any(k.startswith("imaging-") for k in discharge)


def test_unknown_site_setting_is_a_rule_pack_error() -> None:
    with pytest.raises(RulePackError, match="unknown site setting 'fever_celcius'"):
        compile_pack(PACK, "patient-view", {"fever_celcius": 39})


def test_site_settings_change_the_bounds() -> None:
    rules = compile_pack(PACK, "patient-view", {"fever_celsius": 38.5}).definition
    assert {"$gte": {"value": 38.5}} in rules["urg-fever-measured"]["all"][0]["p0"]["$and"]
    days = compile_pack(PACK, "patient-view", {"symptom_window_days": 7}).definition
    assert {"$lte": {"age_h": 168.0}} in days["er-confusion"]["all"][0]["p0"]["$and"]


def test_no_rule_can_bind_one_fact_to_two_of_its_patterns() -> None:
    """durable's default join semantics would differ from the reference's cross product when
    one fact could fill two positive patterns of a rule; the wrapper registers ``dist: false``
    so it does not matter, and the bundled pack contains such a rule only when it is marked
    ``distinct_records`` (its firings on one record are dropped from the findings)."""

    def shape(expr: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for term in expr["$and"]:
            ((key, arg),) = term.items()
            if key == "$or":
                out["valueset"] = {t["valueset"] for t in arg}
            elif key == "valueset":
                out["valueset"] = {arg}
            elif not key.startswith("$"):
                out[key] = arg
        return out

    for hook in ALL_HOOKS:
        for settings in (None, {"imaging_age_years": 50}):
            for rule_id, rule in compile_pack(PACK, hook, settings).definition.items():
                if rule_id in PACK.rules and PACK.rules[rule_id].distinct_records:
                    continue
                positive = [
                    shape(e) for t in rule["all"] for a, e in t.items() if not a.endswith("$not")
                ]
                for i, a in enumerate(positive):
                    for b in positive[i + 1 :]:
                        same = a["kind"] == b["kind"] and a["valueset"] & b["valueset"]
                        flags = ("draft", "latest", "understood", "time_known")
                        clash = any(a[k] != b[k] for k in flags if k in a and k in b)
                        assert not same or clash, (hook, rule_id)


def test_only_facts_some_pattern_may_match_reach_the_engine() -> None:
    ruleset = compile_pack(PACK, "encounter-discharge")
    rate = Fact(
        kind="observation", valueset="heart_rate_obs", rid="Observation/1", display="", value=135
    )

    # a fast heart rate counts for 72 hours; an hour past that, or a normal rate, no pattern
    # can match; an unreadable rate is a sign of its own
    assert ruleset.may_match(replace(rate, age_h=72.0))
    assert not ruleset.may_match(replace(rate, age_h=73.0))
    assert not ruleset.may_match(replace(rate, value=80.0))
    assert ruleset.may_match(replace(rate, value=40.0))  # on the bound of the slow-rate rule
    assert not ruleset.may_match(replace(rate, value=None))
    assert ruleset.may_match(replace(rate, value=None, understood=False))
    # lab cautions look at the latest result only
    egfr = replace(rate, valueset="renal_lab_egfr", value=45.0, age_h=100.0)
    assert ruleset.may_match(egfr)
    assert not ruleset.may_match(replace(egfr, latest=False))
    assert not ruleset.may_match(replace(egfr, value=75.0))
    # a condition without a look-back counts at any age; a value set no rule names, never
    diabetes = Fact(kind="condition", valueset="diabetes", rid="Condition/1", display="")
    assert ruleset.may_match(replace(diabetes, age_h=500_000.0))
    assert not ruleset.may_match(replace(diabetes, valueset="not-in-any-rule"))
    # site settings move the bounds with the rules
    site = {"vital_sign_window_hours": 96, "heart_rate_high": 110}
    wide = compile_pack(PACK, "encounter-discharge", site)
    assert wide.may_match(replace(rate, age_h=90.0, value=115.0))


def test_observation_patterns_see_verified_readings_unless_they_say_otherwise() -> None:
    rules = compile_pack(PACK, "encounter-discharge").definition
    sign = rules["er-heart-rate-high"]["all"][0]["p0"]["$and"]
    check = rules["dc-heart-rate-high-unverified"]["all"][0]["p0"]["$and"]
    unreadable = rules["er-vital-sign-unreadable"]["all"][0]["p0"]["$and"]
    assert {"verified": 1} in sign and {"verified": 0} in check
    assert not any("verified" in term for term in unreadable)  # verified: any
    # other kinds are always verified: the default asks nothing of them
    assert not any("verified" in term for term in rules["er-confusion"]["all"][0]["p0"]["$and"])


def test_verified_reaches_may_match_and_the_reference() -> None:
    from cds.engine.reference import ReferenceEngine

    ruleset = compile_pack(PACK, "encounter-discharge")
    rate = Fact(
        kind="observation", valueset="heart_rate_obs", rid="Observation/1", display="", value=150
    )
    unverified = replace(rate, verified=False)
    assert ruleset.may_match(rate) and ruleset.may_match(unverified)
    normal_unverified = replace(unverified, value=80.0)
    assert not ruleset.may_match(normal_unverified)  # no sign, nothing to re-check
    assert ruleset.may_match(replace(unverified, value=None, understood=False))

    def fired(fact: Fact) -> set[str]:
        return {f.rule for f in ReferenceEngine().evaluate(ruleset, [fact.to_engine(0)])}

    assert "er-heart-rate-high" in fired(rate)
    assert "dc-heart-rate-high-unverified" not in fired(rate)
    assert "dc-heart-rate-high-unverified" in fired(unverified)
    assert "er-heart-rate-high" not in fired(unverified)


def test_unreadable_or_unverified_never_raise_an_emergency_or_urgent_sign() -> None:
    """Whatever an unverified or unreadable reading says, only data-check rules fire."""
    from cds.engine.reference import ReferenceEngine

    danger = {"emergency-sign", "urgent-sign"}
    topic = {r.id: r.topic for r in PACK.spec.rules}
    for hook in ALL_HOOKS:
        ruleset = compile_pack(PACK, hook)
        for valueset in (
            "heart_rate_obs",
            "respiratory_rate_obs",
            "oxygen_saturation_obs",
            "fever_temperature_obs",
        ):
            for value in (None, 0.0, 5.0, 30.0, 38.5, 85.0, 150.0, 300.0):
                for understood, verified in ((False, True), (False, False), (True, False)):
                    fact = Fact(
                        kind="observation",
                        valueset=valueset,
                        rid="Observation/1",
                        display="",
                        value=value if understood else None,
                        understood=understood,
                        verified=verified,
                    )
                    fired = {
                        f.rule for f in ReferenceEngine().evaluate(ruleset, [fact.to_engine(0)])
                    }
                    fired.discard("__scope__")
                    assert not {topic[r] for r in fired} & danger, (hook, fact)


@pytest.mark.parametrize("given, kept", [(True, True), (False, False), ("any", "any")])
def test_pattern_verified_values(given: object, kept: object) -> None:
    from cds.pack.schema import Pattern

    pattern = Pattern.model_validate(
        {"fact": "observation", "valuesets": "heart_rate_obs", "verified": given}
    )
    assert pattern.verified == kept
    assert Pattern(fact="observation", valuesets=["heart_rate_obs"]).verified is True


def test_pattern_verified_rejects_other_words() -> None:
    from pydantic import ValidationError

    from cds.pack.schema import Pattern

    with pytest.raises(ValidationError):
        Pattern.model_validate({"fact": "observation", "valuesets": "x", "verified": "maybe"})


RULESETS = {hook: compile_pack(PACK, hook) for hook in ALL_HOOKS}
REACHED = sorted((hook, key) for hook, ruleset in RULESETS.items() for key in ruleset.reach)


@examples(max_examples=400, deadline=None)
@given(
    reached=st.sampled_from(REACHED),
    value=st.one_of(st.none(), st.floats(allow_nan=False, min_value=-50, max_value=300)),
    age_h=st.floats(min_value=0, max_value=20_000),
    flags=st.tuples(*[st.booleans()] * 5),
)
def test_may_match_is_any_pattern_demands_met(
    reached: tuple[Hook, tuple[str, str]],
    value: float | None,
    age_h: float,
    flags: tuple[bool, bool, bool, bool, bool],
) -> None:
    """`may_match`'s gate (age, then a readable value inside some pattern's range) only ever
    says sooner what asking each pattern's `Demands` says."""
    hook, (kind, valueset) = reached
    ruleset = RULESETS[hook]
    understood, verified, latest, draft, time_known = flags
    fact = Fact(
        cast(FactKind, kind),
        valueset,
        "Observation/1",
        "",
        value=value,
        age_h=age_h,
        understood=understood,
        verified=verified,
        latest=latest,
        draft=draft,
        time_known=time_known,
    )
    demands = ruleset.reach[(kind, valueset)]
    assert ruleset.may_match(fact) is any(d.met_by(fact) for d in demands)
