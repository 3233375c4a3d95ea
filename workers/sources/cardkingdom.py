"""Card Kingdom's public pricelist (api/v2/pricelist), USD.

Prices and `is_foil` are JSON strings; quantities are numbers. Foil and etched
printings are separate rows (`variation` holds "Foil Etched"). Retail is priced per
grade in `condition_values` (NM, EX, VG, G -> Near Mint, Lightly, Moderately,
Heavily Played); `nm_price` may be "0.00" for a new listing, then `price_retail`
is the NM price. The buylist (`price_buy` while `qty_buying` > 0) is the
`cardkingdom-buylist` series, Near Mint. `meta.created_at` has no zone: read as UTC.
A file without a single price is not a Card Kingdom price list.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from data.domain import Condition, Finish, IdentityKind, PriceObservation, Rejected, is_uuid
from workers.sources.files import json_items, json_value, of_format, stated_time
from workers.sources.prices import BadPrice, price, quantity

SOURCE = "cardkingdom"
GRADES = (
    ("nm", Condition.NEAR_MINT),
    ("ex", Condition.LIGHTLY_PLAYED),
    ("vg", Condition.MODERATELY_PLAYED),
    ("g", Condition.HEAVILY_PLAYED),
)


def file_date(path: Path) -> datetime | None:
    meta = json_value(path, "meta")
    return stated_time(path, "meta.created_at", meta.get("created_at")) if isinstance(meta, dict) else None


def _finish(row: dict[str, Any]) -> Finish:
    if "foil etched" in str(row.get("variation") or "").lower():
        return Finish.ETCHED
    return Finish.FOIL if str(row.get("is_foil")).lower() == "true" else Finish.NONFOIL


def read(path: Path, as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    return of_format(_read(path, as_of), f"{path}: not a Card Kingdom price list (not one price under 'data')")


def _read(path: Path, as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    for index, row in enumerate(json_items(path, "data.item"), start=1):
        where = f"{path} data[{index}]"
        if not isinstance(row, dict):
            yield Rejected(where, "pricelist row is not an object")
            continue
        where = f"{where} id {str(row.get('id'))[:40]}"
        if not row.get("scryfall_id"):
            yield Rejected(where, "no scryfall_id")
            continue
        if not is_uuid(row["scryfall_id"]):
            yield Rejected(where, "scryfall_id is not a UUID")
            continue
        try:
            yield from _prices(row, as_of)
        except BadPrice as exc:
            yield Rejected(where, str(exc).split(":")[0])


def _prices(row: dict[str, Any], as_of: datetime) -> Iterator[PriceObservation]:
    base = {
        "identity": IdentityKind.SCRYFALL_ID,
        "key": str(row["scryfall_id"]),
        "time": as_of,
        "currency": "USD",
        "finish": _finish(row),
    }
    grades = row.get("condition_values") or {}
    if not isinstance(grades, dict):
        raise BadPrice("condition_values is not an object")
    retail = price(row.get("price_retail"))
    observations = []
    for grade, condition in GRADES:
        amount = price(grades.get(f"{grade}_price"), zero_is_missing=True)
        if amount is None and grade == "nm":
            amount = retail
        if amount is not None:
            observations.append(
                PriceObservation(
                    **base,
                    marketplace="cardkingdom",
                    price=amount,
                    condition=condition,
                    total_quantity=quantity(grades.get(f"{grade}_qty")),
                )
            )
    buying = quantity(row.get("qty_buying")) or 0
    buy = price(row.get("price_buy"), zero_is_missing=True)
    if buying > 0 and buy is not None:
        observations.append(
            PriceObservation(**base, marketplace="cardkingdom-buylist", price=buy, total_quantity=buying)
        )
    yield from observations  # all of a row's prices, or none when one of them is bad
