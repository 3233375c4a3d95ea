"""An import run: a source's stream of printings and prices, stored batch by batch.

Every source (file import, scheduled collection, backfill) goes through here and
then through `IngestPrices`: provider identities are resolved to printings,
unknown ones are rejected with their reason, each batch is committed, and the
run is recorded in `source_runs`. A run that fails keeps the batches it already
committed and is marked failed with the error; re-running it completes the data
without duplicates (the write path is an upsert). While it runs, its row counts on
`source_runs` are brought up to date after each batch of prices. Whatever fails, settling
included, the run ends recorded as failed or succeeded.

Rows no source can be right about are rejected here, row by row, so that every
source gets the same rules: printings with fields beyond their columns, identities
that cannot be the provider's, prices dated in the future or before Magic existed.
A run in which every row was rejected for such a fault of the file (not for an
identity the catalog lacks) fails: that file must not pass for fresh data.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from data.domain import (
    Card,
    IdentityKind,
    MalformedInput,
    PriceObservation,
    PriceSnapshot,
    Rejected,
    card_problem,
    identity_problem,
    marketplace_for,
    price_time_problem,
)
from data.repositories.cards import CardRepository
from data.repositories.marketplaces import MarketplaceRepository
from data.repositories.source_runs import RunTotals, SourceRunRepository
from data.staged import StagedPrices
from data.use_cases.ingest import IngestPrices, Staged
from data.use_cases.staged import resolve_staged

log = logging.getLogger(__name__)

BATCH_SIZE = 50_000
CARD_BATCH = 2_000
EXAMPLES_PER_REASON = 5
# A hostile file can make every rejection's text different: what a run keeps is bounded.
MAX_REASONS = 50
MAX_TEXT = 200

Item = Card | PriceObservation | StagedPrices | Rejected
Pending = PriceObservation | StagedPrices


def storable(text: str, limit: int = 2000) -> str:
    """Text from a file, made fit for a text column: bounded, no NUL, no lone surrogate."""
    return text[:limit].replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


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
    pending: Future | None = None  # the batch being written
    rolling: Future | None = None  # the per-card rollup of the batch written before it
    rolled: bool = True  # every written batch's per-card rollup is current (IngestPrices.roll)
    roller: ThreadPoolExecutor | None = None
    pending_rows: int = 0  # prices waiting for the next batch
    valid: int = 0  # rows that passed every check of the file's own (not the catalog's)

    def reject(self, reason: str, example: str, count: int = 1) -> None:
        self.totals.rejected += count
        if reason not in self.reasons:  # (a reason already counted is storable: it runs once per reason)
            reason = storable(reason, MAX_TEXT)
            if reason not in self.reasons and len(self.reasons) >= MAX_REASONS:
                reason = "other reasons"
        self.reasons[reason] += count
        examples = self.examples[reason]
        if len(examples) < EXAMPLES_PER_REASON:
            example = storable(example, MAX_TEXT)
            if example not in examples:
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
        recover: Callable[[], object] | None = None,
    ) -> None:
        self.cards = cards
        self.marketplaces = marketplaces
        self.runs = runs
        self.ingest = ingest
        self.batch_size = batch_size
        self.recover = recover
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
        if self.recover is not None:  # rows a dead run committed are settled before new ones land
            self.recover()
        now = datetime.now(UTC)
        file_name = None if file_name is None else storable(file_name)
        run = _Run(self.runs.start(source, file_name, file_date, etag, last_modified))
        failure: Exception | None = None
        cards: list[Card] = []
        prices: list[Pending] = []  # observations and staged entries, in file order
        # One batch is written (the database working) while the next one is parsed and the one
        # before is rolled up per card: the server does both at once, on cores of its own.
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-writer") as writer,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ingest-roller") as run.roller,
        ):
            try:
                if file_date is not None and (problem := price_time_problem(file_date, now)):
                    raise MalformedInput(f"{file_name or source}: file date {file_date.isoformat()}: {problem}")

                def observe(item: PriceObservation) -> None:
                    if problem := price_time_problem(item.time, now):
                        run.reject(problem, f"{item.identity.value} {item.key} {item.time.isoformat()}")
                        return
                    prices.append(item)
                    run.pending_rows += 1
                    if run.pending_rows >= self.batch_size:
                        self._flush(run, cards, prices, writer, progress)

                for item in items:
                    if isinstance(item, StagedPrices):
                        if price_time_problem(min(item.times), now) or price_time_problem(max(item.times), now):
                            for part in item.expand():  # row by row: each price judged on its own
                                if isinstance(part, PriceObservation):
                                    observe(part)
                                else:
                                    run.reject(part.reason, part.position)
                            continue
                        prices.append(item)
                        run.pending_rows += item.rows
                        if run.pending_rows >= self.batch_size:
                            self._flush(run, cards, prices, writer, progress)
                    elif isinstance(item, PriceObservation):
                        observe(item)
                    elif isinstance(item, Card):
                        if problem := card_problem(item):
                            run.reject(f"invalid printing: {problem}", str(item.scryfall_id or item.name))
                            continue
                        cards.append(item)
                        run.valid += 1
                        if len(cards) >= CARD_BATCH:
                            self._flush_cards(run, cards)
                    else:
                        run.reject(item.reason, item.position)
                self._flush(run, cards, prices, writer, progress)
                self._written(run)
                if run.totals.rejected and not run.valid:
                    raise MalformedInput(
                        f"{file_name or source}: not one valid price or printing ({run.totals.rejected:,} rejected)"
                    )
            except Exception as exc:
                failure = exc
                self._written(run, failing=True)
        return self._finish(run, source, failure)

    def refuse(self, source: str, file_name: str | None, error: Exception) -> None:
        """Record as failed a file refused before its run could start (say, a header that is not a date)."""
        file_name = None if file_name is None else storable(file_name)
        self.runs.finish(self.runs.start(source, file_name), "failed", RunTotals(), storable(str(error)))
        log.warning("%s: %s refused: %s", source, file_name, error)

    def _finish(self, run: _Run, source: str, failure: Exception | None) -> RunReport:
        """Settle what was written, then record the run as failed or succeeded, whatever raises.

        A failed import (or settle) raises once the run is recorded; the batches it
        committed stay, and a run left unsettled is settled by the next recovery."""
        error = None if failure is None else storable(str(failure))
        settled = True
        try:
            self._settle(run, source)
        except Exception as exc:
            log.error("%s: run %d: rollups, cache and subscribers not brought up to date: %s", source, run.run_id, exc)
            error = storable(f"{error}; then settling failed: {exc}" if failure else f"settling failed: {exc}")
            failure, settled = failure or exc, False
        run.close()
        status = "failed" if failure else "succeeded"
        try:
            self.runs.finish(run.run_id, status, run.totals, error, settled=settled)
        except Exception as exc:
            log.error("%s: run %d could not be recorded as %s: %s", source, run.run_id, status, exc)
            failure = failure or exc
        if failure is not None:
            level = logging.WARNING if isinstance(failure, MalformedInput) else logging.ERROR
            log.log(level, "%s: run %d failed: %s", source, run.run_id, error or failure)
            raise failure
        return RunReport(run.run_id, source, "succeeded", run.totals)

    def _flush_cards(self, run: _Run, cards: list[Card]) -> None:
        if cards:
            run.totals.cards += len(self.cards.upsert_many(cards))
            cards.clear()

    def _flush(
        self,
        run: _Run,
        cards: list[Card],
        prices: list[Pending],
        writer: ThreadPoolExecutor,
        progress: Callable[[int], None] | None,
    ) -> None:
        self._flush_cards(run, cards)  # a file's printings are stored before its prices
        if not prices:
            return
        batch = self._resolve(run, prices)
        self._written(run)  # at most one batch in flight
        run.pending = writer.submit(self.ingest.write_batch, batch, dict(self._marketplace_ids), run.run_id)
        if progress is not None:
            progress(run.pending_rows)
        prices.clear()
        run.pending_rows = 0

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
        self._progress(run)
        self._rolled(run)  # at most one batch rolling
        if run.rolled and run.roller is not None:
            run.rolling = run.roller.submit(self.ingest.roll, result)

    def _rolled(self, run: _Run) -> None:
        """Wait for the batch rolling. A failure only leaves the rollup to the settle, which
        then does it for every batch (the prices are stored)."""
        rolling, run.rolling = run.rolling, None
        if rolling is None:
            return
        try:
            run.rolled = rolling.result() and run.rolled
        except Exception as exc:
            run.rolled = False
            log.warning("run %d: a batch's per-card rollup failed, the settle redoes it: %s", run.run_id, exc)

    def _progress(self, run: _Run) -> None:
        """Show the rows written so far on the run's row; a failure to show them never stops the run."""
        try:
            self.runs.progress(run.run_id, run.totals)
        except Exception as exc:
            log.warning("run %d: its progress could not be recorded: %s", run.run_id, exc)

    def _resolve(self, run: _Run, prices: list[Pending]) -> list[PriceSnapshot | Staged]:
        """The batch's snapshots and staged entries (with their card ids) in file order, rejecting
        (in file order too) every price whose printing is unknown."""
        keys: dict[IdentityKind, set[str]] = defaultdict(set)
        for observation in prices:
            keys[observation.identity].add(observation.key)
        invalid = {
            (kind, key): problem
            for kind, wanted in keys.items()
            for key in wanted
            if (problem := identity_problem(kind, key))
        }
        ids = {
            kind: self.cards.resolve(kind, (key for key in wanted if (kind, key) not in invalid))
            for kind, wanted in keys.items()
        }
        prices = resolve_staged(prices, ids)  # a staged entry whose prices meet observations' goes row by row
        snapshots: list[PriceSnapshot | Staged] = []
        for observation in prices:
            if isinstance(observation, StagedPrices):
                run.valid += observation.rows
                card_id = ids[observation.identity].get(observation.key)
                if card_id is None:  # its key is a UUID: the catalog lacks it
                    run.reject(f"unknown {observation.identity.value}", str(observation.key), observation.rows)
                    continue
                for series in observation.series:
                    self._marketplace_id(series.marketplace)
                snapshots.append((observation, card_id))
                continue
            run.valid += 1
            card_id = ids[observation.identity].get(observation.key)
            if card_id is None:
                problem = invalid.get((observation.identity, observation.key))
                if problem:
                    run.valid -= 1
                run.reject(problem or f"unknown {observation.identity.value}", str(observation.key))
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
                run.valid -= 1
                run.reject(str(exc).split(":")[0], f"{observation.identity.value} {observation.key}")
        return snapshots

    def _marketplace_id(self, slug: str) -> int:
        if slug not in self._marketplace_ids:
            self._marketplace_ids[slug] = self.marketplaces.ensure(marketplace_for(slug))
        return self._marketplace_ids[slug]

    def _settle(self, run: _Run, source: str) -> None:
        self._rolled(run)
        changed = run.totals.inserted + run.totals.updated
        summary = {"source": source, "run_id": run.run_id, "rows": changed}
        self.ingest.settle(run.times, run.card_ids, summary, cards_current=run.rolled)


def summary(report: RunReport) -> dict[str, Any]:
    """The report as plain data (for task results and logs)."""
    return {
        "run_id": report.run_id,
        "source": report.source,
        "status": report.status,
        **report.totals.__dict__,
    }
