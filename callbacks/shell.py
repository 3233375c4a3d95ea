"""The phone menu: the burger opens the navbar, and following a link closes it."""

from __future__ import annotations

from dash import Dash, Input, Output, State


def register(app: Dash) -> None:
    app.clientside_callback(
        "(opened, navbar) => ({...navbar, collapsed: {mobile: !opened, desktop: true}})",
        Output("app-shell", "navbar"),
        Input("nav-burger", "opened"),
        State("app-shell", "navbar"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        "(path, opened) => (opened ? false : window.dash_clientside.no_update)",
        Output("nav-burger", "opened"),
        Input("url", "pathname"),
        State("nav-burger", "opened"),
        prevent_initial_call=True,
    )
