"""cds/findings.py as a unit: firings and the facts they name → an Outcome of Findings.

The facts are real ``Fact`` objects as extraction builds them, and the firings name them by
their index (the ``fid`` the spine gives each fact), so each test states exactly which rule
fired on which facts and checks what the findings say: topics, evidence, order, scope.
"""

from __future__ import annotations

import pytest

from cds.engine import Firing
from cds.facts.model import Fact
from cds.findings import Evidence, build_findings
from cds.pack.compile import SCOPE_RULE
from cds.pack.load import Pack, load_pack


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


def heart_rate(value: float, age_h: float, rid: str, **kw: object) -> Fact:
    fields: dict[str, object] = {
        "kind": "observation",
        "valueset": "heart_rate_obs",
        "rid": rid,
        "display": "Heart rate",
        "value": value,
        "unit": "/min",
        "source_value": f"{value:g} /min",
        "time": "2026-11-26T10:00:00Z",
        "age_h": age_h,
    }
    fields.update(kw)
    return Fact(**fields)  # type: ignore[arg-type]


CKD = Fact(
    kind="condition",
    valueset="ckd",
    rid="Condition/ckd",
    display="Chronic kidney disease stage 3",
    time="2024-02-01",
    age_h=24_000.0,
)
WARFARIN = Fact(
    kind="medication",
    valueset="anticoagulant",
    rid="MedicationRequest/w",
    display="Warfarin 5 mg tablet",
    time_known=False,
    note="no start date recorded",
)


def test_no_firing_is_an_out_of_scope_outcome_without_findings(pack: Pack) -> None:
    outcome = build_findings(pack, [], [CKD])
    assert not outcome.in_scope and outcome.findings == () and outcome.rule_ids == frozenset()


def test_the_scope_rule_puts_the_patient_in_scope_and_is_no_finding(pack: Pack) -> None:
    outcome = build_findings(pack, [Firing(SCOPE_RULE, ())], [CKD])
    assert outcome.in_scope and outcome.findings == ()
    # a rule may fire out of scope too: its finding is kept, the outcome says out of scope
    alone = build_findings(pack, [Firing("caution-kidney-disease", (0,))], [CKD])
    assert not alone.in_scope and [f.rule_id for f in alone.findings] == ["caution-kidney-disease"]


def test_findings_follow_the_pack_s_rule_order_not_the_firings(pack: Pack) -> None:
    facts = [CKD, WARFARIN, heart_rate(150, 1, "Observation/hr")]
    firings = [
        Firing("caution-kidney-disease", (0,)),
        Firing("caution-blood-thinner-medicine", (1,)),
        Firing(SCOPE_RULE, ()),
        Firing("er-heart-rate-high", (2,)),
    ]
    order = [rule.id for rule in pack.spec.rules]
    for given in (firings, firings[::-1]):
        outcome = build_findings(pack, given, facts)
        ids = [f.rule_id for f in outcome.findings]
        assert ids == [
            "er-heart-rate-high",
            "caution-blood-thinner-medicine",  # bleeding first: the pack orders by harm
            "caution-kidney-disease",
        ]
        assert ids == sorted(ids, key=order.index)
        assert [f.topic for f in outcome.findings] == [
            "emergency-sign",
            "analgesic-caution",
            "analgesic-caution",
        ]
        assert outcome.rule_ids == frozenset(ids)
        assert outcome.fired(["caution-kidney-disease", "no-such-rule"])
        assert not outcome.fired(["er-heart-rate-low"])


def test_a_finding_carries_its_rule_s_topic_label_and_statements(pack: Pack) -> None:
    (finding,) = build_findings(pack, [Firing("caution-kidney-disease", (0,))], [CKD]).findings
    rule = next(r for r in pack.spec.rules if r.id == "caution-kidney-disease")
    assert (finding.topic, finding.label, finding.covers) == (
        "analgesic-caution",
        rule.label,
        tuple(rule.covers),
    )


def test_evidence_says_which_record_what_value_and_when(pack: Pack) -> None:
    fahrenheit = Fact(
        kind="observation",
        valueset="fever_temperature_obs",
        rid="Observation/t",
        display="Body temperature",
        value=39.5,
        unit="Cel",
        source_value="103.1 [degF]",
        time="2026-11-26T08:00:00Z",
        age_h=2.0,
    )
    firings = [Firing("urg-fever-measured", (0,)), Firing("caution-blood-thinner-medicine", (1,))]
    fever, thinner = build_findings(pack, firings, [fahrenheit, WARFARIN]).findings
    assert fever.evidence == (
        Evidence(
            rid="Observation/t",
            display="Body temperature",
            valuesets=("fever_temperature_obs",),
            kind="observation",
            value="103.1 [degF]",
            time="2026-11-26T08:00:00Z",
            age_h=2.0,
            compared=39.5,
            unit="Cel",
        ),
    )
    (medicine,) = thinner.evidence
    assert medicine.kind == "medication" and medicine.rid == "MedicationRequest/w"
    assert medicine.age_h is None  # no time recorded: no age, not 0 h
    assert medicine.note == "no start date recorded"


def test_every_firing_of_a_rule_adds_its_facts_to_one_finding_in_firing_order(
    pack: Pack,
) -> None:
    a, b, c = (heart_rate(v, 1, f"Observation/{v}") for v in (140, 150, 160))
    firings = [
        Firing("er-heart-rate-high", (2,)),
        Firing("er-heart-rate-high", (0,)),
        Firing("er-heart-rate-high", (2,)),  # the same reading again: one evidence
        Firing("er-heart-rate-high", (1,)),
    ]
    (finding,) = build_findings(pack, firings, [a, b, c]).findings
    assert [e.rid for e in finding.evidence] == [
        "Observation/160",
        "Observation/140",
        "Observation/150",
    ]


def test_a_join_s_facts_are_all_evidence_of_its_finding(pack: Pack) -> None:
    opioid = Fact(kind="medication", valueset="opioid", rid="MedicationRequest/o", display="o")
    benzo = Fact(
        kind="medication", valueset="benzodiazepine", rid="MedicationRequest/b", display="b"
    )
    firing = Firing("sedation-opioid-with-benzodiazepine", (1, 0))
    (finding,) = build_findings(pack, [firing], [benzo, opioid]).findings
    assert finding.topic == "sedation-caution"
    assert [e.rid for e in finding.evidence] == ["MedicationRequest/o", "MedicationRequest/b"]


def test_an_older_reading_carries_the_latest_verified_one_of_its_value_set(pack: Pack) -> None:
    old = heart_rate(150, 20, "Observation/old")
    unverified = heart_rate(70, 0.5, "Observation/prelim", verified=False)
    latest = heart_rate(88, 1, "Observation/latest")
    elsewhere = heart_rate(60, 0.1, "Observation/rr", valueset="respiratory_rate_obs")
    facts = [old, unverified, latest, elsewhere]
    (finding,) = build_findings(pack, [Firing("er-heart-rate-high", (0,))], facts).findings
    (evidence,) = finding.evidence
    assert evidence.newer is not None and evidence.newer.rid == "Observation/latest"
    assert evidence.newer.value == "88 /min" and evidence.newer.newer is None


def test_only_observations_carry_a_newer_reading(pack: Pack) -> None:
    recent = Fact(kind="condition", valueset="ckd", rid="Condition/new", display="d", age_h=1)
    firing = Firing("caution-kidney-disease", (0,))
    (finding,) = build_findings(pack, [firing], [CKD, recent]).findings
    assert finding.evidence[0].newer is None


def test_a_coded_heart_rhythm_shows_the_heart_rate_measured_since(pack: Pack) -> None:
    """A coded tachycardia (R00.0) raised "Rapid or very slow heart rate reported" with
    nothing beside it, while the rate measured an hour later was 108 (ER physician review,
    third round): the condition's evidence carries the newer reading of the value set that
    measures it (`measured_by`), and the latest one even when it is older than the code."""
    coded = Fact(
        kind="condition",
        valueset="tachycardia",
        rid="Condition/r000",
        display="Tachycardia, unspecified",
        time="2026-11-26T07:30:00Z",
        age_h=2.5,
    )
    later, earlier = (
        heart_rate(138, 1.0, "Observation/hr1"),
        heart_rate(140, 4.0, "Observation/hr0"),
    )
    firings = [Firing("er-heart-rhythm-reported", (0,)), Firing("er-heart-rate-high", (1,))]
    outcome = build_findings(pack, firings, [coded, later])
    (evidence,) = next(f for f in outcome.findings if f.rule_id.endswith("reported")).evidence
    assert evidence.newer is not None and evidence.newer.rid == "Observation/hr1"
    # the only rate, taken before the code, is shown too: the clinician weighs the code
    # against it (ER physician review, second round of stop 18, c04)
    older = build_findings(pack, [Firing("er-heart-rhythm-reported", (0,))], [coded, earlier])
    shown = older.findings[0].evidence[0].newer
    assert shown is not None and shown.rid == "Observation/hr0"


def test_a_coded_heart_rhythm_measured_normal_since_raises_nothing(pack: Pack) -> None:
    """A tachycardia coded this morning, a heart rate of 86 measured since that fires no rule:
    a call-911 card beside it is crying wolf (ER physician review, fourth round, a27). The
    value set says so (`superseded_by_measure`); a fever Condition does not (a fever comes
    and goes under antipyretics): it stays, with the normal temperature beside it."""
    coded = Fact(
        kind="condition",
        valueset="tachycardia",
        rid="Condition/r000",
        display="Tachycardia",
        time="2026-11-26T07:30:00Z",
        age_h=2.5,
    )
    normal = heart_rate(86, 1.0, "Observation/hr1")
    fired = [Firing("er-heart-rhythm-reported", (0,))]
    assert build_findings(pack, fired, [coded, normal]).findings == ()
    before = heart_rate(86, 4.0, "Observation/hr0")  # measured before the entry: it stands
    assert build_findings(pack, fired, [coded, before]).findings
    assert pack.superseded_by_measure == {"tachycardia", "bradycardia"}


def _apap_draft(rid: str) -> Fact:
    return Fact(kind="medication", valueset="acetaminophen", rid=rid, display=rid, draft=True)


def test_a_rule_of_distinct_records_never_fires_on_one_record_twice(pack: Pack) -> None:
    """Two patterns of one value set join a fact to itself in both engines: a rule marked
    ``distinct_records`` keeps only the pairings of two records (two acetaminophen orders,
    not one order, nor two copies of one)."""
    rule = "caution-acetaminophen-drafts-together"
    assert pack.rules[rule].distinct_records
    facts = [
        _apap_draft("MedicationRequest/apap"),
        _apap_draft("MedicationRequest/norco"),
        _apap_draft("MedicationRequest/apap"),  # a second copy of the first order
    ]
    one_order = [Firing(rule, (0, 0)), Firing(rule, (0, 2)), Firing(rule, (2, 0))]
    assert build_findings(pack, one_order, facts).findings == ()
    two = build_findings(pack, [*one_order, Firing(rule, (0, 1)), Firing(rule, (1, 0))], facts)
    (finding,) = two.findings
    assert finding.rule_id == rule
    assert [e.rid for e in finding.evidence] == [
        "MedicationRequest/apap",
        "MedicationRequest/norco",
    ]
