"""Marketplaces: where a price was seen (a retail shop or a buylist)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from data.domain import Marketplace, MarketplaceKind


def _to_marketplace(row: Any) -> Marketplace:
    return Marketplace(id=row.id, slug=row.slug, name=row.name, currency=row.currency, kind=MarketplaceKind(row.kind))


class MarketplaceRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def ensure(self, marketplace: Marketplace) -> int:
        """Create the marketplace if its slug is new (or refresh its name); return its id."""
        with self.engine.begin() as conn:
            return conn.execute(
                text(
                    """
                    INSERT INTO marketplaces (slug, name, currency, kind)
                    VALUES (:slug, :name, :currency, CAST(:kind AS marketplace_kind))
                    ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name
                    RETURNING id
                    """
                ),
                {
                    "slug": marketplace.slug,
                    "name": marketplace.name,
                    "currency": marketplace.currency,
                    "kind": marketplace.kind.value,
                },
            ).scalar_one()

    def all(self) -> list[Marketplace]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT id, slug, name, currency, kind FROM marketplaces ORDER BY id"))
            return [_to_marketplace(row) for row in rows]

    def by_slug(self, slug: str) -> Marketplace | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT id, slug, name, currency, kind FROM marketplaces WHERE slug = :slug"),
                {"slug": slug},
            ).first()
        return _to_marketplace(row) if row else None
