"""The /api/v1 routes: each turns its validated query into one use-case call (the very call its page
makes), and the result into JSON or CSV. The account routes (register, token) are in app/api/auth.py;
the per-user ones (collection, portfolio, alerts, refresh) in their modules, on app/api/private.py's
nested blueprint. One spectree instance validates and documents them all."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from spectree import Response as Documented

from app.api import alerts, auth, collection, payloads, private, refresh, tables
from app.api.ids import ID_SCHEMA
from app.api.openapi import document, make_spec
from app.api.responses import PREFIX, ApiError, csv_body, json_body
from app.api.schemas import DetailQuery, HistoryQuery, IndexQuery, MoversQuery, SearchQuery, SourcesQuery
from app.bootstrap import Services
from callbacks import params
from data.domain import INT4_MAX
from data.use_cases.cards import search_text

CARD_ID = {"card_id": f"A card id: a whole number from 1 to {INT4_MAX}."}
# spectree names every path parameter a string (the routes parse them): the document says what they are.
PATH_IDS = dict.fromkeys(("card_id", "lot_id", "alert_id"), ID_SCHEMA)
NOT_FOUND = (payloads.ErrorBody, "No card with this id.")


def parse_card_id(raw: str) -> int:
    """The path's card id, parsed as the card page parses ?id= (a bad one is a 400, not a 404)."""
    try:
        return params.card_id(raw)
    except params.BadInput as exc:
        raise ApiError(400, f"card_id: {exc}") from None


def for_currency(history: dict[str, Any], currency: str, marketplaces: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The card history in one currency, as the card page charts it, each series naming its marketplace."""
    series = [
        {
            "marketplace_id": line["marketplace_id"],
            "marketplace": marketplaces.get(str(line["marketplace_id"]), {}).get("name"),
            **line,
        }
        for line in history["series"]
        if line["currency"] == currency
    ]
    return {
        "card_id": history["card_id"],
        "range": history["range"],
        "currency": currency,
        "resolution": history["resolution"],
        "start": history["start"],
        "asof": history["asof"],
        "series": series,
        "spreads": [spread for spread in history["spreads"] if spread["currency"] == currency],
    }


def blueprint(services: Services) -> Blueprint:
    """The API's blueprint, the per-user one nested in it; its spectree instance validates its queries
    and documents it."""
    api = Blueprint("api", __name__, url_prefix=PREFIX)
    spec = make_spec()
    cards, market, sources = services.card_queries, services.market_queries, services.source_queries
    auth.add_routes(api, spec, services)
    per_user = private.blueprint()
    collection.add_routes(per_user, spec, services)
    alerts.add_routes(per_user, spec, services)
    refresh.add_routes(per_user, spec, services)
    api.register_blueprint(per_user)  # nested: the API's token check, errors and CORS apply to it

    @api.get("/cards/search")
    @spec.validate(resp=Documented(HTTP_200=payloads.SearchResults), tags=["cards"], operation_id="search_cards")
    def search_cards(query: SearchQuery):
        """Printings by name, or by set code and number"""
        found = {"q": search_text(query.q), "results": cards.search(query.q, query.limit)}
        return csv_body(*tables.search(found), "search") if query.format == "csv" else json_body(found)

    @api.get("/cards/<card_id>")
    @spec.validate(
        resp=Documented(HTTP_200=payloads.CardDetail, HTTP_404=NOT_FOUND),
        tags=["cards"],
        path_parameter_descriptions=CARD_ID,
        operation_id="card_detail",
    )
    def card_detail(card_id: str, query: DetailQuery):
        """A printing, each variant's latest price, and the card's other printings"""
        detail = cards.detail(parse_card_id(card_id))
        return json_body({**detail, "printings": cards.printings(detail["card"])})

    @api.get("/cards/<card_id>/history")
    @spec.validate(
        resp=Documented(HTTP_200=payloads.History, HTTP_404=NOT_FOUND),
        tags=["cards"],
        path_parameter_descriptions=CARD_ID,
        operation_id="card_history",
    )
    def card_history(card_id: str, query: HistoryQuery):
        """A printing's prices over a range, one series per variant, at the card page's resolution"""
        history = cards.history(
            parse_card_id(card_id), query.range, query.condition, query.language, query.finish, query.marketplace
        )
        shaped = for_currency(history, query.currency, cards.marketplace_names())
        name = f"card-{history['card_id']}-{query.range}-{query.currency.lower()}"
        return csv_body(*tables.history(shaped), name) if query.format == "csv" else json_body(shaped)

    @api.get("/market/index")
    @spec.validate(resp=Documented(HTTP_200=payloads.MarketIndex), tags=["market"], operation_id="market_index")
    def market_index(query: IndexQuery):
        """The chained market index (or one sub-index), as the market page charts it"""
        chained = market.chained(query.range, query.currency, query.sub)
        name = f"index-{query.sub.replace(':', '-')}-{query.range}-{query.currency.lower()}"
        return csv_body(*tables.index(chained), name) if query.format == "csv" else json_body(chained)

    @api.get("/market/movers")
    @spec.validate(resp=Documented(HTTP_200=payloads.Movers), tags=["market"], operation_id="market_movers")
    def market_movers(query: MoversQuery):
        """The biggest gainers and losers among Near Mint English prices"""
        legal_in = None if query.legal_in == "all" else query.legal_in
        moves = market.movers(query.period, query.currency, query.min_price, legal_in, query.limit)
        shaped = {
            "period": moves["period"],
            "currency": moves["currency"],
            "min_price": str(query.min_price),
            "legal_in": query.legal_in,
            "asof": moves["asof"],
            "gainers": moves["gainers"],
            "losers": moves["losers"],
        }
        name = f"movers-{query.period}-{query.currency.lower()}"
        return csv_body(*tables.movers(shaped), name) if query.format == "csv" else json_body(shaped)

    @api.get("/sources")
    @spec.validate(resp=Documented(HTTP_200=payloads.Sources), tags=["sources"], operation_id="source_status")
    def source_status(query: SourcesQuery):
        """Each source's newest run and the age of its newest data, and the collections running now"""
        found = {"sources": sources.status(), "collecting": sources.collecting()}
        return csv_body(*tables.sources(found), "sources") if query.format == "csv" else json_body(found)

    @api.get("/openapi.json")
    def openapi():
        return json_body(auth.describe(document(spec, PATH_IDS)))

    return api
