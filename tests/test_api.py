"""The read API /api/v1 on the real fixtures: the very numbers of the pages' use cases, CSV equal to
JSON, ETags and 304s, JSON errors with 4xx statuses for every kind of bad input, and an OpenAPI
document that validates."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate as validate_openapi

from app.api import payloads
from app.api.responses import CACHE_CONTROL, PREFIX, csv_body
from app.bootstrap import bootstrap
from app.server import create_app
from data.domain import RANGES, Condition, Finish, Language
from tests.conftest import FIXTURES, make_settings
from tests.test_server_hardening import assert_hardened
from workers.imports import import_mtgjson, import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # MID #44, priced by the MTGJSON sample on three days


@pytest.fixture
def loaded(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    mtgjson = FIXTURES / "mtgjson"
    import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
    return services


@pytest.fixture
def client(loaded):
    return create_app(loaded).server.test_client()


@pytest.fixture
def bare(services):
    """The API over an empty database: enough for refusals, which never reach a use case's data."""
    return create_app(services).server.test_client()


@pytest.fixture
def consider(loaded) -> int:
    return loaded.cards.get_by_scryfall_id(CONSIDER).id


@pytest.fixture
def markets(loaded) -> dict[str, int]:
    return {market["slug"]: market["id"] for market in loaded.card_queries.marketplace_names().values()}


def get_json(client, path: str, **query):
    response = client.get(path, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def get_csv(client, path: str, **query) -> list[dict[str, str]]:
    response = client.get(path, query_string={**query, "format": "csv"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def cell(value) -> str:
    """A JSON value as the CSV writes it."""
    return "" if value is None else str(value)


def page_history(services, card_id: int, currency: str = "USD", range_name: str = "30d", **filters) -> list[dict]:
    """The series the card page charts: the use case's history, in the chosen currency."""
    history = services.card_queries.history(card_id, range_name, **filters)
    return [line for line in history["series"] if line["currency"] == currency]


def without_names(series: list[dict]) -> list[dict]:
    return [{key: value for key, value in line.items() if key != "marketplace"} for line in series]


def test_card_detail_is_the_use_case_with_the_known_latest_prices(client, loaded, consider, markets):
    body = get_json(client, f"{PREFIX}/cards/{consider}")
    payloads.CardDetail.model_validate(body)
    detail = loaded.card_queries.detail(consider)
    assert body == {**detail, "printings": loaded.card_queries.printings(detail["card"])}
    assert (body["card"]["name"], body["card"]["set_code"], body["card"]["collector_number"]) == (
        "Consider",
        "mid",
        "44",
    )
    tcg = next(
        row
        for row in body["latest"]
        if (row["marketplace_id"], row["finish"], row["currency"]) == (markets["tcgplayer"], "nonfoil", "USD")
    )
    # The card page's grid: 0.35 USD, -5.41 % against 0.37 a day earlier.
    assert (Decimal(tcg["price"]), tcg["price_24h"], tcg["change_24h"]) == (Decimal("0.35"), "0.37", "-5.41")
    assert body["printings"][0]["id"] == consider


def test_card_history_is_the_card_pages_series_at_its_resolution(client, loaded, consider, markets):
    body = get_json(client, f"{PREFIX}/cards/{consider}/history")
    payloads.History.model_validate(body)
    assert (body["range"], body["currency"], body["resolution"]) == ("30d", "USD", "HOUR")
    assert without_names(body["series"]) == page_history(loaded, consider)
    by_name = {(line["marketplace"], line["finish"]): line for line in body["series"]}
    # The card page's chart: hourly means 0.36, 0.37, 0.35 on 11-01..11-03.
    assert by_name["TCGplayer", "nonfoil"]["price"] == ["0.3600", "0.3700", "0.3500"]
    assert by_name["TCGplayer", "nonfoil"]["time"][0] == "2025-11-01T00:00:00+00:00"
    assert set(by_name) == {
        ("TCGplayer", "nonfoil"),
        ("TCGplayer", "foil"),
        ("Card Kingdom", "nonfoil"),
        ("Card Kingdom buylist", "nonfoil"),
    }
    assert [(s["spread"], s["spread_pct"]) for s in body["spreads"]] == [(["0.3900"], ["79.59"])]  # 0.49 - 0.10

    # Each filter the card page has, with its values as the page's URL writes them.
    eur_foil = get_json(client, f"{PREFIX}/cards/{consider}/history", currency="EUR", finish="foil")
    assert [(s["marketplace"], s["finish"]) for s in eur_foil["series"]] == [("Cardmarket", "foil")]
    assert without_names(eur_foil["series"]) == page_history(loaded, consider, "EUR", finish=Finish.FOIL)
    query = {"range": "7d", "condition": "NM", "language": "en", "marketplace": str(markets["tcgplayer"])}
    one = get_json(client, f"{PREFIX}/cards/{consider}/history", **query)
    filters = {
        "condition": Condition.NEAR_MINT,
        "language": Language.ENGLISH,
        "marketplace_id": markets["tcgplayer"],
    }
    assert one["resolution"] == "MIN30"
    assert without_names(one["series"]) == page_history(loaded, consider, "USD", "7d", **filters)
    assert {line["marketplace"] for line in one["series"]} == {"TCGplayer"}
    for range_name, resolution in [("24h", "RAW"), ("90d", "HOUR"), ("1y", "DAY"), ("all", "DAY")]:
        every = get_json(client, f"{PREFIX}/cards/{consider}/history", range=range_name)
        assert every["resolution"] == resolution
        assert without_names(every["series"]) == page_history(loaded, consider, range_name=range_name)
    assert get_json(client, f"{PREFIX}/cards/{consider}/history", condition="DMG")["series"] == []


def test_market_index_is_the_chained_index_of_the_market_page(client, loaded):
    body = get_json(client, f"{PREFIX}/market/index", range="7d")
    payloads.MarketIndex.model_validate(body)
    assert body == loaded.market_queries.chained("7d", "USD", "all")
    # Consider on TCGplayer links the three days: 100, x 0.37/0.36, x 0.35/0.37.
    assert body["level"] == ["100.00", "102.78", "97.22"]
    assert body["change"] == [None, "2.78", "-5.41"]
    assert body["resolution"] == "HOUR"
    yearly = get_json(client, f"{PREFIX}/market/index", range="all")
    assert (yearly["resolution"], yearly["level"]) == ("DAY", ["100.00", "102.78", "97.22"])
    for sub in ("set:mid", "rarity:common", "format:modern"):
        assert get_json(client, f"{PREFIX}/market/index", sub=sub) == loaded.market_queries.chained("30d", "USD", sub)
    eur = get_json(client, f"{PREFIX}/market/index", currency="EUR", range="1y")
    assert eur == loaded.market_queries.chained("1y", "EUR", "all")


def test_movers_are_the_market_pages(client, loaded, consider, markets):
    body = get_json(client, f"{PREFIX}/market/movers", min_price="0")
    payloads.Movers.model_validate(body)
    moves = loaded.market_queries.movers("24h", "USD", Decimal("0.00"), None)
    assert body == {"min_price": "0.00", "legal_in": "all", **moves}
    loser = body["losers"][0]
    assert (loser["card_id"], loser["marketplace_id"], loser["then_price"], loser["price"]) == (
        consider,
        markets["tcgplayer"],
        "0.37",
        "0.35",
    )
    assert (loser["change"], loser["change_pct"]) == ("-0.02", "-5.41")
    # The page's default leaves out prices under 1.00: Consider is bulk.
    default = get_json(client, f"{PREFIX}/market/movers")
    assert (default["min_price"], default["gainers"], default["losers"]) == ("1.00", [], [])
    modern = get_json(client, f"{PREFIX}/market/movers", min_price="0", legal_in="modern", period="7d", limit="5")
    expected = loaded.market_queries.movers("7d", "USD", Decimal("0.00"), "modern", 5)
    assert modern == {"min_price": "0.00", "legal_in": "modern", **expected}


def test_search_finds_printings_as_the_search_box(client, loaded, consider):
    body = get_json(client, f"{PREFIX}/cards/search", q="consider")
    payloads.SearchResults.model_validate(body)
    assert body == {"q": "consider", "results": loaded.card_queries.search("consider", 20)}
    assert body["results"][0]["id"] == consider
    assert get_json(client, f"{PREFIX}/cards/search", q="mid 44", limit="1")["results"][0]["id"] == consider
    # Text past 100 characters is not read (as the search box): a pasted name and a tail of junk still find it.
    long = "Consider " + "x" * 5000
    found = get_json(client, f"{PREFIX}/cards/search", q=long)
    assert found == {"q": "Consider " + "x" * 91, "results": loaded.card_queries.search(long, 20)}


def test_sources_are_the_sources_page(client, loaded):
    body = get_json(client, f"{PREFIX}/sources")
    payloads.Sources.model_validate(body)
    ages = ("age_hours",)  # counted from now: a request later than the use case's call may differ by 0.1 h
    expected = [{k: v for k, v in row.items() if k not in ages} for row in loaded.source_queries.status()]
    assert [{k: v for k, v in row.items() if k not in ages} for row in body["sources"]] == expected
    mtgjson = next(row for row in body["sources"] if row["source"] == "mtgjson")
    assert (mtgjson["data_date"], mtgjson["freshness"], mtgjson["rows_inserted"]) == (
        "2025-11-03T00:00:00+00:00",
        "stale",
        9,
    )
    assert body["collecting"] == []


def test_csv_holds_exactly_the_numbers_of_the_json(client, consider):
    history = get_json(client, f"{PREFIX}/cards/{consider}/history")
    rows = get_csv(client, f"{PREFIX}/cards/{consider}/history")
    expected = [
        {
            "time": moment,
            **{key: cell(line[key]) for key in ("marketplace_id", "marketplace", "condition", "finish", "currency")},
            "language": line["language"],
            **{value: cell(line[value][i]) for value in ("price", "low", "high", "market", "listings", "quantity")},
            "outlier_price": "",
            "outlier_median": "",
            "resolution": "HOUR",
        }
        for line in history["series"]
        for i, moment in enumerate(line["time"])
    ]
    assert rows == expected and len(rows) == 6
    assert [row["price"] for row in rows if row["marketplace"] == "TCGplayer" and row["finish"] == "nonfoil"] == [
        "0.3600",
        "0.3700",
        "0.3500",
    ]

    index = get_json(client, f"{PREFIX}/market/index", range="7d")
    rows = get_csv(client, f"{PREFIX}/market/index", range="7d")
    assert [(r["time"], r["level"], r["change_pct"], r["matched"], r["currency"]) for r in rows] == [
        (t, level, cell(change), str(matched), "USD")
        for t, level, change, matched in zip(
            index["time"], index["level"], index["change"], index["matched"], strict=True
        )
    ]

    movers = get_json(client, f"{PREFIX}/market/movers", min_price="0")
    rows = get_csv(client, f"{PREFIX}/market/movers", min_price="0")
    assert [
        (r["side"], r["rank"], r["card_id"], r["then_price"], r["price"], r["change"], r["change_pct"]) for r in rows
    ] == [
        (side, str(rank), str(m["card_id"]), m["then_price"], m["price"], m["change"], m["change_pct"])
        for side in ("gainers", "losers")
        for rank, m in enumerate(movers[side], start=1)
    ]
    assert rows[-1]["currency"] == "USD" and rows[-1]["change_pct"] == "-5.41"

    found = get_json(client, f"{PREFIX}/cards/search", q="consider")
    rows = get_csv(client, f"{PREFIX}/cards/search", q="consider")
    assert [(r["id"], r["name"], r["set_code"], r["lang"]) for r in rows] == [
        (str(c["id"]), c["name"], c["set_code"], cell(c["lang"])) for c in found["results"]
    ]

    sources = get_json(client, f"{PREFIX}/sources")
    rows = get_csv(client, f"{PREFIX}/sources")
    assert [(r["source"], r["data_date"], r["rows_inserted"], r["last_failed"]) for r in rows] == [
        (s["source"], cell(s["data_date"]), cell(s["rows_inserted"]), "false") for s in sources["sources"]
    ]


def test_a_csv_text_cell_never_starts_a_formula(client):
    with client.application.test_request_context():
        body = csv_body(["name", "change"], [["=HYPERLINK(1)", "-0.25"], ["+2 Mace", "-5.41"], ["@x", None]], "t")
    assert body.get_data(as_text=True).splitlines() == [
        "name,change",
        "'=HYPERLINK(1),-0.25",
        "'+2 Mace,-5.41",
        "'@x,",
    ]


def test_any_origin_may_read_the_api_and_its_headers(client, bare, consider):
    """Public prices, no cookies: a script on a store's page reads the API directly (CORS)."""
    path = f"{PREFIX}/cards/{consider}/history"
    response = client.get(path, headers={"Origin": "https://shop.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    exposed = {name.strip() for name in response.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "RateLimit-Remaining", "Retry-After"} <= exposed
    preflight = client.options(
        path,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "if-none-match",
        },
    )
    assert preflight.status_code == 200 and preflight.get_data() == b""
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    assert preflight.headers["Access-Control-Max-Age"] == "86400"
    # Refusals too: a script must be able to read why it was refused.
    refused = bare.get(f"{PREFIX}/cards/nope", headers={"Origin": "https://shop.example"})
    assert refused.status_code == 400 and refused.headers["Access-Control-Allow-Origin"] == "*"
    # The pages are not opened up.
    assert "Access-Control-Allow-Origin" not in client.get("/sources").headers


def test_etag_304_and_cache_control(client, consider):
    path = f"{PREFIX}/cards/{consider}/history"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert etag == '"' + hashlib.sha256(first.get_data()).hexdigest()[:32] + '"'  # strong: no W/
    assert first.headers["Cache-Control"] == CACHE_CONTROL == "public, max-age=60"
    again = client.get(path, headers={"If-None-Match": etag})
    assert (again.status_code, again.get_data(), again.headers["ETag"]) == (304, b"", etag)
    assert again.headers["Cache-Control"] == CACHE_CONTROL
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    as_csv = client.get(path, query_string={"format": "csv"})
    assert as_csv.headers["ETag"] != etag and as_csv.headers["Cache-Control"] == CACHE_CONTROL
    assert (
        client.get(path, query_string={"format": "csv"}, headers={"If-None-Match": as_csv.headers["ETag"]}).status_code
        == 304
    )
    # Compressed, the body's ETag names its encoding (flask-compress), and revalidates as well.
    br = client.get(path, headers={"Accept-Encoding": "br"})
    assert br.headers["Content-Encoding"] == "br" and br.headers["ETag"] == etag[:-1] + ':br"'
    assert client.get(path, headers={"Accept-Encoding": "br", "If-None-Match": br.headers["ETag"]}).status_code == 304
    for endpoint in ("/market/index", "/market/movers", "/sources", "/openapi.json", f"/cards/{consider}"):
        response = client.get(PREFIX + endpoint)
        assert response.headers["Cache-Control"] == CACHE_CONTROL
        assert client.get(PREFIX + endpoint, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    refused = client.get(path, query_string={"range": "2w"})
    assert "ETag" not in refused.headers and refused.headers["Cache-Control"] == "no-store"


BAD_REQUESTS = [
    # (path under /api/v1, query, status, what the message must name)
    ("/cards/0", {}, 400, "card_id: '0' is not a card id"),
    ("/cards/-1", {}, 400, "card_id: '-1' is not a card id"),
    ("/cards/" + "9" * 5000, {}, 400, "card_id: '999"),
    ("/cards/2147483648", {}, 400, "card_id: '2147483648' is not a card id (a whole number from 1 to 2147483647)"),
    ("/cards/abc", {}, 400, "card_id: 'abc' is not a card id"),
    ("/cards/%C2%B2", {}, 400, "card_id: '²' is not a card id"),
    ("/cards/1.5/history", {}, 400, "card_id: '1.5'"),
    ("/cards/2147483647", {}, 404, "no card with id 2147483647"),
    ("/cards/2147483647/history", {}, 404, "no card with id 2147483647"),
    ("/cards/{card}", {"format": "csv"}, 400, "format: unknown format 'csv'; use one of json"),
    ("/cards/{card}/history", {"range": "2w"}, 400, "range: unknown range '2w'; use one of 24h, 7d, 30d, 90d, 1y, all"),
    ("/cards/{card}/history", {"currency": "GBP"}, 400, "currency: unknown currency 'GBP'; use one of USD, EUR, TIX"),
    ("/cards/{card}/history", {"condition": "SHINY"}, 400, "condition: unknown condition 'SHINY'; use one of M, NM"),
    ("/cards/{card}/history", {"finish": "gold"}, 400, "finish: unknown finish 'gold'; use nonfoil, foil or etched"),
    ("/cards/{card}/history", {"language": "xx"}, 400, "language: unknown language 'xx'; use one of en, ja"),
    ("/cards/{card}/history", {"marketplace": "-1"}, 400, "marketplace: '-1' is not a marketplace"),
    ("/cards/{card}/history", {"marketplace": "9" * 100}, 400, "marketplace: '9999"),
    ("/cards/{card}/history", {"format": "xml"}, 400, "format: unknown format 'xml'; use one of json, csv"),
    ("/cards/{card}/history", {"range": ["7d", "30d"]}, 400, "range is given 2 times; give it once"),
    ("/cards/{card}/history", {"lang": "en"}, 400, "unknown parameter 'lang'; this endpoint takes range, currency"),
    ("/cards/search", {}, 400, "q: field required"),
    ("/cards/search", {"q": ""}, 400, "q: needs at least 2 characters"),
    ("/cards/search", {"q": " \x00 "}, 400, "q: needs at least 2 characters"),
    ("/cards/search", {"q": "consider", "limit": "0"}, 400, "limit: input should be greater than or equal to 1"),
    ("/cards/search", {"q": "consider", "limit": "51"}, 400, "limit: input should be less than or equal to 50"),
    ("/cards/search", {"q": "consider", "limit": "9" * 5000}, 400, "limit: "),
    ("/cards/search", {"q": "consider", "limit": "ten"}, 400, "limit: input should be a valid integer"),
    (
        "/market/index",
        {"sub": "bogus"},
        400,
        "sub: unknown index 'bogus'; use all, format:NAME, rarity:NAME or set:CODE",
    ),
    ("/market/index", {"sub": "set:" + "x" * 50}, 400, "sub: unknown sub 'set:xxx"),
    ("/cards/{card}/history", {"finish": "f" * 50}, 400, "finish: unknown finish 'fff"),
    ("/market/index", {"currency": "TIX"}, 400, "currency: unknown currency 'TIX'; use one of USD, EUR"),
    ("/market/index", {"range": ""}, 400, "range: unknown range ''"),
    ("/market/movers", {"period": "1h"}, 400, "period: unknown period '1h'; use one of 24h, 7d"),
    ("/market/movers", {"min_price": "-1"}, 400, "min_price: min_price '-1' must be a number from 0 to 1,000,000"),
    ("/market/movers", {"min_price": "NaN"}, 400, "min_price: min_price 'NaN' must be a number"),
    ("/market/movers", {"min_price": "1e400"}, 400, "min_price: min_price '1e400' must be a number"),
    ("/market/movers", {"legal_in": "chess"}, 400, "legal_in: unknown legal_in 'chess'; use one of all, standard"),
    ("/sources", {"format": "pdf"}, 400, "format: unknown format 'pdf'"),
    ("/nope", {}, 404, "no such endpoint; the endpoints are listed in /api/v1/openapi.json"),
    ("/cards", {}, 404, "no such endpoint"),
    ("/cards/1/history/extra", {}, 404, "no such endpoint"),
    ("/", {}, 404, "no such endpoint"),
    ("", {}, 404, "no such endpoint"),
]


@pytest.mark.parametrize(("path", "query", "status", "named"), BAD_REQUESTS)
def test_bad_input_is_a_json_4xx_naming_what_to_change(bare, path, query, status, named):
    response = bare.get(PREFIX + path.format(card=1), query_string=query)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["error"] and body["error"].startswith(named), body
    payloads.ErrorBody.model_validate(body)


def test_a_value_too_long_to_quote_is_refused_with_the_values_allowed(bare):
    too_long = {
        "/market/index": ("sub", "set:", "; use all, format:NAME, rarity:NAME or set:CODE"),
        "/cards/1/history": (
            "language",
            "",
            "; use one of all, en, ja, de, fr, it, es, pt, ko, zhs, zht, ru, ph",
        ),
    }
    for path, (name, start, allowed) in too_long.items():
        response = bare.get(PREFIX + path, query_string={name: start + "x" * 5000})
        assert response.status_code == 400 and response.get_json()["error"].endswith(allowed)
        assert len(response.get_json()["error"]) < 200  # the value is quoted cut short


PARAMETERS = ["q", "limit", "format", "range", "currency", "condition", "finish", "language", "marketplace", "sub"]
ENDPOINTS = ["/cards/search", "/cards/1", "/cards/1/history", "/market/index", "/market/movers", "/sources"]


@pytest.fixture
def unlimited(services):
    """`bare` with a rate limit no test reaches: the junk test sends more requests than 120 a minute."""
    settings = services.settings.model_copy(update={"api_rate_limit": "10000/second"})
    return create_app(dataclasses.replace(services, settings=settings)).server.test_client()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    endpoint=st.sampled_from([*ENDPOINTS, "/cards/{junk}", "/cards/{junk}/history", "/{junk}"]),
    junk=st.text(max_size=30).filter(lambda text: "/" not in text and "?" not in text and "#" not in text),
    query=st.dictionaries(
        st.sampled_from(PARAMETERS) | st.text(max_size=8),
        st.text(max_size=60) | st.sampled_from(["all", "NM", "en", "foil", "7d", "set:mid", "-1", "1e9", "NaN"]),
        max_size=4,
    ),
)
def test_junk_never_gets_a_server_error(unlimited, endpoint, junk, query):
    response = unlimited.get(PREFIX + endpoint.format(junk=junk), query_string=query)
    assert response.status_code in (200, 400, 404), (response.status_code, response.get_data(as_text=True))
    if response.status_code != 200:
        assert list(response.get_json()) == ["error"]


def test_an_empty_database_answers_empty_not_an_error(bare):
    assert get_json(bare, f"{PREFIX}/cards/search", q="consider") == {"q": "consider", "results": []}
    index = get_json(bare, f"{PREFIX}/market/index")
    payloads.MarketIndex.model_validate(index)
    assert (index["asof"], index["level"]) == (None, [])
    movers = get_json(bare, f"{PREFIX}/market/movers")
    payloads.Movers.model_validate(movers)
    assert (movers["gainers"], movers["losers"]) == ([], [])
    sources = get_json(bare, f"{PREFIX}/sources")
    payloads.Sources.model_validate(sources)
    assert {row["freshness"] for row in sources["sources"]} == {"never"}
    assert get_csv(bare, f"{PREFIX}/market/index") == []


def test_wrong_methods_are_405_with_allow_and_unknown_paths_404(client, consider):
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        response = client.open(f"{PREFIX}/cards/{consider}/history", method=method)
        assert (response.status_code, response.headers["Allow"]) == (405, "GET, HEAD, OPTIONS")
        assert response.get_json() == {"error": f"{method} is not allowed here; this endpoint takes GET, HEAD, OPTIONS"}
        unknown = client.open(f"{PREFIX}/nope", method=method)
        assert unknown.status_code == 404 and "error" in unknown.get_json()
    head = client.head(f"{PREFIX}/cards/{consider}")
    assert head.status_code == 200 and head.get_data() == b""
    assert client.get("/card").status_code == 200 and client.get("/nope").mimetype == "text/html"  # pages untouched


def test_a_database_outage_is_a_json_503_not_a_500(redis_server):
    down = bootstrap(make_settings("postgresql+psycopg://postgres@127.0.0.1:1/nothing", redis_server))
    try:
        client = create_app(down).server.test_client()
        for path in ("/cards/1", "/cards/1/history", "/cards/search?q=consider", "/market/index", "/sources"):
            response = client.get(PREFIX + path)
            assert response.status_code == 503, path
            assert response.get_json() == {"error": "the price database is unreachable or too slow; retry shortly"}
    finally:
        down.close()


def test_responses_carry_the_security_headers_and_need_no_session(client, consider):
    for path in (f"/cards/{consider}", "/cards/search?q=consider", "/nope", "/cards/abc", "/openapi.json"):
        response = client.get(PREFIX + path)
        assert_hardened(response)
        assert "Set-Cookie" not in response.headers
    assert not client.get_cookie("session")


def test_the_openapi_document_validates_and_comes_from_the_schemas(client):
    doc = get_json(client, f"{PREFIX}/openapi.json")
    validate_openapi(doc)
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "CardCharts API"
    assert set(doc["paths"]) == {
        f"{PREFIX}/cards/search",
        f"{PREFIX}/cards/{{card_id}}",
        f"{PREFIX}/cards/{{card_id}}/history",
        f"{PREFIX}/market/index",
        f"{PREFIX}/market/movers",
        f"{PREFIX}/sources",
        f"{PREFIX}/auth/register",
        f"{PREFIX}/auth/token",
        f"{PREFIX}/collection",
        f"{PREFIX}/collection/import",
        f"{PREFIX}/collection/{{lot_id}}",
        f"{PREFIX}/collection/{{lot_id}}/sell",
        f"{PREFIX}/portfolio",
        f"{PREFIX}/portfolio/history",
        f"{PREFIX}/alerts",
        f"{PREFIX}/alerts/{{alert_id}}",
        f"{PREFIX}/alerts/inbox",
        f"{PREFIX}/alerts/inbox/read",
        f"{PREFIX}/cards/{{card_id}}/refresh",
    }
    history = doc["paths"][f"{PREFIX}/cards/{{card_id}}/history"]["get"]
    parameters = {p["name"]: p for p in history["parameters"]}
    assert list(parameters) == [
        "card_id",
        "range",
        "currency",
        "condition",
        "finish",
        "language",
        "marketplace",
        "format",
    ]
    assert parameters["card_id"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 2147483647}
    assert parameters["range"]["schema"]["enum"] == list(RANGES)
    assert parameters["condition"]["schema"]["enum"] == ["all", "M", "NM", "LP", "MP", "HP", "DMG"]
    assert set(history["responses"]) == {"200", "400", "404"}
    assert history["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    assert set(history["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    detail = doc["paths"][f"{PREFIX}/cards/{{card_id}}"]["get"]
    assert set(detail["responses"]["200"]["content"]) == {"application/json"}
    movers = {p["name"]: p for p in doc["paths"][f"{PREFIX}/market/movers"]["get"]["parameters"]}
    assert movers["min_price"]["schema"]["default"] == "1.00" and "legal_in" in movers
