"""Exports on the real fixtures, rendered by real kaleido with Debian Chromium: images of the asked
size with their title and sources, the exact numbers of the use cases in CSV and JSON, 4xx errors
for bad requests, a cache that spares a second render, and a 503 when the renderer fails."""

from __future__ import annotations

import csv
import io
import os
import signal
import struct
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from app.api.routes import for_currency
from app.exports.renderer import Renderer
from app.server import create_app
from data.domain import Condition, Finish, Language
from tests.conftest import FIXTURES
from tests.helpers import snap
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # MID #44, priced by the MTGJSON sample on three days
TITLE = "Consider · MID #44 · 30d · USD"


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    """One warm renderer for the module's tests (a new one per test would start Chromium each time)."""
    pool = Renderer()
    yield pool
    pool.close()


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    return services


def served(services, renderer: Renderer):
    return create_app(services, renderer=renderer).server.test_client()


@pytest.fixture
def client(loaded, renderer):
    return served(loaded, renderer)


@pytest.fixture
def consider(loaded) -> int:
    return loaded.cards.get_by_scryfall_id(CONSIDER).id


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and rows of RGB(A) pixels of an 8-bit PNG (the format Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, b"", b""
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        offset += 12 + length
    width, height, depth, color = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color in (2, 6)
    channels = 4 if color == 6 else 3
    raw, stride, rows, previous = zlib.decompress(idat), width * channels, [], bytearray(width * channels)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                near = min((abs(p - left), left), (abs(p - up), up), (abs(p - corner), corner), key=lambda t: t[0])
                line[i] = (line[i] + near[1]) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, [bytes(row[x : x + channels]) for row in rows for x in range(0, stride, channels)]


def test_png_has_the_asked_size_is_opaque_and_not_blank(client, consider):
    response = client.get(f"/export/card/{consider}.png", query_string={"width": "640", "height": "360", "scale": "2"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == 'attachment; filename="consider-mid-30d.png"'
    width, height, pixels = png_pixels(response.get_data())
    assert (width, height) == (1280, 720)
    assert len(set(pixels)) > 50  # lines, text and axes: not a blank page
    assert all(len(pixel) == 3 or pixel[3] == 255 for pixel in pixels)  # opaque
    assert pixels[0][:3] == b"\xff\xff\xff"  # the light background

    dark = client.get(f"/export/card/{consider}.png", query_string={"theme": "dark", "width": "300", "height": "200"})
    width, height, pixels = png_pixels(dark.get_data())
    assert (width, height) == (300, 200) and pixels[0][:3] == b"\x24\x24\x24"


def test_renderers_run_below_the_web_workers(client, consider, renderer):
    """Niced, and in an autogroup niced too where the kernel has them: a session's autogroup gets an
    equal CPU share whatever its tasks' nice values, so nice alone would not yield to page requests."""
    assert client.get(f"/export/card/{consider}.svg", query_string={"width": "333"}).status_code == 200
    assert renderer.pids()
    for pid in renderer.pids():
        assert os.getpriority(os.PRIO_PROCESS, pid) == 19
        group = Path(f"/proc/{pid}/autogroup")
        if group.exists():
            assert group.read_text().split()[-1] == "19", group.read_text()


def test_svg_and_pdf_carry_the_title_and_sources(client, consider, loaded):
    svg = client.get(f"/export/card/{consider}.svg")
    assert (svg.status_code, svg.mimetype) == (200, "image/svg+xml")
    text = svg.get_data(as_text=True)
    assert TITLE in text
    asof = loaded.card_queries.history(consider, "30d")["asof"]  # the data's end: its newest hour's end
    assert asof == "2025-11-03T01:00:00+00:00"
    assert "Sources: Card Kingdom, Card Kingdom buylist, TCGplayer · data as of 2025-11-03 01:00 UTC" in text

    pdf = client.get(f"/export/card/{consider}.pdf")
    assert (pdf.status_code, pdf.mimetype) == (200, "application/pdf")
    assert pdf.headers["Content-Disposition"] == 'attachment; filename="consider-mid-30d.pdf"'
    words = PdfReader(io.BytesIO(pdf.get_data())).pages[0].extract_text()
    assert "Consider" in words and "MID #44" in words and "TCGplayer" in words

    market = client.get("/export/market.svg", query_string={"range": "7d"}).get_data(as_text=True)
    assert "Market index · All cards · 7d · USD" in market and "mtgjson" in market
    compare = client.get("/export/compare.svg", query_string={"ids": str(consider)}).get_data(as_text=True)
    assert "Consider (MID #44) · 90d · USD · start = 100" in compare


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_card_csv_and_json_hold_the_drawn_numbers(client, loaded, consider):
    body = client.get(f"/export/card/{consider}.json").get_json()
    history = loaded.card_queries.history(consider, "30d")
    expected = for_currency(history, "USD", loaded.card_queries.marketplace_names())
    assert body == {"title": TITLE, "sources": ["Card Kingdom", "Card Kingdom buylist", "TCGplayer"], **expected}
    rows = csv_rows(client.get(f"/export/card/{consider}.csv"))
    tcg = [r for r in rows if (r["marketplace"], r["finish"]) == ("TCGplayer", "nonfoil")]
    assert [(r["time"][:10], r["price"], r["currency"]) for r in tcg] == [
        ("2025-11-01", "0.3600", "USD"),
        ("2025-11-02", "0.3700", "USD"),
        ("2025-11-03", "0.3500", "USD"),
    ]
    spread = [r for r in rows if "spread" in r["marketplace"]]
    assert [(r["marketplace"], r["price"]) for r in spread] == [("Card Kingdom spread (retail - buylist)", "0.3900")]
    assert len(rows) == 7  # 6 points and the spread, as the API's history CSV plus the drawn spread

    eur = client.get(f"/export/card/{consider}.json", query_string={"currency": "EUR", "finish": "foil"}).get_json()
    filtered = loaded.card_queries.history(consider, "30d", finish=Finish.FOIL)
    assert eur["series"] == for_currency(filtered, "EUR", loaded.card_queries.marketplace_names())["series"]
    assert [s["marketplace"] for s in eur["series"]] == ["Cardmarket"]


def test_market_and_compare_csv_and_json_hold_the_drawn_numbers(client, loaded, consider):
    body = client.get("/export/market.json", query_string={"range": "7d"}).get_json()
    assert body["index"] == loaded.market_queries.chained("7d", "USD", "all")
    assert body["index"]["level"] == ["100.00", "102.78", "97.22"] and body["average"] is None
    rows = csv_rows(client.get("/export/market.csv", query_string={"range": "7d"}))
    assert [(r["level"], r["change_pct"], r["currency"]) for r in rows] == [
        ("100.00", "", "USD"),
        ("102.78", "2.78", "USD"),
        ("97.22", "-5.41", "USD"),
    ]
    averaged = client.get("/export/market.json", query_string={"range": "7d", "avg": "on"}).get_json()
    assert averaged["average"] == loaded.market_queries.index("7d", "USD")
    with_average = csv_rows(client.get("/export/market.csv", query_string={"range": "7d", "avg": "on"}))
    assert [r["average_price"] for r in with_average if r["sub"] == "average"] == averaged["average"]["price"]

    compared = client.get("/export/compare.json", query_string={"ids": str(consider), "mode": "price"}).get_json()
    page = (Condition.parse("NM"), Language.parse("en"), Finish.parse("nonfoil"))  # the compare page's defaults
    expected = loaded.compare_queries.compare([consider], "90d", "USD", *page, False)
    assert [(s["card_id"], s["time"], s["value"], s["price"]) for s in compared["series"]] == [
        (s["card_id"], s["time"], s["value"], s["price"]) for s in expected["series"]
    ]
    normal = csv_rows(client.get("/export/compare.csv", query_string={"ids": str(consider)}))
    assert [(r["value"], r["unit"], r["price"]) for r in normal if r["marketplace"] == "TCGplayer"] == [
        ("100.00", "index (start = 100)", "0.3600"),
        ("102.78", "index (start = 100)", "0.3700"),
        ("97.22", "index (start = 100)", "0.3500"),
    ]
    assert len(normal) == sum(len(s["time"]) for s in expected["series"])


BAD = [
    ("/export/card/{card}.png", {"width": "299"}, 400, "width: '299' must be a whole number from 300 to 2400"),
    ("/export/card/{card}.png", {"width": "2401"}, 400, "from 300 to 2400"),
    ("/export/card/{card}.png", {"height": "1601"}, 400, "height: '1601' must be a whole number from 200 to 1600"),
    ("/export/card/{card}.png", {"scale": "5"}, 400, "scale: '5' must be a whole number from 1 to 4"),
    ("/export/card/{card}.png", {"scale": "1.5"}, 400, "scale: '1.5'"),
    ("/export/card/{card}.png", {"width": "9" * 500}, 400, "width: '999"),
    ("/export/card/{card}.png", {"theme": "blue"}, 400, "unknown theme 'blue'; use one of light, dark"),
    ("/export/card/{card}.png", {"range": "2w"}, 400, "unknown range '2w'"),
    ("/export/card/{card}.csv", {"currency": "GBP"}, 400, "unknown currency 'GBP'"),
    ("/export/card/{card}.json", {"condition": "SHINY"}, 400, "unknown condition"),
    ("/export/card/{card}.json", {"market": "-1"}, 400, "'-1' is not a marketplace"),
    ("/export/card/{card}.json", {"range": ["7d", "30d"]}, 400, "range is given 2 times; give it once"),
    ("/export/card/{card}.json", {"colour": "red"}, 400, "unknown parameter 'colour'"),
    ("/export/card/0.png", {}, 400, "'0' is not a card id"),
    ("/export/card/abc.png", {}, 400, "'abc' is not a card id"),
    ("/export/card/2147483647.png", {}, 404, "no card with id 2147483647"),
    ("/export/card/{card}.gif", {}, 404, "unknown export format 'gif'"),
    ("/export/compare.png", {}, 400, "ids: none"),
    ("/export/compare.png", {"ids": "1,x"}, 400, "ids: 'x'"),
    ("/export/compare.json", {"ids": ",".join(map(str, range(1, 10)))}, 400, "at most 8 printings, got 9"),
    ("/export/compare.json", {"ids": "2147483646"}, 404, "no card with id 2147483646"),
    ("/export/market.png", {"currency": "TIX"}, 400, "unknown currency 'TIX'"),
    ("/export/market.png", {"index": "set:<b>"}, 400, "index"),
    ("/export/market.png", {"scale": "log"}, 400, "the market index chart has no log axis"),
    ("/export/market.png", {"avg": "maybe"}, 400, "unknown average 'maybe'"),
    ("/export/market.png", {"min_price": "-1"}, 400, "minimum price '-1'"),
    ("/export/nothing.png", {}, 404, "no such export"),
]


@pytest.mark.parametrize(("path", "query", "status", "message"), BAD)
def test_bad_requests_get_json_errors(client, consider, renderer, path, query, status, message):
    rendered = renderer.renders
    response = client.get(path.format(card=consider), query_string=query)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert message in response.get_json()["error"]
    assert renderer.renders == rendered  # refused before any render


def test_a_second_request_is_served_from_the_cache(client, consider, renderer):
    query = {"width": "500", "height": "300", "scale": "log"}  # the page's own y-axis parameter
    first = client.get(f"/export/card/{consider}.png", query_string=query)
    rendered = renderer.renders
    started = time.perf_counter()
    second = client.get(f"/export/card/{consider}.png", query_string=query)
    assert time.perf_counter() - started < 1.0
    assert renderer.renders == rendered
    assert (first.headers["X-Export-Cache"], second.headers["X-Export-Cache"]) == ("miss", "hit")
    assert first.get_data() == second.get_data() and first.headers["ETag"] == second.headers["ETag"]
    again = client.get(
        f"/export/card/{consider}.png", query_string=query, headers={"If-None-Match": first.headers["ETag"]}
    )
    assert (again.status_code, again.get_data()) == (304, b"")
    other = client.get(f"/export/card/{consider}.png", query_string={**query, "theme": "dark"})
    assert other.headers["X-Export-Cache"] == "miss" and renderer.renders == rendered + 1


def dead(pid: int, within: float = 10.0) -> None:
    """Wait until a killed process is gone or a zombie (on a loaded machine, SIGKILL takes a moment)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return
        if state in ("Z", "X"):
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} still running")


def test_a_renderer_that_dies_is_replaced_and_one_that_times_out_gives_503(loaded, consider, renderer):
    client = served(loaded, renderer)
    assert client.get(f"/export/card/{consider}.svg").status_code == 200
    for pid in renderer.pids():
        os.kill(pid, signal.SIGKILL)
        dead(pid)
    revived = client.get(f"/export/card/{consider}.svg", query_string={"theme": "dark"})
    assert revived.status_code == 200 and revived.headers["X-Export-Cache"] == "miss"

    slow = Renderer(timeout=0.01, start_timeout=0.01)
    try:
        refused = served(loaded, slow).get(f"/export/card/{consider}.png")
        assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
        assert "timed out" in refused.get_json()["error"]
        assert slow.pids() == []  # killed, with its Chromium; the next request starts another
    finally:
        slow.close()


def test_new_prices_make_a_new_image(client, loaded, consider, renderer):
    """The cache key is the rendered figure's hash: a new price changes the figure (the line, the
    source line's date), so the next export renders afresh rather than serving the old image."""
    path = f"/export/card/{consider}.svg"
    before = client.get(path)
    assert client.get(path).headers["X-Export-Cache"] == "hit"
    tcgplayer = next(m["id"] for m in loaded.card_queries.marketplace_names().values() if m["slug"] == "tcgplayer")
    loaded.ingest([snap(consider, tcgplayer, "0.41", datetime(2025, 11, 4, tzinfo=UTC))])
    rendered = renderer.renders
    after = client.get(path)
    assert after.headers["X-Export-Cache"] == "miss" and renderer.renders == rendered + 1
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "data as of 2025-11-04 01:00 UTC" in after.get_data(as_text=True)
    assert client.get(f"/export/card/{consider}.json").get_json()["asof"] == "2025-11-04T01:00:00+00:00"


def test_the_renderer_count_is_a_setting(services, monkeypatch):
    from dataclasses import replace

    from app.exports import EXTENSION
    from app.settings import ConfigError, load_settings

    app = create_app(replace(services, settings=services.settings.model_copy(update={"export_renderers": 3})))
    assert app.server.extensions[EXTENSION].workers == 3
    assert create_app(services).server.extensions[EXTENSION].workers == 1  # the default
    monkeypatch.setenv("CARDCHARTS_EXPORT_RENDERERS", "0")
    with pytest.raises(ConfigError, match="CARDCHARTS_EXPORT_RENDERERS"):
        load_settings()


def test_a_tab_drawn_on_again_gives_the_same_image(renderer):
    """Tabs are reloaded every RELOAD_EVERY images, not after each (kaleido's own habit): an image
    drawn after many others, across a reload, is byte for byte the one drawn first."""
    from app.exports.worker import RELOAD_EVERY

    line = {"data": [{"type": "scatter", "x": [1, 2, 3], "y": [1, 3, 2]}], "layout": {"title": {"text": "A"}}}
    bars = {"data": [{"type": "bar", "x": [1, 2], "y": [5, 1]}], "layout": {"yaxis": {"type": "log"}}}
    first = renderer.render(line, "png", 400, 300, 1)
    for i in range(RELOAD_EVERY + 5):
        renderer.render(bars if i % 2 else line, "svg" if i % 3 else "png", 400 + i, 300, 1)
    assert renderer.render(line, "png", 400, 300, 1) == first
