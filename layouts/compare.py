"""The compare page: up to eight printings on one chart, in price or normalized to 100."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from callbacks.figures import SCALES
from callbacks.params import card_ids
from data.domain import RANGES
from data.use_cases.compare import MAX_PRINTINGS
from layouts.embed import embed_control
from layouts.filters import (
    CONDITIONS,
    CURRENCIES,
    FINISHES,
    LANGUAGES,
    chart_panel,
    filter_bar,
    ignored,
    range_control,
    read_query,
    scale_switch,
    select,
    single,
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
    scale: str = "linear",
    **unknown: Any,
) -> html.Div:
    """The page for a URL: ?ids=<card id>,<card id>,… and the filters; bad ids are named."""
    notes: list[str] = []
    valid, bad = card_ids(single("ids", ids, notes))
    if bad:
        notes.append(f"ids: {', '.join(bad[:4])}{' and more' if len(bad) > 4 else ''} (not card ids)")
    if len(valid) > MAX_PRINTINGS:
        notes.append(f"ids: {len(valid)} printings (the first {MAX_PRINTINGS} are compared)")
    chosen = [str(card) for card in valid[:MAX_PRINTINGS]]
    q = read_query(
        notes,
        unknown,
        range=(range, list(RANGES), "90d"),
        currency=(currency, CURRENCIES, "USD"),
        condition=(condition, CONDITIONS, "NM"),
        finish=(finish, FINISHES, "nonfoil"),
        lang=(lang, LANGUAGES, "en"),
        mode=(mode, ["normalized", "price"], "normalized"),
        scale=(scale, list(SCALES), "linear"),
    )
    return html.Div(
        [
            ignored(notes),
            dcc.Store(id="compare-ids", data=chosen),
            refresh_counter("compare-refresh"),
            dmc.MultiSelect(
                id="compare-search",
                label=f"Printings to compare (up to {MAX_PRINTINGS})",
                placeholder="Type a card name…",
                searchable=True,
                maxValues=MAX_PRINTINGS,
                data=[{"value": value, "label": f"card {value}"} for value in chosen],
                value=chosen,
                w=720,
                maw="100%",
                filter={"function": "cardSearchKeepAll"},  # the server matched the words (assets/card.js)
            ),
            filter_bar(
                [
                    range_control("compare-range", q["range"]),
                    dmc.SegmentedControl(
                        id="compare-mode",
                        data=[{"value": "normalized", "label": "Start = 100"}, {"value": "price", "label": "Price"}],
                        value=q["mode"],
                    ),
                    select("compare-currency", "Currency", CURRENCIES, q["currency"], 110),
                    select("compare-condition", "Condition", CONDITIONS, q["condition"]),
                    select("compare-finish", "Finish", FINISHES, q["finish"], 130),
                    select("compare-language", "Language", LANGUAGES, q["lang"]),
                    scale_switch("compare-scale", q["scale"]),
                ]
            ),
            html.Div(id="compare-status"),
            chart_panel("compare-graph", 480),
            embed_control("compare"),  # the iframe snippet of this view (layouts/embed.py)
        ]
    )
