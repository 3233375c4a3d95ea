"""Exports, /export: a page's chart as an image (PNG, SVG, PDF) with its title and sources, or its
numbers (CSV, JSON), from the page's own use cases and figure builders.

Nothing is imported here at module level: the renderer process runs `python -m app.exports.worker`,
which imports this package first, and must stay a small interpreter (kaleido only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from app.bootstrap import Services
    from app.exports.renderer import Renderer

EXTENSION = "cardcharts.exports"
PREFIX = "/export"  # every export's path starts here (rate limits and caching name it too)


def register(server: Flask, services: Services, renderer: Renderer | None = None) -> Renderer:
    """Serve /export on `server` (once, where the app is built); the renderer pool it uses (started on
    the first image, in the process that serves it)."""
    from app.exports.renderer import Renderer
    from app.exports.routes import blueprint

    if EXTENSION in server.extensions:
        raise RuntimeError("exports are already registered on this server")
    renderer = renderer or Renderer(workers=services.settings.export_renderers)
    server.extensions[EXTENSION] = renderer
    server.register_blueprint(blueprint(services, renderer))
    return renderer
