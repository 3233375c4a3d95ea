"""Price updates on Redis pub/sub, for the WebSocket bridge: sent only after commit.

Channels (the design's): `channel:prices:card:{id}` with the card's newest price of
each variant in the batch, `channel:prices:market` once per settled batch or run, and
`channel:alerts:user:{id}` for one user's price alerts.
Publishing is best effort: the prices are already stored, so a Redis failure is
logged and never undoes or fails an import.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any

from redis import Redis, RedisError

from data.domain import PriceSnapshot

log = logging.getLogger(__name__)

MARKET_CHANNEL = "channel:prices:market"


def card_channel(card_id: int) -> str:
    return f"channel:prices:card:{card_id}"


def alerts_channel(user_id: int) -> str:
    return f"channel:alerts:user:{user_id}"


def card_updates(snapshots: Iterable[PriceSnapshot]) -> dict[int, dict[str, Any]]:
    """Per card, the newest price of each variant among these snapshots."""
    newest: dict[tuple, PriceSnapshot] = {}
    for snapshot in snapshots:  # a hot loop on big imports: plain attribute reads
        key = (snapshot.card_id, snapshot.marketplace_id, snapshot.condition, snapshot.finish, snapshot.language)
        kept = newest.get(key)
        if kept is None or snapshot.time >= kept.time:
            newest[key] = snapshot
    updates: dict[int, dict[str, Any]] = {}
    for snapshot in newest.values():
        update = updates.setdefault(snapshot.card_id, {"card_id": snapshot.card_id, "price_data": {"variants": []}})
        update["price_data"]["variants"].append(
            {
                "time": snapshot.time.isoformat(),
                "marketplace_id": snapshot.marketplace_id,
                "condition": snapshot.condition.value,
                "finish": snapshot.finish.value,
                "language": snapshot.language.value,
                "currency": snapshot.currency,
                "price": str(snapshot.price),
                "price_market": None if snapshot.price_market is None else str(snapshot.price_market),
            }
        )
    return updates


class PricePublisher:
    def __init__(self, redis: Redis | None) -> None:
        self.redis = redis

    def cards(self, updates: dict[int, dict[str, Any]]) -> None:
        def send(pipe) -> None:
            for card_id, update in updates.items():
                pipe.publish(card_channel(card_id), json.dumps(update, separators=(",", ":")))

        self._publish(send, len(updates))

    def market(self, summary: dict[str, Any]) -> None:
        self._publish_one(MARKET_CHANNEL, summary)

    def alert(self, user_id: int, alert: dict[str, Any]) -> None:
        self._publish_one(alerts_channel(user_id), alert)

    def alerts(self, alerts: Iterable[tuple[int, dict[str, Any]]]) -> None:
        """Each (user id, alert) on its owner's channel, in order, in one round trip (a settle can raise many)."""
        batch = list(alerts)

        def send(pipe) -> None:
            for user_id, alert in batch:
                pipe.publish(alerts_channel(user_id), json.dumps(alert, separators=(",", ":")))

        self._publish(send, len(batch))

    def _publish_one(self, channel: str, payload: dict[str, Any]) -> None:
        self._publish(lambda pipe: pipe.publish(channel, json.dumps(payload, separators=(",", ":"))), 1)

    def _publish(self, send, count: int) -> None:
        if self.redis is None or count == 0:
            return
        try:
            pipe = self.redis.pipeline(transaction=False)
            send(pipe)
            pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("publish: Redis unavailable (%s); %d update(s) not sent", exc, count)
