"""Card page callbacks: search, the printing's details, and its history chart."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State, no_update
from sqlalchemy.exc import SQLAlchemyError

from callbacks import params
from callbacks.chart_controls import chart_scale, follow_range_hint, follow_scale_switch
from callbacks.faults import bad_input, database_error
from callbacks.figures import card_history_figure
from callbacks.search import search_options
from callbacks.units import money, signed_percent
from callbacks.url_state import inputs, keep_in_url
from data.domain import RANGES, Condition, Finish, Language
from data.use_cases.cards import CardQueries
from layouts.card import PERCENT_FIELDS, SHOWN, header
from layouts.filters import ALL, CURRENCIES, range_hint, status

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
class NoCard(LookupError):
    """No card chosen yet."""


def _card_id(raw: object) -> int:
    if raw in (None, ""):
        raise NoCard(CHOOSE)
    return params.card_id(raw)


def register(app: Dash, cards: CardQueries) -> None:
    @app.callback(Output("card-search", "data"), Input("card-search", "searchValue"), prevent_initial_call=True)
    def search(text):
        options = search_options(cards, text, "card search")
        return no_update if options is None else options

    @app.callback(Output("url", "href"), Input("card-search", "value"), prevent_initial_call=True)
    def open_card(value):
        try:
            return f"/card?id={params.card_id(value)}"
        except params.BadInput:
            return no_update  # cleared, or not an option this page offered

    @app.callback(
        Output("card-header", "children"),
        Output("card-latest-grid", "rowData"),
        Output("card-market", "data"),
        Input("card-id", "data"),
        Input("card-detail-refresh", "data"),
    )
    def show_card(raw_id, _refresh):
        # The history callback names a missing or bad id in the page's status; here it shows nothing.
        try:
            detail = cards.detail(_card_id(raw_id))
        except (LookupError, params.BadInput):
            return [], [], ALL
        except SQLAlchemyError as exc:
            return database_error("card page", exc), [], ALL
        marketplaces = detail["marketplaces"]
        rows = [
            {
                **row,
                "marketplace": marketplaces.get(str(row["marketplace_id"]), {}).get("name"),
                "condition": Condition(row["condition"]).code,
                "language": Language(row["language"]).code,
                f"price{SHOWN}": money(row["price"], row["currency"]),
                **{f"{field}{SHOWN}": signed_percent(row[field]) for field in PERCENT_FIELDS},
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
        history = {
            **history,
            "series": [s for s in history["series"] if s["currency"] == currency],
            "filters": {
                "currency": currency,
                **{name: getattr(value, "value", value) for name, value in filters.items()},
            },
        }
        figure = card_history_figure(history, detail["marketplaces"], scheme, scale)
        if not detail["latest"]:
            message = "No prices are stored for this printing yet: `cardcharts import …` or `cardcharts collect …`."
            return figure, status(message)
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
