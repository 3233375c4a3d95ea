"""One Redis pub/sub subscriber per web process, fanning messages out to its own sockets.

Every process subscribes to the same patterns, so each delivers every message to
the sockets it holds. When Redis goes away the bridge retries with exponential
backoff and jitter; once subscribed again it tells every listener to refetch,
since anything published in between never reached it.

Anyone who can publish to Redis reaches this loop, so nothing published may stop
it: a malformed message is logged (one line, throttled) and dropped, any other
error is logged with its traceback and the loop subscribes again, and a watchdog
starts the listener again should it die all the same. /readyz reports its state.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time

from redis import Redis, RedisError

from app.live import protocol
from app.live.connections import ConnectionManager
from app.logs import Throttle

log = logging.getLogger(__name__)

FIRST_RETRY = 0.2  # seconds
LAST_RETRY = 10.0
WATCH_SECONDS = 5.0  # how often the watchdog looks at the listener
STALL_SECONDS = 30.0  # a subscribed listener wakes every second; this long without a turn is a hang
EXTENSION = "cardcharts.live_bridge"  # the process's bridge in Flask's `extensions`, for /readyz


class RedisBridge:
    def __init__(self, redis_url: str, manager: ConnectionManager, watch_seconds: float = WATCH_SECONDS) -> None:
        self.redis_url = redis_url
        self.manager = manager
        self.watch_seconds = watch_seconds
        self.subscribed = threading.Event()  # set while a subscription is live
        self._listener: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        self._stopping = threading.Event()
        self._subscribed_before = False
        self._last_turn = 0.0
        self._lock = threading.Lock()
        self._dropped = Throttle(log)  # malformed messages: one line each, no traceback
        self._faults = Throttle(log)  # our own bugs: with the traceback

    def start(self) -> None:
        """Start listening, watched (called on every new connection: only the first, after any
        fork, starts anything, unless the listener has died since)."""
        self.revive()
        with self._lock:
            if self._watchdog is None and not self._stopping.is_set():
                self._watchdog = threading.Thread(target=self._watch, name="redis-bridge-watchdog", daemon=True)
                self._watchdog.start()

    def revive(self) -> bool:
        """Start the listener unless it is running; whether it had died."""
        with self._lock:
            if self._stopping.is_set() or (self._listener is not None and self._listener.is_alive()):
                return False
            died = self._listener is not None
            if died:
                log.error("redis bridge: the listener died; starting it again")
            self.subscribed.clear()
            self._listener = threading.Thread(target=self._run, name="redis-bridge", daemon=True)
            self._listener.start()
            return died

    def stop(self, timeout: float = 5) -> None:
        """Stop listening and watching (the threads end within about a second)."""
        self._stopping.set()
        for thread in (self._listener, self._watchdog):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout)

    def health(self) -> str | None:
        """'ok', or what is wrong with the listener; None while no socket has started it."""
        listener = self._listener
        if listener is None:
            return None
        if not listener.is_alive():
            return "thread dead"
        if not self.subscribed.is_set():
            return "not subscribed"
        if time.monotonic() - self._last_turn > STALL_SECONDS:
            return "stalled"
        return "ok"

    def _watch(self) -> None:
        while not self._stopping.wait(self.watch_seconds):
            try:
                self.revive()
            except Exception:  # e.g. no thread could be made: try again next time
                self._faults.log(logging.ERROR, "redis bridge: the watchdog failed", exc_info=True)

    def _run(self) -> None:
        delay = FIRST_RETRY
        while not self._stopping.is_set():
            client = pubsub = None
            try:
                client = Redis.from_url(self.redis_url, socket_connect_timeout=2, health_check_interval=15)
                pubsub = client.pubsub(ignore_subscribe_messages=True)
                pubsub.psubscribe(*protocol.REDIS_PATTERNS)
                self._last_turn = time.monotonic()
                self.subscribed.set()
                if self._subscribed_before:  # after a reconnect, or a listener that died
                    log.info("redis bridge: subscribed again; asking clients to refetch")
                    self._resync()
                self._subscribed_before, delay = True, FIRST_RETRY
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    self._last_turn = time.monotonic()
                    if message is not None:
                        self._handle(message)
            except (RedisError, OSError) as exc:
                log.warning("redis bridge: %s; retrying in %.1f s", exc, delay)
            except Exception:
                self._faults.log(logging.ERROR, "redis bridge: unexpected error; subscribing again", exc_info=True)
            finally:
                self.subscribed.clear()
                for closable in (pubsub, client):
                    if closable is not None:
                        with contextlib.suppress(Exception):
                            closable.close()
            self._stopping.wait(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, LAST_RETRY)

    def _handle(self, message: dict) -> None:
        try:
            self.dispatch(message["channel"], message["data"])
        except Exception:  # a bug of ours, not the message's: skip it, keep listening
            self._faults.log(logging.ERROR, "redis bridge: a message could not be delivered", exc_info=True)

    def dispatch(self, channel: bytes | str, data: bytes | str) -> int:
        """Deliver one Redis message to the local sockets subscribed to it; how many got it.

        A malformed message is dropped with a warning. Its payload is checked only where
        someone listens: on a big import most cards have no watcher in this process."""
        try:
            name = channel.decode() if isinstance(channel, bytes) else channel
        except UnicodeDecodeError:
            return self._drop(channel, "channel name is not UTF-8")
        routed = protocol.route(name)
        if routed is None:
            return self._drop(name, "not a channel served here")
        key, kind = routed
        if not self.manager.listening(key):
            return 0
        try:
            payload = protocol.update_payload(data)
        except protocol.ProtocolError as exc:
            return self._drop(name, str(exc))
        return self.manager.deliver(key, protocol.update(kind, payload))

    def _drop(self, channel: bytes | str, reason: str) -> int:
        shown = repr(channel[:80])  # repr: a channel name may hold newlines or control characters
        self._dropped.log(logging.WARNING, "redis bridge: dropped a message on %s: %s", shown, reason)
        return 0

    def _resync(self) -> None:
        for key in self.manager.subscription_keys():
            frame = protocol.resync(key)
            if frame:
                self.manager.deliver(key, frame)
