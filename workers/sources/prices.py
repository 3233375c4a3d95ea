"""Turning a provider's price (or stock) value into an exact, valid number, or a rejection."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MAX_PRICE = Decimal("99999999.99")  # NUMERIC(10,2)
MAX_QUANTITY = 2**31 - 1  # INTEGER


class BadPrice(ValueError):
    """A price or a quantity that cannot be stored."""


def price(value: Any, zero_is_missing: bool = False) -> Decimal | None:
    """None for a missing price (null, absent, or a 0 that means 'no data'); raises BadPrice
    for a negative, non-numeric or out-of-range one. Floats are read by their text, not binary."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadPrice(f"not a price: {value!r:.40}")
    try:
        amount = Decimal(value if isinstance(value, str | Decimal | int) else repr(value))
    except (InvalidOperation, ValueError):
        raise BadPrice(f"not a price: {value!r:.40}") from None
    if not amount.is_finite():
        raise BadPrice(f"not a price: {value!r:.40}")
    if amount < 0:
        raise BadPrice(f"negative price: {value!r:.40}")
    if amount == 0 and zero_is_missing:
        return None
    if amount > MAX_PRICE:
        raise BadPrice(f"price out of range: {value!r:.40}")
    return amount.quantize(Decimal("0.01"))


def quantity(value: Any) -> int | None:
    """A count of cards (an integer, or its digits as text) within its column; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if type(value) is not int:
        raise BadPrice(f"not a quantity: {value!r:.40}")
    if not 0 <= value <= MAX_QUANTITY:
        raise BadPrice(f"quantity out of range: {value!r:.40}")
    return value
