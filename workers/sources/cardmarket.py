"""Cardmarket's public price guide (`price_guide_1.json`), EUR, one row per product.

Keys (API 2.0 price guide): low, avg, trend, avg1, avg7, avg30 and the same with
`-foil`. Foil keys may be missing or null, and `trend-foil` may be 0 for "no data".
No condition or language breakdown: rows are stored as Near Mint, English.
Stored tiers: price = trend (Cardmarket's headline price), low = low, mid = avg
(average sell price), market = avg1 (average sale price of the last day).
Only singles (idCategory 1) are read. A file without a single price is not a
Cardmarket price guide.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from data.domain import Finish, IdentityKind, PriceObservation, Rejected, identity_problem
from workers.sources.files import json_items, json_value, of_format, stated_time
from workers.sources.prices import BadPrice, price

SOURCE = "cardmarket"
MAGIC_SINGLE = 1


def file_date(path: Path) -> datetime | None:
    return stated_time(path, "createdAt", json_value(path, "createdAt"))


def read(path: Path, as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    return of_format(_read(path, as_of), f"{path}: not a Cardmarket price guide (not one price under 'priceGuides')")


def _read(path: Path, as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    for index, row in enumerate(json_items(path, "priceGuides.item"), start=1):
        where = f"{path} priceGuides[{index}]"
        if not isinstance(row, dict) or "idProduct" not in row:
            yield Rejected(where, "price guide row without idProduct")
            continue
        if row.get("idCategory") != MAGIC_SINGLE:
            continue
        if problem := identity_problem(IdentityKind.CARDMARKET_ID, str(row["idProduct"])):
            yield Rejected(where, problem)
            continue
        for finish, suffix in ((Finish.NONFOIL, ""), (Finish.FOIL, "-foil")):
            yield from _row(where, row, finish, suffix, as_of)


def _row(where: str, row: dict[str, Any], finish: Finish, suffix: str, as_of: datetime):
    try:
        trend = price(row.get(f"trend{suffix}"), zero_is_missing=True)
        tiers = {
            "price_low": price(row.get(f"low{suffix}"), zero_is_missing=True),
            "price_mid": price(row.get(f"avg{suffix}"), zero_is_missing=True),
            "price_market": price(row.get(f"avg1{suffix}"), zero_is_missing=True),
        }
    except BadPrice as exc:
        yield Rejected(f"{where} {finish.value}", str(exc).split(":")[0])
        return
    if trend is None:
        return
    yield PriceObservation(
        identity=IdentityKind.CARDMARKET_ID,
        key=str(row["idProduct"]),
        marketplace="cardmarket",
        time=as_of,
        price=trend,
        currency="EUR",
        finish=finish,
        **tiers,
    )
