"""MTGJSON v5: AllPrices (90 days) / AllPricesToday, and identity files.

Prices: {"meta": {"date"}, "data": {uuid: {"paper": {provider: {"retail"|"buylist":
{"normal"|"foil"|"etched": {"YYYY-MM-DD": number}}, "currency"}}, "mtgo":
{"cardhoarder": ...}}}} (mtgjson.com/data-models/price). Empty maps are normal.
A buylist is its own marketplace series (`<provider>-buylist`). MTGO prices are
in tix whatever the file's currency says. Identities come from AllIdentifiers,
AllPrintings or per-set files: uuid -> Scryfall id. A file without a single price
(or identity) is not an MTGJSON price (or identifiers) file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from data.domain import MARKETPLACES, Finish, IdentityKind, PriceObservation, Rejected, is_uuid
from workers.sources.files import json_kvitems, json_paths, json_value, of_format, stated_time
from workers.sources.prices import BadPrice, price

SOURCE = "mtgjson"
FORMATS = ("paper", "mtgo")
FINISHES = {"normal": Finish.NONFOIL, "foil": Finish.FOIL, "etched": Finish.ETCHED}


def file_date(path: Path) -> datetime | None:
    meta = json_value(path, "meta")
    return stated_time(path, "meta.date", meta.get("date")) if isinstance(meta, dict) else None


def read(path: Path) -> Iterator[PriceObservation | Rejected]:
    """One observation per (uuid, provider, retail/buylist, finish, date) price."""
    return of_format(_read(path), f"{path}: not an MTGJSON price file (not one price under 'data')")


def _read(path: Path) -> Iterator[PriceObservation | Rejected]:
    for uuid, formats in json_kvitems(path, "data"):
        where = f"{path} data.{uuid[:40]}"
        if not isinstance(formats, dict) or not set(formats) <= set(FORMATS):
            yield Rejected(where, "not a price entry (an object of paper and mtgo prices)")
            continue
        if not is_uuid(uuid):
            yield Rejected(where, "uuid is not a UUID")
            continue
        for fmt, providers in formats.items():
            if not isinstance(providers, dict):
                yield Rejected(f"{where}.{fmt}", "providers are not an object")
                continue
            for provider, lists in providers.items():
                yield from _provider(f"{where}.{fmt}.{provider[:40]}", uuid, fmt, provider, lists)


def _provider(where: str, uuid: str, fmt: str, provider: str, lists: Any) -> Iterator[PriceObservation | Rejected]:
    if provider not in MARKETPLACES:
        yield Rejected(where, f"unknown provider {provider[:40]!r}")
        return
    if not isinstance(lists, dict):
        yield Rejected(where, "provider prices are not an object")
        return
    currency = "TIX" if fmt == "mtgo" else str(lists.get("currency") or MARKETPLACES[provider].currency)[:8]
    for side in ("retail", "buylist"):
        slug = provider if side == "retail" else f"{provider}-buylist"
        finishes = lists.get(side) or {}
        if not isinstance(finishes, dict):
            yield Rejected(f"{where}.{side}", "finishes are not an object")
            continue
        for finish_name, points in finishes.items():
            finish = FINISHES.get(finish_name)
            if finish is None:
                yield Rejected(f"{where}.{side}.{finish_name[:40]}", "unknown finish")
                continue
            if not isinstance(points, dict):
                yield Rejected(f"{where}.{side}.{finish_name}", "prices are not an object of dates")
                continue
            for day, value in points.items():
                try:
                    amount = price(value)
                    moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
                except (BadPrice, ValueError) as exc:
                    yield Rejected(f"{where}.{side}.{finish_name}.{day[:40]}", str(exc).split(":")[0])
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


# Where each identity file keeps its printings: AllIdentifiers {uuid: {identifiers}},
# AllPrintings {set: {cards: [...]}}, a per-set file {cards: [...]}.
_IDENTITY_PATHS = ("data.*.identifiers", "data.*.cards.item", "data.cards.item")


def read_identities(path: Path) -> Iterator[tuple[str, str] | Rejected]:
    """(MTGJSON uuid, Scryfall id) from AllIdentifiers, AllPrintings or a per-set file."""
    refusal = f"{path}: not an MTGJSON identifiers file (AllIdentifiers, AllPrintings or a set file)"
    return of_format(_read_identities(path), refusal)


def _read_identities(path: Path) -> Iterator[tuple[str, str] | Rejected]:
    for trail, value in json_paths(path, _IDENTITY_PATHS):
        if trail[-1] == "identifiers":
            uuid, identifiers = trail[1], value
        elif isinstance(value, dict):
            uuid, identifiers = value.get("uuid"), value.get("identifiers")
        else:
            continue
        if not isinstance(identifiers, dict):
            continue
        scryfall_id = identifiers.get("scryfallId")
        if uuid and scryfall_id:
            if is_uuid(uuid) and is_uuid(scryfall_id):
                yield uuid, scryfall_id
            else:
                yield Rejected(f"{path} {'.'.join(trail)[:80]}", "uuid or scryfallId is not a UUID")
