"""Embeds: a page's chart alone, in a bare frame that other sites put in an iframe.

An embed holds the same component ids as its page, so the page's own callbacks (callbacks/card.py,
compare.py, market.py) draw it, refresh it live and name its errors: the page's filters are there as
hidden values (`stand_ins`), read from the URL by the page's own layout function. The frame has no
header or navigation: the chart fills it, with a link back to the full page below it.

`embed_control` is the other side: the "Embed" button on each page's chart, whose dialog gives the
iframe snippet of the view on screen (assets/embed.js builds it in the browser)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html
from dash.development.base_component import Component

from callbacks.params import shown
from layouts.filters import graph_config
from layouts.shell import BREAKPOINT, live_badge

SCHEMES = ("light", "dark")
TITLES = ("0", "1")
WIDTH, HEIGHT = 800, 450  # the snippet's and the oEmbed answer's size
PROVIDER = "CardCharts"
# The navbar the shell's burger callback reads and writes (layouts/shell.py): closed, never shown here.
NAVBAR = {"width": 220, "breakpoint": BREAKPOINT, "collapsed": {"mobile": True, "desktop": True}}


def frame(scheme: str, pages: Component) -> dmc.MantineProvider:
    """The shell of an embed: the stores and ids the pages' callbacks read from the shell, and no header
    or navigation. The scheme comes from the embed's URL (`theme=`), so the store lives in memory."""
    return dmc.MantineProvider(
        id="mantine-provider",
        forceColorScheme=scheme,
        children=[
            dcc.Store(id="color-scheme", data=scheme),
            dcc.Store(id="live-message"),
            dcc.Store(id="live-followed"),
            dcc.Location(id="url", refresh="callback-nav"),
            # Read (never shown) by the shell's callbacks (callbacks/theme.py, callbacks/shell.py): a
            # callback that finds some of its inputs and states but not all fails in the browser.
            html.Div(
                [
                    dmc.Switch(id="color-scheme-switch", checked=scheme == "dark"),
                    dmc.Burger(id="nav-burger", opened=False),
                    dmc.AppShell(id="app-shell", navbar=NAVBAR, children=[]),
                ],
                hidden=True,
            ),
            html.Div(pages, className="embed-frame"),
            html.Div(live_badge(), className="embed-live"),
        ],
    )


def own_options(theme: Any, title: Any) -> tuple[str, bool, list[str]]:
    """The embed's own parameters: its scheme, whether it shows a title, and the notes on bad values."""
    notes = []
    if theme not in SCHEMES:
        notes.append(f"theme={_given(theme)} (use light or dark)")
        theme = "light"
    if title not in TITLES:
        notes.append(f"title={_given(title)} (use 0 or 1)")
        title = "1"
    return theme, title == "1", notes


def _given(value: Any) -> str:
    return f"given {len(value)} times" if isinstance(value, list) else shown(value)


def components(tree: Component) -> dict[str, Component]:
    """The components of a tree by their (string) id."""
    return {c.id: c for c in (tree, *tree._traverse()) if isinstance(getattr(c, "id", None), str)}


def stand_ins(page: Component, ids: Iterable[str], replace: dict[str, Component] | None = None) -> list[Component]:
    """The page's components of these ids, taken out of the page for the embed's hidden part (or their
    `replace`ment): the same component types, so every property the page's callbacks use exists."""
    found = components(page)
    return [(replace or {}).get(id_) or found[id_] for id_ in ids]


def hidden_div(id_: str) -> html.Div:
    """A place for a page callback's output that the embed does not show."""
    return html.Div(id=id_, hidden=True)


def header_stand_in(id_: str, name: str | None) -> html.Div:
    """The card page's header as far as the chart's export name reads it (its `card-name`)."""
    return html.Div(dmc.Text(name, id="card-name") if name else None, id=id_)


def notice(page: Component) -> Component | None:
    """The page's notice of ignored URL parameters (its first child), if it has one."""
    first = page.children[0] if isinstance(page.children, list) and page.children else None
    return first if isinstance(first, dmc.Alert) else None


def body(
    graph_id: str,
    status_id: str,
    heading: str | None,
    attribution: tuple[str, str],
    hidden: Iterable[Component],
    notices: Iterable[Component | None] = (),
) -> html.Div:
    """An embed's page: notices, an optional heading, the status, the chart filling the rest of the
    frame, and the link back to the full page (`attribution`: its text and href)."""
    text, href = attribution
    return html.Div(
        [
            *[n for n in notices if n is not None],
            dmc.Text(heading, fw=600, size="sm", truncate="end", className="embed-title") if heading else None,
            html.Div(id=status_id, className="embed-status"),
            html.Div(
                dcc.Graph(id=graph_id, config=graph_config("cardcharts"), style={"height": "100%", "width": "100%"}),
                className="embed-chart",
            ),
            html.A(text, href=href, target="_blank", rel="noopener", className="embed-attribution", id="embed-link"),
            html.Div(list(hidden), hidden=True),
        ],
        className="embed-page",
    )


def iframe_html(src: str, title: str, width: int = WIDTH, height: int = HEIGHT) -> str:
    """The snippet a site pastes (and the oEmbed answer's html): escaped, lazy, borderless."""
    return (
        f'<iframe src="{escape(src, quote=True)}" width="{int(width)}" height="{int(height)}"'
        f' style="border:0" loading="lazy" title="{escape(title, quote=True)}"></iframe>'
    )


def embed_control(prefix: str) -> html.Div:
    """The "Embed" button of a page's chart and its dialog: the iframe snippet of the view on screen
    (assets/embed.js builds it from the address bar when the button is pressed) and a copy button."""
    return html.Div(
        [
            dmc.Button("Embed", id=f"{prefix}-embed-button", size="xs", variant="subtle"),
            dmc.Modal(
                dmc.Stack(
                    [
                        dmc.Text("Paste this into a web page to show this chart, updated live:", size="sm"),
                        dmc.Group(
                            [
                                dmc.Code(id=f"{prefix}-embed-snippet", block=True, className="embed-snippet"),
                                dcc.Clipboard(
                                    target_id=f"{prefix}-embed-snippet", title="Copy", className="embed-copy"
                                ),
                            ],
                            wrap="nowrap",
                            align="flex-start",
                            gap="xs",
                        ),
                    ],
                    gap="sm",
                ),
                id=f"{prefix}-embed-modal",
                title="Embed this chart",
                size="lg",
                opened=False,
            ),
        ],
        className="embed-control",
    )
