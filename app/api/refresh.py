"""POST /api/v1/cards/<id>/refresh: one printing's current prices fetched from Scryfall now (the design's
`refresh_card_prices`), stored through the import use case like every source's, limited per user.

Every attempt that reaches Scryfall counts against the user's `ratelimit:user:{id}:refresh` window
(CARDCHARTS_REFRESH_RATE_LIMIT), failed ones too: the limit protects Scryfall, which updates prices
once a day. Scryfall unreachable or answering anything but the card is a 502 naming the error, and
nothing is stored."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, g
from spectree import Response as Documented
from spectree import SpecTree

from app.api import payloads
from app.api.auth import BEARER
from app.api.ids import owned_id
from app.api.responses import ApiError, error, json_body
from app.bootstrap import Services
from data.domain import MalformedInput, PriceObservation
from workers.sources import scryfall_api

SCOPE = "refresh"


def add_routes(api: Blueprint, spec: SpecTree, services: Services) -> None:
    settings = services.settings

    @api.post("/cards/<card_id>/refresh")
    @spec.validate(
        resp=Documented(
            HTTP_200=(payloads.Refreshed, "The prices Scryfall gave, as stored."),
            HTTP_401=(payloads.ErrorBody, "No token, or an unknown one."),
            HTTP_404=(payloads.ErrorBody, "No card with this id."),
            HTTP_409=(payloads.ErrorBody, "The card has no Scryfall id to ask Scryfall by."),
            HTTP_429=(payloads.ErrorBody, "The user's refreshes are over the limit; see Retry-After."),
            HTTP_502=(payloads.ErrorBody, "Scryfall could not be reached or refused; nothing was stored."),
        ),
        tags=["cards"],
        path_parameter_descriptions={"card_id": "A card id."},
        operation_id="refresh_card",
        security=BEARER,
    )
    def refresh_card(card_id: str):
        """Fetch a printing's current prices from Scryfall and store them (limited per user)"""
        number = owned_id(card_id, "card")
        card = services.cards.get(number)
        if card is None:
            raise ApiError(404, f"no card with id {number}")
        if not card.scryfall_id:
            raise ApiError(409, f"card {number} has no Scryfall id: its prices come from other sources only")
        decision = services.rate_limits.hit("user", str(g.user_id), SCOPE, settings.refresh_rate)
        if decision is not None and not decision.allowed:
            refused = error(
                429,
                f"too many refreshes: the limit is {settings.refresh_rate} per user; retry in {decision.retry_after} s",
            )
            refused.headers["Retry-After"] = str(decision.retry_after)
            return refused
        as_of = datetime.now(UTC).replace(second=0, microsecond=0)  # refreshes within a minute are one row
        try:
            obj = scryfall_api.fetch_card(settings.scryfall_api_url, card.scryfall_id)
        except scryfall_api.UpstreamError as exc:
            return error(502, f"upstream: {exc}")
        items = scryfall_api.card_items(obj, as_of)
        try:
            report = services.imports(
                scryfall_api.SOURCE, items, file_name=f"cards/{card.scryfall_id}", file_date=as_of
            )
        except MalformedInput as exc:  # a card object with nothing storable: the run is recorded as failed
            return error(502, f"upstream: Scryfall's card object cannot be stored: {exc}")
        totals = report.totals
        prices = [
            {
                "marketplace": item.marketplace,
                "finish": item.finish.value,
                "language": item.language.value,
                "currency": item.currency,
                "price": str(item.price),
            }
            for item in items
            if isinstance(item, PriceObservation)
        ]
        return json_body(
            {
                "card_id": number,
                "scryfall_id": card.scryfall_id,
                "time": as_of.isoformat(),
                "run_id": report.run_id,
                "inserted": totals.inserted,
                "updated": totals.updated,
                "unchanged": totals.unchanged,
                "rejected": totals.rejected,
                "prices": prices,
            }
        )
