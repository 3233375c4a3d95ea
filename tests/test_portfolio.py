"""Lots, sales and the portfolio on the real fixtures (Scryfall sample + MTGJSON price sample): exact
values to the cent per currency on each basis, the Near Mint fallback and honest "no price", cost
basis, unrealized and realized P&L, movers, value over time, all-or-nothing writes and isolation."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import text

from data.domain import Condition, Finish, Language, NotFound, UnknownReference
from data.holdings import InvalidLot, NewLot, NotEnoughCopies
from data.repositories.lots import LotRepository
from data.repositories.portfolio import PortfolioRepository
from data.use_cases.portfolio import PortfolioQueries
from tests.conftest import FIXTURES
from tests.helpers import snap
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # MID 44: tcgplayer 0.35 (0.37 a day before), foil 0.74
DELUGE = "dc00fd1b-3dd9-492a-9ed4-0b6743074730"  # MID 62: tcgplayer 0.17, cardmarket 0.37 EUR
D = Decimal


def add_user(services) -> int:
    with services.engine.begin() as conn:
        return conn.execute(
            text("INSERT INTO users (email, password_hash) VALUES (:email, 'x') RETURNING id"),
            {"email": f"{uuid.uuid4().hex}@example.com"},
        ).scalar_one()


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    return services


@pytest.fixture
def lots(loaded) -> LotRepository:
    return LotRepository(loaded.engine)


@pytest.fixture
def portfolio(loaded) -> PortfolioQueries:
    return PortfolioQueries(PortfolioRepository(loaded.engine))


@pytest.fixture
def cards(loaded) -> dict[str, int]:
    return {
        "consider": loaded.cards.get_by_scryfall_id(CONSIDER).id,
        "deluge": loaded.cards.get_by_scryfall_id(DELUGE).id,
    }


@pytest.fixture
def holding(loaded, lots, cards) -> tuple[int, list[int]]:
    """User A's five lots; Memory Deluge gets a Lightly Played TCGplayer price of its own (0.10, then 0.12)."""
    tcgplayer = loaded.marketplaces.by_slug("tcgplayer").id
    loaded.ingest(
        [
            snap(
                cards["deluge"],
                tcgplayer,
                "0.10",
                datetime(2025, 11, 2, tzinfo=UTC),
                condition=Condition.LIGHTLY_PLAYED,
            ),
            snap(
                cards["deluge"],
                tcgplayer,
                "0.12",
                datetime(2025, 11, 3, tzinfo=UTC),
                condition=Condition.LIGHTLY_PLAYED,
            ),
        ]
    )
    user = add_user(loaded)
    ids = lots.add_many(
        user,
        [
            NewLot(cards["consider"], 4, acquired_price=D("0.25"), currency="USD", acquired_on=date(2025, 10, 1)),
            NewLot(cards["consider"], 2, Finish.FOIL, Condition.LIGHTLY_PLAYED, acquired_price=D("1.00")),
            NewLot(cards["deluge"], 3),  # unknown cost
            NewLot(cards["consider"], 1, language=Language.JAPANESE, acquired_price=D("5.00"), currency="EUR"),
            NewLot(cards["deluge"], 10, condition=Condition.LIGHTLY_PLAYED, acquired_price=D("0.10"), currency="EUR"),
        ],
    )
    return user, ids


def test_value_cost_and_unrealized_on_tcgplayer(portfolio, holding):
    user, ids = holding
    summary = portfolio.summary(user, "tcgplayer")
    # 4 x 0.35 + 2 x 0.74 (LP foil: no LP price, Near Mint's) + 3 x 0.17 + 10 x 0.12 (its own LP price)
    assert summary["value"] == {"USD": {"amount": D("4.59"), "lots": 4, "copies": 19, "fallbacks": 1}}
    assert summary["unpriced"]["lots"] == 1 and summary["unpriced"]["copies"] == 1
    assert [(lot["id"], lot["name"], lot["language"]) for lot in summary["unpriced"]["named"]] == [
        (ids[3], "Consider", "Japanese")
    ]
    assert summary["cost"] == {
        "EUR": {"amount": D("6.00"), "lots": 2, "copies": 11},
        "USD": {"amount": D("3.00"), "lots": 2, "copies": 6},
    }
    assert summary["unknown_cost"] == {"lots": 1, "copies": 3}
    # Only the USD-bought lots with a price: 1.40 + 1.48 against 1.00 + 2.00.
    assert summary["unrealized"] == {
        "USD": {"value": D("2.88"), "cost": D("3.00"), "pnl": D("-0.12"), "lots": 2, "copies": 6}
    }
    assert summary["realized"] == {}
    assert portfolio.value(user, "tcgplayer") == {
        "basis": "tcgplayer",
        "value": summary["value"],
        "unpriced": {"lots": 1, "copies": 1},
    }


def test_value_on_cardmarket_and_buylist(portfolio, holding):
    user, _ = holding
    cardmarket = portfolio.summary(user, "cardmarket")
    # 4 x 0.52 + 2 x 1.55 (foil NM) + 3 x 0.37 + 10 x 0.37 (no LP price on Cardmarket: NM's)
    assert cardmarket["value"] == {"EUR": {"amount": D("9.99"), "lots": 4, "copies": 19, "fallbacks": 2}}
    # The EUR-bought Deluge: 3.70 against 1.00; the Japanese Consider has no price anywhere.
    assert cardmarket["unrealized"] == {
        "EUR": {"value": D("3.70"), "cost": D("1.00"), "pnl": D("2.70"), "lots": 1, "copies": 10}
    }
    buylist = portfolio.summary(user, "cardkingdom_buylist")
    assert buylist["value"] == {"USD": {"amount": D("0.40"), "lots": 1, "copies": 4, "fallbacks": 0}}
    assert buylist["unpriced"]["lots"] == 4 and buylist["unpriced"]["copies"] == 16
    assert buylist["unrealized"]["USD"]["pnl"] == D("-0.60")


def test_lot_values_mark_the_fallback_and_the_missing(portfolio, holding):
    user, ids = holding
    rows = {row["id"]: row for row in portfolio.lots(user, "tcgplayer")}
    assert (rows[ids[1]]["unit_price"], rows[ids[1]]["value"], rows[ids[1]]["fallback"]) == (D("0.74"), D("1.48"), True)
    assert rows[ids[1]]["priced_condition"] == "NEAR_MINT" and rows[ids[1]]["pnl"] == D("-0.52")
    assert (rows[ids[4]]["unit_price"], rows[ids[4]]["fallback"], rows[ids[4]]["pnl"]) == (D("0.12"), False, None)
    assert (rows[ids[3]]["unit_price"], rows[ids[3]]["value"], rows[ids[3]]["pnl"]) == (None, None, None)
    assert rows[ids[2]]["pnl"] is None  # unknown cost


def test_an_empty_collection_and_an_unknown_basis(loaded, portfolio):
    user = add_user(loaded)
    summary = portfolio.summary(user, "cardmarket")
    assert (summary["value"], summary["cost"], summary["unrealized"], summary["realized"]) == ({}, {}, {}, {})
    assert summary["unpriced"] == {"lots": 0, "copies": 0, "named": []}
    with pytest.raises(ValueError, match="unknown price basis"):
        portfolio.summary(user, "ebay")


def test_sales_record_realized_pnl_and_shrink_or_remove_the_lot(lots, portfolio, holding):
    user, ids = holding
    sale = lots.sell(user, ids[0], 1, D("0.50"), "USD", date(2025, 11, 4))
    assert (sale["remaining"], sale["cost"]) == (3, D("0.25"))
    assert lots.get(user, ids[0]).quantity == 3
    lots.sell(user, ids[3], 1, D("7.50"), "EUR", date(2025, 11, 4))  # the whole lot: it goes
    with pytest.raises(NotFound):
        lots.get(user, ids[3])
    lots.sell(user, ids[4], 4, D("0.20"), "USD", date(2025, 11, 5))  # bought in EUR: cost unknown in USD
    assert portfolio.realized(user) == {
        "EUR": {"sales": 1, "copies": 1, "proceeds": D("7.50"), "pnl": D("2.50"), "unknown_cost": 0},
        "USD": {"sales": 2, "copies": 5, "proceeds": D("1.30"), "pnl": D("0.25"), "unknown_cost": 1},
    }
    assert [(s["lot_id"], s["quantity"], s["cost"]) for s in lots.sales(user)] == [
        (ids[0], 1, D("0.25")),
        (None, 1, D("5.00")),  # its lot is gone; the sale stays
        (ids[4], 4, None),
    ]
    value = portfolio.value(user, "tcgplayer")["value"]["USD"]
    assert (value["amount"], value["copies"]) == (D("3.76"), 14)  # 3 x 0.35 + 1.48 + 0.51 + 6 x 0.12


def test_a_sale_beyond_the_lot_or_with_bad_values_changes_nothing(lots, holding):
    user, ids = holding
    with pytest.raises(NotEnoughCopies, match="holds 4"):
        lots.sell(user, ids[0], 5, D("1.00"), "USD", date(2025, 11, 4))
    for quantity, price, currency, sold_on in (
        (0, D("1.00"), "USD", date(2025, 11, 4)),
        (1, D("-1.00"), "USD", date(2025, 11, 4)),
        (1, D("1.001"), "USD", date(2025, 11, 4)),
        (1, D("1.00"), "usd", date(2025, 11, 4)),
        (1, D("1.00"), "USD", None),
        (1, D("1.00"), "USD", date(2999, 1, 1)),
    ):
        with pytest.raises(InvalidLot):
            lots.sell(user, ids[0], quantity, price, currency, sold_on)
    assert lots.get(user, ids[0]).quantity == 4 and lots.sales(user) == []


def test_another_users_lot_is_not_found(loaded, lots, holding):
    owner, ids = holding
    other = add_user(loaded)
    before = lots.get(owner, ids[0])
    for call in (
        lambda: lots.get(other, ids[0]),
        lambda: lots.update(other, ids[0], {"quantity": 1}),
        lambda: lots.update(other, ids[0], {}),
        lambda: lots.delete(other, ids[0]),
        lambda: lots.sell(other, ids[0], 1, D("1.00"), "USD", date(2025, 11, 4)),
        lambda: lots.get(owner, 2**31),
        lambda: lots.get(owner, "1"),
    ):
        with pytest.raises(NotFound):
            call()
    assert lots.get(owner, ids[0]) == before
    assert lots.list(other) == [] and lots.sales(other) == [] and lots.sales(owner) == []


def test_update_checks_each_change(lots, holding):
    user, ids = holding
    lot = lots.update(
        user,
        ids[2],
        {"quantity": 5, "condition": Condition.MODERATELY_PLAYED, "acquired_price": D("0.30"), "notes": "trade"},
    )
    assert (lot.quantity, lot.condition, lot.acquired_price, lot.currency, lot.notes) == (
        5,
        Condition.MODERATELY_PLAYED,
        D("0.30"),
        "USD",
        "trade",
    )
    for changes in (
        {"quantity": 0},
        {"card_id": 1},
        {"colour": "blue"},
        {"finish": "shiny"},
        {"acquired_price": D("0.001")},
        {"currency": "EURO"},
        {"notes": "x" * 2001},
        {"acquired_on": date(2999, 1, 1)},
    ):
        with pytest.raises(InvalidLot):
            lots.update(user, ids[2], changes)
    assert lots.get(user, ids[2]) == lot
    lots.delete(user, ids[2])
    with pytest.raises(NotFound):
        lots.delete(user, ids[2])


def test_add_many_is_all_or_nothing(loaded, lots, cards):
    user = add_user(loaded)
    good = NewLot(cards["consider"], 1)
    with pytest.raises(UnknownReference, match="999999"):
        lots.add_many(user, [good, good, NewLot(999999, 1), good])
    with pytest.raises(InvalidLot, match="lot 2: quantity"):
        lots.add_many(user, [good, NewLot(cards["consider"], 0), good])
    with pytest.raises(NotFound):
        lots.add_many(987654, [good])
    assert lots.list(user) == []
    assert lots.add_many(user, []) == []


def test_movers_over_a_day(portfolio, holding):
    user, _ = holding
    movers = portfolio.movers(user, "tcgplayer", "24h")
    # Deluge LP: 10 x (0.12 - 0.10); Consider: 4 x (0.35 - 0.37). Unchanged variants are left out.
    assert [
        (m["name"], m["condition"], m["price"], m["before"], m["change"], m["change_pct"]) for m in movers["gainers"]
    ] == [("Memory Deluge", "LIGHTLY_PLAYED", D("0.12"), D("0.10"), D("0.20"), D("20.00"))]
    assert [(m["name"], m["quantity"], m["change"], m["change_pct"]) for m in movers["losers"]] == [
        ("Consider", 4, D("-0.08"), D("-5.41"))
    ]
    cardmarket = portfolio.movers(user, "cardmarket", "24h")
    assert [(m["name"], m["change"], m["change_pct"]) for m in cardmarket["gainers"]] == [
        ("Consider", D("0.08"), D("4.00"))
    ]
    assert portfolio.movers(user, "tcgplayer", "7d") == {
        "basis": "tcgplayer",
        "period": "7d",
        "gainers": [],
        "losers": [],
    }


def test_value_over_time_is_daily_and_carries_prices_forward(portfolio, holding):
    user, _ = holding
    history = portfolio.history(user, "tcgplayer", days=3)
    assert (history["start"], history["end"]) == (date(2025, 11, 1), date(2025, 11, 3))
    # Day means per held variant: Consider 0.36 / 0.37 / 0.35 (x4), Consider foil 0.74 (x2, carried),
    # Deluge 0.17 (x3, carried over Nov 2), Deluge LP 0.10 / 0.12 (x10, from Nov 2).
    assert history["series"] == {
        "USD": [
            {"day": date(2025, 11, 1), "value": D("3.43"), "variants": 3},
            {"day": date(2025, 11, 2), "value": D("4.47"), "variants": 4},
            {"day": date(2025, 11, 3), "value": D("4.59"), "variants": 4},  # the value now,
        ]
    }
    assert portfolio.history(user, "cardkingdom_buylist", days=1)["series"] == {
        "USD": [{"day": date(2025, 11, 3), "value": D("0.40"), "variants": 1}]
    }
    with pytest.raises(ValueError):
        portfolio.history(user, "tcgplayer", days=0)
