"""How old a source's data is, in words: UTC dates and short ages, for the sources page and the overview."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

UNDATED = "no data date: counted from when the run finished"


def utc_text(moment: str | None, suffix: str = " UTC") -> str:
    """An ISO 8601 time as '2026-11-29 14:00 UTC' ('2026-11-29 14:00' with no suffix, under a header
    that says UTC); '' for none."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(UTC).strftime("%Y-%m-%d %H:%M") + suffix


def age_text(hours: float | None) -> str:
    """'45 min' under an hour, '3 h' under two days, '2 d' beyond; '' for none."""
    if hours is None:
        return ""
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours < 48:
        return f"{round(hours)} h"
    return f"{round(hours / 24)} d"


def data_date_text(row: dict[str, Any]) -> str:
    """A status row's data date, saying so when it is only the time its run finished."""
    if row["data_date"] is None:
        return "never delivered"
    text = utc_text(row["data_date"])
    return text if row["data_dated"] else f"{text} ({UNDATED})"
