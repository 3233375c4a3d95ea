"""Use cases with exact numbers: index, overview, movers, volume by format, card history."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from data.domain import Condition, Finish, NotFound
from tests.helpers import T0, add_cards, add_marketplaces, snap


@pytest.fixture
def market(services, scryfall_objects):
    """Three real printings priced on TCGplayer two days and a week apart."""
    markets = add_marketplaces(services)
    objects = [o for o in scryfall_objects if o["legalities"].get("modern") == "legal"][:2]
    objects.append(next(o for o in scryfall_objects if o["legalities"].get("modern") != "legal"))
    ids = list(add_cards(services, objects).values())
    tcg = markets["tcgplayer"]
    week_ago, day_ago, now = T0 - timedelta(days=7), T0 - timedelta(days=1), T0
    rows = [
        snap(ids[0], tcg, "10.00", week_ago, num_listings=5),
        snap(ids[0], tcg, "12.00", day_ago),
        snap(ids[0], tcg, "15.00", now, num_listings=7),
        snap(ids[1], tcg, "4.00", week_ago),
        snap(ids[1], tcg, "4.00", day_ago),
        snap(ids[1], tcg, "3.00", now, total_quantity=10),
        snap(ids[2], tcg, "0.50", day_ago),
        snap(ids[2], tcg, "0.25", now),
        snap(ids[0], tcg, "30.00", now, finish=Finish.FOIL),
        snap(ids[0], markets["cardmarket"], "9.00", now, currency="EUR"),
    ]
    services.ingest(rows)
    return {"ids": ids, "objects": objects, "markets": markets}


def test_average_price_uses_the_right_rollup_and_exact_means(services, market):
    daily = services.market_queries.index("1y")
    assert daily["resolution"] == "DAY"
    assert daily["price"] == ["7.0000", "5.5000", "12.0625"]  # (10+4)/2, (12+4+.5)/3, (15+3+.25+30)/4
    assert daily["samples"] == [2, 3, 4]
    nonfoil = services.market_queries.index("1y", finish=Finish.NONFOIL)
    assert nonfoil["price"][-1] == "6.0833"  # (15+3+.25)/3
    assert services.market_queries.index("30d")["resolution"] == "HOUR"
    week = services.market_queries.index("7d")
    assert week["resolution"] == "HOUR"  # the chained index's resolution: the two share one chart
    assert week["time"][0] >= week["start"]
    eur = services.market_queries.index("1y", currency="EUR")
    assert eur["price"] == ["9.0000"]
    assert services.market_queries.index("1y", condition=Condition.DAMAGED)["time"] == []


def test_overview_figures(services, market):
    overview = services.market_queries.overview("USD", "1y")
    assert overview["cards"] == 3
    assert overview["printings_tracked"] == 3
    assert overview["resolution"] == "DAY"
    # The chained index, not the mean: the week-ago day has cards 0 and 1 (10.00, 4.00); a day ago
    # both matched (12/10, 4/4) plus card 2 entering; now 15/12, 3/4, 0.25/0.5 (the foil enters).
    day = (Decimal("1.2") * 1) ** Decimal("0.5")
    now = (Decimal("1.25") * Decimal("0.75") * Decimal("0.5")) ** (Decimal(1) / 3)
    assert overview["level"] == str(round(100 * day * now, 2)) == "85.10"
    assert overview["level_1d_ago"] == str(round(100 * day, 2)) == "109.54"
    assert overview["change_7d"] == {"abs": "-14.90", "pct": "-14.90"}
    assert overview["change_1d"]["pct"] == "-22.32"
    hourly = services.market_queries.overview("USD", "30d")
    assert hourly["resolution"] == "HOUR" and hourly["level"] == "85.10"
    assert overview["listings"] == 7
    assert overview["last_bucket"].startswith("2025-11-01T12:00")


def test_top_movers_exact_and_filtered(services, market):
    ids = market["ids"]
    day = services.market_queries.movers("24h", min_price=Decimal("0"))
    gainers = [(m["card_id"], m["then_price"], m["price"], m["change_pct"]) for m in day["gainers"]]
    assert gainers == [(ids[0], "12.00", "15.00", "25.00")]
    losers = [(m["card_id"], m["change"], m["change_pct"]) for m in day["losers"]]
    assert losers == [(ids[2], "-0.25", "-50.00"), (ids[1], "-1.00", "-25.00")]
    no_bulk = services.market_queries.movers("24h", min_price=Decimal("1.00"))
    assert [m["card_id"] for m in no_bulk["losers"]] == [ids[1]]
    week = services.market_queries.movers("7d", min_price=Decimal("0"), legal_in="modern")
    assert [(m["card_id"], m["change_pct"]) for m in week["gainers"]] == [(ids[0], "50.00")]
    assert [(m["card_id"], m["change_pct"]) for m in week["losers"]] == [(ids[1], "-25.00")]
    with pytest.raises(ValueError, match="unknown period"):
        services.market_queries.movers("3w")


def test_volume_by_format(services, market):
    volume = {row["format"]: row for row in services.market_queries.volume_by_format("USD")}
    # latest day: card0 15.00 x 7 listings + foil 30.00 x 1, card1 3.00 x 10, card2 0.25 x 1
    modern = volume["modern"]
    assert modern["printings"] == 2
    assert modern["volume"] == "165.00"


def test_card_history_ranges_end_at_the_newest_data(services, market):
    card = market["ids"][0]
    history = services.card_queries.history(card, "24h")
    assert history["resolution"] == "RAW"
    assert history["asof"] == (T0 + timedelta(hours=1)).isoformat()
    series = {(s["marketplace_id"], s["finish"]): s for s in history["series"]}
    tcg = market["markets"]["tcgplayer"]
    assert series[(tcg, "nonfoil")]["price"] == ["15.00"]
    assert series[(tcg, "nonfoil")]["listings"] == [7]
    assert series[(tcg, "foil")]["price"] == ["30.00"]
    assert series[(market["markets"]["cardmarket"], "nonfoil")]["currency"] == "EUR"
    year = services.card_queries.history(card, "1y", finish=Finish.NONFOIL, marketplace_id=tcg)
    assert year["resolution"] == "DAY"
    assert [s["price"] for s in year["series"]] == [["10.0000", "12.0000", "15.0000"]]
    with pytest.raises(ValueError, match="unknown range"):
        services.card_queries.history(card, "2w")
    with pytest.raises(NotFound):
        services.card_queries.history(10**6, "24h")
    detail = services.card_queries.detail(card)
    assert detail["card"]["name"] == market["objects"][0]["name"]
    assert sorted(row["price"] for row in detail["latest"]) == ["15.00", "30.00", "9.00"]


def test_empty_store_gives_empty_results_not_zeros(services):
    index = services.market_queries.index("30d")
    assert index["time"] == [] and index["asof"] is None
    assert services.market_queries.chained("30d")["time"] == []
    overview = services.market_queries.overview("USD")
    assert overview["level"] is None and overview["listings"] is None and overview["change_1d"] is None
    assert services.market_queries.movers("24h")["gainers"] == []
    assert services.market_queries.volume_by_format() == []
