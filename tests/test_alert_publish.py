"""PricePublisher.alerts: a settle's alerts in one Redis round trip, each on its owner's channel only,
in order; with Redis down nothing is raised (the alerts are already in the inbox)."""

from __future__ import annotations

import json
import logging

from redis import Redis

from data.publisher import PricePublisher, alerts_channel


def test_a_batch_reaches_each_owner_in_order_and_no_one_else(redis_client):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(alerts_channel(1), alerts_channel(2), alerts_channel(3))
    for _ in range(3):
        pubsub.get_message(timeout=1)  # the subscription confirmations
    published: list[int] = []
    real_pipeline = redis_client.pipeline

    def counting_pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        published.append(1)
        return pipe

    redis_client.pipeline = counting_pipeline
    PricePublisher(redis_client).alerts(
        [(1, {"id": 10, "price": "1.50"}), (2, {"id": 11, "price": "2.00"}), (1, {"id": 12, "price": "0.99"})]
    )
    got = []
    while (message := pubsub.get_message(timeout=0.5)) is not None:
        got.append((message["channel"].decode(), json.loads(message["data"])))
    pubsub.close()
    assert published == [1]  # one pipeline: one round trip for the whole batch
    assert got == [
        (alerts_channel(1), {"id": 10, "price": "1.50"}),
        (alerts_channel(2), {"id": 11, "price": "2.00"}),
        (alerts_channel(1), {"id": 12, "price": "0.99"}),
    ]


def test_an_empty_batch_sends_nothing(redis_client):
    calls: list[int] = []
    redis_client.pipeline = lambda *args, **kwargs: calls.append(1)
    PricePublisher(redis_client).alerts([])
    assert calls == []


def test_redis_down_is_logged_not_raised(caplog):
    down = Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)  # nothing listens on port 1
    with caplog.at_level(logging.WARNING):
        PricePublisher(down).alerts([(1, {"id": 1})])
    assert "1 update(s) not sent" in caplog.text
