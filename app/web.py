"""Serving the dashboard: the WSGI entry point, and gunicorn started with `app.gunicorn_conf`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from flask import Flask

from app.settings import Settings, load_settings

GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "python:app.gunicorn_conf", "app.web:create_server()"]


def create_server(settings: Settings | None = None, compressed: bool = True) -> Flask:
    """WSGI factory (`gunicorn 'app.web:create_server()'`): one set of services per worker.

    `compressed`: compress responses and serve the partial plotly.js bundle (app/compression.py);
    bench/pages.py turns it off (`create_server(compressed=False)`) to measure the difference."""
    from app.bootstrap import bootstrap
    from app.server import create_app

    return create_app(bootstrap(settings or load_settings(), web=True), compressed).server


def serve(settings: Settings, host: str, port: int) -> int:
    """Run gunicorn in a fresh process until it exits; its exit code.

    A fresh interpreter: gevent patches the standard library as a worker starts,
    which is only safe before anything has made threads, sockets or locks."""
    environment = {
        **os.environ,
        "DATABASE_URL": settings.database_url or "",
        "REDIS_URL": settings.redis_url or "",
        "CARDCHARTS_HOST": host,
        "CARDCHARTS_PORT": str(port),
    }
    if settings.secret_key:
        environment["SECRET_KEY"] = settings.secret_key
    server = subprocess.Popen(GUNICORN, env=environment)
    # Stopping us stops gunicorn (which stops its workers gracefully), then the caller's cleanup runs.
    signal.signal(signal.SIGTERM, lambda *_: server.terminate())
    try:
        return server.wait()
    except KeyboardInterrupt:
        server.terminate()
        return server.wait(30)
