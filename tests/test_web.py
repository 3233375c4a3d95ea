"""The served app: health endpoints and the market page in a real browser."""

from __future__ import annotations

import time

from redis import Redis

from app.server import create_app
from tests.conftest import FIXTURES
from tests.helpers import T0, add_cards, add_marketplaces, snap


def test_healthz_and_readyz(services, dead_redis_url):
    client = create_app(services).server.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok"}
    services.cache.redis = Redis.from_url(dead_redis_url, socket_timeout=0.2, socket_connect_timeout=0.2)
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json["checks"]["redis"] == "unreachable"


def test_market_page_empty_state(dash_duo, services):
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_contains_text("#market-status", "cardcharts import scryfall", timeout=15)
    assert dash_duo.get_logs() == []


def test_market_page_draws_the_index(dash_duo, services, scryfall_objects):
    markets = add_marketplaces(services)
    ids = list(add_cards(services, scryfall_objects, 3).values())
    services.ingest(
        [snap(card, markets["tcgplayer"], price, T0) for card, price in zip(ids, ["1.00", "2.00", "6.00"], strict=True)]
    )
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_element("#market-index-graph .main-svg", timeout=15)
    dash_duo.wait_for_contains_text("#market-overview", "Printings tracked", timeout=15)
    figure = dash_duo.driver.execute_script("return document.querySelector('#market-index-graph .js-plotly-plot').data")
    index = [trace for trace in figure if trace["name"].startswith("Market index")]
    assert len(index) == 1
    assert index[0]["name"] == "Market index: All cards, USD (hourly)"  # the 30d range reads hourly
    assert index[0]["y"] == [100.0]  # one bucket: the chain starts at 100, resting on no link yet
    assert index[0]["customdata"] == [["100.00", "no link: no variant priced in both buckets", 0]]
    assert not any(trace["name"].startswith("Average price") for trace in figure)
    overview = dash_duo.find_element("#market-overview").text
    assert "Index: All cards, USD (hourly)" in overview and "100.00" in overview
    assert dash_duo.get_logs() == []


def test_market_page_shows_the_imported_scryfall_sample(dash_duo, services, scryfall_objects):
    from decimal import Decimal

    from workers.imports import import_scryfall

    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    usd = [
        Decimal(o["prices"][k])
        for o in scryfall_objects
        for k in ("usd", "usd_foil", "usd_etched")
        if o["prices"][k] is not None
    ]
    expected = round(sum(usd) / len(usd), 4)
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?range=1y&avg=on")
    dash_duo.wait_for_contains_text("#market-overview", "Printings tracked", timeout=15)
    figure = dash_duo.driver.execute_script("return document.querySelector('#market-index-graph .js-plotly-plot').data")
    average = next(trace for trace in figure if trace["name"].startswith("Average price"))
    assert average["name"] == "Average price, USD (daily, not an index)"
    assert average["customdata"] == [[f"{expected:.2f} USD", len(usd)]]
    assert "2025-11-01" in average["x"][0]
    index = next(trace for trace in figure if trace["name"].startswith("Market index"))
    assert index["name"] == "Market index: All cards, USD (daily)" and index["y"] == [100.0]
    overview = dash_duo.find_element("#market-overview").text
    assert "461" in overview and "Index: All cards, USD (daily)" in overview
    assert dash_duo.get_logs() == []


def test_market_movers_volume_and_url_state(dash_duo, services, scryfall_objects):
    from datetime import timedelta

    markets = add_marketplaces(services)
    objects = [o for o in scryfall_objects if o["legalities"].get("modern") == "legal"][:2]
    up, down = add_cards(services, objects).values()
    tcg = markets["tcgplayer"]
    services.ingest(
        [
            snap(up, tcg, "10.00", T0 - timedelta(days=1)),
            snap(down, tcg, "8.00", T0 - timedelta(days=1)),
            snap(up, tcg, "12.50", T0, num_listings=3),
            snap(down, tcg, "6.00", T0),
        ]
    )
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?range=7d&period=24h&min_price=0&fmt=modern")
    dash_duo.wait_for_contains_text("#movers-gainers", objects[0]["name"], timeout=15)
    gainers = dash_duo.find_element("#movers-gainers").text
    assert "10.00 USD" in gainers and "12.50 USD" in gainers and "+25.00 %" in gainers
    dash_duo.wait_for_contains_text("#movers-losers", objects[1]["name"], timeout=15)
    assert "-25.00 %" in dash_duo.find_element("#movers-losers").text
    volume = dash_duo.driver.execute_script(
        "return document.querySelector('#market-volume-graph .js-plotly-plot').data"
    )
    modern = volume[0]["x"].index("Modern")  # the format's name, not its key
    assert volume[0]["customdata"][modern] == ["43.50", 2]  # 12.50 x 3 listings + 6.00 x 1
    dash_duo.find_elements("#movers-period label")[1].click()  # 7d
    time.sleep(0.5)
    assert "period=7d" in dash_duo.driver.current_url and "fmt=modern" in dash_duo.driver.current_url
    dash_duo.driver.back()
    time.sleep(1)
    assert "period=24h" in dash_duo.driver.current_url
    grid_background = (
        "return getComputedStyle(document.querySelector('#movers-gainers .ag-root-wrapper')).backgroundColor"
    )
    light = dash_duo.driver.execute_script(grid_background)
    dash_duo.find_element("#color-scheme-switch").click()
    time.sleep(0.5)
    assert dash_duo.driver.execute_script("return document.body.dataset.agThemeMode") == "dark"
    assert dash_duo.driver.execute_script(grid_background) != light  # the grids follow the scheme
    assert dash_duo.get_logs() == []
