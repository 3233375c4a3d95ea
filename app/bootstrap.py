"""The one place that wires settings to engines, repositories, cache and use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from redis import Redis
from sqlalchemy import Engine

from app.settings import Settings
from data.cache import CacheRepository
from data.db import make_engine
from data.publisher import PricePublisher
from data.rate_limit import RateLimitRepository
from data.repositories.cards import CardRepository
from data.repositories.market import MarketRepository
from data.repositories.marketplaces import MarketplaceRepository
from data.repositories.prices import PriceRepository
from data.repositories.rollups import RollupRepository
from data.repositories.source_runs import SourceRunRepository
from data.use_cases.cards import CardQueries
from data.use_cases.compare import CompareQueries
from data.use_cases.imports import ImportPrices
from data.use_cases.ingest import IngestPrices
from data.use_cases.market import MarketQueries
from data.use_cases.recovery import RecoverRuns
from data.use_cases.sources import SourceQueries


@dataclass
class Services:
    settings: Settings
    engine: Engine
    redis: Redis
    cache: CacheRepository
    rate_limits: RateLimitRepository
    cards: CardRepository
    marketplaces: MarketplaceRepository
    prices: PriceRepository
    rollups: RollupRepository
    market: MarketRepository
    runs: SourceRunRepository
    publisher: PricePublisher
    card_queries: CardQueries
    compare_queries: CompareQueries
    market_queries: MarketQueries
    source_queries: SourceQueries
    ingest: IngestPrices
    imports: ImportPrices
    recover_runs: RecoverRuns

    def close(self) -> None:
        self.engine.dispose()
        self.redis.close()


def connect_redis(url: str) -> Redis:
    # Short timeouts: a dead Redis must cost a request milliseconds, not seconds.
    return Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30)


def collection_intervals(settings: Settings) -> dict[str, timedelta]:
    """How often each enabled source is collected (what 'stale' is measured against)."""
    hours = {
        "scryfall": settings.scryfall_every_hours,
        "mtgjson": settings.mtgjson_every_hours,
        "cardmarket": settings.cardmarket_every_hours,
        "cardkingdom": settings.cardkingdom_every_hours,
        "tcgplayer": settings.tcgplayer_every_minutes / 60,
    }
    return {source: timedelta(hours=hours[source]) for source in settings.enabled_sources}


def bootstrap(settings: Settings, web: bool = False) -> Services:
    """Build every service from resolved settings (DATABASE_URL and REDIS_URL set).

    web: for the web workers, whose statements are cancelled after CARDCHARTS_DB_STATEMENT_TIMEOUT_MS
    so that no request holds a connection for long; imports and workers refresh rollups for minutes."""
    if not settings.database_url or not settings.redis_url:
        raise ValueError("bootstrap needs DATABASE_URL and REDIS_URL (start the embedded servers first)")
    engine = make_engine(settings.database_url, statement_timeout_ms=settings.db_statement_timeout_ms if web else None)
    redis = connect_redis(settings.redis_url)
    cache = CacheRepository(redis, ttl=timedelta(seconds=settings.cache_ttl_seconds))
    cards = CardRepository(engine)
    prices = PriceRepository(engine)
    rollups = RollupRepository(engine, outlier_multiple=settings.outlier_multiple)
    market = MarketRepository(engine)
    marketplaces = MarketplaceRepository(engine)
    runs = SourceRunRepository(engine)
    publisher = PricePublisher(redis)
    ingest = IngestPrices(prices, rollups, cache, publisher)
    card_queries = CardQueries(cards, prices, marketplaces, cache, rollups.outliers)
    recover_runs = RecoverRuns(runs, ingest)
    return Services(
        settings=settings,
        engine=engine,
        redis=redis,
        cache=cache,
        rate_limits=RateLimitRepository(redis),
        cards=cards,
        marketplaces=marketplaces,
        prices=prices,
        rollups=rollups,
        market=market,
        runs=runs,
        publisher=publisher,
        card_queries=card_queries,
        compare_queries=CompareQueries(card_queries),
        market_queries=MarketQueries(market, cache),
        source_queries=SourceQueries(runs, collection_intervals(settings)),
        ingest=ingest,
        imports=ImportPrices(cards, marketplaces, runs, ingest, recover=recover_runs),
        recover_runs=recover_runs,
    )
