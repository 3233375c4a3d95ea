"""Parsing what a page is given: URL query values and callback inputs.

A browser (or anyone posting to /_dash-update-component) may send any JSON value
for any input: a list where a string belongs, a dict, NaN, a 5,000-digit number,
a NUL. Each kind of value is parsed here, once, and a value that does not parse
raises `BadInput` with a message fit for the page's status alert."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from data.domain import INT4_MAX, stored_id
from data.use_cases.market import parse_sub_index

T = TypeVar("T")

MAX_PRICE = Decimal(1_000_000)
SHOWN_CHARS = 40


class BadInput(ValueError):
    """A value a page cannot use; the message names it and says what would do."""


def shown(value: Any) -> str:
    """A value as a message quotes it: repr, cut short (a URL may carry a megabyte)."""
    try:
        text = repr(value)
    except ValueError:  # an int past 4,300 digits
        return "a huge number"
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def card_id(value: Any) -> int:
    """A card id: ASCII digits (or a JSON integer), 1 <= id < 2**31."""
    number = stored_id(value)
    if number is None:
        raise BadInput(f"{shown(value)} is not a card id (a whole number from 1 to {INT4_MAX})")
    return number


def card_ids(values: Any) -> tuple[list[int], list[str]]:
    """Card ids from a list (a store, a multi-select) or a comma-separated string (a URL), each
    once, in order; and the values that are not ids, as a message quotes them."""
    if values is None:
        return [], []
    parts = values.split(",") if isinstance(values, str) else values if isinstance(values, list) else [values]
    ids: list[int] = []
    bad: list[str] = []
    for part in parts:
        if isinstance(part, str) and not part.strip():
            continue
        try:
            number = card_id(part.strip() if isinstance(part, str) else part)
        except BadInput:
            bad.append(shown(part))
            continue
        if number not in ids:
            ids.append(number)
    return ids, bad


def choice(name: str, value: Any, options: Iterable[str]) -> str:
    """One of `options`, exactly."""
    allowed = list(options)
    if isinstance(value, str) and value in allowed:
        return value
    raise BadInput(f"unknown {name} {shown(value)}; use one of {', '.join(allowed)}")


def optional(parse: Callable[[str], T], value: Any, name: str = "filter") -> T | None:
    """The parsed value, or None for "all" (or nothing); anything else that `parse` refuses raises BadInput."""
    if value is None or value == "all":
        return None
    if not isinstance(value, str) or len(value) > SHOWN_CHARS:
        raise BadInput(f"unknown {name} {shown(value)}")
    try:
        return parse(value)
    except ValueError as exc:
        raise BadInput(str(exc)) from None


def marketplace_id(value: Any) -> int | None:
    """A marketplace id, or None for "all" (or nothing)."""
    if value is None or value == "all":
        return None
    number = stored_id(value)
    if number is None:
        raise BadInput(f"{shown(value)} is not a marketplace")
    return number


def price(value: Any, name: str = "minimum price") -> Decimal:
    """A price from 0 to a million, to the cent; nothing (None or "") is 0."""
    if value is None or value == "":
        return Decimal("0.00")
    number = None
    if isinstance(value, int | float) and not isinstance(value, bool):
        finite = not isinstance(value, float) or math.isfinite(value)
        if finite and 0 <= value <= MAX_PRICE:  # before str(): no 4,000-digit strings
            number = Decimal(str(value))
    elif isinstance(value, str) and len(value) <= SHOWN_CHARS:
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = None
    if number is None or not number.is_finite() or not 0 <= number <= MAX_PRICE:
        raise BadInput(f"{name} {shown(value)} must be a number from 0 to {MAX_PRICE:,}")
    return abs(number).quantize(Decimal("0.01"))  # abs: "-0" is 0


def scheme(value: Any) -> str:
    """The colour scheme; anything but "dark" is light (it only picks a chart template)."""
    return "dark" if value == "dark" else "light"


def text(value: Any) -> str | None:
    """Typed text (a search box), or None when the value is not text at all."""
    return value if isinstance(value, str) else None


def sub_index(text: str) -> str:
    """A sub-index as the market page's `index=` names it (all, format:NAME, rarity:NAME, set:CODE);
    a ValueError naming the forms it takes otherwise (for `optional`)."""
    parse_sub_index(text)
    return text
