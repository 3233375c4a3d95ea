"""When beat sends a source's collection: as soon as its data is older than its interval.

Celery's interval schedule counts from when beat last sent the task, and a beat that has
never sent it counts from its own start: a new installation would wait a whole interval
(6 to 24 hours) before collecting anything. `CollectionSchedule` counts from what the
database says instead: a source is due when no run of it has fetched the provider's
current file within its interval (a run that imported it, or one that found it unchanged),
unless a run of it is in progress. So on an empty database every source is due at once,
and a restart never re-collects a source that is fresh. Within one beat process a source
is sent at most once per interval, so a collection that is still queued, or failed (its
task retries it), is not sent again on every tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from functools import cache

from celery.schedules import schedstate, schedule
from sqlalchemy.exc import SQLAlchemyError

from data.repositories.source_runs import SourceRunRepository

log = logging.getLogger(__name__)

# How soon to ask again while a run is in progress or the database cannot answer.
RECHECK_SECONDS = 60.0


@cache
def _runs(database_url: str) -> SourceRunRepository:
    from data.db import make_engine

    return SourceRunRepository(make_engine(database_url, pool_size=1))


class CollectionSchedule(schedule):
    """Due when `source` was last fetched longer than `run_every` ago, or never (see the module)."""

    def __init__(self, run_every: timedelta, source: str, database_url: str, nowfun=None, app=None) -> None:
        super().__init__(run_every, nowfun=nowfun, app=app)
        self.source = source
        self.database_url = database_url
        self._due_since: datetime | None = None

    def __reduce__(self):  # beat keeps its entries in a shelve file: no engine inside
        return self.__class__, (self.run_every, self.source, self.database_url, self.nowfun)

    def __repr__(self) -> str:
        return f"<collection of {self.source} every {self.run_every}>"

    def is_due(self, last_run_at: datetime) -> schedstate:
        """Whether to send the collection now, and how many seconds until the next check.

        `last_run_at` is beat's memory of its last send, but a new beat sets it to its own
        start: it only counts once it is later than the moment this schedule first said
        'due' (beat asks more than once before it sends: while building its heap, then
        when the time comes)."""
        now = self.now()
        last_run_at = self.maybe_make_aware(last_run_at)
        runs = _runs(self.database_url)
        try:
            if any(run["source"] == self.source for run in runs.in_progress()):
                return schedstate(False, min(RECHECK_SECONDS, self.seconds))
            checked = runs.last_checked(self.source)
        except SQLAlchemyError as exc:
            log.warning("%s: could not read its runs to schedule it (%s); asking again soon", self.source, exc)
            return schedstate(False, RECHECK_SECONDS)
        if checked is not None and now - checked < self.run_every:
            return schedstate(False, (checked + self.run_every - now).total_seconds())
        sent = self._due_since is not None and last_run_at > self._due_since
        if sent and now - last_run_at < self.run_every:  # sent, not fetched yet (queued, or failed)
            return schedstate(False, (last_run_at + self.run_every - now).total_seconds())
        if self._due_since is None or sent:
            self._due_since = now
        return schedstate(True, self.seconds)
