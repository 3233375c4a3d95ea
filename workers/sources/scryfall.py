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

from data.domain import Card, Finish, IdentityKind, Language, PriceObservation, Rejected, card_problem
from workers.sources.files import json_lines_or_array, of_format
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


def _face(obj: dict[str, Any]) -> dict[str, Any]:
    """The first face of a multi-faced card (where its image and oracle id may be), else {}."""
    faces = obj.get("card_faces") or []
    if not isinstance(faces, list) or not all(isinstance(face, dict) for face in faces):
        raise ValueError("card_faces is not a list of faces")
    return faces[0] if faces else {}


def _image(obj: dict[str, Any]) -> str | None:
    images = obj.get("image_uris") or _face(obj).get("image_uris") or {}
    if not isinstance(images, dict):  # junk must not erase the stored image
        raise ValueError("image_uris is not an object")
    return images.get("normal") or images.get("large") or images.get("small")


def _language_code(value: Any) -> str | None:
    """Scryfall's language code ("en", "zhs"); None for anything else."""
    return value if isinstance(value, str) and value.isascii() and 0 < len(value) <= 8 else None


def parse_card(obj: dict[str, Any]) -> Card:
    """One Scryfall card object as a printing with its identities; ValueError naming the
    first field that is missing or cannot be stored."""
    released = obj.get("released_at")
    legalities = obj.get("legalities") or {}
    finishes = obj.get("finishes") or []
    if not isinstance(finishes, list):
        raise ValueError("finishes is not a list of finishes")
    card = Card(
        scryfall_id=obj.get("id"),
        oracle_id=obj.get("oracle_id") or _face(obj).get("oracle_id"),
        tcgplayer_product_id=obj.get("tcgplayer_id"),
        tcgplayer_etched_product_id=obj.get("tcgplayer_etched_id"),
        cardmarket_id=obj.get("cardmarket_id"),
        name=obj.get("name"),
        set_code=obj.get("set"),
        set_name=obj.get("set_name"),
        collector_number=obj.get("collector_number"),
        rarity=obj.get("rarity"),
        released_at=_date(released) if released else None,
        type_line=obj.get("type_line") or _face(obj).get("type_line"),
        legalities=dict(legalities) if isinstance(legalities, dict) else legalities,
        finishes=tuple(finishes),
        image_url=_image(obj),
        # A language that is not a code is left unknown: the printing and its prices still count.
        lang=_language_code(obj.get("lang")),
    )
    problem = card_problem(card)
    if problem:
        raise ValueError(problem)
    return card


def _date(text: Any) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise ValueError("released_at is not a date") from None


def file_date(path: Path) -> datetime | None:
    """The date in a bulk file's name: `default-cards-20250116223959.json` or `…-2025-11-01…`."""
    for pattern, form in ((r"\d{14}", "%Y%m%d%H%M%S"), (r"\d{4}-\d{2}-\d{2}", "%Y-%m-%d")):
        stamp = re.search(pattern, path.name)
        if stamp:
            try:
                return datetime.strptime(stamp.group(0), form).replace(tzinfo=UTC)
            except ValueError:  # digits that are no date: the name says nothing
                return None
    return None


def read(path: Path, as_of: datetime) -> Iterator[Card | PriceObservation | Rejected]:
    """Each printing of the file, then one observation per non-null price, stamped `as_of`.
    A file without a single printing is not a Scryfall bulk file."""
    return of_format(_read(path, as_of), f"{path}: not a Scryfall bulk file (not one valid card object)")


def _read(path: Path, as_of: datetime) -> Iterator[Card | PriceObservation | Rejected]:
    for position, obj in json_lines_or_array(path):
        if not isinstance(obj, dict) or obj.get("object") != "card":
            yield Rejected(position, "not a Scryfall card object")
            continue
        try:
            card = parse_card(obj)
        except (TypeError, ValueError) as exc:
            yield Rejected(position, f"invalid printing: {exc}")
            continue
        yield card
        yield from observations(position, obj, as_of)


def observations(position: str, obj: dict[str, Any], as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    prices = obj.get("prices") or {}
    if not isinstance(prices, dict):
        yield Rejected(f"{position} prices", "prices are not an object")
        return
    lang = obj.get("lang", "en")
    try:
        language = Language.parse(lang) if isinstance(lang, str) else None
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
            yield Rejected(f"{position} lang {str(lang)[:20]!r}", "language outside the card_language enum")
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
