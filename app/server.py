"""The Dash application factory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
from flask import Flask

import assets
from app import accounts, api, embeds, exports, first_layout, health, not_found, rate_limits
from app.api import auth as api_auth
from app.bootstrap import Services
from app.compression import compress
from app.exports.renderer import Renderer
from app.live.bridge import RedisBridge
from app.live.connections import ConnectionManager
from app.live.endpoint import LiveEndpoint
from app.security import Dash, harden
from callbacks import alerts as alerts_callbacks
from callbacks import card as card_callbacks
from callbacks import chart_controls
from callbacks import collection as collection_callbacks
from callbacks import compare as compare_callbacks
from callbacks import live as live_callbacks
from callbacks import market as market_callbacks
from callbacks import portfolio as portfolio_callbacks
from callbacks import shell as shell_callbacks
from callbacks import sources as sources_callbacks
from callbacks import theme as theme_callbacks
from callbacks.first_draw import FirstDraw
from layouts import alerts as alerts_layout
from layouts import card as card_layout
from layouts import collection as collection_layout
from layouts import compare as compare_layout
from layouts import market as market_layout
from layouts import portfolio as portfolio_layout
from layouts import sources as sources_layout
from layouts.shell import shell

ASSETS = Path(assets.__file__).resolve().parent  # a package, so that wheels carry it


def create_app(services: Services, compressed: bool = True, renderer: Renderer | None = None) -> dash.Dash:
    """A Dash app on its own Flask server, every asset served locally (no CDN), hardened (app/security.py).

    `compressed`: compress responses and serve the partial plotly.js bundle (app/compression.py);
    bench/pages.py turns it off to measure the difference. `renderer`: the image export processes
    (app/exports; by default the app's own, started on its first image)."""
    server = Flask(__name__)
    server.config["SECRET_KEY"] = services.settings.secret_key
    app = Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="",
        assets_folder=str(ASSETS),
        serve_locally=True,
        title="CardCharts",
        update_title=None,
        suppress_callback_exceptions=True,
        hooks=first_layout.HOOKS,
    )
    # Each page's load callbacks run in the server as its layout is built (callbacks/first_draw.py),
    # in the scheme the browser last chose: the first chart comes with the page.
    first_draw = FirstDraw(app)

    def drawn(layout: Callable[..., Any]) -> Callable[..., Any]:
        return first_draw.layout(layout, lambda: {("color-scheme", "data"): theme_callbacks.requested_scheme()})

    dash.register_page(
        "market",
        loads=(first_layout.CHARTS, first_layout.GRIDS),
        path="/",
        name="Market",
        title="Market · CardCharts",
        description="Magic: The Gathering card prices: the market index, top movers and value by format.",
        layout=drawn(market_layout.layout),
    )
    card_page = card_layout.PageMeta(card_callbacks.page_summary(services.card_queries))  # title and tags of ?id=
    dash.register_page(
        "card",
        loads=(first_layout.CHARTS, first_layout.GRIDS),
        path="/card",
        name="Card",
        title=card_page.title,
        description=card_page.description,
        layout=drawn(card_layout.layout),
    )
    card_page.install(app)
    dash.register_page(
        "compare",
        loads=(first_layout.CHARTS,),
        path="/compare",
        name="Compare",
        title="Compare · CardCharts",
        description="Up to eight Magic: The Gathering printings' prices on one chart.",
        layout=drawn(compare_layout.layout),
    )
    dash.register_page(
        "sources",
        loads=(first_layout.GRIDS,),
        path="/sources",
        name="Sources",
        title="Sources · CardCharts",
        description="Where CardCharts' prices come from: each source's newest run, its rows, errors and freshness.",
        layout=sources_layout.layout,
    )
    # The signed-in user's pages (a signed-out visitor is asked to log in): layouts/collection.py ...
    dash.register_page(
        "collection",
        loads=(first_layout.GRIDS,),
        path="/collection",
        name="Collection",
        title="Collection · CardCharts",
        description="Your Magic: The Gathering collection: lots, CSV import and export.",
        layout=collection_layout.layout,
    )
    dash.register_page(
        "portfolio",
        loads=(first_layout.CHARTS,),
        path="/portfolio",
        name="Portfolio",
        title="Portfolio · CardCharts",
        description="What your collection is worth, what it cost, and how it moved.",
        layout=portfolio_layout.layout,
    )
    dash.register_page(
        "alerts",
        path="/alerts",
        name="Alerts",
        title="Alerts · CardCharts",
        description="Price alerts on the cards you follow, and the alerts they raised.",
        layout=alerts_layout.layout,
    )
    not_found.register(app)
    # The first layout holds the page the browser opened, and its HTML asks early for what it loads.
    # An embed (app/embeds.py) is its chart alone, in a bare frame; every other path is in the shell.
    app.layout = lambda: (
        embeds.frame(app) or shell(theme_callbacks.requested_scheme(), first_layout.page_container(app))
    )
    first_layout.ask_early(app)
    embeds.register(app, services, first_draw)
    harden(app)
    accounts.register(server, services)  # Redis sessions, CSRF, /login /register /logout /account
    api_auth.install(server, services.accounts)  # Bearer tokens, resolved before the rate limits count
    rate_limits.install(server, services.rate_limits, services.settings)
    if compressed:
        compress(app)
    theme_callbacks.register(app)
    shell_callbacks.register(app)
    chart_controls.name_exports(app)
    live_callbacks.register(app)
    market_callbacks.register(app, services.market_queries, services.source_queries, first_draw)
    sources_callbacks.register(app, services.source_queries)
    collection_callbacks.register(
        app, services.card_queries, services.lots, services.portfolio_queries, services.collection_import
    )
    portfolio_callbacks.register(app, services.portfolio_queries)
    alerts_callbacks.register(
        app, services.card_queries, services.cards, services.marketplaces, services.alert_rules, services.alert_inbox
    )
    card_callbacks.register(app, services.card_queries, first_draw)
    compare_callbacks.register(app, services.card_queries, services.compare_queries, first_draw)
    health.register(server, services)
    api.register(server, services)
    exports.register(server, services, renderer)
    manager = ConnectionManager()
    LiveEndpoint(
        manager,
        RedisBridge(services.settings.redis_url, manager),
        services.settings.secret_key,
        services.card_queries.exists,
        services.settings.allowed_ws_origins,
        services.settings.ws_heartbeat_seconds,
        services.accounts,
    ).register(server)
    return app
