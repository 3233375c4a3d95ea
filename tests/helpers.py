"""Small builders shared by the tests."""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from decimal import Decimal

import psutil

from app.bootstrap import Services
from data.domain import Condition, Finish, Language, Marketplace, MarketplaceKind, PriceSnapshot
from workers.sources.scryfall import parse_card

T0 = datetime(2025, 11, 1, 12, 0, tzinfo=UTC)


def add_marketplaces(services: Services) -> dict[str, int]:
    return {
        m.slug: services.marketplaces.ensure(m)
        for m in (
            Marketplace("tcgplayer", "TCGplayer", "USD"),
            Marketplace("cardmarket", "Cardmarket", "EUR"),
            Marketplace("cardkingdom-buylist", "Card Kingdom buylist", "USD", MarketplaceKind.BUYLIST),
        )
    }


def add_cards(services: Services, objects: list[dict], count: int | None = None) -> dict[str, int]:
    """Real Scryfall printings into the catalog; returns scryfall id -> card id."""
    return services.cards.upsert_many(parse_card(obj) for obj in objects[:count])


def snap(
    card_id: int,
    marketplace_id: int,
    price: str,
    time: datetime = T0,
    currency: str = "USD",
    condition: Condition = Condition.NEAR_MINT,
    language: Language = Language.ENGLISH,
    finish: Finish = Finish.NONFOIL,
    **tiers: object,
) -> PriceSnapshot:
    return PriceSnapshot(
        time=time,
        card_id=card_id,
        marketplace_id=marketplace_id,
        price=Decimal(price),
        currency=currency,
        condition=condition,
        language=language,
        finish=finish,
        **{k: (Decimal(v) if isinstance(v, str) else v) for k, v in tiers.items()},
    )


def watch_peak_rss(process: subprocess.Popen, every: float = 0.02) -> float:
    """A child's own peak resident memory in MB, sampled until it exits. (getrusage's
    RUSAGE_CHILDREN would also count the parent's pages the child held before exec.)"""
    watched, peak = psutil.Process(process.pid), 0
    while process.poll() is None:
        try:
            peak = max(peak, watched.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(every)
    return peak / 2**20
