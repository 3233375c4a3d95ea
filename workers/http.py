"""HTTP for the collectors: a descriptive User-Agent, per-host pacing, 429 back-off,
and conditional downloads (ETag / Last-Modified) so an unchanged file is not fetched.

Whatever a server answers, nothing waits or grows without bound: a Retry-After is
capped, a download has a size and time limit, and a JSON answer a size limit."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from data.domain import MalformedInput

log = logging.getLogger(__name__)

USER_AGENT = "CardCharts/0.1 (open-source MTG price analytics; https://github.com/cardcharts/cardcharts)"
# Seconds between requests to a host: Scryfall asks 100 ms on its API (its file
# host, data.scryfall.io, has no limit); the others get a polite default.
PACING = {"api.scryfall.com": 0.1, "api.tcgplayer.com": 0.1}
DEFAULT_PACING = 0.5
TOO_MANY_REQUESTS_WAIT = 30.0  # Scryfall: "access limited for 30 seconds"
MAX_429_RETRIES = 3
MAX_RETRY_AFTER = 600.0
# The largest file collected is Scryfall's default_cards, about 80 MB compressed
# (all_cards 375 MB); MTGJSON's AllPrices.json.xz is about 45 MB.
MAX_DOWNLOAD_BYTES = 4 << 30
MAX_DOWNLOAD_SECONDS = 3600.0
MAX_JSON_BYTES = 64 << 20  # API answers: a bulk-data descriptor, 250 TCGplayer products


@dataclass(frozen=True)
class Download:
    path: Path
    url: str
    etag: str | None
    last_modified: str | None


class Fetcher:
    def __init__(self, directory: Path, transport: httpx.BaseTransport | None = None, sleep=time.sleep) -> None:
        self.directory = directory
        self.sleep = sleep
        self._last: dict[str, float] = {}
        self.client = httpx.Client(
            transport=transport,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json;q=0.9,*/*;q=0.8"},
            timeout=httpx.Timeout(60.0, connect=15.0),
            follow_redirects=True,
        )

    def close(self) -> None:
        self.client.close()

    def _pace(self, url: str) -> None:
        host = urlparse(url).hostname or ""
        wait = PACING.get(host, DEFAULT_PACING) - (time.monotonic() - self._last.get(host, 0.0))
        if wait > 0:
            self.sleep(wait)
        self._last[host] = time.monotonic()

    def request(self, method: str, url: str, stream: bool = False, **kwargs: Any) -> httpx.Response:
        """One request, paced for its host, retried after a 429 as the provider asks."""
        for attempt in range(MAX_429_RETRIES + 1):
            self._pace(url)
            request = self.client.build_request(method, url, **kwargs)
            response = self.client.send(request, stream=stream)
            if response.status_code != 429 or attempt == MAX_429_RETRIES:
                return response
            response.close()
            wait = _retry_after(response.headers.get("Retry-After", ""))
            log.warning("%s answered 429; waiting %.0f s", urlparse(url).hostname, wait)
            self.sleep(wait)
        raise AssertionError("unreachable")

    def json(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.parse_json(self.request(method, url, stream=True, **kwargs))

    def parse_json(self, response: httpx.Response) -> Any:
        """A (streamed) response's JSON body, up to MAX_JSON_BYTES; MalformedInput when it is not JSON."""
        try:
            response.raise_for_status()
            body = bytearray()
            for chunk in response.iter_bytes(1 << 20):
                body += chunk
                if len(body) > MAX_JSON_BYTES:
                    raise MalformedInput(f"{response.url}: answer larger than {MAX_JSON_BYTES >> 20} MiB")
        finally:
            response.close()
        try:
            return json.loads(body)
        except (ValueError, RecursionError) as exc:
            raise MalformedInput(f"{response.url}: answer is not JSON: {str(exc)[:120]}") from None

    def download(
        self, url: str, name: str, etag: str | None = None, last_modified: str | None = None, **kwargs: Any
    ) -> Download | None:
        """Fetch `url` into the download folder as `name`; None when the server says unchanged."""
        headers = dict(kwargs.pop("headers", {}))
        target = self.directory / name
        if target.exists():  # validators only mean something while we still hold the file
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
        response = self.request("GET", url, stream=True, headers=headers, **kwargs)
        try:
            if response.status_code == 304:
                return None
            response.raise_for_status()
            self.directory.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".part")
            deadline, size = time.monotonic() + MAX_DOWNLOAD_SECONDS, 0
            with open(partial, "wb") as out:
                for chunk in response.iter_bytes(1 << 20):
                    out.write(chunk)
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        partial.unlink()
                        raise MalformedInput(f"{url}: larger than {MAX_DOWNLOAD_BYTES >> 30} GiB, more than any source")
                    if time.monotonic() > deadline:
                        partial.unlink()
                        raise httpx.ReadTimeout(f"{url}: download took over {MAX_DOWNLOAD_SECONDS:.0f} s")
            partial.replace(target)
            return Download(target, url, response.headers.get("ETag"), response.headers.get("Last-Modified"))
        finally:
            response.close()


def _retry_after(value: str) -> float:
    """Seconds a 429 asks to wait (capped); the provider's documented wait when it says no number."""
    try:
        wait = float(value)
    except ValueError:
        return TOO_MANY_REQUESTS_WAIT
    return min(wait, MAX_RETRY_AFTER) if wait >= 0 else TOO_MANY_REQUESTS_WAIT
