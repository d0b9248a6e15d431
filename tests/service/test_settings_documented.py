"""Every Settings field appears in docs/service.md's settings table, with its default."""

from __future__ import annotations

from pathlib import Path

import pytest

from cds.config import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "service.md"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_is_documented(name: str) -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith(f"| `{name}` |")]
    assert rows, f"setting {name!r} is missing from the table in {DOC}"


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_setting_has_a_description(name: str) -> None:
    assert Settings.model_fields[name].description
