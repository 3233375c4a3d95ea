"""The portfolio page: what the signed-in user's collection is worth on a chosen price basis, what it
cost, its P&L, the lots without a price, the biggest movers and the value over time. It follows the
held cards' prices live (callbacks/portfolio.py names the channels)."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from callbacks.theme import requested_scheme
from layouts.filters import chart_panel, ignored, read_query
from layouts.live import followed_channels, live_channels, refresh_counter
from layouts.signed_in import sign_in_prompt, signed_in_user

PATH = "/portfolio"
# The bases of data/use_cases/portfolio.py BASES, as the picker names them.
BASES = {
    "tcgplayer": "TCGplayer market",
    "cardmarket": "Cardmarket trend",
    "cardkingdom_buylist": "Card Kingdom buylist",
}
HISTORY_DAYS = {"30": "30 days", "90": "90 days", "365": "1 year"}


def basis_control(id_: str, value: str) -> dmc.Select:
    return dmc.Select(
        id=id_,
        label="Price basis",
        data=[{"value": key, "label": label} for key, label in BASES.items()],
        value=value if value in BASES else "tcgplayer",
        allowDeselect=False,
        w=220,
        maw="100%",
    )


def layout(basis: str = "tcgplayer", days: str = "90", **unknown: Any) -> html.Div:
    notes: list[str] = []
    q = read_query(notes, unknown, basis=(basis, list(BASES), "tcgplayer"), days=(days, list(HISTORY_DAYS), "90"))
    if signed_in_user() is None:
        return html.Div([dmc.Title("Portfolio", order=2), sign_in_prompt(PATH, "portfolio"), live_channels()])
    return html.Div(
        [
            ignored(notes),
            dmc.Title("Portfolio", order=2),
            dmc.Group(
                [
                    basis_control("portfolio-basis", q["basis"]),
                    dmc.SegmentedControl(
                        id="portfolio-days",
                        data=[{"value": key, "label": label} for key, label in HISTORY_DAYS.items()],
                        value=q["days"],
                    ),
                ],
                align="flex-end",
                gap="md",
                mt="sm",
            ),
            dmc.Text(id="portfolio-live-note", size="xs", c="dimmed", mt="xs"),
            html.Div(id="portfolio-status"),
            html.Div(id="portfolio-summary"),
            chart_panel("portfolio-history-graph", 360, "cardcharts-portfolio"),
            html.Div(id="portfolio-unpriced"),
            html.Div(id="portfolio-movers"),
            followed_channels("portfolio-channels"),
            dcc.Store(id="portfolio-held", data=[]),
            refresh_counter("portfolio-refresh"),
            dcc.Store(id="portfolio-scheme", data=requested_scheme()),  # follows the shell's (callbacks/portfolio.py)
        ]
    )
