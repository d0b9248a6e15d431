"""Shared by the tests of hooks/: the spec's example payloads and small request builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXAMPLES = SHARED / "cds-hooks" / "examples"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
TOKEN = "s3cr3t-access-token"  # a test value, checked for leaks


def load(name: str) -> Any:
    """Return the parsed JSON of one example payload."""
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def wrap(hook: str, context: dict[str, Any]) -> dict[str, Any]:
    """Wrap a context fragment into a minimal hook request."""
    return {"hook": hook, "hookInstance": HOOK_INSTANCE, "context": context}


def error_locs(exc: ValidationError) -> list[tuple[str | int, ...]]:
    """Return the locations of every error in `exc`."""
    return [tuple(error["loc"]) for error in exc.errors()]
