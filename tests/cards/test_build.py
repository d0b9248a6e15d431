"""Cards at a glance: the summary names the worst finding, times are local, one data-check card.

Findings and facts are built by hand here (no engine) so each test states exactly what the
rules concluded and checks only how the card builder words it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from cds.cards.build import CardContext, build_cards
from cds.cards.evidence import age_of
from cds.cards.summary import summary
from cds.engine import Firing
from cds.facts.model import DataIssue, Fact
from cds.findings import Evidence, Finding, Outcome, build_findings
from cds.pack.compile import SCOPE_RULE
from cds.pack.load import Pack, load_pack

NOW = datetime(2026, 11, 26, 16, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


def _ctx(**kw: object) -> CardContext:
    base: dict[str, object] = {"hook": "patient-view", "patient_id": "p1", "now": NOW}
    base.update(kw)
    return CardContext(**base)  # type: ignore[arg-type]


def _hr(reading: float, age_h: float, rid: str = "Observation/hr", **kw: object) -> Fact:
    time = NOW.timestamp() - age_h * 3600
    stamp = datetime.fromtimestamp(time, UTC).isoformat().replace("+00:00", "Z")
    fields: dict[str, object] = {
        "kind": "observation",
        "valueset": "heart_rate_obs",
        "rid": rid,
        "display": "Heart rate",
        "value": reading,
        "unit": "/min",
        "source_value": f"{reading:g} /min",
        "time": stamp,
        "age_h": age_h,
    }
    fields.update(kw)
    return Fact(**fields)  # type: ignore[arg-type]


def _finding(rule: str, topic: str, label: str, *evidence: Evidence) -> Finding:
    return Finding(rule, topic, label, ("ER1",), evidence)


def _evidence(value: str | None, age_h: float | None, kind: str = "observation") -> Evidence:
    return Evidence(
        rid="Observation/x",
        display="Oxygen saturation",
        valuesets=("oxygen_saturation_obs",),
        kind=kind,  # type: ignore[arg-type]
        value=value,
        time="2026-11-26T15:02:00Z",
        age_h=age_h,
    )


def test_summary_names_the_first_finding_with_value_age_and_counts_the_rest(pack: Pack) -> None:
    findings = [
        _finding("er-oxygen-low", "emergency-sign", "Low oxygen", _evidence("86 %", 1.1)),
        _finding("er-fainting", "emergency-sign", "Fainting reported", _evidence(None, 3)),
    ]
    text = summary(pack, pack.topics["emergency-sign"], findings, _ctx())
    assert text == "Emergency sign: Low SpO2 86 % 1 h ago (+1 more): assess now"


def test_summary_shows_the_most_recent_reading_of_the_finding(pack: Pack) -> None:
    old, new = _evidence("84 %", 30), _evidence("89 %", 2)
    findings = [_finding("er-oxygen-low", "emergency-sign", "Low oxygen", old, new)]
    text = summary(pack, pack.topics["emergency-sign"], findings, _ctx())
    assert "89 % 2 h ago" in text and "(+" not in text


def test_the_summary_is_plain_text_and_the_detail_markdown(pack: Pack) -> None:
    """CDS Hooks makes the summary plain text (ER physician review, fourth round, m44): a
    bound reads "<88 %" there, never "\\<88 %", while the Markdown detail escapes it."""
    bound = _evidence("<88 %", 1.0)
    findings = [_finding("er-oxygen-low", "emergency-sign", "Low oxygen", bound)]
    text = summary(pack, pack.topics["emergency-sign"], findings, _ctx())
    assert "Low SpO2 <88 % 1 h ago" in text and "\\" not in text
    outcome = Outcome(in_scope=True, findings=tuple(findings))
    (card,) = build_cards(pack, outcome, _ctx())
    assert card.summary == text and "\\<88 %" in (card.detail or "")


@pytest.mark.parametrize("length", [10, 120, 139, 140, 400])
def test_summary_is_never_longer_than_139_characters(pack: Pack, length: int) -> None:
    label = ("Very long finding label " * 40)[:length]
    findings = [_finding("no-such-rule", "urgent-sign", label, _evidence("101.5 °F", 50))]
    findings += [_finding("other", "urgent-sign", "Chills", _evidence(None, 1))] * 3
    text = summary(pack, pack.topics["urgent-sign"], findings, _ctx())
    assert len(text) <= 139
    assert text.startswith("Urgent sign: ") and "(+3 more)" in text
    assert text.endswith("review today")


def test_a_chronic_condition_is_named_without_its_age(pack: Pack) -> None:
    ckd = Evidence("Condition/ckd", "CKD 3", ("ckd",), kind="condition", age_h=700 * 24)
    findings = [_finding("caution-kidney-disease", "analgesic-caution", "Kidney disease", ckd)]
    text = summary(pack, pack.topics["analgesic-caution"], findings, _ctx())
    assert text == "Pain-reliever caution: Kidney disease: talk with the patient first"


def test_times_are_shown_in_the_site_zone_with_their_age(pack: Pack) -> None:
    fact = _hr(150, 1.1, time="2026-11-26T15:02:00Z")
    outcome = build_findings(
        pack, [Firing(SCOPE_RULE, ()), Firing("er-heart-rate-high", (0,))], [fact]
    )
    cards = build_cards(pack, outcome, _ctx(tz=ZoneInfo("America/New_York")))
    detail = cards[0].detail or ""
    assert "at 10:02 EST (1 h ago)" in detail, detail
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", detail), "a raw ISO time is shown"
    assert cards[0].summary == "Emergency sign: Fast heart rate 150 /min 1 h ago: assess now"


def test_an_older_abnormal_reading_shows_the_newer_one(pack: Pack) -> None:
    old, new = _hr(150, 20, "Observation/a"), _hr(88, 1, "Observation/b")
    firings = [Firing(SCOPE_RULE, ()), Firing("er-heart-rate-high", (0,))]
    outcome = build_findings(pack, firings, [old, new])
    (evidence,) = outcome.findings[0].evidence
    assert evidence.newer is not None and evidence.newer.rid == "Observation/b"
    card = build_cards(pack, outcome, _ctx())[0]
    detail = card.detail or ""
    assert "latest: 88 /min at 15:10 UTC (1 h ago) (Observation/b)" in detail, detail
    assert (
        card.summary
        == "Emergency sign: Fast heart rate 150 /min 20 h ago, latest 88 /min: assess now"
    )


def test_the_latest_reading_is_not_repeated_beside_itself(pack: Pack) -> None:
    only = _hr(150, 1)
    outcome = build_findings(pack, [Firing("er-heart-rate-high", (0,))], [only])
    assert outcome.findings[0].evidence[0].newer is None


def test_an_unreadable_or_undated_reading_is_never_the_latest(pack: Pack) -> None:
    old = _hr(150, 20, "Observation/a")
    unreadable = _hr(0, 1, "Observation/b", understood=False, value=None)
    undated = _hr(80, 0, "Observation/c", time_known=False, time=None)
    outcome = build_findings(pack, [Firing("er-heart-rate-high", (0,))], [old, unreadable, undated])
    assert outcome.findings[0].evidence[0].newer is None


def test_each_reading_is_its_own_evidence(pack: Pack) -> None:
    # A panel with two abnormal components, and two copies of one id with different values.
    lying = _hr(135, 1, "Observation/panel", display="Heart rate lying")
    standing = _hr(150, 1, "Observation/panel", display="Heart rate standing")
    first, amended = _hr(140, 2, "Observation/dup"), _hr(160, 2, "Observation/dup")
    facts = [lying, standing, first, amended]
    outcome = build_findings(pack, [Firing("er-heart-rate-high", (0, 1, 2, 3))], facts)
    values = sorted(e.value or "" for e in outcome.findings[0].evidence)
    assert values == ["135 /min", "140 /min", "150 /min", "160 /min"]


def test_one_reading_in_two_value_sets_is_one_evidence(pack: Pack) -> None:
    a = _hr(150, 1)
    b = _hr(150, 1, valueset="other_hr")
    outcome = build_findings(pack, [Firing("er-heart-rate-high", (0, 1))], [a, b])
    (evidence,) = outcome.findings[0].evidence
    assert evidence.valuesets == ("heart_rate_obs", "other_hr")


def test_only_data_issues_in_scope_give_one_data_check_card(pack: Pack) -> None:
    issues = [
        DataIssue(rid="prefetch.observations", message="HTTP 503 from the FHIR server"),
        DataIssue(rid="Observation/x", message="belongs to Patient/other; not used"),
        DataIssue(rid="Observation/y", message="dated 15 days ahead", recheck="Fix its date"),
    ]
    cards = build_cards(pack, Outcome(True, ()), _ctx(issues=issues))
    assert [c.source.topic.code for c in cards if c.source.topic] == ["data-check"]
    card = cards[0]
    assert card.indicator == "warning" and len(card.summary) <= 139
    assert card.summary == "Check this data: observations not checked in full (+2 more)"
    detail = card.detail or ""
    topic = pack.topics["data-check"]
    assert topic.unavailable_text and topic.unavailable_recheck
    assert (
        topic.unavailable_text.format(
            key="observations",
            reason="HTTP 503 from the FHIR server",
            consequence=(
                "danger signs in recent vital signs and results not received were not checked"
            ),
        )
        in detail
    )
    assert topic.unavailable_recheck.format(key="observations") in detail
    assert "Observation/x: belongs to Patient/other; not used" in detail
    assert "re-check: Fix its date" in detail
    assert detail.count("re-check:") == 2  # the key's and Observation/y's own
    # the pack's general re-check is about readings (units, validation): not for these items
    assert detail.count("Re-check: ") == 0


def test_out_of_scope_gives_no_card_even_with_data_issues(pack: Pack) -> None:
    issues = [DataIssue(rid="prefetch.conditions", message="timed out")]
    assert build_cards(pack, Outcome(False, ()), _ctx(issues=issues)) == []


def test_other_cards_do_not_list_data_issues(pack: Pack) -> None:
    fact = _hr(150, 1)
    outcome = build_findings(
        pack, [Firing(SCOPE_RULE, ()), Firing("er-heart-rate-high", (0,))], [fact]
    )
    issues = [
        DataIssue(rid="Observation/hr", message="odd unit"),
        DataIssue(rid="X/1", message="bad"),
    ]
    cards = build_cards(pack, outcome, _ctx(issues=issues))
    codes = [c.source.topic.code for c in cards if c.source.topic]
    assert codes == ["emergency-sign", "data-check"]
    emergency = cards[0].detail or ""
    assert "odd unit" not in emergency and "could not be used" not in emergency
    assert "Not understood" not in emergency
    assert "odd unit" in (cards[1].detail or "") and "X/1: bad" in (cards[1].detail or "")


def test_data_check_findings_carry_their_issue_and_what_to_recheck(pack: Pack) -> None:
    hr = _hr(0, 1, understood=False, value=None, source_value="72 beats/fortnight")
    finding = Finding(
        "dc-rule", "data-check", "A heart rate could not be read", ("ER5",), (Evidence.of(hr),)
    )
    issues = [DataIssue(rid="Observation/hr", message="unit 'beats/fortnight' not known")]
    cards = build_cards(pack, Outcome(True, (finding,)), _ctx(issues=issues))
    (card,) = cards
    detail = card.detail or ""
    assert "problem: unit 'beats/fortnight' not known" in detail
    assert detail.count("unit 'beats/fortnight' not known") == 1  # with its reading, not again
    assert detail.count("Re-check: ") == 1
    assert card.summary.startswith("Check this data: A heart rate could not be read")


def _discharge(pack: Pack, emergency: bool) -> list[bool]:
    lbp = Fact(kind="condition", valueset="low_back_pain", rid="Condition/lbp", display="LBP")
    findings = [
        Finding(
            "discharge-instructions", "discharge-instructions", "x", ("FU1",), (Evidence.of(lbp),)
        )
    ]
    if emergency:
        findings.insert(
            0, _finding("er-fainting", "emergency-sign", "Fainting", _evidence(None, 2))
        )
    cards = build_cards(pack, Outcome(True, tuple(findings)), _ctx(hook="encounter-discharge"))
    return [s.isRecommended or False for c in cards for s in c.suggestions or []]


def test_no_suggestion_is_recommended_beside_a_critical_card(pack: Pack) -> None:
    assert any(_discharge(pack, emergency=False))
    assert not any(_discharge(pack, emergency=True))


def test_a_data_issue_names_the_record_in_words_when_a_finding_shows_it(pack: Pack) -> None:
    fact = _hr(150, 1)
    firings = [Firing(SCOPE_RULE, ()), Firing("er-heart-rate-high", (0,))]
    outcome = build_findings(pack, firings, [fact])
    issues = [DataIssue(rid="Observation/hr", message="second copy has no value")]
    cards = build_cards(pack, outcome, _ctx(issues=issues))
    data_check = cards[-1]
    assert data_check.summary == "Check this data: Heart rate not checked in full"
    assert "- Heart rate (Observation/hr): second copy has no value" in (data_check.detail or "")


@pytest.mark.parametrize(
    ("age_h", "said"),
    [
        (0.005, "just now"),
        (0.5, "30 min ago"),
        (1.99, "2 h ago"),
        (2.01, "2 h ago"),
        (47.4, "47 h ago"),
        (72, "72 h ago"),
        (96, "4 d ago"),
        (59 * 24, "59 d ago"),
        (60 * 24, "2 mo ago"),
        (705 * 24, "23 mo ago"),  # not "705 d ago" (fourth physician round)
        (1400 * 24, "4 y ago"),
        (-30, "dated in the future"),
    ],
)
def test_ages_are_said_as_a_clinician_would(pack: Pack, age_h: float, said: str) -> None:
    findings = [_finding("er-oxygen-low", "emergency-sign", "Low oxygen", _evidence("86 %", age_h))]
    assert f"86 % {said}" in summary(pack, pack.topics["emergency-sign"], findings, _ctx())


def test_a_bare_score_is_kept_apart_from_its_age(pack: Pack) -> None:
    gcs = _finding("er-gcs-low", "emergency-sign", "GCS below 15", _evidence("12", 1))
    text = summary(pack, pack.topics["emergency-sign"], [gcs], _ctx())
    assert text == "Emergency sign: Low GCS 12, 1 h ago: assess now"


def _imaging_not_indicated(pack: Pack, issues: list[DataIssue]) -> list[str]:
    """The suggestion labels of the not-indicated card for a draft MRI, given these issues."""
    order = Evidence(
        rid="ServiceRequest/img1",
        display="MRI lumbar spine",
        valuesets=("imaging_lumbar_mri",),
        time="2026-11-26T16:00:00Z",
    )
    finding = Finding(
        "imaging-not-indicated", "imaging-not-indicated", "no criterion", ("IMG1",), (order,)
    )
    ctx = _ctx(
        hook="order-select",
        draft_orders={"ServiceRequest/img1": {"resourceType": "ServiceRequest", "id": "img1"}},
        issues=issues,
    )
    cards = build_cards(pack, Outcome(True, (finding,)), ctx)
    card = next(
        c for c in cards if c.source.topic and c.source.topic.code == "imaging-not-indicated"
    )
    return [s.label for s in card.suggestions or []]


def test_removing_an_imaging_order_needs_the_whole_problem_list(pack: Pack) -> None:
    """'Not indicated' is only as good as the record read: with the problem list, the vital
    signs (a fever) or the medicines (a steroid) not had in full, the card still speaks but
    does not offer to delete the order; another key's gap does not stop it."""
    assert _imaging_not_indicated(pack, []) == ["Remove the lumbar imaging order"]
    missing = DataIssue(rid="prefetch.conditions", message="only the first 20 of 57 entries")
    assert _imaging_not_indicated(pack, [missing]) == []
    vitals = DataIssue(rid="prefetch.observations", message="could not be fetched")
    assert _imaging_not_indicated(pack, [vitals]) == []
    statements = DataIssue(rid="prefetch.medicationstatements", message="could not be fetched")
    assert _imaging_not_indicated(pack, [statements]) == []  # a home prednisone lives there
    other = DataIssue(rid="prefetch.patient", message="could not be fetched")
    assert _imaging_not_indicated(pack, [other]) == ["Remove the lumbar imaging order"]


def test_not_indicated_says_when_the_problem_list_was_not_had(pack: Pack) -> None:
    """Without the whole problem list the card cannot claim no criterion is in the record."""
    order = Evidence(
        rid="ServiceRequest/img1", display="MRI lumbar spine", valuesets=("imaging_lumbar_mri",)
    )
    finding = Finding(
        "imaging-not-indicated", "imaging-not-indicated", "no criterion", ("IMG1",), (order,)
    )

    def detail(issues: list[DataIssue]) -> str:
        cards = build_cards(pack, Outcome(True, (finding,)), _ctx(hook="order-sign", issues=issues))
        topic = "imaging-not-indicated"
        return next(c.detail for c in cards if c.source.topic and c.source.topic.code == topic)

    assert "not received in full" not in detail([])
    missing = DataIssue(rid="prefetch.conditions", message="not sent")
    assert "not received in full" in detail([missing])


@pytest.mark.parametrize(
    "day, said",
    [
        ("2026-11-26", "today"),
        ("2026-11-25", "yesterday"),
        ("2026-11-24", "2 d ago"),
        ("2026-11-27", "dated in the future"),
        ("2020-01-01", "7 y ago"),
    ],
)
def test_a_record_dated_by_its_day_alone_is_aged_in_days(day: str, said: str) -> None:
    """A Condition dated "2026-12-07" was "on 2026-12-07 (just now)", and one two days old
    "40 h ago", ages the day cannot tell (ER physician review, fourth round, m16)."""
    age_h = (NOW - datetime.fromisoformat(day).replace(tzinfo=UTC)).total_seconds() / 3600
    assert age_of(day, age_h, _ctx()) == said
    assert age_of("2026-11-26T15:10:00Z", 1.0, _ctx()) == "1 h ago"  # a time keeps its hours


def test_a_general_rule_is_left_out_where_a_specific_one_names_its_records(pack: Pack) -> None:
    """A past cancer was listed twice, as "a red flag in the history" and as "cancer", and the
    summary said "(+1 more)" for one reason (ER physician review, fourth round, m26). A
    general rule's finding stays when it names a record no specific rule does."""
    order = Evidence("ServiceRequest/mri", "MRI lumbar spine", ("imaging_lumbar_mri",), "order")
    cancer = Evidence("Condition/z853", "Hx of breast cancer", ("malignancy",), "condition")
    abscess = Evidence("Condition/g061", "Epidural abscess", ("x",), "condition")
    general = "imaging-supported-red-flag-history"
    assert general in pack.general_rules

    def cards(*history: Evidence) -> list[str]:
        findings = (
            _finding(general, "imaging-supported", "red flag", order, *history),
            _finding("imaging-supported-malignancy", "imaging-supported", "cancer", order, cancer),
        )
        outcome = Outcome(in_scope=True, findings=findings)
        ctx = _ctx(hook="order-sign")
        return [c.summary for c in build_cards(pack, outcome, ctx)]

    assert cards(cancer) == ["Lumbar imaging supported: cancer"]
    (both,) = cards(cancer, abscess)
    assert "(+1 more)" in both


def test_an_alongside_rule_never_raises_a_card_and_is_listed_last(pack: Pack) -> None:
    """Acetaminophen at home beside an NSAID order raised a caution of its own, and led the
    summary of a kidney caution, hiding its reason (ER physician review, er25a A, x24): alone
    it raises nothing; beside another rule it is listed after it, and the summary leads with
    the rule that raised the card."""
    order = Evidence("MedicationRequest/ibu", "Ibuprofen", ("ibuprofen",), "medication")
    tylenol = Evidence("MedicationRequest/apap", "Tylenol 500 mg", ("acetaminophen",), "medication")
    ckd = Evidence("Condition/ckd", "CKD stage 3", ("ckd",), "condition")
    context = "caution-acetaminophen-already-prescribed"
    assert context in pack.alongside_rules

    def cards(*findings: Finding) -> list[str]:
        outcome = Outcome(in_scope=True, findings=findings)
        return [c.detail for c in build_cards(pack, outcome, _ctx(hook="order-sign"))]

    at_home = _finding(context, "analgesic-caution", "acetaminophen at home", order, tylenol)
    assert cards(at_home) == []
    kidney = _finding("caution-kidney-disease", "analgesic-caution", "Kidney disease", order, ckd)
    (detail,) = cards(at_home, kidney)
    assert detail.index("Kidney disease") < detail.index("acetaminophen at home")
