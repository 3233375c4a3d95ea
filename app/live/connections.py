"""Open sockets and what each one listens to.

Each connection writes through its own bounded outbox drained by one writer, so
the bridge never blocks on a slow client: a client that lets its outbox fill up
is disconnected (it reconnects and refetches) rather than slowing everyone.
Threads here are greenlets under the gevent workers.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from typing import Protocol

log = logging.getLogger(__name__)

OUTBOX_SIZE = 256
MAX_SUBSCRIPTIONS = 50
YIELD_EVERY = 64


class Socket(Protocol):
    def send(self, data: str) -> None: ...
    def close(self, reason: int | None = None, message: str | None = None) -> None: ...


class Connection:
    def __init__(self, socket: Socket, outbox_size: int = OUTBOX_SIZE) -> None:
        self.socket = socket
        self.subscriptions: set[str] = set()
        self.open = True
        self._outbox: queue.Queue[str | None] = queue.Queue(maxsize=outbox_size)
        self._writer = threading.Thread(target=self._write, name="ws-writer", daemon=True)
        self._writer.start()

    def push(self, frame: str) -> None:
        """Queue a frame for this client; never blocks."""
        if not self.open:
            return
        try:
            self._outbox.put_nowait(frame)
        except queue.Full:
            log.warning("websocket: a client fell %d messages behind; disconnecting it", self._outbox.maxsize)
            self.close(1013, "too slow: reconnect")

    def close(self, reason: int | None = None, message: str | None = None) -> None:
        if not self.open:
            return
        self.open = False
        with contextlib.suppress(queue.Full):  # a full outbox: the writer sees `open` is False
            self._outbox.put_nowait(None)
        with contextlib.suppress(Exception):  # already closed by the peer: nothing left to tell it
            self.socket.close(reason, message)

    def _write(self) -> None:
        while True:
            frame = self._outbox.get()
            if frame is None or not self.open:
                return
            try:
                self.socket.send(frame)
            except Exception:  # the peer went away; the reader loop ends the connection
                self.open = False
                return


class ConnectionManager:
    """Connections by subscription key ('market', 'card:N', 'alerts:USER')."""

    def __init__(self, max_subscriptions: int = MAX_SUBSCRIPTIONS) -> None:
        self.max_subscriptions = max_subscriptions
        self._by_key: dict[str, set[Connection]] = {}
        self._connections: set[Connection] = set()
        self._lock = threading.Lock()

    def add(self, connection: Connection) -> None:
        with self._lock:
            self._connections.add(connection)

    def remove(self, connection: Connection) -> None:
        with self._lock:
            self._connections.discard(connection)
            for key in connection.subscriptions:
                listeners = self._by_key.get(key)
                if listeners is not None:
                    listeners.discard(connection)
                    if not listeners:
                        del self._by_key[key]
            connection.subscriptions.clear()

    def subscribe(self, connection: Connection, key: str) -> bool:
        """False when the connection already holds the most subscriptions allowed."""
        with self._lock:
            if key not in connection.subscriptions and len(connection.subscriptions) >= self.max_subscriptions:
                return False
            connection.subscriptions.add(key)
            self._by_key.setdefault(key, set()).add(connection)
            return True

    def unsubscribe(self, connection: Connection, key: str) -> None:
        with self._lock:
            connection.subscriptions.discard(key)
            listeners = self._by_key.get(key)
            if listeners is not None:
                listeners.discard(connection)
                if not listeners:
                    del self._by_key[key]

    def listening(self, key: str) -> bool:
        return key in self._by_key

    def deliver(self, key: str, frame: str) -> int:
        """Queue `frame` for every connection subscribed to `key`; how many there were."""
        with self._lock:
            listeners = list(self._by_key.get(key, ()))
        for done, connection in enumerate(listeners, 1):
            connection.push(frame)
            if done % YIELD_EVERY == 0:
                time.sleep(0)  # let page requests and writers run between slices of a big fan-out
        return len(listeners)

    def subscription_keys(self) -> list[str]:
        with self._lock:
            return list(self._by_key)

    def __len__(self) -> int:
        return len(self._connections)
