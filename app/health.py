"""/healthz (the process is up) and /readyz (database and Redis answer, live updates flow).

The "live" check is this process's Redis bridge: "ok", "not subscribed" (it is reconnecting),
"thread dead" (the watchdog will start it again within seconds) or "stalled". A process starts
its bridge with its first WebSocket, so until then there is no "live" check at all: such a
process is ready, and its first socket waits for the subscription before it is acknowledged.
The check only reads the bridge's state; it starts nothing."""

from __future__ import annotations

from flask import Flask, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.bootstrap import Services
from app.live.bridge import EXTENSION as LIVE_BRIDGE


def register(server: Flask, services: Services) -> None:
    @server.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @server.get("/readyz")
    def readyz():
        checks = {"database": "ok", "redis": "ok"}
        try:
            with services.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        if not services.cache.ping():
            checks["redis"] = "unreachable"
        bridge = server.extensions.get(LIVE_BRIDGE)
        live = bridge.health() if bridge is not None else None
        if live is not None:
            checks["live"] = live
        ready = all(value == "ok" for value in checks.values())
        return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
