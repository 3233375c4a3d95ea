"""The tab's one WebSocket follows whichever page is shown (see assets/live.js)."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output


def register(app: Dash) -> None:
    # Opened from a callback, not on page load: the renderer must hold the layout
    # before the socket's first message is written into a store. The output is only
    # a record of what is followed: a callback without one never fires for an input
    # inside a page's layout (measured on Dash 4.4).
    app.clientside_callback(
        ClientsideFunction("live", "follow"), Output("live-followed", "data"), Input("live-channels", "data")
    )


def follow_from(app: Dash, store: str) -> None:
    """Follow the channels a page's own callback writes into `store` (layouts/live.py followed_channels)."""
    app.clientside_callback(
        ClientsideFunction("live", "follow"),
        Output("live-followed", "data", allow_duplicate=True),
        Input(store, "data"),
        prevent_initial_call="initial_duplicate",
    )
