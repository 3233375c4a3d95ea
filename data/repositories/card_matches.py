"""Which printings a batch of file rows can mean, by each key the rows carry: one statement for the
whole batch, never one per row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, text

_CARD = (
    "c.id, c.name, c.set_code, c.set_name, c.collector_number, c.scryfall_id::text AS scryfall_id, c.lang, c.finishes"
)

# Each row's printings by Scryfall id, by set and collector number, and by exact name (case aside;
# a double-faced card also by its front face, as most apps write it).
_CANDIDATES = text(
    f"""
    WITH r AS (
        SELECT * FROM unnest(CAST(:positions AS int[]), CAST(:sids AS uuid[]), CAST(:sets AS text[]),
                             CAST(:numbers AS text[]), CAST(:names AS text[])) AS r(position, sid, set_code,
                                                                                      number, name)
    )
    SELECT r.position, 'scryfall_id' AS key, {_CARD}
    FROM r JOIN cards c ON c.scryfall_id = r.sid
    UNION ALL
    SELECT r.position, 'number', {_CARD}
    FROM r JOIN cards c ON c.set_code = r.set_code AND lower(c.collector_number) = lower(r.number)
    UNION ALL
    SELECT r.position, 'name', {_CARD}
    FROM r JOIN cards c ON lower(c.name) = lower(r.name)
    UNION
    SELECT r.position, 'name', {_CARD}
    FROM r JOIN cards c ON c.name LIKE '% // %' AND lower(split_part(c.name, ' // ', 1)) = lower(r.name)
    ORDER BY 1, 2, 5, 7, 8
    """
)


@dataclass(frozen=True)
class Lookup:
    """One file row's keys (None where the row lacks one); `position` ties the answers to it."""

    position: int
    scryfall_id: str | None
    set_code: str | None
    collector_number: str | None
    name: str | None


class CardMatchRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def candidates(self, lookups: Sequence[Lookup]) -> dict[int, dict[str, list[dict[str, Any]]]]:
        """position -> key ('scryfall_id', 'number', 'name') -> the printings that key matches.
        Scryfall ids must be UUID text (check with `data.domain.is_uuid` first)."""
        if not lookups:
            return {}
        params = {
            "positions": [lookup.position for lookup in lookups],
            "sids": [lookup.scryfall_id for lookup in lookups],
            "sets": [lookup.set_code.lower() if lookup.set_code else None for lookup in lookups],
            "numbers": [lookup.collector_number for lookup in lookups],
            "names": [lookup.name.strip() if lookup.name else None for lookup in lookups],
        }
        found: dict[int, dict[str, list[dict[str, Any]]]] = {}
        with self.engine.connect() as conn:
            for row in conn.execute(_CANDIDATES, params).mappings():
                card = dict(row)
                position, key = card.pop("position"), card.pop("key")
                card["finishes"] = tuple(card["finishes"] or ())
                found.setdefault(position, {}).setdefault(key, []).append(card)
        return found
