"""Scryfall card objects -> catalog printings.

Field meanings: https://scryfall.com/docs/api/cards. Absent vendor ids are
missing keys, not nulls; prices are decimal strings or null.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from data.domain import Card


def _image(obj: dict[str, Any]) -> str | None:
    images = obj.get("image_uris") or (obj.get("card_faces") or [{}])[0].get("image_uris") or {}
    return images.get("normal") or images.get("large") or images.get("small")


def parse_card(obj: dict[str, Any]) -> Card:
    """One Scryfall card object as a printing with its identities."""
    released = obj.get("released_at")
    return Card(
        scryfall_id=obj["id"],
        oracle_id=obj.get("oracle_id") or (obj.get("card_faces") or [{}])[0].get("oracle_id"),
        tcgplayer_product_id=obj.get("tcgplayer_id"),
        tcgplayer_etched_product_id=obj.get("tcgplayer_etched_id"),
        cardmarket_id=obj.get("cardmarket_id"),
        name=obj["name"],
        set_code=obj["set"],
        set_name=obj.get("set_name"),
        collector_number=obj["collector_number"],
        rarity=obj.get("rarity"),
        released_at=date.fromisoformat(released) if released else None,
        type_line=obj.get("type_line") or (obj.get("card_faces") or [{}])[0].get("type_line"),
        legalities=dict(obj.get("legalities") or {}),
        finishes=tuple(obj.get("finishes") or ()),
        image_url=_image(obj),
    )
