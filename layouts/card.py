"""The card page: search, the printing's header, its price history and latest prices."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from callbacks.figures import SCALES
from callbacks.params import BadInput, card_id, marketplace_id, shown
from data.domain import RANGES
from layouts.filters import (
    ALL,
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
from layouts.images import image_url, path_part, provider_id
from layouts.live import live_channels, refresh_counter

SHOWN = "_shown"  # a row's `<field>_shown` is the field as the grid shows it ("12.30 USD", "+3.20 %")


def _number_column(field: str, header: str) -> dict[str, Any]:
    """An exact decimal column: sorted by its number, shown as the callback formatted it (in
    Python, as decimals: formatting the float in the browser would round 0.365 down)."""
    return {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "valueGetter": {"function": f"params.data.{field} == null ? null : Number(params.data.{field})"},
        # The grid's function strings are expressions of a small safe evaluator: no `??`.
        "valueFormatter": {"function": f"params.data.{field}{SHOWN} == null ? '' : params.data.{field}{SHOWN}"},
    }


LATEST_COLUMNS = [
    {"field": "marketplace", "pinned": "left", "minWidth": 170},
    {"field": "finish"},
    {"field": "condition"},
    {"field": "language"},
    _number_column("price", "Price"),
    _number_column("change_24h", "24h"),
    _number_column("change_7d", "7d"),
    _number_column("change_30d", "30d"),
    _number_column("vs_near_mint", "vs NM"),
    _number_column("vs_english", "vs English"),
    {"field": "quantity", "headerName": "Stock", "type": "rightAligned"},
    {"field": "time", "headerName": "As of (UTC)", "minWidth": 190},
]
PERCENT_FIELDS = ("change_24h", "change_7d", "change_30d", "vs_near_mint", "vs_english")


def layout(
    id: str | None = None,
    range: str = "30d",
    currency: str = "USD",
    condition: str = "all",
    finish: str = "all",
    lang: str = "all",
    market: str = "all",
    scale: str = "linear",
    **unknown: Any,
) -> html.Div:
    """The page for a URL: ?id=<card id> and the filters. Bad values are named in the notice;
    a malformed id stays in the store too, so that the card's status says why nothing shows."""
    notes: list[str] = []
    raw_id = single("id", id, notes)
    q = read_query(
        notes,
        unknown,
        range=(range, list(RANGES), "30d"),
        currency=(currency, CURRENCIES, "USD"),
        condition=(condition, CONDITIONS, "all"),
        finish=(finish, FINISHES, "all"),
        lang=(lang, LANGUAGES, "all"),
        scale=(scale, list(SCALES), "linear"),
    )
    market = single("market", market, notes) or "all"
    try:
        marketplace_id(market)
    except BadInput:
        notes.append(f"market={shown(market)} (not a marketplace id)")
        market = "all"
    followed = []
    if raw_id:
        try:
            followed = [{"channel": "card", "card_id": card_id(raw_id)}]
        except BadInput:
            notes.append(f"id={shown(raw_id)} (not a card id)")
    return html.Div(
        [
            ignored(notes),
            dcc.Store(id="card-id", data=raw_id),
            live_channels(*followed),
            refresh_counter("card-detail-refresh"),
            refresh_counter("card-history-refresh"),
            dmc.Select(
                id="card-search",
                label="Find a printing",
                placeholder="Type a card name…",
                searchable=True,
                clearable=True,
                data=[],
                w=520,
                nothingFoundMessage="No printing by that name",
            ),
            html.Div(id="card-header", style={"marginTop": "1rem"}),
            filter_bar(
                [
                    range_control("card-range", q["range"]),
                    select("card-currency", "Currency", CURRENCIES, q["currency"], 110),
                    select("card-condition", "Condition", CONDITIONS, q["condition"]),
                    select("card-finish", "Finish", FINISHES, q["finish"], 130),
                    select("card-language", "Language", LANGUAGES, q["lang"]),
                    dmc.Select(
                        id="card-market", label="Marketplace", data=ALL, value=market, allowDeselect=False, w=220
                    ),
                    scale_switch("card-scale", q["scale"]),
                ]
            ),
            html.Div(id="card-status"),
            chart_panel("card-history-graph", 440),
            dmc.Title("Latest price of each variant", order=4, mt="lg", mb="xs"),
            dag.AgGrid(
                id="card-latest-grid",
                columnDefs=LATEST_COLUMNS,
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 90},
                dashGridOptions={"domLayout": "autoHeight", "suppressColumnVirtualisation": True},
            ),
        ]
    )


def header(card: dict[str, Any]) -> dmc.Group:
    """Image, name, set, rarity, identities and links of a printing. Provider text goes into
    components as text (React escapes it); URLs are built from checked ids and quoted codes."""
    links = []
    if card["scryfall_id"]:
        links.append(
            dmc.Anchor(
                "Scryfall",
                href=f"https://scryfall.com/card/{path_part(card['set_code'])}/{path_part(card['collector_number'])}",
                target="_blank",
            )
        )
    if tcgplayer := provider_id(card["tcgplayer_product_id"]):
        links.append(dmc.Anchor("TCGplayer", href=f"https://www.tcgplayer.com/product/{tcgplayer}", target="_blank"))
    if cardmarket := provider_id(card["cardmarket_id"]):
        links.append(
            dmc.Anchor(
                "Cardmarket",
                target="_blank",
                href=f"https://www.cardmarket.com/en/Magic/Products?idProduct={cardmarket}",
            )
        )
    facts = [
        f"{card['set_name'] or card['set_code'].upper()} ({card['set_code'].upper()}) #{card['collector_number']}",
        (card["rarity"] or "").title(),
        card["type_line"] or "",
        f"released {card['released_at']}" if card["released_at"] else "",
    ]
    identities = [
        f"{name}: {card[key]}"
        for key, name in (
            ("scryfall_id", "Scryfall"),
            ("mtgjson_uuid", "MTGJSON"),
            ("tcgplayer_product_id", "TCGplayer"),
            ("cardmarket_id", "Cardmarket"),
        )
        if card[key]
    ]
    image = image_url(card["image_url"])
    return dmc.Group(
        [
            html.Img(src=image, alt=card["name"], style={"height": "180px", "borderRadius": "8px"})
            if image
            else html.Div(),
            dmc.Stack(
                [
                    dmc.Title(card["name"], order=2, id="card-name"),
                    dmc.Text(" · ".join(fact for fact in facts if fact)),
                    dmc.Text(" · ".join(identities), size="xs", c="dimmed"),
                    dmc.Group(links, gap="md"),
                ],
                gap=4,
            ),
        ],
        align="flex-start",
    )
