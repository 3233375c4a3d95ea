"""Scryfall bulk data: the catalog of printings, and their daily prices.

Field meanings: https://scryfall.com/docs/api/cards. Absent vendor ids are
missing keys, not nulls; prices are decimal strings or null. `usd*` are
TCGplayer market prices, `eur*` Cardmarket's, `tix` Cardhoarder's (MTGO).
Scryfall's prices have no condition: they are stored as Near Mint.
Files: the current `.jsonl.gz` and the legacy single JSON array both parse.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from data.domain import Card, Finish, IdentityKind, Language, PriceObservation, Rejected
from workers.sources.files import json_lines_or_array
from workers.sources.prices import BadPrice, price

SOURCE = "scryfall"

# prices key -> (marketplace, currency, finish)
PRICE_KEYS = {
    "usd": ("tcgplayer", "USD", Finish.NONFOIL),
    "usd_foil": ("tcgplayer", "USD", Finish.FOIL),
    "usd_etched": ("tcgplayer", "USD", Finish.ETCHED),
    "eur": ("cardmarket", "EUR", Finish.NONFOIL),
    "eur_foil": ("cardmarket", "EUR", Finish.FOIL),
    "eur_etched": ("cardmarket", "EUR", Finish.ETCHED),
    "tix": ("cardhoarder", "TIX", Finish.NONFOIL),
}


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


def file_date(path: Path) -> datetime | None:
    """The date in a bulk file's name: `default-cards-20250116223959.json` or `…-2025-11-01…`."""
    stamp = re.search(r"(\d{14})", path.name)
    if stamp:
        return datetime.strptime(stamp.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    day = re.search(r"(\d{4}-\d{2}-\d{2})", path.name)
    if day:
        return datetime.fromisoformat(day.group(1)).replace(tzinfo=UTC)
    return None


def read(path: Path, as_of: datetime) -> Iterator[Card | PriceObservation | Rejected]:
    """Each printing of the file, then one observation per non-null price, stamped `as_of`."""
    for position, obj in json_lines_or_array(path):
        if not isinstance(obj, dict) or obj.get("object") != "card":
            yield Rejected(position, "not a Scryfall card object")
            continue
        try:
            card = parse_card(obj)
        except (KeyError, ValueError, TypeError) as exc:
            yield Rejected(position, f"card object without a valid {exc}")
            continue
        yield card
        yield from _observations(position, obj, as_of)


def _observations(position: str, obj: dict[str, Any], as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    prices = obj.get("prices") or {}
    try:
        language = Language.parse(obj.get("lang", "en"))
    except ValueError:
        language = None
    for key, (marketplace, currency, finish) in PRICE_KEYS.items():
        try:
            amount = price(prices.get(key))
        except BadPrice as exc:
            yield Rejected(f"{position} prices.{key}", str(exc).split(":")[0])
            continue
        if amount is None:
            continue
        if language is None:
            yield Rejected(f"{position} lang {obj.get('lang')!r}", "language outside the card_language enum")
            continue
        yield PriceObservation(
            identity=IdentityKind.SCRYFALL_ID,
            key=obj["id"],
            marketplace=marketplace,
            time=as_of,
            price=amount,
            price_market=amount if marketplace == "tcgplayer" else None,
            currency=currency,
            language=language,
            finish=finish,
        )
