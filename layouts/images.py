"""Images and links built from provider data: only what is known to be safe reaches a page.

A provider's file says where a card's image is; a page shows it only from an https URL on
an allowed host (never `javascript:`, `data:` or a tracker). IMAGE_HOSTS is also what the
server's Content-Security-Policy allows as img-src."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

IMAGE_HOSTS = ("cards.scryfall.io",)


def image_url(url: Any) -> str | None:
    """The URL if it is https on an allowed host (no user, no port), else None."""
    if not isinstance(url, str) or len(url) > 2048:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or parts.hostname not in IMAGE_HOSTS or parts.username or port is not None:
        return None
    if parts.netloc != parts.hostname or any(char.isspace() or char in "\"'<>\\" for char in url):
        return None
    return url


def path_part(value: Any) -> str:
    """A set code or collector number as one URL path segment ('/', '?', '#' and all are quoted)."""
    return quote(str(value), safe="")


def provider_id(value: Any) -> int | None:
    """A provider's numeric product id, or None when it is not a positive integer."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
