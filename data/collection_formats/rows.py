"""What every collection CSV reader yields, whatever app wrote the file: one row of the file as a
holding, before it is matched to a printing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from data.domain import Condition, Finish, Language


@dataclass(frozen=True)
class CollectionRow:
    line: int  # the row's line in the file (the header is line 1), for messages
    quantity: int
    name: str | None  # the card's name as the file spells it
    set_code: str | None  # lowercase
    collector_number: str | None
    scryfall_id: str | None  # a UUID string when the file has one
    finish: Finish
    condition: Condition
    language: Language
    price: Decimal | None  # what one copy cost, in `currency`; None when the file has no price
    currency: str | None  # ISO 4217, upper case; None when unknown
    acquired_on: date | None
    notes: str


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str | None  # the file's header name, None when the whole row is at fault
    message: str
