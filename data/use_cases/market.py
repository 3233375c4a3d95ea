"""What the market page asks: the chained index and its sub-indexes, the average price, the
overview figures, movers, volume by format.

The chained index is kept hourly and daily: the page reads hourly up to 90 days and daily
beyond, and the average price beside it at the same resolution, so that the overview's
index figure, the chart and its labels all name one real resolution."""

from __future__ import annotations

import re
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
from data.repositories.market_index import KINDS
from data.use_cases.jsonable import plain

INDEX_VALUES = ("price", "low", "high", "samples", "listings", "quantity", "volume")
MOVER_PERIODS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
_SUB_KEY = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


def parse_sub_index(text: str) -> tuple[str, str]:
    """'all', or kind:key with kind format, rarity or set ('set:mid', 'rarity:mythic')."""
    if text == "all":
        return "all", ""
    kind, _, key = text.partition(":")
    if kind not in KINDS or kind == "all" or not _SUB_KEY.fullmatch(key):
        raise ValueError(f"unknown index {text!r}; use all, format:NAME, rarity:NAME or set:CODE")
    return kind, key


def _link_pct(relative: Decimal | None) -> str | None:
    """The change from the previous bucket in percent; None where no variant links the two."""
    return None if relative is None else str(round(100 * (relative - 1), 2))


def _change(now: Decimal | None, before: Decimal | None) -> dict[str, Any] | None:
    if now is None or before is None or before == 0:
        return None
    return {"abs": str(round(now - before, 2)), "pct": str(round(100 * (now - before) / before, 2))}


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
        """The average price (not an index: every priced variant, buylists included) over a range
        ending at the newest data, at the chained index's resolution for that range."""
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

    def chained(self, range_name: str = "30d", currency: str = "USD", sub: str = "all") -> dict[str, Any]:
        """The chained, matched-sample index (one sub-index) over a range ending at its newest bucket:
        per bucket the level (2 decimals), its change from the bucket before in percent, and the variants
        it rests on."""
        span = parse_range(range_name).span
        resolution = market_index_resolution(span)
        kind, key = parse_sub_index(sub)

        def compute() -> dict[str, Any]:
            asof, rows = self.market.chained_index(span, resolution, currency, kind, key)
            start = asof - span if asof is not None and span is not None else None
            return plain(
                {
                    "range": range_name,
                    "currency": currency,
                    "sub": sub,
                    "resolution": resolution.name,
                    "start": start,
                    "asof": asof,
                    "time": [row["time"] for row in rows],
                    "level": [round(row["level"], 2) for row in rows],
                    "change": [_link_pct(row["relative"]) for row in rows],
                    "matched": [row["matched"] for row in rows],
                }
            )

        return self.cache.get_or_compute(("market", "chained", range_name, currency, sub), compute)

    def sub_indexes(self, currency: str = "USD") -> list[dict[str, str]]:
        """The format, rarity and set sub-indexes kept for this currency."""
        return self.cache.get_or_compute(("market", "subs", currency), lambda: self.market.sub_indexes(currency))

    def overview(self, currency: str = "USD", range_name: str = "1y", sub: str = "all") -> dict[str, Any]:
        """Headline figures; the index figure is the chart's series (`range_name` and `sub`) at its resolution."""
        resolution = market_index_resolution(parse_range(range_name).span)
        kind, key = parse_sub_index(sub)

        def compute() -> dict[str, Any]:
            figures = self.market.overview(currency, resolution, kind, key)
            return plain(
                {
                    **figures,
                    "currency": currency,
                    "sub": sub,
                    "resolution": resolution.name,
                    "change_1d": _change(figures["level"], figures["level_1d_ago"]),
                    "change_7d": _change(figures["level"], figures["level_7d_ago"]),
                    **{
                        name: None if figures[name] is None else round(figures[name], 2)
                        for name in ("level", "level_1d_ago", "level_7d_ago")
                    },
                }
            )

        return self.cache.get_or_compute(("market", "overview", currency, resolution.name, sub), compute)

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
