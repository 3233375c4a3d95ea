"""One printing's current prices from Scryfall's API (`GET /cards/{id}`), for "refresh one card now".

The answer is the same card object as a line of the bulk file, so it is parsed by the bulk
adapter's own functions (workers/sources/scryfall.py) into the same printing and observations,
which then enter through the import use case like every source's. Nothing here waits: a 429 or
any other answer than 200 is an UpstreamError for the caller to report, never a retry inside a
web request.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx

from data.domain import Card, PriceObservation, Rejected
from workers.http import USER_AGENT
from workers.sources import scryfall

SOURCE = "scryfall-card"  # its own runs: one card refreshed must not pass for a fresh bulk file
# Scryfall requires both headers on api.scryfall.com ("Do not allow HTTP libraries to choose").
HEADERS = {"User-Agent": USER_AGENT, "Accept": "application/json;q=0.9,*/*;q=0.8"}
TIMEOUT = httpx.Timeout(10.0, connect=5.0)  # a person is waiting on the answer
MAX_CARD_BYTES = 1 << 20  # a card object is a few kB; the largest (many faces, all legalities) far below


class UpstreamError(Exception):
    """Scryfall could not be asked, or answered something other than the card object."""


def card_url(base_url: str, scryfall_id: str) -> str:
    return f"{base_url.rstrip('/')}/cards/{scryfall_id}"


def fetch_card(base_url: str, scryfall_id: str, transport: httpx.BaseTransport | None = None) -> dict[str, Any]:
    """The card object of `scryfall_id`; UpstreamError naming what went wrong otherwise."""
    url = card_url(base_url, scryfall_id)
    try:
        client = httpx.Client(transport=transport, headers=HEADERS, timeout=TIMEOUT, follow_redirects=False)
        with client, client.stream("GET", url) as response:
            if response.status_code != 200:
                raise UpstreamError(f"Scryfall answered HTTP {response.status_code} for {url}")
            body = bytearray()
            for chunk in response.iter_bytes(64 << 10):
                body += chunk
                if len(body) > MAX_CARD_BYTES:
                    raise UpstreamError(f"Scryfall's answer for {url} is larger than {MAX_CARD_BYTES >> 10} KiB")
    except httpx.HTTPError as exc:
        raise UpstreamError(f"Scryfall could not be reached at {url}: {type(exc).__name__}: {exc}"[:300]) from None
    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        raise UpstreamError(f"Scryfall's answer for {url} is not JSON") from None
    if not isinstance(obj, dict) or obj.get("object") != "card":
        raise UpstreamError(f"Scryfall's answer for {url} is not a card object")
    if str(obj.get("id", "")).lower() != scryfall_id.lower():
        raise UpstreamError(f"Scryfall answered card {str(obj.get('id'))[:40]!r} for {scryfall_id}")
    return obj


def card_items(obj: dict[str, Any], as_of: datetime) -> list[Card | PriceObservation | Rejected]:
    """The printing, then one observation per non-null price stamped `as_of` (as a bulk file's line)."""
    position = f"cards/{obj.get('id')}"
    try:
        card = scryfall.parse_card(obj)
    except (TypeError, ValueError) as exc:
        return [Rejected(position, f"invalid printing: {exc}")]
    return [card, *scryfall.observations(position, obj, as_of)]
