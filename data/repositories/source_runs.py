"""Collection runs: what each source delivered, when, and whether it succeeded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text


@dataclass
class RunTotals:
    cards: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejections: dict[str, Any] = field(default_factory=dict)


class SourceRunRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def start(
        self,
        source: str,
        file_name: str | None = None,
        file_date: datetime | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> int:
        """Record a run as started; runs of this source left 'running' by a killed process fail."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE source_runs SET status = 'failed', finished_at = now(),"
                    " error = 'interrupted: the process stopped before the run finished'"
                    " WHERE source = :source AND status = 'running'"
                ),
                {"source": source},
            )
            return conn.execute(
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

    def finish(self, run_id: int, status: str, totals: RunTotals, error: str | None = None) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    """
                    UPDATE source_runs SET status = :status, finished_at = now(), cards = :cards,
                        rows_inserted = :inserted, rows_updated = :updated,
                        rows_unchanged = :unchanged, rows_rejected = :rejected,
                        rejections = CAST(:rejections AS jsonb), error = :error
                    WHERE id = :id
                    """
                ),
                {
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

    def latest_success_per_source(self) -> list[dict[str, Any]]:
        """Each source's newest run that delivered its data (or found it unchanged)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT DISTINCT ON (source) * FROM source_runs"
                    " WHERE status IN ('succeeded', 'unchanged')"
                    " ORDER BY source, started_at DESC, id DESC"
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
