"""Tests for facts/units.py."""

from __future__ import annotations

import math
import os
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cds.errors import CdsError, UnitError
from cds.facts import unit_table, units
from cds.facts.units import canonical_unit, convert, parse_decimal, to_number
from cds.pack.load import load_pack

D = Decimal

# --------------------------------------------------------------------------- canonical_unit

SPELLINGS: list[tuple[str, str]] = [
    # temperature
    ("Cel", "Cel"),
    ("°C", "Cel"),
    ("C", "Cel"),
    ("degC", "Cel"),
    ("deg C", "Cel"),
    ("celsius", "Cel"),
    ("Celsius", "Cel"),
    ("CELSIUS", "Cel"),
    ("℃", "Cel"),
    ("[degF]", "[degF]"),
    ("°F", "[degF]"),
    ("F", "[degF]"),
    ("degF", "[degF]"),
    ("deg F", "[degF]"),
    ("fahrenheit", "[degF]"),
    ("Fahrenheit", "[degF]"),
    ("℉", "[degF]"),
    ("K", "K"),
    ("kelvin", "K"),
    ("Kelvin", "K"),
    # rates per minute
    ("/min", "/min"),
    ("{beats}/min", "/min"),
    ("beats/min", "/min"),
    ("bpm", "/min"),
    ("BPM", "/min"),
    ("{breaths}/min", "/min"),
    ("breaths/min", "/min"),
    ("min-1", "/min"),
    ("1/min", "/min"),
    ("per minute", "/min"),
    ("beats per minute", "/min"),
    # percent
    ("%", "%"),
    ("percent", "%"),
    ("{percent}", "%"),
    # eGFR
    ("mL/min/{1.73_m2}", "mL/min/{1.73_m2}"),
    ("mL/min/1.73m2", "mL/min/{1.73_m2}"),
    ("ml/min/1.73 m2", "mL/min/{1.73_m2}"),
    ("mL/min/1.73 m^2", "mL/min/{1.73_m2}"),
    ("mL/min/{1.73m2}", "mL/min/{1.73_m2}"),
    ("mL/min/1.73m²", "mL/min/{1.73_m2}"),
    ("ml/min/{1.73_m2}", "mL/min/{1.73_m2}"),
    ("ML/MIN/1.73M2", "mL/min/{1.73_m2}"),
    ("mL/min", "mL/min"),
    ("ml/min", "mL/min"),
    # HbA1c IFCC
    ("mmol/mol", "mmol/mol"),
    # mass
    ("kg", "kg"),
    ("KG", "kg"),
    ("[lb_av]", "[lb_av]"),
    ("lb", "[lb_av]"),
    ("lbs", "[lb_av]"),
    ("g", "g"),
    # whitespace-insensitive, trimmed
    ("  Cel  ", "Cel"),
    ("\tdeg   F\n", "[degF]"),
    ("° C", "Cel"),
    ("mL / min / 1.73 m2", "mL/min/{1.73_m2}"),
    ("per\u00a0minute", "/min"),
]

PACK = load_pack()


@pytest.mark.parametrize(("unit", "expected"), SPELLINGS)
def test_canonical_unit_recognises_spelling_as_unit(unit: str, expected: str) -> None:
    assert canonical_unit(unit) == expected


@pytest.mark.parametrize(("code", "expected"), SPELLINGS)
def test_canonical_unit_recognises_spelling_as_code(code: str, expected: str) -> None:
    assert canonical_unit(None, code) == expected


@pytest.mark.parametrize(
    ("unit", "code", "expected"),
    [
        ("°F", "Cel", "Cel"),  # code wins when recognised
        ("degrees F", "[degF]", "[degF]"),  # unit text unrecognised, code recognised
        ("°F", "not-a-ucum-code", "[degF]"),  # code unrecognised: fall back to the unit text
        ("beats per min", "/min", "/min"),
        (None, "kg", "kg"),
        ("", "kg", "kg"),
        ("kg", "", "kg"),
        ("kg", "   ", "kg"),
    ],
)
def test_canonical_unit_prefers_recognised_code(
    unit: str | None, code: str | None, expected: str
) -> None:
    assert canonical_unit(unit, code) == expected


@pytest.mark.parametrize(
    ("unit", "code"),
    [(None, None), ("", None), (None, ""), ("", ""), ("   ", "\t"), ("\u00a0", None)],
)
def test_canonical_unit_none_when_nothing_given(unit: str | None, code: str | None) -> None:
    assert canonical_unit(unit, code) is None


@pytest.mark.parametrize(
    ("unit", "code"),
    [
        ("mg/kg", None),
        ("furlongs", None),
        ("k", None),  # lowercase k is not kelvin
        ("c", None),
        ("°", None),
        ("deg", None),
        ("mL/min/1.73", None),
        ("/h", None),
        (None, "bogus"),
        ("bogus", "also-bogus"),
        ("x" * 500, None),
    ],
)
def test_canonical_unit_rejects_unknown(unit: str | None, code: str | None) -> None:
    with pytest.raises(UnitError) as caught:
        canonical_unit(unit, code)
    assert caught.value.code == "unit-error"
    assert len(caught.value.message) < 200


def test_unit_error_is_the_project_error() -> None:
    assert units.UnitError is UnitError
    assert issubclass(UnitError, CdsError)


@given(st.text())
def test_canonical_unit_only_raises_unit_error(text: str) -> None:
    try:
        result = canonical_unit(text)
    except UnitError:
        return
    assert result is None or result in unit_table.CANONICAL


# --------------------------------------------------------------------------- convert

CONVERSIONS: list[tuple[str, str, str, str]] = [
    # temperature
    ("100.4", "[degF]", "Cel", "38"),
    ("98.6", "[degF]", "Cel", "37"),
    ("212", "[degF]", "Cel", "100"),
    ("32", "[degF]", "Cel", "0"),
    ("-40", "[degF]", "Cel", "-40"),
    ("100.3", "[degF]", "Cel", "37.9444"),
    ("100.5", "[degF]", "Cel", "38.0556"),
    ("38", "Cel", "[degF]", "100.4"),
    ("37", "Cel", "[degF]", "98.6"),
    ("-40", "Cel", "[degF]", "-40"),
    ("273.15", "K", "Cel", "0"),
    ("310.15", "K", "Cel", "37"),
    ("0", "Cel", "K", "273.15"),
    ("32", "[degF]", "K", "273.15"),
    ("373.15", "K", "[degF]", "212"),
    # HbA1c: NGSP% = 0.09148 × IFCC + 2.152
    ("48", "mmol/mol", "%", "6.5430"),
    ("53", "mmol/mol", "%", "7.0004"),
    ("6.5", "%", "mmol/mol", "47.5295"),
    ("2.152", "%", "mmol/mol", "0"),
    # eGFR labelled mL/min is taken as already normalised
    ("59.5", "mL/min", "mL/min/{1.73_m2}", "59.5"),
    # mass
    ("1", "[lb_av]", "kg", "0.4536"),
    ("100", "kg", "[lb_av]", "220.4623"),
    ("0.45359237", "kg", "[lb_av]", "1"),
    ("1500", "g", "kg", "1.5"),
    ("2.5", "kg", "g", "2500"),
    ("1000", "g", "[lb_av]", "2.2046"),
    ("1", "[lb_av]", "g", "453.5924"),
]


@pytest.mark.parametrize(("value", "from_unit", "to_unit", "expected"), CONVERSIONS)
def test_convert(value: str, from_unit: str, to_unit: str, expected: str) -> None:
    result = convert(D(value), from_unit, to_unit)
    assert isinstance(result, Decimal)
    assert result == D(expected)
    assert result.as_tuple().exponent == -4  # quantized to 4 places


def test_fever_threshold_is_exact() -> None:
    assert convert(D("100.4"), "[degF]", "Cel") == D("38.0")


@pytest.mark.parametrize(
    ("fahrenheit", "relation"),
    [("100.3", "below"), ("100.4", "equal"), ("100.5", "above")],
)
def test_fever_threshold_both_sides(fahrenheit: str, relation: str) -> None:
    celsius = convert(D(fahrenheit), "[degF]", "Cel")
    threshold = D("38.0")
    if relation == "below":
        assert celsius < threshold
    elif relation == "equal":
        assert celsius == threshold
    else:
        assert celsius > threshold


@pytest.mark.parametrize(
    "unit",
    ["Cel", "[degF]", "K", "/min", "%", "mL/min/{1.73_m2}", "mL/min", "mmol/mol", "kg", "g"],
)
def test_convert_same_unit_is_unchanged(unit: str) -> None:
    value = D("37.123456789")
    assert convert(value, unit, unit) == value
    assert str(convert(value, unit, unit)) == "37.123456789"


def test_convert_per_minute() -> None:
    assert convert(D("72"), "/min", "/min") == D("72")


@pytest.mark.parametrize(
    ("from_unit", "to_unit"),
    [
        ("Cel", "kg"),
        ("kg", "Cel"),
        ("%", "/min"),
        ("/min", "%"),
        ("mL/min/{1.73_m2}", "mL/min"),  # no de-normalising eGFR
        ("mmol/mol", "kg"),
        ("mL/min", "/min"),
        ("°F", "Cel"),  # raw spelling: callers must canonicalise first
        ("Cel", "celsius"),
        ("foo", "foo"),
        ("", "Cel"),
    ],
)
def test_convert_rejects_unsupported_pair(from_unit: str, to_unit: str) -> None:
    with pytest.raises(UnitError) as caught:
        convert(D("1"), from_unit, to_unit)
    assert repr(from_unit) in caught.value.message
    assert repr(to_unit) in caught.value.message


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_convert_rejects_non_finite(value: str) -> None:
    with pytest.raises(UnitError):
        convert(D(value), "[degF]", "Cel")
    with pytest.raises(UnitError):
        convert(D(value), "Cel", "Cel")


@pytest.mark.parametrize("value", ["1e100", "-1e100", "1e999999", "1e999999999"])
def test_convert_rejects_absurd_magnitude(value: str) -> None:
    with pytest.raises(UnitError):
        convert(D(value), "[degF]", "Cel")


SUPPORTED_PAIRS = sorted(units._CONVERSIONS)

clinical_decimals = st.decimals(
    min_value=D("-100000"),
    max_value=D("100000"),
    places=6,
    allow_nan=False,
    allow_infinity=False,
)


@given(st.decimals(min_value=D("-100"), max_value=D("200"), places=4))
def test_celsius_fahrenheit_round_trip(celsius: Decimal) -> None:
    back = convert(convert(celsius, "Cel", "[degF]"), "[degF]", "Cel")
    assert abs(back - celsius) <= D("0.001")


@pytest.mark.parametrize(("from_unit", "to_unit"), SUPPORTED_PAIRS)
@given(a=clinical_decimals, b=clinical_decimals)
def test_convert_is_monotonic(from_unit: str, to_unit: str, a: Decimal, b: Decimal) -> None:
    low, high = min(a, b), max(a, b)
    assert convert(low, from_unit, to_unit) <= convert(high, from_unit, to_unit)


# --------------------------------------------------------------------------- to_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("38", 38.0),
        ("38.0000", 38.0),
        ("100.4", 100.4),
        ("123.456789", 123.4568),
        ("0.00005", 0.0),
        ("1e-7", 0.0),
        ("-1e-7", 0.0),
        ("-0", 0.0),
        ("0.0001", 0.0001),
        ("-0.0001", -0.0001),
        ("0.00015", 0.0002),  # half-even
        ("0.00025", 0.0002),
        ("1e12", 1000000000000.0),
        ("-1e12", -1000000000000.0),
        ("999999999999.99994", 999999999999.9999),
        ("-272.5", -272.5),
    ],
)
def test_to_number(value: str, expected: float) -> None:
    result = to_number(D(value))
    assert type(result) is float
    assert result == expected
    assert "e" not in repr(result).lower()


def test_to_number_tiny_negative_is_positive_zero() -> None:
    assert repr(to_number(D("-0.00001"))) == "0.0"


@pytest.mark.parametrize("value", ["1000000000000.0001", "-1000000000000.0001", "1e13", "1e300"])
def test_to_number_rejects_out_of_range(value: str) -> None:
    with pytest.raises(UnitError, match="value out of range"):
        to_number(D(value))


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_to_number_rejects_non_finite(value: str) -> None:
    with pytest.raises(UnitError):
        to_number(D(value))


wide_decimals = st.one_of(
    st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(min_value=D("-1e12"), max_value=D("1e12"), allow_nan=False, allow_infinity=False),
    st.decimals(min_value=D("-1e12"), max_value=D("1e12"), places=8),
    st.decimals(min_value=D("-0.001"), max_value=D("0.001"), places=10),
)


@given(wide_decimals)
def test_to_number_never_yields_exponent(value: Decimal) -> None:
    if value.copy_abs() > D("1e12"):
        with pytest.raises(UnitError, match="value out of range"):
            to_number(value)
        return
    result = to_number(value)
    text = repr(result)
    assert "e" not in text
    assert "E" not in text
    # Within one step of 4 places (rounding, or flushing below 0.0001 to 0.0) plus the float's
    # own spacing at this magnitude (1.2e-4 near 1e12: hypothesis found 999999999999.99635
    # -> 999999999999.9965, 0.00015 away)
    assert abs(D(text) - value) <= D("0.0001") + D(math.ulp(result))


# --------------------------------------------------------------------------- parse_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (38, D("38")),
        (-5, D("-5")),
        (0, D("0")),
        (100.4, D("100.4")),
        (98.6, D("98.6")),
        (0.1, D("0.1")),
        (1e-7, D("1e-7")),
        ("100.4", D("100.4")),
        (" 38.0 ", D("38.0")),
        ("-0.5", D("-0.5")),
        ("+7", D("7")),
        (".5", D("0.5")),
        ("1e3", D("1000")),
        ("1.5E-2", D("0.015")),
        (D("37.25"), D("37.25")),
        (10**50, D(10**50)),
    ],
)
def test_parse_decimal(raw: object, expected: Decimal) -> None:
    result = parse_decimal(raw)
    assert isinstance(result, Decimal)
    assert result == expected
    assert result.is_finite()


def test_parse_decimal_float_keeps_its_short_form() -> None:
    assert str(parse_decimal(100.4)) == "100.4"


def test_parse_decimal_accepts_huge_int() -> None:
    # More digits than int→str allows by default; must still work.
    assert parse_decimal(10**5000) == D(10) ** 5000


@pytest.mark.parametrize(
    "raw",
    [
        True,
        False,
        None,
        float("nan"),
        float("inf"),
        float("-inf"),
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "sNaN",
        "",
        "   ",
        "abc",
        "38 C",
        "1_000",
        "١٢",  # Arabic-Indic digits: Decimal() would accept them
        "1e99999999999999999999",
        "1,5",
        D("NaN"),
        D("Infinity"),
        [38],
        {"value": 38},
        b"38",
        object(),
    ],
)
def test_parse_decimal_rejects(raw: object) -> None:
    with pytest.raises(UnitError):
        parse_decimal(raw)


@given(st.text())
def test_parse_decimal_arbitrary_text_only_raises_unit_error(text: str) -> None:
    try:
        result = parse_decimal(text)
    except UnitError:
        return
    assert isinstance(result, Decimal)
    assert result.is_finite()


@given(st.floats())
def test_parse_decimal_arbitrary_float(value: float) -> None:
    try:
        result = parse_decimal(value)
    except UnitError:
        assert value != value or value in (float("inf"), float("-inf"))
        return
    assert result.is_finite()
    assert result == D(repr(value))
    assert float(result) == value


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_parse_decimal_round_trips_decimal_text(value: Decimal) -> None:
    assert parse_decimal(str(value)) == value


# ------------------------------------------------------------------ feed spellings (issue 9)

PER_MINUTE = [
    "beats/minute",
    "beats/min",
    "bpm",
    "/min",
    "{beats}/min",
    "breaths/minute",
    "breaths/min",
    "{breaths}/min",
    "per min",
    "per minute",
]


@given(
    st.sampled_from(PER_MINUTE),
    st.lists(st.booleans(), min_size=20, max_size=20),
    st.sampled_from(["", " ", "  ", "\t"]),
)
def test_per_minute_spellings_in_any_case_and_spacing(
    spelling: str, upper: list[bool], pad: str
) -> None:
    cased = "".join(c.upper() if up else c for c, up in zip(spelling, upper, strict=False))
    assert canonical_unit(pad + cased + pad) == "/min"


@given(
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from([*PER_MINUTE, "%", "F", "°C", "Cel", "deg F", "[degF]"]),
    st.sampled_from(["", " ", "  "]),
)
def test_numeric_value_text_is_split_exactly(value: Decimal, spelling: str, gap: str) -> None:
    got = units.split_value_text(f"{value}{gap}{spelling}")
    assert got is not None
    number, unit = got
    assert number == value and unit == spelling
    assert canonical_unit(unit) is not None


@given(st.text(max_size=50))
def test_value_text_never_raises_and_reads_only_one_plain_number(text: str) -> None:
    got = units.split_value_text(text)
    if got is not None:
        number, unit = got
        assert number.is_finite() and number >= 0
        assert unit is None or not any(ch.isdigit() for ch in unit if ch.isascii())


@pytest.mark.parametrize("text", ["120-130", "<60", ">100", "~98", "1 2", "-5 C", "12,5 %"])
def test_ambiguous_value_text_is_not_read(text: str) -> None:
    assert units.split_value_text(text) is None


@given(st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False))
def test_ratio_units(value: Decimal) -> None:
    assert units.is_ratio_unit("1", None) and units.is_ratio_unit(None, "{ratio}")
    assert units.is_ratio_unit(None, None) and not units.is_ratio_unit("%", None)
    spo2 = PACK.index.readings["oxygen_saturation_obs"]
    odd = units.implausible(spo2, value * 100, "%")
    assert (odd is None) is (value * 100 >= 20)


@given(st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False))
def test_plausible_ranges(value: Decimal) -> None:
    """The pack's ranges (valuesets.yaml `plausible`) as the reader applies them."""
    ranges = {
        "heart_rate_obs": (10, 350),
        "respiratory_rate_obs": (0, 100),
        "oxygen_saturation_obs": (20, 100),
        "fever_temperature_obs": (25, 46),
    }
    for valueset, (low, high) in ranges.items():
        odd = units.implausible(PACK.index.readings[valueset], value, "u")
        assert (odd is None) is (low <= value <= high)
    assert "diabetes_lab_hba1c" not in PACK.index.readings  # no range: any value may be real
    assert units.implausible(units.NO_RULE, value, "%") is None


def test_reading_rules_hash_alike_when_equal_also_in_another_process() -> None:
    """The quantity reader's memo is keyed by the rule, whose hash is worked out once: equal
    rules must hash alike, also in a worker the rule was pickled to (whose str hashes differ)."""
    import pickle  # nosec B403  # our own object, round-tripped by our own test
    import subprocess  # nosec B404
    import sys

    rule = PACK.index.readings["heart_rate_obs"]
    twin = units.ReadingRule(
        rule.unit_implied, rule.fraction_as_percent, rule.low, rule.high, rule.name
    )
    assert twin == rule and hash(twin) == hash(rule)
    assert units.ReadingRule(rule.unit_implied, rule.fraction_as_percent, rule.low) != rule
    worker = (
        "import pickle, sys; from cds.facts.units import ReadingRule as R; "
        "r = pickle.loads(sys.stdin.buffer.read()); "
        "t = R(r.unit_implied, r.fraction_as_percent, r.low, r.high, r.name); "
        "print(t == r and hash(t) == hash(r))"
    )
    for seed in ("1", "2"):
        done = subprocess.run(  # nosec B603
            [sys.executable, "-c", worker],
            input=pickle.dumps(rule),
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            check=True,
        )
        assert done.stdout.strip() == b"True"
