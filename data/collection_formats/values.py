"""Cell parsers shared by every app's reader, and the vocabulary type each app declares.

Rules, the same for every app:
- quantities are whole numbers from 1 to 1,000,000, ASCII digits only ("1.0", "2x", "-1" are refused; only
  Delver Lens's QuantityX column, which writes "2x", takes the x, in its own module);
- prices are non-negative decimals: a leading or trailing currency symbol the app writes is stripped,
  thousands separators are accepted only in groups of three (`1,234.50`), a comma as the decimal mark
  is refused (it is ambiguous with thousands), and values are rounded half-up to the cent;
- dates lie between Magic's release (1993-08-05) and tomorrow.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum
from typing import Generic, TypeVar

from data.domain import MAGIC_EPOCH, is_uuid

QUANTITY_MAX = 1_000_000
PRICE_MAX = Decimal("10000000")  # ten million: above any card ever sold, below any column limit
CENT = Decimal("0.01")
_PRICE = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_LONGEST_CELL = 64  # numbers, dates and codes; names are not parsed

E = TypeVar("E", bound=Enum)


class CellError(ValueError):
    """One cell that cannot be read; the reader turns it into a RowProblem naming line and column."""


def quantity(text: str) -> int:
    value = text.strip()
    if not value:
        raise CellError("quantity is empty")
    if len(value) > 12 or not (value.isascii() and value.isdigit()):
        raise CellError(f"quantity {value[:_LONGEST_CELL]!r} is not a whole number")
    number = int(value)
    if not 1 <= number <= QUANTITY_MAX:
        raise CellError(f"quantity {number} is outside 1..{QUANTITY_MAX:,}")
    return number


def price(text: str, symbols: Iterable[str] = ()) -> Decimal | None:
    """A price cell to a Decimal rounded to the cent, or None when the cell is empty."""
    value = text.strip()
    if not value:
        return None
    if len(value) > _LONGEST_CELL:
        raise CellError("price is too long")
    body = _strip_symbols(value, symbols)
    negative = body.startswith("-")
    if negative:
        body = _strip_symbols(body[1:], symbols)
    if not _PRICE.fullmatch(body):
        raise CellError(f"price {value!r} is not a decimal number")
    if negative:
        raise CellError(f"price {value!r} is negative")
    try:
        number = Decimal(body.replace(",", "")).quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise CellError(f"price {value!r} is not a decimal number") from None
    if number > PRICE_MAX:
        raise CellError(f"price {value!r} is above {PRICE_MAX:,}")
    return number


def _strip_symbols(text: str, symbols: Iterable[str]) -> str:
    for symbol in symbols:
        text = text.removeprefix(symbol).removesuffix(symbol).strip()
    return text


def currency(text: str) -> str | None:
    value = text.strip().upper()
    if not value:
        return None
    if not _CURRENCY.fullmatch(value):
        raise CellError(f"currency {text.strip()[:_LONGEST_CELL]!r} is not a 3-letter ISO 4217 code")
    return value


def checked_date(day: date, text: str) -> date:
    if day < MAGIC_EPOCH.date():
        raise CellError(f"date {text!r} is before Magic existed (1993-08-05)")
    if day > date.today() + timedelta(days=1):
        raise CellError(f"date {text!r} is in the future")
    return day


def iso_date(text: str) -> date | None:
    """ISO 8601 dates and timestamps (`2026-05-15`, `2026-05-15 13:52:30.943000`, `...T13:52:30Z`): the
    calendar day as written, without converting time zones."""
    value = text.strip()
    if not value:
        return None
    if len(value) > _LONGEST_CELL:
        raise CellError("date is too long")
    try:
        day = date.fromisoformat(value) if len(value) <= 10 else datetime.fromisoformat(value).date()
    except ValueError:
        raise CellError(f"date {value!r} is not an ISO date (yyyy-mm-dd)") from None
    return checked_date(day, value)


def dated(text: str, formats: Iterable[str], described: str) -> date | None:
    """A date in one of the strptime `formats`, described to the user as `described`."""
    value = text.strip()
    if not value:
        return None
    if len(value) > _LONGEST_CELL:
        raise CellError("date is too long")
    for fmt in formats:
        try:
            return checked_date(datetime.strptime(value, fmt).date(), value)
        except ValueError:
            continue
    raise CellError(f"date {value!r} is not a date like {described}")


def scryfall_id(text: str) -> str | None:
    value = text.strip().lower()
    if not value:
        return None
    if not is_uuid(value):
        raise CellError(f"Scryfall ID {text.strip()[:_LONGEST_CELL]!r} is not a UUID")
    return value


@dataclass(frozen=True)
class Vocabulary(Generic[E]):
    """How one app spells the values of one of our enums: what it may write (read, any case) and what
    we write for each value (the app's canonical spelling). An empty cell reads as `default`."""

    what: str  # "condition", "language"... for messages
    reads: Mapping[str, E]
    writes: Mapping[E, str]
    default: E | None = None

    def read(self, text: str) -> E:
        value = text.strip()
        if not value:
            if self.default is None:
                raise CellError(f"{self.what} is empty")
            return self.default
        found = self._folded.get(value.casefold())
        if found is None:
            spelled = [text for text in dict.fromkeys(self.writes.values()) if text]
            known = ", ".join(spelled) + (" or empty" if "" in self.writes.values() else "")
            raise CellError(f"unknown {self.what} {value[:_LONGEST_CELL]!r}; expected one of {known}")
        return found

    def write(self, value: E, app: str) -> str:
        try:
            return self.writes[value]
        except KeyError:
            raise ValueError(f"{app} has no {self.what} for {value.value!r}") from None

    def __post_init__(self) -> None:
        object.__setattr__(self, "_folded", {key.casefold(): value for key, value in self.reads.items()})
