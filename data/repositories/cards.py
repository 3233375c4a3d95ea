"""The card catalog: printings, the identities each provider knows them by, and name search."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, text

from data.domain import Card, IdentityKind
from data.names import fold

_COLUMNS = (
    "scryfall_id, oracle_id, mtgjson_uuid, tcgplayer_product_id, tcgplayer_etched_product_id,"
    " cardmarket_id, name, set_code, set_name, collector_number, rarity, released_at,"
    " type_line, legalities, finishes, image_url, lang"
)

_UPSERT = text(
    f"""
    INSERT INTO cards ({_COLUMNS}, search_name)
    VALUES (:scryfall_id, :oracle_id, :mtgjson_uuid, :tcgplayer_product_id,
            :tcgplayer_etched_product_id, :cardmarket_id, :name, :set_code, :set_name,
            :collector_number, :rarity, :released_at, :type_line, CAST(:legalities AS jsonb),
            :finishes, :image_url, :lang, :search_name)
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
        image_url = EXCLUDED.image_url, lang = COALESCE(EXCLUDED.lang, cards.lang),
        search_name = EXCLUDED.search_name, updated_at = now()
    """
)

_SELECT = f"SELECT id, {_COLUMNS} FROM cards"
MAX_WORDS = 8  # of typed text a name search matches (search text is at most 100 characters)

# Each printing's own identities, refreshed with the catalog row; a key another
# printing held before moves to this one (providers do re-point ids).
_IDENTITIES = text(
    """
    INSERT INTO card_identities (kind, key, card_id)
    SELECT DISTINCT ON (kind, key) kind, key, id FROM (
        SELECT 'scryfall_id' AS kind, scryfall_id::text AS key, id FROM cards
        UNION ALL SELECT 'cardmarket_id', cardmarket_id::text, id FROM cards
        UNION ALL SELECT 'tcgplayer_product_id', tcgplayer_product_id::text, id FROM cards
        UNION ALL SELECT 'tcgplayer_etched_product_id', tcgplayer_etched_product_id::text, id FROM cards
    ) AS k
    WHERE key IS NOT NULL AND id IN (SELECT id FROM cards WHERE scryfall_id = ANY(CAST(:ids AS uuid[])))
    ORDER BY kind, key, id
    ON CONFLICT (kind, key) DO UPDATE SET card_id = EXCLUDED.card_id
    """
)


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
        "lang": card.lang,
        "search_name": fold(card.name),
    }


class CardRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def upsert_many(self, cards: Iterable[Card]) -> dict[str, int]:
        """Insert or refresh printings keyed by Scryfall id; returns scryfall_id -> card id.

        A printing given twice is stored once, as given last (PostgreSQL refuses to
        update one row twice in a statement, which would refuse the whole batch)."""
        params = [_params(card) for card in cards]
        missing = [p["name"] for p in params if not p["scryfall_id"]]
        if missing:
            raise ValueError(f"cards without a Scryfall id cannot be upserted: {missing[:5]}")
        params = list({str(p["scryfall_id"]).lower(): p for p in params}.values())
        if not params:
            return {}
        ids = [p["scryfall_id"] for p in params]
        with self.engine.begin() as conn:
            conn.execute(_UPSERT, params)  # executemany: psycopg pipelines the batch
            conn.execute(_IDENTITIES, {"ids": ids})
            rows = conn.execute(
                text("SELECT scryfall_id::text, id FROM cards WHERE scryfall_id = ANY(CAST(:ids AS uuid[]))"),
                {"ids": ids},
            )
            return dict(rows.all())

    def link(self, kind: IdentityKind, scryfall_ids: dict[str, str]) -> int:
        """Record provider keys (key -> Scryfall id) of printings in the catalog; returns links made.

        Keys whose Scryfall id is not in the catalog are skipped: import Scryfall first."""
        if not scryfall_ids:
            return 0
        params = {"kind": kind.value, "keys": list(scryfall_ids), "sids": list(scryfall_ids.values())}
        with self.engine.begin() as conn:
            linked = conn.execute(
                text(
                    """
                    INSERT INTO card_identities (kind, key, card_id)
                    SELECT :kind, k.key, c.id
                    FROM unnest(CAST(:keys AS text[]), CAST(:sids AS text[])) AS k(key, sid)
                    JOIN cards c ON c.scryfall_id = CAST(k.sid AS uuid)
                    ON CONFLICT (kind, key) DO UPDATE SET card_id = EXCLUDED.card_id
                    """
                ),
                params,
            ).rowcount
            if kind is IdentityKind.MTGJSON_UUID:  # the catalog shows the first uuid of a printing
                conn.execute(
                    text(
                        """
                        UPDATE cards c SET mtgjson_uuid = CAST(i.key AS uuid)
                        FROM card_identities i
                        WHERE i.kind = 'mtgjson_uuid' AND i.card_id = c.id AND c.mtgjson_uuid IS NULL
                          AND i.key = ANY(CAST(:keys AS text[]))
                          AND NOT EXISTS (SELECT 1 FROM cards o WHERE o.mtgjson_uuid = CAST(i.key AS uuid))
                        """
                    ),
                    params,
                )
            return linked

    def tcgplayer_products(self) -> dict[int, bool]:
        """Every TCGplayer productId in the catalog, mapped to whether it is an etched product."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT tcgplayer_product_id, false FROM cards WHERE tcgplayer_product_id IS NOT NULL"
                    " UNION SELECT tcgplayer_etched_product_id, true FROM cards"
                    " WHERE tcgplayer_etched_product_id IS NOT NULL"
                )
            )
            return dict(rows.all())

    def resolve(self, kind: IdentityKind, keys: Iterable[str]) -> dict[str, int]:
        """Provider keys -> card ids, for the keys the catalog knows."""
        wanted = sorted(set(keys))
        if not wanted:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT key, card_id FROM card_identities WHERE kind = :kind AND key = ANY(:keys)"),
                {"kind": kind.value, "keys": wanted},
            )
            return dict(rows.all())

    def get(self, card_id: int) -> Card | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"{_SELECT} WHERE id = :id"), {"id": card_id}).first()
        return _row_to_card(row) if row else None

    def get_by_scryfall_id(self, scryfall_id: str) -> Card | None:
        with self.engine.connect() as conn:
            row = conn.execute(text(f"{_SELECT} WHERE scryfall_id = CAST(:sid AS uuid)"), {"sid": scryfall_id}).first()
        return _row_to_card(row) if row else None

    def search(self, query: str, limit: int = 20) -> list[Card]:
        """'MID 44' (set code and collector number) finds that printing in each language; anything
        else is words of a name (see `_name_search`)."""
        needle = query.strip().lower()
        if not needle:
            return []
        set_and_number = re.fullmatch(r"([a-z0-9]{2,6})\s*#?\s*([0-9][0-9a-z★†-]*)", needle)
        if set_and_number:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    text(
                        f"{_SELECT} WHERE set_code = :set AND lower(collector_number) LIKE :number ORDER BY"
                        " length(collector_number), collector_number, lang IS DISTINCT FROM 'en', lang"
                        " LIMIT :limit"
                    ),
                    {"set": set_and_number.group(1), "number": set_and_number.group(2) + "%", "limit": limit},
                )
                found = [_row_to_card(row) for row in rows]
            if found:
                return found
        return self._name_search(fold(query), limit)

    def _name_search(self, folded: str, limit: int) -> list[Card]:
        """Printings whose folded name (`data.names.fold`) has a word starting with each typed word,
        in any order; when none has, the names close to the text (a typo: pg_trgm's word similarity
        `%>` above 0.6). Best match first: the whole name, then names starting with the text, then
        the others (typos by similarity); then the English printing, then the newest."""
        words = folded.split()[:MAX_WORDS]
        if not words:
            return []
        # Folded words hold letters and digits only: no LIKE wildcard can reach the patterns. Each word
        # is matched twice: anywhere (the trigram index finds the rows), then at a word's start.
        every_word = " AND ".join(
            f"(search_name LIKE :inside{i} AND ' ' || search_name LIKE :start{i})" for i in range(len(words))
        )
        params: dict[str, Any] = {"needle": " ".join(words), "prefix": " ".join(words) + "%", "limit": limit}
        for i, word in enumerate(words):
            params[f"inside{i}"] = f"%{word}%"
            params[f"start{i}"] = f"% {word}%"
        with self.engine.connect() as conn:
            for matching in (every_word, "search_name %> :needle"):
                rows = conn.execute(
                    text(
                        f"""
                        {_SELECT}
                        WHERE {matching}
                        ORDER BY search_name <> :needle, search_name NOT LIKE :prefix,
                                 word_similarity(:needle, search_name) DESC, similarity(search_name, :needle) DESC,
                                 name, lang IS DISTINCT FROM 'en', released_at DESC NULLS LAST,
                                 set_code, length(collector_number), collector_number, lang
                        LIMIT :limit
                        """
                    ),
                    params,
                ).all()
                if rows:
                    break
        return [_row_to_card(row) for row in rows]

    def printings(self, oracle_id: str) -> list[dict[str, Any]]:
        """Every printing of a card (same oracle id), English first, then newest, each with its
        headline price: the newest hourly price of a retail shop, Near Mint, nonfoil before foil,
        USD before other currencies, TCGplayer first among equals (None when the printing has no price)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT c.id, c.name, c.set_code, c.set_name, c.collector_number, c.lang, c.released_at,
                           p.price, p.currency, p.time, p.marketplace
                    FROM cards c
                    LEFT JOIN LATERAL (
                        SELECT round(l.price, 2) AS price, l.currency, l.time, m.name AS marketplace
                        FROM latest_prices l JOIN marketplaces m ON m.id = l.marketplace_id
                        WHERE l.card_id = c.id AND m.kind = 'retail'
                        ORDER BY l.condition <> 'NEAR_MINT', l.finish <> 'nonfoil', l.finish,
                                 l.currency <> 'USD', l.currency, l.time DESC, m.slug <> 'tcgplayer', m.slug
                        LIMIT 1
                    ) p ON true
                    WHERE c.oracle_id = CAST(:oracle AS uuid)
                    ORDER BY c.lang IS DISTINCT FROM 'en', c.released_at DESC NULLS LAST, c.set_code,
                             length(c.collector_number), c.collector_number, c.lang
                    LIMIT 500
                    """
                ),
                {"oracle": oracle_id},
            )
            return [dict(row) for row in rows.mappings()]

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
