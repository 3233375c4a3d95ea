"""What the market page asks: the index, the overview figures, movers, volume by format."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from data.cache import CacheRepository
from data.domain import (
    Condition,
    Finish,
    Language,
    VariantFilter,
    market_index_resolution,
    parse_range,
)
from data.repositories.market import MarketRepository
from data.use_cases.jsonable import plain

INDEX_VALUES = ("price", "low", "high", "samples", "listings", "quantity", "volume")
MOVER_PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}


def _change(now: Decimal | None, before: Decimal | None) -> dict[str, Any] | None:
    if now is None or before is None or before == 0:
        return None
    return {"abs": str(now - before), "pct": str(round(100 * (now - before) / before, 2))}


class MarketQueries:
    def __init__(self, market: MarketRepository, cache: CacheRepository) -> None:
        self.market = market
        self.cache = cache

    def index(
        self,
        range_name: str = "30d",
        currency: str = "USD",
        condition: Condition | None = None,
        finish: Finish | None = None,
        language: Language | None = None,
    ) -> dict[str, Any]:
        """The market index over a range ending at the newest data, from the right rollup."""
        span = parse_range(range_name).span
        resolution = market_index_resolution(span)
        variants = VariantFilter(None, condition, language, finish, currency)
        key = (
            "market",
            "index",
            range_name,
            currency,
            condition.value if condition else "all",
            finish.value if finish else "all",
            language.code if language else "all",
        )

        def compute() -> dict[str, Any]:
            asof = self.market.data_end(resolution, currency)
            start = asof - span if asof is not None and span is not None else None
            rows = self.market.index_series(start, asof, resolution, variants) if asof else []
            return {
                "range": range_name,
                "currency": currency,
                "resolution": resolution.name,
                "start": plain(start),
                "asof": plain(asof),
                "time": [plain(row["time"]) for row in rows],
                **{value: [plain(row[value]) for row in rows] for value in INDEX_VALUES},
            }

        return self.cache.get_or_compute(key, compute)

    def overview(self, currency: str = "USD") -> dict[str, Any]:
        def compute() -> dict[str, Any]:
            figures = self.market.overview(currency)
            return plain(
                {
                    **figures,
                    "currency": currency,
                    "change_1d": _change(figures["level"], figures["level_1d_ago"]),
                    "change_7d": _change(figures["level"], figures["level_7d_ago"]),
                }
            )

        return self.cache.get_or_compute(("market", "overview", currency), compute)

    def movers(
        self,
        period: str = "24h",
        currency: str = "USD",
        min_price: Decimal = Decimal("1.00"),
        legal_in: str | None = None,
        limit: int = 10,
    ) -> dict[str, Any]:
        if period not in MOVER_PERIODS:
            raise ValueError(f"unknown period {period!r}; use one of {', '.join(MOVER_PERIODS)}")
        key = ("market", "movers", period, currency, str(min_price), legal_in or "all", limit)

        def compute() -> dict[str, Any]:
            moves = self.market.top_movers(MOVER_PERIODS[period], currency, min_price, limit, legal_in)
            return plain({"period": period, "currency": currency, **moves})

        return self.cache.get_or_compute(key, compute)

    def volume_by_format(self, currency: str = "USD") -> list[dict[str, Any]]:
        return self.cache.get_or_compute(
            ("market", "volume", currency),
            lambda: plain(self.market.volume_by_format(currency)),
        )
