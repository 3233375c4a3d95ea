"""The one way prices enter the store.

`write` commits a batch, drops its cards' cached keys and publishes their new
prices; `settle` brings the rollups up to what was written, drops the market
keys and publishes a market update. A single batch does both at once; an import
run writes batch after batch and settles once, since rebuilding the same day
bucket after every batch of a 90-day backfill would cost quadratic time. What
is per card (its hourly rollup and variant days) it `roll`s batch by batch.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from data.cache import CacheRepository
from data.domain import PriceSnapshot, UpsertResult
from data.publisher import PricePublisher, card_updates
from data.repositories.prices import PriceRepository
from data.repositories.rollups import RollupRepository
from data.staged import StagedPrices

log = logging.getLogger(__name__)

Staged = tuple[StagedPrices, int]  # a staged entry (data/staged.py) and the card id of its key

# Past this many cards a refresh of every card in the touched window is cheaper
# than naming them all.
ALL_CARDS_THRESHOLD = 10_000


class IngestPrices:
    def __init__(
        self,
        prices: PriceRepository,
        rollups: RollupRepository,
        cache: CacheRepository,
        publisher: PricePublisher,
        alerts: Callable[[set[int] | None, datetime], object] | None = None,
    ) -> None:
        self.prices = prices
        self.rollups = rollups
        self.cache = cache
        self.publisher = publisher
        self.alerts = alerts  # EvaluateAlerts: the touched cards' price alerts, once the rollups are current

    def __call__(self, snapshots: Iterable[PriceSnapshot]) -> UpsertResult:
        """Write one batch and settle it.

        The batch commits first: a failure after that leaves the prices stored,
        and re-running the batch (or `cardcharts rollups refresh`) completes it,
        which is why settling runs even when every row was already present."""
        result = self.write(snapshots)
        if result.received:
            self.settle(result.times, result.card_ids, {"rows": result.inserted + result.updated})
        return result

    def write(self, snapshots: Iterable[PriceSnapshot]) -> UpsertResult:
        batch = list(snapshots)
        result = self.prices.bulk_upsert(batch)  # committed when this returns
        if result.inserted or result.updated:
            self.cache.invalidate(result.card_ids, market=False)
            self.publisher.cards(card_updates(batch))
        return result

    def write_batch(
        self, batch: list[PriceSnapshot | Staged], marketplace_ids: Mapping[str, int], run_id: int | None
    ) -> UpsertResult:
        """`IngestPrices.write` for a batch of snapshots and staged entries (in file order): both are
        upserted (committed when this returns), then, when anything changed, the batch's cards lose
        their cached keys and their newest prices are published, as for a batch of snapshots."""
        snapshots = [item for item in batch if isinstance(item, PriceSnapshot)]
        staged = [item for item in batch if not isinstance(item, PriceSnapshot)]
        if not staged:
            return self.write(snapshots)
        card_ids = frozenset(card_id for _, card_id in staged)
        inserted, updated = self.prices.upsert_staged(
            staged[0][0].layout,
            [(card_id, entry.raw, entry.skip) for entry, card_id in staged],
            marketplace_ids,
            run_id,
            repeated=len(card_ids) < len(staged),
        )
        times: set[datetime] = set()
        for entry, _ in staged:
            times |= entry.times
        received = sum(entry.rows for entry, _ in staged)
        result = UpsertResult(inserted, updated, received - inserted - updated, card_ids, frozenset(times))
        if snapshots:
            rows = self.prices.bulk_upsert(snapshots)
            result = UpsertResult(
                result.inserted + rows.inserted,
                result.updated + rows.updated,
                result.unchanged + rows.unchanged,
                result.card_ids | rows.card_ids,
                result.times | rows.times,
            )
        if result.inserted or result.updated:
            self.cache.invalidate(result.card_ids, market=False)
            self.publisher.cards(card_updates(_newest_of(batch, marketplace_ids, run_id)))
        return result

    def roll(self, written: UpsertResult) -> bool:
        """Bring the per-card rollup and the variant days up to a written batch, as an import
        does while it writes the next one; its settle then skips them (`cards_current`). False,
        doing nothing, where the settle must do it (TimescaleDB: RollupRepository.refresh_cards)."""
        return self.rollups.refresh_cards(written.times, written.card_ids)

    def settle(
        self,
        times: Iterable[datetime],
        card_ids: Iterable[int] | None,
        summary: dict[str, Any],
        cards_current: bool = False,
    ) -> None:
        times = list(times)
        if not times:
            return
        touched = None if card_ids is None else set(card_ids)
        ids = None if touched is None or len(touched) > ALL_CARDS_THRESHOLD else touched
        self.rollups.refresh_touched(times, ids, cards_current)
        self.cache.invalidate(ids, market=True)
        self.publisher.market({**summary, "from": min(times).isoformat(), "to": max(times).isoformat()})
        if self.alerts is not None:
            try:
                self.alerts(touched, min(times))  # the touched cards' rules even past the threshold
            except Exception:  # the prices are settled: an alert failure is logged, never the settle's
                log.exception("settle: evaluating price alerts failed")


def _newest_of(batch: Iterable[PriceSnapshot | Staged], marketplace_ids: Mapping[str, int], run_id: int | None) -> list:
    """The batch's snapshots and each staged series' newest price, in file order: what
    `card_updates` keeps of the batch's rows (a series is never in both, see `resolve_staged`)."""
    newest: list[PriceSnapshot] = []
    for item in batch:
        if isinstance(item, PriceSnapshot):
            newest.append(item)
            continue
        entry, card_id = item
        newest.extend(
            PriceSnapshot(
                time=series.time,
                price=series.price,
                currency=series.currency,
                finish=series.finish,
                price_market=series.price_market,
                card_id=card_id,
                marketplace_id=marketplace_ids[series.marketplace],
                source_run_id=run_id,
            )
            for series in entry.series
        )
    return newest
