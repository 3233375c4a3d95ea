"""Small builders shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

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
