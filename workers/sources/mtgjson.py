"""MTGJSON v5: AllPrices (90 days) / AllPricesToday, and identity files.

Prices: {"meta": {"date"}, "data": {uuid: {"paper": {provider: {"retail"|"buylist":
{"normal"|"foil"|"etched": {"YYYY-MM-DD": number}}, "currency"}}, "mtgo":
{"cardhoarder": ...}}}} (mtgjson.com/data-models/price). Empty maps are normal.
A buylist is its own marketplace series (`<provider>-buylist`). MTGO prices are
in tix whatever the file's currency says. Identities come from AllIdentifiers,
AllPrintings or per-set files: uuid -> Scryfall id.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from data.domain import MARKETPLACES, Finish, IdentityKind, PriceObservation, Rejected
from workers.sources.files import json_kvitems, json_value
from workers.sources.prices import BadPrice, price

SOURCE = "mtgjson"
FINISHES = {"normal": Finish.NONFOIL, "foil": Finish.FOIL, "etched": Finish.ETCHED}


def file_date(path: Path) -> datetime | None:
    meta = json_value(path, "meta")
    if isinstance(meta, dict) and meta.get("date"):
        return datetime.fromisoformat(str(meta["date"])).replace(tzinfo=UTC)
    return None


def read(path: Path) -> Iterator[PriceObservation | Rejected]:
    """One observation per (uuid, provider, retail/buylist, finish, date) price."""
    for uuid, formats in json_kvitems(path, "data"):
        if not isinstance(formats, dict):
            yield Rejected(f"{path} data.{uuid}", "price entry is not an object")
            continue
        for fmt, providers in formats.items():
            for provider, lists in (providers or {}).items():
                yield from _provider(path, uuid, fmt, provider, lists)


def _provider(path: Path, uuid: str, fmt: str, provider: str, lists: Any) -> Iterator[PriceObservation | Rejected]:
    where = f"{path} data.{uuid}.{fmt}.{provider}"
    if provider not in MARKETPLACES:
        yield Rejected(where, f"unknown provider {provider!r}")
        return
    currency = "TIX" if fmt == "mtgo" else str(lists.get("currency") or MARKETPLACES[provider].currency)
    for side in ("retail", "buylist"):
        slug = provider if side == "retail" else f"{provider}-buylist"
        for finish_name, points in (lists.get(side) or {}).items():
            finish = FINISHES.get(finish_name)
            if finish is None:
                yield Rejected(f"{where}.{side}.{finish_name}", "unknown finish")
                continue
            for day, value in points.items():
                try:
                    amount = price(value)
                    moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
                except (BadPrice, ValueError) as exc:
                    yield Rejected(f"{where}.{side}.{finish_name}.{day}", str(exc).split(":")[0])
                    continue
                if amount is not None:
                    yield PriceObservation(
                        identity=IdentityKind.MTGJSON_UUID,
                        key=uuid,
                        marketplace=slug,
                        time=moment,
                        price=amount,
                        # MTGJSON's TCGplayer retail price is TCGplayer's market price.
                        price_market=amount if slug == "tcgplayer" else None,
                        currency=currency,
                        finish=finish,
                    )


def read_identities(path: Path) -> Iterator[tuple[str, str]]:
    """(MTGJSON uuid, Scryfall id) from AllIdentifiers, AllPrintings or a per-set file."""

    def from_card(card: Any) -> Iterator[tuple[str, str]]:
        if isinstance(card, dict):
            scryfall_id = (card.get("identifiers") or {}).get("scryfallId")
            if card.get("uuid") and scryfall_id:
                yield str(card["uuid"]), str(scryfall_id)

    for key, value in json_kvitems(path, "data"):
        if key == "cards" and isinstance(value, list):  # a per-set file: data is the set
            for card in value:
                yield from from_card(card)
        elif isinstance(value, dict) and isinstance(value.get("cards"), list):  # AllPrintings
            for card in value["cards"]:
                yield from from_card(card)
        elif isinstance(value, dict) and "identifiers" in value:  # AllIdentifiers
            yield from from_card({**value, "uuid": value.get("uuid", key)})
