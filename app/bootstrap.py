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
from data.repositories.alerts import AlertRepository
from data.repositories.api_tokens import ApiTokenRepository
from data.repositories.card_matches import CardMatchRepository
from data.repositories.cards import CardRepository
from data.repositories.lots import LotRepository
from data.repositories.market import MarketRepository
from data.repositories.marketplaces import MarketplaceRepository
from data.repositories.portfolio import PortfolioRepository
from data.repositories.prices import PriceRepository
from data.repositories.rollups import RollupRepository
from data.repositories.source_runs import SourceRunRepository
from data.repositories.users import UserRepository
from data.use_cases.accounts import Accounts
from data.use_cases.alerts import AlertInbox, AlertRules, EvaluateAlerts
from data.use_cases.cards import CardQueries
from data.use_cases.collection import CollectionImport
from data.use_cases.compare import CompareQueries
from data.use_cases.imports import ImportPrices
from data.use_cases.ingest import IngestPrices
from data.use_cases.market import MarketQueries
from data.use_cases.portfolio import PortfolioQueries
from data.use_cases.recovery import RecoverRuns
from data.use_cases.sources import SourceQueries
from data.webhook_urls import WebhookPolicy
from workers.webhooks import enqueue as enqueue_webhooks


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
    users: UserRepository
    api_tokens: ApiTokenRepository
    accounts: Accounts
    lots: LotRepository
    collection_import: CollectionImport
    portfolio_queries: PortfolioQueries
    alerts: AlertRepository
    alert_rules: AlertRules
    alert_inbox: AlertInbox

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
    alerts = AlertRepository(engine)
    ingest = IngestPrices(prices, rollups, cache, publisher, alerts=EvaluateAlerts(alerts, publisher, enqueue_webhooks))
    card_queries = CardQueries(cards, prices, marketplaces, cache, rollups.outliers)
    recover_runs = RecoverRuns(runs, ingest)
    rate_limits = RateLimitRepository(redis)
    users = UserRepository(engine)
    api_tokens = ApiTokenRepository(engine)
    lots = LotRepository(engine)
    return Services(
        settings=settings,
        engine=engine,
        redis=redis,
        cache=cache,
        rate_limits=rate_limits,
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
        users=users,
        api_tokens=api_tokens,
        accounts=Accounts(users, api_tokens, rate_limits, settings.failed_login_rate),
        lots=lots,
        collection_import=CollectionImport(CardMatchRepository(engine), lots),
        portfolio_queries=PortfolioQueries(PortfolioRepository(engine)),
        alerts=alerts,
        alert_rules=AlertRules(alerts, WebhookPolicy.parse(settings.webhook_allow_private)),
        alert_inbox=AlertInbox(alerts),
    )
