"""What the sources page asks: each source's newest run and how fresh its data is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from data.repositories.source_runs import SourceRunRepository
from data.use_cases.jsonable import plain


class SourceQueries:
    def __init__(self, runs: SourceRunRepository, expected_every: dict[str, timedelta]) -> None:
        self.runs = runs
        self.expected_every = expected_every

    def status(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """One row per source: its newest run and newest success, and a freshness verdict.

        'stale' once the newest delivered data is older than twice the source's interval;
        'never' for a scheduled source that has not delivered yet. Read live, not cached."""
        now = now or datetime.now(UTC)
        latest = {row["source"]: row for row in self.runs.latest_per_source()}
        succeeded = {row["source"]: row for row in self.runs.latest_success_per_source()}
        rows = []
        for source in sorted(set(latest) | set(self.expected_every)):
            last, good = latest.get(source), succeeded.get(source)
            every = self.expected_every.get(source)
            delivered = good["finished_at"] if good else None
            age = now - delivered if delivered else None
            if delivered is None:
                freshness = "never"
            elif every is not None and age > 2 * every:
                freshness = "stale"
            else:
                freshness = "fresh"
            rows.append(
                plain(
                    {
                        "source": source,
                        "freshness": freshness,
                        "age_hours": None if age is None else round(age.total_seconds() / 3600, 1),
                        "every_hours": None if every is None else every.total_seconds() / 3600,
                        "last_status": last["status"] if last else None,
                        "last_started": last["started_at"] if last else None,
                        "last_finished": last["finished_at"] if last else None,
                        "last_error": last["error"] if last else None,
                        "file_date": good["file_date"] if good else None,
                        "rows_inserted": last["rows_inserted"] if last else None,
                        "rows_updated": last["rows_updated"] if last else None,
                        "rows_unchanged": last["rows_unchanged"] if last else None,
                        "rows_rejected": last["rows_rejected"] if last else None,
                    }
                )
            )
        return rows
