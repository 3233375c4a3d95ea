"""Ids in the paths of the per-user routes (a lot, an alert rule): parsed once, the same way everywhere."""

from __future__ import annotations

from app.api.responses import ApiError
from data.domain import INT4_MAX

ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": INT4_MAX}


def owned_id(raw: str, what: str) -> int:
    """A path id as the repositories take it. Text that cannot be an id is as missing as an unknown
    id (404, never 400): a client guessing ids learns nothing from the difference."""
    if raw.isascii() and raw.isdigit() and len(raw) <= len(str(INT4_MAX)) and 1 <= int(raw) <= INT4_MAX:
        return int(raw)
    raise ApiError(404, f"no {what} with id {raw[:20]!r}")
