"""Light and dark: the switch writes the scheme, the provider and charts follow.

The scheme and the switch feed each other (the switch is set from the stored scheme on load),
so the switch writes the store only when its state differs from it: a write of the same value
would still fire every page callback that takes the scheme, a second time on each page load.

The scheme is also kept in a cookie, so that the server builds a page in it: the shell starts in
it, and a chart first drawn in the page's layout (callbacks/first_draw.py) is drawn in it. The
stored scheme then equals the one the page starts with, and loading it redraws nothing."""

from __future__ import annotations

import json

from dash import Dash, Input, Output, State
from flask import has_request_context, request

from callbacks import params

COOKIE = "color-scheme"
COOKIE_SECONDS = 365 * 24 * 3600


def requested_scheme() -> str:
    """The scheme of the browser asking for a page ("light" outside a request, or without the cookie)."""
    return params.scheme(request.cookies.get(COOKIE) if has_request_context() else None)


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
    # The grids' default theme follows the data-ag-theme-mode attribute of an ancestor. Runs on load
    # too: a scheme stored before the cookie existed is written to it.
    cookie = json.dumps(f"; path=/; max-age={COOKIE_SECONDS}; SameSite=Lax")
    app.clientside_callback(
        f"""(scheme, checked, forced) => {{
            const chosen = scheme === 'dark' ? 'dark' : 'light';
            document.body.dataset.agThemeMode = chosen;
            if (!window.location.pathname.startsWith('/embed/')) {{  // an embed's theme is its URL's, not the reader's
                document.cookie = '{COOKIE}=' + chosen + {cookie};
            }}
            const dark = chosen === 'dark';
            const noUpdate = window.dash_clientside.no_update;
            return [chosen === forced ? noUpdate : chosen, dark === Boolean(checked) ? noUpdate : dark];
        }}""",
        Output("mantine-provider", "forceColorScheme"),
        Output("color-scheme-switch", "checked"),
        Input("color-scheme", "data"),
        State("color-scheme-switch", "checked"),
        State("mantine-provider", "forceColorScheme"),
    )
