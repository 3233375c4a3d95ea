"""What a page says, and what is logged, when its input is bad or the database fails.

Bad input is expected (a hand-edited URL, a stale tab): one INFO line, no traceback.
A database fault is not: its traceback is logged at ERROR, but once a minute per page at
most, so that an outage does not bury the log in copies of one traceback; the
requests in between log one WARNING line each."""

from __future__ import annotations

import logging

import dash_mantine_components as dmc

from app.logs import Throttle
from layouts.filters import status

log = logging.getLogger(__name__)

TRACEBACK_EVERY = 60.0
DATABASE_DOWN = "The price database is unreachable, so nothing can be shown. The page retries by itself; retry shortly."

_tracebacks: dict[str, Throttle] = {}  # per page


def bad_input(page: str, exc: Exception, title: str = "Bad parameter") -> list[dmc.Alert]:
    """Log a refused value at INFO and return the page's alert naming it."""
    log.info("%s: refused input: %s", page, exc)
    return status(str(exc), "red", title)


def database_error(page: str, exc: Exception, message: str = DATABASE_DOWN) -> list[dmc.Alert]:
    """Log a database fault (call from its `except`) and return the page's alert saying so."""
    if page not in _tracebacks:
        _tracebacks[page] = Throttle(log, limit=1, period=TRACEBACK_EVERY)
    if not _tracebacks[page].log(logging.ERROR, "%s: database error", page, exc_info=exc):
        log.warning("%s: database error: %s", page, str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return status(message, "red", "Database unreachable")
