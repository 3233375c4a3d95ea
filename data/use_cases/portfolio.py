"""What a user's collection is worth, what it cost, and how it moved, on the price basis the user picks.

Bases (marketplace slug, and the tier each source writes as that marketplace's `price`):
- "tcgplayer": TCGplayer's market price (MTGJSON and Scryfall carry it as the price; the TCGplayer
  API's market price, falling back to its lowest listing only where TCGplayer states no market price);
- "cardmarket": Cardmarket's trend price (EUR);
- "cardkingdom_buylist": what Card Kingdom pays (the "cardkingdom-buylist" marketplace), a liquidation value.

Money is exact (Decimal) and to the cent; amounts in different currencies are never added together.
Nothing here is cached: a portfolio changes with each lot edit and each price landing, and the
value of 10,000 lots is one set-based statement (bench/portfolio.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from data.repositories.portfolio import PortfolioRepository

BASES: dict[str, tuple[str, str]] = {
    "tcgplayer": ("tcgplayer", "TCGplayer market price"),
    "cardmarket": ("cardmarket", "Cardmarket trend"),
    "cardkingdom_buylist": ("cardkingdom-buylist", "Card Kingdom buylist"),
}
UNPRICED_NAMED = 50  # lots without a price named in a summary (all are counted)
MAX_HISTORY_DAYS = 365
CARRY_DAYS = 9  # a price this many days before the first day carries into it (latest_prices' horizon too)
ZERO = Decimal("0.00")


def basis_slug(basis: str) -> str:
    try:
        return BASES[basis][0]
    except (KeyError, TypeError):
        raise ValueError(f"unknown price basis {basis!r:.40}; use one of {', '.join(BASES)}") from None


def _money(amount: Decimal | None) -> Decimal:
    return ZERO if amount is None else amount.quantize(Decimal("0.01"))


def _value(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`value` and `unpriced` from the totals (grouped by cost currency: added up here, exactly)."""
    value: dict[str, dict[str, Any]] = {}
    unpriced = {"lots": 0, "copies": 0}
    for row in rows:
        unpriced["lots"] += row["lots"] - row["priced_lots"]
        unpriced["copies"] += int(row["copies"]) - int(row["priced_copies"] or 0)
        if row["priced_lots"]:
            total = value.setdefault(row["currency"], {"amount": ZERO, "lots": 0, "copies": 0, "fallbacks": 0})
            total["amount"] += _money(row["value"])
            total["lots"] += row["priced_lots"]
            total["copies"] += int(row["priced_copies"])
            total["fallbacks"] += row["fallbacks"]
    return {"value": value, "unpriced": unpriced}


class PortfolioQueries:
    def __init__(self, portfolio: PortfolioRepository) -> None:
        self.portfolio = portfolio

    def summary(self, user_id: int, basis: str = "tcgplayer") -> dict[str, Any]:
        """Value now, cost basis, unrealized and realized P&L, each per currency:
        - `value`: {currency: {amount, lots, copies, fallbacks}}, the lots with a price (fallbacks: priced
          at Near Mint because their condition had no price);
        - `unpriced`: {lots, copies, named}: lots with no price at all, counted and named (the first
          UNPRICED_NAMED by name), never valued at zero;
        - `cost`: {currency: {amount, lots, copies}} of the lots with a known cost, and `unknown_cost`
          {lots, copies};
        - `unrealized`: {currency: {value, cost, pnl, lots, copies}} over the lots with a price and a
          cost in the same currency;
        - `realized`: see `realized`."""
        slug = basis_slug(basis)
        rows = self.portfolio.totals(user_id, slug)
        summary = {"basis": basis, "basis_name": BASES[basis][1], **_value(rows)}
        summary["unknown_cost"] = {"lots": 0, "copies": 0}
        summary["cost"], summary["unrealized"] = {}, {}
        for row in rows:
            unknown = summary["unknown_cost"]
            unknown["lots"] += row["lots"] - row["cost_lots"]
            unknown["copies"] += int(row["copies"]) - int(row["cost_copies"] or 0)
            if row["cost_lots"]:
                summary["cost"][row["cost_currency"]] = {
                    "amount": _money(row["cost"]),
                    "lots": row["cost_lots"],
                    "copies": int(row["cost_copies"]),
                }
            if row["comparable_lots"]:
                value, cost = _money(row["comparable_value"]), _money(row["comparable_cost"])
                summary["unrealized"][row["currency"]] = {
                    "value": value,
                    "cost": cost,
                    "pnl": value - cost,
                    "lots": row["comparable_lots"],
                    "copies": int(row["comparable_copies"]),
                }
        summary["unpriced"]["named"] = (
            self.portfolio.unpriced(user_id, slug, UNPRICED_NAMED) if summary["unpriced"]["lots"] else []
        )
        summary["realized"] = self.realized(user_id)
        return summary

    def value(self, user_id: int, basis: str = "tcgplayer") -> dict[str, Any]:
        """Only the value now (`value` and the `unpriced` counts of `summary`): one statement."""
        return {"basis": basis, **_value(self.portfolio.value(user_id, basis_slug(basis)))}

    def realized(self, user_id: int) -> dict[str, dict[str, Any]]:
        """Per sale currency: `proceeds` of all sales, `pnl` (proceeds minus cost) of the sales whose
        cost is known, and `unknown_cost`, the sales without one (a lot of unknown cost, or sold in
        another currency than it was bought in)."""
        return {
            row["currency"]: {
                "sales": row["sales"],
                "copies": int(row["copies"]),
                "proceeds": _money(row["proceeds"]),
                "pnl": _money(row["proceeds_with_cost"]) - _money(row["cost"]),
                "unknown_cost": row["unknown_cost"],
            }
            for row in self.portfolio.realized(user_id)
        }

    def lots(self, user_id: int, basis: str = "tcgplayer") -> list[dict[str, Any]]:
        """Every lot with its printing, unit price and value on the basis (None: no price), whether the
        price is the Near Mint fallback, its cost, and its unrealized P&L (None unless both are known in
        the same currency)."""
        rows = self.portfolio.lot_values(user_id, basis_slug(basis))
        for row in rows:
            known = row["value"] is not None and row["acquired_price"] is not None
            same = row["cost_currency"] == row["currency"]
            row["pnl"] = row["value"] - row["acquired_price"] * row["quantity"] if known and same else None
        return rows

    def movers(self, user_id: int, basis: str = "tcgplayer", period: str = "24h", limit: int = 10) -> dict[str, Any]:
        """The held variants that moved the collection most over `period` ('24h' or '7d'): `gainers` and
        `losers`, each by money change (quantity x price change), with the percent change."""
        if period not in ("24h", "7d"):
            raise ValueError(f"unknown period {period!r:.20}; use 24h or 7d")
        limit = max(1, min(int(limit), 50))
        rows = self.portfolio.movers(user_id, basis_slug(basis), period, limit)
        return {
            "basis": basis,
            "period": period,
            "gainers": [row for row in rows if row["change"] > 0],
            "losers": sorted(
                (row for row in rows if row["change"] < 0), key=lambda row: (row["change"], row["card_id"])
            ),
        }

    def history(self, user_id: int, basis: str = "tcgplayer", days: int = 90) -> dict[str, Any]:
        """The value of today's held quantities on each of the last `days` days up to the newest price,
        per currency: `series` {currency: [{day, value, variants}]}, every day present (a day without a
        new price keeps the day before's prices). Lots with no price now are left out, as in `value`."""
        if type(days) is not int or not 1 <= days <= MAX_HISTORY_DAYS:
            raise ValueError(f"days must be a whole number from 1 to {MAX_HISTORY_DAYS}")
        rows = self.portfolio.value_history(user_id, basis_slug(basis), days, CARRY_DAYS)
        series: dict[str, list[dict[str, Any]]] = {}
        if not rows:
            return {"basis": basis, "days": days, "start": None, "end": None, "series": series}
        stop: date = rows[0]["stop"]
        first = stop - timedelta(days=days)
        by_currency: dict[str, dict[date, dict[str, Any]]] = {}
        for row in rows:
            by_currency.setdefault(row["currency"], {})[row["day"]] = row
        for currency, points in by_currency.items():
            carried = None
            line = []
            for offset in range(-CARRY_DAYS, days):
                day = first + timedelta(days=offset)
                carried = points.get(day, carried)
                if day >= first and carried is not None:
                    line.append({"day": day, "value": _money(carried["value"]), "variants": int(carried["variants"])})
            series[currency] = line
        return {"basis": basis, "days": days, "start": first, "end": stop - timedelta(days=1), "series": series}
