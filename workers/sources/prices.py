"""Turning a provider's price value into an exact, valid Decimal (or a rejection)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

MAX_PRICE = Decimal("99999999.99")  # NUMERIC(10,2)


class BadPrice(ValueError):
    pass


def price(value: Any, zero_is_missing: bool = False) -> Decimal | None:
    """None for a missing price (null, absent, or a 0 that means 'no data'); raises BadPrice
    for a negative, non-numeric or out-of-range one. Floats are read by their text, not binary."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadPrice(f"not a price: {value!r}")
    try:
        amount = Decimal(value if isinstance(value, str | Decimal | int) else repr(value))
    except (InvalidOperation, ValueError):
        raise BadPrice(f"not a price: {value!r}") from None
    if not amount.is_finite():
        raise BadPrice(f"not a price: {value!r}")
    if amount < 0:
        raise BadPrice(f"negative price: {value!r}")
    if amount == 0 and zero_is_missing:
        return None
    if amount > MAX_PRICE:
        raise BadPrice(f"price out of range: {value!r}")
    return amount.quantize(Decimal("0.01"))
