"""`quote`: record text made inert in a card's Markdown, ordinary clinical text unchanged."""

from __future__ import annotations

import pytest

from cds.cards.quote import QUOTE_MAX, quote


@pytest.mark.parametrize(
    "text",
    [
        "Cauda equina syndrome (G83.4)",
        "code 8310-5 (http://loinc.org)",
        "SpO2 85 %",
        "ibuprofen 600 MG Oral Tablet",
        "t1-a.2",
        "Low back pain, unspecified; r/o sciatica!",
        "38.0 °C",
    ],
)
def test_ordinary_clinical_text_is_unchanged(text: str) -> None:
    assert quote(text) == text


@pytest.mark.parametrize(
    ("text", "inert"),
    [
        ("![x](http://e/t.png)", "!\\[x\\](http://e/t.png)"),
        ("[a][1]", "\\[a\\]\\[1\\]"),
        ("<img src=x onerror=alert(1)>", "\\<img src=x onerror=alert(1)\\>"),
        ("<http://evil>", "\\<http://evil\\>"),
        ("a\n- **b**", "a - \\*\\*b\\*\\*"),
        ("a\r\n# b\u2028c", "a # b c"),
        ("# heading", "\\# heading"),
        ("- bullet", "\\- bullet"),
        ("`code` _em_", "\\`code\\` \\_em\\_"),
        ("\\[x]", "\\\\\\[x\\]"),
        ("a | b", "a \\| b"),
    ],
)
def test_markup_in_record_text_is_escaped(text: str, inert: str) -> None:
    assert quote(text) == inert


def test_record_text_is_cut_to_its_cap_with_an_ellipsis() -> None:
    out = quote("y" * 500)
    assert len(out) == QUOTE_MAX and out.endswith("…")
    assert quote("y" * 500, None) == "y" * 500
