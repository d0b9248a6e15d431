"""Patient-instruction passages (``instructions.yaml``): plain language, in our own words,
chosen and personalised by the rules that fired."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PassagePart(Strict):
    """Lines of a passage shown only for some patients (one reason of several, a piece of
    advice that does not fit everyone)."""

    text: str
    show_if_rules: list[str] = []
    """Shown only when one of these rules fired."""
    hide_if_rules: list[str] = []
    """Hidden when one of these rules fired."""


PART_LINE = re.compile(r"\{([a-z0-9-]+)\}")
"""A passage line that is only ``{name}``: the place of the parts of that name."""


class Passage(Strict):
    """A patient-instruction passage: plain language, in our own words."""

    id: str
    title: str
    covers: list[str] = Field(min_length=1)
    text: str
    show_if_rules: list[str] = []
    """Shown only when one of these rules fired."""
    hide_if_rules: list[str] = []
    """Hidden when one of these rules fired (personalisation: no ibuprofen with CKD)."""
    parts: dict[str, list[PassagePart]] = {}
    """A line of ``text`` that is only ``{name}`` is replaced by the parts of that name whose
    rules hold, in order (none: the line is left out), so the passage names only the reasons
    that apply to this patient."""

    @model_validator(mode="after")
    def _parts_placed(self) -> Passage:
        placed = [m.group(1) for line in self.text.splitlines() if (m := _part_line(line))]
        unknown = sorted(set(placed) - set(self.parts))
        unplaced = sorted(set(self.parts) - set(placed))
        if unknown:
            raise ValueError(f"text places parts {unknown} that 'parts' does not give")
        if unplaced:
            raise ValueError(f"parts {unplaced} have no '{{name}}' line in the text")
        return self

    def part_rules(self) -> list[str]:
        """Every rule the passage's parts name."""
        return [
            r
            for parts in self.parts.values()
            for part in parts
            for r in [*part.show_if_rules, *part.hide_if_rules]
        ]


def _part_line(line: str) -> re.Match[str] | None:
    return PART_LINE.fullmatch(line.strip())
