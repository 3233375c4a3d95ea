"""Collection runs: what each source delivered, when, and whether it succeeded.

While a run is in progress its process holds a session-level advisory lock named by
the run's id, on a connection of its own. PostgreSQL drops the lock when that
session ends, so a free lock on a run still marked 'running' means its process
died (kill -9, OOM, a lost machine): recovery may then claim the run and settle
the rows it had committed. A run held by a live process is in progress: its row
counts are brought up to date after each batch, so the rows written so far show.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError

log = logging.getLogger(__name__)

# The first key of the two-key advisory locks that mark a run's process alive (the
# rollups' one-key locks live in another key space).
RUN_LOCKS = 0x52554E  # "RUN"
INTERRUPTED = "interrupted: the process stopped before the run finished"


@dataclass
class RunTotals:
    cards: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WrittenWindow:
    """What a run committed: its rows' distinct times and cards."""

    times: list[datetime]
    card_ids: list[int]
    rows: int


class SourceRunRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._alive: dict[int, Connection] = {}
        self._guard = threading.Lock()

    def start(
        self,
        source: str,
        file_name: str | None = None,
        file_date: datetime | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> int:
        """Record a run as started, and hold its lock until `finish` (or this process's death)."""
        holder = self.engine.connect()
        try:
            # The lock is taken before the row commits: no recovery can see the run unheld.
            run_id = holder.execute(
                text(
                    """
                    INSERT INTO source_runs (source, file_name, file_date, etag, last_modified)
                    VALUES (:source, :file_name, :file_date, :etag, :last_modified) RETURNING id
                    """
                ),
                {
                    "source": source,
                    "file_name": file_name,
                    "file_date": file_date,
                    "etag": etag,
                    "last_modified": last_modified,
                },
            ).scalar_one()
            holder.execute(text("SELECT pg_advisory_lock(:locks, :id)"), {"locks": RUN_LOCKS, "id": run_id})
            holder.commit()
        except BaseException:
            holder.close()
            raise
        with self._guard:
            self._alive[run_id] = holder
        return run_id

    def finish(
        self, run_id: int, status: str, totals: RunTotals, error: str | None = None, settled: bool = True
    ) -> None:
        """Record how a run ended and release its lock. `settled`: its rows are in the rollups
        (when not, the next recovery settles them)."""
        try:
            self._finish(run_id, status, totals, error, settled)
        finally:
            self._release(run_id)

    def _finish(self, run_id: int, status: str, totals: RunTotals, error: str | None, settled: bool) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    UPDATE source_runs SET status = :status, finished_at = now(), cards = :cards,
                        rows_inserted = :inserted, rows_updated = :updated,
                        rows_unchanged = :unchanged, rows_rejected = :rejected,
                        rejections = CAST(:rejections AS jsonb), error = :error,
                        settled_at = CASE WHEN :settled THEN now() END
                    WHERE id = :id
                    """
                ),
                {
                    "settled": settled,
                    "id": run_id,
                    "status": status,
                    "cards": totals.cards,
                    "inserted": totals.inserted,
                    "updated": totals.updated,
                    "unchanged": totals.unchanged,
                    "rejected": totals.rejected,
                    "rejections": json.dumps(totals.rejections),
                    "error": error,
                },
            )

    def progress(self, run_id: int, totals: RunTotals) -> None:
        """The rows a run in progress has written so far (one small UPDATE per batch of prices)."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    UPDATE source_runs SET cards = :cards, rows_inserted = :inserted, rows_updated = :updated,
                        rows_unchanged = :unchanged, rows_rejected = :rejected
                    WHERE id = :id AND status = 'running'
                    """
                ),
                {
                    "id": run_id,
                    "cards": totals.cards,
                    "inserted": totals.inserted,
                    "updated": totals.updated,
                    "unchanged": totals.unchanged,
                    "rejected": totals.rejected,
                },
            )

    def in_progress(self) -> list[dict[str, Any]]:
        """Runs marked 'running' whose process is alive (holds the run's lock), oldest first.

        Read from pg_locks without taking any lock, so it never stands in a recovery's way;
        a run whose process died is left out even before recovery marks it interrupted."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT r.* FROM source_runs r
                    WHERE r.status = 'running' AND EXISTS (
                        SELECT 1 FROM pg_locks l
                        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                          AND l.classid = :locks AND l.objid = r.id)
                    ORDER BY r.started_at, r.id
                    """
                ),
                {"locks": RUN_LOCKS},
            ).mappings()
            return [dict(row) for row in rows]

    def last_checked(self, source: str) -> datetime | None:
        """When the newest run of `source` that got the provider's current file ended (a run that
        imported it, or found it unchanged); None when none has."""
        with self.engine.connect() as conn:
            return conn.execute(
                text(
                    "SELECT max(finished_at) FROM source_runs"
                    " WHERE source = :source AND status IN ('succeeded', 'unchanged')"
                ),
                {"source": source},
            ).scalar()

    def _release(self, run_id: int) -> None:
        with self._guard:
            holder = self._alive.pop(run_id, None)
        if holder is None:
            return
        try:
            holder.execute(text("SELECT pg_advisory_unlock(:locks, :id)"), {"locks": RUN_LOCKS, "id": run_id})
            holder.commit()
        except SQLAlchemyError as exc:  # the session is gone, and its lock with it
            log.info("run %d: its lock's session had already ended (%s)", run_id, type(exc).__name__)
        finally:
            holder.close()

    def unsettled(self) -> list[dict[str, Any]]:
        """Runs whose rows may be missing from the rollups: still running, or ended unsettled."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, source, status FROM source_runs WHERE settled_at IS NULL ORDER BY id")
            ).mappings()
            return [dict(row) for row in rows]

    @contextmanager
    def claim(self, run_id: int) -> Iterator[bool]:
        """Whether this caller may recover the run: True when no live process holds it
        (and none may take it while the caller is inside)."""
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            params = {"locks": RUN_LOCKS, "id": run_id}
            claimed = conn.execute(text("SELECT pg_try_advisory_lock(:locks, :id)"), params).scalar_one()
            try:
                yield bool(claimed)
            finally:
                if claimed:
                    conn.execute(text("SELECT pg_advisory_unlock(:locks, :id)"), params)

    def written_window(self, run_id: int) -> WrittenWindow:
        """The times and cards of the rows a run committed (a scan: recovery is rare)."""
        with self.engine.connect() as conn:
            times, card_ids, rows = conn.execute(
                text(
                    "SELECT array_agg(DISTINCT time), array_agg(DISTINCT card_id), count(*)"
                    " FROM price_snapshots WHERE source_run_id = :id"
                ),
                {"id": run_id},
            ).one()
        return WrittenWindow(times or [], card_ids or [], rows)

    def mark_settled(self, run_id: int, rows: int) -> None:
        """A recovered run: settled now; one its process left 'running' becomes 'interrupted'."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    UPDATE source_runs SET settled_at = now(), finished_at = COALESCE(finished_at, now()),
                        status = CASE WHEN status = 'running' THEN 'interrupted' ELSE status END,
                        error = CASE WHEN status = 'running'
                                     THEN :interrupted || '; its ' || :rows || ' stored rows were settled later'
                                     ELSE error END
                    WHERE id = :id
                    """
                ),
                {"id": run_id, "rows": rows, "interrupted": INTERRUPTED},
            )

    def record(
        self, source: str, status: str, file_name: str | None, etag: str | None, last_modified: str | None
    ) -> int:
        """A run with nothing to import: the file was 'unchanged', or only downloaded ('succeeded')."""
        run_id = self.start(source, file_name, None, etag, last_modified)
        self.finish(run_id, status, RunTotals())
        return run_id

    def set_validators(self, run_id: int, etag: str | None, last_modified: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text("UPDATE source_runs SET etag = :etag, last_modified = :lm WHERE id = :id"),
                {"id": run_id, "etag": etag, "lm": last_modified},
            )

    def last_success(self, source: str) -> dict[str, Any] | None:
        """The newest run of a source that got its file (its name and validators say what we hold)."""
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    text(
                        "SELECT * FROM source_runs WHERE source = :source"
                        " AND status IN ('succeeded', 'unchanged')"
                        " ORDER BY started_at DESC, id DESC LIMIT 1"
                    ),
                    {"source": source},
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def get(self, run_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(text("SELECT * FROM source_runs WHERE id = :id"), {"id": run_id}).mappings().first()
        return dict(row) if row else None

    def delivered_per_source(self) -> list[dict[str, Any]]:
        """Per source, what its succeeded runs delivered: the newest provider date among them
        (`file_date`, None when no run was dated) and when the newest of them finished.

        'unchanged' runs confirm a file already held and are left out: the data's date is
        the date of the run that read that file. source_runs holds a row per run (thousands
        a year), so the grouping is cheap."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT source, max(file_date) AS file_date, max(finished_at) AS finished_at"
                    " FROM source_runs WHERE status = 'succeeded' GROUP BY source"
                )
            ).mappings()
            return [dict(row) for row in rows]

    def latest_per_source(self) -> list[dict[str, Any]]:
        """Each source's newest run, for freshness badges."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT DISTINCT ON (source) * FROM source_runs ORDER BY source, started_at DESC, id DESC")
            ).mappings()
            return [dict(row) for row in rows]
