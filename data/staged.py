"""A provider's entry of prices handed to the store as its raw JSON, which PostgreSQL expands to rows.

A price file's reader checks each entry in Python at the cost of a few C-level passes (every
value a number in range, every date valid), and, when nothing in it needs a row-by-row look,
passes the entry on as the text it read instead of one `PriceObservation` per price. The
import run resolves its identity, and the price repository expands it to the very rows
that the per-row path would have written, in one statement per batch (the per-row path
cost about 12 us a row in Python). What a checked entry holds is summed up here (its rows,
instants and each series' newest price), so that a run counts, settles and publishes it
without reading it again; `expand` gives the same prices as observations, for whatever
cannot take the bulk path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from data.domain import Finish, IdentityKind, PriceObservation, Rejected

# The JSON layouts the price repository can expand (data/repositories/staged_prices.py).
MTGJSON_PRICES = "mtgjson-v5-prices"


@dataclass(frozen=True, slots=True)
class StagedSeries:
    """One series of an entry with at least one price: its marketplace, finish and newest price."""

    marketplace: str
    finish: Finish
    time: datetime
    price: Decimal
    price_market: Decimal | None
    currency: str


@dataclass(frozen=True, slots=True)
class StagedPrices:
    """One entry's prices as the raw JSON text of the entry, checked by its reader.

    `skip` names the parts of the entry that the reader passed on row by row instead (as
    observations and rejections of their own): the store must leave them out."""

    layout: str
    identity: IdentityKind
    key: str
    raw: str
    rows: int
    times: frozenset[datetime]
    series: tuple[StagedSeries, ...]
    skip: tuple[str, ...]
    expand: Callable[[], Iterator[PriceObservation | Rejected]]
