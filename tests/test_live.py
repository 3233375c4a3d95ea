"""/ws against a real server process (gunicorn, gevent workers) with real clients:
the design's protocol, bad input, delivery after an import, alerts, several
processes, and a Redis restart."""

from __future__ import annotations

import base64
import gzip
import json
import os
import socket
import threading
import time
from contextlib import ExitStack
from datetime import timedelta

import pytest
from redis import Redis
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from app.live import tokens
from app.live.connections import Connection, ConnectionManager
from tests.conftest import FIXTURES, SECRET
from tests.helpers import free_port, redis_on_port, web_server
from workers.imports import import_scryfall

SCRYFALL = FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz"
CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"


@pytest.fixture
def server(services, database_url, redis_server):
    with web_server(database_url, redis_server, SECRET) as address:
        yield address


def ask(client, message) -> dict:
    client.send(message if isinstance(message, str | bytes) else json.dumps(message))
    return json.loads(client.recv(timeout=5))


def quiet(client, seconds: float = 0.5) -> bool:
    """True when nothing arrives for `seconds`."""
    try:
        client.recv(timeout=seconds)
    except TimeoutError:
        return True
    return False


def test_protocol_answers_and_survives_every_bad_message(services, server):
    import_scryfall(services, SCRYFALL)
    card = services.cards.get_by_scryfall_id(CONSIDER).id
    with connect(f"ws://{server}/ws") as ws:
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}
        assert ask(ws, {"action": "subscribe", "channel": "market"}) == {"type": "subscribed", "channel": "market"}
        assert ask(ws, {"action": "subscribe", "channel": "card", "card_id": card}) == {
            "type": "subscribed",
            "channel": "card",
            "card_id": card,
        }
        assert ask(ws, {"action": "unsubscribe", "channel": "card", "card_id": card}) == {
            "type": "unsubscribed",
            "channel": "card",
            "card_id": card,
        }
        bad = {
            "{not json": "not valid JSON",
            "[1, 2]": "a message is a JSON object",
            b"\x00\x01": "binary frames are not accepted",
            json.dumps({"action": "dance"}): "unknown action 'dance'",
            json.dumps({"channel": "market"}): "unknown action None",
            json.dumps({"action": "subscribe"}): "unknown channel None",
            json.dumps({"action": "subscribe", "channel": "news"}): "unknown channel 'news'",
            json.dumps({"action": "subscribe", "channel": "card"}): "the card channel needs a card_id",
            json.dumps({"action": "subscribe", "channel": "card", "card_id": "12"}): "card_id must be a positive",
            json.dumps({"action": "subscribe", "channel": "card", "card_id": -3}): "card_id must be a positive",
            json.dumps({"action": "subscribe", "channel": "card", "card_id": True}): "card_id must be a positive",
            json.dumps({"action": "subscribe", "channel": "card", "card_id": 10**6}): "unknown card_id 1000000",
            json.dumps({"action": "subscribe", "channel": "alerts"}): "the alerts channel needs a token",
            json.dumps({"action": "ping", "pad": "x" * 5000}): "over the 4096-byte limit",
        }
        for frame, error in bad.items():
            answer = ask(ws, frame)
            assert answer["type"] == "error" and error in answer["error"], (frame, answer)
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}  # still open after all of that


def test_frame_too_big_to_read_closes_only_that_socket(server):
    with connect(f"ws://{server}/ws", max_size=None) as other, connect(f"ws://{server}/ws") as ws:
        ws.send("x" * 70_000)
        with pytest.raises(Exception, match=r"1009|too big"):
            ws.recv(timeout=5)
        assert ask(other, {"action": "ping"}) == {"type": "pong"}


def test_subscriptions_per_connection_are_limited(services, server):
    import_scryfall(services, SCRYFALL)
    with services.engine.connect() as conn:
        ids = [row[0] for row in conn.exec_driver_sql("SELECT id FROM cards ORDER BY id LIMIT 51")]
    with connect(f"ws://{server}/ws") as ws:
        for card in ids[:50]:
            assert ask(ws, {"action": "subscribe", "channel": "card", "card_id": card})["type"] == "subscribed"
        answer = ask(ws, {"action": "subscribe", "channel": "card", "card_id": ids[50]})
        assert answer == {"type": "error", "error": "at most 50 subscriptions per connection: unsubscribe first"}
        assert ask(ws, {"action": "unsubscribe", "channel": "card", "card_id": ids[0]})["type"] == "unsubscribed"
        assert ask(ws, {"action": "subscribe", "channel": "card", "card_id": ids[50]})["type"] == "subscribed"


def test_an_import_reaches_the_matching_subscriptions_only(services, server, scryfall_objects, tmp_path):
    import_scryfall(services, SCRYFALL)
    consider = services.cards.get_by_scryfall_id(CONSIDER).id
    other = services.cards.get_by_scryfall_id(next(o["id"] for o in scryfall_objects if o["id"] != CONSIDER)).id
    # The next day's Scryfall file, with one card repriced.
    changed = next(o for o in scryfall_objects if o["id"] == CONSIDER)
    changed = {**changed, "prices": {**changed["prices"], "usd": "0.41", "eur": "0.55"}}
    next_day = tmp_path / "scryfall-cards-2025-11-02.jsonl.gz"
    with gzip.open(next_day, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(changed) + "\n")
    with (
        connect(f"ws://{server}/ws") as card_socket,
        connect(f"ws://{server}/ws") as other_socket,
        connect(f"ws://{server}/ws") as market_socket,
    ):
        ask(card_socket, {"action": "subscribe", "channel": "card", "card_id": consider})
        ask(other_socket, {"action": "subscribe", "channel": "card", "card_id": other})
        ask(market_socket, {"action": "subscribe", "channel": "market"})
        report = import_scryfall(services, next_day)
        assert report.status == "succeeded"

        update = json.loads(card_socket.recv(timeout=5))
        assert update["type"] == "card_price_update" and update["data"]["card_id"] == consider
        prices = {
            (v["currency"], v["finish"]): (v["price"], v["time"]) for v in update["data"]["price_data"]["variants"]
        }
        assert prices[("USD", "nonfoil")] == ("0.41", "2025-11-02T00:00:00+00:00")
        assert prices[("EUR", "nonfoil")] == ("0.55", "2025-11-02T00:00:00+00:00")
        market = json.loads(market_socket.recv(timeout=5))
        assert market["type"] == "market_update" and market["data"]["from"].startswith("2025-11-02")
        assert quiet(other_socket) and quiet(card_socket) and quiet(market_socket)


def test_alerts_need_a_valid_token_for_that_user(services, server):
    with connect(f"ws://{server}/ws") as mine, connect(f"ws://{server}/ws") as theirs:
        refused = {
            "not-a-jwt": "invalid token",
            tokens.issue("another-secret-that-is-long-enough!!", 7): "invalid token",
            tokens.issue(SECRET, 7, valid_for=timedelta(seconds=-1)): "token expired",
        }
        for token, reason in refused.items():
            answer = ask(mine, {"action": "subscribe", "channel": "alerts", "token": token})
            assert answer == {"type": "error", "error": f"alerts refused: {reason}"}
        services.publisher.alert(7, {"card_id": 1, "price": "9.99"})
        assert quiet(mine)  # refused means not subscribed

        assert ask(mine, {"action": "subscribe", "channel": "alerts", "token": tokens.issue(SECRET, 7)}) == {
            "type": "subscribed",
            "channel": "alerts",
        }
        ask(theirs, {"action": "subscribe", "channel": "alerts", "token": tokens.issue(SECRET, 8)})
        services.publisher.alert(7, {"card_id": 1, "price": "9.99"})
        assert json.loads(mine.recv(timeout=5)) == {"type": "price_alert", "data": {"card_id": 1, "price": "9.99"}}
        assert quiet(theirs)


def test_foreign_origins_are_refused(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(f"ws://{server}/ws", origin="http://evil.example")
    assert refused.value.response.status_code == 403
    with connect(f"ws://{server}/ws", origin=f"http://{server}") as ws:
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}


def test_allowlisted_origins_pass(services, database_url, redis_server):
    with (
        web_server(database_url, redis_server, SECRET, CARDCHARTS_WS_ORIGINS="https://shop.example") as address,
        connect(f"ws://{address}/ws", origin="https://shop.example") as ws,
    ):
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}


def test_two_server_processes_both_deliver(services, database_url, redis_server):
    with (
        web_server(database_url, redis_server, SECRET) as first,
        web_server(database_url, redis_server, SECRET) as second,
        connect(f"ws://{first}/ws") as one,
        connect(f"ws://{second}/ws") as two,
    ):
        for client in (one, two):
            ask(client, {"action": "subscribe", "channel": "market"})
        services.publisher.market({"rows": 5})
        for client in (one, two):
            assert json.loads(client.recv(timeout=5)) == {"type": "market_update", "data": {"rows": 5}}


def test_a_redis_restart_is_survived(services, database_url):
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    with ExitStack() as stack:
        redis = stack.enter_context(redis_on_port(port))
        address = stack.enter_context(web_server(database_url, url, SECRET))
        ws = stack.enter_context(connect(f"ws://{address}/ws"))
        ask(ws, {"action": "subscribe", "channel": "market"})
        redis.terminate()
        redis.wait(10)
        time.sleep(1)
        stack.enter_context(redis_on_port(port))
        # Back: the bridge resubscribes and asks its clients to refetch what they may have missed.
        assert json.loads(ws.recv(timeout=20)) == {"type": "market_update", "data": {"resync": True}}
        Redis.from_url(url).publish("channel:prices:market", json.dumps({"rows": 1}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "market_update", "data": {"rows": 1}}
        assert ask(ws, {"action": "ping"}) == {"type": "pong"}


def _frames(data: bytes) -> list[tuple[int, bytes]]:
    """(opcode, payload) of unmasked server frames with short payloads."""
    frames = []
    while data:
        opcode, length = data[0] & 0x0F, data[1] & 0x7F
        frames.append((opcode, data[2 : 2 + length]))
        data = data[2 + length :]
    return frames


def test_heartbeat_closes_a_silent_client_and_keeps_a_live_one(services, database_url, redis_server):
    with (
        web_server(database_url, redis_server, SECRET, CARDCHARTS_WS_HEARTBEAT_SECONDS="0.5") as address,
        connect(f"ws://{address}/ws") as live,  # answers pings by itself
    ):
        host, port = address.split(":")
        with socket.create_connection((host, int(port)), timeout=10) as silent:  # never answers
            key = base64.b64encode(os.urandom(16)).decode()
            silent.sendall(
                f"GET /ws HTTP/1.1\r\nHost: {address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
            )
            received = b""
            while chunk := silent.recv(4096):  # until the server hangs up
                received += chunk
        head, _, frames = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        opcodes = [opcode for opcode, _ in _frames(frames)]
        assert opcodes[0] == 0x9 and opcodes[-1] == 0x8  # pinged, then closed
        assert _frames(frames)[-1][1][:2] == (1008).to_bytes(2, "big")  # policy violation: no pong
        assert ask(live, {"action": "ping"}) == {"type": "pong"}  # the live client outlived several pings


def test_manager_forgets_a_closed_connection():
    class Recorder:
        def __init__(self):
            self.sent = []

        def send(self, data):
            self.sent.append(data)

        def close(self, reason=None, message=None):
            pass

    manager = ConnectionManager(max_subscriptions=2)
    recorder = Recorder()
    connection = Connection(recorder)
    manager.add(connection)
    assert manager.subscribe(connection, "market") and manager.subscribe(connection, "card:1")
    assert not manager.subscribe(connection, "card:2")
    assert manager.deliver("market", "hello") == 1
    deadline = time.monotonic() + 2
    while recorder.sent != ["hello"] and time.monotonic() < deadline:
        time.sleep(0.01)
    assert recorder.sent == ["hello"]
    manager.remove(connection)
    connection.close()
    assert len(manager) == 0 and not manager.listening("market") and manager.deliver("card:1", "x") == 0


def test_a_client_that_falls_behind_is_dropped_not_waited_for():
    release = threading.Event()

    class Stuck:
        closed_with = None

        def send(self, data):
            release.wait(5)  # a peer that reads nothing

        def close(self, reason=None, message=None):
            self.closed_with = reason

    stuck = Stuck()
    connection = Connection(stuck, outbox_size=2)
    started = time.monotonic()
    for n in range(5):
        connection.push(f"update {n}")  # never blocks the bridge
    assert time.monotonic() - started < 0.5
    assert not connection.open and stuck.closed_with == 1013
    release.set()
