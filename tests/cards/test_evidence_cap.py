"""A finding lists at most ten pieces of evidence, the most recent and every draft order, and
counts the rest: a monitor's feed can send hundreds of abnormal readings (integrator review
int24: a 68 KB card for 500 heart rates)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cds.cards.build import CardContext, build_cards
from cds.cards.detail import MOST_EVIDENCE, listed_evidence
from cds.facts.model import DataIssue
from cds.findings import Evidence, Finding, Outcome
from cds.pack.load import Pack, load_pack

NOW = datetime(2026, 11, 26, 16, 10, tzinfo=UTC)


@pytest.fixture(scope="module")
def pack() -> Pack:
    return load_pack()


def _reading(n: int, age_h: float | None) -> Evidence:
    return Evidence(
        rid=f"Observation/hr{n}",
        display="Heart rate",
        valuesets=("heart_rate_obs",),
        value=f"{140 + n} /min",
        time=None if age_h is None else "2026-11-26T15:02:00Z",
        age_h=age_h,
    )


def _card_detail(pack: Pack, topic: str, rule: str, evidence: list[Evidence], **kw: object) -> str:
    finding = Finding(rule, topic, "A finding", ("ER5",), tuple(evidence))
    ctx = CardContext(hook="patient-view", patient_id="p1", now=NOW, **kw)  # type: ignore[arg-type]
    (card,) = build_cards(pack, Outcome(in_scope=True, findings=(finding,)), ctx)
    return card.detail or ""


def test_a_few_pieces_of_evidence_are_all_listed() -> None:
    evidence = [_reading(n, n) for n in range(MOST_EVIDENCE)]
    assert listed_evidence(evidence, ()) == (evidence, 0)


def test_many_readings_list_the_most_recent_in_their_own_order() -> None:
    evidence = [_reading(n, 500 - n) for n in range(500)]  # the last is the most recent
    shown, left = listed_evidence(evidence, ())
    assert shown == evidence[-MOST_EVIDENCE:] and left == 500 - MOST_EVIDENCE


def test_a_reading_with_no_time_is_listed_last_of_all() -> None:
    evidence = [_reading(0, None), *(_reading(n, n) for n in range(1, 12))]
    shown, left = listed_evidence(evidence, ())
    assert evidence[0] not in shown and left == 2
    assert shown == evidence[1 : MOST_EVIDENCE + 1]


def test_every_draft_order_is_listed() -> None:
    drafts = [_reading(n, 400) for n in range(3)]  # old times, but being ordered now
    evidence = [*drafts, *(_reading(n, n) for n in range(3, 40))]
    shown, left = listed_evidence(evidence, {e.rid for e in drafts})
    assert shown[:3] == drafts and len(shown) == MOST_EVIDENCE
    assert left == len(evidence) - MOST_EVIDENCE


def test_the_card_counts_what_it_does_not_list(pack: Pack) -> None:
    evidence = [_reading(n, 500 - n) for n in range(500)]
    detail = _card_detail(pack, "emergency-sign", "er-heart-rate-high", evidence)
    assert detail.count("Observation/hr") == MOST_EVIDENCE
    assert "Observation/hr499" in detail and "Observation/hr0)" not in detail
    assert "and 490 older records alike, not listed" in detail
    assert len(detail) < 5_000


def test_a_data_check_card_does_not_list_the_left_out_records_among_its_other_items(
    pack: Pack,
) -> None:
    evidence = [_reading(n, 30 - n) for n in range(30)]
    issues = [
        DataIssue(rid=e.rid, message=f"status preliminary ({e.rid})", recheck="validate")
        for e in evidence
    ]
    detail = _card_detail(
        pack, "data-check", "dc-heart-rate-high-unverified", evidence, issues=issues
    )
    assert detail.count("Observation/hr") <= 2 * MOST_EVIDENCE  # its line and its problem
    assert "and 20 older records alike, not listed" in detail


def test_the_latest_reading_is_said_once_for_the_rows_it_is_newer_than(pack: Pack) -> None:
    latest = _reading(99, 0.5)
    evidence = [
        Evidence(e.rid, e.display, e.valuesets, e.kind, e.value, e.time, e.age_h, newer=latest)
        for e in (_reading(n, 30 - n) for n in range(30))
    ]
    detail = _card_detail(pack, "emergency-sign", "er-heart-rate-high", evidence)
    assert detail.count("latest: ") == 1


def test_a_data_check_card_says_the_latest_verified_reading_once(pack: Pack) -> None:
    latest = _reading(99, 0.5)
    evidence = [
        Evidence(e.rid, e.display, e.valuesets, e.kind, e.value, e.time, e.age_h, newer=latest)
        for e in (_reading(n, 30 - n) for n in range(5))
    ]
    detail = _card_detail(pack, "data-check", "dc-heart-rate-high-unverified", evidence)
    assert detail.count("latest verified reading: ") == 1
