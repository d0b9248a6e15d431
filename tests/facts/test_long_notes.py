"""Long notes read fast (`cds.facts.literals.Scans`, the per-call memo of what a row's words
say) give the cards the plain reading gives: every text pattern run on all the words with
``finditer``, every note read again however often it repeats. A sign in a long note must
never be lost to a shortcut, nor one found that the words do not say."""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds.call import request_call
from cds.facts.literals import LiteralIndex
from cds.facts.timing import FactContext
from cds.hooks.registry import parse_hook_request
from cds.pack.load import load_pack
from cds.pipeline import Evaluator
from tests.facts.test_literals import record_words

BASE = Path(__file__).resolve().parents[2] / "fhir_examples/back-spasm/heart-rate-131-card"
REQUEST: dict[str, Any] = json.loads((BASE / "request.json").read_text())
NOW = datetime.fromisoformat(json.loads((BASE / "scenario.json").read_text())["now"])
PATIENT = REQUEST["context"]["patientId"]
PACK = load_pack()
EVALUATOR = Evaluator(PACK)
UUID = "00000000-0000-4000-8000-000000000000"
HPI = {"coding": [{"system": "http://loinc.org", "code": "10164-2"}], "text": "HPI"}

DENIED = (
    "Seen for low back pain after lifting boxes. Pain 5/10, worse bending. Denies fever, "
    "chills, saddle anesthesia, urinary retention, incontinence, leg weakness. No IV drug "
    "use. Exam: T 36.8 HR 82 RR 16 SpO2 99% RA, paraspinal tenderness, SLR negative, "
    "strength 5/5 both legs. Plan: walking, heat, ibuprofen as needed; return for fever, "
    "numbness, weakness or bladder trouble.\n"
)
SAID = [  # each, inside denied boilerplate, names a sign (or a doubt) a card must carry
    "Since this morning new numbness of the groin and inner thighs, unable to pass urine.",
    "Tmax 39.4 at home last night, rigors. HR 134 on arrival.",
    "Denies fever, numbness L leg. Left EHL 3/5 today.",
    "Wife says he has been confused since yesterday, A&O x1.",
    "Patient reports café-au-lait lesions; urinary incontinence new since Tuesday.",
]


def _condition(cid: str, notes: list[str]) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": f"Patient/{PATIENT}"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "M54.50"}]},
        "onsetDateTime": "2026-11-20T08:00:00Z",
        "note": [{"text": t, "time": "2026-11-26T06:00:00Z"} for t in notes],
    }


def _row(oid: str, text: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": {"reference": f"Patient/{PATIENT}"},
        "code": HPI,
        "effectiveDateTime": "2026-11-26T05:00:00Z",
        "valueString": text,
    }


def records() -> Iterator[tuple[str, list[dict[str, Any]], list[dict[str, Any]]]]:
    """(name, Conditions, Observations): long notes, repeated and not, each naming a sign."""
    for n, said in enumerate(SAID):
        long = DENIED * 6 + said + " " + DENIED * 6  # the sign deep inside 8 KB
        yield f"note {n}", [_condition("c", [long])], []
        yield f"row {n}", [_condition("lbp", [])], [_row("h", DENIED * 20 + said)]
        copies = [_condition(f"c{i}", [DENIED * 2]) for i in range(40)]  # one template, 40x
        yield f"copied {n}", [*copies, _condition("x", [DENIED + said])], []
        mixed = [_condition(f"d{i}", [f"Visit {i}. " + DENIED]) for i in range(20)]
        yield f"mixed {n}", [*mixed, _condition("y", [f"Visit 99. {said} " + DENIED])], []
    yield "nothing said", [_condition(f"e{i}", [DENIED * 3]) for i in range(30)], []


def _cards(conditions: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[Any]:
    request = copy.deepcopy(REQUEST)
    request["prefetch"]["conditions"]["entry"] = [{"resource": r} for r in conditions]
    request["prefetch"]["observations"]["entry"] = [{"resource": r} for r in rows]
    response = EVALUATOR.run(request_call(parse_hook_request(request), NOW), lambda: UUID).response
    return [c.model_dump(mode="json") for c in response.cards]


def _forget() -> None:
    """Empty the memos the process keeps between calls, so each path reads afresh."""
    index = PACK.index
    for memo in (index._memo, index.concepts, index.said, index.quantities):
        memo.clear()
    for name, module in list(sys.modules.items()):
        if name.startswith("cds."):
            for value in list(vars(module).values()):
                if callable(getattr(value, "cache_clear", None)):
                    value.cache_clear()


class _Forgetful(dict[Any, Any]):
    """A memo that keeps nothing: every note read again."""

    def get(self, key: Any, default: Any = None) -> Any:
        return default

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


def _plain(mp: pytest.MonkeyPatch) -> None:
    """The plain reading: every pattern a candidate, run on all the words, no per-call memo."""
    post = FactContext.__post_init__

    def forgetful(self: FactContext) -> None:
        post(self)
        object.__setattr__(self, "said", _Forgetful())

    mp.setattr(LiteralIndex, "hits", lambda self, words: list(range(len(self.patterns))))
    mp.setattr(
        LiteralIndex, "matches", lambda self, i, w, low: list(self.patterns[i][0].finditer(w))
    )
    mp.setattr(FactContext, "__post_init__", forgetful)


def test_long_notes_give_the_cards_of_the_plain_reading() -> None:
    cases = list(records())
    _forget()
    fast = {name: _cards(c, o) for name, c, o in cases}
    with pytest.MonkeyPatch.context() as mp:
        _plain(mp)
        _forget()
        slow = {name: _cards(c, o) for name, c, o in cases}
    _forget()
    assert fast == slow
    said = [name for name, cards in fast.items() if cards]
    assert len(said) >= 4 * len(SAID), said  # the signs are found: the test compares cards
    assert not fast["nothing said"]


FILLER = DENIED.split(". ")


@settings(max_examples=150, deadline=None)
@given(
    parts=st.lists(
        st.one_of(st.sampled_from(record_words()), st.sampled_from(FILLER)), min_size=2, max_size=12
    ),
    glue=st.sampled_from([" ", ", ", ". ", "\n", "; no ", " denies ", "\r\n"]),
)
def test_matches_near_the_runs_are_every_match(parts: list[str], glue: str) -> None:
    """Looked for only near its runs, a pattern finds what ``finditer`` finds on all the words:
    the same places, the same groups."""
    words = glue.join(parts)
    index = PACK.index.by_runs
    low = words.lower()
    for i in index.hits([words]):
        pattern = index.patterns[i][0]
        plain = [(m.span(), m.groups()) for m in pattern.finditer(words)]
        near = [(m.span(), m.groups()) for m in index.matches(i, words, low)]
        assert near == plain, (index.patterns[i][1], pattern.pattern, words)


def test_a_bounded_pattern_is_looked_for_near_its_runs_only() -> None:
    index = LiteralIndex([(re.compile(r"(?<!no )\bfevers?\b(?! blisters?)", re.I), "fever")])
    assert index.reach[0] is not None
    words = "x" * 5000 + " no fever, then fever. " + "y" * 5000 + " fevers again"
    found = index.matches(0, words, words.lower())
    assert [m.group() for m in found] == ["fever", "fevers"]
    unbounded = LiteralIndex([(re.compile(r"fever.*today", re.I), "fever")])
    assert unbounded.reach[0] is None  # run on all the words
