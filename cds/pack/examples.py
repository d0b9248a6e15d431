"""A pack's golden scenarios as data: ``fhir_examples/<pack id>/<name>/`` folders, each a hook
request, when it is evaluated, the site settings it runs under and the expected response.

The static analysis (``cds.pack.check``) reads which rules the expected cards name; running
the scenarios through the evaluator is ``cds.scenarios`` (above the pack, beside ``cds
evaluate``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cds.pack.load import Pack

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "fhir_examples"


@dataclass(frozen=True)
class Scenario:
    """One golden example: a hook request, when it is evaluated, and the expected response."""

    path: Path
    meta: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def now(self) -> datetime:
        return datetime.fromisoformat(self.meta["now"])

    @property
    def site(self) -> dict[str, float | None]:
        """The site settings the scenario runs under (``"site"`` in scenario.json): overrides
        of the pack's settings, e.g. ``{"imaging_age_years": 50}``; none by default."""
        site: dict[str, float | None] = dict(self.meta.get("site") or {})
        return site

    @property
    def request_bytes(self) -> bytes:
        return (self.path / "request.json").read_bytes()

    @property
    def expected(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.path / "expected-cards.json").read_text())
        return data


def scenarios(pack: Pack) -> list[Scenario]:
    """The pack's scenarios: ``fhir_examples/<pack id>/<name>/`` folders."""
    root = EXAMPLES_DIR / pack.id
    if not root.is_dir():
        return []
    return [
        Scenario(d, json.loads((d / "scenario.json").read_text()))
        for d in sorted(root.iterdir())
        if (d / "scenario.json").exists()
    ]
