"""The frame around every page: header, navigation, theme switch."""

from __future__ import annotations

import dash
import dash_mantine_components as dmc
from dash import dcc, html

NAVIGATION = (("Market", "/"), ("Card", "/card"), ("Compare", "/compare"), ("Sources", "/sources"))


def shell() -> dmc.MantineProvider:
    return dmc.MantineProvider(
        id="mantine-provider",
        forceColorScheme="light",
        children=[
            dcc.Store(id="color-scheme", storage_type="local", data="light"),
            dcc.Store(id="live-message"),
            dcc.Store(id="live-followed"),
            dcc.Location(id="url", refresh="callback-nav"),
            dmc.AppShell(
                header={"height": 56},
                padding="md",
                children=[
                    dmc.AppShellHeader(
                        dmc.Group(
                            justify="space-between",
                            h="100%",
                            px="md",
                            children=[
                                dmc.Group(
                                    [
                                        dmc.Title("CardCharts", order=3),
                                        *[
                                            dmc.Anchor(label, href=href, underline="never")
                                            for label, href in NAVIGATION
                                        ],
                                    ],
                                    gap="lg",
                                ),
                                dmc.Group(
                                    [
                                        dmc.Badge("offline", id="live-status", color="gray", variant="dot"),
                                        dmc.Switch(id="color-scheme-switch", label="Dark", size="sm"),
                                    ],
                                    gap="md",
                                ),
                            ],
                        )
                    ),
                    dmc.AppShellMain(html.Div(dash.page_container, className="page")),
                ],
            ),
        ],
    )
