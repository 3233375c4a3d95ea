"""Hostile input on the real-time path: whatever is published to Redis or sent on /ws,
the bridge keeps delivering, the socket keeps answering, and /readyz tells the truth.
Unit tests on the pure functions and the bridge (real Redis), property tests, and the
real gunicorn server with real clients."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis import Redis
from websockets.exceptions import ConnectionClosedError
from websockets.sync.client import connect

from app.live import protocol, tokens
from app.live.bridge import EXTENSION, RedisBridge
from app.live.connections import Connection, ConnectionManager
from app.live.endpoint import LiveEndpoint
from app.logs import Throttle
from app.server import create_app
from tests.conftest import SECRET
from tests.helpers import add_cards, web_server

CARD = "channel:prices:card:"
DEEP = "[" * 100_000 + "]" * 100_000
# Published messages that each stopped every web worker's bridge, or would reach browsers broken.
BAD_CHANNELS = [
    CARD + "²",  # str.isdigit() says yes, int() says no
    CARD + "\u0661\u0662",  # Arabic-Indic digits: int() takes them, but they are no id of ours
    b"channel:prices:card:\xff\xfe",  # not UTF-8
    CARD + "9" * 5000,  # int() refuses over 4300 digits
    CARD + "2147483648",  # over the id range
    CARD + "0",
    CARD + "-1",
    CARD,
    "channel:prices:other",
    "channel:alerts:user:x",
    "channel:prices:card:1\nforged log line",
]
BAD_PAYLOADS = [
    b"\xff\xfe{}",  # not UTF-8
    DEEP,  # json.loads: RecursionError
    "[" * 2000 + "]" * 2000,  # under the size cap, still too deep
    '{"n": ' + "9" * 5000 + "}",  # json.loads: ValueError (int digits limit)
    "not json",
    "[1, 2]",
    '"a string"',
    "null",
    '{"price": NaN}',  # Python takes it, browsers' JSON.parse does not
    '{"price": Infinity}',
    '{"pad": "' + "x" * 2**20 + '"}',  # over the size cap
    "",
    '{"a": "\\ud800"',  # unterminated
]


class Recorder:
    """A socket that keeps what it is sent."""

    def __init__(self):
        self.sent: list[str] = []

    def send(self, data):
        self.sent.append(data)

    def close(self, reason=None, message=None):
        pass


def wait_for(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def strict_json(text: str):
    def refuse(name):
        raise ValueError(name)

    return json.loads(text, parse_constant=refuse)


@contextmanager
def listening_manager(*keys: str) -> Iterator[tuple[ConnectionManager, Recorder]]:
    """A manager with one connection listening on `keys`, its socket a Recorder."""
    manager, recorder = ConnectionManager(), Recorder()
    connection = Connection(recorder, outbox_size=100_000)
    manager.add(connection)
    for key in keys:
        manager.subscribe(connection, key)
    try:
        yield manager, recorder
    finally:
        connection.close()  # ends its writer thread


# -- pure functions and the bridge's dispatch ---------------------------------------------------------------


@pytest.mark.parametrize("channel", [c for c in BAD_CHANNELS if isinstance(c, str)])
def test_route_takes_only_ascii_ids_in_range(channel):
    assert protocol.route(channel) is None


def test_route_ids_at_the_edges():
    assert protocol.route(CARD + "1") == ("card:1", "card_price_update")
    assert protocol.route(CARD + "2147483647") == ("card:2147483647", "card_price_update")
    assert protocol.route("channel:alerts:user:007") == ("alerts:7", "price_alert")
    assert protocol.route("channel:prices:market") == ("market", "market_update")


def test_dispatch_drops_each_malformed_message_with_one_line(caplog, redis_server):
    caplog.set_level(logging.WARNING, logger="app.live.bridge")
    messages = [(channel, b"{}") for channel in BAD_CHANNELS]
    messages += [(name, payload) for name in (CARD + "1", "channel:prices:market") for payload in BAD_PAYLOADS]
    with listening_manager("card:1", "card:2147483647", "alerts:7", "market") as (manager, recorder):
        bridge = RedisBridge(redis_server, manager)
        bridge._dropped = Throttle(logging.getLogger("app.live.bridge"), limit=1000)  # every line, for this test
        for channel, data in messages:
            assert bridge.dispatch(channel, data) == 0, (channel, data[:40])
        assert bridge.dispatch(CARD + "1", b'{"card_id": 1}') == 1
        assert wait_for(lambda: recorder.sent == ['{"type":"card_price_update","data":{"card_id": 1}}'])
    records = [r for r in caplog.records if r.name == "app.live.bridge"]
    assert len(records) == len(messages)
    for record in records:
        assert record.levelno == logging.WARNING and not record.exc_info
        assert "\n" not in record.getMessage() and len(record.getMessage()) < 300


def test_a_flood_of_bad_messages_logs_a_few_lines(caplog, redis_server):
    caplog.set_level(logging.WARNING, logger="app.live.bridge")
    with listening_manager("card:1") as (manager, _):
        bridge = RedisBridge(redis_server, manager)
        for _ in range(2000):
            bridge.dispatch(CARD + "²", b"{}")
            bridge.dispatch(CARD + "1", b"[")
    assert len([r for r in caplog.records if r.name == "app.live.bridge"]) == 5  # Throttle's default: 5 a minute


def test_throttle_reports_what_it_held_back(caplog):
    throttle = Throttle(logging.getLogger("throttled"), limit=2, period=0.3)
    caplog.set_level(logging.INFO, logger="throttled")
    logged = [throttle.log(logging.INFO, "bad %s", n) for n in range(10)]
    assert logged == [True, True] + [False] * 8
    time.sleep(0.35)
    assert throttle.log(logging.INFO, "bad %s", 10)
    assert [r.getMessage() for r in caplog.records] == ["bad 0", "bad 1", "bad 10 (8 similar lines held back)"]


HAZARDOUS_FRAMES = {
    "[" * 2000 + "]" * 2000: "nested more than 32 levels deep",
    '{"action": "subscribe", "channel": "card", "card_id": ' + "9" * 4000 + "}": "card_id must be a positive",
    '{"action": "subscribe", "channel": "card", "card_id": 1e999}': "not inf",
    '{"action": "subscribe", "channel": "card", "card_id": 1.0}': "not 1.0",
    '{"action": "subscribe", "channel": "card", "card_id": NaN}': "not valid JSON",
    '{"action": "ping", "x": -Infinity}': "not valid JSON",
    '{"action": "subscribe", "channel": ["card"]}': "unknown channel ['card']",
    '{"action": "subscribe", "channel": {"card": 1}}': "unknown channel {'card': 1}",
    '{"action": ["ping"]}': "unknown action ['ping']",
    '{"action": "ping\\u0000"}': "unknown action 'ping\\x00'",
    '{"action": "ping"}\x00': "not valid JSON",
    '{"action": "\x00ping"}': "not valid JSON",  # raw control characters are not JSON
    "\ud800": "not valid UTF-8",  # a lone surrogate: never from a socket, refused all the same
    '"' + "\\u" * 1500: "not valid JSON",
    "": "not valid JSON",
}


@pytest.mark.parametrize("frame, error", HAZARDOUS_FRAMES.items())
def test_parse_refuses_hazardous_frames(frame, error):
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse(frame)
    assert error in str(refused.value) and len(str(refused.value)) < 120


def test_parse_duplicate_keys_last_one_counts():
    frame = '{"action": "subscribe", "action": "ping"}'
    assert protocol.parse(frame) == protocol.Command("ping")


@pytest.mark.parametrize(
    "subject", ["²", "0", "-1", "9" * 5000, "2147483648", " 7", "7\x00", "\u0661"], ids=lambda s: repr(s[:12])
)
def test_alert_tokens_name_ascii_ids_in_range(subject):
    token = jwt.encode({"sub": subject, "scope": "alerts", "exp": time.time() + 60}, SECRET, algorithm="HS256")
    with pytest.raises(tokens.TokenError, match="not an alerts token"):
        tokens.user_of(SECRET, token)


def test_alert_tokens_that_are_not_ascii_or_are_deeply_nested_are_invalid():
    deep_header = base64.urlsafe_b64encode(("[" * 1500 + "]" * 1500).encode()).rstrip(b"=").decode()
    for token in ("\ud800", "é.é.é", f"{deep_header}.e30.c2ln"):
        with pytest.raises(tokens.TokenError, match="invalid token"):
            tokens.user_of(SECRET, token)


def test_answer_survives_a_bug_of_ours(caplog, services, redis_server):
    class BrokenManager(ConnectionManager):
        def subscribe(self, connection, key):
            raise RuntimeError("a bug")

    manager = BrokenManager()
    endpoint = LiveEndpoint(manager, RedisBridge(redis_server, manager), SECRET, services.card_queries.exists, [])
    connection = Connection(Recorder())
    caplog.set_level(logging.ERROR, logger="app.live.endpoint")
    for _ in range(10):
        answer = endpoint.answer(connection, '{"action": "subscribe", "channel": "market"}')
        assert json.loads(answer) == {"type": "error", "error": "the server could not answer that message"}
    assert endpoint.answer(connection, '{"action": "ping"}') == '{"type":"pong"}'
    records = [r for r in caplog.records if r.name == "app.live.endpoint"]
    assert len(records) == 5 and all(r.exc_info for r in records)  # with the traceback, throttled
    connection.close()


# -- property tests ----------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=30,
)
command_like = st.fixed_dictionaries(
    {},
    optional={
        "action": st.sampled_from(protocol.ACTIONS) | json_values,
        "channel": st.sampled_from(protocol.CHANNELS) | json_values,
        "card_id": st.integers(min_value=-(2**40), max_value=2**40) | json_values,
        "token": st.text(max_size=40) | json_values,
    },
).map(json.dumps)
deep_text = st.builds(lambda n, opener: opener * n, st.integers(0, 5000), st.sampled_from(["[", "{", '{"a":', "[[{"]))
frames = st.text(max_size=300) | st.binary(max_size=300) | command_like | json_values.map(json.dumps) | deep_text


@settings(max_examples=300, deadline=None)
@given(frames)
def test_parse_gives_a_command_or_a_protocol_error(frame):
    try:
        command = protocol.parse(frame)
    except protocol.ProtocolError as exc:
        assert str(exc) and len(str(exc)) < 200
    else:
        assert command.action in protocol.ACTIONS


@pytest.fixture
def live_bridge(redis_server):
    """A started bridge, its manager, and a recorder listening on a card, an alert and the market."""
    with listening_manager("card:1", "alerts:7", "market") as (manager, recorder):
        bridge = RedisBridge(redis_server, manager)
        bridge.start()
        assert bridge.subscribed.wait(10)
        yield bridge, manager, recorder
        bridge.stop()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=frames)
def test_answer_always_gives_one_json_frame(services, live_bridge, frame):
    bridge, manager, _ = live_bridge
    endpoint = LiveEndpoint(manager, bridge, SECRET, services.card_queries.exists, [])
    connection = Connection(Recorder())
    try:
        answer = strict_json(endpoint.answer(connection, frame))
        assert answer["type"] in {"pong", "subscribed", "unsubscribed", "error"}
        if answer["type"] == "error":
            assert answer["error"] != "the server could not answer that message"  # no bug of ours was hit
    finally:
        manager.remove(connection)
        connection.close()


channels = (
    st.sampled_from([CARD + "1", "channel:alerts:user:7", "channel:prices:market"])
    | st.builds(str.__add__, st.sampled_from([CARD, "channel:alerts:user:"]), st.text(max_size=12))
    | st.binary(max_size=40)
    | st.sampled_from([c for c in BAD_CHANNELS if isinstance(c, str)])
).map(lambda c: c.encode("utf-8", "surrogatepass") if isinstance(c, str) else c)
payloads = (
    st.binary(max_size=200)
    | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.dictionaries(st.text(max_size=8), json_values, max_size=5).map(lambda d: json.dumps(d).encode())
    | deep_text.map(str.encode)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(channel=channels, data=payloads)
def test_dispatch_never_raises_and_sends_only_json_objects(redis_server, channel, data):
    with listening_manager("card:1", "alerts:7", "market") as (manager, recorder):
        delivered = RedisBridge(redis_server, manager).dispatch(channel, data)
        assert delivered in (0, 1)
        assert wait_for(lambda: len(recorder.sent) == delivered, 5)
    for frame in recorder.sent:
        assert isinstance(strict_json(frame)["data"], dict)


# -- the bridge's loop and its watchdog, against real Redis -------------------------------------------------


class FaultyManager(ConnectionManager):
    """Raises `fault` from the next delivery: a bug, or anything else the loop does not expect."""

    fault: BaseException | None = None

    def deliver(self, key, frame):
        fault, self.fault = self.fault, None
        if fault is not None:
            raise fault
        return super().deliver(key, frame)


def faulty_bridge(redis_url: str, watch_seconds: float) -> tuple[RedisBridge, FaultyManager, Recorder]:
    manager, recorder = FaultyManager(), Recorder()
    connection = Connection(recorder)
    manager.add(connection)
    manager.subscribe(connection, "card:1")
    bridge = RedisBridge(redis_url, manager, watch_seconds=watch_seconds)
    bridge.start()
    assert bridge.subscribed.wait(10)
    return bridge, manager, recorder


def update(n: int) -> str:
    return json.dumps({"card_id": 1, "n": n})


def test_an_unexpected_error_skips_one_message_only(caplog, redis_server, redis_client):
    bridge, manager, recorder = faulty_bridge(redis_server, watch_seconds=3600)
    listener = bridge._listener
    caplog.set_level(logging.ERROR, logger="app.live.bridge")
    try:
        manager.fault = RuntimeError("a bug in delivery")
        redis_client.publish(CARD + "1", update(1))
        assert wait_for(lambda: manager.fault is None)
        redis_client.publish(CARD + "1", update(2))
        assert wait_for(lambda: recorder.sent == [f'{{"type":"card_price_update","data":{update(2)}}}'])
        assert bridge._listener is listener and listener.is_alive() and bridge.health() == "ok"
        [record] = [r for r in caplog.records if r.name == "app.live.bridge"]
        assert record.exc_info and "a bug in delivery" in str(record.exc_info[1])
    finally:
        bridge.stop()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the SystemExit
def test_the_watchdog_check_starts_a_dead_listener_again(redis_server, redis_client):
    bridge, manager, recorder = faulty_bridge(redis_server, watch_seconds=3600)
    try:
        manager.fault = SystemExit()  # not an Exception: the loop lets it end the thread
        redis_client.publish(CARD + "1", update(1))
        assert wait_for(lambda: not bridge._listener.is_alive())
        assert bridge.health() == "thread dead" and not bridge.subscribed.is_set()
        assert bridge.revive() is True  # what the watchdog does every few seconds
        assert bridge.revive() is False
        assert bridge.subscribed.wait(10) and bridge.health() == "ok"
        # The new listener may have missed updates: its clients are told to refetch.
        assert wait_for(lambda: recorder.sent == [protocol.resync("card:1")])
        redis_client.publish(CARD + "1", update(2))
        assert wait_for(lambda: len(recorder.sent) == 2)
        assert recorder.sent[1] == f'{{"type":"card_price_update","data":{update(2)}}}'
    finally:
        bridge.stop()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the SystemExit
def test_the_watchdog_runs_by_itself(redis_server, redis_client):
    bridge, manager, recorder = faulty_bridge(redis_server, watch_seconds=0.2)
    try:
        first = bridge._listener
        manager.fault = SystemExit()
        redis_client.publish(CARD + "1", update(1))
        assert wait_for(lambda: bridge._listener is not first and bridge.health() == "ok")
        redis_client.publish(CARD + "1", update(2))
        assert wait_for(lambda: f'{{"type":"card_price_update","data":{update(2)}}}' in recorder.sent)
    finally:
        bridge.stop()


def test_readyz_reports_the_bridge(services):
    server = create_app(services).server
    client = server.test_client()
    idle = client.get("/readyz")  # no socket yet, so no bridge: ready, and nothing to report
    assert idle.status_code == 200 and "live" not in idle.json["checks"]
    bridge = server.extensions[EXTENSION]
    bridge.start()
    assert bridge.subscribed.wait(10)
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"]["live"] == "ok"
    bridge.stop()  # its listener ends: no updates would reach this process's sockets any more
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503 and not_ready.json["checks"]["live"] == "thread dead"


# -- the real server -----------------------------------------------------------------------------------------------


@pytest.fixture
def server(services, database_url, redis_server):
    with web_server(database_url, redis_server, SECRET) as address:
        yield address


@pytest.fixture
def card(services, scryfall_objects) -> int:
    return next(iter(add_cards(services, scryfall_objects, 1).values()))


def ask(client, message) -> dict:
    client.send(message if isinstance(message, str | bytes) else json.dumps(message))
    return json.loads(client.recv(timeout=5))


def test_malformed_publishes_do_not_stop_live_updates(server, card, redis_server):
    before = httpx.get(f"http://{server}/readyz", timeout=5)
    assert before.status_code == 200 and "live" not in before.json()["checks"]
    publisher = Redis.from_url(redis_server)
    with connect(f"ws://{server}/ws") as ws, connect(f"ws://{server}/ws") as market:
        assert ask(ws, {"action": "subscribe", "channel": "card", "card_id": card})["type"] == "subscribed"
        assert ask(market, {"action": "subscribe", "channel": "market"})["type"] == "subscribed"
        for channel in BAD_CHANNELS:
            publisher.publish(channel, "{}")
        for payload in BAD_PAYLOADS:
            publisher.publish(CARD + str(card), payload)
            publisher.publish("channel:prices:market", payload)
        good = json.dumps({"card_id": card, "price_data": {"variants": []}})
        publisher.publish(CARD + str(card), good)
        publisher.publish("channel:prices:market", '{"rows": 1}')
        # The next frames are the good ones: nothing malformed got through, nothing stopped.
        assert json.loads(ws.recv(timeout=5)) == {"type": "card_price_update", "data": json.loads(good)}
        assert json.loads(market.recv(timeout=5)) == {"type": "market_update", "data": {"rows": 1}}
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}
        ready = httpx.get(f"http://{server}/readyz", timeout=5)
        assert ready.status_code == 200 and ready.json()["checks"]["live"] == "ok"
    publisher.close()


def test_hazardous_frames_get_error_frames_and_the_socket_stays(server, card):
    deep_header = base64.urlsafe_b64encode(("[" * 1500 + "]" * 1500).encode()).rstrip(b"=").decode()
    with connect(f"ws://{server}/ws") as ws:
        for frame, error in HAZARDOUS_FRAMES.items():
            if frame == "\ud800":
                continue  # a client cannot send it: not UTF-8 (below)
            answer = ask(ws, frame)
            assert answer["type"] == "error" and error in answer["error"], (frame[:60], answer)
            assert ask(ws, {"action": "ping"}) == {"type": "pong"}
        for token in ("\ud800", "é", f"{deep_header}.e30.c2ln"):  # each closed the socket
            answer = ask(ws, {"action": "subscribe", "channel": "alerts", "token": token})
            assert answer == {"type": "error", "error": "alerts refused: invalid token"}
        subscribed = ask(ws, f'{{"action": "subscribe", "channel": "card", "card_id": 1, "card_id": {card}}}')
        assert subscribed == {"type": "subscribed", "channel": "card", "card_id": card}
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}


def test_a_text_frame_that_is_not_utf8_closes_only_that_socket(server):
    """RFC 6455 (8.1): an endpoint that receives invalid UTF-8 as text MUST fail the connection."""
    with connect(f"ws://{server}/ws") as other, connect(f"ws://{server}/ws") as ws:
        ws.send(b'{"action": "ping"}\xff', text=True)
        with pytest.raises(ConnectionClosedError) as closed:
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
        assert ask(other, {"action": "ping"}) == {"type": "pong"}


def test_many_bad_frames_from_many_clients_at_once(server, card):
    """Concurrent hostile clients: each gets its errors, none disturbs another."""
    failures: list[str] = []

    def client(n: int) -> None:
        try:
            with connect(f"ws://{server}/ws") as ws:
                for frame in list(HAZARDOUS_FRAMES)[n % 3 :: 3]:
                    if frame != "\ud800" and ask(ws, frame)["type"] != "error":
                        failures.append(frame[:40])
                if ask(ws, {"action": "subscribe", "channel": "card", "card_id": card})["type"] != "subscribed":
                    failures.append("subscribe")
        except Exception as exc:  # any failure is reported below
            failures.append(repr(exc))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert failures == []
