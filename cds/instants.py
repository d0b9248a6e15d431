"""RFC 3339 instants as requests carry them: below every layer, so that the wire models
(`cds.hooks`) and the facts layer read times with one parser."""

from __future__ import annotations

from datetime import datetime

__all__ = ["parse_datetime"]


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 / RFC 3339 date-time (zoned or not); ValueError when it is not one.

    The one parser of the instants a request carries (its resources' times, the feedback's
    `outcomeTimestamp`): `datetime.fromisoformat`, which reads ``Z`` but not the lower-case
    ``t`` separator and ``z`` zone RFC 3339 (section 5.6) also allows.
    """
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if len(text) < 11 or not (text[10] == "t" or text.endswith("z")):
            raise
    upper = f"{text[:10]}{text[10].upper()}{text[11:]}"
    if upper.endswith("z"):
        upper = upper[:-1] + "Z"
    return datetime.fromisoformat(upper)
