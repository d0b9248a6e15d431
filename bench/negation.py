"""Benchmark: our NegEx/ConText classifier against negspacy and medspaCy's ConText.

    .venv/bin/python bench/negation.py                 # our classifier alone
    /path/to/nlp-venv/bin/python bench/negation.py     # and each library that imports there

Reads the hand-labelled corpus ``tests/facts/negation_corpus.json`` (short clinical phrases,
each with a target term and its assertion: affirmed, negated, uncertain, hypothetical,
historical, family)
and prints, for each classifier that can run here:

- accuracy per class and overall (five classes); on the phrases added after our lexicon was
  tuned (source "unseen": a fairer figure, the rest of the corpus was written alongside it);
  and on the question the value sets ask of an acute sign: "does this text count?" (affirmed
  vs everything else);
- microseconds per distinct text: each text read once, cold (our caches cleared; a library's
  whole pipeline: tokenizer, sentencizer, component);
- our classifier's cost again with its per-text cache warm (what repeated record texts cost).

The libraries run on a blank English pipeline (``spacy.blank("en")`` with a sentencizer; no
model download) with the target term set as the only entity. negspacy (NegEx, termset
``en_clinical``) says negated or not, nothing else; medspaCy's ConText says negated,
uncertain, hypothetical, historical and family (ours says hypothetical too: advice such as
"return if fever" is no finding, and no suspicion that a test is for). A library
that does not import is named as skipped. The script prints; it never asserts.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cds.facts import negation  # noqa: E402

CLASSES = ("affirmed", "negated", "uncertain", "hypothetical", "historical", "family")
Row = tuple[str, int, int, str]
UNSEEN: set[int] = set()
"""Rows written after the classifier was tuned and never tuned on (source "unseen")."""
Classifier = Callable[[str, int, int], str]


def corpus() -> list[Row]:
    rows = json.loads((ROOT / "tests/facts/negation_corpus.json").read_text())
    out: list[Row] = []
    for n, r in enumerate(rows):
        if r.get("source") == "unseen":
            UNSEEN.add(n)
        i = r["text"].lower().index(r["term"].lower())
        out.append((r["text"], i, i + len(r["term"]), r["label"]))
    return out


def ours() -> Classifier:
    def classify(text: str, start: int, end: int) -> str:
        return negation.assertion(text, start, end)

    return classify


def _ours_cold() -> None:
    negation._assertion.cache_clear()
    negation.read.cache_clear()


def negspacy_classifier() -> Classifier:
    import spacy
    from negspacy.negation import Negex  # noqa: F401  (registers the "negex" factory)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    negex = nlp.add_pipe("negex", config={"ent_types": ["TERM"]})

    def classify(text: str, start: int, end: int) -> str:
        doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
        doc.ents = [doc.char_span(start, end, label="TERM", alignment_mode="expand")]
        doc = negex(doc)
        return "negated" if doc.ents[0]._.negex else "affirmed"

    return classify


def medspacy_classifier() -> Classifier:
    import medspacy  # noqa: F401  (registers the "medspacy_context" factory)
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    context = nlp.add_pipe("medspacy_context")

    def classify(text: str, start: int, end: int) -> str:
        doc = nlp.get_pipe("sentencizer")(nlp.make_doc(text))
        doc.ents = [doc.char_span(start, end, label="TERM", alignment_mode="expand")]
        doc = context(doc)
        ent: Any = doc.ents[0]
        if ent._.is_negated:
            return "negated"
        if ent._.is_uncertain:
            return "uncertain"
        if ent._.is_hypothetical:
            return "hypothetical"
        if ent._.is_family:
            return "family"
        if ent._.is_historical:
            return "historical"
        return "affirmed"

    return classify


def measure(name: str, classify: Classifier, rows: list[Row], cold: Callable[[], None]) -> None:
    got: list[str] = []
    times: list[float] = []
    for text, start, end, _ in rows:
        cold()
        t0 = time.perf_counter()
        got.append(classify(text, start, end))
        times.append(time.perf_counter() - t0)
    hits = Counter(label for (_, _, _, label), g in zip(rows, got, strict=True) if g == label)
    totals = Counter(label for *_, label in rows)
    counts_right = sum(
        (g == "affirmed") == (label == "affirmed")
        for (_, _, _, label), g in zip(rows, got, strict=True)
    )
    unseen = sum(got[n] == rows[n][3] for n in UNSEEN)
    per_class = "  ".join(f"{c} {hits[c]}/{totals[c]}" for c in CLASSES)
    print(f"{name}")
    right = sum(hits.values())
    print(f"  accuracy {right}/{len(rows)} ({100 * right / len(rows):.1f} %)")
    print(f"  per class: {per_class}")
    print(f"  on the {len(UNSEEN)} phrases never tuned on: {unseen}/{len(UNSEEN)}")
    share = 100 * counts_right / len(rows)
    print(f"  counts-or-not right: {counts_right}/{len(rows)} ({share:.1f} %)")
    print(
        f"  per distinct text: median {statistics.median(times) * 1e6:.1f} µs, "
        f"mean {statistics.fmean(times) * 1e6:.1f} µs"
    )


def main() -> None:
    rows = corpus()
    print(f"corpus: {len(rows)} phrases {dict(Counter(label for *_, label in rows))}")
    for _ in range(3):  # warm the interpreter and the regular expressions
        for text, start, end, _label in rows:
            _ours_cold()
            negation.assertion(text, start, end)
    measure("ours (cds.facts.negation)", ours(), rows, _ours_cold)
    warm = []
    for text, start, end, _ in rows:
        negation.assertion(text, start, end)
        t0 = time.perf_counter()
        negation.assertion(text, start, end)
        warm.append(time.perf_counter() - t0)
    print(f"  cached (text seen before): median {statistics.median(warm) * 1e6:.2f} µs")
    for name, make in (
        ("negspacy (NegEx, en_clinical)", negspacy_classifier),
        ("medspaCy ConText (default rules)", medspacy_classifier),
    ):
        try:
            classify = make()
        except ImportError as exc:
            print(f"{name}: skipped, does not import here ({exc.name})")
            continue
        for text, start, end, _ in rows[:20]:  # warm up
            classify(text, start, end)
        measure(name, classify, rows, lambda: None)


if __name__ == "__main__":
    main()
