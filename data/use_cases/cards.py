"""What the card pages ask: a printing, its latest prices, its history, a search."""

from __future__ import annotations

import time
import unicodedata
from dataclasses import asdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from data.cache import CacheRepository
from data.domain import (
    RANGES,
    Condition,
    Finish,
    Language,
    NotFound,
    Resolution,
    VariantFilter,
    card_history_resolution,
    parse_range,
)
from data.repositories.cards import CardRepository
from data.repositories.marketplaces import MarketplaceRepository
from data.repositories.outliers import OutlierRepository
from data.repositories.prices import PriceRepository
from data.use_cases.jsonable import plain

MARKETPLACES_TTL = 60.0
# Search text is cut here (a megabyte of it held PostgreSQL 12 s in the trigram match). The
# longest card name has 141 characters; any name's first 100 find it as a prefix, and the
# box keeps answering while a user pastes a whole name, where refusing would answer nothing.
MAX_SEARCH_CHARS = 100
VARIANT_KEYS = ("marketplace_id", "condition", "finish", "language", "currency")
PRINTING_KEYS = ("id", "name", "set_code", "set_name", "collector_number", "lang", "released_at")


def _part(value: Any, code: str | None = None) -> str:
    return "all" if value is None else (code or str(value))


def _percent(now: Decimal, before: Decimal | None) -> Decimal | None:
    return None if before in (None, 0) else round(100 * (now - before) / before, 2)


def _with_relations(latest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each variant's changes over time, and its price against NM and against English."""
    by_variant = {(r["marketplace_id"], r["condition"], r["finish"], r["language"]): r for r in latest}
    rows = []
    for row in latest:
        market, condition, finish, language = (row["marketplace_id"], row["condition"], row["finish"], row["language"])
        nm = by_variant.get((market, Condition.NEAR_MINT.value, finish, language))
        english = by_variant.get((market, condition, finish, Language.ENGLISH.value))
        rows.append(
            {
                **row,
                "change_24h": _percent(row["price"], row["price_24h"]),
                "change_7d": _percent(row["price"], row["price_7d"]),
                "change_30d": _percent(row["price"], row["price_30d"]),
                "vs_near_mint": None if nm is None or nm is row else _percent(row["price"], nm["price"]),
                "vs_english": None if english is None or english is row else _percent(row["price"], english["price"]),
            }
        )
    return rows


def mark_outliers(series: list[dict[str, Any]], flags: list[dict[str, Any]], resolution: Resolution) -> None:
    """Give each series a `flags` column beside `time`: None, or the flagged hourly price inside that
    point ({"hour", "price", "median"}). A point of a bucket holds the flagged hours in its bucket; a
    raw or 30-minute point is flagged when its hour is."""
    hour = timedelta(hours=1)
    by_variant: dict[tuple, list[dict[str, Any]]] = {}
    for flag in flags:
        by_variant.setdefault(tuple(str(flag[key]) for key in VARIANT_KEYS), []).append(flag)
    width = resolution.value if resolution.value is not None and resolution.value >= hour else None
    for line in series:
        mine = by_variant.get(tuple(str(line[key]) for key in VARIANT_KEYS), [])
        if not mine:  # the usual case: no point to look up
            line["flags"] = [None] * len(line["time"])
            continue
        marks: list[dict[str, Any] | None] = []
        for moment in line["time"]:
            point = datetime.fromisoformat(moment)
            found = next(
                (
                    flag
                    for flag in mine
                    if (point <= flag["time"] < point + width if width else flag["time"] <= point < flag["time"] + hour)
                ),
                None,
            )
            marks.append(
                None
                if found is None
                else {"hour": plain(found["time"]), "price": plain(found["price"]), "median": plain(found["median"])}
            )
        line["flags"] = marks


def line_points(series: list[dict[str, Any]]) -> int:
    """The most prices any one series holds: a chart draws a line only from two."""
    return max((sum(price is not None for price in s["price"]) for s in series), default=0)


def wider_ranges(range_name: str) -> list[str]:
    """The ranges longer than `range_name`, nearest first."""
    names = list(RANGES)
    return names[names.index(range_name) + 1 :]


def spreads(series: list[dict[str, Any]], marketplaces: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Retail minus buylist of the same shop and variant, at the times both have a price."""
    slugs = {key: market["slug"] for key, market in marketplaces.items()}
    by_key = {
        (slugs.get(str(s["marketplace_id"])), s["condition"], s["finish"], s["language"], s["currency"]): s
        for s in series
    }
    out = []
    for (slug, *variant), buylist in by_key.items():
        if not slug or not slug.endswith("-buylist"):
            continue
        retail = by_key.get((slug.removesuffix("-buylist"), *variant))
        if retail is None:
            continue
        bought = dict(zip(buylist["time"], buylist["price"], strict=True))
        times, values, percents = [], [], []
        for moment, price in zip(retail["time"], retail["price"], strict=True):
            if bought.get(moment) is not None and price is not None:
                sell, buy = Decimal(price), Decimal(bought[moment])
                times.append(moment)
                values.append(str(sell - buy))
                percents.append(None if sell == 0 else str(round(100 * (sell - buy) / sell, 2)))
        if times:
            out.append(
                {
                    "retail_id": retail["marketplace_id"],
                    "buylist_id": buylist["marketplace_id"],
                    "condition": retail["condition"],
                    "finish": retail["finish"],
                    "language": retail["language"],
                    "currency": retail["currency"],
                    "time": times,
                    "spread": values,
                    "spread_pct": percents,
                }
            )
    return out


class CardQueries:
    def __init__(
        self,
        cards: CardRepository,
        prices: PriceRepository,
        marketplaces: MarketplaceRepository,
        cache: CacheRepository,
        outliers: OutlierRepository,
    ) -> None:
        self.cards = cards
        self.prices = prices
        self.marketplaces = marketplaces
        self.cache = cache
        self.outliers = outliers
        self._marketplaces: tuple[float, dict[str, dict[str, Any]]] | None = None

    def exists(self, card_id: int) -> bool:
        return self.cards.get(card_id) is not None

    def detail(self, card_id: int) -> dict[str, Any]:
        """The printing, the marketplaces, and the newest price of each variant with its 24h,
        7d and 30d change, its condition discount against Near Mint and its language premium
        against English (same marketplace, finish and the other dimension). Raises NotFound."""

        def compute() -> dict[str, Any]:
            card = self.cards.get(card_id)
            if card is None:
                raise NotFound(f"no card with id {card_id}")
            latest = self.prices.latest(card_id)
            return {
                "card": plain(asdict(card)),
                "marketplaces": self.marketplace_names(),
                "latest": [plain(row) for row in _with_relations(latest)],
            }

        return self.cache.get_or_compute(("card", card_id, "detail"), compute)

    def history(
        self,
        card_id: int,
        range_name: str = "30d",
        condition: Condition | None = None,
        language: Language | None = None,
        finish: Finish | None = None,
        marketplace_id: int | None = None,
    ) -> dict[str, Any]:
        """One series per variant over the range, read at the resolution the range needs, with
        each point's flagged outlier price, if any (`mark_outliers`).

        The range ends at the card's newest data (`asof`), so an old import still charts."""
        span = parse_range(range_name).span
        resolution = card_history_resolution(span)
        variants = VariantFilter(marketplace_id, condition, language, finish)
        key = (
            "card",
            card_id,
            "history",
            range_name,
            _part(condition, condition and condition.code),
            _part(language, language and language.code),
            _part(finish),
            _part(marketplace_id),
        )

        def compute() -> dict[str, Any]:
            asof, series = self.prices.newest_history(card_id, span, resolution, variants)
            if asof is None and self.cards.get(card_id) is None:
                raise NotFound(f"no card with id {card_id}")
            start = asof - span if asof is not None and span is not None else None
            if series:
                # Flags of the hours the range's first point may cover too.
                first = start - timedelta(days=1) if start is not None else None
                mark_outliers(series, self.outliers.for_card(card_id, first, asof), resolution)
            return {
                "card_id": card_id,
                "range": range_name,
                "resolution": resolution.name,
                "start": plain(start),
                "asof": plain(asof),
                "series": series,
                "spreads": spreads(series, self.marketplace_names()),
            }

        return self.cache.get_or_compute(key, compute)

    def sparse(
        self,
        card_id: int,
        range_name: str,
        currency: str,
        condition: Condition | None = None,
        language: Language | None = None,
        finish: Finish | None = None,
        marketplace_id: int | None = None,
        drawn: dict[str, Any] | None = None,
    ) -> dict[str, Any] | None:
        """None when the range's chart in `currency` has a line (a series with two prices or more).
        Else what it has: `points` (0 or 1), the card's data end `asof`, and `wider`, the nearest
        longer range whose chart has a line (None if none has). Each range's history is one cached read;
        `drawn`, the range's history when the caller holds it already, spares that read."""

        def points(name: str) -> tuple[int, str | None]:
            history = (
                drawn
                if drawn is not None and name == range_name
                else self.history(card_id, name, condition, language, finish, marketplace_id)
            )
            return line_points([s for s in history["series"] if s["currency"] == currency]), history["asof"]

        count, asof = points(range_name)
        if count >= 2:
            return None
        wider = next((name for name in wider_ranges(range_name) if points(name)[0] >= 2), None)
        return {"range": range_name, "points": count, "asof": asof, "wider": wider}

    def marketplace_names(self) -> dict[str, dict[str, Any]]:
        """Every marketplace by id (as a string key), for labelling series. Kept a minute in
        the process: the list changes only when a new source first reports."""
        now = time.monotonic()
        if self._marketplaces is None or now - self._marketplaces[0] > MARKETPLACES_TTL:
            self._marketplaces = (now, {str(m.id): plain(asdict(m)) for m in self.marketplaces.all()})
        return self._marketplaces[1]

    def printings(self, card: dict[str, Any]) -> list[dict[str, Any]]:
        """Every printing of `card` (a detail's card: the same oracle id), English first, then newest,
        each with its headline latest price (see CardRepository.printings); just `card` when it has no
        oracle id. Not cached: one indexed read, and the other printings' prices move on their own."""
        if not card.get("oracle_id"):
            alone = {key: card.get(key) for key in PRINTING_KEYS}
            return [plain({**alone, "price": None, "currency": None, "time": None, "marketplace": None})]
        return [plain(row) for row in self.cards.printings(card["oracle_id"])]

    def summary(self, card_id: int) -> dict[str, Any] | None:
        """What a link preview of the card page says: the printing (`card`) and its headline latest
        price (`price`, `currency`, `time`, `marketplace`, all None without one); None for no such card."""
        try:
            card = self.detail(card_id)["card"]
        except NotFound:
            return None
        mine = next((p for p in self.printings(card) if p["id"] == card_id), {})
        return {"card": card, **{key: mine.get(key) for key in ("price", "currency", "time", "marketplace")}}

    def search(self, query: str, limit: int = 20) -> list[dict[str, Any]]:
        """Printings whose name has each typed word at the start of one of its words, accents, case
        and punctuation aside, or that are close to the text (typos); best match first, then the
        English printing, then the newest (CardRepository.search). Not cached: it is an index hit.

        The text is cleaned first (see `search_text`); a limit is kept between 1 and 50."""
        needle = search_text(query)
        if not needle:
            return []
        return [plain(asdict(card)) for card in self.cards.search(needle, max(1, min(limit, 50)))]


def search_text(query: str) -> str:
    """Search text as the database can take it: control characters (a NUL makes psycopg raise)
    and lone surrogates (not UTF-8) become spaces; at most MAX_SEARCH_CHARS characters."""
    if not isinstance(query, str):
        return ""
    head = query[: 4 * MAX_SEARCH_CHARS]  # room for whitespace that collapses; never walk a megabyte
    kept = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in head)
    return " ".join(kept.split())[:MAX_SEARCH_CHARS]
