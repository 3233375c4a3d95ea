"""Serving the dashboard: the WSGI entry point and the gunicorn runner behind `cardcharts run`."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication

from app.settings import Settings, load_settings


def create_server(settings: Settings | None = None) -> Flask:
    """WSGI factory (`gunicorn 'app.web:create_server()'`): one set of services per worker."""
    from app.bootstrap import bootstrap
    from app.server import create_app

    return create_app(bootstrap(settings or load_settings())).server


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return create_server(self.settings)


def serve(settings: Settings, host: str, port: int) -> None:
    """gunicorn with thread workers; each worker builds its own engine and Redis pool."""
    _Gunicorn(
        settings,
        {
            "bind": f"{host}:{port}",
            "workers": settings.web_workers,
            "worker_class": "gthread",
            "threads": 8,
            "timeout": 60,
            "accesslog": "-",
        },
    ).run()
