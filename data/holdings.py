"""The vocabulary of a user's collection: a lot (copies of one printing and variant, with what one
copy cost), the changes a lot accepts, and the rules its values follow. Pure Python, like
`data.domain`: the repositories and the import use case check values here, before any SQL."""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from data.domain import Condition, Finish, Language

MAX_QUANTITY = 1_000_000  # the lots.quantity CHECK
MAX_PRICE = Decimal("9999999999.99")  # NUMERIC(12, 2)
MAX_NOTES = 2000
CENT = Decimal("0.01")
_CURRENCY = re.compile(r"[A-Z]{3}")


@dataclass(frozen=True)
class NewLot:
    """A lot to write: the printing by card id, the variant, and its cost (None: unknown)."""

    card_id: int
    quantity: int
    finish: Finish = Finish.NONFOIL
    condition: Condition = Condition.NEAR_MINT
    language: Language = Language.ENGLISH
    acquired_price: Decimal | None = None
    currency: str = "USD"
    acquired_on: date | None = None
    notes: str = ""


@dataclass(frozen=True)
class Lot(NewLot):
    id: int = 0
    user_id: int = 0


# What `LotRepository.update` may change; the printing never changes (delete and add instead).
CHANGEABLE = frozenset(f.name for f in fields(NewLot)) - {"card_id"}


def quantity_problem(quantity: object) -> str | None:
    if type(quantity) is not int or not 1 <= quantity <= MAX_QUANTITY:
        return f"quantity must be a whole number from 1 to {MAX_QUANTITY:,}"
    return None


def money_problem(amount: object, what: str = "price") -> str | None:
    """Why `amount` cannot be one copy's price: not a Decimal, negative, beyond the column or finer than a cent."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        return f"{what} must be an exact decimal amount"
    if amount < 0:
        return f"{what} cannot be negative"
    if amount > MAX_PRICE:
        return f"{what} above {MAX_PRICE}"
    try:
        if amount != amount.quantize(CENT):
            return f"{what} finer than a cent ({amount})"
    except InvalidOperation:
        return f"{what} above {MAX_PRICE}"
    return None


def currency_problem(currency: object) -> str | None:
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        return f"currency must be a 3-letter ISO code in capitals, got {currency!r:.20}"
    return None


def date_problem(day: object, what: str) -> str | None:
    if day is None:
        return None
    if not isinstance(day, date) or isinstance(day, datetime):
        return f"{what} must be a date"
    if day > (datetime.now(UTC) + timedelta(days=1)).date():
        return f"{what} is in the future"
    if day.year < 1993:
        return f"{what} is before Magic existed"
    return None


def notes_problem(notes: object) -> str | None:
    if not isinstance(notes, str):
        return "notes must be text"
    if len(notes) > MAX_NOTES:
        return f"notes longer than {MAX_NOTES} characters"
    if "\x00" in notes:
        return "notes contain a NUL character"
    return None


_CHECKS = {
    "quantity": quantity_problem,
    "finish": lambda v: None if isinstance(v, Finish) else "finish must be nonfoil, foil or etched",
    "condition": lambda v: None if isinstance(v, Condition) else "condition is not a known condition",
    "language": lambda v: None if isinstance(v, Language) else "language is not a known language",
    "acquired_price": lambda v: None if v is None else money_problem(v, "acquired price"),
    "currency": currency_problem,
    "acquired_on": lambda v: date_problem(v, "acquired date"),
    "notes": notes_problem,
}


def value_problem(column: str, value: Any) -> str | None:
    """Why `value` cannot be a lot's `column`, or None."""
    return _CHECKS[column](value)


def lot_problem(lot: NewLot) -> str | None:
    """The first reason the lot cannot be stored, or None."""
    if type(lot.card_id) is not int or lot.card_id < 1:
        return "card id must be a positive whole number"
    for column in _CHECKS:
        if problem := value_problem(column, getattr(lot, column)):
            return problem
    return None


class InvalidLot(ValueError):
    """A lot, a change or a sale with a value it cannot hold; nothing was written."""


class NotEnoughCopies(ValueError):
    """A sale of more copies than the lot holds; nothing was written."""
