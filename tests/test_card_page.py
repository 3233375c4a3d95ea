"""The card page in a real browser: search, header, history by variant, latest grid, URL state."""

from __future__ import annotations

import time

from app.server import create_app
from tests.conftest import FIXTURES
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
    assert [c[0] for c in tcg["customdata"]] == ["0.3600", "0.3700", "0.3500"]  # hourly means, 11-01..11-03
    assert "Card Kingdom · nonfoil · NM · en" in traces and "TCGplayer · foil · NM · en" in traces
    assert all("EUR" not in t["customdata"][0][1] for t in traces.values())  # the USD view only
    grid = dash_duo.find_element("#card-latest-grid").text
    assert "Card Kingdom buylist" in grid and "0.35" in grid
    assert "-5.41" in grid  # TCGplayer NM nonfoil: 0.35 against 0.37 a day earlier
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
