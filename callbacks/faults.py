"""What a page says, and what is logged, when its input is bad or the database fails.

Bad input is expected (a hand-edited URL, a stale tab): one INFO line, no traceback.
A database fault is not: its traceback is logged at ERROR, but once a minute per page at
most, so that an outage does not bury the log in copies of one traceback; the
requests in between log one WARNING line each."""

from __future__ import annotations

import logging
import threading
import time

import dash_mantine_components as dmc

from layouts.filters import status

log = logging.getLogger(__name__)

TRACEBACK_EVERY = 60.0
DATABASE_DOWN = "The price database is unreachable, so nothing can be shown. The page retries by itself; retry shortly."

_last_traceback: dict[str, float] = {}
_lock = threading.Lock()


def bad_input(page: str, exc: Exception, title: str = "Bad parameter") -> list[dmc.Alert]:
    """Log a refused value at INFO and return the page's alert naming it."""
    log.info("%s: refused input: %s", page, exc)
    return status(str(exc), "red", title)


def database_error(page: str, exc: Exception, message: str = DATABASE_DOWN) -> list[dmc.Alert]:
    """Log a database fault (call from its `except`) and return the page's alert saying so."""
    now = time.monotonic()
    with _lock:
        first = now - _last_traceback.get(page, -TRACEBACK_EVERY) >= TRACEBACK_EVERY
        if first:
            _last_traceback[page] = now
    if first:
        log.error("%s: database error", page, exc_info=exc)
    else:
        log.warning("%s: database error: %s", page, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return status(message, "red", "Database unreachable")
