"""Embeds: who may frame them, their oEmbed answers and discovery links, their bare frame, and in a real
browser a page of another origin that frames one (live), one that may not, and the Embed button."""

from __future__ import annotations

import dataclasses
import gzip
import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dash
import pytest

from app.server import create_app
from app.settings import ConfigError, Settings, load_settings
from tests.conftest import FIXTURES
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # Consider, MID #44
TCG_NONFOIL = "TCGplayer · nonfoil · NM · en"
SHOTS = Path("/tmp/embed_shots")  # screenshots of the embeds, to look at


@pytest.fixture
def make_app(services):
    """create_app with CARDCHARTS_EMBED_ORIGINS set."""

    def build(origins: str = "") -> dash.Dash:
        settings = Settings(**{**services.settings.model_dump(), "embed_origins": origins})
        return create_app(dataclasses.replace(services, settings=settings))

    return build


@pytest.fixture
def consider(services) -> int:
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    return services.cards.get_by_scryfall_id(CONSIDER).id


def _ancestors(response) -> str:
    policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    return policy["frame-ancestors"]


# --- framing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origins", "embed_ancestors"),
    [
        ("https://blog.example.com, http://127.0.0.1:8000", "'self' https://blog.example.com http://127.0.0.1:8000"),
        ("*", "*"),
        ("", "'self'"),
    ],
    ids=["listed", "any", "none"],
)
def test_embeds_may_be_framed_by_the_configured_origins_and_pages_only_by_us(
    make_app, consider, origins, embed_ancestors
):
    client = make_app(origins).server.test_client()
    for path in (f"/embed/card/{consider}?range=90d", "/embed/compare?ids=1,2", "/embed/market", "/embed/nothing"):
        response = client.get(path)
        assert _ancestors(response) == embed_ancestors, path
        assert "X-Frame-Options" not in response.headers
    assert client.get(f"/embed/card/{consider}").status_code == 200
    assert client.get("/embed/nothing").status_code == 404
    for path in ("/", f"/card?id={consider}", "/compare", "/sources", "/oembed", "/_dash-layout", "/embed"):
        assert _ancestors(client.get(path)) == "'self'", path


@pytest.mark.parametrize(
    "value",
    [
        "blog.example.com",
        "https://blog.example.com/",
        "https://a.com/path",
        "*, https://a.com",
        "https://a.com;x",
        "ftp://a.com",
        "https://a.com:99999",
        "'self'",
    ],
)
def test_embed_origins_are_validated_strictly(value):
    with pytest.raises(ConfigError, match="EMBED_ORIGINS"):
        load_settings(embed_origins=value)


# --- oEmbed ----------------------------------------------------------------------------------------


def test_oembed_answers_a_rich_iframe_of_each_page(make_app, consider):
    client = make_app().server.test_client()
    url = f"http://localhost/card?id={consider}&range=90d&currency=EUR"
    response = client.get("/oembed", query_string={"url": url, "format": "json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
    title = "Consider (MID) · CardCharts"
    assert response.get_json() == {
        "type": "rich",
        "version": "1.0",
        "title": title,
        "provider_name": "CardCharts",
        "provider_url": "http://localhost/",
        "html": f'<iframe src="http://localhost/embed/card/{consider}?range=90d&amp;currency=EUR" width="800"'
        f' height="450" style="border:0" loading="lazy" title="{title}"></iframe>',
        "width": 800,
        "height": 450,
    }
    sized = client.get("/oembed", query_string={"url": "http://localhost/?range=1y", "maxwidth": "400"}).get_json()
    assert (sized["width"], sized["height"], sized["title"]) == (400, 450, "Market index · CardCharts")
    assert 'src="http://localhost/embed/market?range=1y" width="400" height="450"' in sized["html"]
    compare = client.get(
        "/oembed", query_string={"url": "http://localhost/compare?ids=1,2", "maxwidth": "2000", "maxheight": "300"}
    ).get_json()
    assert (compare["width"], compare["height"]) == (800, 300)
    assert 'src="http://localhost/embed/compare?ids=1%2C2" width="800" height="300"' in compare["html"]


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ({}, 400, "url is required"),
        ({"url": "http://localhost/card?id=1", "format": "xml"}, 501, "only format=json"),
        ({"url": "http://localhost/card?id=1", "format": "yaml"}, 400, "format must be json"),
        ({"url": "http://localhost/", "maxwidth": "wide"}, 400, "maxwidth must be"),
        ({"url": "http://localhost/", "maxheight": "0"}, 400, "maxheight must be"),
        ({"url": "javascript:alert(1)"}, 400, "http or https"),
        ({"url": "http://localhost:99999/"}, 400, "not a valid address"),
        ({"url": "http://localhost/\x00"}, 400, "printable"),
        ({"url": "http://localhost/" + "a" * 3000}, 400, "at most"),
        ({"url": "https://evil.example.com/card?id=1"}, 404, "not on this site"),
        ({"url": "http://localhost/sources"}, 404, "no page with a chart"),
        ({"url": "http://localhost/card?id=abc"}, 404, "names one card"),
        ({"url": "http://localhost/card?id=1&id=2"}, 404, "names one card"),
        ({"url": "http://localhost/card?id=999999"}, 404, "no such card"),
    ],
)
def test_oembed_errors_are_short_json(make_app, consider, query, status, error):
    response = make_app().server.test_client().get("/oembed", query_string=query)
    assert response.status_code == status
    assert error in response.get_json()["error"]


def test_each_page_with_a_chart_names_its_oembed_url(make_app, consider):
    client = make_app().server.test_client()
    link = re.compile(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)" title="([^"]+)">')
    found = link.search(client.get(f"/card?id={consider}&range=90d").get_data(as_text=True))
    assert found.group(1) == (
        f"http://localhost/oembed?url=http%3A%2F%2Flocalhost%2Fcard%3Fid%3D{consider}%26range%3D90d&amp;format=json"
    )
    assert found.group(2) == "Consider (MID) · CardCharts"
    assert link.search(client.get("/").get_data(as_text=True)).group(2) == "Market index · CardCharts"
    assert link.search(client.get("/compare?ids=1").get_data(as_text=True)).group(2) == "Compare printings · CardCharts"
    for path in ("/sources", f"/embed/card/{consider}", "/card?id=999999"):
        assert "json+oembed" not in client.get(path).get_data(as_text=True), path


# --- the embed's layout -----------------------------------------------------------------------------


def _layout(client, page: str) -> dict:
    """The layout an embed asks for (its Referer names it, as the browser's does)."""
    response = client.get("/_dash-layout", headers={"Referer": f"http://localhost{page}"})
    assert response.status_code == 200
    return response.get_json()


def _nodes(tree) -> Iterator[dict]:
    if isinstance(tree, list):
        for child in tree:
            yield from _nodes(child)
    elif isinstance(tree, dict) and "props" in tree:
        yield tree
        for value in tree["props"].values():
            yield from _nodes(value)


def _by_id(layout: dict) -> dict[str, dict]:
    return {node["props"]["id"]: node for node in _nodes(layout) if isinstance(node["props"].get("id"), str)}


def test_an_embed_is_its_chart_drawn_in_its_theme_without_navigation(make_app, consider):
    client = make_app().server.test_client()
    layout = _layout(client, f"/embed/card/{consider}?range=24h&theme=dark&condition=NM")
    found = _by_id(layout)
    types = {node["type"] for node in _nodes(layout)}
    assert not types & {
        "AppShellHeader",
        "AppShellNavbar",
        "AppShellMain",
    }  # (a hidden AppShell stands in for callbacks)
    assert not {node["props"].get("href") for node in _nodes(layout)} & {"/sources", "/compare"}
    assert found["mantine-provider"]["props"]["forceColorScheme"] == "dark"
    figure = found["card-history-graph"]["props"]["figure"]
    assert figure["layout"]["template"]["layout"]["paper_bgcolor"] != "white"  # drawn dark, in the server
    assert [t["y"] for t in figure["data"] if t["name"] == TCG_NONFOIL] == [[0.36]]
    link = found["embed-link"]["props"]
    assert (link["children"], link["target"], link["rel"]) == ("CardCharts · Consider (MID)", "_blank", "noopener")
    assert link["href"] == f"/card?id={consider}&range=24h&condition=NM"
    assert "Consider (MID) · 24h · USD" in json.dumps(layout, ensure_ascii=False)

    untitled = _by_id(_layout(client, f"/embed/card/{consider}?title=0"))
    assert not any(node["props"].get("className") == "embed-title" for node in _nodes(untitled))
    assert untitled["mantine-provider"]["props"]["forceColorScheme"] == "light"
    # The pages keep their shell.
    assert "AppShellHeader" in {node["type"] for node in _nodes(_layout(client, f"/card?id={consider}"))}


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        ("/embed/card/999999", "Unknown card"),
        ("/embed/card/abc", "card id"),
        ("/embed/card/{card}?range=2w&theme=sepia&title=yes", "Ignored: range='2w'"),
        ("/embed/card/{card}?theme=sepia&title=yes", "Ignored: theme='sepia' (use light or dark); title='yes'"),
        ("/embed/card/{card}?theme=dark&theme=light", "Ignored: theme=given 2 times"),
        ("/embed/compare", "Choose up to 8 printings"),
        ("/embed/compare?ids=1,x", "ids: 'x' (not card ids)"),
        ("/embed/compare?ids=999998", "Unknown card id(s): 999998"),
        ("/embed/market?index=bogus", "index=bogus"),
    ],
)
def test_bad_embed_parameters_get_the_pages_honest_states(make_app, consider, page, expected):
    layout = _layout(make_app().server.test_client(), page.format(card=consider))
    assert expected in json.dumps(layout, ensure_ascii=False)


@pytest.mark.parametrize("page", ["/embed/card/{card}", "/embed/compare?ids={card}", "/embed/market"])
def test_every_callback_an_embed_fires_finds_all_it_reads(make_app, consider, page):
    """A callback fires on an embed when one of its inputs is there; the renderer then throws unless
    every input and state it reads is there too (the embed holds the page's ids, not all the page)."""
    app = make_app()
    present = set(_by_id(_layout(app.server.test_client(), page.format(card=consider))))
    present |= {"_pages_location", "_pages_content", "_pages_store", "_pages_dummy"}
    for key, callback in app.callback_map.items():
        outputs = {part.rsplit(".", 1)[0] for part in (key[2:-2].split("...") if key.startswith("..") else [key])}
        inputs = {dep["id"] for dep in callback["inputs"]}
        states = {dep["id"] for dep in callback["state"]}
        if outputs & present and inputs & present:  # the renderer drops a callback none of whose outputs is there
            assert (inputs | states) <= present, (callback["output"], (inputs | states) - present)


# --- in a browser ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _framing_site(port: int, src: str) -> Iterator[None]:
    """A site of its own (another origin than the app's) whose one page frames `src`."""
    page = f'<!doctype html><title>blog</title><iframe src="{src}" width="800" height="450"></iframe>'.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args) -> None:
            pass

    site = ThreadingHTTPServer(("127.0.0.1", port), Page)
    thread = threading.Thread(target=site.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        site.shutdown()
        site.server_close()


def _wait(condition, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def _trace(driver, name: str) -> dict:
    traces = driver.execute_script(
        "const plot = document.querySelector('#card-history-graph .js-plotly-plot'); return plot && plot.data"
    )
    return next((t for t in traces or [] if t.get("name") == name), {})


def test_a_listed_site_frames_the_live_embed_and_an_unlisted_one_is_refused(
    dash_duo, make_app, services, consider, scryfall_objects, tmp_path
):
    port = _free_port()
    dash_duo.start_server(make_app(f"http://127.0.0.1:{port}"))
    driver = dash_duo.driver
    with _framing_site(port, f"{dash_duo.server_url}/embed/card/{consider}?range=24h"):
        driver.get(f"http://127.0.0.1:{port}/")  # a listed origin
        driver.switch_to.frame(driver.find_element("css selector", "iframe"))
        _wait(lambda: _trace(driver, TCG_NONFOIL).get("y") == [0.36])
        _wait(lambda: driver.execute_script("return document.getElementById('live-status')?.textContent") == "live")
        assert driver.find_elements("css selector", ".mantine-AppShell-header, #nav-menu") == []

        # A new price reaches the framed chart through /ws.
        row = next(o for o in scryfall_objects if o["id"] == CONSIDER)
        next_day = tmp_path / "scryfall-cards-2025-11-02.jsonl.gz"
        with gzip.open(next_day, "wt", encoding="utf-8") as handle:
            handle.write(json.dumps({**row, "prices": {**row["prices"], "usd": "0.41"}}) + "\n")
        import_scryfall(services, next_day)
        _wait(lambda: _trace(driver, TCG_NONFOIL).get("y") == [0.36, 0.41])
        framed_errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        driver.switch_to.default_content()
        assert [e for e in framed_errors if "cards.scryfall.io" not in e["message"]] == []

        driver.get(f"http://localhost:{port}/")  # the same page from an origin not on the list
        time.sleep(2)
        refusals = [e["message"] for e in driver.get_log("browser") if "frame-ancestors" in e["message"]]
        driver.switch_to.frame(driver.find_element("css selector", "iframe"))
        assert driver.find_elements("css selector", "#card-history-graph, #_dash-app-content") == []
        driver.switch_to.default_content()
        assert refusals and f"http://127.0.0.1:{port}" in refusals[0]


@pytest.fixture
def priced(services, consider) -> int:
    """Consider with three days of prices (MTGJSON's sample), so that its chart draws lines."""
    import_mtgjson(
        services, FIXTURES / "mtgjson" / "AllPrices-sample.json", [FIXTURES / "mtgjson" / "AllIdentifiers-sample.json"]
    )
    return consider


@pytest.mark.parametrize("size", [(390, 844), (1440, 900)], ids=["390px", "1440px"])
def test_an_embed_fills_its_frame_with_no_navigation_and_no_sideways_scroll(dash_duo, make_app, priced, size):
    dash_duo.driver.set_window_size(*size)
    dash_duo.start_server(make_app())
    dash_duo.driver.delete_all_cookies()  # the market page start_server opened wrote the reader's theme
    SHOTS.mkdir(exist_ok=True)
    embeds_ = {
        "card": (f"/embed/card/{priced}?range=30d", "card-history-graph", "CardCharts · Consider (MID)"),
        "compare": (f"/embed/compare?ids={priced},{priced + 1}&range=30d", "compare-graph", "CardCharts · Consider"),
        "market": ("/embed/market?range=30d", "market-index-graph", "CardCharts · market index"),
    }
    for name, (page, graph, link) in embeds_.items():
        for theme in ("light", "dark"):
            dash_duo.wait_for_page(f"{dash_duo.server_url}{page}&theme={theme}")
            dash_duo.wait_for_element(f"#{graph} .main-svg", timeout=15)
            time.sleep(0.8)
            script = (
                "return [document.documentElement.scrollWidth - window.innerWidth,"
                " document.documentElement.scrollHeight - window.innerHeight,"
                f" document.querySelector('#{graph}').getBoundingClientRect().height / window.innerHeight,"
                " getComputedStyle(document.body).backgroundColor]"
            )
            sideways, downwards, share, background = dash_duo.driver.execute_script(script)
            assert sideways <= 0 and downwards <= 0, (name, theme)
            assert share > 0.5, (name, theme)  # the chart takes the frame
            assert (background == "rgb(255, 255, 255)") == (theme == "light")
            navigation = ".mantine-AppShell-header, .mantine-AppShell-navbar, a[href='/sources']"
            assert [e for e in dash_duo.find_elements(navigation) if e.is_displayed()] == [], name
            assert dash_duo.find_element("#embed-link").text.startswith(link)
            dash_duo.driver.save_screenshot(str(SHOTS / f"{name}-{size[0]}-{theme}.png"))
    errors = [e for e in dash_duo.get_logs() if "cards.scryfall.io" not in e["message"]]
    assert errors == []
    assert dash_duo.driver.get_cookie("color-scheme") is None  # an embed's theme is not the reader's choice


def test_the_embed_button_gives_the_iframe_of_the_view(dash_duo, make_app, consider):
    dash_duo.start_server(make_app())
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card?id={consider}&range=24h")
    dash_duo.wait_for_element("#card-history-graph .main-svg", timeout=15)
    dash_duo.find_element("#card-embed-button").click()
    dash_duo.wait_for_contains_text("#card-embed-snippet", "<iframe", timeout=10)
    snippet = dash_duo.find_element("#card-embed-snippet").text
    assert snippet.startswith(f'<iframe src="{dash_duo.server_url}/embed/card/{consider}?range=24h" width="800"')
    assert 'style="border:0" loading="lazy" title="Consider (MID) · CardCharts"></iframe>' in snippet
    dash_duo.wait_for_page(f"{dash_duo.server_url}/compare?ids={consider},{consider + 1}&range=90d")
    dash_duo.find_element("#compare-embed-button").click()
    dash_duo.wait_for_contains_text("#compare-embed-snippet", "/embed/compare?ids=", timeout=10)
    snippet = dash_duo.find_element("#compare-embed-snippet").text
    assert f'src="{dash_duo.server_url}/embed/compare?ids={consider}%2C{consider + 1}&amp;range=90d"' in snippet
