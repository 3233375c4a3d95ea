"""Rendered images in Redis, keyed by the hash of exactly what was rendered.

The key covers the figure's JSON (its data, title and source line with the data's date, theme)
and the format and size: new prices change the figure, hence the key, so a stale image is never
served, and the same data always gives the same bytes without asking Chromium again. Old keys
expire on their own. As data/cache.py: Redis down means render, log, carry on."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from datetime import timedelta
from typing import Any

from redis import Redis, RedisError

log = logging.getLogger(__name__)

PREFIX = "export"
TTL = timedelta(hours=6)
BACKOFF_SECONDS = 5.0


def image_key(figure: dict[str, Any], fmt: str, width: int, height: int, scale: int) -> str:
    """The hex digest naming this render (also the response's ETag)."""
    text = json.dumps([figure, fmt, width, height, scale], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ImageCache:
    def __init__(self, redis: Redis | None, ttl: timedelta = TTL) -> None:
        self.redis = redis
        self.ttl = ttl
        self._down_until = 0.0

    def get(self, key: str) -> bytes | None:
        return self._call(lambda r: r.get(f"{PREFIX}:{key}"))

    def set(self, key: str, image: bytes) -> None:
        self._call(lambda r: r.set(f"{PREFIX}:{key}", image, px=int(self.ttl.total_seconds() * 1000)))

    def _call(self, operation: Any) -> Any:
        if self.redis is None or time.monotonic() < self._down_until:
            return None
        try:
            return operation(self.redis)
        except (RedisError, OSError) as exc:
            self._down_until = time.monotonic() + BACKOFF_SECONDS
            log.warning("export cache: Redis unavailable (%s); rendering without it", exc)
            return None
