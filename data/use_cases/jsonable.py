"""Turn repository rows into plain JSON data: exact decimals as strings, times as ISO 8601."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# By exact type first: a year of a card's history is thousands of values, and a dict lookup costs less
# than the chain of isinstance checks below (kept for subclasses).
_BY_TYPE = {Decimal: str, datetime: datetime.isoformat, date: date.isoformat}
_AS_IS = frozenset({type(None), int, float, str, bool})


def plain(value: Any) -> Any:
    """A JSON-safe copy. Decimals stay exact (as strings); None stays None, never zero."""
    kind = type(value)
    if kind in _AS_IS:
        return value
    if (convert := _BY_TYPE.get(kind)) is not None:
        return convert(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(item) for item in value]
    return value


def group_series(
    rows: Iterable[dict[str, Any]], keys: tuple[str, ...], values: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Rows ordered by `keys` then time -> one columnar series per distinct key."""
    series: list[dict[str, Any]] = []
    current: tuple | None = None
    for row in rows:
        identity = tuple(row[key] for key in keys)
        if identity != current:
            current = identity
            series.append({**{key: plain(row[key]) for key in keys}, "time": [], **{value: [] for value in values}})
        target = series[-1]
        target["time"].append(plain(row["time"]))
        for value in values:
            target[value].append(plain(row[value]))
    return series
