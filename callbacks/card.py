"""Card page callbacks: search, the printing's details, its history chart and its other printings."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from sqlalchemy.exc import SQLAlchemyError

from callbacks import params
from callbacks.chart_controls import chart_scale, follow_range_hint, follow_scale_switch
from callbacks.faults import bad_input, database_error
from callbacks.figures import card_history_figure
from callbacks.first_draw import FirstDraw
from callbacks.search import search_box
from callbacks.units import money, signed_percent
from callbacks.url_state import inputs, keep_in_url
from data.domain import RANGES, Condition, Finish, Language
from data.use_cases.cards import CardQueries
from layouts.card import PERCENT_FIELDS, SHOWN, header, latest_columns, no_prices, page_title, printings
from layouts.filters import ALL, CURRENCIES, range_hint, status
from layouts.freshness import utc_text

NO_HISTORY = {"series": []}
URL_PARAMS = {
    "id": ("card-id", "data"),
    "range": ("card-range", "value"),
    "currency": ("card-currency", "value"),
    "condition": ("card-condition", "value"),
    "finish": ("card-finish", "value"),
    "lang": ("card-language", "value"),
    "market": ("card-market", "value"),
    "scale": ("card-scale", "data"),
}
CHOOSE = "Search for a printing by name above."
OLD = timedelta(days=1)  # a latest-price row this much older than the card's newest one is marked with its age


class NoCard(LookupError):
    """No card chosen yet."""


def _card_id(raw: object) -> int:
    if raw in (None, ""):
        raise NoCard(CHOOSE)
    return params.card_id(raw)


def latest_rows(detail: dict[str, Any]) -> list[dict[str, Any]]:
    """The latest-prices grid's rows: codes for the variant, prices with their currency, signed
    percents, the time short and in UTC, and a row older than the card's newest by more than a day
    marked with its age in days (`age_days`)."""
    marketplaces = detail["marketplaces"]
    times = [datetime.fromisoformat(row["time"]) for row in detail["latest"]]
    newest = max(times, default=None)
    rows = []
    for row, moment in zip(detail["latest"], times, strict=True):
        age = newest - moment if newest is not None else timedelta(0)
        age_days = age.days if age > OLD else None
        rows.append(
            {
                **row,
                "marketplace": marketplaces.get(str(row["marketplace_id"]), {}).get("name"),
                "condition": Condition(row["condition"]).code,
                "language": Language(row["language"]).code,
                f"price{SHOWN}": money(row["price"], row["currency"]),
                **{f"{field}{SHOWN}": signed_percent(row[field]) for field in PERCENT_FIELDS},
                "age_days": age_days,
                f"time{SHOWN}": utc_text(row["time"], "") + (f" · {age_days} d old" if age_days is not None else ""),
            }
        )
    return rows


def printing_rows(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every printing, each with its latest price shown with its currency (None without one)."""
    return [{**printing, "price_shown": money(printing["price"], printing["currency"])} for printing in found]


def priced_printing(found: list[dict[str, Any]], card: dict[str, Any]) -> dict[str, Any] | None:
    """The printing to point to from one without prices: the same set and number's first with a
    price (English comes first), else the first printing with a price; None when none has one."""
    priced = [p for p in found if p["price"] is not None and p["id"] != card["id"]]
    same = [p for p in priced if (p["set_code"], p["collector_number"]) == (card["set_code"], card["collector_number"])]
    return (same or priced or [None])[0]


def page_summary(cards: CardQueries) -> Any:
    """CardQueries.summary for the card page's tags (layouts/card.py PageMeta): a database fault
    gives None, and the page its generic title, never an error."""

    def summary(card_id: int) -> dict[str, Any] | None:
        try:
            return cards.summary(card_id)
        except SQLAlchemyError as exc:
            database_error("card page tags", exc)
            return None

    return summary


def in_currency(history: dict[str, Any], currency: str, filters: dict[str, Any]) -> dict[str, Any]:
    """The card history as its chart draws it (on the page and in exports): the series in one currency,
    and the filters it was read with, by value."""
    return {
        **history,
        "series": [s for s in history["series"] if s["currency"] == currency],
        "filters": {"currency": currency, **{name: getattr(value, "value", value) for name, value in filters.items()}},
    }


def register(app: Dash, cards: CardQueries, first_draw: FirstDraw) -> None:
    """The card page's callbacks; the printing's details and its chart are first drawn in the page's layout."""

    search_box(app, "card-search", cards, "card search")

    @app.callback(Output("url", "href"), Input("card-search", "value"), prevent_initial_call=True)
    def open_card(value):
        try:
            return f"/card?id={params.card_id(value)}"
        except params.BadInput:
            return no_update  # cleared, or not an option this page offered

    @first_draw.callback(
        Output("card-header", "children"),
        Output("card-latest-grid", "rowData"),
        Output("card-latest-grid", "columnDefs"),
        Output("card-market", "data"),
        Output("card-printings", "children"),
        Output("card-title", "data"),
        Input("card-id", "data"),
        Input("card-detail-refresh", "data"),
    )
    def show_card(raw_id, _refresh):
        # The history callback names a missing or bad id in the page's status; here it shows nothing.
        nothing = ([], [], latest_columns([]), ALL, [], no_update)
        try:
            card_id = _card_id(raw_id)
            detail = cards.detail(card_id)
            found = cards.printings(detail["card"])
        except (LookupError, params.BadInput):
            return nothing
        except SQLAlchemyError as exc:
            return database_error("card page", exc), *nothing[1:]
        rows = latest_rows(detail)
        marketplaces = detail["marketplaces"]
        options = ALL + [{"value": key, "label": market["name"]} for key, market in sorted(marketplaces.items())]
        listed = printings(printing_rows(found), card_id)
        return header(detail["card"]), rows, latest_columns(rows), options, listed, page_title(detail["card"])

    app.clientside_callback(
        ClientsideFunction("card", "title"), Output("card-title", "id"), Input("card-title", "data")
    )

    @first_draw.callback(
        Output("card-history-graph", "figure"),
        Output("card-status", "children"),
        *inputs(URL_PARAMS),
        Input("color-scheme", "data"),
        Input("card-history-refresh", "data"),
    )
    def show_history(raw_id, range_name, currency, condition, finish, language, market, scale, scheme, _refresh):
        scheme = params.scheme(scheme)
        empty = card_history_figure(NO_HISTORY, {}, scheme)
        try:
            card_id = _card_id(raw_id)
            range_name = params.choice("range", range_name, RANGES)
            scale = chart_scale(scale)
            currency = params.choice("currency", currency, [c["value"] for c in CURRENCIES])
            filters = {
                "condition": params.optional(Condition.parse, condition, "condition"),
                "language": params.optional(Language.parse, language, "language"),
                "finish": params.optional(Finish.parse, finish, "finish"),
                "marketplace_id": params.marketplace_id(market),
            }
            history = cards.history(card_id, range_name, **filters)
            detail = cards.detail(card_id)
            sparse = cards.sparse(card_id, range_name, currency, **filters, drawn=history) if detail["latest"] else None
        except NoCard:
            return empty, status(CHOOSE, "blue", "No card")
        except params.BadInput as exc:
            return empty, bad_input("card page", exc)
        except LookupError as exc:
            return empty, status(f"Unknown card: {exc}.", "red", "No card")
        except SQLAlchemyError as exc:
            return empty, database_error("card page", exc)
        figure = card_history_figure(in_currency(history, currency, filters), detail["marketplaces"], scheme, scale)
        if not detail["latest"]:
            try:
                found = cards.printings(detail["card"])
            except SQLAlchemyError as exc:
                return figure, database_error("card page", exc)
            return figure, status(no_prices(priced_printing(found, detail["card"])), title="No prices")
        if sparse is not None:  # no line to draw: say why, and offer the nearest range that has one
            return figure, status(range_hint(sparse, "card-range", "matching these filters"), title="No line")
        return figure, status(None)

    app.clientside_callback(
        ClientsideFunction("live", "cardUpdate"),
        Output("card-history-graph", "extendData"),
        Output("card-detail-refresh", "data"),
        Output("card-history-refresh", "data"),
        Input("live-message", "data"),
        State("card-history-graph", "figure"),
        State("card-id", "data"),
        State("card-detail-refresh", "data"),
        State("card-history-refresh", "data"),
        prevent_initial_call=True,
    )
    follow_scale_switch(app, "card-scale")
    follow_range_hint(app, "card-range")
    keep_in_url(app, URL_PARAMS, required=("id",))
