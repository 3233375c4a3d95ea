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
    "object": "bulk_data", "id": "e2ef41e3-5778-4bc2-af3f-78eca4dd9c23", "type": "default_cards",
    "updated_at": "2025-11-01T09:17:12.53+00:00", "uri": "https://api.scryfall.com/bulk-data/e2ef41e3",
    "name": "Default Cards", "description": "...", "jsonl_download_uri": FILE_URL, "compressed_size": len(SAMPLE),
}  # fmt: skip


class Provider:
    """Answers like the providers do; records what it was asked."""

    def __init__(self, routes):
        self.routes = routes
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.routes[str(request.url)](request)


def test_scryfall_collect_downloads_imports_and_skips_an_unchanged_file(services, tmp_path):
    provider = Provider({
        "https://api.scryfall.com/bulk-data/default-cards": lambda r: httpx.Response(200, json=DESCRIPTOR),
        FILE_URL: lambda r: httpx.Response(200, content=SAMPLE, headers={"Content-Type": "application/gzip"}),
    })  # fmt: skip
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
    provider = Provider({
        "https://api.scryfall.com/bulk-data/default-cards": lambda r: next(answers),
        legacy_url: lambda r: httpx.Response(200, content=array.encode()),
    })  # fmt: skip
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
    assert {name: entry["schedule"].total_seconds() / 3600 for name, entry in celery.conf.beat_schedule.items()} == {
        "collect-scryfall": 24, "collect-mtgjson": 24, "collect-cardmarket": 24, "collect-cardkingdom": 6,
        "retention": 24,
    }  # fmt: skip
    assert collect_source.retry_jitter and collect_source.max_retries == 5
