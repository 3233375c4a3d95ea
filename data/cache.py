"""The Redis query cache: the design's `cache:...` keys, JSON values, 5-minute TTL.

- One computation per missing key: the first caller takes a lock key and
  computes; the others wait for its value instead of hitting the database.
- A computation that raises releases its lock at once, so the next caller
  computes (and meets the same error) instead of waiting for the lock to expire.
  Waiters poll with a growing interval, never a busy loop.
- Invalidation deletes the data keys and the lock keys of the affected cards
  (and the market keys), so a computation that started before new prices
  landed cannot write its stale value afterwards.
- Redis is an optimisation, never a dependency: when it fails, callers are
  served from the database and a warning is logged (at most every 30 s).
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from redis import Redis, RedisError

log = logging.getLogger(__name__)

PREFIX = "cache"
LOCK_SUFFIX = ":lock"

# Write the value only if our lock is still the current one, then release it.
_SET_IF_OWNER = """
if redis.call('GET', KEYS[2]) == ARGV[1] then
    redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
    redis.call('DEL', KEYS[2])
    return 1
end
return 0
"""

# Release the lock only if it is still ours (it may have expired and been taken since).
_RELEASE_IF_OWNER = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""


def cache_key(*parts: object) -> str:
    return ":".join((PREFIX, *(str(part) for part in parts)))


class CacheRepository:
    def __init__(
        self,
        redis: Redis | None,
        ttl: timedelta = timedelta(minutes=5),
        lock_timeout: timedelta = timedelta(seconds=15),
        wait_timeout: timedelta = timedelta(seconds=10),
        poll_interval: float = 0.005,
        max_poll_interval: float = 0.1,
    ) -> None:
        self.redis = redis
        self.ttl = ttl
        self.lock_timeout = lock_timeout
        self.wait_timeout = wait_timeout
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self._set_if_owner = redis.register_script(_SET_IF_OWNER) if redis is not None else None
        self._release_if_owner = redis.register_script(_RELEASE_IF_OWNER) if redis is not None else None
        self._down_until = 0.0
        self._last_warning = 0.0

    def get(self, *parts: object) -> Any | None:
        raw = self._call(lambda r: r.get(cache_key(*parts)))
        return json.loads(raw) if raw is not None else None

    def set(self, *parts: object, value: Any, ttl: timedelta | None = None) -> None:
        payload = json.dumps(value, separators=(",", ":"))
        self._call(lambda r: r.set(cache_key(*parts), payload, px=_ms(ttl or self.ttl)))

    def get_bytes(self, *parts: object) -> bytes | None:
        """A stored body as it was set (an image): no JSON on either side."""
        return self._call(lambda r: r.get(cache_key(*parts)))

    def set_bytes(self, *parts: object, value: bytes, ttl: timedelta | None = None) -> None:
        self._call(lambda r: r.set(cache_key(*parts), value, px=_ms(ttl or self.ttl)))

    def get_or_compute(
        self, key_parts: tuple[object, ...], compute: Callable[[], Any], ttl: timedelta | None = None
    ) -> Any:
        """The cached value, or `compute()` run once however many callers miss together.

        `compute` must return plain JSON data (no Decimal or datetime): the value
        is the same whether it came from Redis or from the database."""
        key = cache_key(*key_parts)
        lock = key + LOCK_SUFFIX
        deadline = time.monotonic() + self.wait_timeout.total_seconds()
        pause = self.poll_interval
        while True:
            raw = self._call(lambda r: r.get(key), failed=_REDIS_DOWN)
            if raw is _REDIS_DOWN:
                return compute()
            if raw is not None:
                return json.loads(raw)
            token = uuid.uuid4().hex
            if self._call(lambda r, t=token: r.set(lock, t, nx=True, px=_ms(self.lock_timeout))):
                # The previous holder may have stored the value between our GET and our lock.
                raw = self._call(lambda r: r.get(key))
                if raw is not None:
                    self._call(lambda r: r.delete(lock))
                    return json.loads(raw)
                try:
                    value = compute()
                except BaseException:
                    # Waiters must not sit out the lock's timeout for a value that will not come.
                    self._call(lambda r, t=token: self._release_if_owner(keys=[lock], args=[t], client=r))
                    raise
                args = [token, json.dumps(value, separators=(",", ":")), _ms(ttl or self.ttl)]
                self._call(lambda r, a=args: self._set_if_owner(keys=[key, lock], args=a, client=r))
                return value
            if time.monotonic() >= deadline:
                log.warning("cache: gave up waiting for %s; computing without the cache", key)
                return compute()
            time.sleep(pause)
            pause = min(pause * 2, self.max_poll_interval)

    def invalidate(self, card_ids: Iterable[int] | None = (), market: bool = True) -> int:
        """Delete the keys (and pending locks) of these cards (None: of every card), and the
        market keys. Returns how many keys went."""
        wanted = None if card_ids is None else {str(card_id) for card_id in card_ids}

        def run(r: Redis) -> int:
            doomed: list[bytes] = []
            if wanted is None or wanted:
                for key in r.scan_iter(match=cache_key("card", "*"), count=1000):
                    if wanted is None or key.split(b":", 3)[2].decode() in wanted:
                        doomed.append(key)
            if market:
                doomed.extend(r.scan_iter(match=cache_key("market", "*"), count=1000))
            for start in range(0, len(doomed), 1000):
                r.unlink(*doomed[start : start + 1000])
            return len(doomed)

        return self._call(run) or 0

    def _call(self, operation: Callable[[Redis], Any], failed: Any = None) -> Any:
        if self.redis is None or time.monotonic() < self._down_until:
            return failed
        try:
            return operation(self.redis)
        except (RedisError, OSError) as exc:
            self._down_until = time.monotonic() + 5.0  # do not pay a timeout on every request
            if time.monotonic() - self._last_warning > 30:
                self._last_warning = time.monotonic()
                log.warning("cache: Redis unavailable (%s); serving from the database", exc)
            return failed

    def ping(self) -> bool:
        """True when Redis answers now (ignores the back-off, for readiness checks)."""
        if self.redis is None:
            return False
        try:
            return bool(self.redis.ping())
        except (RedisError, OSError):
            return False


_REDIS_DOWN = object()


def _ms(delta: timedelta) -> int:
    return int(delta.total_seconds() * 1000)
