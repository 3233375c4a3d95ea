"""Rendered images, keyed by the hash of exactly what was rendered (in the query cache, data/cache.py).

The key covers the figure's JSON (its data, title and source line with the data's date, theme)
and the format and size: new prices change the figure, hence the key, so a stale image is never
served, and the same data always gives the same bytes without asking Chromium again. Old keys
expire on their own; Redis down means render and carry on (the cache's own rule)."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any

from data.cache import CacheRepository

TTL = timedelta(hours=6)


def image_key(figure: dict[str, Any], fmt: str, width: int, height: int, scale: int) -> str:
    """The hex digest naming this render (also the response's ETag)."""
    text = json.dumps([figure, fmt, width, height, scale], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


class ImageCache:
    def __init__(self, cache: CacheRepository, ttl: timedelta = TTL) -> None:
        self.cache = cache
        self.ttl = ttl

    def get(self, key: str) -> bytes | None:
        return self.cache.get_bytes("export", key)

    def set(self, key: str, image: bytes) -> None:
        self.cache.set_bytes("export", key, value=image, ttl=self.ttl)
