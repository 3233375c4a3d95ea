"""Light and dark: the switch writes the scheme, the provider and charts follow.

The scheme and the switch feed each other (the switch is set from the stored scheme on load),
so the switch writes the store only when its state differs from it: a write of the same value
would still fire every page callback that takes the scheme, a second time on each page load."""

from __future__ import annotations

from dash import Dash, Input, Output, State


def register(app: Dash) -> None:
    app.clientside_callback(
        """(dark, scheme) => {
            const chosen = dark ? 'dark' : 'light';
            return chosen === (scheme || 'light') ? window.dash_clientside.no_update : chosen;
        }""",
        Output("color-scheme", "data"),
        Input("color-scheme-switch", "checked"),
        State("color-scheme", "data"),
        prevent_initial_call=True,
    )
    # The grids' default theme follows the data-ag-theme-mode attribute of an ancestor.
    app.clientside_callback(
        """(scheme, checked) => {
            const dark = scheme === 'dark';
            document.body.dataset.agThemeMode = dark ? 'dark' : 'light';
            return [dark ? 'dark' : 'light', dark === Boolean(checked) ? window.dash_clientside.no_update : dark];
        }""",
        Output("mantine-provider", "forceColorScheme"),
        Output("color-scheme-switch", "checked"),
        Input("color-scheme", "data"),
        State("color-scheme-switch", "checked"),
    )
