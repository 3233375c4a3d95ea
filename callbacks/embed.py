"""The "Embed" buttons of the pages' charts: their dialog and snippet, in the browser (assets/embed.js)."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output

# The pages whose chart has an Embed button (layouts/embed.py `embed_control(prefix)`).
PREFIXES = ("card", "compare", "market")


def register(app: Dash) -> None:
    for prefix in PREFIXES:
        app.clientside_callback(
            ClientsideFunction("embed", "snippet"),
            Output(f"{prefix}-embed-modal", "opened"),
            Output(f"{prefix}-embed-snippet", "children"),
            Input(f"{prefix}-embed-button", "n_clicks"),
            prevent_initial_call=True,
        )
