"""The frame around the pages in a real browser: phone and laptop widths, the burger menu, real 404s,
charts that talk to no outside service and export under their own name, the live badge's states,
and main callbacks that run once on load."""

from __future__ import annotations

import base64
import re
import struct
import time
import zlib
from collections import Counter

import pytest
from flask import request

from app.server import create_app
from tests.conftest import FIXTURES, SECRET
from tests.helpers import web_server
from workers.imports import import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # Consider, MID #44
JACE = "Jace, Vryn's Prodigy // Jace, Telepath Unbound"
PHONE, LAPTOP = (390, 844), (1440, 900)


def _wait(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _logs(dash_duo) -> list[dict]:
    """Console errors, less the card images (the tests have no internet) and an expected 404."""
    return [
        log
        for log in dash_duo.get_logs()
        if "cards.scryfall.io" not in log["message"] and "status of 404" not in log["message"]
    ]


@pytest.fixture
def sample(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    consider = services.cards.get_by_scryfall_id(CONSIDER).id
    return {"consider": consider, "other": consider + 1}


def _pages(sample) -> dict[str, str]:
    return {
        "market": "/",
        "card": f"/card?id={sample['consider']}",
        "compare": f"/compare?ids={sample['consider']},{sample['other']}",
        "sources": "/sources",
    }


def _ready(dash_duo, name: str) -> None:
    """The page has drawn what it fetched (its widest parts are on it)."""
    selector = {
        "market": "#movers-gainers .ag-root-wrapper",
        "card": "#card-latest-grid .ag-row",
        "compare": "#compare-graph .main-svg",
        "sources": "#sources-grid .ag-row",
    }[name]
    dash_duo.wait_for_element(selector, timeout=15)
    time.sleep(0.5)


@pytest.mark.parametrize("size", [PHONE, LAPTOP], ids=["390px", "1440px"])
def test_no_page_scrolls_sideways(dash_duo, services, sample, size):
    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(create_app(services))
    widths = {}
    for name, path in _pages(sample).items():
        dash_duo.wait_for_page(dash_duo.server_url + path)
        _ready(dash_duo, name)
        widths[name] = dash_duo.driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")
        header = dash_duo.driver.execute_script(
            "return document.querySelector('.mantine-AppShell-header').getBoundingClientRect().height"
        )
        assert header == 56, name  # one row: the header never wraps onto the page
    # scrollWidth is under innerWidth by the vertical scrollbar's width: 0 means no overflow.
    assert {name: max(width, 0) for name, width in widths.items()} == dict.fromkeys(widths, 0)
    assert _logs(dash_duo) == []


def test_the_phone_menu_is_a_burger(dash_duo, services):
    dash_duo.driver.set_window_size(*PHONE)
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_contains_text("#market-status", "No prices are stored yet", timeout=15)
    visible = "return [...document.querySelectorAll(arguments[0])].filter((e) => e.offsetParent !== null).length"
    inline = ".mantine-AppShell-header a"
    assert dash_duo.driver.execute_script(visible, inline) == 0  # no inline links on a phone
    assert dash_duo.driver.execute_script(visible, "#nav-burger") == 1
    # The badge and the switch sit inside the header, clear of the page's controls.
    badge = dash_duo.driver.execute_script("return document.getElementById('live-status').getBoundingClientRect()")
    controls = dash_duo.driver.execute_script("return document.getElementById('market-range').getBoundingClientRect()")
    assert badge["bottom"] <= 56 < controls["top"]
    dash_duo.find_element("#nav-burger").click()
    menu = "return document.getElementById('nav-menu').getBoundingClientRect()"
    _wait(lambda: dash_duo.driver.execute_script(menu)["left"] == 0)  # slid in, within the screen
    assert dash_duo.driver.execute_script(menu)["right"] <= 390
    next(a for a in dash_duo.find_elements("#nav-menu a") if a.text == "Sources").click()
    dash_duo.wait_for_contains_text("#sources-grid", "scryfall", timeout=15)
    assert dash_duo.driver.current_url.endswith("/sources")
    _wait(lambda: dash_duo.find_element("#nav-burger").get_attribute("data-opened") is None)  # closed again
    dash_duo.driver.set_window_size(*LAPTOP)
    _wait(lambda: dash_duo.driver.execute_script(visible, inline) == 8)
    assert dash_duo.driver.execute_script(visible, "#nav-burger") == 0
    assert _logs(dash_duo) == []


def test_unknown_paths_answer_404_and_pages_200(services):
    client = create_app(services).server.test_client()
    for path in ("/nope", "/card/extra", "/404", "/sources/x/y", "/favicon.ico"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert b'id="react-entry-point"' in response.data, path  # the shell still loads
    for path in ("/", "/card", "/card/", "/compare", "/sources", "/card?id=1", "/healthz", "/_favicon.ico"):
        assert client.get(path).status_code == 200, path
    assert client.get("/assets/cardcharts.css").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_unknown_path_shows_page_not_found_with_links_home(dash_duo, services):
    dash_duo.start_server(create_app(services))
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card/extra")
    dash_duo.wait_for_contains_text("#_pages_content", "Page not found", timeout=15)
    links = {a.text: a.get_attribute("href") for a in dash_duo.find_elements("#_pages_content a")}
    assert links["Home (market)"] == f"{dash_duo.server_url}/"
    assert dash_duo.driver.title == "Page not found · CardCharts"
    assert dash_duo.find_element("#live-status").text.lower() == "idle"
    assert _logs(dash_duo) == []


def test_page_titles_and_descriptions(services):
    client = create_app(services).server.test_client()
    for path, title, described in (
        ("/", "Market · CardCharts", "market index"),
        ("/compare", "Compare · CardCharts", "eight"),
        ("/sources", "Sources · CardCharts", "freshness"),
    ):
        page = client.get(path).data.decode()
        assert f'<meta property="og:title" content="{title}">' in page, path
        description = page.split('<meta name="description" content="', 1)[1].split('"', 1)[0]
        assert described in description, path


def _png_corner_alpha(data_url: str) -> tuple[int, tuple[int, ...]]:
    """The PNG's colour type and its first pixel (RGBA or RGB), decoded with zlib alone."""
    png = base64.b64decode(data_url.split(",", 1)[1])
    _width, _height, depth, color_type = struct.unpack(">IIBB", png[16:26])
    chunks, at = b"", 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at : at + 8])
        if kind == b"IDAT":
            chunks += png[at + 8 : at + 8 + length]
        at += 12 + length
    raw = zlib.decompress(chunks)
    channels = {6: 4, 2: 3}[color_type]
    assert depth == 8  # the first pixel of the first row is stored as is, whatever the row's filter
    return color_type, tuple(raw[1 : 1 + channels])


def test_charts_export_opaque_under_their_name_and_talk_to_no_outside_service(dash_duo, services, sample):
    dash_duo.start_server(create_app(services))
    graph = "document.querySelector(arguments[0] + ' .js-plotly-plot')"
    for scheme, background in (("light", (255, 255, 255)), ("dark", (36, 36, 36))):
        dash_duo.driver.execute_script(f"localStorage.setItem('color-scheme', '\"{scheme}\"')")
        dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={sample['consider']}&range=1y")
        dash_duo.wait_for_element("#card-history-graph .main-svg", timeout=15)
        _wait(
            lambda: (
                dash_duo.driver.execute_script(
                    f"return {graph}._context.toImageButtonOptions.filename", "#card-history-graph"
                )
                == "consider-mid-1y"
            )
        )
        context = dash_duo.driver.execute_script(
            f"const c = {graph}._context; return [c.showSendToCloud, c.showEditInChartStudio, c.showLink,"
            " c.toImageButtonOptions]",
            "#card-history-graph",
        )
        # (showEditInChartStudio is not a setting of this Plotly: its button never shows.)
        assert context[0] is False  # plotly.js 4 draws "sendChartToCloud" unless this is false
        assert context[3] == {"format": "png", "filename": "consider-mid-1y", "scale": 2}
        buttons = dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('#card-history-graph .modebar-btn')].map((b) => b.dataset.title)"
        )
        assert buttons and not [b for b in buttons if "Chart Studio" in b or "Share" in b or "cloud" in b.lower()]
        image = dash_duo.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            f"Plotly.toImage({graph}, {{format: 'png', width: 200, height: 100}})"
            ".then(done, (e) => done('error ' + e));",
            "#card-history-graph",
        )
        assert image.startswith("data:image/png;base64,"), (image, dash_duo.get_logs())
        color_type, pixel = _png_corner_alpha(image)
        assert pixel[:3] == background and (color_type == 2 or pixel[3] == 255), scheme  # opaque
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?range=30d")
    dash_duo.wait_for_element("#market-index-graph .main-svg", timeout=15)
    _wait(
        lambda: (
            dash_duo.driver.execute_script(
                f"return {graph}._context.toImageButtonOptions.filename", "#market-index-graph"
            )
            == "market-index-30d"
        )
    )
    assert _logs(dash_duo) == []


def test_the_live_badge_tells_the_truth(dash_duo, database_url, redis_server, services, sample):
    badge = "const badge = document.getElementById('live-status'); return badge && badge.textContent"
    with web_server(database_url, redis_server, SECRET) as address:
        dash_duo.driver.get(f"http://{address}/card")  # no card chosen: the page follows nothing
        dash_duo.wait_for_element("#card-search", timeout=15)
        time.sleep(1)
        assert dash_duo.driver.execute_script(badge) == "idle"
        dash_duo.driver.get(f"http://{address}/card?id={sample['consider']}")
        _wait(lambda: dash_duo.driver.execute_script(badge) == "live")
        dash_duo.driver.get(f"http://{address}/")
        _wait(lambda: dash_duo.driver.execute_script(badge) == "live")
    _wait(lambda: dash_duo.driver.execute_script(badge) == "offline")  # the server is gone: retrying
    time.sleep(2)  # retries that fail keep it offline, never "live"
    assert dash_duo.driver.execute_script(badge) == "offline"


def _count_callbacks(app) -> Counter:
    """Callback requests per output and per what triggered them (a Flask hook in the test server)."""
    counts: Counter = Counter()

    @app.server.before_request
    def count():
        if request.path == "/_dash-update-component":
            body = request.get_json()
            counts[body["output"]] += 1

    return counts


def _output(app, part: str) -> str:
    """The callback map's key (its outputs) of the callback that writes `part` ("id.property")."""
    return next(output for output in app.callback_map if part in output)


# On load, a page's main callbacks run in the server, inside its first layout (callbacks/first_draw.py),
# and Dash's router does not run (app/first_layout.py): none of them is requested. What is left is
# requested once: the sources page's table, and the compare page's names of its printings.
FIRST_DRAWN = {
    "/": ["market-index-graph.figure", "movers-gainers.rowData", "market-index.data"],
    "card": ["card-history-graph.figure", "card-header.children"],
    "compare": ["compare-graph.figure"],
    "/sources": [],
}
ONCE = {"/": [], "card": [], "compare": ["compare-search.data"], "/sources": ["sources-grid.rowData"]}
CHARTS = {"/": "market-index-graph", "card": "card-history-graph", "compare": "compare-graph"}


def _paper(dash_duo, graph: str) -> str | None:
    """The chart's paper colour once it is drawn with data (None until then)."""
    return dash_duo.driver.execute_script(
        "const plot = document.querySelector(arguments[0] + ' .js-plotly-plot');"
        "return plot && (plot.data || []).some((t) => (t.x || []).length) ? plot.layout.paper_bgcolor : null",
        f"#{graph}",
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_main_callbacks_run_once_on_load(dash_duo, services, sample, scheme):
    app = create_app(services)
    counts = _count_callbacks(app)
    dash_duo.start_server(app)
    dash_duo.wait_for_contains_text("#market-overview", "Printings tracked", timeout=15)
    if scheme == "dark":  # chosen as a reader does: the switch writes the stored scheme and its cookie
        dash_duo.find_element("#color-scheme-switch").click()
        _wait(lambda: _paper(dash_duo, CHARTS["/"]) == "#242424")
    time.sleep(1)  # the first visit's requests are all answered before counting starts
    paper = "#242424" if scheme == "dark" else "#ffffff"
    router = _output(app, "_pages_content.children")
    for path in FIRST_DRAWN:
        url = f"/card?id={sample['consider']}" if path == "card" else path
        url = f"/compare?ids={sample['consider']},{sample['other']}" if path == "compare" else url
        counts.clear()
        dash_duo.wait_for_page(dash_duo.server_url + url)
        if path in CHARTS:
            _wait(lambda path=path: _paper(dash_duo, CHARTS[path]) is not None)
            assert _paper(dash_duo, CHARTS[path]) == paper, path  # drawn in the stored scheme, by the server
        time.sleep(3)  # anything that would fire a second time has by now
        assert counts[router] == 0, path
        assert {part: counts[_output(app, part)] for part in FIRST_DRAWN[path]} == dict.fromkeys(FIRST_DRAWN[path], 0)
        assert {part: counts[_output(app, part)] for part in ONCE[path]} == dict.fromkeys(ONCE[path], 1), path
    # Switching the scheme still redraws the chart, once.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={sample['consider']}")
    _wait(lambda: _paper(dash_duo, CHARTS["card"]) == paper)
    dash_duo.wait_for_element("#card-latest-grid .ag-row", timeout=15)  # the grid comes too, after the chart
    counts.clear()
    dash_duo.find_element("#color-scheme-switch").click()
    history = _output(app, "card-history-graph.figure")
    _wait(lambda: counts[history] == 1)
    time.sleep(1)
    assert counts[history] == 1
    assert _paper(dash_duo, CHARTS["card"]) == ("#ffffff" if scheme == "dark" else "#242424")
    assert _logs(dash_duo) == []


def test_a_scheme_stored_before_its_cookie_redraws_once_then_never(dash_duo, services, sample):
    """A reader who chose dark before the scheme had a cookie: the first load draws light in the server
    and once more in dark; it writes the cookie, so the next load is drawn dark by the server."""
    app = create_app(services)
    counts = _count_callbacks(app)
    dash_duo.start_server(app)
    url = f"{dash_duo.server_url}/card?id={sample['consider']}"
    dash_duo.wait_for_page(url)
    _wait(lambda: _paper(dash_duo, CHARTS["card"]) == "#ffffff")
    dash_duo.driver.execute_script("localStorage.setItem('color-scheme', '\"dark\"')")
    dash_duo.driver.delete_all_cookies()
    history = _output(app, "card-history-graph.figure")
    for redraws in (1, 0):
        counts.clear()
        dash_duo.wait_for_page(url)
        _wait(lambda: _paper(dash_duo, CHARTS["card"]) == "#242424")
        time.sleep(2)
        assert counts[history] == redraws
    assert dash_duo.driver.get_cookie("color-scheme")["value"] == "dark"
    assert _logs(dash_duo) == []


def component(tree, id_: str) -> dict | None:
    """The component with this id in a layout as Dash sends it (JSON)."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == id_:
            return tree
        tree = list(tree.get("props", {}).values()) if "props" in tree else list(tree.values())
    if isinstance(tree, list):
        return next((found for item in tree if (found := component(item, id_)) is not None), None)
    return None


def _layout_for(client, referrer: str | None) -> dict:
    headers = {"Referer": referrer} if referrer else {}
    return client.get("/_dash-layout", headers=headers).get_json()


def test_the_first_layout_holds_the_page_its_request_came_from(services, sample):
    client = create_app(services).server.test_client()
    client.get("/")
    card = f"?id={sample['consider']}&range=1y"
    layout = _layout_for(client, f"http://localhost/card{card}")
    location = component(layout, "_pages_location")["props"]
    assert (location["pathname"], location["search"]) == ("/card", card)  # the router sees no change
    assert component(layout, "_pages_store")["props"]["data"] == {"title": "Consider (MID) · CardCharts"}
    figure = component(layout, "card-history-graph")["props"]["figure"]
    assert any(trace["x"] for trace in figure["data"])  # drawn by the callback's own function
    assert component(layout, "card-range")["props"]["value"] == "1y"
    assert component(layout, "card-latest-grid")["props"]["rowData"]
    # The not-found page for an unknown path; nothing for a Referer of another site, or none.
    layout = _layout_for(client, "http://localhost/card/extra")
    assert component(layout, "_pages_store")["props"]["data"] == {"title": "Page not found · CardCharts"}
    for referrer in (None, "http://evil.example/card?id=1", "javascript:alert(1)"):
        layout = _layout_for(client, referrer)
        assert component(layout, "_pages_content")["props"].get("children") is None, referrer
        assert "pathname" not in component(layout, "_pages_location")["props"], referrer
    # In the scheme of its cookie, which the shell starts in too.
    client.set_cookie("color-scheme", "dark")
    layout = _layout_for(client, f"http://localhost/card{card}")
    assert component(layout, "card-history-graph")["props"]["figure"]["layout"]["paper_bgcolor"] == "#242424"
    assert component(layout, "color-scheme")["props"]["data"] == "dark"
    assert component(layout, "mantine-provider")["props"]["forceColorScheme"] == "dark"


def test_a_layout_built_for_another_url_gives_way_to_the_router(dash_duo, services, sample):
    """A browser that sends only the origin as Referer: the layout is built for "/", the page's script
    sees that it is not the address bar's URL, and the router draws the card page."""
    app = create_app(services)
    counts = _count_callbacks(app)
    dash_duo.start_server(app)
    dash_duo.driver.execute_cdp_cmd("Network.enable", {})
    dash_duo.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Referer": dash_duo.server_url + "/"}})
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={sample['consider']}")
    dash_duo.wait_for_text_to_equal("#card-name", "Consider", timeout=15)
    _wait(lambda: _paper(dash_duo, CHARTS["card"]) is not None)
    assert counts[_output(app, "_pages_content.children")] == 1
    assert dash_duo.find_elements("#market-index-graph") == []
    dash_duo.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {}})
    assert _logs(dash_duo) == []


def test_grids_load_their_bundle_when_first_drawn_on_every_page(dash_duo, services, sample):
    """AG Grid's bundle is in no page's scripts (app/first_layout.py): the first grid a page draws runs
    it, once, whether the page was opened or reached through the router from a page without grids."""
    app = create_app(services)
    dash_duo.start_server(app)
    pages = _pages(sample)
    html = app.server.test_client().get("/").get_data(as_text=True)
    assert "/dash_ag_grid/dash_ag_grid.v" in html and not re.search(r"<script[^>]+/dash_ag_grid\.v", html)
    runs = "return [...document.scripts].filter((script) => /dash_ag_grid[.]v/.test(script.src)).length"
    for name in ("market", "card", "sources"):
        dash_duo.wait_for_page(dash_duo.server_url + pages[name])
        _ready(dash_duo, name)
        assert dash_duo.driver.execute_script(runs) == 1, name
        assert dash_duo.driver.execute_script("return Object.keys(window.dash_ag_grid)").count("AgGrid") == 1
    for name, link in (("market", "/"), ("sources", "/sources")):
        dash_duo.wait_for_page(dash_duo.server_url + pages["compare"])
        dash_duo.wait_for_element("#compare-graph .main-svg", timeout=15)
        dash_duo.driver.execute_script(f"document.querySelector('a[href=\"{link}\"]').click()")
        _ready(dash_duo, name)
    assert _logs(dash_duo) == []
