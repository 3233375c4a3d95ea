"""Rate limits: the sliding window on real Redis, the headers and the 429, clients behind proxies,
Redis down, and the settings."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from redis import Redis

from app.bootstrap import bootstrap
from app.rate_limits import client_ip, install
from app.server import create_app
from app.settings import ConfigError, Settings, load_settings
from data.rate_limit import Decision, RateLimitRepository, rate_limit_key
from data.rates import Rate, parse_rate
from tests.conftest import SECRET

T0 = 1_762_000_000.0  # whole seconds: the window's arithmetic is exact in milliseconds


class Clock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def make_server(limiter: RateLimitRepository, **settings: str) -> Flask:
    server = Flask(__name__)
    for path in ("/api/v1/ping", "/export/card/1.png", "/other"):
        server.add_url_rule(path, path, lambda: "ok")
    install(server, limiter, Settings(**settings))
    return server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def limiter(redis_client: Redis, clock: Clock) -> RateLimitRepository:
    return RateLimitRepository(redis_client, clock=clock)


def limits(response) -> tuple[str | None, str | None, str | None]:
    return tuple(response.headers.get(f"RateLimit-{name}") for name in ("Limit", "Remaining", "Reset"))


def test_429_exactly_after_the_limit_with_the_headers(limiter, clock, redis_client):
    client = make_server(limiter, api_rate_limit="3/minute").test_client()
    seen = []
    for offset in (0, 10, 20):
        clock.now = T0 + offset
        response = client.get("/api/v1/ping")
        seen.append((response.status_code, limits(response)))
    # Reset: until the oldest request (at T0) leaves the window.
    assert seen == [(200, ("3", "2", "60")), (200, ("3", "1", "50")), (200, ("3", "0", "40"))]

    refused = client.get("/api/v1/ping")
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "40"
    assert limits(refused) == ("3", "0", "40")
    assert refused.get_json() == {"error": "too many requests: the limit is 3/minute per client; retry in 40 s"}

    key = rate_limit_key("ip", "127.0.0.1", "api")
    assert key == "ratelimit:ip:127.0.0.1:api"
    assert redis_client.zcard(key) == 3  # the refused request was not recorded
    assert 0 < redis_client.pttl(key) <= 60_000


def test_the_window_slides(limiter, clock):
    client = make_server(limiter, api_rate_limit="2/minute").test_client()
    assert client.get("/api/v1/ping").status_code == 200  # T0
    clock.now = T0 + 30
    assert client.get("/api/v1/ping").status_code == 200  # T0 + 30
    for _ in range(10):  # knocking while refused does not push the window back
        assert client.get("/api/v1/ping").status_code == 429
    clock.now = T0 + 59.999
    refused = client.get("/api/v1/ping")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")  # 1 ms, in whole seconds
    clock.now = T0 + 60  # the request of T0 leaves: one fits again, and only one
    allowed = client.get("/api/v1/ping")
    assert (allowed.status_code, limits(allowed)) == (200, ("2", "0", "30"))
    assert client.get("/api/v1/ping").status_code == 429
    clock.now = T0 + 120  # the whole window has passed
    assert limits(client.get("/api/v1/ping")) == ("2", "1", "60")


def test_the_window_slides_in_real_time(redis_client):
    client = make_server(RateLimitRepository(redis_client), api_rate_limit="2/second").test_client()
    assert [client.get("/api/v1/ping").status_code for _ in range(3)] == [200, 200, 429]
    refused = client.get("/api/v1/ping")
    assert refused.headers["Retry-After"] == "1"
    time.sleep(1.05)
    assert client.get("/api/v1/ping").status_code == 200


def test_clients_and_scopes_are_counted_apart(limiter):
    client = make_server(limiter, api_rate_limit="1/minute", export_rate_limit="1/hour").test_client()
    a, b = {"REMOTE_ADDR": "198.51.100.1"}, {"REMOTE_ADDR": "198.51.100.2"}
    assert client.get("/api/v1/ping", environ_base=a).status_code == 200
    assert client.get("/api/v1/ping", environ_base=a).status_code == 429
    assert client.get("/api/v1/ping", environ_base=b).status_code == 200
    export = client.get("/export/card/1.png", environ_base=a)
    assert (export.status_code, limits(export)) == (200, ("1", "0", "3600"))
    assert client.get("/export/card/1.png", environ_base=a).status_code == 429
    for _ in range(5):  # other paths are never counted nor labelled
        other = client.get("/other", environ_base=a)
        assert (other.status_code, limits(other)) == (200, (None, None, None))


def test_concurrent_requests_cannot_pass_the_limit(redis_client):
    limiter = RateLimitRepository(redis_client)
    start = threading.Barrier(24)
    decisions: list[Decision | None] = []

    def request() -> None:
        start.wait()
        decisions.append(limiter.hit("ip", "203.0.113.5", "api", Rate(5, 60)))

    threads = [threading.Thread(target=request) for _ in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(decision.allowed for decision in decisions) == 5
    assert sorted(decision.remaining for decision in decisions if decision.allowed) == [0, 1, 2, 3, 4]


def test_user_windows_have_their_own_keys(limiter, redis_client):
    assert limiter.hit("user", "456", "export", Rate(1, 60)).allowed
    assert not limiter.hit("user", "456", "export", Rate(1, 60)).allowed
    assert limiter.hit("ip", "456", "export", Rate(1, 60)).allowed
    assert sorted(redis_client.keys("ratelimit:*")) == [b"ratelimit:ip:456:export", b"ratelimit:user:456:export"]


TRUSTED = Settings(trusted_proxies="10.0.0.0/8, 192.0.2.1").trusted_proxy_networks


@pytest.mark.parametrize(
    ("remote_addr", "forwarded_for", "client"),
    [
        ("198.51.100.7", ["203.0.113.9"], "198.51.100.7"),  # not a trusted proxy: its header is the client's word
        ("10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.5", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),  # the client cannot choose what is left of it
        ("10.0.0.5", ["203.0.113.9, 10.0.0.2, 192.0.2.1"], "203.0.113.9"),  # a chain of trusted proxies
        ("10.0.0.5", ["6.6.6.6", "203.0.113.9"], "203.0.113.9"),  # two headers read as one list
        ("10.0.0.5", ["203.0.113.9:4711"], "203.0.113.9"),
        ("10.0.0.5", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("10.0.0.5", ["2001:0db8:0000::0001"], "2001:db8::1"),
        ("10.0.0.5", ["::ffff:203.0.113.9"], "203.0.113.9"),
        ("::ffff:10.0.0.5", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.5", [], "10.0.0.5"),
        ("10.0.0.5", ["10.0.0.9"], "10.0.0.9"),  # only trusted hops: the farthest one
        # junk: stop at the proxy that passed it on, never read further left
        ("10.0.0.5", ["6.6.6.6, garbage"], "10.0.0.5"),
        ("10.0.0.5", ["6.6.6.6, unknown, 10.0.0.2"], "10.0.0.2"),
        ("10.0.0.5", [""], "10.0.0.5"),
        ("10.0.0.5", [",,,"], "10.0.0.5"),
        ("10.0.0.5", ["999.1.1.1"], "10.0.0.5"),
        ("10.0.0.5", ["1.2.3.4\x00"], "10.0.0.5"),
        ("10.0.0.5", ["[::1"], "10.0.0.5"),
        ("10.0.0.5", ["1.2.3.4:5:6"], "10.0.0.5"),
        (None, ["203.0.113.9"], "unknown"),
        ("", [], "unknown"),
    ],
)
def test_client_ip(remote_addr, forwarded_for, client):
    assert client_ip(remote_addr, forwarded_for, TRUSTED) == client


def test_forwarded_for_is_honoured_only_from_a_trusted_proxy(limiter, redis_client):
    client = make_server(limiter, trusted_proxies="10.0.0.0/8").test_client()
    forwarded = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"}
    for proxy in ("10.0.0.5", "198.51.100.7"):
        assert client.get("/api/v1/ping", headers=forwarded, environ_base={"REMOTE_ADDR": proxy}).status_code == 200
    keys = sorted(key.decode() for key in redis_client.keys("ratelimit:*"))
    assert keys == ["ratelimit:ip:198.51.100.7:api", "ratelimit:ip:203.0.113.9:api"]


@pytest.mark.parametrize(
    "junk", ["garbage", "", " , ,", "<script>alert(1)</script>", "1.2.3.4, ::::::", "é, 10.0.0.1", "1." * 3000]
)
def test_junk_forwarded_for_is_never_a_500(limiter, redis_client, junk):
    client = make_server(limiter, trusted_proxies="10.0.0.0/8").test_client()
    response = client.get("/api/v1/ping", headers={"X-Forwarded-For": junk}, environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert (response.status_code, limits(response)[0]) == (200, "120")
    assert len(redis_client.keys("ratelimit:*")) == 1


def test_redis_down_serves_and_logs_once(dead_redis_url, caplog):
    caplog.set_level(logging.WARNING, logger="data.rate_limit")
    dead = Redis.from_url(dead_redis_url, socket_timeout=0.2, socket_connect_timeout=0.2)
    client = make_server(RateLimitRepository(dead), api_rate_limit="1/minute").test_client()
    started = time.monotonic()
    responses = [client.get("/api/v1/ping") for _ in range(20)]
    assert time.monotonic() - started < 1  # one failed connection, then Redis is left alone for a while
    assert [(r.status_code, limits(r)) for r in responses] == [(200, (None, None, None))] * 20
    [record] = [r for r in caplog.records if r.name == "data.rate_limit"]
    assert record.levelname == "WARNING" and "requests are not limited" in record.getMessage()


def test_a_redis_error_serves_and_logs(limiter, redis_client, caplog):
    caplog.set_level(logging.WARNING, logger="data.rate_limit")
    redis_client.set("ratelimit:ip:127.0.0.1:api", "not a sorted set")  # every command on it fails: WRONGTYPE
    client = make_server(limiter).test_client()
    assert [client.get("/api/v1/ping").status_code for _ in range(3)] == [200] * 3
    assert ["WRONGTYPE" in r.getMessage() for r in caplog.records if r.name == "data.rate_limit"] == [True]


@pytest.fixture
def limited_services(database_url: str, redis_server: str) -> Iterator:
    built = bootstrap(
        Settings(database_url=database_url, redis_url=redis_server, secret_key=SECRET, api_rate_limit="2/minute")
    )
    built.redis.flushdb()
    yield built
    built.close()


def test_the_dashboard_server_limits_its_api(limited_services):
    server = create_app(limited_services).server
    client = server.test_client()
    assert [client.get("/api/v1/nothing").status_code for _ in range(2)] == [404, 404]
    refused = client.get("/api/v1/nothing")
    assert refused.status_code == 429 and refused.get_json()["error"].startswith("too many requests")
    assert limits(refused) == ("2", "0", "60") and refused.headers["Retry-After"] == "60"
    assert refused.headers["Cache-Control"] == "no-store" and "Content-Security-Policy" in refused.headers
    page = client.get("/")
    assert page.status_code == 200 and limits(page) == (None, None, None)


def test_limits_are_installed_once(limiter):
    server = make_server(limiter)
    with pytest.raises(RuntimeError, match="already installed"):
        install(server, limiter, Settings())


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("120/minute", Rate(120, 60)),
        ("30 per hour", Rate(30, 3600)),
        (" 2/Seconds ", Rate(2, 1)),
        ("5/day", Rate(5, 86_400)),
    ],
)
def test_rates_parse(text, rate):
    assert parse_rate(text) == rate


def test_default_limits():
    settings = Settings()
    assert (settings.api_rate, settings.export_rate, settings.trusted_proxy_networks) == (
        Rate(120, 60),
        Rate(30, 60),
        (),
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("CARDCHARTS_API_RATE_LIMIT", "120", "is not a rate such as 120/minute"),
        ("CARDCHARTS_API_RATE_LIMIT", "120/fortnight", "is not a rate"),
        ("CARDCHARTS_API_RATE_LIMIT", "-1/minute", "is not a rate"),
        ("CARDCHARTS_API_RATE_LIMIT", "1.5/minute", "is not a rate"),
        ("CARDCHARTS_EXPORT_RATE_LIMIT", "0/minute", "between 1 and 10,000"),
        ("CARDCHARTS_EXPORT_RATE_LIMIT", "50000/hour", "between 1 and 10,000"),
        ("CARDCHARTS_TRUSTED_PROXIES", "10.0.0.1, proxy.local", "'proxy.local' is not an IP address or network"),
        ("CARDCHARTS_TRUSTED_PROXIES", "10.0.0.0/33", "is not an IP address or network"),
    ],
)
def test_malformed_settings_stop_the_start(monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as failure:
        load_settings()
    assert f"{variable}: " in str(failure.value) and message in str(failure.value)
