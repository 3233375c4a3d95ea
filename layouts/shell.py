"""The frame around every page: header, navigation, live badge, theme switch.

Under the `md` breakpoint (62em, 992 px) a burger opens the navigation as a navbar drawn
under the header; above it the links sit inline in the header. The header never wraps: it
is one row of fixed height, so nothing in it can land on a page's controls."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html
from dash.development.base_component import Component

NAVIGATION = (
    ("Market", "/"),
    ("Card", "/card"),
    ("Compare", "/compare"),
    ("Sources", "/sources"),
    ("Collection", "/collection"),
    ("Portfolio", "/portfolio"),
    ("Alerts", "/alerts"),
)
BREAKPOINT = "md"  # Mantine's 62em (992 px): the burger below it; seven inline links need about 900 px
HEADER_HEIGHT = 56
ACCOUNT_PATH = "/account"

# The live badge's states and colours (assets/live.js sets them): "live" the socket is open and
# follows the page's channels, "connecting" before any failure, "offline" failed and retrying,
# "idle" the page follows nothing. It starts idle, until the page names its channels.
LIVE_COLORS = {"live": "green", "connecting": "yellow", "offline": "red", "idle": "gray"}


def live_badge() -> dmc.Badge:
    return dmc.Badge("idle", id="live-status", color=LIVE_COLORS["idle"], variant="dot", style={"flexShrink": 0})


def _links(**style) -> list[dmc.Anchor]:
    return [dmc.Anchor(label, href=href, underline="never", **style) for label, href in NAVIGATION]


def shell(scheme: str = "light", pages: Component | None = None) -> dmc.MantineProvider:
    """The frame, in the colour scheme ("light" or "dark") the browser last chose (callbacks/theme.py),
    around Dash's page container (`pages`: one that holds a page already, app/first_layout.py)."""
    return dmc.MantineProvider(
        id="mantine-provider",
        forceColorScheme=scheme,
        children=[
            dcc.Store(id="color-scheme", storage_type="local", data=scheme),
            dcc.Store(id="live-message"),
            dcc.Store(id="live-followed"),
            dcc.Location(id="url", refresh="callback-nav"),
            dmc.AppShell(
                header={"height": HEADER_HEIGHT},
                navbar={"width": 220, "breakpoint": BREAKPOINT, "collapsed": {"mobile": True, "desktop": True}},
                id="app-shell",
                padding="md",
                children=[
                    dmc.AppShellHeader(
                        dmc.Group(
                            justify="space-between",
                            wrap="nowrap",
                            h="100%",
                            px="md",
                            gap="sm",
                            children=[
                                dmc.Group(
                                    [
                                        dmc.Burger(
                                            id="nav-burger",
                                            hiddenFrom=BREAKPOINT,
                                            size="sm",
                                            opened=False,
                                            **{"aria-label": "Menu"},
                                        ),
                                        dmc.Title("CardCharts", order=3, className="brand"),
                                        dmc.Group(_links(), gap="lg", wrap="nowrap", visibleFrom=BREAKPOINT),
                                    ],
                                    gap="sm",
                                    wrap="nowrap",
                                ),
                                dmc.Group(
                                    [
                                        live_badge(),
                                        # A plain link (a full page load): /account is server-rendered, and
                                        # sends a signed-out visitor on to /login. Phones find it in the menu.
                                        dmc.Anchor(
                                            "Account", href=ACCOUNT_PATH, underline="never", visibleFrom=BREAKPOINT
                                        ),
                                        dmc.Switch(
                                            id="color-scheme-switch", label="Dark", size="sm", checked=scheme == "dark"
                                        ),
                                    ],
                                    gap="sm",
                                    wrap="nowrap",
                                ),
                            ],
                        )
                    ),
                    dmc.AppShellNavbar(
                        dmc.Stack([*_links(size="lg"), dmc.Anchor("Account", href=ACCOUNT_PATH, size="lg")], gap="md"),
                        id="nav-menu",
                        p="md",
                    ),
                    dmc.AppShellMain(html.Div(pages or dash.page_container, className="page")),
                ],
            ),
        ],
    )
