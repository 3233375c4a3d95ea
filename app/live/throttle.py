"""Log lines that a flood cannot multiply: anyone who can publish to Redis or open a socket
can repeat a bad message as fast as they like."""

from __future__ import annotations

import logging
import threading
import time


class Throttle:
    """At most `limit` lines per `period` seconds for one kind of event; the lines held back
    are counted, and the count is reported on the next line let through."""

    def __init__(self, logger: logging.Logger, limit: int = 5, period: float = 60.0) -> None:
        self.logger = logger
        self.limit = limit
        self.period = period
        self._window_start = -period
        self._used = 0
        self._held_back = 0
        self._lock = threading.Lock()

    def log(self, level: int, message: str, *args: object, exc_info: bool = False) -> bool:
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
