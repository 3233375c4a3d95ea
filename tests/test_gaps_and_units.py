"""Honest gaps, empty ranges that say why, the log-scale switch and units on the card and compare pages.

Prices go in through the real ingest (PostgreSQL rollups, Redis cache) and come out through the
use cases and the figure builders the pages use; every expected value is worked out by hand."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.server import create_app
from callbacks.figures import cadence, card_history_figure, compare_figure, with_gaps
from callbacks.units import money, signed_percent
from data.domain import Condition, Finish, Language, Marketplace
from layouts.filters import range_hint
from tests.dash_requests import DashRequests
from tests.helpers import T0, add_cards, add_marketplaces, snap

TCG = "TCGplayer · nonfoil · NM · en"


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _card(services, scryfall_objects, prices: dict[datetime, str]) -> tuple[int, dict[str, int]]:
    """One printing with TCGplayer NM nonfoil English prices at these times, through the real ingest."""
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    services.ingest([snap(card, markets["tcgplayer"], price, moment) for moment, price in prices.items()])
    return card, markets


def _trace(figure: dict, name: str = TCG) -> dict:
    return next(trace for trace in figure["data"] if trace.get("name") == name)


def _segments(trace: dict) -> list[list[str]]:
    """The runs of x that Plotly joins with a line (connectgaps False: a None y ends a run)."""
    runs: list[list[str]] = [[]]
    for x, y in zip(trace["x"], trace["y"], strict=True):
        if y is None:
            runs.append([])
        else:
            runs[-1].append(x)
    return [run for run in runs if run]


# --- the rule, as a pure function -------------------------------------------------------------


def test_rule_daily_two_missing_days_break_one_does_not():
    days = [_iso(T0 + timedelta(days=d)) for d in (0, 1, 2, 3, 5, 6, 7, 10, 11)]  # 4: one day missing; 8-9: two
    times, prices = with_gaps(days, list("abcdefghi"), resolution="DAY")
    assert prices == ["a", "b", "c", "d", "e", "f", "g", None, "h", "i"]
    assert times == [*days[:7], _iso(T0 + timedelta(days=8, hours=12)), *days[7:]]


def test_rule_hourly_three_missing_hours_break_one_does_not():
    hours = [_iso(T0 + timedelta(hours=h)) for h in (0, 1, 3, 4, 5, 9, 10)]  # 2: one hour missing; 6-8: three
    times, prices = with_gaps(hours, list("abcdefg"), resolution="HOUR")
    assert prices == ["a", "b", "c", "d", "e", None, "f", "g"]
    assert times[5] == _iso(T0 + timedelta(hours=7))


def test_rule_a_daily_source_read_hourly_keeps_its_own_cadence():
    """A daily source read at hourly resolution (the 30d range) is not broken at every point."""
    days = [_iso(T0 + timedelta(days=d)) for d in (0, 1, 2, 3, 5, 9)]
    assert cadence(days, "HOUR") == timedelta(days=1)
    assert with_gaps(days, [1, 2, 3, 4, 5, 6], resolution="HOUR")[1] == [1, 2, 3, 4, 5, None, 6]


def test_rule_on_raw_reads_is_the_series_own_typical_step():
    minutes = [_iso(T0 + timedelta(minutes=m)) for m in (0, 10, 20, 40, 50, 60, 100)]  # 20: not > 2 x 10; 40: is
    assert cadence(minutes, "RAW") == timedelta(minutes=10)
    times, values = with_gaps(minutes, [1, 2, 3, 4, 5, 6, 7], resolution="RAW")
    assert values == [1, 2, 3, 4, 5, 6, None, 7]
    assert times[6] == _iso(T0 + timedelta(minutes=80))
    assert with_gaps(minutes[:2], [1, 2], resolution=None) == (minutes[:2], [1, 2])  # two points: no gap to see


@settings(max_examples=150, deadline=None)
@given(
    steps=st.lists(st.integers(min_value=1, max_value=500), min_size=0, max_size=40),
    resolution=st.sampled_from(["RAW", "MIN30", "HOUR", "DAY", None]),
)
def test_rule_never_interpolates_and_breaks_exactly_the_long_steps(steps, resolution):
    moments = [T0]
    for minutes in steps:
        moments.append(moments[-1] + timedelta(minutes=minutes))
    values = [str(i) for i in range(len(moments))]
    times, out = with_gaps([_iso(m) for m in moments], values, resolution=resolution)
    assert [v for v in out if v is not None] == values  # every stored point, unchanged, in order
    assert [t for t, v in zip(times, out, strict=True) if v is not None] == [_iso(m) for m in moments]
    limit = 2 * cadence([_iso(m) for m in moments], resolution) if len(moments) > 1 else None
    expected_breaks = sum(1 for minutes in steps if timedelta(minutes=minutes) > limit) if limit else 0
    assert out.count(None) == expected_breaks
    for index, value in enumerate(out):
        if value is None:  # a break sits halfway between its neighbours, which are real points
            before, after = datetime.fromisoformat(times[index - 1]), datetime.fromisoformat(times[index + 1])
            assert out[index - 1] is not None and out[index + 1] is not None
            assert datetime.fromisoformat(times[index]) == before + (after - before) / 2


# --- through PostgreSQL: card history and compare ----------------------------------------------


def _holed(services, scryfall_objects) -> tuple[int, dict[str, int]]:
    """Daily prices on days 0-9 (day 5 missing) and 42-47: a 32-day hole (days 10-41)."""
    days = [d for d in range(10) if d != 5] + list(range(42, 48))
    return _card(services, scryfall_objects, {T0 + timedelta(days=d): f"{10 + d}.50" for d in days})


@pytest.mark.parametrize(("range_name", "resolution"), [("90d", "HOUR"), ("1y", "DAY")])
def test_card_history_with_a_32_day_hole_breaks_inside_it(services, scryfall_objects, range_name, resolution):
    card, _ = _holed(services, scryfall_objects)
    history = services.card_queries.history(card, range_name)
    assert history["resolution"] == resolution
    figure = card_history_figure(history, services.card_queries.marketplace_names())
    trace = _trace(figure)
    bucket = (
        (lambda d: T0 + timedelta(days=d))
        if resolution == "HOUR"
        else (lambda d: T0.replace(hour=0) + timedelta(days=d))
    )
    before = [_iso(bucket(d)) for d in range(10) if d != 5]
    after = [_iso(bucket(d)) for d in range(42, 48)]
    assert _segments(trace) == [before, after]  # day 5 (one day missing) joined; the hole broken
    hole = trace["y"].index(None)
    assert trace["x"][hole] == _iso(bucket(9) + timedelta(days=16.5))  # halfway across the hole
    assert trace["y"].count(None) == 1 and trace["customdata"][hole] is None
    assert trace["y"][hole - 1] == 19.5 and trace["y"][hole + 1] == 52.5
    assert trace["connectgaps"] is False


def test_card_low_high_band_and_spread_break_at_the_hole_too(services, scryfall_objects):
    markets = add_marketplaces(services)
    retail = services.marketplaces.ensure(Marketplace("cardkingdom", "Card Kingdom", "USD"))
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    days = [0, 1, 2, 40, 41]
    services.ingest(
        [
            snap(card, markets["tcgplayer"], "5.00", T0 + timedelta(days=d), price_low="4.00", price_high="6.00")
            for d in days
        ]
    )
    history = services.card_queries.history(card, "90d")
    figure = card_history_figure(history, services.card_queries.marketplace_names())
    band = [t for t in figure["data"] if t.get("hoverinfo") == "skip"]
    assert len(band) == 2 and all(t["y"].count(None) == 1 for t in band)
    assert [len(run) for run in _segments(band[1])] == [3, 2]
    # A retail - buylist spread of one shop follows the same rule, with its hover to the cent.
    services.ingest(
        [snap(card, retail, "0.495", T0 + timedelta(days=d)) for d in days]
        + [snap(card, markets["cardkingdom-buylist"], "0.10", T0 + timedelta(days=d)) for d in days]
    )
    history = services.card_queries.history(card, "90d")
    figure = card_history_figure(history, services.card_queries.marketplace_names())
    spread = _trace(figure, "Card Kingdom spread · nonfoil · NM")
    assert [len(run) for run in _segments(spread)] == [3, 2]
    assert spread["x"][3] == _iso(T0 + timedelta(days=21))
    assert spread["customdata"][0] == ["0.40", "80.00", "USD"]  # 0.50 - 0.10, 80 % of 0.50 (0.495 is stored 0.50)


def test_hourly_series_three_missing_hours_break_and_one_does_not(services, scryfall_objects):
    hours = [h for h in range(17) if h not in (6, 11, 12, 13)]
    card, _ = _card(services, scryfall_objects, {T0 + timedelta(hours=h): f"{h}.25" for h in hours})
    history = services.card_queries.history(card, "30d")
    assert history["resolution"] == "HOUR"
    trace = _trace(card_history_figure(history, services.card_queries.marketplace_names()))
    assert _segments(trace) == [
        [_iso(T0 + timedelta(hours=h)) for h in (0, 1, 2, 3, 4, 5, 7, 8, 9, 10)],
        [_iso(T0 + timedelta(hours=h)) for h in (14, 15, 16)],
    ]
    assert trace["x"][trace["y"].index(None)] == _iso(T0 + timedelta(hours=12))


def test_raw_read_breaks_at_the_series_own_step(services, scryfall_objects):
    minutes = (0, 10, 20, 30, 50, 60, 70, 110)  # 30 -> 50: twice the step, joined; 70 -> 110: broken
    card, _ = _card(services, scryfall_objects, {T0 + timedelta(minutes=m): "1.00" for m in minutes})
    history = services.card_queries.history(card, "24h")
    assert history["resolution"] == "RAW"
    trace = _trace(card_history_figure(history, services.card_queries.marketplace_names()))
    assert _segments(trace) == [
        [_iso(T0 + timedelta(minutes=m)) for m in minutes[:7]],
        [_iso(T0 + timedelta(minutes=110))],
    ]
    assert trace["x"][7] == _iso(T0 + timedelta(minutes=90))


@pytest.mark.parametrize("normalize", [True, False])
def test_compare_figure_breaks_at_the_hole(services, scryfall_objects, normalize):
    card, _ = _holed(services, scryfall_objects)
    compared = services.compare_queries.compare(
        [card], "90d", "USD", Condition.NEAR_MINT, Language.ENGLISH, Finish.NONFOIL, normalize
    )
    assert compared["sparse"] is None
    trace = compare_figure(compared, services.card_queries.marketplace_names())["data"][0]
    assert [len(run) for run in _segments(trace)] == [9, 6]
    hole = trace["y"].index(None)
    assert trace["x"][hole] == _iso(T0 + timedelta(days=25.5))
    assert trace["customdata"][hole] is None
    # The first point after the hole: 52.50 USD, or 52.50 / 10.50 = 500.00 % of the start.
    assert trace["customdata"][hole + 1] == (["500.00", "52.50"] if normalize else ["52.50", "52.50"])


# --- empty defaults ----------------------------------------------------------------------------


def test_a_range_with_one_price_names_the_nearest_range_with_a_line(services, scryfall_objects):
    card, _ = _card(services, scryfall_objects, {T0: "2.00", T0 + timedelta(days=20): "3.00"})
    queries = services.card_queries
    sparse = queries.sparse(card, "24h", "USD")
    assert sparse == {"range": "24h", "points": 1, "asof": "2025-11-21T13:00:00+00:00", "wider": "30d"}
    assert queries.sparse(card, "7d", "USD")["wider"] == "30d"
    assert queries.sparse(card, "30d", "USD") is None
    assert queries.sparse(card, "24h", "EUR") == {
        "range": "24h",
        "points": 0,
        "asof": "2025-11-21T13:00:00+00:00",
        "wider": None,
    }
    text, button, store = range_hint(sparse, "card-range", "matching these filters")
    assert text == "Only one price matching these filters in the last 24h: its data ends 2025-11-21; try 30d. "
    assert (button.id, button.children, store.data) == ("card-range-wider", "Show 30d", "30d")
    compared = services.compare_queries.compare([card], "7d", "USD", None, None, None, False)
    assert compared["sparse"] == {"range": "7d", "points": 1, "asof": "2025-11-21T13:00:00+00:00", "wider": "30d"}


def test_a_single_price_ever_says_so_without_a_range_to_offer(services, scryfall_objects):
    card, _ = _card(services, scryfall_objects, {T0: "2.00"})
    sparse = services.card_queries.sparse(card, "90d", "USD")
    assert sparse == {"range": "90d", "points": 1, "asof": "2025-11-01T13:00:00+00:00", "wider": None}
    assert range_hint({**sparse, "range": "all"}, "card-range") == [
        "Only one price in all the stored history: its data ends 2025-11-01; no range has two prices to draw a line."
    ]


# --- the pages' callbacks: status, log scale, units -------------------------------------------


def _history_values(card: int, **given) -> dict:
    values = {
        ("card-id", "data"): str(card),
        ("card-range", "value"): "30d",
        ("card-currency", "value"): "USD",
        ("card-condition", "value"): "all",
        ("card-finish", "value"): "all",
        ("card-language", "value"): "all",
        ("card-market", "value"): "all",
        ("card-scale", "data"): "linear",
    }
    return values | {key: value for key, value in given.items()}


def test_card_page_says_why_and_offers_the_range(services, scryfall_objects):
    card, _ = _card(services, scryfall_objects, {T0: "2.00", T0 + timedelta(days=20): "3.00"})
    dash = DashRequests(create_app(services).server.test_client())
    response = dash.post("card-history-graph.figure", _history_values(card) | {("card-range", "value"): "24h"})
    status = DashRequests.outputs(response)["card-status"]["children"]
    alert = status[0]["props"]
    assert alert["title"] == "No line"
    text, button, store = alert["children"]
    assert text == "Only one price matching these filters in the last 24h: its data ends 2025-11-21; try 30d. "
    assert button["props"]["id"] == "card-range-wider" and button["props"]["children"] == "Show 30d"
    assert store["props"] == {"id": "card-range-wider-range", "data": "30d"}
    # The click sets the range; a click naming no range (a forged request) changes nothing.
    widen = dash.by_output("card-range.value")
    clicked = dash.post(widen, {("card-range-wider", "n_clicks"): 1, ("card-range-wider-range", "data"): "30d"})
    assert DashRequests.outputs(clicked)["card-range"]["value"] == "30d"
    for clicks, wanted in ((1, "2w"), (None, "30d"), (1, ["30d"])):
        forged = dash.post(
            widen, {("card-range-wider", "n_clicks"): clicks, ("card-range-wider-range", "data"): wanted}
        )
        assert forged.status_code == 200 and DashRequests.outputs(forged) == {}  # no update
    fine = dash.post("card-history-graph.figure", _history_values(card))
    assert DashRequests.outputs(fine)["card-status"]["children"] == []


def test_log_switch_sets_the_y_axis_type_and_a_bad_scale_is_refused(services, scryfall_objects):
    card, _ = _holed(services, scryfall_objects)
    dash = DashRequests(create_app(services).server.test_client())
    for scale, kind in (("log", "log"), ("linear", None)):
        out = DashRequests.outputs(
            dash.post("card-history-graph.figure", _history_values(card) | {("card-scale", "data"): scale})
        )
        assert out["card-history-graph"]["figure"]["layout"]["yaxis"].get("type") == kind
    bad = DashRequests.outputs(
        dash.post("card-history-graph.figure", _history_values(card) | {("card-scale", "data"): "cubic"})
    )
    assert "unknown scale 'cubic'" in str(bad["card-status"]["children"])
    compared = services.compare_queries.compare([card], "90d", "USD", None, None, None, True)
    figure = compare_figure(compared, {}, "light", "log")
    assert (
        figure["layout"]["yaxis"]["type"] == "log"
        and figure["layout"]["yaxis"]["title"]["text"] == "Index (start = 100)"
    )
    assert "rangemode" not in figure["layout"]["yaxis"]
    assert compare_figure(compared, {}, "light")["layout"]["yaxis"]["rangemode"] == "tozero"


def _component(tree, id_):
    """The component with this id in a rendered layout (JSON), or None."""
    if isinstance(tree, list):
        return next((found for item in tree if (found := _component(item, id_)) is not None), None)
    if isinstance(tree, dict) and "props" in tree:
        if tree["props"].get("id") == id_:
            return tree
        return _component(tree["props"].get("children"), id_)
    return None


def test_card_and_compare_pages_read_the_scale_from_the_url(services, scryfall_objects):
    card, _ = _holed(services, scryfall_objects)
    dash = DashRequests(create_app(services).server.test_client())
    for path, key, store in (("/card", "id", "card-scale"), ("/compare", "ids", "compare-scale")):
        for asked, checked, kept in (("log", True, "log"), ("linear", False, "linear"), ("cubic", False, "linear")):
            page = DashRequests.outputs(dash.page(path, f"?{key}={card}&scale={asked}"))["_pages_content"]["children"]
            assert _component(page, f"{store}-switch")["props"]["checked"] is checked
            assert _component(page, store)["props"]["data"] == kept
            assert ("scale='cubic' (use one of: linear, log)" in json.dumps(page)) is (asked == "cubic")


def test_units_two_decimals_and_the_currency(services, scryfall_objects):
    assert money("0.365") == "0.37" and money("12.3", "USD") == "12.30 USD" and money("-0.001") == "0.00"
    assert money(None) is None and money("NaN") is None
    assert signed_percent("3.2") == "+3.20 %" and signed_percent("-5.41") == "-5.41 %"
    assert signed_percent("0") == "0.00 %" and signed_percent(None) is None
    card, _ = _card(
        services,
        scryfall_objects,
        {T0: "12.3", T0 + timedelta(days=1): "12.00", T0 + timedelta(days=2): "12.3849"},
    )
    history = services.card_queries.history(card, "30d")
    figure = card_history_figure(history, services.card_queries.marketplace_names())
    trace = _trace(figure)
    assert trace["customdata"] == [["12.30", "USD"], ["12.00", "USD"], ["12.38", "USD"]]
    assert trace["hovertemplate"].endswith("%{customdata[0]} %{customdata[1]}<extra></extra>")
    assert figure["layout"]["yaxis"]["title"]["text"] == "Price (USD)"
    compared = services.compare_queries.compare([card], "30d", "USD", None, None, None, False)
    price_mode = compare_figure(compared, {})
    assert price_mode["data"][0]["customdata"][2][0] == "12.38"
    assert price_mode["layout"]["yaxis"]["title"]["text"] == "Price (USD)"
    dash = DashRequests(create_app(services).server.test_client())
    grid = dash.post("card-latest-grid.rowData", {("card-id", "data"): str(card), ("card-detail-refresh", "data"): 0})
    (row,) = DashRequests.outputs(grid)["card-latest-grid"]["rowData"]
    # 12.38 (stored to the cent) against the hourly mean a day earlier, 12.00: +3.17 %
    assert row["price_shown"] == f"{money(row['price'])} USD" == "12.38 USD"
    assert row["change_24h_shown"] == "+3.17 %"
