"""A lot's values as typed into the collection page (grid cells, the add form, the sale form), turned
into what `data.holdings` checks. Each parser raises InvalidLot with a sentence fit for the page; the
range checks themselves (quantity, cents, dates) stay in `data.holdings` and the repository."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from data.domain import Condition, Finish, Language
from data.holdings import InvalidLot


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidLot("expected text")
    return str(value).strip()


def quantity(value: Any) -> int:
    """A whole number of copies ('4', 4); '1.5', 'x2' and '' are refused."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value)
    if not text.isdigit() or not text.isascii():
        raise InvalidLot(f"quantity must be a whole number of copies, not {text!r:.20}")
    return int(text)


def money(value: Any, what: str = "price", required: bool = False) -> Decimal | None:
    """An amount like '12.50' (a leading '$' and spaces aside); '' is unknown (None) unless required."""
    text = _text(value).lstrip("$").strip()
    if not text:
        if required:
            raise InvalidLot(f"{what} is required")
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise InvalidLot(f"{what} must be an amount like 12.50, not {text!r:.20}") from None
    if not amount.is_finite():
        raise InvalidLot(f"{what} must be an amount like 12.50")
    return amount


def currency(value: Any) -> str:
    text = _text(value).upper()
    if not text:
        raise InvalidLot("currency is required (a 3-letter code such as USD or EUR)")
    return text


def day(value: Any, what: str = "acquired date", required: bool = False) -> date | None:
    """A date as YYYY-MM-DD ('' is unknown, None, unless required)."""
    text = _text(value)[:10] if isinstance(value, str) and "T" in value else _text(value)
    if not text:
        if required:
            raise InvalidLot(f"{what} is required")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidLot(f"{what} must be a date as YYYY-MM-DD, not {text!r:.20}") from None


def _enum(parse: Any, value: Any) -> Any:
    try:
        return parse(_text(value))
    except ValueError as exc:
        raise InvalidLot(str(exc)) from None


def finish(value: Any) -> Finish:
    return _enum(Finish.parse, value)


def condition(value: Any) -> Condition:
    return _enum(Condition.parse, value)


def language(value: Any) -> Language:
    return _enum(Language.parse, value)


def notes(value: Any) -> str:
    return "" if value is None else _text(value)


# A grid column's field -> (the lot's column, its parser). Cost is one copy's price.
EDITABLE = {
    "quantity": ("quantity", quantity),
    "finish": ("finish", finish),
    "condition": ("condition", condition),
    "language": ("language", language),
    "cost": ("acquired_price", lambda value: money(value, "cost")),
    "cost_currency": ("currency", currency),
    "acquired_on": ("acquired_on", day),
    "notes": ("notes", notes),
}


def change(field: Any, value: Any) -> dict[str, Any]:
    """One edited grid cell as a lot change, e.g. ('cost', '1.5') -> {'acquired_price': Decimal('1.5')}."""
    if field not in EDITABLE:
        raise InvalidLot(f"the column {str(field)[:40]!r} cannot be edited")
    column, parse = EDITABLE[field]
    return {column: parse(value)}
