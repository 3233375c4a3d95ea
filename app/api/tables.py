"""The API's JSON answers turned into CSV tables: a header, then rows holding the very same values
(exact decimals as the JSON writes them), units named by a column (`currency`) or in the name
(`change_pct`, `age_hours`)."""

from __future__ import annotations

from typing import Any

Table = tuple[list[str], list[list[Any]]]

SEARCH = ["id", "name", "set_code", "collector_number", "lang", "set_name", "rarity", "released_at"]
SERIES_KEYS = ["marketplace_id", "marketplace", "condition", "finish", "language", "currency"]
POINTS = ["price", "low", "high", "market", "listings", "quantity"]
MOVER = [
    "card_id",
    "name",
    "set_code",
    "collector_number",
    "marketplace_id",
    "marketplace",
    "finish",
    "then_time",
    "then_price",
    "time",
    "price",
    "change",
    "change_pct",
]
SOURCE = [
    "source",
    "freshness",
    "data_date",
    "data_dated",
    "file_date",
    "age_hours",
    "every_hours",
    "delivered_at",
    "last_status",
    "last_failed",
    "last_started",
    "last_finished",
    "last_error",
    "rows_inserted",
    "rows_updated",
    "rows_unchanged",
    "rows_rejected",
]


def search(found: dict[str, Any]) -> Table:
    return SEARCH, [[card[key] for key in SEARCH] for card in found["results"]]


def history(shaped: dict[str, Any]) -> Table:
    """One row per series and point; the flagged outlier price inside a point, if any, beside it."""
    header = ["time", *SERIES_KEYS, *POINTS, "outlier_price", "outlier_median", "resolution"]
    rows = []
    for line in shaped["series"]:
        variant = [line[key] for key in SERIES_KEYS]
        for index, moment in enumerate(line["time"]):
            flag = line["flags"][index] or {}
            values = [line[value][index] for value in POINTS]
            rows.append([moment, *variant, *values, flag.get("price"), flag.get("median"), shaped["resolution"]])
    return header, rows


def index(chained: dict[str, Any]) -> Table:
    header = ["time", "level", "change_pct", "matched", "currency", "sub", "resolution"]
    columns = zip(chained["time"], chained["level"], chained["change"], chained["matched"], strict=True)
    return header, [[*column, chained["currency"], chained["sub"], chained["resolution"]] for column in columns]


def movers(moves: dict[str, Any]) -> Table:
    header = ["side", "rank", *MOVER, "currency"]
    rows = [
        [side, rank, *(mover[key] for key in MOVER), moves["currency"]]
        for side in ("gainers", "losers")
        for rank, mover in enumerate(moves[side], start=1)
    ]
    return header, rows


def sources(found: dict[str, Any]) -> Table:
    return SOURCE, [[row[key] for key in SOURCE] for row in found["sources"]]
