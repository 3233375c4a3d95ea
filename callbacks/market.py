"""Market page callbacks: filters in, index figure and overview out."""

from __future__ import annotations

import logging
from decimal import Decimal

from dash import ClientsideFunction, Dash, Input, Output, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks.figures import market_index_figure, volume_by_format_figure
from callbacks.params import optional
from callbacks.url_state import keep_in_url
from data.domain import Condition, Finish, Language
from data.use_cases.market import MarketQueries
from data.use_cases.sources import SourceQueries
from layouts.filters import status
from layouts.market import EMPTY_HELP, overview_figures, sources_figure

log = logging.getLogger(__name__)

URL_PARAMS = {
    "range": ("market-range", "value"),
    "currency": ("market-currency", "value"),
    "condition": ("market-condition", "value"),
    "finish": ("market-finish", "value"),
    "lang": ("market-language", "value"),
    "period": ("movers-period", "value"),
    "min_price": ("movers-min-price", "value"),
    "fmt": ("movers-format", "value"),
}
NO_INDEX = {"currency": "USD", "time": [], "resolution": "DAY"}


def register(app: Dash, market: MarketQueries, sources: SourceQueries) -> None:
    @app.callback(
        Output("market-index-graph", "figure"),
        Output("market-overview", "children"),
        Output("market-status", "children"),
        Input("market-range", "value"),
        Input("market-currency", "value"),
        Input("market-condition", "value"),
        Input("market-finish", "value"),
        Input("market-language", "value"),
        Input("color-scheme", "data"),
        Input("market-refresh", "data"),
    )
    def update_market(range_name, currency, condition, finish, language, scheme, _refresh):
        try:
            filters = {
                "condition": optional(Condition.parse, condition),
                "finish": optional(Finish.parse, finish),
                "language": optional(Language.parse, language),
            }
            index = market.index(range_name, currency, **filters)
        except ValueError as exc:
            return market_index_figure(NO_INDEX, scheme), [], status(str(exc), "red", "Bad filter")
        except SQLAlchemyError:
            log.exception("market page: database error")
            message = "The price database is unreachable; no figures can be shown. Retry shortly."
            return market_index_figure(NO_INDEX, scheme), [], status(message, "red", "Database error")
        overview = market.overview(currency)
        message = None if index["time"] else EMPTY_HELP
        if overview["printings_tracked"] and not index["time"]:
            message = "No prices match these filters in this range."
        figures = [*overview_figures(overview), sources_figure(sources.status())]
        return market_index_figure(index, scheme), figures, status(message)

    @app.callback(
        Output("movers-gainers", "rowData"),
        Output("movers-losers", "rowData"),
        Output("market-volume-graph", "figure"),
        Input("movers-period", "value"),
        Input("movers-min-price", "value"),
        Input("movers-format", "value"),
        Input("market-currency", "value"),
        Input("color-scheme", "data"),
        Input("market-refresh", "data"),
    )
    def update_movers(period, min_price, legal_in, currency, scheme, _refresh):
        try:
            floor = Decimal(str(min_price if min_price not in (None, "") else 0)).quantize(Decimal("0.01"))
            moves = market.movers(period, currency, floor, None if legal_in == "all" else legal_in)
            volume = market.volume_by_format(currency)
        except (ValueError, ArithmeticError, SQLAlchemyError):
            log.exception("market page: movers")
            return [], [], volume_by_format_figure([], currency, scheme)
        rows = [
            [{**row, "set": f"{row['set_code'].upper()} #{row['collector_number']}"} for row in moves[side]]
            for side in ("gainers", "losers")
        ]
        return rows[0], rows[1], volume_by_format_figure(volume, currency, scheme)

    app.clientside_callback(
        ClientsideFunction("live", "marketRefresh"),
        Output("market-refresh", "data"),
        Input("live-message", "data"),
        State("market-refresh", "data"),
        prevent_initial_call=True,
    )
    keep_in_url(app, URL_PARAMS)
