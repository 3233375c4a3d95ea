"""Turn repository rows into plain JSON data: exact decimals as strings, times as ISO 8601."""

from __future__ import annotations

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
