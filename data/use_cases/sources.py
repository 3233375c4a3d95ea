"""What the sources page asks: each source's newest run and how old its newest data is.

Freshness follows the provider's own date for its data (the file date or as-of date a run
read, `source_runs.file_date`), never the time the run finished: a 14-month-old file
imported a minute ago is 14 months old. The newest data of a source is the newest file
date among its succeeded runs; 'unchanged' runs confirm a file already held, so they
leave it as it was. A run without a file date (only a file whose provider states no date
and is imported without --as-of; every collector dates its runs) is not guessed at: when
no succeeded run of a source has a date, its age is counted from when its newest succeeded
run finished, and the row says so (`data_dated` false). An undated run never makes a dated
source look fresher: reading the newest price time it wrote would scan price_snapshots,
which has no index on the run.

`collecting` lists the runs in progress (their process alive), with the rows stored so far."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from data.repositories.source_runs import SourceRunRepository
from data.use_cases.jsonable import plain

FAILED = ("failed", "interrupted")


class SourceQueries:
    def __init__(self, runs: SourceRunRepository, expected_every: dict[str, timedelta]) -> None:
        self.runs = runs
        self.expected_every = expected_every

    def status(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """One row per source: its newest run (whatever its outcome), and the age of its newest data.

        freshness: 'stale' once the newest data is older than twice the source's interval,
        whatever ran since; 'fresh' before; 'never' for a scheduled source that has not
        delivered yet; 'unscheduled' for data of a source with no interval to judge it by.
        last_failed: the newest run failed or was interrupted (its error in last_error), even
        when an older run delivered. Read live, not cached."""
        now = now or datetime.now(UTC)
        latest = {row["source"]: row for row in self.runs.latest_per_source()}
        delivered = {row["source"]: row for row in self.runs.delivered_per_source()}
        rows = []
        for source in sorted(set(latest) | set(self.expected_every)):
            last, got = latest.get(source), delivered.get(source)
            every = self.expected_every.get(source)
            file_date = got["file_date"] if got else None
            data_date = file_date or (got["finished_at"] if got else None)
            # A provider's clock a little ahead of ours (within the import's slack) is no negative age.
            age = None if data_date is None else max(now - data_date, timedelta(0))
            if age is None:
                freshness = "never"
            elif every is None:
                freshness = "unscheduled"
            elif age > 2 * every:
                freshness = "stale"
            else:
                freshness = "fresh"
            rows.append(
                plain(
                    {
                        "source": source,
                        "freshness": freshness,
                        "data_date": data_date,
                        "data_dated": file_date is not None if got else None,
                        "file_date": file_date,
                        "age_hours": None if age is None else round(age.total_seconds() / 3600, 1),
                        "every_hours": None if every is None else every.total_seconds() / 3600,
                        "delivered_at": got["finished_at"] if got else None,
                        "last_status": last["status"] if last else None,
                        "last_failed": bool(last and last["status"] in FAILED),
                        "last_started": last["started_at"] if last else None,
                        "last_finished": last["finished_at"] if last else None,
                        "last_error": last["error"] if last else None,
                        "rows_inserted": last["rows_inserted"] if last else None,
                        "rows_updated": last["rows_updated"] if last else None,
                        "rows_unchanged": last["rows_unchanged"] if last else None,
                        "rows_rejected": last["rows_rejected"] if last else None,
                    }
                )
            )
        return rows

    def collecting(self) -> list[dict[str, Any]]:
        """The collections in progress, oldest first: `source`, `started_at` (ISO), `rows` (price rows
        stored so far: inserted, updated or already present; counted after each batch) and `file_date`
        (ISO, None when the run has none). Read live, not cached."""
        return [
            {
                "source": run["source"],
                "started_at": run["started_at"].isoformat(),
                "rows": (run["rows_inserted"] or 0) + (run["rows_updated"] or 0) + (run["rows_unchanged"] or 0),
                "file_date": run["file_date"].isoformat() if run["file_date"] else None,
            }
            for run in self.runs.in_progress()
        ]
