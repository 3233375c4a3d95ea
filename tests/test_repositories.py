"""Repositories against known rows, with exact values."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from data.domain import Condition, Finish, Language, Resolution, UnknownReference, VariantFilter
from tests.helpers import T0, add_cards, add_marketplaces, snap


def points(series: list[dict]) -> list[dict]:
    """The columnar series as one dict per point, each with its variant (the series' keys)."""
    found = []
    for line in series:
        columns = {key: value for key, value in line.items() if isinstance(value, list)}
        assert len({len(values) for values in columns.values()}) == 1  # every column, one value per point
        variant = {key: value for key, value in line.items() if key not in columns}
        found += [
            {**variant, **dict(zip(columns, values, strict=True))} for values in zip(*columns.values(), strict=True)
        ]
    return found


def test_cards_upsert_get_search_and_set(services, scryfall_objects):
    ids = add_cards(services, scryfall_objects)
    assert len(ids) == len(scryfall_objects) == 461
    first = scryfall_objects[0]
    card = services.cards.get(ids[first["id"]])
    assert card.name == first["name"]
    assert card.set_code == first["set"]
    assert card.tcgplayer_product_id == first.get("tcgplayer_id")
    assert card.legalities == first["legalities"]
    assert services.cards.get_by_scryfall_id(first["id"]).id == card.id
    assert services.cards.get(10**9) is None

    # Upserting again updates in place: same ids, no duplicates.
    assert add_cards(services, scryfall_objects) == ids

    name = first["name"]
    prefix_hits = services.cards.search(name[:5].lower())
    assert prefix_hits and all(c.name.lower().startswith(name[:5].lower()) for c in prefix_hits[:1])
    typo = name[:-1] + ("x" if name[-1] != "x" else "y")
    assert name in [c.name for c in services.cards.search(typo)]
    assert services.cards.search("   ") == []
    assert services.cards.search("100%_") == []  # LIKE wildcards are literal
    by_number = services.cards.search("MID 44")
    assert [(c.name, c.collector_number) for c in by_number] == [("Consider", "44")]
    assert services.cards.search("mid #388")[0].collector_number == "388"

    mid = services.cards.by_set("MID")
    assert len(mid) == sum(1 for o in scryfall_objects if o["set"] == "mid")
    numbers = [c.collector_number for c in mid]
    leading = [int(re.search(r"[0-9]+", n).group()) for n in numbers]
    assert leading == sorted(leading)


def test_bulk_upsert_counts_and_exact_history(services, scryfall_objects):
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    tcg = markets["tcgplayer"]
    rows = [
        snap(card, tcg, "0.10", T0, price_low="0.05", price_market="0.11", num_listings=12),
        snap(card, tcg, "0.20", T0 + timedelta(minutes=30)),
        snap(card, tcg, "13.45", T0, finish=Finish.FOIL),
        snap(card, tcg, "15.00", T0, finish=Finish.ETCHED),
        snap(card, tcg, "3.00", T0, condition=Condition.LIGHTLY_PLAYED),
        snap(card, tcg, "9.99", T0, language=Language.JAPANESE),
    ]
    result = services.prices.bulk_upsert(rows)
    assert (result.inserted, result.updated, result.unchanged) == (6, 0, 0)
    assert result.card_ids == {card}

    again = services.prices.bulk_upsert(rows)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 6)

    corrected = services.prices.bulk_upsert([snap(card, tcg, "0.12", T0), snap(card, tcg, "0.12", T0)])
    assert (corrected.inserted, corrected.updated, corrected.unchanged) == (0, 1, 1)

    history = points(services.prices.history(card, T0, T0 + timedelta(hours=1), Resolution.RAW))
    by_variant = {(r["condition"], r["finish"], r["language"], r["time"]): r for r in history}
    nm = by_variant[("NEAR_MINT", "nonfoil", "English", T0.isoformat())]
    assert nm["price"] == "0.12"
    assert (nm["low"], nm["market"]) == ("0.05", "0.11")  # tiers it lacked are kept
    assert by_variant[("NEAR_MINT", "foil", "English", T0.isoformat())]["price"] == "13.45"
    assert by_variant[("NEAR_MINT", "etched", "English", T0.isoformat())]["price"] == "15.00"
    assert len(history) == 6

    only_foil = services.prices.history(
        card, T0, T0 + timedelta(hours=1), Resolution.RAW, VariantFilter(finish=Finish.FOIL)
    )
    assert [r["price"] for r in points(only_foil)] == ["13.45"]
    japanese = services.prices.history(card, None, None, Resolution.RAW, VariantFilter(language=Language.JAPANESE))
    assert [(r["language"], r["price"]) for r in points(japanese)] == [("Japanese", "9.99")]


def test_history_resolutions_are_exact(services, scryfall_objects):
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    tcg = markets["tcgplayer"]
    prices = ["1.00", "2.00", "4.00", "0.01"]  # 12:00, 12:20, 12:40, next day 12:00
    times = [T0, T0 + timedelta(minutes=20), T0 + timedelta(minutes=40), T0 + timedelta(days=1)]
    services.ingest([snap(card, tcg, p, t, price_low=p, price_high=p) for p, t in zip(prices, times, strict=True)])

    half_hours = points(services.prices.history(card, None, None, Resolution.MIN30))
    assert [(r["time"], r["price"], r["listings"]) for r in half_hours] == [
        (T0.isoformat(), "1.5000", None),
        ((T0 + timedelta(minutes=30)).isoformat(), "4.0000", None),
        ((T0 + timedelta(days=1)).isoformat(), "0.0100", None),
    ]
    hours = points(services.prices.history(card, None, None, Resolution.HOUR))
    assert [(r["time"], r["price"], r["low"], r["high"], r["market"]) for r in hours] == [
        (T0.isoformat(), "2.3333", "1.00", "4.00", None),
        ((T0 + timedelta(days=1)).isoformat(), "0.0100", "0.01", "0.01", None),
    ]
    days = points(services.prices.history(card, None, None, Resolution.DAY))
    midnight = T0.replace(hour=0)
    assert [(r["time"], r["price"]) for r in days] == [
        (midnight.isoformat(), "2.3333"),
        ((midnight + timedelta(days=1)).isoformat(), "0.0100"),
    ]
    # The newest hour's end, and the span before it, in one statement.
    asof, newest = services.prices.newest_history(card, timedelta(hours=2), Resolution.HOUR)
    assert asof == T0 + timedelta(days=1, hours=1)
    assert [(r["time"], r["price"]) for r in points(newest)] == [((T0 + timedelta(days=1)).isoformat(), "0.0100")]
    assert services.prices.newest_history(card, None, Resolution.HOUR)[1] == services.prices.history(
        card, None, None, Resolution.HOUR
    )
    # A variant with no point in range still gives the end; a card with no price gives none.
    assert services.prices.newest_history(card, None, Resolution.RAW, VariantFilter(language=Language.KOREAN)) == (
        asof,
        [],
    )
    other = next(iter(add_cards(services, scryfall_objects[1:], 1).values()))
    assert services.prices.newest_history(other, timedelta(days=30), Resolution.RAW) == (None, [])


def test_bad_rows_change_nothing(services, scryfall_objects):
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    services.prices.bulk_upsert([snap(card, markets["tcgplayer"], "1.00")])
    with pytest.raises(ValueError):
        snap(card, markets["tcgplayer"], "-1.00")
    with pytest.raises(UnknownReference, match=r"unknown card ids \[1000000\]"):  # the whole batch is refused
        services.prices.bulk_upsert(
            [snap(card, markets["tcgplayer"], "2.00", T0 + timedelta(hours=1)), snap(10**6, 1, "1.00")]
        )
    stored = services.prices.history(card, None, None, Resolution.RAW)
    assert [r["price"] for r in points(stored)] == ["1.00"]


def test_marketplaces_ensure_is_idempotent(services):
    first = add_marketplaces(services)
    assert add_marketplaces(services) == first
    assert services.marketplaces.by_slug("cardmarket").currency == "EUR"
    assert [m.slug for m in services.marketplaces.all()] == ["tcgplayer", "cardmarket", "cardkingdom-buylist"]
