"""The Redis cache: hit, miss, invalidation, stampede, stale writes, and Redis down."""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

import pytest
from redis import Redis

from data.cache import CacheRepository
from tests.helpers import T0, add_cards, add_marketplaces, snap


class Counter:
    def __init__(self, value, delay: float = 0.0):
        self.calls = 0
        self.value = value
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self):
        with self.lock:
            self.calls += 1
        time.sleep(self.delay)
        return self.value


def test_miss_then_hit_with_json_and_ttl(redis_client):
    cache = CacheRepository(redis_client, ttl=timedelta(minutes=5))
    compute = Counter({"price": "1.23", "points": [1, None]})
    assert cache.get_or_compute(("market", "overview", "USD"), compute) == compute.value
    assert cache.get_or_compute(("market", "overview", "USD"), compute) == compute.value
    assert compute.calls == 1
    assert redis_client.get("cache:market:overview:USD") == b'{"price":"1.23","points":[1,null]}'
    assert 295_000 < redis_client.pttl("cache:market:overview:USD") <= 300_000
    assert redis_client.exists("cache:market:overview:USD:lock") == 0


def test_concurrent_misses_compute_once(redis_client):
    cache = CacheRepository(redis_client)
    compute = Counter(["slow"], delay=0.3)
    results = []

    def worker():
        results.append(cache.get_or_compute(("card", 1, "detail"), compute))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert compute.calls == 1
    assert results == [["slow"]] * 20


def test_invalidation_drops_the_cards_and_market_keys_only(redis_client):
    cache = CacheRepository(redis_client)
    for key in (
        "card:12:detail",
        "card:123:detail",
        "card:12:history:30d:NM:en:all:all",
        "market:overview:USD",
    ):
        cache.set(*key.split(":"), value=1)
    assert cache.invalidate([12]) == 3
    assert sorted(k.decode() for k in redis_client.keys("*")) == ["cache:card:123:detail"]
    assert cache.invalidate([], market=True) == 0


def test_invalidation_during_a_computation_keeps_its_stale_value_out(redis_client):
    cache = CacheRepository(redis_client)
    started = threading.Event()

    def stale():
        started.set()
        time.sleep(0.3)
        return "old"

    thread = threading.Thread(target=lambda: cache.get_or_compute(("card", 5, "detail"), stale))
    thread.start()
    started.wait()
    cache.invalidate([5], market=False)  # new prices landed while it was computing
    thread.join()
    assert redis_client.get("cache:card:5:detail") is None
    assert cache.get_or_compute(("card", 5, "detail"), lambda: "new") == "new"


def test_redis_down_serves_from_the_source_with_a_warning(dead_redis_url, caplog):
    client = Redis.from_url(dead_redis_url, socket_timeout=0.2, socket_connect_timeout=0.2)
    cache = CacheRepository(client)
    compute = Counter("fresh")
    with caplog.at_level(logging.WARNING, logger="data.cache"):
        assert cache.get_or_compute(("market", "overview", "USD"), compute) == "fresh"
        assert cache.get_or_compute(("market", "overview", "USD"), compute) == "fresh"
    assert compute.calls == 2
    assert "Redis unavailable" in caplog.text
    assert cache.invalidate([1]) == 0
    assert cache.ping() is False


def test_use_cases_are_served_when_redis_is_down(services, scryfall_objects, dead_redis_url):
    markets = add_marketplaces(services)
    card = next(iter(add_cards(services, scryfall_objects, 1).values()))
    services.ingest([snap(card, markets["tcgplayer"], "4.78", T0)])
    services.cache.redis = Redis.from_url(dead_redis_url, socket_timeout=0.2, socket_connect_timeout=0.2)
    history = services.card_queries.history(card, "24h")
    assert history["series"][0]["price"] == ["4.78"]
    assert services.market_queries.index("24h")["price"] == ["4.7800"]


def test_ingest_invalidates_what_it_changed(services, scryfall_objects, redis_client):
    markets = add_marketplaces(services)
    cards = list(add_cards(services, scryfall_objects, 2).values())
    services.ingest(
        [snap(cards[0], markets["tcgplayer"], "1.00", T0), snap(cards[1], markets["tcgplayer"], "5.00", T0)]
    )
    before = services.card_queries.history(cards[0], "24h")
    other = services.card_queries.history(cards[1], "24h")
    assert services.market_queries.index("24h")["price"] == ["3.0000"]
    services.ingest([snap(cards[0], markets["tcgplayer"], "2.00", T0 + timedelta(minutes=5))])
    after = services.card_queries.history(cards[0], "24h")
    assert before["series"][0]["price"] == ["1.00"]
    assert after["series"][0]["price"] == ["1.00", "2.00"]
    assert redis_client.exists(f"cache:card:{cards[1]}:history:24h:all:all:all:all") == 1
    assert services.card_queries.history(cards[1], "24h") == other
    assert services.market_queries.index("24h")["price"] == ["2.6667"]


def test_a_failed_computation_releases_its_lock_at_once(redis_client):
    """A computation that raises leaves no lock behind: the next caller computes at once,
    and callers waiting on it take over instead of sitting out the lock's timeout."""
    cache = CacheRepository(redis_client, wait_timeout=timedelta(seconds=10))
    started = threading.Event()

    def failing():
        started.set()
        time.sleep(0.2)
        raise LookupError("no card with id 9")

    waited: list[float] = []
    outcomes: list[object] = []

    def waiter():
        started.wait(5)
        begun = time.monotonic()
        outcomes.append(cache.get_or_compute(("card", 9, "detail"), Counter("computed")))
        waited.append(time.monotonic() - begun)

    threads = [threading.Thread(target=waiter) for _ in range(5)]
    for thread in threads:
        thread.start()
    with pytest.raises(LookupError):  # the computation's error reaches its caller
        cache.get_or_compute(("card", 9, "detail"), failing)
    for thread in threads:
        thread.join(15)
    assert outcomes == ["computed"] * 5
    assert max(waited) < 2.0, waited  # not the 10 s wait, nor the 15 s lock expiry
    assert redis_client.exists("cache:card:9:detail:lock") == 0

    begun = time.monotonic()
    with pytest.raises(LookupError):
        cache.get_or_compute(("card", 10, "detail"), failing)
    assert redis_client.exists("cache:card:10:detail:lock") == 0
    assert cache.get_or_compute(("card", 10, "detail"), Counter("second")) == "second"
    assert time.monotonic() - begun < 2.0
