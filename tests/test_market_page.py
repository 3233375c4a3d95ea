"""The market page's grids and labels in a real browser: movers that read and open their card,
human format names, a collection in progress, and the offline empty state."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from app.server import create_app
from data.repositories.source_runs import RunTotals
from layouts.formats import format_name
from tests.conftest import FIXTURES
from tests.helpers import T0, add_cards, add_marketplaces, snap
from workers.imports import import_scryfall

GREEN, RED = "rgb(55, 178, 77)", "rgb(240, 62, 62)"  # Mantine green-7 and red-7


def _wait(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_format_names_are_the_ones_players_use():
    assert [format_name(k) for k in ("paupercommander", "predh", "standardbrawl", "oldschool", "duel", "penny")] == [
        "Pauper Commander",
        "PreDH",
        "Standard Brawl",
        "Old School",
        "Duel Commander",
        "Penny Dreadful",
    ]
    assert format_name("premodern") == "Premodern" and format_name("future") == "Future"
    assert format_name("newformat") == "Newformat"  # an unknown key, title-cased


@pytest.fixture
def movers(services, scryfall_objects):
    """Two modern-legal printings, one up 25 % and one down 25 % in a day."""
    markets = add_marketplaces(services)
    objects = [o for o in scryfall_objects if o["legalities"].get("modern") == "legal"][:2]
    up, down = add_cards(services, objects).values()
    tcg = markets["tcgplayer"]
    services.ingest(
        [
            snap(up, tcg, "10.00", T0 - timedelta(days=1)),
            snap(down, tcg, "8.00", T0 - timedelta(days=1)),
            snap(up, tcg, "12.50", T0),
            snap(down, tcg, "6.00", T0),
        ]
    )
    return objects, up, down


def test_movers_read_at_1440_and_a_row_opens_its_card(dash_duo, services, movers):
    objects, up, _down = movers
    dash_duo.driver.set_window_size(1440, 900)
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?period=24h&min_price=0")
    dash_duo.wait_for_contains_text("#movers-gainers", objects[0]["name"], timeout=15)
    dash_duo.wait_for_contains_text("#movers-losers", objects[1]["name"], timeout=15)

    def cells(grid: str) -> dict[str, dict]:
        return dash_duo.driver.execute_script(
            """const cells = {};
            for (const cell of document.querySelectorAll(arguments[0] + ' .ag-center-cols-container .ag-cell')) {
                cells[cell.getAttribute('col-id')] = {text: cell.innerText, color: getComputedStyle(cell).color,
                    cut: cell.scrollWidth > cell.clientWidth};
            }
            return cells;""",
            grid,
        )

    gainer, loser = cells("#movers-gainers"), cells("#movers-losers")
    assert gainer["then_price"]["text"] == "10.00 USD" and gainer["price"]["text"] == "12.50 USD"
    assert (gainer["change"]["text"], gainer["change_pct"]["text"]) == ("+2.50 USD", "+25.00 %")
    assert (loser["change"]["text"], loser["change_pct"]["text"]) == ("-2.00 USD", "-25.00 %")
    assert gainer["change_pct"]["color"] == GREEN and loser["change_pct"]["color"] == RED
    set_text = f"{objects[0]['set'].upper()} #{objects[0]['collector_number']}"
    assert gainer["set"]["text"] == set_text and not gainer["set"]["cut"]  # not "MID …"
    assert [f"{col}: {c['text']}" for row in (gainer, loser) for col, c in row.items() if c["cut"]] == []
    # Every column, the % one included, ends inside its grid: none past the edge.
    for grid in ("#movers-gainers", "#movers-losers"):
        past = dash_duo.driver.execute_script(
            """const grid = document.querySelector(arguments[0] + ' .ag-root-wrapper').getBoundingClientRect();
            return [...document.querySelectorAll(arguments[0] + ' .ag-header-cell')]
                .filter((h) => h.getBoundingClientRect().right > grid.right + 0.5).map((h) => h.innerText);""",
            grid,
        )
        assert past == []
    dash_duo.find_element("#movers-gainers .ag-center-cols-container .ag-cell[col-id='change_pct']").click()
    _wait(lambda: dash_duo.driver.current_url.endswith(f"/card?id={up}"))
    dash_duo.wait_for_text_to_equal("#card-name", objects[0]["name"], timeout=15)
    assert [log for log in dash_duo.get_logs() if "cards.scryfall.io" not in log["message"]] == []


def test_value_by_format_names_formats_as_players_do(dash_duo, services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_element("#market-volume-graph .main-svg", timeout=15)
    _wait(
        lambda: dash_duo.driver.execute_script(
            "const g = document.querySelector('#market-volume-graph .js-plotly-plot'); return g && g.data.length"
        )
    )
    names = dash_duo.driver.execute_script(
        "return document.querySelector('#market-volume-graph .js-plotly-plot').data[0].x"
    )
    assert {"Pauper Commander", "PreDH", "Standard Brawl", "Duel Commander", "Penny Dreadful", "Premodern"} <= set(
        names
    )
    assert not {"paupercommander", "predh", "standardbrawl", "duel", "penny"} & set(names)
    assert dash_duo.get_logs() == []


def test_a_running_collection_shows_instead_of_the_empty_state(dash_duo, services):
    run = services.runs.start("scryfall", "default-cards-20251101.jsonl.gz")
    try:
        services.runs.progress(run, RunTotals(inserted=1200, unchanged=34))
        dash_duo.start_server(create_app(services))
        dash_duo.wait_for_contains_text("#market-status", "Collecting prices", timeout=15)
        status = dash_duo.find_element("#market-status").text
        assert "scryfall: started " in status and "1,234 rows written so far" in status
        assert "No prices are stored yet" not in status  # not the empty state
        services.runs.progress(run, RunTotals(inserted=5000, unchanged=34))
        dash_duo.wait_for_contains_text("#market-status", "5,034 rows written so far", timeout=15)  # polled
    finally:
        services.runs.finish(run, "succeeded", RunTotals(inserted=5000, unchanged=34))
    assert dash_duo.get_logs() == []


def test_offline_empty_state_names_the_sample_import_as_code(dash_duo, services):
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_contains_text("#market-status", "No prices are stored yet", timeout=15)
    codes = [c.text for c in dash_duo.find_elements("#market-status code")]
    assert codes[0] == "cardcharts import scryfall tests/fixtures/scryfall-cards-2025-11-01.jsonl.gz"
    assert (FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz").exists()
    assert "`" not in dash_duo.find_element("#market-status").text
    assert dash_duo.get_logs() == []
