"""The card page: search, the printing's header, its price history, latest prices and every printing.

Its tab title, description and preview image (Open Graph tags) name the printing of ?id= (`PageMeta`)."""

from __future__ import annotations

from collections.abc import Callable
from html import escape
from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html
from flask import g, has_request_context, request

from callbacks.figures import SCALES
from callbacks.params import BadInput, card_id, marketplace_id, shown
from data.domain import LANGUAGE_CODES, RANGES
from layouts.embed import embed_control
from layouts.filters import (
    ALL,
    CONDITIONS,
    CURRENCIES,
    FINISHES,
    LANGUAGES,
    chart_panel,
    filter_bar,
    fluid,
    ignored,
    printing_search,
    range_control,
    read_query,
    scale_switch,
    select,
    single,
)
from layouts.images import image_url, path_part, provider_id
from layouts.live import live_channels, refresh_counter

SHOWN = "_shown"  # a row's `<field>_shown` is the field as the grid shows it ("12.30 USD", "+3.20 %")
SITE = "CardCharts"
PAGE_TITLE = f"Card · {SITE}"
LANGUAGE_NAMES = {code: language.value for language, code in LANGUAGE_CODES.items()}
# Percent cells are classed by their sign, and old rows' dates by their age (assets/card.css colours them).
SIGN_CLASSES = {"cc-up": "params.value > 0", "cc-down": "params.value < 0"}
OLD_CLASSES = {"cc-old": "params.data.age_days != null"}


def _number_column(field: str, header: str, percent: bool = False, **props: Any) -> dict[str, Any]:
    """An exact decimal column: sorted by its number, shown as the callback formatted it (in
    Python, as decimals: formatting the float in the browser would round 0.365 down)."""
    column = {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "valueGetter": {"function": f"params.data.{field} == null ? null : Number(params.data.{field})"},
        # The grid's function strings are expressions of a small safe evaluator: no `??`.
        "valueFormatter": {"function": f"params.data.{field}{SHOWN} == null ? '' : params.data.{field}{SHOWN}"},
        **props,
    }
    return column | ({"cellClassRules": SIGN_CLASSES} if percent else {})


# The marketplace is pinned on the left, the price and the 24h change follow it: a phone (390 px) shows
# those three, and the other columns scroll inside the grid.
LATEST_COLUMNS = [
    {"field": "marketplace", "headerName": "Marketplace", "pinned": "left", "minWidth": 120, "maxWidth": 220},
    _number_column("price", "Price", minWidth=96),
    _number_column("change_24h", "24h", percent=True, minWidth=84),
    _number_column("change_7d", "7d", percent=True, minWidth=84),
    _number_column("change_30d", "30d", percent=True, minWidth=84),
    {"field": "finish", "headerName": "Finish"},
    {"field": "condition", "headerName": "Cond."},
    {"field": "language", "headerName": "Lang."},
    _number_column("vs_near_mint", "vs NM", percent=True, minWidth=96),
    _number_column("vs_english", "vs English", percent=True, minWidth=110),
    {"field": "quantity", "headerName": "Stock", "type": "rightAligned"},
    {
        "field": "time",
        "headerName": "As of (UTC)",
        "minWidth": 190,
        "valueFormatter": {"function": f"params.data.time{SHOWN}"},
        "cellClassRules": OLD_CLASSES,
    },
]
PERCENT_FIELDS = ("change_24h", "change_7d", "change_30d", "vs_near_mint", "vs_english")


def latest_columns(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The grid's columns for `rows`: a column that no row has a value for is hidden."""
    return [column | {"hide": all(row.get(column["field"]) is None for row in rows)} for column in LATEST_COLUMNS]


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
            # Never None: a Store given None reports a change as it mounts, which reruns the page's callbacks.
            dcc.Store(id="card-id", data=raw_id or ""),
            dcc.Store(id="card-title"),
            live_channels(*followed),
            refresh_counter("card-detail-refresh"),
            refresh_counter("card-history-refresh"),
            printing_search("card-search", "Find a printing"),
            html.Div(id="card-header", style={"marginTop": "1rem"}),
            filter_bar(
                [
                    range_control("card-range", q["range"]),
                    select("card-currency", "Currency", CURRENCIES, q["currency"], 110),
                    select("card-condition", "Condition", CONDITIONS, q["condition"]),
                    select("card-finish", "Finish", FINISHES, q["finish"], 130),
                    select("card-language", "Language", LANGUAGES, q["lang"]),
                    dmc.Select(
                        id="card-market", label="Marketplace", data=ALL, value=market, allowDeselect=False, **fluid(220)
                    ),
                    scale_switch("card-scale", q["scale"]),
                ]
            ),
            html.Div(id="card-status"),
            chart_panel("card-history-graph", 440),
            embed_control("card"),  # the iframe snippet of this view (layouts/embed.py)
            dmc.Title("Latest price of each variant", order=4, mt="lg", mb="xs"),
            dag.AgGrid(
                id="card-latest-grid",
                columnDefs=LATEST_COLUMNS,
                rowData=[],
                defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 90},
                dashGridOptions={"domLayout": "autoHeight", "suppressColumnVirtualisation": True},
            ),
            html.Div(id="card-printings"),
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
        LANGUAGE_NAMES.get(card.get("lang") or "", card.get("lang") or ""),
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
                    dmc.Text(" · ".join(identities), size="xs", c="dimmed", style={"overflowWrap": "anywhere"}),
                    dmc.Group(links, gap="md"),
                ],
                gap=4,
                style={"minWidth": 0, "flex": "1 1 240px"},
            ),
        ],
        align="flex-start",
    )


def card_href(printing_id: int) -> str:
    return f"/card?id={int(printing_id)}"


def printing_name(printing: dict[str, Any]) -> str:
    """'the ORI English printing'."""
    language = LANGUAGE_NAMES.get(printing.get("lang") or "", printing.get("lang") or "")
    return " ".join(part for part in ("the", printing["set_code"].upper(), language, "printing") if part)


def printings(rows: list[dict[str, Any]], current: int) -> list:
    """Every printing of the card: set, number, language, latest price (`price_shown`, formatted by the
    callback) and a link to its page; the printing on the page is marked rather than linked."""
    if not rows:
        return []
    head = dmc.TableThead(dmc.TableTr([dmc.TableTh(name) for name in ("Set", "#", "Lang.", "Latest price", "")]))
    body = dmc.TableTbody(
        [
            dmc.TableTr(
                [
                    dmc.TableTd(f"{row['set_name'] or ''} ({row['set_code'].upper()})"),
                    dmc.TableTd(row["collector_number"]),
                    dmc.TableTd(row.get("lang") or "?"),
                    dmc.TableTd(row["price_shown"]) if row["price_shown"] else dmc.TableTd("no price yet", c="dimmed"),
                    dmc.TableTd(
                        dmc.Text("this page", size="sm", fw=600)
                        if row["id"] == current
                        else dcc.Link("open", href=card_href(row["id"]), id={"type": "card-printing", "id": row["id"]})
                    ),
                ]
            )
            for row in rows
        ]
    )
    return [
        dmc.Title(f"Every printing ({len(rows)})", order=4, mt="lg", mb="xs"),
        dmc.TableScrollContainer(
            dmc.Table([head, body], striped=True, highlightOnHover=True, id="card-printings-table"), minWidth=360
        ),
    ]


def no_prices(priced: dict[str, Any] | None) -> list:
    """The status of a printing without prices: a link to the printing that has them, else how to load some."""
    if priced is not None:
        return [
            "No prices for this printing yet; ",
            dcc.Link(printing_name(priced), href=card_href(priced["id"]), id="card-priced-printing"),
            " has them.",
        ]
    return [
        "No prices are stored for this printing yet: run ",
        html.Code("cardcharts collect scryfall"),
        " or ",
        html.Code("cardcharts import scryfall FILE"),
        ".",
    ]


def page_title(card: dict[str, Any]) -> str:
    """ "Jace, Vryn's Prodigy // Jace, Telepath Unbound (ORI) · CardCharts"."""
    return f"{card['name']} ({card['set_code'].upper()}) · {SITE}"


def page_description(summary: dict[str, Any]) -> str:
    """The printing and its latest price, with the currency, marketplace and UTC time."""
    card = summary["card"]
    printing = f"{card['name']}, {card['set_name'] or card['set_code'].upper()} ({card['set_code'].upper()})"
    printing += f" #{card['collector_number']}" + (f", {card['lang']}" if card.get("lang") else "")
    if summary["price"] is None:
        return f"{printing}: no price stored yet. Price history on {SITE}."
    when = str(summary["time"])[:16].replace("T", " ")
    return (
        f"{printing}: {summary['price']} {summary['currency']} on {summary['marketplace']}, {when} UTC."
        f" Price history by marketplace, condition, finish and language on {SITE}."
    )


class PageMeta:
    """The card page's tab title, description and preview image, for the printing in the page
    request's ?id=. Dash calls `title` and `description` when it serves the page (register_page);
    `install` fills the og:image and twitter:image tags, which Dash takes only as a fixed URL.
    `summary(card_id)` is CardQueries.summary, None for an unknown card or a database fault."""

    def __init__(self, summary: Callable[[int], dict[str, Any] | None]) -> None:
        self.summary = summary

    def _current(self, id: Any = None) -> dict[str, Any] | None:
        """The summary of the printing `id` when given, else of the page request's printing, read once
        per request; None elsewhere (a callback request, another page, a bad id)."""
        if id is not None:
            return self._read(id)
        if not has_request_context() or request.path.rstrip("/") != "/card":
            return None
        if "card_summary" not in g:
            g.card_summary = self._read(request.args.get("id"))
        return g.card_summary

    def _read(self, id: Any) -> dict[str, Any] | None:
        try:
            return self.summary(card_id(id))
        except BadInput:
            return None

    def title(self, id: Any = None, **_query: Any) -> str:
        """The tab title: of the request's printing, or of `id` when the caller knows the page's query
        (app/first_layout.py builds the page a layout request's Referer names)."""
        current = self._current(id)
        return page_title(current["card"]) if current else PAGE_TITLE

    def description(self, **_path: Any) -> str:
        current = self._current()
        if current is None:
            return f"A card's price history on {SITE}, by marketplace, condition, finish and language."
        return page_description(current)

    def image(self) -> str | None:
        current = self._current()
        return image_url(current["card"]["image_url"]) if current else None

    def install(self, app: Any) -> None:
        """Fill the card page's <title> and image tags as Dash builds the page (on this app only):
        Dash puts the app's title in <title> and takes the image only as a fixed URL."""
        build = app.interpolate_index

        def interpolate_index(**parts: Any) -> str:
            if self._current() is not None:
                parts["title"] = escape(self.title())
            image = self.image()
            if image:
                for tag in ("og:image", "twitter:image"):
                    parts["metas"] = parts["metas"].replace(
                        f'property="{tag}" content=""', f'property="{tag}" content="{escape(image, quote=True)}"'
                    )
            return build(**parts)

        app.interpolate_index = interpolate_index
