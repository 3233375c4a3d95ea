"""The API, /api/v1: the pages' use cases as JSON and CSV, a user's own data behind a Bearer token,
and its OpenAPI document."""

from __future__ import annotations

from flask import Flask

from app.api import cors, errors, routes
from app.bootstrap import Services


def register(server: Flask, services: Services) -> None:
    """Serve /api/v1 on `server` (call once, where the app is built)."""
    api = routes.blueprint(services)
    errors.install(api)
    cors.install(api)
    server.register_blueprint(api)
