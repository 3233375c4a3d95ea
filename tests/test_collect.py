"""Collecting over HTTP: faked at the transport only, with the providers' real bodies."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from tests.conftest import FIXTURES
from workers.collect import collect, unwrap_html
from workers.http import USER_AGENT, Fetcher

SAMPLE = (FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz").read_bytes()
FILE_URL = "https://data.scryfall.io/default-cards/default-cards-20251101091712.jsonl.gz"
DESCRIPTOR = {
    "object": "bulk_data",
    "id": "e2ef41e3-5778-4bc2-af3f-78eca4dd9c23",
    "type": "default_cards",
    "updated_at": "2025-11-01T09:17:12.53+00:00",
    "uri": "https://api.scryfall.com/bulk-data/e2ef41e3",
    "name": "Default Cards",
    "description": "...",
    "jsonl_download_uri": FILE_URL,
    "compressed_size": len(SAMPLE),
}


class Provider:
    """Answers like the providers do; records what it was asked."""

    def __init__(self, routes):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.routes[str(request.url)](request)


def test_scryfall_collect_downloads_imports_and_skips_an_unchanged_file(services, tmp_path):
    provider = Provider(
        {
            "https://api.scryfall.com/bulk-data/default-cards": lambda r: httpx.Response(200, json=DESCRIPTOR),
            FILE_URL: lambda r: httpx.Response(200, content=SAMPLE, headers={"Content-Type": "application/gzip"}),
        }
    )
    fetcher = Fetcher(tmp_path, httpx.MockTransport(provider), sleep=lambda s: None)
    report = collect(services, "scryfall", fetcher)
    assert (report.totals.cards, report.totals.inserted) == (461, 1964)
    run = services.runs.get(report.run_id)
    assert run["file_date"].isoformat() == "2025-11-01T09:17:12.530000+00:00"
    assert all(r.headers["User-Agent"] == USER_AGENT for r in provider.requests)
    assert collect(services, "scryfall", fetcher) is None  # same file name: not downloaded again
    assert [str(r.url) for r in provider.requests].count(FILE_URL) == 1
    assert services.runs.latest_per_source()[0]["status"] == "unchanged"


def test_legacy_descriptor_and_429_back_off(services, tmp_path):
    legacy = {k: v for k, v in DESCRIPTOR.items() if k not in ("jsonl_download_uri", "compressed_size")}
    legacy_url = "https://data.scryfall.io/default-cards/default-cards-20251101091712.json"
    legacy["download_uri"] = legacy_url
    array = json.dumps([json.loads(line) for line in gzip.decompress(SAMPLE).splitlines()[:25]])
    answers = iter([httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200, json=legacy)])
    waits: list[float] = []
    provider = Provider(
        {
            "https://api.scryfall.com/bulk-data/default-cards": lambda r: next(answers),
            legacy_url: lambda r: httpx.Response(200, content=array.encode()),
        }
    )
    report = collect(services, "scryfall", Fetcher(tmp_path, httpx.MockTransport(provider), sleep=waits.append))
    assert report.totals.cards == 25
    assert 1.0 in waits  # honoured Retry-After before asking again


def test_conditional_download_with_etag(services, tmp_path):
    guide = (FIXTURES / "cardmarket" / "price_guide_1-sample.json").read_bytes()
    from workers.imports import import_scryfall

    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return httpx.Response(304)
        return httpx.Response(200, content=guide, headers={"ETag": '"v1"'})

    url = "https://downloads.s3.cardmarket.com/productCatalog/priceGuide/price_guide_1.json"
    fetcher = Fetcher(tmp_path, httpx.MockTransport(Provider({url: answer})), sleep=lambda s: None)
    first = collect(services, "cardmarket", fetcher)
    assert first.totals.inserted == 6
    assert services.runs.get(first.run_id)["etag"] == '"v1"'
    assert collect(services, "cardmarket", fetcher) is None


def test_server_errors_raise_for_the_task_to_retry(services, tmp_path):
    provider = Provider({"https://api.scryfall.com/bulk-data/default-cards": lambda r: httpx.Response(503)})
    with pytest.raises(httpx.HTTPStatusError):
        collect(services, "scryfall", Fetcher(tmp_path, httpx.MockTransport(provider), sleep=lambda s: None))


def test_card_kingdom_html_wrapper_is_cut_off(tmp_path):
    body = (FIXTURES / "cardkingdom" / "pricelist-sample.json").read_bytes()
    path = tmp_path / "pricelist.json"
    path.write_bytes(b"<html><head></head><body>" + body + b"</body></html>")
    unwrap_html(path)
    assert path.read_bytes() == body


def test_celery_schedule_and_task_settings():
    from workers.celery_app import celery
    from workers.tasks import collect_source

    assert celery.conf.task_acks_late and celery.conf.task_reject_on_worker_lost

    def hours(every) -> float:
        return getattr(every, "run_every", every).total_seconds() / 3600  # a CollectionSchedule, or a timedelta

    assert {name: hours(entry["schedule"]) for name, entry in celery.conf.beat_schedule.items()} == {
        "collect-scryfall": 24,
        "collect-mtgjson": 24,
        "collect-cardmarket": 24,
        "collect-cardkingdom": 6,
        "recover-runs": 5 / 60,
        "webhooks": 5 / 60,
        "retention": 24,
    }
    assert collect_source.retry_jitter and collect_source.max_retries == 5


def test_tcgplayer_sku_prices_by_condition_language_and_printing(services, tmp_path):
    from workers.imports import import_scryfall

    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    consider = services.cards.get_by_scryfall_id("a211d505-4d40-4914-a9da-220770d6ddbc")
    product = consider.tcgplayer_product_id  # 246015, the real productId
    skus = [
        {"skuId": 5001, "productId": product, "languageId": 1, "printingId": 1, "conditionId": 1},
        {"skuId": 5002, "productId": product, "languageId": 1, "printingId": 1, "conditionId": 2},
        {"skuId": 5003, "productId": product, "languageId": 7, "printingId": 2, "conditionId": 1},
        {"skuId": 5004, "productId": product, "languageId": 1, "printingId": 1, "conditionId": 6},
        {"skuId": 5005, "productId": product, "languageId": 1, "printingId": 1, "conditionId": 3},
    ]
    prices = [
        {
            "skuId": 5001,
            "lowPrice": 0.25,
            "lowestShipping": 0.99,
            "lowestListingPrice": 0.25,
            "marketPrice": 0.36,
            "directLowPrice": None,
        },
        {
            "skuId": 5002,
            "lowPrice": 0.2,
            "lowestShipping": 0.99,
            "lowestListingPrice": 0.2,
            "marketPrice": None,
            "directLowPrice": None,
        },
        {
            "skuId": 5003,
            "lowPrice": 1.5,
            "lowestShipping": 0,
            "lowestListingPrice": 1.5,
            "marketPrice": 2.1,
            "directLowPrice": None,
        },
        {
            "skuId": 5004,
            "lowPrice": 9.0,
            "lowestShipping": 0,
            "lowestListingPrice": 9.0,
            "marketPrice": 9.0,
            "directLowPrice": None,
        },
        {
            "skuId": 5005,
            "lowPrice": None,
            "lowestShipping": 0,
            "lowestListingPrice": None,
            "marketPrice": None,
            "directLowPrice": None,
        },
    ]
    wrap = lambda results: {"totalItems": len(results), "success": True, "errors": [], "results": results}  # noqa: E731

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/token":
            assert b"grant_type=client_credentials" in request.content
            return httpx.Response(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 1209599})
        assert request.headers["Authorization"] == "bearer tok"
        if path.startswith("/v1.39.0/catalog/products/"):
            ids = [int(i) for i in path.rsplit("/", 1)[1].split(",")]
            found = [{"productId": i, "skus": [s for s in skus if s["productId"] == i]} for i in ids if i == product]
            return httpx.Response(200, json=wrap(found)) if found else httpx.Response(404, json=wrap([]))
        if path.startswith("/v1.39.0/pricing/sku/"):
            ids = {int(i) for i in path.rsplit("/", 1)[1].split(",")}
            return httpx.Response(200, json=wrap([p for p in prices if p["skuId"] in ids]))
        return httpx.Response(404)

    services.settings = services.settings.model_copy(
        update={"tcgplayer_public_key": "public", "tcgplayer_private_key": "private"}
    )
    fetcher = Fetcher(tmp_path, httpx.MockTransport(answer), sleep=lambda s: None)
    report = collect(services, "tcgplayer", fetcher)
    assert (report.totals.inserted, report.totals.rejected) == (3, 1)
    latest = {
        (r["condition"], r["language"], r["finish"]): (str(r["price"]), str(r["low"]), str(r["market"]))
        for r in services.prices.latest(consider.id)
        if r["marketplace_id"] == services.marketplaces.by_slug("tcgplayer").id
        and r["time"] == services.runs.get(report.run_id)["file_date"]
    }
    assert latest == {
        ("NEAR_MINT", "English", "nonfoil"): ("0.36", "0.25", "0.36"),
        ("LIGHTLY_PLAYED", "English", "nonfoil"): ("0.20", "0.20", "None"),
        ("NEAR_MINT", "Japanese", "foil"): ("2.10", "1.50", "2.10"),
    }
