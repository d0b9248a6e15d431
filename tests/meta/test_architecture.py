"""The house reads the way the README draws it (issue 12, "Done when").

- **Layers in one direction.** Every module of ``cds/`` belongs to one layer of ``LAYERS``
  (the README's architecture section, lowest first); it may import its own unit (package or
  top-level module) and units of lower layers, never a unit of its own layer or a higher one.
  Every import counts: module level, inside functions, and under ``TYPE_CHECKING`` (a
  type-only import is still knowledge of the layer above).
- **Public interfaces between modules.** No module imports or reads another ``cds`` module's
  private names (``_helper``): what a module offers another is named without an underscore.
- **Small modules.** No module of ``cds/`` is longer than ``MAX_LINES``.

Each check has an explicit list of known exceptions, one reason each. The test fails on a new
violation and on a listed exception that no longer occurs: the lists can only shrink.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "cds"
MAX_LINES = 400

#: Lowest first. A unit is ``cds.<name>``: a sub-package or a top-level module.
LAYERS: list[tuple[str, ...]] = [
    ("cds", "cds.errors", "cds.fhir", "cds.instants", "cds.urls"),  # the package; the one
    # error family; FHIR resources as parsed JSON; RFC 3339 times; allowlist URL spelling
    ("cds.hooks",),  # CDS Hooks 2.0 wire models and prefetch keys
    ("cds.facts",),  # FHIR R4 resources -> Facts (units, times, codes, value sets, negation)
    ("cds.call",),  # the typed hook call each transport builds: context, record, time
    ("cds.pack",),  # the rule pack as data: schema, loader, compiler, static checks
    ("cds.engine",),  # durable_rules behind one module; the reference oracle
    ("cds.findings",),  # firings -> Findings with Evidence
    ("cds.cards",),  # Findings -> cards
    ("cds.pipeline",),  # the spine: one hook call through facts, engine, findings, cards
    ("cds.config", "cds.store", "cds.services"),  # settings; card store; a pack's services
    ("cds.evaluate", "cds.review", "cds.service"),  # the transports: file, batch, HTTP
    ("cds.scenarios",),  # `cds rules test`: golden scenarios run as `cds evaluate` runs them
    ("cds.cli",),  # the `cds` command
    ("cds.__main__",),  # `python -m cds`
]

#: (importing module, imported unit) -> why it is still there. Only shrinks.
KNOWN_UPWARD: dict[tuple[str, str], str] = {}

#: Module path (relative to the repository) -> why it is still longer than MAX_LINES.
KNOWN_LONG: dict[str, str] = {}


def unit_of(module: str) -> str:
    """``cds.facts.extract`` -> ``cds.facts``; ``cds.cli`` -> ``cds.cli``; ``cds`` -> ``cds``."""
    return ".".join(module.split(".")[:2])


LAYER_OF = {unit: n for n, units in enumerate(LAYERS) for unit in units}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        yield ".".join(parts), path


def imported(module: str, path: Path) -> Iterator[str]:
    """Every ``cds`` module or package the file imports, anywhere in it."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if unit_of(a.name).split(".")[0] == "cds")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target != "cds" and not target.startswith("cds."):
                continue
            if target == "cds":  # `from cds import facts`: the sub-units named
                yield from (f"cds.{a.name}" for a in node.names)
            else:
                yield target


def upward_imports() -> set[tuple[str, str]]:
    found = set()
    for module, path in modules():
        mine = unit_of(module)
        for target in imported(module, path):
            theirs = unit_of(target)
            if theirs != mine and LAYER_OF[theirs] >= LAYER_OF[mine]:
                found.add((module, theirs))
    return found


def test_every_module_has_a_layer() -> None:
    units = {unit_of(m) for m, _ in modules()}
    assert units <= set(LAYER_OF), f"place these in LAYERS: {sorted(units - set(LAYER_OF))}"
    assert set(LAYER_OF) <= units, f"LAYERS names what is gone: {sorted(set(LAYER_OF) - units)}"


def test_imports_go_down_the_layers() -> None:
    found = upward_imports()
    new = sorted(found - set(KNOWN_UPWARD))
    gone = sorted(set(KNOWN_UPWARD) - found)
    assert not new, "imports from a layer to its own or a higher one (importer, imported):\n" + (
        "\n".join(f"  {m} -> {u}" for m, u in new)
    )
    assert not gone, f"fixed, remove from KNOWN_UPWARD: {gone}"


def test_modules_are_short() -> None:
    lengths = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for _, path in modules()
    }
    long = {p for p, n in lengths.items() if n > MAX_LINES}
    new = sorted(f"{p} ({lengths[p]} lines)" for p in long - set(KNOWN_LONG))
    gone = sorted(set(KNOWN_LONG) - long)
    assert not new, f"modules over {MAX_LINES} lines: {new}"
    assert not gone, f"now short enough (or gone), remove from KNOWN_LONG: {gone}"


def private_uses(module: str, path: Path) -> Iterator[str]:
    """``other._name`` for each private name of another ``cds`` module the file imports or
    reads (through a module it imported: ``from cds.review import local; local._place``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cds"):
            for a in node.names:
                name = f"{node.module}.{a.name}"
                if (ROOT / Path(*name.split("."))).with_suffix(".py").exists():
                    aliases[a.asname or a.name] = name
                elif a.name.startswith("_") and node.module != module:
                    yield f"{node.module}.{a.name}"
        elif isinstance(node, ast.Import):
            aliases.update({a.asname: a.name for a in node.names if a.asname})
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in aliases
            and node.attr.startswith("_")
            and not node.attr.startswith("__")
            and aliases[node.value.id] != module
        ):
            yield f"{aliases[node.value.id]}.{node.attr}"


def test_modules_use_each_other_s_public_names_only() -> None:
    found = sorted(f"{m} uses {u}" for m, path in modules() for u in private_uses(m, path))
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_the_checks_can_fail(tmp_path: Path) -> None:
    """The walker sees an upward import inside a function and a relative one."""
    source = tmp_path / "extract.py"
    source.write_text(
        "def f():\n    from cds.pipeline import Evaluator\n\nfrom ..cards import build\n"
    )
    targets = set(imported("cds.facts.extract", source))
    assert targets == {"cds.pipeline", "cds.cards"}
    assert all(LAYER_OF[unit_of(t)] > LAYER_OF["cds.facts"] for t in targets)
    source.write_text(
        "from cds.review import local\nfrom cds.pipeline import _str\n\nlocal._place(1)\n"
    )
    assert set(private_uses("cds.review.spark", source)) == {
        "cds.review.local._place",
        "cds.pipeline._str",
    }
