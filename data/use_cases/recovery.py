"""Settling what interrupted runs left behind.

A run commits its rows batch by batch and settles them (rollups, caches, a market
update) once at its end. When its process dies, or the settle itself fails, the
committed rows are stored but in no rollup. Recovery finds those runs, claims each
one whose process is gone, and settles the rows it wrote. It runs before every
import and on a beat schedule, so no later run of any source leaves them out.
"""

from __future__ import annotations

import logging

from data.repositories.source_runs import SourceRunRepository
from data.use_cases.ingest import IngestPrices

log = logging.getLogger(__name__)


class RecoverRuns:
    def __init__(self, runs: SourceRunRepository, ingest: IngestPrices) -> None:
        self.runs = runs
        self.ingest = ingest

    def __call__(self) -> list[int]:
        """Settle every unsettled run that no live process holds; the ids recovered.

        A run that cannot be settled now (the database failing, say) stays unsettled for the
        next attempt, and the others are still tried: recovery never stops an import."""
        recovered = []
        for run in self.runs.unsettled():
            try:
                if self._recover(run):
                    recovered.append(run["id"])
            except Exception as exc:
                log.error("%s: run %d could not be settled yet: %s", run["source"], run["id"], exc)
        return recovered

    def _recover(self, run: dict) -> bool:
        with self.runs.claim(run["id"]) as ours:
            if not ours:  # its process is alive, or another recovery has it
                return False
            window = self.runs.written_window(run["id"])
            summary = {"source": run["source"], "run_id": run["id"], "rows": window.rows, "recovered": True}
            self.ingest.settle(window.times, window.card_ids, summary)
            self.runs.mark_settled(run["id"], window.rows)
        log.warning(
            "%s: run %d was left %s; settled its %d stored rows", run["source"], run["id"], run["status"], window.rows
        )
        return True
