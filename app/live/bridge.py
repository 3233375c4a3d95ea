"""One Redis pub/sub subscriber per web process, fanning messages out to its own sockets.

Every process subscribes to the same patterns, so each delivers every message to
the sockets it holds. When Redis goes away the bridge retries with exponential
backoff and jitter; once subscribed again it tells every listener to refetch,
since anything published in between never reached it.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time

from redis import Redis, RedisError

from app.live import protocol
from app.live.connections import ConnectionManager

log = logging.getLogger(__name__)

FIRST_RETRY = 0.2  # seconds
LAST_RETRY = 10.0


class RedisBridge:
    def __init__(self, redis_url: str, manager: ConnectionManager) -> None:
        self.redis_url = redis_url
        self.manager = manager
        self.subscribed = threading.Event()  # set while a subscription is live
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start listening (once per process: called on the first connection, after any fork)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._run, name="redis-bridge", daemon=True).start()

    def _run(self) -> None:
        delay, connected_before = FIRST_RETRY, False
        while True:
            try:
                client = Redis.from_url(self.redis_url, socket_connect_timeout=2, health_check_interval=15)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(*protocol.REDIS_PATTERNS)
                self.subscribed.set()
                if connected_before:
                    log.info("redis bridge: subscribed again; asking clients to refetch")
                    self._resync()
                connected_before, delay = True, FIRST_RETRY
                while True:
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self.dispatch(message["channel"], message["data"])
            except (RedisError, OSError) as exc:
                self.subscribed.clear()
                log.warning("redis bridge: %s; retrying in %.1f s", exc, delay)
                time.sleep(delay * random.uniform(0.5, 1.5))
                delay = min(delay * 2, LAST_RETRY)

    def dispatch(self, channel: bytes | str, data: bytes | str) -> int:
        """Deliver one Redis message to the local sockets subscribed to it; how many got it."""
        name = channel.decode() if isinstance(channel, bytes) else channel
        routed = protocol.route(name)
        if routed is None:
            return 0
        key, kind = routed
        if not self.manager.listening(key):  # the common case on a big import: nobody here watches
            return 0
        payload = data.decode() if isinstance(data, bytes) else data
        try:
            if not isinstance(json.loads(payload), dict):
                raise ValueError("not an object")
        except ValueError:
            log.warning("redis bridge: dropped a malformed message on %s", name)
            return 0
        return self.manager.deliver(key, protocol.update(kind, payload))

    def _resync(self) -> None:
        for key in self.manager.subscription_keys():
            frame = protocol.resync(key)
            if frame:
                self.manager.deliver(key, frame)
