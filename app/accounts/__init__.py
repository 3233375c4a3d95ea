"""Accounts on the web: Redis sessions with CSRF (sessions.py) and the account pages (routes.py)."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from app.accounts import routes, sessions
from app.bootstrap import Services


def register(server: Flask, services: Services) -> None:
    """Sessions, CSRF and the account pages on `server` (call once, where the app is built)."""
    settings = services.settings
    sessions.install(
        server,
        services.redis,
        services.accounts,
        lifetime=timedelta(hours=settings.session_hours),
        secure=not settings.insecure_cookies,
    )
    server.register_blueprint(routes.blueprint(services))
