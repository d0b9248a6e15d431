"""A pack's site settings: each with its default, the range a site's value must fall in, and
whether a site may switch it off (``null``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

Number = int | float


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Setting(Strict):
    """A site setting: a threshold or window a site may change without editing rules, and
    the range a site's value must fall in (a typo such as 3.83 for 38.3 is refused, never
    run). A site may switch a setting off with ``null`` only when the pack's default is null
    (off unless a site turns it on) or the pack marks it ``switchable_off``: a danger-sign
    threshold set to null would silently stop that sign."""

    default: Number | None
    min: Number = Field(description="the lowest value a site may set")
    max: Number = Field(description="the highest value a site may set")
    unit: str | None = None
    description: str
    switchable_off: bool = Field(
        default=False,
        description="a site may set null to switch the setting (and the rules it bounds) off",
    )

    @model_validator(mode="after")
    def _range_holds_default(self) -> Setting:
        if self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        if self.default is not None and not self.min <= self.default <= self.max:
            raise ValueError(
                f"default {self.default:g} is outside min {self.min:g} .. max {self.max:g}"
            )
        return self

    def refusal(self, name: str, value: object) -> str | None:
        """Why a site's value cannot be used for this setting, or None when it can."""
        unit = f" {self.unit}" if self.unit else ""
        valid = f"{self.min:g} to {self.max:g}{unit}"
        if value is None:
            if self.default is None or self.switchable_off:
                return None
            return (
                f"site setting {name} = null would switch it off, which the pack does not "
                f"allow: give a value from {valid}, or leave it out for the pack default "
                f"{self.default:g}{unit}"
            )
        if isinstance(value, bool) or not isinstance(value, int | float):
            shown = str(value).lower() if isinstance(value, bool) else repr(value)
            return f"site setting {name} = {shown} is not a number: give a value from {valid}"
        if self.min <= value <= self.max:
            return None
        return f"site setting {name} = {value:g} is outside its valid range {valid}"
