"""The one way prices enter the store: save a batch, refresh rollups, drop stale cache."""

from __future__ import annotations

from collections.abc import Iterable

from data.cache import CacheRepository
from data.domain import PriceSnapshot, UpsertResult
from data.repositories.prices import PriceRepository
from data.repositories.rollups import RollupRepository


class IngestPrices:
    def __init__(self, prices: PriceRepository, rollups: RollupRepository, cache: CacheRepository) -> None:
        self.prices = prices
        self.rollups = rollups
        self.cache = cache

    def __call__(self, snapshots: Iterable[PriceSnapshot]) -> UpsertResult:
        """Commit one batch, then bring the rollups and the cache up to it.

        The batch commits first: a failure after that leaves the prices stored,
        and re-running the batch (or `cardcharts rollups refresh`) completes it,
        which is why the refresh runs even when every row was already present."""
        result = self.prices.bulk_upsert(snapshots)
        if result.received:
            self.rollups.refresh_touched(result.times, result.card_ids)
            self.cache.invalidate(result.card_ids, market=True)
        return result
