"""Facts: the flat, typed records the rules engine sees.

One fact per reading and value set it belongs to: per resource, per panel component, per copy
of a resource sent twice (any copy may be the one that shows a danger sign). Value-set
membership, unit conversion and look-back arithmetic are all resolved here, in Python, before
the engine runs: durable_rules compares strings and numbers as text and cannot parse
exponents, so it only ever sees plain equality on names and comparisons on pre-converted
floats.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

FactKind = Literal["condition", "observation", "medication", "order", "patient", "encounter"]
ENGINE_FIELDS = frozenset(
    ["age_h", "time_known", "latest", "understood", "draft", "verified", "value"]
)
"""The fields a rule pattern may read of an engine fact, besides ``kind`` and ``valueset``
(`Fact.to_engine`)."""


@dataclass(slots=True)
class Fact:
    """One piece of clinical evidence, already interpreted.

    A slotted dataclass rather than a pydantic model: a patient has ~50 facts per hook call
    and every one is built by our own typed code (mypy --strict), so validating them again
    cost 4 µs each, a tenth of the whole evaluation (bench/engine.py). Not ``frozen``, which
    costs another 0.8 µs per fact (every field set through ``object.__setattr__``): facts are
    built and finished (``latest``) inside ``extract_facts`` and only read after it.
    """

    kind: FactKind
    valueset: str
    rid: str
    """The FHIR reference of the resource the fact came from, e.g. ``Observation/t1``."""
    display: str
    """What the record says, in words, for the card's evidence."""
    value: float | None = None
    """Numeric value in the value set's canonical unit."""
    unit: str | None = None
    source_value: str | None = None
    """The value and unit exactly as recorded (before conversion), for evidence."""
    time: str | None = None
    """The time the fact refers to, as recorded (onset, effective or authored time)."""
    age_h: float = 0.0
    """Hours from the fact's time to the evaluation time; 0 when the time is unknown."""
    time_known: bool = True
    latest: bool = True
    """The most recent fact of its value set (observations); older ones are False."""
    understood: bool = True
    """False when the record is in a value set but its value could not be read."""
    draft: bool = False
    """A draft order of the order hooks' ``draftOrders``."""
    note: str | None = None
    """What could not be understood, said plainly; shown on the card."""
    verified: bool = True
    """False for an Observation whose status is preliminary or registered: a reading that
    nobody has validated yet (device feeds often stay preliminary). Rules see only verified
    readings unless a pattern says ``verified: false`` or ``any``."""
    by_text: bool = False
    """The value-set match came only from words (text, displays), not from a code."""
    bound: str | None = None
    """The Quantity's comparator (``<``, ``<=``, ``>``, ``>=``) when the value is a bound, not
    a reading ("SpO2 <85 %"): `cds.facts.bounds` makes it a sign only when the bound makes the
    sign certain, a data-check item when it leaves the sign possible, and nothing otherwise.
    On a sign's Condition read from a number in words, ``>=`` and the high end mark the low
    end of a range ("Fever: 38-39", the sign when either end is one; `cds.facts.said_measures`)."""

    def to_engine(self, fid: int, fields: Container[str] = ENGINE_FIELDS) -> dict[str, Any]:
        """The dict asserted into durable_rules: no None, booleans as 0/1, a unique ``fid``;
        of the other fields, only those in ``fields`` (by default all: `ENGINE_FIELDS`).

        ``id`` and ``sid`` are durable's own keys (fact identity and session), so we never
        send them; ``fid`` makes every fact distinct so none is dropped as a duplicate.
        """
        out: dict[str, Any] = {"fid": fid, "kind": self.kind, "valueset": self.valueset}
        # booleans as int() would give them, without a call per field
        if "age_h" in fields:
            out["age_h"] = self.age_h
        if "time_known" in fields:
            out["time_known"] = 1 if self.time_known else 0
        if "latest" in fields:
            out["latest"] = 1 if self.latest else 0
        if "understood" in fields:
            out["understood"] = 1 if self.understood else 0
        if "draft" in fields:
            out["draft"] = 1 if self.draft else 0
        if "verified" in fields:
            out["verified"] = 1 if self.verified else 0
        if self.value is not None and "value" in fields:
            out["value"] = float(self.value)
        return out


class DataIssue(BaseModel):
    """Something in the input we could not use, reported instead of silently dropped."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rid: str
    message: str
    recheck: str | None = None
    """What the clinician should re-check (the device clock, the unit, the source system);
    None: the pack's default wording for the data-check card."""
    other_patient: bool = False
    """The item is data about another patient than the call's, left out: said even when the
    pack is otherwise silent (this patient's own data was not what was received)."""
    records: int = 1
    """How many records the item is about (the other patient's records left out of a key)."""
    partial_key: str | None = None
    """The prefetch key read only in part because the EHR reported a problem with its search
    (an OperationOutcome among its entries): the response's extension names it too."""
    possible_sign: bool = False
    """The item may be a danger sign once confirmed (a finding in words not yet verified, or
    a sign's row answered unclearly): a verdict such as "no red flag found" is then weakened
    (a topic's ``caveat_if_possible_signs``)."""
    unless_shown: tuple[str, ...] = ()
    """Value sets whose finding on a card, citing this item's record, says what the item
    would: the item is then dropped ("a note on Low back pain names a sign and gives no time"
    when the sign's card already cites the note, dated as it could be)."""
    headline: str | None = None
    """The record and what is wrong with it, in a few words, when the facts layer can name both
    ("Temp 39.5 Cel dated 2026-11-29 08:00 UTC, 70 h after the evaluation time"): the
    data-check card's summary then says it instead of the record's id."""
