"""The card page in a real browser: search, header, history by variant, latest grid, URL state."""

from __future__ import annotations

import time
from datetime import timedelta

from app.server import create_app
from tests.conftest import FIXTURES
from tests.helpers import T0, add_cards, add_marketplaces, snap
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"


def _console_errors(dash_duo) -> list[dict]:
    """Console errors, less the card image: Scryfall serves it, and these tests run offline."""
    return [log for log in dash_duo.get_logs() if "cards.scryfall.io" not in log["message"]]


def _traces(dash_duo) -> list[dict]:
    return dash_duo.driver.execute_script("return document.querySelector('#card-history-graph .js-plotly-plot').data")


def _loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    import_mtgjson(
        services, FIXTURES / "mtgjson" / "AllPrices-sample.json", [FIXTURES / "mtgjson" / "AllIdentifiers-sample.json"]
    )
    return services.cards.get_by_scryfall_id(CONSIDER).id


def test_card_page_charts_each_variant_with_exact_prices(dash_duo, services):
    card = _loaded(services)
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={card}&range=30d")
    dash_duo.wait_for_text_to_equal("#card-name", "Consider", timeout=15)
    dash_duo.wait_for_element("#card-history-graph .main-svg", timeout=15)
    time.sleep(0.5)
    traces = {t["name"]: t for t in _traces(dash_duo)}
    tcg = traces["TCGplayer · nonfoil · NM · en"]
    # Hourly means 0.3600, 0.3700, 0.3500 (11-01..11-03), shown to the cent with the currency
    assert tcg["customdata"] == [["0.36", "USD"], ["0.37", "USD"], ["0.35", "USD"]]
    assert "Card Kingdom · nonfoil · NM · en" in traces and "TCGplayer · foil · NM · en" in traces
    assert all("EUR" not in t["customdata"][0][1] for t in traces.values())  # the USD view only
    grid = dash_duo.find_element("#card-latest-grid").text
    assert "Card Kingdom buylist" in grid and "0.35 USD" in grid
    assert "-5.41 %" in grid  # TCGplayer NM nonfoil: 0.35 against 0.37 a day earlier
    assert _console_errors(dash_duo) == []


def test_filters_live_in_the_url_and_a_copied_url_opens_the_same_view(dash_duo, services):
    card = _loaded(services)
    dash_duo.start_server(create_app(services))
    url = f"{dash_duo.server_url}/card?id={card}&range=30d&currency=EUR&condition=all&finish=foil&lang=all&market=all"
    dash_duo.wait_for_page(url)
    dash_duo.wait_for_text_to_equal("#card-name", "Consider", timeout=15)
    time.sleep(1)
    names = sorted(t["name"] for t in _traces(dash_duo))
    assert names == ["Cardmarket · foil · NM · en"]
    assert "finish=foil" in dash_duo.driver.current_url and "currency=EUR" in dash_duo.driver.current_url
    assert _console_errors(dash_duo) == []


def test_unknown_and_malformed_card_ids_get_a_message(dash_duo, services):
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id=999999")
    dash_duo.wait_for_contains_text("#card-status", "Unknown card", timeout=15)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id=abc&range=2w&condition=SHINY")
    dash_duo.wait_for_contains_text("#card-status", "not a card id", timeout=15)
    notice = dash_duo.find_element("#_pages_content").text
    assert "range='2w'" in notice and "condition='SHINY'" in notice
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card")
    dash_duo.wait_for_contains_text("#card-status", "Search for a printing", timeout=15)
    assert _console_errors(dash_duo) == []


def test_search_offers_printings_by_name(dash_duo, services):
    _loaded(services)
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card")
    search = dash_duo.find_element("#card-search")
    search.send_keys("Consid")
    dash_duo.wait_for_contains_text("body", "Consider — MID #44", timeout=15)
    assert _console_errors(dash_duo) == []


def test_retail_buylist_spread_is_exact(services):
    card = _loaded(services)
    from workers.imports import import_cardkingdom

    import_cardkingdom(services, FIXTURES / "cardkingdom" / "pricelist-sample.json")
    history = services.card_queries.history(card, "30d")
    ck = services.marketplaces.by_slug("cardkingdom").id
    spreads = [s for s in history["spreads"] if s["retail_id"] == ck and s["finish"] == "nonfoil"]
    # 2025-11-03: MTGJSON's Card Kingdom retail 0.49 and buylist 0.10; 2025-11-02 05:05: the pricelist's 0.49 / 0.10
    assert [
        (t[:10], v, p) for s in spreads for t, v, p in zip(s["time"], s["spread"], s["spread_pct"], strict=True)
    ] == [("2025-11-02", "0.3900", "79.59"), ("2025-11-03", "0.3900", "79.59")]


def _wait(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _layout(dash_duo, graph: str = "card-history-graph") -> dict:
    return dash_duo.driver.execute_script(f"return document.querySelector('#{graph} .js-plotly-plot').layout")


def test_a_gap_becomes_a_break_in_the_figure_not_a_joined_line(dash_duo, services, scryfall_objects):
    """Daily prices on days 0-9 and 42-47: the 32-day hole is a null point in the drawn trace."""
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    days = [*range(10), *range(42, 48)]
    services.ingest([snap(card, markets["tcgplayer"], f"{10 + d}.50", T0 + timedelta(days=d)) for d in days])
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={card}&range=90d")
    dash_duo.wait_for_element("#card-history-graph .main-svg", timeout=15)
    _wait(lambda: len(_traces(dash_duo) or []) == 1 and len(_traces(dash_duo)[0]["y"]) == 17)
    (trace,) = _traces(dash_duo)
    assert trace["y"][:11] == [10 + d + 0.5 for d in range(10)] + [None]  # the break, then the points after it
    assert trace["y"][11:] == [10 + d + 0.5 for d in range(42, 48)]
    assert trace["x"][10] == (T0 + timedelta(days=25.5)).isoformat()  # halfway across the hole
    assert trace["connectgaps"] is False and trace["customdata"][10] is None
    assert trace["customdata"][11] == ["52.50", "USD"] and _layout(dash_duo)["yaxis"]["title"]["text"] == "Price (USD)"

    # The log-scale switch: the y axis turns logarithmic, and the URL keeps it.
    dash_duo.driver.execute_script("document.getElementById('card-scale-switch').click()")
    _wait(lambda: _layout(dash_duo)["yaxis"].get("type") == "log")
    _wait(lambda: "scale=log" in dash_duo.driver.current_url)

    # A range with one price says so and offers the nearest range with a line.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={card}&range=24h&scale=log")
    dash_duo.wait_for_contains_text(
        "#card-status", "Only one price matching these filters in the last 24h: its data ends 2025-12-18; try 7d", 15
    )
    assert _layout(dash_duo)["yaxis"].get("type") == "log"
    dash_duo.find_element("#card-range-wider").click()
    _wait(lambda: "range=7d" in dash_duo.driver.current_url)
    _wait(lambda: len(_traces(dash_duo)[0]["y"]) == 6)  # days 42-47
    _wait(lambda: dash_duo.find_element("#card-status").text == "")
    assert _console_errors(dash_duo) == []
