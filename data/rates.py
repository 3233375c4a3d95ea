"""Request rates such as `120/minute`: what a rate limit allows (data/rate_limit.py counts against it).

Kept apart from the Redis window so that reading the settings imports no Redis client: the web
server reads them before gevent patches the standard library."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_REQUESTS = 10_000  # per window: the sliding log keeps one sorted-set entry per admitted request
UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86_400}
_RATE = re.compile(r"\s*(\d{1,9})\s*(?:/|\s+per\s+)\s*(second|minute|hour|day)s?\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Rate:
    """`requests` per `seconds`: the limit of one scope."""

    requests: int
    seconds: int

    def __str__(self) -> str:
        unit = next(name for name, length in UNITS.items() if length == self.seconds)
        return f"{self.requests}/{unit}"


def parse_rate(text: str) -> Rate:
    """`120/minute`, `30 per hour`, `2/second` (units second, minute, hour, day; plural allowed)."""
    match = _RATE.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a rate such as 120/minute or 30 per hour (second, minute, hour, day)")
    requests = int(match.group(1))
    if not 1 <= requests <= MAX_REQUESTS:
        raise ValueError(f"{text!r}: the number of requests must be between 1 and {MAX_REQUESTS:,} per window")
    return Rate(requests, UNITS[match.group(2).lower()])
