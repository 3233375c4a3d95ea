"""Numbers as the pages show them: prices to the cent with their currency, changes with their sign.

Prices and percentages arrive as exact decimal strings and are rounded here as decimals
(half up, as a person rounds), never through a float: "0.365" shows as "0.37", not "0.36"."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def _cents(value: str | Decimal | None) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return None
    return number.quantize(CENT, rounding=ROUND_HALF_UP) if number.is_finite() else None


def money(value: str | Decimal | None, currency: str | None = None) -> str | None:
    """'12.3' -> '12.30', or '12.30 USD' with a currency; None (no price) stays None."""
    cents = _cents(value)
    if cents is None:
        return None
    shown = f"{cents + 0:.2f}"  # + 0: "-0.00" is "0.00"
    return f"{shown} {currency}" if currency else shown


def signed_percent(value: str | Decimal | None) -> str | None:
    """'3.2' -> '+3.20 %', '-5.41' -> '-5.41 %', zero -> '0.00 %'; None stays None."""
    cents = _cents(value)
    if cents is None:
        return None
    cents += 0
    return f"{'+' if cents > 0 else ''}{cents:.2f} %"
