"""UCUM-semantics unit normalisation and conversion for the quantities our rules compare.

Real FHIR feeds spell the same unit many ways (``°F``, ``degF``, ``[degF]``, ``F``...), so every
Quantity goes through :func:`canonical_unit` to get one UCUM code (the spellings are the data
of `cds.facts.unit_table`), then through :func:`convert` to reach the unit a rule is written
in. Arithmetic is ``Decimal`` throughout so that thresholds
hold exactly: 100.4 [degF] is exactly 38 Cel, never 37.99999999.

:func:`parse_decimal` turns what FHIR JSON gives for a decimal into a ``Decimal``, and
:func:`to_number` turns a ``Decimal`` into a float that the durable_rules C engine can read.

Everything here is a pure function: no I/O, no global state (``Decimal`` work runs in a private
context, so a caller changing the thread's decimal context cannot change our results).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable
from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DecimalException,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from typing import Final, NamedTuple

from cds.errors import UnitError
from cds.facts.unit_table import (
    CANONICAL,
    CEL,
    DEG_F,
    EGFR,
    EXACT,
    FOLDED,
    KELVIN,
    KG,
    LB,
    LITRE,
    MG_DL,
    ML,
    ML_PER_MIN,
    MMOL_PER_MOL,
    PERCENT,
    UMOL_L,
    G,
)

__all__ = [
    "NO_RULE",
    "UNIT_WORDS",
    "ReadingRule",
    "UnitError",
    "canonical_unit",
    "convert",
    "implausible",
    "is_ratio_unit",
    "parse_decimal",
    "split_value_text",
    "to_number",
    "unit_by_range",
]

# Private context: enough digits that the intermediate steps of any conversion are exact for
# clinical magnitudes, and traps so that absurd inputs raise instead of silently saturating.
_CONTEXT = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, Overflow, DivisionByZero],
)
_STEP = Decimal("0.0001")
_MAX_NUMBER = Decimal("1e12")

_CREATININE_UMOL_PER_MG_DL = Decimal("88.42")

# IFCC-NGSP master equation: NGSP% = 0.09148 × IFCC(mmol/mol) + 2.152.
_NGSP_SLOPE = Decimal("0.09148")
_NGSP_INTERCEPT = Decimal("2.152")

# The international avoirdupois pound is defined as exactly 0.45359237 kg.
_KG_PER_UNIT: dict[str, Decimal] = {
    KG: Decimal(1),
    G: Decimal("0.001"),
    LB: Decimal("0.45359237"),
}

_ABSOLUTE_ZERO_CEL = Decimal("273.15")


def _to_celsius(value: Decimal, unit: str) -> Decimal:
    if unit == DEG_F:
        # Multiply before dividing so that 100.4 °F gives exactly 38, not 37.999...
        return (value - 32) * 5 / 9
    if unit == KELVIN:
        return value - _ABSOLUTE_ZERO_CEL
    return value


def _from_celsius(value: Decimal, unit: str) -> Decimal:
    if unit == DEG_F:
        return value * 9 / 5 + 32
    if unit == KELVIN:
        return value + _ABSOLUTE_ZERO_CEL
    return value


def _temperature(from_unit: str, to_unit: str) -> Callable[[Decimal], Decimal]:
    return lambda value: _from_celsius(_to_celsius(value, from_unit), to_unit)


def _mass(from_unit: str, to_unit: str) -> Callable[[Decimal], Decimal]:
    factor_from = _KG_PER_UNIT[from_unit]
    factor_to = _KG_PER_UNIT[to_unit]
    return lambda value: value * factor_from / factor_to


def _ngsp_from_ifcc(value: Decimal) -> Decimal:
    return value * _NGSP_SLOPE + _NGSP_INTERCEPT


def _ifcc_from_ngsp(value: Decimal) -> Decimal:
    return (value - _NGSP_INTERCEPT) / _NGSP_SLOPE


def _same(value: Decimal) -> Decimal:
    return value


_TEMPERATURES = (CEL, DEG_F, KELVIN)
_MASSES = (KG, LB, G)

_CONVERSIONS: dict[tuple[str, str], Callable[[Decimal], Decimal]] = {
    **{(a, b): _temperature(a, b) for a in _TEMPERATURES for b in _TEMPERATURES if a != b},
    **{(a, b): _mass(a, b) for a in _MASSES for b in _MASSES if a != b},
    (PERCENT, MMOL_PER_MOL): _ifcc_from_ngsp,
    (MMOL_PER_MOL, PERCENT): _ngsp_from_ifcc,
    # Labs report eGFR already normalised to 1.73 m² even when they label it plain mL/min, so
    # the value is taken as is. The reverse is not offered: nothing should de-normalise it.
    (ML_PER_MIN, EGFR): _same,
    # mg/dL <-> µmol/L is a mass/amount conversion that depends on the analyte. The only value
    # set the packs compare in mg/dL is serum creatinine (113.12 g/mol: 1 mg/dL = 88.42 µmol/L,
    # the factor the CKD-EPI papers use); another analyte in µmol/L would need its own factor.
    (UMOL_L, MG_DL): lambda v: v / _CREATININE_UMOL_PER_MG_DL,
    (MG_DL, UMOL_L): lambda v: v * _CREATININE_UMOL_PER_MG_DL,
    (LITRE, ML): lambda v: v * 1000,
    (ML, LITRE): lambda v: v / 1000,
}

# What FHIR allows for a decimal (plus a leading "+" and a bare leading/trailing point, which
# some feeds send). ASCII only: Decimal() itself would accept Arabic-Indic digits and "1_000".
_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)


def _key(text: str | None) -> str:
    """Normalise unit text for lookup: NFKC (℃ → °C, m² → m2, K-sign → K), no whitespace."""
    if text is None:
        return ""
    return "".join(unicodedata.normalize("NFKC", text).split())


def _lookup(key: str) -> str | None:
    found = EXACT.get(key)
    if found is not None:
        return found
    return FOLDED.get(key.casefold())


def _shorten(text: str) -> str:
    # Feeds can put whole documents in a value field; keep error messages and logs readable.
    return repr(text) if len(text) <= 60 else repr(text[:60]) + "..."


def canonical_unit(unit: str | None, code: str | None = None) -> str | None:
    """Return the canonical UCUM code for a Quantity's ``unit`` text and/or ``code``.

    The ``code`` (meant to be UCUM) wins when it is given and recognised; otherwise the human
    ``unit`` text is used. Matching ignores whitespace, and case for word-like spellings.

    Returns None when both are None, empty or blank. Raises :class:`UnitError` when a non-empty
    unit (and code) cannot be recognised.
    """
    code_key = _key(code)
    unit_key = _key(unit)
    if not code_key and not unit_key:
        return None
    for key in (code_key, unit_key):
        if key:
            found = _lookup(key)
            if found is not None:
                return found
    # Clinicians read this on a card: say what is missing in words, never Python's "None".
    shown_unit = "(no unit text)" if not unit_key else _shorten(unit or "")
    shown_code = "no UCUM code" if not code_key else f"code {_shorten(code or '')}"
    raise UnitError(
        f"unrecognised unit {shown_unit} ({shown_code})",
        details={"unit": unit, "code": code},
    )


def convert(value: Decimal, from_unit: str, to_unit: str) -> Decimal:
    """Convert ``value`` from one canonical unit to another (both as returned by canonical_unit).

    The same unit returns ``value`` unchanged. Otherwise the result is rounded to 4 decimal
    places (half-even). Supported: Cel, [degF] and K among themselves; kg, [lb_av] and g among
    themselves; % (HbA1c NGSP) and mmol/mol (IFCC) both ways; mL/min to mL/min/{1.73_m2}; L
    and mL both ways.

    Raises :class:`UnitError` for a unit that is not canonical, a pair with no conversion, a
    non-finite value, or a value too large to convert.
    """
    details = {"value": str(value), "from_unit": from_unit, "to_unit": to_unit}
    for unit in (from_unit, to_unit):
        if unit not in CANONICAL:
            raise UnitError(
                f"cannot convert {from_unit!r} to {to_unit!r}: {unit!r} is not a canonical unit",
                details=details,
            )
    if not value.is_finite():
        raise UnitError(
            f"cannot convert {value} from {from_unit!r} to {to_unit!r}: not a finite number",
            details=details,
        )
    if from_unit == to_unit:
        return value
    conversion = _CONVERSIONS.get((from_unit, to_unit))
    if conversion is None:
        raise UnitError(f"cannot convert {from_unit!r} to {to_unit!r}", details=details)
    try:
        with localcontext(_CONTEXT):
            return conversion(value).quantize(_STEP, rounding=ROUND_HALF_EVEN)
    except DecimalException as exc:
        # Overflow, or too many digits for the 4-place quantize: far outside any clinical range.
        raise UnitError(
            f"value out of range converting {from_unit!r} to {to_unit!r}", details=details
        ) from exc


def to_number(value: Decimal) -> float:
    """Return ``value`` as a float that the durable_rules C engine reads and compares safely.

    That engine's JSON parser cannot read exponents (``1e-07`` fails), so the float must always
    print in plain positional form: it is rounded to 4 decimal places (half-even), magnitudes
    below 0.0001 become 0.0, and magnitudes above 1e12 raise ``UnitError("value out of range")``
    (above 1e16 Python prints floats with an exponent; up to 1e12 the float holds the 4 places
    to within its spacing, 1.2e-4 at 1e12 and far finer at clinical magnitudes).
    """
    if not value.is_finite():
        raise UnitError("value is not a finite number", details={"value": str(value)})
    magnitude = value.copy_abs()
    if magnitude > _MAX_NUMBER:
        raise UnitError("value out of range", details={"value": str(value)})
    if magnitude < _STEP:
        # Also turns -0.00001 into 0.0 rather than -0.0, and keeps repr out of 1e-05 territory.
        return 0.0
    rounded = value.quantize(_STEP, rounding=ROUND_HALF_EVEN, context=_CONTEXT)
    return float(rounded)


def parse_decimal(raw: object) -> Decimal:
    """Return the finite ``Decimal`` for a FHIR JSON decimal given as int, float, str or Decimal.

    Floats go through ``repr`` so that 100.4 stays 100.4 rather than 100.400000000000005684....
    Raises :class:`UnitError` for booleans (JSON true/false is never a quantity), None, other
    types, text that is not a decimal number, NaN and infinities.
    """
    # No repr() up front: a huge int (over 4300 digits) is valid input but refuses str().
    details = {"type": type(raw).__name__}
    # bool first: it is a subclass of int, and True must not become 1.
    if isinstance(raw, bool) or raw is None:
        raise UnitError(f"not a decimal number: {raw!r}", details=details)
    if isinstance(raw, Decimal):
        result = raw
    elif isinstance(raw, int):
        result = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise UnitError(f"not a finite number: {raw!r}", details=details)
        result = Decimal(repr(raw))
    elif isinstance(raw, str):
        text = raw.strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise UnitError(f"not a decimal number: {_shorten(raw)}", details=details)
        try:
            result = Decimal(text)
        except DecimalException as exc:
            # Well-formed but with an exponent beyond what Decimal can hold.
            raise UnitError(
                f"not a representable number: {_shorten(raw)}", details=details
            ) from exc
    else:
        raise UnitError(
            f"not a decimal number: {type(raw).__name__} {raw!r}",
            details=details,
        )
    if not result.is_finite():
        raise UnitError(f"not a finite number: {raw!r}", details=details)
    return result


# A ratio where a percentage is expected: SpO2 sent as 0.97 with unit "1", "{ratio}" or none.
_RATIO_KEYS = frozenset({"", "1", "{ratio}", "{fraction}", "ratio", "fraction"})


def is_ratio_unit(unit: str | None, code: str | None) -> bool:
    """Whether a Quantity's unit says "a plain ratio" (UCUM ``1``, ``{ratio}``) or nothing."""
    return _key(code).casefold() in _RATIO_KEYS and _key(unit).casefold() in _RATIO_KEYS


class ReadingRule(NamedTuple):
    """How a value set's readings are read, from the pack (``valuesets.yaml``): hashable, so
    the remembered quantity reader can take it. A named tuple: that memo hashes its rule on
    every reading, and a tuple's hash is worked out in C (a dataclass's ``__hash__`` is a
    Python call each time); nothing is stored, so a rule pickled to a worker hashes as the
    worker's own equal rules do."""

    unit_implied: bool = False
    """A number without a unit is read in the value set's unit (a heart rate of 150)."""
    fraction_as_percent: bool = False
    """A percent sent as a fraction (SpO2 0.97 with unit "1", "{ratio}" or none) is 97 %."""
    low: Decimal | None = None
    high: Decimal | None = None
    """The range a living patient's reading can be in, in the value set's unit; outside it,
    the reading is a device or unit error: unreadable, never a danger sign."""
    name: str = "the reading"
    by_range: tuple[tuple[str, Decimal, Decimal], ...] = ()
    """(unit, low, high): a number without a unit inside one of these is in that unit."""


NO_RULE: Final = ReadingRule()

UNIT_WORDS: Final = {
    "[degF]": "°F",
    "Cel": "°C",
    "{beats}/min": "/min",
    "{breaths}/min": "/min",
    "{score}": "",
}
"""UCUM codes a reader would not recognise, as the units they stand for (display only)."""


def unit_by_range(rule: ReadingRule, number: Decimal) -> str | None:
    """The unit a number sent without one can only be in, by the rule's ranges; or None."""
    for unit, low, high in rule.by_range:
        if low <= number <= high:
            return unit
    return None


def implausible(rule: ReadingRule, value: Decimal, unit: str) -> str | None:
    """Why a converted reading cannot be real (plain words), or None when it may be."""
    low, high = rule.low, rule.high
    if (low is None or low <= value) and (high is None or value <= high):
        return None
    shown = f"{_plain(low)}-{_plain(high)}"
    named = "" if unit.startswith("{") else f" {unit}"  # "{score}": a UCUM note, not a unit
    return (
        f"{value.normalize():f}{named} is outside the possible range for {rule.name} "
        f"({shown}{named}); check the device and the unit"
    )


def _plain(bound: Decimal | None) -> str:
    """A range's bound as a clinician writes it ("3", not "3.0"; "..." when open)."""
    return "..." if bound is None else f"{bound.normalize():f}"


# One number, then an optional unit made of no digits: "150 bpm", "98.6 F", "37.2°C". Ranges
# ("120-130"), comparators ("<60", ">100"), approximations ("~98") and several numbers are
# ambiguous and are not read.
_VALUE_TEXT = re.compile(r"\s*([+]?(?:\d+(?:\.\d*)?|\.\d+))\s*([^\d\s<>~=+\-,;][^\d<>=,;]*)?\s*")


def split_value_text(text: str) -> tuple[Decimal, str | None] | None:
    """(number, unit text) of a numeric ``valueString`` such as ``"150 bpm"``; None when the
    text is not exactly one plain number with an optional unit."""
    if len(text) > 40:
        return None
    m = _VALUE_TEXT.fullmatch(text)
    if m is None:
        return None
    try:
        number = parse_decimal(m.group(1))
    except UnitError:
        return None
    unit = m.group(2).strip() if m.group(2) else None
    return number, unit or None
