"""The card catalog: printings and the identities each provider knows them by."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, text

from data.domain import Card

_COLUMNS = (
    "scryfall_id, oracle_id, mtgjson_uuid, tcgplayer_product_id, tcgplayer_etched_product_id,"
    " cardmarket_id, name, set_code, set_name, collector_number, rarity, released_at,"
    " type_line, legalities, finishes, image_url"
)

_UPSERT = text(
    f"""
    INSERT INTO cards ({_COLUMNS})
    VALUES (:scryfall_id, :oracle_id, :mtgjson_uuid, :tcgplayer_product_id,
            :tcgplayer_etched_product_id, :cardmarket_id, :name, :set_code, :set_name,
            :collector_number, :rarity, :released_at, :type_line, CAST(:legalities AS jsonb),
            :finishes, :image_url)
    ON CONFLICT (scryfall_id) DO UPDATE SET
        oracle_id = EXCLUDED.oracle_id,
        mtgjson_uuid = COALESCE(EXCLUDED.mtgjson_uuid, cards.mtgjson_uuid),
        tcgplayer_product_id = EXCLUDED.tcgplayer_product_id,
        tcgplayer_etched_product_id = EXCLUDED.tcgplayer_etched_product_id,
        cardmarket_id = EXCLUDED.cardmarket_id,
        name = EXCLUDED.name, set_code = EXCLUDED.set_code, set_name = EXCLUDED.set_name,
        collector_number = EXCLUDED.collector_number, rarity = EXCLUDED.rarity,
        released_at = EXCLUDED.released_at, type_line = EXCLUDED.type_line,
        legalities = EXCLUDED.legalities, finishes = EXCLUDED.finishes,
        image_url = EXCLUDED.image_url, updated_at = now()
    """
)

_SELECT = f"SELECT id, {_COLUMNS} FROM cards"


def _row_to_card(row: Any) -> Card:
    values = dict(row._mapping)
    for key in ("scryfall_id", "oracle_id", "mtgjson_uuid"):
        values[key] = str(values[key]) if values[key] is not None else None
    values["finishes"] = tuple(values["finishes"] or ())
    return Card(**values)


def _params(card: Card) -> dict[str, Any]:
    return {
        "scryfall_id": card.scryfall_id,
        "oracle_id": card.oracle_id,
        "mtgjson_uuid": card.mtgjson_uuid,
        "tcgplayer_product_id": card.tcgplayer_product_id,
        "tcgplayer_etched_product_id": card.tcgplayer_etched_product_id,
        "cardmarket_id": card.cardmarket_id,
        "name": card.name,
        "set_code": card.set_code,
        "set_name": card.set_name,
        "collector_number": card.collector_number,
        "rarity": card.rarity,
        "released_at": card.released_at,
        "type_line": card.type_line,
        "legalities": json.dumps(card.legalities, sort_keys=True),
        "finishes": list(card.finishes),
        "image_url": card.image_url,
    }


class CardRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upsert_many(self, cards: Iterable[Card]) -> dict[str, int]:
        """Insert or refresh printings keyed by Scryfall id; returns scryfall_id -> card id."""
        params = [_params(card) for card in cards]
        missing = [p["name"] for p in params if not p["scryfall_id"]]
        if missing:
            raise ValueError(f"cards without a Scryfall id cannot be upserted: {missing[:5]}")
        if not params:
            return {}
        with self.engine.begin() as conn:
            conn.execute(_UPSERT, params)  # executemany: psycopg pipelines the batch
            rows = conn.execute(
                text("SELECT scryfall_id::text, id FROM cards WHERE scryfall_id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": [p["scryfall_id"] for p in params]},
            )
            return dict(rows.all())

    def get(self, card_id: int) -> Card | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"{_SELECT} WHERE id = :id"), {"id": card_id}).first()
        return _row_to_card(row) if row else None

    def get_by_scryfall_id(self, scryfall_id: str) -> Card | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(f"{_SELECT} WHERE scryfall_id = CAST(:sid AS uuid)"), {"sid": scryfall_id}
            ).first()
        return _row_to_card(row) if row else None

    def search(self, query: str, limit: int = 20) -> list[Card]:
        """Names that start with the query first, then fuzzy (trigram) matches by similarity."""
        needle = query.strip().lower()
        if not needle:
            return []
        pattern = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"""
                    {_SELECT}
                    WHERE lower(name) LIKE :prefix OR lower(name) % :needle
                    ORDER BY lower(name) LIKE :prefix DESC,
                             similarity(lower(name), :needle) DESC,
                             name, released_at DESC NULLS LAST, set_code, collector_number
                    LIMIT :limit
                    """
                ),
                {"prefix": pattern, "needle": needle, "limit": limit},
            )
            return [_row_to_card(row) for row in rows]

    def by_set(self, set_code: str) -> list[Card]:
        """A set's printings by the number in the collector number (2 before 10, A-52 beside 52)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"""
                    {_SELECT} WHERE set_code = :set_code
                    ORDER BY substring(collector_number FROM '[0-9]+')::int NULLS LAST,
                             collector_number
                    """
                ),
                {"set_code": set_code.lower()},
            )
            return [_row_to_card(row) for row in rows]
