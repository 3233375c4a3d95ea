"""The compare page: printings on one scale, normalized exactly, state in the URL."""

from __future__ import annotations

import time

from app.server import create_app
from data.domain import Condition, Finish, Language
from data.use_cases.compare import normalized
from tests.conftest import FIXTURES
from workers.imports import import_mtgjson, import_scryfall


def _load(services) -> tuple[int, int]:
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    import_mtgjson(
        services, FIXTURES / "mtgjson" / "AllPrices-sample.json", [FIXTURES / "mtgjson" / "AllIdentifiers-sample.json"]
    )
    consider = services.cards.get_by_scryfall_id("a211d505-4d40-4914-a9da-220770d6ddbc").id
    deluge = services.cards.get_by_scryfall_id("dc00fd1b-3dd9-492a-9ed4-0b6743074730").id
    return consider, deluge


def test_normalized_is_exact_and_keeps_gaps():
    assert normalized(["0.36", None, "0.37", "0.35"]) == ["100.00", None, "102.78", "97.22"]
    assert normalized([None, None]) == [None, None]


def test_compare_use_case(services):
    consider, deluge = _load(services)
    out = services.compare_queries.compare(
        [consider, deluge, 999999], "30d", "USD", Condition.NEAR_MINT, Language.ENGLISH, Finish.NONFOIL, True
    )
    assert out["missing"] == [999999]
    tcg = services.marketplaces.by_slug("tcgplayer").id
    by = {(s["card_id"], s["marketplace_id"]): s for s in out["series"]}
    assert by[(consider, tcg)]["value"] == ["100.00", "102.78", "97.22"]
    assert by[(deluge, tcg)]["value"][0] == "100.00"


def test_compare_page_from_a_url(dash_duo, services):
    consider, deluge = _load(services)
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(
        f"{dash_duo.server_url}/compare?ids={consider},{deluge}&range=30d&mode=normalized"
        "&currency=USD&condition=NM&finish=nonfoil&lang=en&scale=log"
    )
    dash_duo.wait_for_element("#compare-graph .main-svg", timeout=15)
    time.sleep(1)
    traces = dash_duo.driver.execute_script("return document.querySelector('#compare-graph .js-plotly-plot').data")
    consider_tcg = next(t for t in traces if t["name"].startswith("Consider (MID #44)<br>TCGplayer"))
    assert [c[0] for c in consider_tcg["customdata"]] == ["100.00", "102.78", "97.22"]
    assert any(t["name"].startswith("Memory Deluge") for t in traces)
    layout = dash_duo.driver.execute_script("return document.querySelector('#compare-graph .js-plotly-plot').layout")
    assert layout["yaxis"]["type"] == "log"  # from the URL: log scale with the normalized mode
    assert dash_duo.driver.execute_script("return document.getElementById('compare-scale-switch').checked") is True
    dash_duo.wait_for_contains_text("body", "Consider — MID #44", timeout=10)
    status = "return document.getElementById('live-status')?.textContent"
    deadline = time.monotonic() + 10
    while dash_duo.driver.execute_script(status) != "live":  # the page follows its printings live
        assert time.monotonic() < deadline, "the compare page never went live"
        time.sleep(0.1)
    logs = [log for log in dash_duo.get_logs() if "cards.scryfall.io" not in log["message"]]
    assert logs == []


def test_bad_and_unknown_ids_are_named_and_kept_and_a_phone_has_no_sideways_scroll(dash_duo, services):
    consider, deluge = _load(services)
    dash_duo.start_server(create_app(services))
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.wait_for_page(f"{dash_duo.server_url}/compare?ids={consider},999999,abc,{deluge}&range=30d")
    dash_duo.wait_for_contains_text("#compare-status", "Unknown card id(s): 999999.", timeout=15)
    assert "Ignored: ids: 'abc' (not card ids)." in dash_duo.find_element("#_pages_content").text
    time.sleep(2)  # the choice and URL callbacks have run: the unknown id is still there and still named
    assert "Unknown card id(s): 999999." in dash_duo.find_element("#compare-status").text
    assert "unknown card 999999" in dash_duo.find_element("body").text  # a pill of the printings chosen
    assert "999999" in dash_duo.driver.current_url
    traces = dash_duo.driver.execute_script("return document.querySelector('#compare-graph .js-plotly-plot').data")
    assert len(traces) == 4  # Consider: TCGplayer, Card Kingdom and its buylist; Memory Deluge: TCGplayer
    widths = dash_duo.driver.execute_script(
        """const legend = document.querySelector('#compare-graph .legend').getBoundingClientRect();
           return [document.documentElement.scrollWidth, window.innerWidth, legend.left, legend.right]"""
    )
    assert widths[0] <= widths[1], f"the page is {widths[0]} px wide in a {widths[1]} px window"
    assert widths[2] >= 0 and widths[3] <= widths[1], f"the legend spans {widths[2]}..{widths[3]} px"
    logs = [log for log in dash_duo.get_logs() if "cards.scryfall.io" not in log["message"]]
    assert logs == []
