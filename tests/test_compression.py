"""What the production server sends: compressed bodies, long-lived fingerprinted files, the
partial plotly.js bundle and regenerator-runtime in place of Dash's polyfill, and charts drawn with them."""

from __future__ import annotations

import re
import time
from importlib.resources import files

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from app.compression import PLOTLY_URL, POLYFILL_URL
from app.security import IMMUTABLE
from app.server import create_app
from tests.conftest import FIXTURES, SECRET
from tests.helpers import web_server
from tests.test_server_hardening import assert_hardened, callback_body
from workers.imports import import_mtgjson, import_scryfall

BUNDLE = files("app.vendor").joinpath("plotly-basic.min.js").read_bytes()
REGENERATOR = files("app.vendor").joinpath("regenerator-runtime.js").read_bytes()
FINGERPRINTED = re.compile(r'/_dash-component-suites/[^"]+\.v[\w-]+m[0-9a-f]+\.js')


@pytest.fixture
def server(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    with web_server(services.settings.database_url, services.settings.redis_url, SECRET) as address:
        yield f"http://{address}"


def raw(response: httpx.Response) -> bytes:
    """The body as it travelled (httpx decodes it otherwise)."""
    return b"".join(response.iter_raw())


def test_the_plotly_bundle_is_the_partial_one_compressed(server):
    with httpx.Client() as client:
        url = f"{server}/{PLOTLY_URL}"
        br = client.get(url, headers={"Accept-Encoding": "br, gzip"})
        assert (br.status_code, br.headers["Content-Encoding"]) == (200, "br")
        assert br.content == BUNDLE and b"plotly.js (basic - minified) v4.1.1" in BUNDLE
        assert len(BUNDLE) < 1_200_000 and int(br.headers["Content-Length"]) < 400_000
        assert br.headers["Cache-Control"] == "no-cache" and br.headers["Vary"] == "Accept-Encoding"
        gzip = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert gzip.headers["Content-Encoding"] == "gzip" and gzip.content == BUNDLE
        with client.stream("GET", url, headers={"Accept-Encoding": "identity"}) as plain:
            assert "Content-Encoding" not in plain.headers and raw(plain) == BUNDLE
        again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]})
        assert again.status_code == 304


def test_dash_polyfill_is_answered_with_regenerator_runtime_alone(server):
    with httpx.Client(headers={"Accept-Encoding": "br"}) as client:
        page = client.get(f"{server}/")
        polyfill = re.search(rf'src="(/{re.escape(POLYFILL_URL)}[^"]+)"', page.text).group(1)
        answer = client.get(server + polyfill)
        assert (answer.status_code, answer.headers["Content-Encoding"]) == (200, "br")
        assert answer.content == REGENERATOR and b"regeneratorRuntime = runtime" in REGENERATOR
        assert answer.headers["Cache-Control"] == IMMUTABLE
        assert b"core-js" not in answer.content and len(REGENERATOR) < 30_000


def test_fingerprinted_files_are_kept_a_year_and_pages_are_asked_for_again(server):
    with httpx.Client(headers={"Accept-Encoding": "br, gzip"}) as client:
        page = client.get(f"{server}/")
        assert (page.headers["Content-Encoding"], page.headers["Cache-Control"]) == ("br", "no-cache")
        assert_hardened(page, server.removeprefix("http://"))
        suites = FINGERPRINTED.findall(page.text)
        assert any("/dash_mantine_components/" in path for path in suites)
        for path in suites:
            asset = client.get(server + path)
            assert asset.headers["Cache-Control"] == IMMUTABLE == "public, max-age=31536000, immutable"
            if len(asset.content) > 500:
                assert asset.headers["Content-Encoding"] == "br", path
        css = re.search(r"/assets/[\w.-]+\.css\?m=\d+\.\d+", page.text).group(0)
        assert client.get(server + css).headers["Cache-Control"] == IMMUTABLE
        unversioned = client.get(server + css.split("?")[0])
        assert unversioned.headers["Cache-Control"] == "no-cache"
        assert client.get(f"{server}/no-such-page").headers["Cache-Control"] in ("no-cache", "no-store")


def test_callback_answers_are_compressed_and_never_cached(server, services):
    body = callback_body(create_app(services), "..sources-grid.rowData...sources-status.children..")
    with httpx.Client(headers={"Accept-Encoding": "gzip"}) as client:
        answer = client.post(f"{server}/_dash-update-component", json=body)
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"].startswith("application/json")
        assert (answer.headers["Content-Encoding"], answer.headers["Cache-Control"]) == ("gzip", "no-cache")
        rows = answer.json()["response"]["sources-grid"]["rowData"]
        assert {row["source"]: row["rows_inserted"] for row in rows}["scryfall"] == 1964


def test_a_card_chart_is_drawn_with_the_partial_bundle(server, services):
    card_id = services.cards.get_by_scryfall_id("a211d505-4d40-4914-a9da-220770d6ddbc").id
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        driver.get(f"{server}/card?id={card_id}")
        deadline = time.monotonic() + 30
        drawn = (
            "return [...document.querySelectorAll('.js-plotly-plot')]"
            ".some(plot => (plot.data || []).some(trace => (trace.x || []).length))"
        )
        while not driver.execute_script(drawn):
            assert time.monotonic() < deadline, "no chart with data"
            time.sleep(0.1)
        assert driver.execute_script("return window.Plotly.version") == "4.1.1"
        # The lazy parts (dcc.Graph's, AG Grid's) load through regenerator-runtime; core-js never ran.
        assert driver.execute_script("return [typeof regeneratorRuntime.mark, window._babelPolyfill]") == [
            "function",
            None,
        ]
        assert driver.execute_script("return document.querySelector('.js-plotly-plot .scatterlayer .trace') !== null")
        errors = [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        assert [message for message in errors if "cards.scryfall.io" not in message] == []  # (no internet here)
    finally:
        driver.quit()
