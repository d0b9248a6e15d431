"""``cds rules check``: a pack's validity, coverage and static analysis (running its golden
scenarios, ``cds rules test``, is ``cds.scenarios``).

Static analysis (``analyse``) finds the class of gap a clinical review found by hand: value
sets no rule uses, rules no golden scenario fires, text patterns that match nothing in the
examples, statements covered only by text-matched rules, suggestion codes that are not what
they say, and a pack with no data-check topic. Each finding names its file and the path in
it; errors fail ``cds rules check`` (exit 1), warnings do not. A rule that requires and
negates the same kind of fact is rejected earlier, when the pack is loaded
(``load._negation_conflicts``, exit 2).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from cds.errors import RulePackError
from cds.pack.compile import compile_pack
from cds.pack.examples import EXAMPLES_DIR, Scenario, scenarios
from cds.pack.load import Pack, load_pack
from cds.pack.schema import Pattern, PatternRef, Rule

SNOMED = "http://snomed.info/sct"

CORPUS_DIR = Path(__file__).resolve().parents[2] / "tests" / "realworld" / "cases"
"""The real-world-shaped test corpus: its requests' words count as examples for text patterns."""


def coverage(pack: Pack) -> dict[str, list[str]]:
    """Statement id → what covers it (rules, passages, topics, suggestions, links)."""
    covered: dict[str, list[str]] = {s.id: [] for s in pack.spec.statements}
    for rule in pack.spec.rules:
        for c in rule.covers:
            covered.setdefault(c, []).append(f"rule {rule.id}")
    for p in pack.passages:
        for c in p.covers:
            covered.setdefault(c, []).append(f"instructions {p.id}")
    for topic in pack.spec.topics:
        for c in topic.covers:
            covered.setdefault(c, []).append(f"topic {topic.code}")
        labelled = [(s.label, s.covers) for s in topic.suggestions]
        labelled += [(ln.label, ln.covers) for ln in topic.links]
        for label, covers in labelled:
            for c in covers:
                covered.setdefault(c, []).append(f"topic {topic.code}: {label}")
    return covered


Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class CheckFinding:
    """One problem static analysis found: where (file and path in it) and what."""

    severity: Severity
    file: Path
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.file}: {self.path}: {self.message}"


@dataclass(frozen=True)
class CheckReport:
    """``cds rules check``'s answer: a summary line and every finding; errors fail it."""

    summary: str
    findings: tuple[CheckFinding, ...]

    @property
    def errors(self) -> list[CheckFinding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def text(self) -> str:
        return "\n".join([*(str(f) for f in self.findings), self.summary])


def check_pack(name: str | None) -> str:
    """Validate a pack; a RulePackError if it is invalid, else the report's text (which lists
    the static analysis findings and says "ok" only when there are none)."""
    return check(name).text


def check(name: str | None) -> CheckReport:
    """Validate a pack (a RulePackError when it cannot be loaded or compiled, or a statement is
    covered by nothing), then analyse it: ``analyse`` lists what it finds."""
    pack = load_pack(name)
    for hook in pack.spec.pack.hooks:
        compile_pack(pack, hook)
    uncovered = [sid for sid, by in coverage(pack).items() if not by]
    if uncovered:
        raise RulePackError(
            f"{pack.path / 'pack.yaml'}: statements covered by nothing (no rule, topic or "
            f"instructions.yaml passage covers them): {', '.join(uncovered)}"
        )
    findings = tuple(analyse(pack, scenarios(pack), example_texts(pack)))
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    verdict = "ok" if not errors else f"{errors} error(s)"
    verdict += f", {warnings} warning(s)" if warnings else ""
    return CheckReport(
        f"{pack.label}: {verdict}: {len(pack.spec.rules)} rules, {len(pack.valuesets)} value "
        f"sets, {len(pack.passages)} instruction passages, {len(pack.spec.statements)} "
        f"statements covered, hooks: {', '.join(pack.spec.pack.hooks)}",
        findings,
    )


def analyse(pack: Pack, examples: Sequence[Scenario], texts: Iterable[str]) -> list[CheckFinding]:
    """Static analysis of a valid pack against its golden scenarios and example texts."""
    return [
        *unused_valuesets(pack),
        *unexercised_rules(pack, examples),
        *silent_text_patterns(pack, texts),
        *text_only_statements(pack),
        *suggestion_code_findings(pack),
        *missing_data_check(pack),
    ]


def _patterns(pack: Pack, refs: Iterable[PatternRef]) -> list[tuple[str, Pattern]]:
    """(name as written, resolved pattern) for each criterion reference."""
    return [(r if isinstance(r, str) else "a pattern", pack.pattern(r)) for r in refs]


def _users(pack: Pack) -> dict[str, list[str]]:
    """Value set id → the pack paths that use it."""
    users: dict[str, list[str]] = {}
    for name, pattern in pack.spec.criteria.items():
        for vs in pattern.valuesets:
            users.setdefault(vs, []).append(f"criteria.{name}")
    for rule in pack.spec.rules:
        for ref in (*rule.when, *rule.unless):
            if not isinstance(ref, str):
                for vs in ref.valuesets:
                    users.setdefault(vs, []).append(f"rules.{rule.id}")
    for i, ref in enumerate(pack.spec.scope):
        if not isinstance(ref, str):
            for vs in ref.valuesets:
                users.setdefault(vs, []).append(f"scope[{i}]")
    for topic in pack.spec.topics:
        for s in topic.suggestions:
            for vs in (*s.only_valuesets, *s.except_valuesets):
                users.setdefault(vs, []).append(f"topics.{topic.code}")
    return users


def unused_valuesets(pack: Pack) -> list[CheckFinding]:
    """A value set no rule uses is a sign nobody looks for (GCS imported and never read), unless
    ``unused_valuesets`` in pack.yaml says why; a reason for a used value set is stale."""
    users, listed, out = _users(pack), pack.spec.unused_valuesets, []
    where = pack.path / "pack.yaml"
    for vs in pack.valuesets:
        if vs not in users and vs not in listed:
            out.append(
                CheckFinding(
                    "error",
                    pack.path / "valuesets.json",
                    vs,
                    "no rule, criterion or scope uses this value set; use it, or list it under "
                    "unused_valuesets in pack.yaml with the reason",
                )
            )
    for vs in listed:
        if vs in users:
            out.append(
                CheckFinding(
                    "error",
                    where,
                    f"unused_valuesets.{vs}",
                    f"listed as unused but used by {', '.join(sorted(set(users[vs])))}",
                )
            )
        elif vs not in pack.valuesets:
            out.append(CheckFinding("error", where, f"unused_valuesets.{vs}", "no such value set"))
    return out


_RULES_LINE = re.compile(r"rules: ([^;]*);")


def fired_rules(examples: Iterable[Scenario]) -> dict[str, list[str]]:
    """Rule id → the golden scenarios whose expected cards name it ("rules: a, b;" in the
    detail: the card builder writes the rules behind every card)."""
    fired: dict[str, list[str]] = {}
    for sc in examples:
        for card in sc.expected.get("cards", []):
            for match in _RULES_LINE.finditer(card.get("detail") or ""):
                for rule in match.group(1).split(","):
                    fired.setdefault(rule.strip(), []).append(sc.name)
    return fired


def unexercised_rules(pack: Pack, examples: Sequence[Scenario]) -> list[CheckFinding]:
    """A rule no golden scenario fires is untested: nothing shows it fires when it should (an
    error). A rule a site setting switches off by default (null) cannot fire in the default
    scenarios: a warning."""
    fired, out = fired_rules(examples), []
    for rule in pack.spec.rules:
        if rule.id in fired:
            continue
        off = _off_by_default(pack, rule)
        out.append(
            CheckFinding(
                "warning" if off else "error",
                pack.path / "pack.yaml",
                f"rules.{rule.id}",
                f"no golden scenario under fhir_examples/{pack.id}/ fires this rule"
                + (f" (it is off while setting {off} is null, its default)" if off else ""),
            )
        )
    return out


def _off_by_default(pack: Pack, rule: Rule) -> str | None:
    """The setting, null by default, that keeps a rule from firing; None if there is none."""
    names: list[object] = [rule.enabled_by]
    for _, p in _patterns(pack, rule.when):
        for part in (p.within, p.older_than):
            if part is not None:
                names += [part.hours, part.days, part.weeks]
        if p.value is not None:
            names += [p.value.gt, p.value.gte, p.value.lt, p.value.lte]
    for name in names:
        setting = pack.spec.settings.get(name) if isinstance(name, str) else None
        if setting is not None and setting.default is None:
            return str(name)
    return None


def example_texts(pack: Pack) -> list[str]:
    """Every ``text`` and ``display`` string in the example requests under fhir_examples/ and
    in the real-world-shaped corpus (tests/realworld/cases/), and every ``match`` phrase of the
    pack's ``text-examples.yaml`` (each tested to match its value set by words)."""
    texts: set[str] = {p for ex in pack.text_examples.values() for p in ex.match}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("text", "display") and isinstance(value, str):
                    texts.add(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in sorted([*EXAMPLES_DIR.rglob("*.json"), *CORPUS_DIR.glob("*.json")]):
        if path.name.startswith("expected"):
            continue
        try:
            walk(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
    return sorted(texts)


def silent_text_patterns(pack: Pack, texts: Iterable[str]) -> list[CheckFinding]:
    """A text pattern that matches nothing in the examples is untested (a typo in a regular
    expression fails silently): a warning."""
    corpus = list(texts)
    out = []
    for vs in pack.valuesets.values():
        for i, pattern in enumerate(vs.text):
            regex = re.compile(pattern, re.IGNORECASE)
            if not any(regex.search(t) for t in corpus):
                out.append(
                    CheckFinding(
                        "warning",
                        pack.path / "valuesets.yaml",
                        f"{vs.id}.text[{i}]",
                        f"pattern {pattern!r} matches no text or display in the examples "
                        "(fhir_examples/, tests/realworld/cases/) nor any phrase of "
                        "text-examples.yaml",
                    )
                )
    return out


def _text_only(pack: Pack, pattern: Pattern) -> bool:
    """A pattern whose value sets have no codes: it matches words only."""
    sets = [pack.valuesets[v] for v in pattern.valuesets if v in pack.valuesets]
    return all(not vs.codes and not vs.prefixes for vs in sets)


def text_only_statements(pack: Pack) -> list[CheckFinding]:
    """A sheet statement whose rules all stand on words alone: coded data never raises it."""
    by_statement: dict[str, list[bool]] = {}
    for rule in pack.spec.rules:
        words = any(_text_only(pack, p) for _, p in _patterns(pack, rule.when))
        for sid in rule.covers:
            by_statement.setdefault(sid, []).append(words)
    return [
        CheckFinding(
            "warning",
            pack.path / "pack.yaml",
            f"statements.{sid}",
            "covered only by rules whose value sets match text, never a code",
        )
        for sid, words in by_statement.items()
        if words and all(words)
    ]


def suggestion_code_problems(pack: Pack) -> list[str]:
    """Each suggestion code that is in no value set of the pack and not in its terminology
    table (``terminology.yaml``), or whose display differs from the one found there."""
    known: dict[tuple[str, str], str | None] = {}
    for vs in pack.valuesets.values():
        for c in vs.codes:
            known.setdefault((c.system, c.code), c.display)
    table = pack.path / "terminology.yaml"
    if table.exists():
        data = yaml.safe_load(table.read_text(encoding="utf-8")) or {}
        for entry in data.get("codes", []):
            known[(str(entry["system"]), str(entry["code"]))] = str(entry["display"])
    problems = []
    for topic in pack.spec.topics:
        for s in topic.suggestions:
            if not s.replacement_code:
                continue
            system = s.replacement_system or SNOMED
            display = s.replacement_display or s.replacement_text or s.label
            where = f"topics.{topic.code}.suggestions[{s.label}]"
            if (system, s.replacement_code) not in known:
                problems.append(
                    f"{where}: code {system}|{s.replacement_code} is in no value set and not "
                    "in terminology.yaml"
                )
                continue
            expected = known[(system, s.replacement_code)]
            if expected and expected.casefold() != display.casefold():
                problems.append(
                    f"{where}: code {s.replacement_code} is '{expected}', not '{display}'"
                )
    return problems


def suggestion_code_findings(pack: Pack) -> list[CheckFinding]:
    out = []
    for problem in suggestion_code_problems(pack):
        path, _, message = problem.partition(": ")
        out.append(CheckFinding("error", pack.path / "pack.yaml", path, message))
    return out


def missing_data_check(pack: Pack) -> list[CheckFinding]:
    """Without a data-check topic, data that could not be read or retrieved is never shown."""
    if any(t.code == "data-check" for t in pack.spec.topics):
        return []
    return [
        CheckFinding(
            "error",
            pack.path / "pack.yaml",
            "topics",
            "no data-check topic: readings that cannot be read and data that could not be "
            "retrieved would not be shown",
        )
    ]
