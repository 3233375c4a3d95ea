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


# --- Issue 11: the latest-prices grid, every printing, the tab title and preview tags, a phone's width ---

JACE = "Jace, Vryn's Prodigy // Jace, Telepath Unbound"


def _jace(services, lang: str) -> int:
    return next(card.id for card in services.cards.search("ori 60") if card.lang == lang)


def _no_overflow(dash_duo) -> None:
    """No page scrolls sideways: the document is no wider than the window."""
    widths = dash_duo.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"


def test_latest_grid_rows_are_signed_short_utc_and_aged_and_empty_columns_hidden(services):
    from callbacks.card import latest_rows
    from layouts.card import latest_columns

    rows = latest_rows(services.card_queries.detail(_loaded(services)))
    shown = [(r["marketplace"], r["finish"], r["price_shown"], r["change_24h_shown"], r["time_shown"]) for r in rows]
    assert shown == [
        # Scryfall's prices are from its file of 2025-11-01; MTGJSON's run to 2025-11-03.
        ("TCGplayer", "foil", "0.74 USD", None, "2025-11-01 00:00 · 2 d old"),
        ("TCGplayer", "nonfoil", "0.35 USD", "-5.41 %", "2025-11-03 00:00"),
        ("Cardmarket", "foil", "1.55 EUR", "0.00 %", "2025-11-03 00:00"),
        ("Cardmarket", "nonfoil", "0.52 EUR", "+4.00 %", "2025-11-03 00:00"),
        ("Cardhoarder (MTGO, tix)", "nonfoil", "0.03 TIX", "0.00 %", "2025-11-03 00:00"),
        ("Card Kingdom", "nonfoil", "0.49 USD", None, "2025-11-03 00:00"),
        ("Card Kingdom buylist", "nonfoil", "0.10 USD", None, "2025-11-03 00:00"),
    ]
    assert [r["age_days"] for r in rows] == [2, None, None, None, None, None, None]
    hidden = [column["field"] for column in latest_columns(rows) if column["hide"]]
    assert hidden == ["change_7d", "change_30d", "vs_near_mint", "vs_english", "quantity"]


def _settled_header_edges(dash_duo) -> dict[str, float]:
    """Each latest-grid column's right edge, once the grid has stopped sizing its columns (it sizes
    them to fit after its rows are drawn, so the first frame with rows can still be a pixel wide)."""
    read = """return [...document.querySelectorAll('#card-latest-grid .ag-header-cell')]
        .map(h => [h.getAttribute('col-id'), h.getBoundingClientRect().right])"""
    edges, deadline = None, time.monotonic() + 10
    while (now := dict(dash_duo.driver.execute_script(read))) != edges and time.monotonic() < deadline:
        edges = now
        time.sleep(0.3)
    return now


def test_latest_grid_colours_changes_and_marks_old_rows_and_fits_a_phone(dash_duo, services):
    card = _loaded(services)
    dash_duo.start_server(create_app(services))
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={card}&range=30d")
    dash_duo.wait_for_text_to_equal("#card-name", "Consider", timeout=15)
    dash_duo.wait_for_contains_text("#card-latest-grid", "-5.41 %", timeout=15)
    cells = dash_duo.driver.execute_script(
        """return [...document.querySelectorAll('#card-latest-grid .ag-cell')]
            .filter(c => c.textContent.trim())
            .map(c => [c.getAttribute('col-id'), c.textContent.trim(), c.className])"""
    )
    classes = {(col, text): cls for col, text, cls in cells}
    assert "cc-down" in classes[("change_24h", "-5.41 %")]
    assert "cc-up" in classes[("change_24h", "+4.00 %")]
    assert "cc-up" not in classes[("change_24h", "0.00 %")] and "cc-down" not in classes[("change_24h", "0.00 %")]
    assert "cc-old" in classes[("time", "2025-11-01 00:00 · 2 d old")]
    assert "cc-old" not in classes[("time", "2025-11-03 00:00")]
    shown = _settled_header_edges(dash_duo)
    assert "quantity" not in shown and "vs_english" not in shown  # empty columns are not shown
    for key in ("marketplace", "price", "change_24h"):  # the key columns are on a phone's screen
        assert shown[key] <= 390, f"{key} ends at {shown[key]} px"
    assert dash_duo.driver.title == "Consider (MID) · CardCharts"
    _no_overflow(dash_duo)
    assert _console_errors(dash_duo) == []


def test_every_printing_is_listed_and_one_without_prices_points_to_one_with(dash_duo, services):
    _loaded(services)
    japanese, english = _jace(services, "ja"), _jace(services, "en")
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={japanese}")
    dash_duo.wait_for_contains_text("#card-status", "No prices for this printing yet", timeout=15)
    assert dash_duo.find_element("#card-status").text.splitlines()[-1] == (
        "No prices for this printing yet; the ORI English printing has them."
    )
    link = dash_duo.find_element("#card-priced-printing")
    assert link.get_attribute("href") == f"{dash_duo.server_url}/card?id={english}"
    rows = dash_duo.driver.execute_script(
        """return [...document.querySelectorAll('#card-printings-table tbody tr')]
            .map(r => [...r.cells].map(c => c.textContent.trim()).join(' | '))"""
    )
    assert rows[:6] == [
        "Pioneer Masters (PIO) | 60 | en | no price yet | open",
        "The List (PLST) | ORI-60 | en | 5.63 USD | open",
        "From the Vault: Transform (V17) | 12 | en | 0.62 TIX | open",
        "Magic Origins (ORI) | 60 | en | 4.78 USD | open",
        "Magic Origins Promos (PORI) | 60s | en | 9.64 USD | open",
        "San Diego Comic-Con 2015 (PS15) | 60 | en | 104.88 USD | open",
    ]
    assert len(rows) == 16 and rows[10] == "Magic Origins (ORI) | 60 | ja | no price yet | this page"
    assert dash_duo.driver.title == f"{JACE} (ORI) · CardCharts"
    link.click()
    _wait(lambda: dash_duo.driver.current_url.startswith(f"{dash_duo.server_url}/card?id={english}"))
    _wait(lambda: "60 en 4.78 USD this page" in dash_duo.find_element("#card-printings-table").text.replace("\n", " "))
    assert _console_errors(dash_duo) == []


def test_a_card_no_printing_has_prices_for_names_the_commands_as_code(dash_duo, services, scryfall_objects):
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={card}")
    dash_duo.wait_for_contains_text("#card-status", "No prices are stored", timeout=15)
    status = dash_duo.find_element("#card-status").text
    assert "`" not in status
    codes = [code.text for code in dash_duo.driver.find_elements("css selector", "#card-status code")]
    assert codes == ["cardcharts collect scryfall", "cardcharts import scryfall FILE"]


def test_card_page_html_carries_its_title_description_and_image(services):
    import re
    from html import unescape

    card = _loaded(services)
    client = create_app(services).server.test_client()

    def tags(url: str) -> tuple[str, dict[str, str]]:
        page = client.get(url).get_data(as_text=True)
        metas = dict(re.findall(r'<meta (?:property|name)="([^"]+)" content="([^"]*)">', page))
        return unescape(re.search(r"<title>(.*)</title>", page).group(1)), {k: unescape(v) for k, v in metas.items()}

    title, metas = tags(f"/card?id={card}")
    assert title == metas["og:title"] == "Consider (MID) · CardCharts"
    assert (
        metas["og:description"]
        == metas["description"]
        == (
            "Consider, Innistrad: Midnight Hunt (MID) #44, en: 0.35 USD on TCGplayer, 2025-11-03 00:00 UTC."
            " Price history by marketplace, condition, finish and language on CardCharts."
        )
    )
    assert (
        metas["og:image"]
        == metas["twitter:image"]
        == ("https://cards.scryfall.io/normal/front/a/2/a211d505-4d40-4914-a9da-220770d6ddbc.jpg?1665819309")
    )
    title, metas = tags(f"/card?id={_jace(services, 'en')}")
    assert metas["og:title"] == f"{JACE} (ORI) · CardCharts"
    assert metas["og:description"].startswith(f"{JACE}, Magic Origins (ORI) #60, en: 4.78 USD on TCGplayer, 2025-11-01")
    for url in ("/card?id=999999", "/card?id=abc", "/card", "/card?id=%00"):
        title, metas = tags(url)
        assert (title, metas["og:title"], metas["og:image"]) == ("CardCharts", "Card · CardCharts", ""), url
