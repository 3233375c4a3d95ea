"""Collecting a source now: download its current file if it changed, then import it."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.bootstrap import Services
from data.domain import MalformedInput
from data.use_cases.imports import RunReport
from workers import imports
from workers.http import Download, Fetcher
from workers.sources import tcgplayer

log = logging.getLogger(__name__)

SCRYFALL_BULK = "https://api.scryfall.com/bulk-data/default-cards"
MTGJSON_BASE = "https://mtgjson.com/api/v5/"
CARDMARKET_GUIDE = "https://downloads.s3.cardmarket.com/productCatalog/priceGuide/price_guide_1.json"
CARDKINGDOM_PRICELIST = "https://api.cardkingdom.com/api/v2/pricelist"
# AllPricesToday holds one day: newest MTGJSON prices older than this leave a gap only AllPrices fills.
MTGJSON_TODAY_COVERS = timedelta(days=2)


def _conditional(services: Services, fetcher: Fetcher, source: str, url: str, name: str) -> Download | None:
    """Download `url` unless the source's last run got this very file (same name, same validators)."""
    last = services.runs.last_success(source) or {}
    if last.get("file_name") not in (None, name):  # validators of another file (AllPrices, not AllPricesToday)
        last = {}
    download = fetcher.download(url, name, last.get("etag"), last.get("last_modified"))
    if download is None:
        services.runs.record(source, "unchanged", name, last.get("etag"), last.get("last_modified"))
        log.info("%s: %s unchanged since the last run; nothing downloaded", source, url)
    return download


def collect_scryfall(services: Services, fetcher: Fetcher) -> RunReport | None:
    """default_cards from the bulk-data API: the current .jsonl.gz, or the legacy JSON array."""
    descriptor = fetcher.json("GET", SCRYFALL_BULK)
    if not isinstance(descriptor, dict):
        raise MalformedInput(f"{SCRYFALL_BULK}: not a bulk-data object")
    url = descriptor.get("jsonl_download_uri") or descriptor.get("download_uri")
    if not isinstance(url, str) or not url.startswith("https://"):
        raise MalformedInput(f"{SCRYFALL_BULK}: bulk-data object without an https download URI")
    name = _file_name(url)
    last = services.runs.last_success("scryfall") or {}
    if last.get("file_name") == name:  # Scryfall names each file by its timestamp
        services.runs.record("scryfall", "unchanged", name, None, None)
        return None
    updated = descriptor.get("updated_at")
    try:
        as_of = datetime.fromisoformat(updated) if updated else None
    except (TypeError, ValueError):
        raise MalformedInput(f"{SCRYFALL_BULK}: updated_at is not a time: {str(updated)[:40]!r}") from None
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=UTC)
    download = fetcher.download(url, name)
    report = imports.import_scryfall(services, download.path, as_of=as_of)
    _forget(download)
    return report


def _file_name(url: str) -> str:
    """The file name a download URI ends with, if it is a plain one (never '..', never a path)."""
    name = url.split("?", 1)[0].rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}", name):
        raise MalformedInput(f"{url[:200]}: no plain file name at the end of the download URI")
    return name


def mtgjson_prices_file(services: Services, now: datetime | None = None) -> str:
    """AllPrices (its whole 90 days) when MTGJSON has delivered nothing yet, or its newest prices
    are older than AllPricesToday can bridge (MTGJSON_TODAY_COVERS); AllPricesToday otherwise."""
    now = now or datetime.now(UTC)
    delivered = {row["source"]: row for row in services.runs.delivered_per_source()}.get("mtgjson")
    newest = delivered and (delivered["file_date"] or delivered["finished_at"])
    if newest is None or now - newest > MTGJSON_TODAY_COVERS:
        return "AllPrices.json.xz"
    return "AllPricesToday.json.xz"


def collect_mtgjson(services: Services, fetcher: Fetcher) -> RunReport | None:
    """AllPrices on the first run (or after a gap), AllPricesToday after, with AllIdentifiers to map
    uuids (re-downloaded only when it changed)."""
    identifiers = fetcher.directory / "AllIdentifiers.json.xz"
    fetched = _conditional(
        services, fetcher, "mtgjson-identifiers", MTGJSON_BASE + "AllIdentifiers.json.xz", identifiers.name
    )
    if fetched is not None:
        services.runs.record("mtgjson-identifiers", "succeeded", identifiers.name, fetched.etag, fetched.last_modified)
    name = mtgjson_prices_file(services)
    prices = _conditional(services, fetcher, "mtgjson", MTGJSON_BASE + name, name)
    if prices is None:
        return None
    return _with_validators(services, prices, lambda: imports.import_mtgjson(services, prices.path, [identifiers]))


def collect_cardmarket(services: Services, fetcher: Fetcher) -> RunReport | None:
    download = _conditional(services, fetcher, "cardmarket", CARDMARKET_GUIDE, "price_guide_1.json")
    if download is None:
        return None
    return _with_validators(services, download, lambda: imports.import_cardmarket(services, download.path))


def collect_cardkingdom(services: Services, fetcher: Fetcher) -> RunReport | None:
    download = _conditional(services, fetcher, "cardkingdom", CARDKINGDOM_PRICELIST, "cardkingdom-pricelist.json")
    if download is None:
        return None
    unwrap_html(download.path)
    return _with_validators(services, download, lambda: imports.import_cardkingdom(services, download.path))


def collect_tcgplayer(services: Services, fetcher: Fetcher) -> RunReport | None:
    """SKU prices (condition, language, printing) of every catalogued TCGplayer product."""
    settings = services.settings
    if not (settings.tcgplayer_public_key and settings.tcgplayer_private_key):
        raise ValueError("TCGplayer needs TCGPLAYER_PUBLIC_KEY and TCGPLAYER_PRIVATE_KEY")
    client = tcgplayer.TcgplayerClient(fetcher, settings.tcgplayer_public_key, settings.tcgplayer_private_key)
    products = services.cards.tcgplayer_products()
    moment = datetime.now(UTC).replace(second=0, microsecond=0)
    return services.imports(tcgplayer.SOURCE, tcgplayer.read(client, products, moment), file_date=moment)


def _with_validators(services: Services, download: Download, run: Callable[[], RunReport]) -> RunReport:
    """Import, then keep the response's validators on the run for the next conditional GET."""
    report = run()
    services.runs.set_validators(report.run_id, download.etag, download.last_modified)
    return report


def _forget(download: Download) -> None:
    """Scryfall files are named by date: keep only the newest one on disk."""
    for old in download.path.parent.glob("default-cards-*"):
        if old != download.path:
            old.unlink(missing_ok=True)


def unwrap_html(path: Path) -> None:
    """Card Kingdom sometimes wraps its JSON in <html><head></head><body>...</body></html>:
    cut the wrapper off, streaming, whatever the file size."""
    with open(path, "rb") as handle:
        head = handle.read(4096)
        if not head.lstrip().lower().startswith(b"<html"):
            return
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 4096))
        tail = handle.read()
        if b"{" not in head or b"}" not in tail:
            raise MalformedInput(f"{path}: not a Card Kingdom price list (an HTML page without JSON)")
        start = head.index(b"{")
        end = size - len(tail) + tail.rindex(b"}") + 1
        if end <= start:
            raise MalformedInput(f"{path}: not a Card Kingdom price list (an HTML page without JSON)")
        handle.seek(start)
        with open(path.with_name(path.name + ".json"), "wb") as out:
            remaining = end - start
            while remaining:
                chunk = handle.read(min(1 << 20, remaining))
                if not chunk:  # the file shrank under us
                    raise MalformedInput(f"{path}: changed while being unwrapped")
                out.write(chunk)
                remaining -= len(chunk)
    shutil.move(path.with_name(path.name + ".json"), path)


COLLECTORS: dict[str, Callable[[Services, Fetcher], RunReport | None]] = {
    "scryfall": collect_scryfall,
    "mtgjson": collect_mtgjson,
    "cardmarket": collect_cardmarket,
    "cardkingdom": collect_cardkingdom,
    "tcgplayer": collect_tcgplayer,
}


def collect(services: Services, source: str, fetcher: Fetcher | None = None) -> RunReport | None:
    """Download and import one source now; None when its file had not changed."""
    if source not in COLLECTORS:
        raise ValueError(f"unknown source {source!r}; use one of {', '.join(COLLECTORS)}")
    own = fetcher is None
    fetcher = fetcher or Fetcher(services.settings.data_dir / "downloads" / source)
    try:
        return COLLECTORS[source](services, fetcher)
    finally:
        if own:
            fetcher.close()
