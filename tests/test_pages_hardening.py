"""Hostile URLs, hostile callback values and a database outage: every page answers with a message.

Through the real Dash app in-process (Flask's test client), with requests built as the
renderer builds them from /_dash-dependencies (tests/dash_requests.py). Each test checks
the answer (200, the bad value named, the default shown), that nothing logged a traceback,
and that no stored row changed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.bootstrap import bootstrap
from app.server import create_app
from callbacks import faults, params
from data.domain import Marketplace
from data.use_cases.cards import MAX_SEARCH_CHARS, search_text
from layouts.images import image_url
from tests.conftest import make_settings
from tests.dash_requests import DashRequests
from tests.helpers import T0, add_cards, add_marketplaces, snap
from workers.sources.scryfall import parse_card

TABLES = ("cards", "card_identities", "marketplaces", "price_snapshots", "source_runs", "latest_prices")
LINK_NAME = '<a href="https://evil.example">x</a>'
TEMPLATE_NAME = "%{x}"
EVIL_MARKET = "<img src=x onerror=alert(1)> %{y}"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PAGE_PARAMS = {
    "/": ["range", "currency", "condition", "finish", "lang", "period", "min_price", "fmt", "index", "avg"],
    "/card": ["id", "range", "currency", "condition", "finish", "lang", "market", "scale"],
    "/compare": ["ids", "range", "currency", "condition", "finish", "lang", "mode", "scale"],
    "/sources": [],
}
PAGE_STATUS = {"/": "market-status", "/card": "card-status", "/compare": "compare-status", "/sources": "sources-status"}


@dataclasses.dataclass
class Site:
    services: Any
    dash: DashRequests
    cards: list[int]  # plain printings with prices
    link_card: int  # named LINK_NAME, a javascript: image, a collector number with '/', '?' and '#'
    template_card: int  # named TEMPLATE_NAME


@pytest.fixture(autouse=True)
def fresh_fault_log() -> None:
    """Each test sees a database fault's first traceback (they are logged once a minute per page)."""
    faults._tracebacks.clear()


@pytest.fixture
def site(services, scryfall_objects) -> Site:
    markets = add_marketplaces(services)
    evil_market = services.marketplaces.ensure(Marketplace("evil", EVIL_MARKET, "USD"))
    plain = list(add_cards(services, scryfall_objects, 3).values())
    base = parse_card(scryfall_objects[3])
    hostile = services.cards.upsert_many(
        [
            dataclasses.replace(
                base,
                scryfall_id=str(uuid.uuid4()),
                name=LINK_NAME,
                collector_number="1/../?x#y",
                image_url="javascript:alert(1)",
                legalities={"<b>modern</b>": "legal"},
                tcgplayer_product_id=None,
                cardmarket_id=None,
            ),
            dataclasses.replace(base, scryfall_id=str(uuid.uuid4()), name=TEMPLATE_NAME, tcgplayer_product_id=None),
        ]
    )
    link_card, template_card = hostile.values()
    tcg = markets["tcgplayer"]
    services.ingest(
        [
            *(
                snap(card, tcg, price, T0 - timedelta(days=1))
                for card, price in zip(plain, ("1.00", "2.00", "3.00"), strict=True)
            ),
            *(snap(card, tcg, price, T0) for card, price in zip(plain, ("1.50", "1.00", "3.00"), strict=True)),
            snap(link_card, evil_market, "4.00", T0 - timedelta(days=1)),
            snap(link_card, evil_market, "5.00", T0),
            snap(template_card, evil_market, "6.00", T0 - timedelta(days=1)),
            snap(template_card, tcg, "7.00", T0),
        ]
    )
    return Site(services, DashRequests(create_app(services).server.test_client()), plain, link_card, template_card)


def fingerprint(services) -> dict[str, str]:
    """Every stored row of the tables a page could touch, as a count and a digest."""
    with services.engine.connect() as conn:
        return {
            table: conn.execute(
                text(
                    f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')"
                    f" FROM {table} t"
                )
            ).scalar()
            for table in TABLES
        }


def loud(records: list[logging.LogRecord]) -> list[str]:
    """Records with a traceback or at ERROR and above."""
    return [f"{r.levelname} {r.name}: {r.getMessage()}" for r in records if r.exc_info or r.levelno >= logging.ERROR]


def refused_at_the_door(value: Any) -> bool:
    """Text with a NUL or a lone surrogate: the server refuses such a body with a 400 before any
    callback sees it (app/callback_bodies.py), which is also an answer, not a crash."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return "\x00" in value
    if isinstance(value, dict):
        return any(refused_at_the_door(k) or refused_at_the_door(v) for k, v in value.items())
    return isinstance(value, list) and any(refused_at_the_door(v) for v in value)


def shown(response) -> str:
    """A 200 answer's outputs as text, unicode unescaped (what the page displays, give or take markup)."""
    assert response.status_code == 200, response.get_data(as_text=True)[-2000:]
    return json.dumps(DashRequests.outputs(response), ensure_ascii=False)


def says(body: str, message: str) -> bool:
    """Whether the answer (as `shown` gives it) holds this text."""
    return json.dumps(message, ensure_ascii=False)[1:-1] in body


def component(tree: Any, id_: str) -> dict | None:
    """The component with this id in a rendered layout (JSON as Dash sends it)."""
    if isinstance(tree, dict):
        if tree.get("props", {}).get("id") == id_:
            return tree
        children = tree.get("props", {}).get("children") if "props" in tree else tree.values()
        return component(children, id_) if children is not None else None
    if isinstance(tree, list):
        for item in tree:
            found = component(item, id_)
            if found:
                return found
    return None


def page(site: Site, path: str, search: str) -> tuple[str, Any]:
    response = site.dash.page(path, search)
    return shown(response), DashRequests.outputs(response)["_pages_content"]["children"]


# --- Issue 7: repeated and odd query parameters ---------------------------------------------


@pytest.mark.parametrize(
    "path, search, named, defaults",
    [
        ("/card", "?id={card}&range=7d&range=7d", ["range given 2 times"], {"card-range": "30d"}),
        ("/compare", "?ids=1&ids=2", ["ids given 2 times"], {"compare-ids": []}),
        ("/card", "?id=%C2%B2", ["id='²' (not a card id)"], {}),
        ("/card", "?id=" + "9" * 4301, ["(not a card id)"], {}),
        ("/card", "?id=2147483648", ["id='2147483648' (not a card id)"], {}),
        ("/card", "?id=0", ["id='0' (not a card id)"], {}),
        (
            "/card",
            "?id={card}&market=%C2%B9&lang=xx&lang=en",
            ["market='¹'", "lang given 2 times"],
            {"card-market": "all"},
        ),
        ("/compare", "?ids={card},abc,%C2%B2,99999999999", ["'abc', '²', '99999999999' (not card ids)"], {}),
        (
            "/compare",
            "?ids={card}&mode=%00&range=" + "1" * 5000,
            ["mode='\\x00'", "range='1111"],
            {"compare-range": "90d"},
        ),
        ("/", "?min_price=nan&period=1y&fmt=x&fmt=y", ["min_price='nan'", "period='1y'", "fmt given 2 times"], {}),
        ("/", "?min_price=-1&currency=TIX", ["min_price='-1'", "currency='TIX'"], {"movers-min-price": 1.0}),
        ("/sources", "?page=2", ["'page' (not a parameter of this page)"], {}),
    ],
)
def test_odd_query_parameters_are_named_and_the_default_shown(site, caplog, path, search, named, defaults):
    before = fingerprint(site.services)
    body, layout = page(site, path, search.format(card=site.cards[0]))
    assert "Unknown URL parameter" in body
    for name in named:
        assert says(body, name), name
    for id_, value in defaults.items():
        found = component(layout, id_)
        assert found is not None and found["props"].get("value", found["props"].get("data")) == value
    assert loud(caplog.records) == []
    assert fingerprint(site.services) == before


def test_ids_are_parsed_in_one_place_for_card_compare_and_live(site):
    card = site.cards[0]
    _, layout = page(site, "/card", f"?id={card}")
    assert component(layout, "live-channels")["props"]["data"] == [{"channel": "card", "card_id": card}]
    assert component(layout, "card-id")["props"]["data"] == str(card)
    for bad in ("%C2%B2", "9" * 4400, "2147483648", "-1", "1.0", "0x1"):
        body, layout = page(site, "/card", f"?id={bad}")
        assert component(layout, "live-channels")["props"]["data"] == []
        assert "not a card id" in body
    _, layout = page(site, "/compare", f"?ids={card},{card},x,{site.cards[1]}")
    assert component(layout, "compare-ids")["props"]["data"] == [str(card), str(site.cards[1])]
    history = site.dash.post("card-status.children", {("card-id", "data"): "²", ("card-range", "value"): "30d"})
    assert "'²' is not a card id" in shown(history)
    assert [params.card_id(v) for v in ("1", 2147483647, "0007")] == [1, 2147483647, 7]
    for bad in ("²", "٣", "0", 2**31, True, 1.0, [1], None, "1" * 4400, " 1"):
        with pytest.raises(params.BadInput):
            params.card_id(bad)


def test_compare_names_bad_and_unknown_ids(site, caplog):
    response = site.dash.post(
        "compare-status.children",
        {
            ("compare-ids", "data"): [str(site.cards[0]), "abc", "²", "999999"],
            ("compare-range", "value"): "30d",
            ("compare-mode", "value"): "price",
            ("compare-currency", "value"): "USD",
        },
    )
    body = shown(response)
    assert "Not card ids (left out): 'abc', '²'" in body and "Unknown card id(s): 999999" in body
    assert DashRequests.outputs(response)["compare-graph"]["figure"]["data"]  # the good one is drawn
    assert loud(caplog.records) == []


# --- Issue 14: hostile values in valid request shapes ------------------------------------------


@pytest.mark.parametrize(
    "output, values, message",
    [
        ("card-status.children", {("card-id", "data"): [1, 2]}, "is not a card id"),
        ("card-status.children", {("card-id", "data"): "1", ("card-range", "value"): {"a": 1}}, "unknown range"),
        (
            "card-status.children",
            {
                ("card-id", "data"): "1",
                ("card-range", "value"): "30d",
                ("card-currency", "value"): "USD",
                ("card-market", "value"): 2**40,
            },
            "not a marketplace",
        ),
        (
            "card-status.children",
            {
                ("card-id", "data"): "1",
                ("card-range", "value"): "30d",
                ("card-currency", "value"): "USD",
                ("card-condition", "value"): "N" * 41,
            },
            "condition",
        ),
        (
            "movers-status.children",
            {("movers-period", "value"): "1y", ("market-currency", "value"): "USD", ("movers-format", "value"): "all"},
            "unknown period '1y'",
        ),
        (
            "movers-status.children",
            {
                ("movers-period", "value"): "24h",
                ("market-currency", "value"): "USD",
                ("movers-format", "value"): "all",
                ("movers-min-price", "value"): float("nan"),
            },
            "minimum price nan",
        ),
        (
            "movers-status.children",
            {
                ("movers-period", "value"): "24h",
                ("market-currency", "value"): "USD",
                ("movers-format", "value"): "all",
                ("movers-min-price", "value"): -5,
            },
            "minimum price -5",
        ),
        (
            "market-status.children",
            {("market-range", "value"): ["30d"], ("market-currency", "value"): "USD"},
            "unknown range",
        ),
        (
            "compare-status.children",
            {("compare-ids", "data"): ["1"], ("compare-range", "value"): "30d", ("compare-currency", "value"): "GBP"},
            "unknown currency 'GBP'",
        ),
    ],
)
def test_hostile_values_get_the_page_status_not_a_500(site, caplog, output, values, message):
    caplog.set_level(logging.INFO)
    before = fingerprint(site.services)
    body = shown(site.dash.post(output, {("color-scheme", "data"): {"dark": True}, **values}))
    assert message in body
    assert loud(caplog.records) == []  # refused input logs one INFO line, no traceback
    assert any(r.levelno == logging.INFO and "refused input" in r.getMessage() for r in caplog.records)
    assert fingerprint(site.services) == before


def test_search_text_is_capped_and_cleaned(site, caplog):
    queries = site.services.card_queries
    name = queries.detail(site.cards[0])["card"]["name"]
    started = time.monotonic()
    assert queries.search("a" * 1_000_000) is not None
    assert time.monotonic() - started < 2  # was 12.6 s: only the first 100 characters are searched
    assert search_text("Cons\x00id\ud800er\n" + "x" * 500) == "Cons id er " + "x" * (MAX_SEARCH_CHARS - 11)
    assert search_text("\x00\x01 ") == "" and queries.search("\x00") == []
    assert name in [card["name"] for card in queries.search(name[:6] + "\x00")]
    assert name in [card["name"] for card in queries.search(name + " " * 300)]
    for value in ("a\x00b", "\ud800\udfff", "x" * 100_000, ["Consider"], {"a": 1}, 12, None, "%{x}"):
        for output in ("card-search.data", "compare-search.data"):
            inputs = {("card-search", "searchValue"): value, ("compare-search", "searchValue"): value}
            response = site.dash.post(output, inputs, changed=[(output.split(".")[0], "searchValue")])
            assert response.status_code in ((200, 204, 400) if refused_at_the_door(value) else (200, 204))
    assert loud(caplog.records) == []


# --- Issue 11: provider text is text, image URLs and links are checked -------------------------


def test_provider_text_is_escaped_in_every_figure(site):
    compared = site.dash.post(
        "compare-graph.figure",
        {
            ("compare-ids", "data"): [str(site.link_card), str(site.template_card)],
            ("compare-range", "value"): "all",
            ("compare-mode", "value"): "price",
            ("compare-currency", "value"): "USD",
            ("compare-condition", "value"): "all",
            ("compare-finish", "value"): "all",
            ("compare-language", "value"): "all",
        },
    )
    history = site.dash.post(
        "card-history-graph.figure",
        {("card-id", "data"): str(site.link_card), ("card-range", "value"): "all", ("card-currency", "value"): "USD"},
    )
    volume = site.dash.post(
        "market-volume-graph.figure",
        {
            ("movers-period", "value"): "24h",
            ("movers-min-price", "value"): 0,
            ("movers-format", "value"): "all",
            ("market-currency", "value"): "USD",
        },
    )
    traces = [
        trace
        for response, output in (
            (compared, "compare-graph"),
            (history, "card-history-graph"),
            (volume, "market-volume-graph"),
        )
        for trace in DashRequests.outputs(response)[output]["figure"]["data"]
    ]
    names = [t.get("name", "") for t in traces]
    assert any("&lt;a href=" in name for name in names) and any("%&#123;x&#125;" in name for name in names)
    assert any("&lt;img src=x" in name for name in names)  # the marketplace's name
    for trace in traces:
        rendered = json.dumps([trace.get("name"), trace.get("hovertemplate"), trace.get("x")])
        assert "<a" not in rendered and "<img" not in rendered and "<b>" not in rendered
        assert "%{y}" not in rendered
        template = trace.get("hovertemplate") or ""
        assert template.count("%{x}") <= 1  # only the template's own date
        assert "%{x}" not in (trace.get("name") or "")
    assert any("&lt;b&gt;modern&lt;/b&gt;" in x for t in traces for x in t.get("x", []) if isinstance(x, str))


def test_card_header_shows_only_allowed_images_and_quoted_links(site):
    header = shown(site.dash.post("card-header.children", {("card-id", "data"): str(site.link_card)}))
    assert "javascript:" not in header and '"Img"' not in header
    assert "https://scryfall.com/card/mid/1%2F..%2F%3Fx%23y" in header
    assert LINK_NAME.replace('"', '\\"') in header  # as text, for React to escape
    plain = shown(site.dash.post("card-header.children", {("card-id", "data"): str(site.cards[0])}))
    assert '"src": "https://cards.scryfall.io/' in plain
    assert image_url("https://cards.scryfall.io/normal/front/a.jpg") == "https://cards.scryfall.io/normal/front/a.jpg"
    for bad in (
        "javascript:alert(1)",
        "data:image/png;base64,AAAA",
        "http://cards.scryfall.io/a.jpg",
        "https://evil.example/a.jpg",
        "https://cards.scryfall.io.evil.example/a.jpg",
        "https://user@cards.scryfall.io/a.jpg",
        "https://cards.scryfall.io:8443/a.jpg",
        'https://cards.scryfall.io/a.jpg" onerror="x',
        "//cards.scryfall.io/a.jpg",
        ["https://cards.scryfall.io/a.jpg"],
        None,
    ):
        assert image_url(bad) is None, bad


# --- Issue 6: a database outage, then its end ----------------------------------------------------


class Proxy:
    """A TCP relay to PostgreSQL that can be cut (every connection dropped, new ones refused)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self.target)
            self.sockets += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self.up = False
        for s in self.sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self.sockets.clear()

    def close(self) -> None:
        self.cut()
        self.listener.close()


@pytest.fixture
def proxied(site, database_url, redis_server) -> Iterator[tuple[Site, Proxy]]:
    """The site's data behind a cuttable relay, sharing the site's Redis (a warm cache)."""
    host, port = re.search(r"@([^:/]+):(\d+)/", database_url).groups()
    proxy = Proxy((host, int(port)))
    url = database_url.replace(f"@{host}:{port}/", f"@127.0.0.1:{proxy.port}/")
    url += ("&" if "?" in url else "?") + "connect_timeout=2"
    services = bootstrap(make_settings(url, redis_server))
    dash = DashRequests(create_app(services).server.test_client())
    yield Site(services, dash, site.cards, site.link_card, site.template_card), proxy
    services.close()
    proxy.close()


def every_page_callback(site: Site, min_price: float, range_name: str) -> dict[str, Any]:
    """Each server-side page callback once, with good values; their answers by output. A
    minimum price and a range not asked for before miss the cache: those reach the database."""
    card = str(site.cards[0])
    market = {
        ("market-range", "value"): "30d",
        ("market-currency", "value"): "USD",
        ("market-condition", "value"): "all",
        ("market-finish", "value"): "all",
        ("market-language", "value"): "all",
    }
    movers = {
        ("movers-period", "value"): "24h",
        ("movers-min-price", "value"): min_price,
        ("movers-format", "value"): "all",
        ("market-currency", "value"): "USD",
    }
    card_page = {
        ("card-id", "data"): card,
        ("card-range", "value"): range_name,
        ("card-currency", "value"): "USD",
        ("card-condition", "value"): "all",
        ("card-finish", "value"): "all",
        ("card-language", "value"): "all",
        ("card-market", "value"): "all",
    }
    compare = {
        ("compare-ids", "data"): [card],
        ("compare-range", "value"): range_name,
        ("compare-mode", "value"): "price",
        ("compare-currency", "value"): "USD",
        ("compare-condition", "value"): "all",
        ("compare-finish", "value"): "all",
        ("compare-language", "value"): "all",
    }
    d = site.dash
    return {
        "market": d.post("market-status.children", market),
        "movers": d.post("movers-status.children", movers),
        "sources": d.post("sources-status.children", {}),
        "card-header": d.post("card-header.children", card_page),
        "card-history": d.post("card-status.children", card_page),
        "card-search": d.post("card-search.data", {("card-search", "searchValue"): "Adeline"}),
        "compare-options": d.post("compare-search.data", compare, changed=[("compare-ids", "data")]),
        "compare-search": d.post(
            "compare-search.data",
            {("compare-search", "searchValue"): "Adeline"},
            changed=[("compare-search", "searchValue")],
        ),
        "compare": d.post("compare-status.children", compare),
    }


def test_a_database_outage_shows_an_error_and_the_pages_recover(proxied, caplog):
    site, proxy = proxied
    before = fingerprint(site.services)
    for name, response in every_page_callback(site, 0, "7d").items():  # also warms the cache
        assert "unreachable" not in shown(response), name
    proxy.cut()
    down = every_page_callback(site, 0.5, "30d")
    for name in ("market", "movers", "sources", "card-history", "card-search", "compare-search", "compare"):
        assert "unreachable" in shown(down[name]), name
    market = DashRequests.outputs(down["market"])
    assert market["market-index-graph"]["figure"]["data"] == [] and market["market-overview"]["children"] == []
    assert DashRequests.outputs(down["movers"])["movers-gainers"]["rowData"] == []
    for name in ("card-header", "compare-options"):  # served from the warm cache
        assert down[name].status_code == 200, name
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and all(r.name == "callbacks.faults" for r in errors)
    assert len(errors) == len({r.getMessage() for r in errors})  # one traceback per page, not per request
    proxy.up = True
    for name, response in every_page_callback(site, 0.25, "90d").items():
        assert "unreachable" not in shown(response), name
    assert fingerprint(site.services) == before


def test_a_dead_database_url_with_a_warm_cache(site, redis_server, caplog):
    every_page_callback(site, 0, "7d")  # warm
    services = bootstrap(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/x?connect_timeout=2", redis_server))
    try:
        dead = Site(services, DashRequests(create_app(services).server.test_client()), site.cards, 0, 0)
        answers = every_page_callback(dead, 3, "7d")
        for name in ("market", "movers", "sources", "card-search", "compare"):
            assert "database is unreachable" in shown(answers[name]), name
        for response in answers.values():
            assert response.status_code == 200
        assert not [r for r in caplog.records if r.exc_info and r.name != "callbacks.faults"]
    finally:
        services.close()


# --- Property tests: any query string, any JSON value -------------------------------------------

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "all",
        "7d",
        "30d",
        "NM",
        "en",
        "foil",
        "USD",
        "EUR",
        "normalized",
        "price",
        "24h",
        "modern",
        "1",
        "0",
        "-1",
        "²",
        "٣",
        "\uff11",
        "2147483647",
        "2147483648",
        "9" * 4400,
        "1e400",
        "nan",
        "inf",
        "-0",
        "0x10",
        "1_000",
        "\x00",
        "a\x00b",
        "<a href=x>",
        "%{x}",
        "%",
        "%zz",
        "%C2",
        "&",
        "=",
        "#",
        "+",
        "..",
        "☃" * 50,
    ]
)
QUERY_VALUES = st.one_of(ODD_TEXT, st.text(max_size=20), st.integers(-(2**70), 2**70).map(str))


@st.composite
def query_strings(draw, path: str) -> str:
    keys = st.one_of(st.sampled_from([*PAGE_PARAMS[path], "x", "", "id[]", "_"]), st.text(max_size=6))
    pairs = draw(st.lists(st.tuples(keys, QUERY_VALUES, st.booleans()), max_size=6))
    parts = [f"{quote(k, safe='')}={quote(v, safe='') if encode else v}" for k, v, encode in pairs]
    return ("?" if draw(st.booleans()) or parts else "") + "&".join(parts)


@pytest.mark.parametrize("path", list(PAGE_PARAMS))
def test_any_query_string_renders_the_page(site, caplog, path):
    before = fingerprint(site.services)

    @FUZZ
    @given(search=query_strings(path))
    def check(search):
        caplog.clear()
        if refused_at_the_door(search):  # a raw NUL: refused before Dash reads the body
            assert site.dash.page(path, search).status_code == 400
            return
        body, layout = page(site, path, search)
        given_ = parse_qs(search[1:], keep_blank_values=True) if search.startswith("?") else {}
        for key, values in given_.items():
            if key not in PAGE_PARAMS[path]:
                assert says(body, f"{params.shown(key)} (not a parameter of this page)") or "more." in body
            elif len(values) > 1:
                assert says(body, f"{key} given {len(values)} times") or "more." in body
        assert component(layout, PAGE_STATUS[path]) is not None  # the page itself, with its defaults
        assert loud(caplog.records) == []

    check()
    assert fingerprint(site.services) == before


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**30), 10**30),
    st.sampled_from([2**31 - 1, 2**31, 2**63, -(2**63), 10**4299]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    ODD_TEXT,
    st.sampled_from(["\ud800", "x\udfffy", "x" * 20_000]),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)
PAGE_CALLBACKS = [
    "market-status.children",
    "movers-status.children",
    "sources-status.children",
    "card-search.data",
    "url.href",
    "card-header.children",
    "card-status.children",
    "compare-search.data",
    "compare-ids.data",
    "compare-status.children",
]


def plausible(site: Site) -> dict[tuple[str, str], list[Any]]:
    """Values a real page would send, so that examples also get past the checks into the queries."""
    ids = [str(c) for c in (*site.cards, site.link_card, site.template_card)]
    return {
        ("card-id", "data"): ids,
        ("compare-ids", "data"): [[i] for i in ids] + [ids[:2], ids],
        ("compare-search", "value"): [[i] for i in ids],
        ("card-search", "value"): ids,
        ("card-search", "searchValue"): ["Ad", "adeline", "mid 1", "%{x}", "<a"],
        ("compare-search", "searchValue"): ["Ad", "jace"],
        ("card-market", "value"): ["all", "1", "2"],
        ("movers-min-price", "value"): [0, 1, 0.5, "", None],
        ("movers-period", "value"): ["24h", "7d"],
        ("movers-format", "value"): ["all", "modern"],
        ("compare-mode", "value"): ["normalized", "price"],
        **{(f"{p}-range", "value"): ["24h", "7d", "30d", "all"] for p in ("card", "compare", "market")},
        **{(f"{p}-currency", "value"): ["USD", "EUR"] for p in ("card", "compare", "market")},
        **{(f"{p}-condition", "value"): ["all", "NM"] for p in ("card", "compare", "market")},
        **{(f"{p}-finish", "value"): ["all", "nonfoil", "foil"] for p in ("card", "compare", "market")},
        **{(f"{p}-language", "value"): ["all", "en"] for p in ("card", "compare", "market")},
    }


@pytest.mark.parametrize("output", PAGE_CALLBACKS)
def test_any_json_value_for_any_callback_input(site, caplog, output):
    callback = site.dash.by_output(output)
    good = plausible(site)
    before = fingerprint(site.services)

    @settings(FUZZ, max_examples=60)
    @given(data=st.data())
    def check(data):
        caplog.clear()
        values = {
            key: data.draw(st.one_of(st.sampled_from(good[key]), JSON_VALUES) if key in good else JSON_VALUES)
            for key in callback.arguments
        }
        changed = data.draw(st.lists(st.sampled_from(callback.inputs), max_size=len(callback.inputs), unique=True))
        response = site.dash.post(callback, values, changed)
        expected = (200, 204, 400) if refused_at_the_door(list(values.values())) else (200, 204)  # 204: no_update
        assert response.status_code in expected, response.get_data(as_text=True)[-2000:]
        if response.status_code == 200:
            json.loads(response.get_data(as_text=True))
        assert loud(caplog.records) == []

    check()
    assert fingerprint(site.services) == before
