"""Record text quoted in a card: what an EHR sent (displays, code text, ids, values, notes,
the EHR's own error text) goes into Markdown that the EHR renders. ``quote`` makes it inert.

Escaped (a backslash, CommonMark's escape for ASCII punctuation) is only what can build
structure out of quoted text, so ordinary clinical text ("Cauda equina syndrome (G83.4)",
"SpO2 85 %", "38.0 °C", "t1-a") reads exactly as before:

- ``[`` and ``]``: every link, image and reference (``[x](url)``, ``![x](url)``, ``[x][1]``)
  needs a bracket, so ``(``, ``)`` and ``!`` are harmless without one and are left as is;
- ``<`` and ``>``: raw HTML (``<script>``, ``<img onerror=...>``) and autolinks (``<http://…>``);
- ``*``, ``_`` and `````: emphasis and code spans that would make quoted text look like the
  card's own bold labels or restyle the rest of a line;
- ``\\``: so that a backslash in the record cannot cancel one of these escapes;
- a line break of any kind (CR, LF, U+2028/2029, other control characters) becomes a space: a
  record cannot open a new bullet, heading or paragraph of its own; a leading ``#``, ``-``,
  ``+`` or ``=`` (a heading, a bullet or an underline right after our own bullet) and ``|``
  are escaped too.

Each quoted string is capped at ``QUOTE_MAX`` characters, with an ellipsis: a 5 kB display
must not push the card's own words out of view.
"""

from __future__ import annotations

import re
from functools import lru_cache

QUOTE_MAX = 120
_BREAKS = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]+")
_SPECIAL = re.compile(r"([\\\[\]<>*_`|])")
_LEADING = re.compile(r"^([#+=-])")
_CHANGED = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029\\\[\]<>*_`|]")
"""A character ``quote`` would change (a break or a special character). The leading markers
are checked apart (``_MARKERS``): ``|^[#+=-]`` in the same pattern made every search try the
alternation at each position, three times as slow."""
_MARKERS = ("#", "+", "=", "-")


def _inert(text: str) -> bool:
    """Nothing in ``text`` that ``quote`` would change, length aside."""
    return _CHANGED.search(text) is None and not text.startswith(_MARKERS)


@lru_cache(maxsize=16384)
def quote(text: str, limit: int | None = QUOTE_MAX) -> str:
    """``text`` from a record, safe to put into a card's Markdown (see the module doc); cut
    to ``limit`` characters (None: no cap, for our own sentences that carry record text)."""
    if (limit is None or len(text) <= limit) and _inert(text):
        return text  # most record text (ids, displays, values): one scan, nothing to change
    flat = _BREAKS.sub(" ", text)
    if limit is not None and len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    if _SPECIAL.search(flat) is not None:
        flat = _SPECIAL.sub(r"\\\1", flat)
    return _LEADING.sub(r"\\\1", flat)


@lru_cache(maxsize=4096)
def plain(text: str, limit: int = QUOTE_MAX) -> str:
    """``text`` from a record for a card's summary, which CDS Hooks makes plain text (only the
    detail is Markdown): line breaks flattened and the length capped as ``quote`` does, but
    nothing escaped, so a summary reads "Heart rate >140 /min", never "\\>140"."""
    flat = _BREAKS.sub(" ", text)
    return flat[: limit - 1].rstrip() + "…" if len(flat) > limit else flat


def quote_id(rid: str) -> str:
    """``quote`` for a record's id or place (``Observation/hr1``), not remembered: ids are
    new with every patient, and remembering each would push the displays and values that
    do repeat out of ``quote``'s memo."""
    if len(rid) <= QUOTE_MAX and _CHANGED.search(rid) is None and not rid.startswith(_MARKERS):
        return rid  # ``_inert`` written out: this runs for every evidence line
    return quote(rid)
