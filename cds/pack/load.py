"""Read a rule pack folder, validate it, and cross-check its references."""

from __future__ import annotations

import json
import sysconfig
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from cds.errors import ConfigError, RulePackError
from cds.facts.answer_words import AnswerWords
from cds.facts.valuesets import ValueSetIndex
from cds.pack.answer_schema import AnswersFile
from cds.pack.passages import Passage
from cds.pack.schema import (
    InstructionsFile,
    PackFile,
    Pattern,
    PatternRef,
    Rule,
    TextExamples,
    TextExamplesFile,
    Topic,
)
from cds.pack.valueset_schema import ValueSet, ValueSetAddition, unknown_dose_targets

RULES_DIR = Path(__file__).resolve().parents[2] / "rules"
"""The checkout's rules/ folder (a development or editable install)."""
INSTALLED_RULES_DIR = Path(sysconfig.get_path("data")) / "share" / "cds" / "rules"
"""Where a wheel install puts the bundled packs (pyproject's data-files)."""


def rules_dirs() -> list[Path]:
    """Where packs are looked up by name: the checkout first, then the installed data."""
    return [d for d in (RULES_DIR, INSTALLED_RULES_DIR) if d.is_dir()]


M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Pack:
    """A validated rule pack, ready to compile."""

    path: Path
    spec: PackFile
    valuesets: dict[str, ValueSet]
    passages: list[Passage]
    text_examples: dict[str, TextExamples] = field(default_factory=dict)
    """``text-examples.yaml``: value set id → phrases its text patterns must (not) match."""
    answers: AnswersFile | None = None
    """``answers.yaml``: the words a row named for a sign is answered with (none: no pack
    file, and every answer in words is one not understood)."""

    @property
    def id(self) -> str:
        return self.spec.pack.id

    @property
    def version(self) -> str:
        return self.spec.pack.version

    @property
    def label(self) -> str:
        return f"{self.spec.pack.title} ({self.id} {self.version})"

    @cached_property
    def topics(self) -> dict[str, Topic]:
        return {t.code: t for t in self.spec.topics}

    @cached_property
    def rules(self) -> dict[str, Rule]:
        return {r.id: r for r in self.spec.rules}

    @cached_property
    def index(self) -> ValueSetIndex:
        index = ValueSetIndex.build(self.valuesets, AnswerWords.build(self.answers))
        # the Conditions that raise a danger sign's card (a data-check card's raised_topics)
        raised = {t for topic in self.spec.topics for t in topic.raised_topics}
        whens = [self.pattern(ref) for r in self.spec.rules if r.topic in raised for ref in r.when]
        index.signs = frozenset(vs for p in whens if p.fact == "condition" for vs in p.valuesets)
        return index

    @cached_property
    def canonical_units(self) -> dict[str, str | None]:
        return {vs.id: vs.unit for vs in self.valuesets.values()}

    @cached_property
    def measured_by(self) -> dict[str, str]:
        """Value set → the observation value set that measures it (``measured_by``)."""
        return {vs.id: vs.measured_by for vs in self.valuesets.values() if vs.measured_by}

    @cached_property
    def alongside_rules(self) -> frozenset[str]:
        """Rules listed on their topic's card but never raising it by themselves."""
        return frozenset(r.id for r in self.spec.rules if r.alongside)

    @cached_property
    def general_rules(self) -> frozenset[str]:
        """Rules that a more specific rule's finding of the same records makes redundant."""
        return frozenset(r.id for r in self.spec.rules if r.general)

    @cached_property
    def superseded_by_measure(self) -> frozenset[str]:
        """Value sets whose Conditions a newer reading that is no sign supersedes."""
        return frozenset(
            vs.id for vs in self.valuesets.values() if vs.superseded_by_measure and vs.measured_by
        )

    def pattern(self, ref: PatternRef) -> Pattern:
        """The pattern a rule names (a criterion) or writes in place."""
        return self.spec.criteria[ref] if isinstance(ref, str) else ref

    def setting_values(self, overrides: dict[str, float | None] | None = None) -> dict[str, Any]:
        """Each setting's value: the pack default unless the site overrides it."""
        values: dict[str, Any] = {k: s.default for k, s in self.spec.settings.items()}
        for key, value in (overrides or {}).items():
            if key not in values:
                raise RulePackError(f"unknown site setting '{key}' for pack {self.id}")
            refusal = self.spec.settings[key].refusal(key, value)
            if refusal is not None:
                raise ConfigError(f"{refusal} (pack {self.id} {self.version})")
            values[key] = value
        return values


def pack_path(name_or_path: str | Path | None) -> Path:
    """A pack given by name (a folder under rules/) or by path; the bundled pack by default."""
    name = "back-spasm" if name_or_path is None else str(name_or_path)
    if name_or_path is not None and Path(name).is_dir():
        return Path(name)
    for folder in rules_dirs():
        if (folder / name).is_dir():
            return folder / name
    searched = ", ".join(str(d) for d in (RULES_DIR, INSTALLED_RULES_DIR))
    raise RulePackError(f"no rule pack '{name}' (not a folder, not under {searched})")


def load_pack(name_or_path: str | Path | None = None) -> Pack:
    """Load and validate a pack; a RulePackError names the file, the path in it and why."""
    root = pack_path(name_or_path)
    spec = _model(root / "pack.yaml", PackFile)
    valuesets = _valuesets(root)
    instructions = (
        _model(root / "instructions.yaml", InstructionsFile)
        if (root / "instructions.yaml").exists()
        else InstructionsFile(passages=[])
    )
    examples = (
        _model(root / "text-examples.yaml", TextExamplesFile).root
        if (root / "text-examples.yaml").exists()
        else {}
    )
    answers = (
        _model(root / "answers.yaml", AnswersFile, _read(root / "answers.yaml") or {})
        if (root / "answers.yaml").exists()
        else None
    )
    pack = Pack(root, spec, valuesets, instructions.passages, examples, answers)
    problems = cross_check(pack)
    if problems:
        raise RulePackError(f"{root / 'pack.yaml'}: " + "; ".join(problems), details=problems)
    problems = text_example_problems(pack)
    if problems:
        where = root / "text-examples.yaml"
        raise RulePackError(f"{where}: " + "; ".join(problems), details=problems)
    return pack


def text_example_problems(pack: Pack) -> list[str]:
    """Each ``text-examples.yaml`` entry names a value set that has text patterns."""
    problems = []
    for vs_id in pack.text_examples:
        if vs_id not in pack.valuesets:
            problems.append(f"{vs_id}: unknown value set '{vs_id}'")
        elif not pack.valuesets[vs_id].text:
            problems.append(f"{vs_id}: the value set has no text patterns to exercise")
    return problems


_FastLoader: Any = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
"""libyaml's safe loader when PyYAML has it (its wheels do): the same documents, read ~10x
faster than the pure-Python one (0.3 s of every ``cds review``'s start-up); its errors give
the line and column without the excerpt."""


class _PackLoader(_FastLoader):  # type: ignore[misc]  # a base chosen at import
    """A safe loader that refuses a key given twice in one mapping: YAML's loaders keep the
    last silently, and a value set or rule written twice loses the first without a word."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # the base constructor says what is wrong with it
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"the key {key!r} is given twice", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return mapping


def _yaml(text: str) -> Any:
    return yaml.load(text, Loader=_PackLoader)  # noqa: S506  # nosec B506  # a safe loader subclassed


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refusing a key given twice (``json`` keeps the last silently)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {key!r} is given twice")
        out[key] = value
    return out


def _read(path: Path) -> Any:
    if not path.exists():
        raise RulePackError(f"{path}: file missing")
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".json":
            return json.loads(text, object_pairs_hook=_unique_keys)
        return _yaml(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise RulePackError(f"{path}: cannot be read: {exc}") from exc


def _model(path: Path, model: type[M], data: Any = None) -> M:
    try:
        return model.model_validate(_read(path) if data is None else data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise RulePackError(
            f"{path}: {where}: {first['msg']}", details=exc.errors(include_url=False)
        ) from exc


_MERGED = frozenset({"codes", "prefixes", "exclude_codes", "text"})
"""Value-set fields an addition extends rather than replaces."""


def _valuesets(root: Path) -> dict[str, ValueSet]:
    imported = _read(root / "valuesets.json")
    additions = _read(root / "valuesets.yaml") or {} if (root / "valuesets.yaml").exists() else {}
    if not isinstance(imported, dict) or not isinstance(additions, dict):
        raise RulePackError(f"{root}: valuesets.json and valuesets.yaml must be mappings")
    out: dict[str, ValueSet] = {}
    for vs_id in sorted(set(imported) | set(additions)):
        base = dict(imported.get(vs_id) or {"title": vs_id})
        extra = _model(root / "valuesets.yaml", ValueSetAddition, additions.get(vs_id) or {})
        for key in sorted(_MERGED):
            base[key] = list(base.get(key) or []) + [
                x.model_dump() if isinstance(x, BaseModel) else x for x in getattr(extra, key)
            ]
        # every other field the addition gives replaces the imported one (a list of fields
        # here once left a new one, `measured_by`, silently unread)
        for key in sorted(extra.model_fields_set - _MERGED):
            value = getattr(extra, key)
            base[key] = value.model_dump() if isinstance(value, BaseModel) else value
        out[vs_id] = _model(root / "valuesets.json", ValueSet, {"id": vs_id, **base})
    return out


def cross_check(pack: Pack) -> list[str]:
    """Every reference in a pack resolves: topics, value sets, criteria, settings, statements."""
    spec, problems = pack.spec, []
    statement_ids = {s.id for s in spec.statements}
    settings = set(spec.settings)

    def check_pattern(where: str, ref: PatternRef) -> None:
        if isinstance(ref, str):
            if ref not in spec.criteria:
                problems.append(f"{where}: unknown criterion '{ref}'")
            return
        for vs in ref.valuesets:
            if vs not in pack.valuesets and vs != "age":
                problems.append(f"{where}: unknown value set '{vs}'")
        for bound in setting_refs(ref):
            if bound not in settings:
                problems.append(f"{where}: unknown setting '{bound}'")

    for name, crit in spec.criteria.items():
        check_pattern(f"criteria.{name}", crit)
    for i, ref in enumerate(spec.scope):
        check_pattern(f"scope[{i}]", ref)
    for rule in spec.rules:
        where = f"rules.{rule.id}"
        if rule.topic not in pack.topics:
            problems.append(f"{where}: unknown topic '{rule.topic}'")
        for ref in [*rule.when, *rule.unless]:
            check_pattern(where, ref)
        problems += [
            f"{where}: unknown statement '{c}'" for c in rule.covers if c not in statement_ids
        ]
        if rule.enabled_by and rule.enabled_by not in settings:
            problems.append(f"{where}: unknown setting '{rule.enabled_by}'")
        problems += _negation_conflicts(pack, rule)
    problems += [  # a misspelt name there would silently let a suggestion act on any order
        f"topics.{topic.code}.suggestions: unknown value set '{vs}'"
        for topic in spec.topics
        for suggestion in topic.suggestions
        for vs in (*suggestion.only_valuesets, *suggestion.except_valuesets)
        if vs not in pack.valuesets
    ]
    problems += [
        f"unused_valuesets.{vs}: unknown value set '{vs}'"
        for vs in spec.unused_valuesets
        if vs not in pack.valuesets
    ]
    problems += [  # the reading shown beside a Condition is a numeric observation's
        f"valuesets.{vs}.measured_by: '{obs}' is no value set with a unit"
        for vs, obs in pack.measured_by.items()
        if obs not in pack.valuesets or pack.valuesets[obs].unit is None
    ]
    problems += unknown_dose_targets(pack.valuesets)
    problems += [
        f"valuesets.{vs.id}.superseded_by_measure: needs measured_by"
        for vs in pack.valuesets.values()
        if vs.superseded_by_measure and not vs.measured_by
    ]
    rule_ids = set(pack.rules)
    if len(rule_ids) != len(spec.rules):
        problems.append("rule ids are not unique")
    for topic in spec.topics:
        problems += [
            f"topics.{topic.code}: unknown rule '{r}'"
            for r in topic.caveat_if_rules
            if r not in rule_ids
        ]
        problems += [
            f"topics.{topic.code}: unknown topic '{t}' in raised_topics"
            for t in topic.raised_topics
            if t not in pack.topics
        ]
        if "{raised}" in topic.detail_intro and not (
            topic.none_raised_note and topic.others_raised_note
        ):
            problems.append(
                f"topics.{topic.code}: detail_intro says {{raised}} without none_raised_note "
                "and others_raised_note"
            )
        if topic.caveat_if_rules and not topic.caveat_note:
            problems.append(f"topics.{topic.code}: caveat_if_rules without a caveat_note")
        for s in topic.suggestions:
            problems += [
                f"topics.{topic.code}: unknown rule '{r}'"
                for r in s.unless_rules
                if r not in rule_ids
            ]
    for p in pack.passages:
        problems += [
            f"instructions.{p.id}: unknown rule '{r}'"
            for r in [*p.show_if_rules, *p.hide_if_rules, *p.part_rules()]
            if r not in rule_ids
        ]
        problems += [
            f"instructions.{p.id}: unknown statement '{c}'"
            for c in p.covers
            if c not in statement_ids
        ]
    return problems


def setting_refs(p: Pattern) -> list[str]:
    """The names of the settings a pattern's bounds refer to."""
    bounds: list[object] = []
    for d in (p.within, p.older_than):
        if d is not None:
            bounds += [d.hours, d.days, d.weeks]
    if p.value is not None:
        bounds += [p.value.gt, p.value.gte, p.value.lt, p.value.lte]
    return [b for b in bounds if isinstance(b, str)]


def _negation_conflicts(pack: Pack, rule: Rule) -> list[str]:
    """A rule may not negate a kind of fact it also requires: durable_rules checks ``$not``
    only when the positive facts arrive, so the engine asserts negated kinds first."""
    try:
        required = {(pack.pattern(r).fact, v) for r in rule.when for v in pack.pattern(r).valuesets}
        negated = {
            (pack.pattern(r).fact, v) for r in rule.unless for v in pack.pattern(r).valuesets
        }
    except KeyError:  # an unknown criterion, reported on its own
        return []
    clash = required & negated
    return [f"rules.{rule.id}: requires and negates {sorted(clash)}"] if clash else []
