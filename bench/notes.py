"""Benchmark: records heavy with words (long notes, a long history row) against their floor.

    .venv/bin/python bench/notes.py [ROUNDS]          # default 5

Builds the shapes the EHR integrator measured (review int25): a patient-view call whose
problem list holds 200 Conditions with a realistic note of a kilobyte each (history, review
of systems, exam, plan: it names about fifteen signs, most of them denied), the same with
every note different (a visit number first: no note is read twice), one 20 KB history of
present illness as an Observation row and as a Condition's note, and 500 rows "HR 13x on
monitor". For each it prints the median over ROUNDS rounds of:

- the spine as the service runs it once the request is read (``call_of`` + ``Evaluator.run``),
  with every memo of the process emptied before each call (``functools`` caches of
  ``cds``, the value-set index's memos): what a new patient's words cost, none of them
  met before;
- the same call again on the same process, memos warm (what the service's own memos give
  when one patient's chart is opened twice);
- the floor, timed in the same round next to the call: ``orjson.loads`` of the request and
  one walk over every string in it, lower-cased once (no service reads words in less).

The two calls the integrator's target is about (200 notes of a kilobyte, the 20 KB row) are
said against 500 ms, the budget of a CDS Hooks card. The script prints; it never asserts."""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cds.call import call_of
from cds.hooks.registry import parse_context, parse_hook_request
from cds.pack.load import Pack, load_pack
from cds.pipeline import Evaluator

HOOK = "patient-view"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ROUNDS = 5
TARGET_MS = 500.0
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"
LOINC = "http://loinc.org"
HPI = ("10164-2", "History of present illness")
NOTE = (
    "HPI: 52F with LBP x5 days after gardening. Pain 6/10, radiates to L buttock, no leg "
    "weakness.\r\nROS: Negative for fever, chills, saddle anesthesia, bowel or bladder "
    "changes.\r\nPMH: HTN, DM2 (A1c 7.2), GERD. Meds: lisinopril, metformin, omeprazole.\r\n"
    "Exam: T 36.9 HR 84 RR 14 BP 138/82 SpO2 98% RA. Lumbar paraspinal TTP. SLR neg bilat. "
    "5/5 strength.\r\nPlan: PT, heat, NSAIDs prn. Return precautions reviewed: return for "
    "fever, numbness, weakness, bladder problems.\r\n"
) * 40
"""A realistic history (the integrator's): 20 KB; its first kilobyte is one problem's note."""


def _at(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _condition(cid: str, notes: list[str] | None = None, hours: float = 2) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "Condition",
        "id": cid,
        "subject": {"reference": "Patient/p1"},
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": ICD10, "code": "M54.50", "display": "Low back pain"}]},
        "onsetDateTime": _at(72),
    }
    if notes is not None:
        out["note"] = [{"text": text, "time": _at(hours)} for text in notes]
    return out


def _row(oid: str, text: str, hours: float = 1) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "subject": {"reference": "Patient/p1"},
        "code": {"coding": [{"system": LOINC, "code": HPI[0], "display": HPI[1]}]},
        "effectiveDateTime": _at(hours),
        "valueString": text,
    }


def _request(conditions: list[dict[str, Any]], rows: list[dict[str, Any]]) -> bytes:
    def bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "resourceType": "Bundle",
            "type": "searchset",
            "entry": [{"resource": r} for r in resources],
        }

    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1970-01-01"}
    return orjson.dumps(
        {
            "hook": HOOK,
            "hookInstance": "00000000-0000-4000-8000-000000000001",
            "context": {"userId": "Practitioner/doc1", "patientId": "p1"},
            "prefetch": {
                "patient": patient,
                "conditions": bundle(conditions),
                "observations": bundle(rows),
                "medications": bundle([]),
                "medicationstatements": bundle([]),
            },
        }
    )


def payloads() -> dict[str, tuple[bytes, bool]]:
    """Name → (request body, said against the target)."""
    kb = NOTE[:1000]
    return {
        "200 problems x 1 KB note (int25)": (
            _request(
                [_condition("lbp")] + [_condition(f"c{i}", [kb], 2 + i / 10) for i in range(200)],
                [],
            ),
            True,
        ),
        "200 problems x 1 KB note, each different": (
            _request(
                [_condition("lbp")]
                + [_condition(f"c{i}", [f"Visit {i}. {kb[:990]}"], 2 + i / 10) for i in range(200)],
                [],
            ),
            False,
        ),
        "HPI row of 20 KB (int25)": (_request([_condition("lbp")], [_row("h", NOTE)]), True),
        "a problem's note of 20 KB": (_request([_condition("lbp", [NOTE])], []), False),
        "500 rows 'HR 13x on monitor'": (
            _request(
                [_condition("lbp")],
                [_row(f"t{i}", f"HR {130 + i % 20} on monitor", 1 + i / 10) for i in range(500)],
            ),
            False,
        ),
    }


def forget() -> None:
    """Empty every memo the process keeps between calls: ``functools`` caches in ``cds``'s
    modules and the pack's value-set index's."""
    for name, module in list(sys.modules.items()):
        if name == "cds" or name.startswith("cds."):
            for value in vars(module).values():
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == name:
                    clear()


def _forget_index(pack: Pack) -> None:
    index = pack.index
    for memo in (index._memo, index.concepts, index.said, index.quantities):
        memo.clear()


def _walk(x: Any) -> int:
    if isinstance(x, str):
        return len(x.lower())
    if isinstance(x, dict):
        return sum(_walk(v) for v in x.values())
    if isinstance(x, list):
        return sum(_walk(v) for v in x)
    return 0


def floor(body: bytes) -> int:
    """The least any service does with these words: parse the request, read each once."""
    return _walk(orjson.loads(body))


def ms(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    run()
    return (time.perf_counter() - start) * 1000


def main(argv: list[str]) -> None:
    rounds = int(argv[1]) if len(argv) > 1 else ROUNDS
    pack = load_pack()
    evaluator = Evaluator(pack)

    def evaluate(body: bytes) -> int:
        request = parse_hook_request(orjson.loads(body), check_context=False)
        context = parse_context(HOOK, request.context)
        assert context is not None  # nosec B101  # HOOK is a registry hook
        call = call_of(HOOK, context, request.prefetch, NOW)
        return len(
            evaluator.run(call, lambda: "00000000-0000-4000-8000-000000000000").response.cards
        )

    bodies = payloads()
    for body, _ in bodies.values():  # warm the interpreter up: imports, compiled patterns
        evaluate(body)
    gc.collect()
    gc.freeze()
    print(f"patient-view, median of {rounds} rounds; each round times the floor and the call")
    print("back to back; 'cold': every memo of the process emptied before the call")
    print()
    print(
        f"  {'record':<44}{'KiB':>6}{'cards':>6}{'cold ms':>10}{'warm ms':>10}"
        f"{'floor ms':>10}{'× floor':>9}"
    )
    verdicts = []
    for name, (body, targeted) in bodies.items():
        cold, warm, floors = [], [], []
        for _ in range(rounds):
            floors.append(ms(lambda body=body: floor(body)))
            forget()
            _forget_index(pack)
            cold.append(ms(lambda body=body: evaluate(body)))
            warm.append(ms(lambda body=body: evaluate(body)))
        c, w, f = (statistics.median(x) for x in (cold, warm, floors))
        cards = evaluate(body)
        print(
            f"  {name:<44}{len(body) / 1024:>6.0f}{cards:>6}{c:>10.1f}{w:>10.1f}"
            f"{f:>10.2f}{c / f:>9.0f}"
        )
        if targeted:
            verdicts.append(
                f"  target: {name} <= {TARGET_MS:.0f} ms cold -> {c:.0f} ms"
                f" ({'met' if c <= TARGET_MS else 'MISSED'})"
            )
    print()
    print("\n".join(verdicts))


if __name__ == "__main__":
    main(sys.argv)
