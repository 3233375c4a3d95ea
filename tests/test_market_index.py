"""The chained, matched-sample market index: exact levels over real PostgreSQL (plain storage mode)."""

from __future__ import annotations

import math
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from callbacks.figures import card_history_figure
from data.domain import Card, Condition, Finish, Language, Resolution
from data.repositories.market_index import _window
from data.repositories.rollups import RollupRepository
from migrations import runner
from tests.helpers import EVERY_DAY, T0, add_marketplaces, snap

DAY = timedelta(days=1)
DAY1, DAY2, DAY3 = T0 - 2 * DAY, T0 - DAY, T0


def _cards(services, count: int, set_code: str = "tst", rarity: str = "rare", first: int = 0) -> list[int]:
    return list(
        services.cards.upsert_many(
            Card(
                name=f"Index card {first + i}",
                set_code=set_code,
                collector_number=str(first + i),
                scryfall_id=f"00000000-0000-0000-0000-{first + i + 1:012d}",
                rarity=rarity,
                legalities={"modern": "legal" if i % 2 else "not_legal", "vintage": "restricted"},
            )
            for i in range(count)
        ).values()
    )


def _levels(services, resolution: str = "DAY", kind: str = "all", key: str = "", currency: str = "USD"):
    with services.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(
                    "SELECT bucket, relative, matched, level FROM market_index WHERE resolution = :r"
                    " AND currency = :c AND kind = :k AND key = :key ORDER BY bucket"
                ),
                {"r": resolution, "c": currency, "k": kind, "key": key},
            )
        ]


@pytest.fixture
def markets(services):
    return add_marketplaces(services)


def test_new_cheap_cards_do_not_move_the_index(services, markets):
    tcg = markets["tcgplayer"]
    old = _cards(services, 10)
    new = _cards(services, 200, first=10)
    services.ingest([snap(card, tcg, "10.00", DAY1) for card in old])
    services.ingest([snap(card, tcg, "10.00", DAY2) for card in old] + [snap(card, tcg, "0.10", DAY2) for card in new])
    for resolution in ("DAY", "HOUR"):
        rows = _levels(services, resolution)
        assert [(relative, matched, level) for _, relative, matched, level in rows] == [
            (None, 0, Decimal("100.00000000")),
            (Decimal("1.000000000000"), 10, Decimal("100.00000000")),
        ]
    # The design's average fell from 10.00 to 0.5714: it stays available, as the average price.
    assert services.market_queries.index("1y")["price"] == ["10.0000", "0.5714"]
    chained = services.market_queries.chained("1y")
    assert chained["level"] == ["100.00", "100.00"]
    assert chained["change"] == [None, "0.00"]
    assert chained["matched"] == [0, 10]
    assert chained["resolution"] == "DAY"


def test_one_constituent_moves_the_index_by_its_share(services, markets):
    tcg, buylist = markets["tcgplayer"], markets["cardkingdom-buylist"]
    cards = _cards(services, 10)
    services.ingest([snap(card, tcg, "10.00", DAY1) for card in cards] + [snap(cards[0], buylist, "1.00", DAY1)])
    services.ingest(
        [snap(card, tcg, "20.00" if card == cards[0] else "10.00", DAY2) for card in cards]
        # A buylist price that jumps 100x is not the market: it is ignored.
        + [snap(cards[0], buylist, "100.00", DAY2)]
    )
    expected = 2 ** (1 / 10)  # geometric mean of nine 1s and one 2
    rows = _levels(services)
    assert rows[1][1] == Decimal(f"{expected:.12f}") == Decimal("1.071773462536")
    assert rows[1][2] == 10
    assert rows[1][3] == Decimal(f"{100 * expected:.8f}") == Decimal("107.17734625")
    assert services.market_queries.chained("1y")["level"] == ["100.00", "107.18"]
    assert services.market_queries.chained("1y")["change"] == [None, "7.18"]
    overview = services.market_queries.overview("USD", "1y")
    assert overview["level"] == "107.18" and overview["change_1d"] == {"abs": "7.18", "pct": "7.18"}
    assert overview["resolution"] == "DAY"
    hourly = services.market_queries.chained("30d")
    assert hourly["resolution"] == "HOUR" and hourly["level"] == ["100.00", "107.18"]


def test_a_late_price_in_an_old_bucket_rechains_later_levels(services, markets):
    tcg = markets["tcgplayer"]
    a, b = _cards(services, 2)
    services.ingest([snap(a, tcg, "10.00", DAY1), snap(b, tcg, "10.00", DAY1)])
    services.ingest([snap(a, tcg, "20.00", DAY2), snap(b, tcg, "10.00", DAY2)])
    services.ingest([snap(a, tcg, "20.00", DAY3), snap(b, tcg, "20.00", DAY3)])
    root2 = math.sqrt(2)
    assert [row[3] for row in _levels(services)] == [
        Decimal("100.00000000"),
        Decimal(f"{100 * root2:.8f}"),
        Decimal("200.00000000"),
    ]
    # A correction of day 2 arrives late: b was 5.00 that day, not 10.00.
    services.ingest([snap(b, tcg, "5.00", DAY2)])
    rows = _levels(services)
    # day 2: sqrt(2 * 0.5) = 1; day 3: sqrt(1 * 4) = 2 -> every later level moved.
    assert [(row[1], row[3]) for row in rows] == [
        (None, Decimal("100.00000000")),
        (Decimal("1.000000000000"), Decimal("100.00000000")),
        (Decimal("2.000000000000"), Decimal("200.00000000")),
    ]
    # A whole rebuild gives the same numbers as the incremental refreshes.
    services.rollups.refresh_since(DAY1 - DAY)
    assert _levels(services) == rows


def test_sub_indexes_by_set_rarity_and_format(services, markets):
    tcg, cardmarket = markets["tcgplayer"], markets["cardmarket"]
    mid = _cards(services, 2, set_code="mid", rarity="mythic")  # modern-legal: mid[1] only
    neo = _cards(services, 2, set_code="neo", rarity="common", first=2)  # modern-legal: neo[1] only
    services.ingest(
        [snap(card, tcg, "10.00", DAY1) for card in mid + neo]
        + [snap(mid[0], tcg, "4.00", DAY1, finish=Finish.FOIL, condition=Condition.LIGHTLY_PLAYED)]
        + [snap(mid[0], cardmarket, "8.00", DAY1, currency="EUR", language=Language.GERMAN)]
    )
    services.ingest(
        [
            snap(mid[0], tcg, "40.00", DAY2),  # x4
            snap(mid[1], tcg, "10.00", DAY2),  # x1
            snap(neo[0], tcg, "5.00", DAY2),  # x0.5
            snap(neo[1], tcg, "20.00", DAY2),  # x2
            snap(mid[0], tcg, "1.00", DAY2, finish=Finish.FOIL, condition=Condition.LIGHTLY_PLAYED),  # x0.25
            snap(mid[0], cardmarket, "16.00", DAY2, currency="EUR", language=Language.GERMAN),  # x2
        ]
    )

    def day2(kind, key, currency="USD"):
        return _levels(services, "DAY", kind, key, currency)[1][1:]

    # mid: 4, 1, 0.25 -> (4 * 1 * 0.25)^(1/3) = 1; neo: 0.5, 2 -> 1; mythic = mid, common = neo.
    assert day2("set", "mid") == (Decimal("1.000000000000"), 3, Decimal("100.00000000"))
    assert day2("set", "neo") == (Decimal("1.000000000000"), 2, Decimal("100.00000000"))
    assert day2("rarity", "mythic") == day2("set", "mid")
    assert day2("rarity", "common") == day2("set", "neo")
    # modern: mid[1] x1 and neo[1] x2 -> sqrt(2); vintage (restricted counts): all five USD variants.
    assert day2("format", "modern") == (Decimal(f"{math.sqrt(2):.12f}"), 2, Decimal(f"{100 * math.sqrt(2):.8f}"))
    assert day2("format", "vintage") == (Decimal("1.000000000000"), 5, Decimal("100.00000000"))
    # EUR is an index of its own.
    assert day2("set", "mid", "EUR") == (Decimal("2.000000000000"), 1, Decimal("200.00000000"))
    assert services.market_queries.chained("1y", "USD", "set:neo")["matched"] == [0, 2]
    subs = {(row["kind"], row["key"]) for row in services.market_queries.sub_indexes("USD")}
    assert {("set", "mid"), ("set", "neo"), ("rarity", "mythic"), ("format", "modern")} <= subs
    assert ("format", "legacy") not in subs
    with pytest.raises(ValueError, match="unknown index"):
        services.market_queries.chained("1y", "USD", "color:red")


def test_hourly_links_match_consecutive_hours(services, markets):
    tcg = markets["tcgplayer"]
    a, b = _cards(services, 2)
    hours = [T0 + timedelta(hours=h) for h in range(3)]
    services.ingest([snap(a, tcg, "10.00", hours[0]), snap(b, tcg, "10.00", hours[0])])
    services.ingest([snap(a, tcg, "12.10", hours[1])])  # b is not priced this hour
    services.ingest([snap(a, tcg, "12.10", hours[2]), snap(b, tcg, "30.00", hours[2])])
    rows = _levels(services, "HOUR")
    # hour 1 rests on a only (x1.21); hour 2 on a only too (b had no price in hour 1): flat.
    assert [(row[1], row[2], row[3]) for row in rows] == [
        (None, 0, Decimal("100.00000000")),
        (Decimal("1.210000000000"), 1, Decimal("121.00000000")),
        (Decimal("1.000000000000"), 1, Decimal("121.00000000")),
    ]
    # The day holds one bucket: level 100, no link.
    assert [row[3] for row in _levels(services, "DAY")] == [Decimal("100.00000000")]


def _flags(services):
    with services.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(text("SELECT card_id, bucket, price, median FROM price_outliers ORDER BY bucket"))
        ]


def test_a_spike_that_comes_back_is_flagged_kept_and_left_out_of_the_index(services, markets):
    tcg = markets["tcgplayer"]
    cards = _cards(services, 10)
    days = [T0 + i * DAY for i in range(6)]
    wild = cards[0]
    for i, day in enumerate(days):
        # One price a day per card; card 0 is mistyped as 4,321.09 on day 3 (86x its median), then back.
        services.ingest([snap(card, tcg, "4321.09" if (card == wild and i == 3) else "50.00", day) for card in cards])
    # Flagged once the price after it landed; the price itself is kept.
    assert _flags(services) == [(wild, days[3], Decimal("4321.0900000000000000"), Decimal("50.0000000000000000"))]
    with services.engine.connect() as conn:
        kept = conn.execute(
            text("SELECT price FROM price_snapshots WHERE card_id = :c AND time = :t"), {"c": wild, "t": days[3]}
        ).scalar()
    assert kept == Decimal("4321.09")
    # The index is exactly flat: day 3 and day 4 rest on the nine other cards.
    rows = _levels(services)
    assert [(row[1], row[2], row[3]) for row in rows] == [(None, 0, Decimal("100.00000000"))] + [
        (Decimal("1.000000000000"), 10, Decimal("100.00000000"))
    ] * 2 + [(Decimal("1.000000000000"), 9, Decimal("100.00000000"))] * 2 + [
        (Decimal("1.000000000000"), 10, Decimal("100.00000000"))
    ]
    # A whole rebuild judges the same.
    services.rollups.refresh_since(days[0] - DAY)
    assert _levels(services) == rows and len(_flags(services)) == 1
    # The card chart draws the price where it was, marked, and says why on hover.
    for range_name, resolution in (("7d", "MIN30"), ("30d", "HOUR"), ("1y", "DAY")):
        history = services.card_queries.history(wild, range_name)
        assert history["resolution"] == resolution
        (series,) = history["series"]
        flagged = [(t, f) for t, f in zip(series["time"], series["flags"], strict=True) if f]
        # A daily point holds its day's hours: the mark sits on the day holding the flagged hour.
        point = days[3].replace(hour=0) if resolution == "DAY" else days[3]
        assert [t for t, _ in flagged] == [point.isoformat()] and flagged[0][1]["hour"] == days[3].isoformat()
        assert flagged[0][1]["price"].startswith("4321.09") and flagged[0][1]["median"].startswith("50.00")
        figure = card_history_figure(history, services.card_queries.marketplace_names())
        (marks,) = [trace for trace in figure["data"] if trace["name"].startswith("Flagged outlier")]
        assert marks["x"] == [point.isoformat()] and marks["y"] == [4321.09]
        assert marks["customdata"][0][1:4] == ["4321.09 USD", "86.4", "50.00 USD"]
        assert "left out of the market index" in marks["hovertemplate"]


def test_a_jump_that_holds_is_not_flagged_and_moves_the_index(services, markets):
    tcg = markets["tcgplayer"]
    cards = _cards(services, 2)
    days = [T0 + i * DAY for i in range(7)]
    for i, day in enumerate(days):
        # Card 0 is banned out of a format... no: it is reprinted into demand, 10x, and stays there.
        services.ingest([snap(cards[0], tcg, "10.00" if i < 4 else "100.00", day), snap(cards[1], tcg, "10.00", day)])
    assert _flags(services) == []
    assert [row[3] for row in _levels(services)][-1] == Decimal(f"{100 * math.sqrt(10):.8f}")


def test_the_newest_price_of_a_jump_waits_for_the_next_and_a_lower_multiple_flags_more(services, markets):
    tcg = markets["tcgplayer"]
    (card,) = _cards(services, 1)
    days = [T0 + i * DAY for i in range(5)]
    for day, price in zip(days, ["10.00", "10.00", "10.00", "40.00"], strict=False):
        services.ingest([snap(card, tcg, price, day)])
    assert _flags(services) == []  # 4x is under the default multiple of 5, and nothing came back yet
    services.ingest([snap(card, tcg, "10.00", days[4])])
    assert _flags(services) == []  # back, but 4x is no outlier at 5x
    strict = RollupRepository(services.engine, outlier_multiple=3)
    strict.refresh_since(days[0])
    assert _flags(services) == [(card, days[3], Decimal("40.0000000000000000"), Decimal("10.0000000000000000"))]


def _closes(services):
    with services.engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                text(f"SELECT card_id, day, close_bucket, close FROM {EVERY_DAY} d ORDER BY card_id, day")
            )
        ]


def test_the_daily_index_links_each_variant_s_close(services, markets):
    tcg = markets["tcgplayer"]
    a, b = _cards(services, 2)
    morning, evening = DAY1 - timedelta(hours=3), DAY1 + timedelta(hours=6)
    # Card a trades at 10.00 in the morning and 12.00 in the evening of day 1, then 12.00 on day 2.
    services.ingest([snap(a, tcg, "10.00", morning), snap(b, tcg, "20.00", morning)])
    services.ingest([snap(a, tcg, "12.00", evening)])
    services.ingest([snap(a, tcg, "12.00", DAY2), snap(b, tcg, "20.00", DAY2)])
    # Close to close, nothing moved: the index is flat (a day mean of 11.00 would say +4.5%).
    assert [(row[1], row[2], row[3]) for row in _levels(services)] == [
        (None, 0, Decimal("100.00000000")),
        (Decimal("1.000000000000"), 2, Decimal("100.00000000")),
    ]
    # A late price for an earlier hour of day 1 leaves its close; a later one replaces it.
    services.ingest([snap(a, tcg, "30.00", DAY1 - timedelta(hours=6))])
    assert _closes(services)[0][2:] == (evening, Decimal("12.0000000000000000"))
    services.ingest([snap(a, tcg, "15.00", DAY1 + timedelta(hours=9))])
    assert _closes(services)[0][2:] == (DAY1 + timedelta(hours=9), Decimal("15.0000000000000000"))
    relative = Decimal(f"{math.sqrt(12 / 15):.12f}")
    assert [row[1] for row in _levels(services)] == [None, relative]
    # The kept days are exactly what a whole rebuild computes.
    kept, levels = _closes(services), _levels(services)
    services.rollups.refresh_since(DAY1 - DAY)
    assert _closes(services) == kept and _levels(services) == levels


def test_a_flagged_close_falls_back_to_the_day_s_last_good_hour(services, markets):
    tcg = markets["tcgplayer"]
    cards = _cards(services, 10)
    days = [T0 + i * DAY for i in range(6)]
    wild = cards[0]
    for i, day in enumerate(days):
        services.ingest([snap(card, tcg, "50.00", day - timedelta(hours=4)) for card in cards])
        if i == 3:  # a 4,321.09 typo is day 3's last price of card 0
            services.ingest([snap(wild, tcg, "4321.09", day + timedelta(hours=4))])
    assert [row[:2] for row in _flags(services)] == [(wild, days[3] + timedelta(hours=4))]
    day3 = [row for row in _closes(services) if row[0] == wild][3]
    assert day3[2:] == (days[3] - timedelta(hours=4), Decimal("50.0000000000000000"))
    # Every link rests on all ten cards, and the index stays exactly flat.
    assert [(row[1], row[2], row[3]) for row in _levels(services)][1:] == [
        (Decimal("1.000000000000"), 10, Decimal("100.00000000"))
    ] * 5
    # Raised to a multiple the typo does not reach, the flag goes and the close is the typo again.
    lenient = RollupRepository(services.engine, outlier_multiple=100)
    lenient.refresh_touched([days[5]], None)
    assert _flags(services) == []
    assert [row for row in _closes(services) if row[0] == wild][3][3] == Decimal("4321.0900000000000000")


def test_days_kept_settle_by_settle_are_their_hours_close_and_range(services, markets):
    """Lone day-start hours (each day of a daily source) and days of several hours, written in
    shuffled settles with a spike among them: every day is its last unflagged hour and the range
    of all its hours, exactly as a whole rebuild computes them; only the days of several hours are
    stored."""
    tcg = markets["tcgplayer"]
    cards = _cards(services, 4)
    rng = random.Random(14)
    first = T0.replace(hour=0)  # a day's start (buckets start at midnight UTC)
    rows = []
    for card in cards:
        for day in range(6):
            daily = card in cards[::2]  # a daily source's one price at the day's start
            for hour in [0] if daily else rng.sample([0, 7, 19], rng.randint(1, 3)):
                rows.append(snap(card, tcg, f"{rng.uniform(9, 11):.2f}", first + day * DAY + timedelta(hours=hour)))
    spikes = [
        next(row for row in rows if row.time.day == (first + 3 * DAY).day and row.card_id == c) for c in cards[:2]
    ]
    for spike in spikes:
        rows[rows.index(spike)] = snap(spike.card_id, tcg, "400.00", spike.time)
    rng.shuffle(rows)
    for part in range(4):
        services.ingest(rows[part::4])
    flagged = {(card, bucket) for card, bucket, *_ in _flags(services)}
    assert {(spike.card_id, spike.time) for spike in spikes} <= flagged
    expected = set()
    for card in cards:
        for day in range(6):
            start = first + day * DAY
            hours = sorted(
                (row.time, row.price) for row in rows if row.card_id == card and start <= row.time < start + DAY
            )
            good = [(time, price) for time, price in hours if (card, time) not in flagged]
            close_bucket, close = good[-1] if good else (None, None)
            prices = [float(price) for _, price in hours]
            expected.add((card, start, close_bucket, close, min(prices), max(prices)))
    query = text(f"SELECT card_id, day, close_bucket, close, low, high FROM {EVERY_DAY} d")
    stored = text("SELECT card_id, day FROM variant_days")
    several = {(card, day) for card, day, close_bucket, *_ in expected if card in cards[1::2]}
    for rebuild in (False, True):
        if rebuild:
            services.rollups.refresh_since(first - DAY)
        with services.engine.connect() as conn:
            assert {tuple(row) for row in conn.execute(query)} == expected
            assert {tuple(row) for row in conn.execute(stored)} <= several


def test_lone_days_are_read_from_their_hours_and_migration_0013_drops_the_stored_ones(services, markets, database_url):
    """Only days with an hour off their start are stored. Migration 0013 drops the lone days an earlier
    release stored (its downgrade stores them again), a settle over them leaves them out too, and
    neither changes a close or a level."""
    tcg = markets["tcgplayer"]
    a, b = _cards(services, 2)
    first = DAY1.replace(hour=0)  # a day's start
    for day, (price_a, price_b) in enumerate([("10.00", "20.00"), ("11.00", "20.00"), ("12.10", "22.00")]):
        services.ingest([snap(a, tcg, price_a, first + day * DAY), snap(b, tcg, price_b, first + day * DAY)])
    services.ingest([snap(b, tcg, "21.00", first + DAY + timedelta(hours=5))])  # b's day 2 has two hours

    def reads():
        return _closes(services), _levels(services)

    def stored():
        with services.engine.connect() as conn:
            return conn.execute(text("SELECT card_id, day FROM variant_days ORDER BY card_id, day")).all()

    days, levels = reads()
    assert len(days) == 6 and stored() == [(b, first + DAY)]
    # Day 2 moves by sqrt(1.1 * 21 / 20), day 3 by sqrt(1.1 * 22 / 21).
    assert [level for *_, level in levels] == [100, Decimal("107.47092630"), Decimal("115.36897330")]
    try:
        runner.downgrade(database_url, "0012")
        assert len(stored()) == 6 and reads() == (days, levels)
        services.rollups.refresh_touched([first, first + 2 * DAY], None)  # a settle recomputes the days it meets
        assert stored() == [(b, first + DAY)] and reads() == (days, levels)
        runner.downgrade(database_url, "0012")
    finally:
        runner.upgrade(database_url)
    assert stored() == [(b, first + DAY)] and reads() == (days, levels)
    services.rollups.refresh_since(first)
    assert stored() == [(b, first + DAY)] and reads() == (days, levels)


def test_hourly_links_of_daily_prices_are_the_daily_ones_and_what_hours_compute(services, markets):
    """Prices on days' starts only: the hourly links are copied from the daily ones. They are exactly
    what computing them from the hourly rows gives, before and after an hour off a day's start."""
    tcg, cardmarket = markets["tcgplayer"], markets["cardmarket"]
    cards = _cards(services, 6)
    rng = random.Random(3)
    first = T0.replace(hour=0) - 10 * DAY
    for day in range(8):
        rows = [snap(card, tcg, f"{rng.uniform(5, 6):.2f}", first + day * DAY) for card in cards if rng.random() < 0.8]
        rows += [snap(card, cardmarket, f"{rng.uniform(4, 5):.2f}", first + day * DAY, "EUR") for card in cards[:3]]
        if day == 4:
            rows.append(snap(cards[0], tcg, "90.00", first + day * DAY))  # replaces its price: a spike
        services.ingest(rows)
    index = services.rollups.index

    def on_days() -> bool:
        with services.engine.connect() as conn:
            return index._on_days(conn, _window(conn, Resolution.HOUR, first, None))

    def hourly_recomputed() -> tuple[list, list]:
        # The links (bucket, relative, matched); levels chained settle by settle may differ from
        # levels chained at once in the eighth decimal, as any two chains of rounded levels do.
        def links() -> list:
            return [row[:3] for currency in ("USD", "EUR") for row in _levels(services, "HOUR", currency=currency)]

        copied = links()
        index._refresh_one(Resolution.HOUR, first, None)  # from the hourly rows
        return copied, links()

    assert on_days()
    assert _levels(services, "HOUR") == _levels(services, "DAY")
    copied, computed = hourly_recomputed()
    assert copied == computed and len(computed) == 16
    services.ingest([snap(cards[1], tcg, "7.00", first + 5 * DAY + timedelta(hours=14))])
    assert not on_days()
    services.ingest([snap(cards[2], tcg, "5.50", first + 6 * DAY)])
    copied, computed = hourly_recomputed()
    assert copied == computed and len(computed) == 17
