"""Rate limits on Redis: a sliding window per client and scope, on the design's `ratelimit:` keys.

- Keys are `ratelimit:{kind}:{identity}:{scope}`: `ratelimit:ip:203.0.113.7:api` today,
  `ratelimit:user:456:export` once accounts exist.
- The window is a sliding log: a sorted set holding each admitted request's time (ms). One Lua
  script trims the times that left the window, counts the rest, admits the request if the count
  is under the limit, and sets the key to expire with the window. Why this and not the
  two-window weighted counter: it is exact (the counter estimates the previous window as evenly
  spread, so a burst at its end lets up to twice the limit through), it knows when the window
  frees its next request (an exact Retry-After), and as one script it is atomic in one round
  trip, so concurrent requests cannot race past the limit. Its cost is one entry per admitted
  request (at most `limit` per key), hence the cap on limits in `data.rates.parse_rate`.
- `peek` asks without recording: failed logins are counted only when they fail (`hit` records
  one), and a login is refused beforehand while the window is full.
- Refused requests are not recorded: a client that keeps knocking gets in again as its
  window slides, instead of being locked out for as long as it retries.
- Redis is a safeguard, never a dependency (data/cache.py's rule): when it fails, requests are
  allowed (`hit` returns None), Redis is left alone for 5 s so a flood does not pay a timeout
  per request, and a warning is logged at most every 30 s.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from redis import Redis, RedisError

from data.rates import Rate

log = logging.getLogger(__name__)

PREFIX = "ratelimit"

# KEYS[1]: the window's key. ARGV: now (ms), window (ms), limit, a member unique to this request.
# Returns {admitted (1/0), requests in the window, ms until the window frees a request}.
_SLIDE = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local admitted = 0
if count < limit then
    redis.call('ZADD', KEYS[1], now, ARGV[4])
    count = count + 1
    admitted = 1
end
redis.call('PEXPIRE', KEYS[1], window)
-- Once the oldest (count - limit + 1) entries have left, a request fits again.
local freeing = redis.call('ZRANGE', KEYS[1], math.max(0, count - limit), math.max(0, count - limit), 'WITHSCORES')
local reset = 0
if freeing[2] then
    reset = math.min(window, math.max(0, tonumber(freeing[2]) + window - now))
end
return {admitted, count, reset}
"""


# The same window, only looked at: {admitted-if-asked (1/0), requests in the window, ms until it frees one}.
_PEEK = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
local reset = 0
if count >= limit then
    local freeing = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
    if freeing[2] then
        reset = math.min(window, math.max(0, tonumber(freeing[2]) + window - now))
    end
end
return {count < limit and 1 or 0, count, reset}
"""


@dataclass(frozen=True)
class Decision:
    """One request's verdict: `reset` is seconds until the window frees a request (0 when it is empty)."""

    allowed: bool
    limit: int
    remaining: int
    reset: float

    @property
    def reset_seconds(self) -> int:
        """`reset` in whole seconds, rounded up (what RateLimit-Reset says)."""
        return math.ceil(self.reset)

    @property
    def retry_after(self) -> int:
        """Whole seconds a refused client should wait (at least 1); 0 when allowed."""
        return max(1, self.reset_seconds) if not self.allowed else 0


def rate_limit_key(kind: str, identity: str, scope: str) -> str:
    return ":".join((PREFIX, kind, identity, scope))


class RateLimitRepository:
    def __init__(
        self, redis: Redis | None, clock: Callable[[], float] = time.time, retry_after_failure: float = 5.0
    ) -> None:
        self.redis = redis
        # Wall-clock seconds: every web worker (on every host) must agree on what "now" is.
        self.clock = clock
        self.retry_after_failure = retry_after_failure
        self._slide = redis.register_script(_SLIDE) if redis is not None else None
        self._peek = redis.register_script(_PEEK) if redis is not None else None
        self._down_until = 0.0
        self._last_warning = 0.0

    def hit(self, kind: str, identity: str, scope: str, rate: Rate) -> Decision | None:
        """Count one request of `identity` in `scope` against `rate`; None when Redis cannot say (allow it)."""
        now = round(self.clock() * 1000)
        member = f"{now}-{os.urandom(6).hex()}"  # unique, so two requests in one millisecond both count
        return self._run(self._slide, kind, identity, scope, rate, now, member)

    def peek(self, kind: str, identity: str, scope: str, rate: Rate) -> Decision | None:
        """Whether one more request of `identity` would be admitted, recording nothing; None when Redis cannot say."""
        return self._run(self._peek, kind, identity, scope, rate, round(self.clock() * 1000))

    def _run(self, script, kind: str, identity: str, scope: str, rate: Rate, now: int, *extra: str) -> Decision | None:
        if self.redis is None or script is None or time.monotonic() < self._down_until:
            return None
        window = rate.seconds * 1000
        try:
            admitted, count, reset = script(
                keys=[rate_limit_key(kind, identity, scope)], args=[now, window, rate.requests, *extra]
            )
        except (RedisError, OSError) as exc:
            self._down_until = time.monotonic() + self.retry_after_failure
            if time.monotonic() - self._last_warning > 30:
                self._last_warning = time.monotonic()
                log.warning("rate limit: Redis unavailable (%s); requests are not limited", exc)
            return None
        return Decision(bool(admitted), rate.requests, max(0, rate.requests - int(count)), int(reset) / 1000)
