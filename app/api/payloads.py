"""What the API answers, as the OpenAPI document describes it.

These models document the use cases' JSON; they are not run against each response (a year of a
card's history is thousands of points, and the use cases already shape it). tests/test_api.py
validates every endpoint's real answer against them, so the document cannot drift from the code.
Prices and percents are exact decimals written as strings ("0.3600"), times ISO 8601 in UTC."""

from __future__ import annotations

from typing import Annotated, Any, Literal

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


class Registered(Body):
    id: int = Field(description="The new user's id.")
    email: str = Field(description="The email as stored (its domain in lower case).")


class IssuedToken(Body):
    token: str = Field(
        description="An API token (`cc_...`): send it as `Authorization: Bearer <token>`. Shown this once;"
        " only its hash is kept.",
        pattern=r"^cc_[A-Za-z0-9_-]{43}$",
    )


# --- The authenticated API: collection, portfolio, alerts, refresh -------------------------------------------

Day = Annotated[str, Field(description="A date, YYYY-MM-DD.")]
PerCurrency = Field(description="By ISO currency code; amounts in different currencies are never added.")


class Lot(Body):
    """Copies of one printing and variant, with what one copy cost (null: unknown)."""

    id: int
    card_id: int
    name: str
    set_code: str
    set_name: str | None
    collector_number: str
    finish: Literal["nonfoil", "foil", "etched"]
    condition: str = Field(description="NEAR_MINT, LIGHTLY_PLAYED, ...")
    language: str = Field(description="English, Japanese, ...")
    quantity: int
    price: Exact | None = Field(description="What one copy cost, in `currency`; null when unknown.")
    currency: str
    acquired_on: Day | None
    notes: str


class ValuedLot(Lot):
    unit_price: Exact | None = Field(description="One copy's price on the basis; null: no price.")
    value: Exact | None = Field(description="unit_price x quantity.")
    value_currency: str | None
    fallback: bool | None = Field(description="Priced at Near Mint: the lot's condition has no price of its own.")
    pnl: Exact | None = Field(description="value - cost, when both are known in the same currency.")


class Collection(Body):
    basis: str
    lots: list[ValuedLot]


class MatchedRow(Body):
    line: int
    matched_by: Literal["scryfall_id", "number", "name"]
    card_id: int
    name: str
    set_code: str
    set_name: str | None
    collector_number: str
    scryfall_id: str | None
    quantity: int
    finish: str
    condition: str
    language: str
    price: Exact | None
    currency: str
    acquired_on: Day | None
    notes: str


class UnmatchedRow(Body):
    line: int
    reason: str
    name: str | None
    set_code: str | None
    collector_number: str | None
    scryfall_id: str | None
    quantity: int


class FileProblem(Body):
    line: int
    column: str | None = Field(description="The file's header name; null when the whole row is at fault.")
    message: str


class ImportPreview(Body):
    format: str = Field(description="The app recognised by the header (moxfield, manabox, ...).")
    committed: Literal[False]
    matched: list[MatchedRow]
    unmatched: list[UnmatchedRow]
    problems: list[FileProblem]
    copies: int = Field(description="Copies in the matched rows.")


class ImportRefusedBody(ImportPreview):
    error: str


class ImportCommitted(Body):
    format: str
    committed: Literal[True]
    lot_ids: list[int]
    copies: int
    skipped: list[UnmatchedRow] = Field(description="Rows left out (skip_unmatched=1).")
    problems: list[FileProblem] = Field(description="Rows that could not be read, left out (skip_unmatched=1).")


class FileRefused(Body):
    error: str
    line: int | None
    column: str | None


class SaleRecorded(Body):
    sale_id: int
    lot_id: int
    remaining: int = Field(description="Copies left in the lot (0: the lot is gone).")
    cost: Exact | None = Field(description="The cost per copy the sale keeps (null: unknown in its currency).")


class Amount(Body):
    amount: Exact
    lots: int
    copies: int


class Value(Amount):
    fallbacks: int


class Unrealized(Body):
    value: Exact
    cost: Exact
    pnl: Exact
    lots: int
    copies: int


class Realized(Body):
    sales: int
    copies: int
    proceeds: Exact
    pnl: Exact = Field(description="Proceeds minus cost, of the sales whose cost is known.")
    unknown_cost: int


class UnpricedLot(Body):
    id: int
    card_id: int
    name: str
    set_code: str
    collector_number: str
    finish: str
    condition: str
    language: str
    quantity: int


class Unpriced(Body):
    lots: int
    copies: int
    named: list[UnpricedLot]


class Counted(Body):
    lots: int
    copies: int


class HeldMover(Body):
    card_id: int
    name: str
    set_code: str
    collector_number: str
    finish: str
    condition: str
    language: str
    priced_condition: str
    currency: str
    quantity: int
    price: Exact
    before: Exact
    change: Exact = Field(description="quantity x (price - before).")
    change_pct: Exact


class HeldMovers(Body):
    period: str
    gainers: list[HeldMover]
    losers: list[HeldMover]


class Portfolio(Body):
    basis: str
    basis_name: str
    value: dict[str, Value] = PerCurrency
    unpriced: Unpriced
    cost: dict[str, Amount] = PerCurrency
    unknown_cost: Counted
    unrealized: dict[str, Unrealized] = PerCurrency
    realized: dict[str, Realized] = PerCurrency
    movers: HeldMovers


class HistoryPoint(Body):
    day: Day
    value: Exact
    variants: int


class PortfolioHistory(Body):
    basis: str
    days: int
    start: Day | None
    end: Day | None
    series: dict[str, list[HistoryPoint]] = PerCurrency


class AlertRule(Body):
    id: int
    card_id: int
    kind: Literal["above", "below", "change_24h", "change_7d", "buylist_above"]
    level: Exact
    marketplace_id: int | None
    marketplace: str | None = Field(description="The marketplace's slug; null: any.")
    finish: str | None
    condition: str | None
    language: str | None
    webhook: str | None
    cooldown_seconds: int
    last_fired_at: Time | None
    created_at: Time


class AlertRules(Body):
    rules: list[AlertRule]


class RaisedAlert(Body):
    id: int
    rule_id: int | None
    card_id: int
    raised_at: Time
    payload: dict[str, Any] = Field(description="What /ws sent as price_alert.")
    read_at: Time | None
    webhook_state: str | None
    webhook_attempts: int


class Inbox(Body):
    alerts: list[RaisedAlert]


class MarkedRead(Body):
    marked: int = Field(description="How many were unread.")


class RefreshedPrice(Body):
    marketplace: str
    finish: str
    language: str
    currency: str
    price: Exact


class Refreshed(Body):
    card_id: int
    scryfall_id: str
    time: Time = Field(description="The time the prices are stored at (when they were fetched, to the minute).")
    run_id: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    prices: list[RefreshedPrice]
