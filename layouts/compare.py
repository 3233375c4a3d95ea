"""The compare page: up to eight printings on one chart, in price or normalized to 100."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from data.domain import RANGES
from layouts.filters import (
    CONDITIONS,
    CURRENCIES,
    FINISHES,
    LANGUAGES,
    chart_panel,
    filter_bar,
    ignored,
    range_control,
    select,
)
from layouts.live import refresh_counter


def layout(
    ids: str = "",
    range: str = "90d",
    currency: str = "USD",
    condition: str = "NM",
    finish: str = "nonfoil",
    lang: str = "en",
    mode: str = "normalized",
    **_: Any,
) -> html.Div:
    chosen = [part for part in ids.split(",") if part.strip()]
    return html.Div(
        [
            ignored(
                range=(range, list(RANGES)),
                currency=(currency, CURRENCIES),
                condition=(condition, CONDITIONS),
                finish=(finish, FINISHES),
                lang=(lang, LANGUAGES),
                mode=(mode, ["normalized", "price"]),
            ),
            dcc.Store(id="compare-ids", data=chosen),
            refresh_counter("compare-refresh"),
            dmc.MultiSelect(
                id="compare-search",
                label="Printings to compare (up to 8)",
                placeholder="Type a card name…",
                searchable=True,
                maxValues=8,
                data=[{"value": value, "label": f"card {value}"} for value in chosen],
                value=chosen,
                w=720,
            ),
            filter_bar(
                [
                    range_control("compare-range", range),
                    dmc.SegmentedControl(
                        id="compare-mode",
                        data=[{"value": "normalized", "label": "Start = 100"}, {"value": "price", "label": "Price"}],
                        value=mode if mode in ("normalized", "price") else "normalized",
                    ),
                    select("compare-currency", "Currency", CURRENCIES, currency, 110),
                    select("compare-condition", "Condition", CONDITIONS, condition),
                    select("compare-finish", "Finish", FINISHES, finish, 130),
                    select("compare-language", "Language", LANGUAGES, lang),
                ]
            ),
            html.Div(id="compare-status"),
            chart_panel("compare-graph", 480),
        ]
    )
