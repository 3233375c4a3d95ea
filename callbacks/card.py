"""Card page callbacks: search, the printing's details, and its history chart."""

from __future__ import annotations

import logging

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from sqlalchemy.exc import SQLAlchemyError

from callbacks.figures import card_history_figure
from callbacks.params import optional
from callbacks.url_state import inputs, keep_in_url
from data.domain import Condition, Finish, Language
from data.use_cases.cards import CardQueries
from layouts.card import header
from layouts.filters import ALL, status

log = logging.getLogger(__name__)

NO_HISTORY = {"series": []}
URL_PARAMS = {
    "id": ("card-id", "data"),
    "range": ("card-range", "value"),
    "currency": ("card-currency", "value"),
    "condition": ("card-condition", "value"),
    "finish": ("card-finish", "value"),
    "lang": ("card-language", "value"),
    "market": ("card-market", "value"),
}
CHOOSE = "Search for a printing by name above."


def _card_id(raw: str | None) -> int:
    if raw in (None, ""):
        raise LookupError(CHOOSE)
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"'{raw}' is not a card id") from None


def register(app: Dash, cards: CardQueries) -> None:
    @app.callback(Output("card-search", "data"), Input("card-search", "searchValue"), prevent_initial_call=True)
    def search(text):
        if not text or len(text.strip()) < 2:
            return no_update
        return [
            {
                "value": str(card["id"]),
                "label": f"{card['name']} — {card['set_code'].upper()} #{card['collector_number']}",
            }
            for card in cards.search(text, limit=20)
        ]

    @app.callback(Output("url", "href"), Input("card-search", "value"), prevent_initial_call=True)
    def open_card(card_id):
        return f"/card?id={card_id}" if card_id else no_update

    @app.callback(
        Output("card-header", "children"),
        Output("card-latest-grid", "rowData"),
        Output("card-market", "data"),
        Input("card-id", "data"),
        Input("card-detail-refresh", "data"),
    )
    def show_card(raw_id, _refresh):
        try:
            detail = cards.detail(_card_id(raw_id))
        except (LookupError, ValueError, SQLAlchemyError):
            return [], [], ALL
        marketplaces = detail["marketplaces"]
        rows = [
            {
                **row,
                "marketplace": marketplaces.get(str(row["marketplace_id"]), {}).get("name"),
                "condition": Condition(row["condition"]).code,
                "language": Language(row["language"]).code,
            }
            for row in detail["latest"]
        ]
        options = ALL + [{"value": key, "label": market["name"]} for key, market in sorted(marketplaces.items())]
        return header(detail["card"]), rows, options

    @app.callback(
        Output("card-history-graph", "figure"),
        Output("card-status", "children"),
        *inputs(URL_PARAMS),
        Input("color-scheme", "data"),
        Input("card-history-refresh", "data"),
    )
    def show_history(raw_id, range_name, currency, condition, finish, language, market, scheme, _refresh):
        try:
            card_id = _card_id(raw_id)
            filters = {
                "condition": optional(Condition.parse, condition),
                "language": optional(Language.parse, language),
                "finish": optional(Finish.parse, finish),
                "marketplace_id": optional(int, market),
            }
            history = cards.history(card_id, range_name, **filters)
            detail = cards.detail(card_id)
        except LookupError as exc:
            message = str(exc) if str(exc) == CHOOSE else f"Unknown card: {exc}."
            return card_history_figure(NO_HISTORY, {}, scheme), status(
                message, "blue" if str(exc) == CHOOSE else "red", "No card"
            )
        except ValueError as exc:
            return card_history_figure(NO_HISTORY, {}, scheme), status(str(exc), "red", "Bad parameter")
        except SQLAlchemyError:
            log.exception("card page: database error")
            return card_history_figure(NO_HISTORY, {}, scheme), status(
                "The price database is unreachable; no prices can be shown. Retry shortly.", "red", "Database error"
            )
        history = {
            **history,
            "series": [s for s in history["series"] if s["currency"] == currency],
            "filters": {
                "currency": currency,
                **{name: getattr(value, "value", value) for name, value in filters.items()},
            },
        }
        message = None
        if not history["series"]:
            message = (
                "No prices match these filters in this range."
                if detail["latest"]
                else "No prices are stored for this printing yet: `cardcharts import …` or `cardcharts collect …`."
            )
        return card_history_figure(history, detail["marketplaces"], scheme), status(message)

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
    keep_in_url(app, URL_PARAMS, required=("id",))
