"""Parsing a page's filter values: "all" (or nothing) means no filter."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def optional(parse: Callable[[str], T], value: str | None) -> T | None:
    """The parsed value, or None for "all"; a junk value raises ValueError from `parse`."""
    return None if value in (None, "all") else parse(value)
