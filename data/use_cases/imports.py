"""An import run: a source's stream of printings and prices, stored batch by batch.

Every source (file import, scheduled collection, backfill) goes through here and
then through `IngestPrices`: provider identities are resolved to printings,
unknown ones are rejected with their reason, each batch is committed, and the
run is recorded in `source_runs`. A run that fails keeps the batches it already
committed and is marked failed with the error; re-running it completes the data
without duplicates (the write path is an upsert).
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from data.domain import (
    Card,
    IdentityKind,
    PriceObservation,
    PriceSnapshot,
    Rejected,
    marketplace_for,
)
from data.repositories.cards import CardRepository
from data.repositories.marketplaces import MarketplaceRepository
from data.repositories.source_runs import RunTotals, SourceRunRepository
from data.use_cases.ingest import IngestPrices

log = logging.getLogger(__name__)

BATCH_SIZE = 50_000
CARD_BATCH = 2_000
EXAMPLES_PER_REASON = 5

Item = Card | PriceObservation | Rejected


@dataclass
class RunReport:
    run_id: int
    source: str
    status: str
    totals: RunTotals
    error: str | None = None

    def lines(self) -> list[str]:
        t = self.totals
        out = [
            f"{self.source}: run {self.run_id} {self.status}",
            f"  printings upserted: {t.cards:,}",
            f"  rows inserted: {t.inserted:,}, updated: {t.updated:,}, already present: {t.unchanged:,}",
            f"  rows rejected: {t.rejected:,}",
        ]
        for reason, detail in t.rejections.items():
            out.append(f"    {detail['count']:,} x {reason} (e.g. {'; '.join(detail['examples'])})")
        if self.error:
            out.append(f"  error: {self.error}")
        return out


@dataclass
class _Run:
    run_id: int
    totals: RunTotals = field(default_factory=RunTotals)
    reasons: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    times: set[datetime] = field(default_factory=set)
    card_ids: set[int] = field(default_factory=set)
    pending: Future | None = None

    def reject(self, reason: str, example: str) -> None:
        self.totals.rejected += 1
        self.reasons[reason] += 1
        examples = self.examples[reason]
        if len(examples) < EXAMPLES_PER_REASON and example not in examples:
            examples.append(example)

    def close(self) -> None:
        self.totals.rejections = {
            reason: {"count": count, "examples": self.examples[reason]} for reason, count in self.reasons.most_common()
        }


class ImportPrices:
    def __init__(
        self,
        cards: CardRepository,
        marketplaces: MarketplaceRepository,
        runs: SourceRunRepository,
        ingest: IngestPrices,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.cards = cards
        self.marketplaces = marketplaces
        self.runs = runs
        self.ingest = ingest
        self.batch_size = batch_size
        self._marketplace_ids: dict[str, int] = {}

    def __call__(
        self,
        source: str,
        items: Iterable[Item],
        file_name: str | None = None,
        file_date: datetime | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> RunReport:
        run = _Run(self.runs.start(source, file_name, file_date, etag, last_modified))
        cards: list[Card] = []
        prices: list[PriceObservation] = []
        # One batch is written (the database working) while the next one is parsed.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer:
            try:
                for item in items:
                    if isinstance(item, PriceObservation):
                        prices.append(item)
                        if len(prices) >= self.batch_size:
                            self._flush(run, cards, prices, writer, progress)
                    elif isinstance(item, Card):
                        cards.append(item)
                        if len(cards) >= CARD_BATCH:
                            self._flush_cards(run, cards)
                    else:
                        run.reject(item.reason, item.position)
                self._flush(run, cards, prices, writer, progress)
                self._written(run)
            except Exception as exc:
                self._written(run, failing=True)
                self._settle(run, source)
                run.close()
                self.runs.finish(run.run_id, "failed", run.totals, str(exc))
                log.error("%s: run %d failed: %s", source, run.run_id, exc)
                raise
        self._settle(run, source)
        run.close()
        self.runs.finish(run.run_id, "succeeded", run.totals)
        return RunReport(run.run_id, source, "succeeded", run.totals)

    def _flush_cards(self, run: _Run, cards: list[Card]) -> None:
        if cards:
            run.totals.cards += len(self.cards.upsert_many(cards))
            cards.clear()

    def _flush(
        self,
        run: _Run,
        cards: list[Card],
        prices: list[PriceObservation],
        writer: ThreadPoolExecutor,
        progress: Callable[[int], None] | None,
    ) -> None:
        self._flush_cards(run, cards)  # a file's printings are stored before its prices
        if not prices:
            return
        snapshots = self._resolve(run, prices)
        self._written(run)  # at most one batch in flight
        run.pending = writer.submit(self.ingest.write, snapshots)
        if progress is not None:
            progress(len(prices))
        prices.clear()

    def _written(self, run: _Run, failing: bool = False) -> None:
        """Wait for the batch in flight and count it (its error, if any, is raised here)."""
        pending, run.pending = run.pending, None
        if pending is None:
            return
        try:
            result = pending.result()
        except Exception:
            if failing:  # already failing for another reason: that one is reported
                return
            raise
        run.totals.inserted += result.inserted
        run.totals.updated += result.updated
        run.totals.unchanged += result.unchanged
        run.times |= result.times
        run.card_ids |= result.card_ids

    def _resolve(self, run: _Run, prices: list[PriceObservation]) -> list[PriceSnapshot]:
        keys: dict[IdentityKind, set[str]] = defaultdict(set)
        for observation in prices:
            keys[observation.identity].add(observation.key)
        ids = {kind: self.cards.resolve(kind, wanted) for kind, wanted in keys.items()}
        snapshots = []
        for observation in prices:
            card_id = ids[observation.identity].get(observation.key)
            if card_id is None:
                run.reject(f"unknown {observation.identity.value}", observation.key)
                continue
            try:
                snapshots.append(
                    PriceSnapshot(  # fields spelled out: this runs millions of times per import
                        time=observation.time,
                        price=observation.price,
                        currency=observation.currency,
                        condition=observation.condition,
                        language=observation.language,
                        finish=observation.finish,
                        price_low=observation.price_low,
                        price_mid=observation.price_mid,
                        price_high=observation.price_high,
                        price_market=observation.price_market,
                        num_listings=observation.num_listings,
                        total_quantity=observation.total_quantity,
                        card_id=card_id,
                        marketplace_id=self._marketplace_id(observation.marketplace),
                        source_run_id=run.run_id,
                    )
                )
            except ValueError as exc:
                run.reject(str(exc).split(":")[0], f"{observation.identity.value} {observation.key}")
        return snapshots

    def _marketplace_id(self, slug: str) -> int:
        if slug not in self._marketplace_ids:
            self._marketplace_ids[slug] = self.marketplaces.ensure(marketplace_for(slug))
        return self._marketplace_ids[slug]

    def _settle(self, run: _Run, source: str) -> None:
        changed = run.totals.inserted + run.totals.updated
        self.ingest.settle(run.times, run.card_ids, {"source": source, "run_id": run.run_id, "rows": changed})


def summary(report: RunReport) -> dict[str, Any]:
    """The report as plain data (for task results and logs)."""
    return {
        "run_id": report.run_id,
        "source": report.source,
        "status": report.status,
        **report.totals.__dict__,
    }
