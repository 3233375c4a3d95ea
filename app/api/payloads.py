"""What the API answers, as the OpenAPI document describes it.

These models document the use cases' JSON; they are not run against each response (a year of a
card's history is thousands of points, and the use cases already shape it). tests/test_api.py
validates every endpoint's real answer against them, so the document cannot drift from the code.
Prices and percents are exact decimals written as strings ("0.3600"), times ISO 8601 in UTC."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Exact = Annotated[str, Field(pattern=r"^-?[0-9]+(\.[0-9]+)?$", description="An exact decimal, as text.")]
Time = Annotated[str, Field(description="ISO 8601, UTC.")]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(Body):
    error: str = Field(description="What was wrong, naming the parameter and the values it takes.")


class Card(Body):
    id: int
    name: str
    set_code: str
    set_name: str | None
    collector_number: str
    lang: str | None = Field(description="Scryfall's language code of the printing (en, ja, zhs...).")
    rarity: str | None
    released_at: str | None
    type_line: str | None
    legalities: dict[str, str]
    finishes: list[str]
    image_url: str | None
    scryfall_id: str | None
    oracle_id: str | None
    mtgjson_uuid: str | None
    tcgplayer_product_id: int | None
    tcgplayer_etched_product_id: int | None
    cardmarket_id: int | None


class Marketplace(Body):
    id: int
    slug: str
    name: str
    currency: str
    kind: Literal["retail", "buylist"]


class LatestPrice(Body):
    """A variant's newest price, its hourly price 24 h, 7 and 30 days before, and the changes in percent."""

    time: Time
    marketplace_id: int
    condition: str
    finish: str
    language: str
    currency: str
    price: Exact
    low: Exact | None
    high: Exact | None
    market: Exact | None
    listings: int | None
    quantity: int | None
    price_24h: Exact | None
    price_7d: Exact | None
    price_30d: Exact | None
    change_24h: Exact | None
    change_7d: Exact | None
    change_30d: Exact | None
    vs_near_mint: Exact | None = Field(description="Percent against the same variant in Near Mint.")
    vs_english: Exact | None = Field(description="Percent against the same variant in English.")


class Printing(Body):
    """Another printing of the card (same oracle id), with its headline price."""

    id: int
    name: str
    set_code: str
    set_name: str | None
    collector_number: str
    lang: str | None
    released_at: str | None
    price: Exact | None
    currency: str | None
    time: Time | None
    marketplace: str | None


class CardDetail(Body):
    card: Card
    marketplaces: dict[str, Marketplace] = Field(description="Every marketplace, by id.")
    latest: list[LatestPrice]
    printings: list[Printing] = Field(description="Every printing of the card: English first, then newest.")


class SearchResults(Body):
    q: str
    results: list[Card] = Field(description="Best match first, then the English printing, then the newest.")


class Flag(Body):
    hour: Time
    price: Exact
    median: Exact


class Series(Body):
    """One variant's prices, point by point: each list holds one value per time."""

    marketplace_id: int
    marketplace: str | None
    condition: str
    finish: str
    language: str
    currency: str
    time: list[Time]
    price: list[Exact | None]
    low: list[Exact | None]
    high: list[Exact | None]
    market: list[Exact | None]
    listings: list[int | None]
    quantity: list[int | None]
    flags: list[Flag | None] = Field(description="The outlier price flagged inside each point, if any.")


class Spread(Body):
    """A shop's retail price minus its buylist price, where both are known."""

    retail_id: int
    buylist_id: int
    condition: str
    finish: str
    language: str
    currency: str
    time: list[Time]
    spread: list[Exact]
    spread_pct: list[Exact | None]


class History(Body):
    card_id: int
    range: str
    currency: str
    resolution: Literal["RAW", "MIN30", "HOUR", "DAY"]
    start: Time | None = Field(description="The range's start: its end (`asof`, the card's newest data) less its span.")
    asof: Time | None
    series: list[Series]
    spreads: list[Spread]


class MarketIndex(Body):
    """The chained, matched-sample index: its level per bucket, 100 at its base."""

    range: str
    currency: str
    sub: str
    resolution: Literal["HOUR", "DAY"]
    start: Time | None
    asof: Time | None
    time: list[Time]
    level: list[Exact]
    change: list[Exact | None] = Field(description="Percent from the bucket before; null where none links them.")
    matched: list[int] = Field(description="How many variants the bucket's change rests on.")


class Mover(Body):
    card_id: int
    name: str
    set_code: str
    collector_number: str
    marketplace_id: int
    marketplace: str
    finish: str
    time: Time
    price: Exact
    then_time: Time
    then_price: Exact
    change: Exact
    change_pct: Exact


class Movers(Body):
    period: str
    currency: str
    min_price: Exact
    legal_in: str
    asof: Time | None
    gainers: list[Mover]
    losers: list[Mover]


class Source(Body):
    source: str
    freshness: Literal["fresh", "stale", "never", "unscheduled"]
    data_date: Time | None
    data_dated: bool | None
    file_date: Time | None
    age_hours: float | None
    every_hours: float | None
    delivered_at: Time | None
    last_status: str | None
    last_failed: bool
    last_started: Time | None
    last_finished: Time | None
    last_error: str | None
    rows_inserted: int | None
    rows_updated: int | None
    rows_unchanged: int | None
    rows_rejected: int | None


class Collecting(Body):
    source: str
    started_at: Time
    rows: int
    file_date: Time | None


class Sources(Body):
    sources: list[Source]
    collecting: list[Collecting]
