"""The tab's one WebSocket follows whichever page is shown (see assets/live.js)."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input


def register(app: Dash) -> None:
    # Opened from a callback, not on page load: the renderer must hold the layout
    # before the socket's first message is written into a store.
    app.clientside_callback(ClientsideFunction("live", "follow"), Input("live-channels", "data"))
