"""/api/v1/collection and /api/v1/portfolio: a user's lots (import, list, edit, delete, sell, export) and
what they are worth. Each route turns its validated request into one use-case or repository call for
the token's user (`g.user_id`), and the result into JSON or CSV."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request
from spectree import Response as Documented
from spectree import SpecTree

from app.api import payloads
from app.api.auth import BEARER
from app.api.ids import owned_id
from app.api.responses import ApiError, error, json_body
from app.api.schemas import (
    CollectionQuery,
    ImportForm,
    ImportQuery,
    LotChanges,
    LotQuery,
    PortfolioHistoryQuery,
    PortfolioQuery,
    Sale,
)
from app.bootstrap import Services
from data.collection_formats import MAX_BYTES, CollectionFileError, Parsed, read, write
from data.holdings import InvalidLot, Lot, NotEnoughCopies
from data.use_cases.collection import DEFAULT_CURRENCY, MAX_ROWS, ImportRefused, Preview
from data.use_cases.jsonable import plain

UNAUTHORIZED = (payloads.ErrorBody, "No token, or an unknown one.")
NO_LOT = (payloads.ErrorBody, "The token's user has no lot with this id.")
LOT_ID = {"lot_id": "A lot id, from GET /collection."}
# The form's other fields and multipart framing, on top of the file itself.
MULTIPART_SLACK = 64 * 1024
IMPORT_LIMIT = MAX_BYTES + MULTIPART_SLACK
# PATCH's names for a lot's columns.
COLUMNS = {"price": "acquired_price"}


def lot_body(lot: Lot, card: dict[str, Any]) -> dict[str, Any]:
    """A lot as the API shows it: its printing by name, set and number, and its variant and cost."""
    return plain(
        {
            "id": lot.id,
            "card_id": lot.card_id,
            "name": card["name"],
            "set_code": card["set_code"],
            "set_name": card["set_name"],
            "collector_number": card["collector_number"],
            "finish": lot.finish.value,
            "condition": lot.condition.value,
            "language": lot.language.value,
            "quantity": lot.quantity,
            "price": lot.acquired_price,
            "currency": lot.currency,
            "acquired_on": lot.acquired_on,
            "notes": lot.notes,
        }
    )


def printing(services: Services, card_id: int) -> dict[str, Any]:
    card = services.cards.get(card_id)
    return {
        "name": card.name if card else None,
        "set_code": card.set_code if card else None,
        "set_name": card.set_name if card else None,
        "collector_number": card.collector_number if card else None,
    }


def problems(parsed: Parsed) -> list[dict[str, Any]]:
    return [{"line": p.line, "column": p.column, "message": p.message} for p in parsed.problems]


def preview_body(parsed: Parsed, preview: Preview) -> dict[str, Any]:
    return plain({"format": parsed.format, "committed": False, **preview.as_dict(), "problems": problems(parsed)})


def uploaded(form: ImportForm | None) -> tuple[bytes, str | None, str]:
    """The upload's bytes, file name and default currency; 400 when it is not a multipart `file`."""
    if form is None or not hasattr(form.file, "read"):
        raise ApiError(400, "file: send the collection CSV as multipart/form-data, in a field named 'file'")
    data = form.file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ApiError(413, f"file: larger than the limit of {MAX_BYTES:,} bytes; split the collection")
    return data, form.file.filename or None, form.currency or DEFAULT_CURRENCY


def add_routes(api: Blueprint, spec: SpecTree, services: Services) -> None:
    lots, importer, portfolio = services.lots, services.collection_import, services.portfolio_queries

    @api.before_request
    def upload_limit() -> Response | None:
        # The server's body limit (app/security.py) is for forms and callbacks; a collection file may be
        # larger: this route reads up to its own limit, checked before the body is read.
        if request.endpoint != "api.private.import_collection":
            return None
        if request.content_length is not None and request.content_length > IMPORT_LIMIT:
            return error(413, f"file: larger than the limit of {MAX_BYTES:,} bytes; split the collection")
        request.max_content_length = IMPORT_LIMIT
        return None

    @api.post("/collection/import")
    @spec.validate(
        query=ImportQuery,
        form=ImportForm,
        resp=Documented(
            HTTP_200=(payloads.ImportPreview, "The preview (without commit=1): nothing was written."),
            HTTP_201=(payloads.ImportCommitted, "Written, all rows in one transaction."),
            HTTP_401=UNAUTHORIZED,
            HTTP_413=(payloads.ErrorBody, f"The file is over {MAX_BYTES:,} bytes."),
            HTTP_422=(payloads.ImportRefusedBody, "commit=1 refused: rows unmatched or unreadable; nothing written."),
            HTTP_400=(payloads.FileRefused, "The file cannot be read: not CSV, or of no known app."),
        ),
        tags=["collection"],
        operation_id="import_collection",
        security=BEARER,
    )
    def import_collection(query: ImportQuery, form: ImportForm):
        """Import a collection CSV: its preview, or with commit=1 its lots

        The app is recognised by the header: Moxfield, ManaBox, Deckbox, the TCGplayer app, Archidekt,
        Dragon Shield or Delver Lens. A commit is all or nothing: any unmatched or unreadable row refuses it (422, with
        the preview) unless skip_unmatched=1."""
        data, name, currency = uploaded(form)
        try:
            parsed = read(data, name)
        except CollectionFileError as exc:
            body = {"error": str(exc), "line": exc.line, "column": exc.column}
            response = json_body(body)
            response.status_code = 400
            return response
        if len(parsed.rows) > MAX_ROWS:
            raise ApiError(400, f"file: {len(parsed.rows):,} rows is over the limit of {MAX_ROWS:,}; split it")
        user = g.user_id
        if query.commit == "0":
            return json_body(preview_body(parsed, importer.preview(user, parsed.rows, currency)))
        skip = query.skip_unmatched == "1"
        if parsed.problems and not skip:
            preview = importer.preview(user, parsed.rows, currency)
            return refused(parsed, preview, f"import refused, nothing written: {len(parsed.problems)} row problem(s)")
        try:
            done = importer.commit(user, parsed.rows, skip_unmatched=skip, default_currency=currency)
        except ImportRefused as exc:
            return refused(parsed, importer.preview(user, parsed.rows, currency), str(exc))
        response = json_body(plain({"format": parsed.format, "committed": True, **done, "problems": problems(parsed)}))
        response.status_code = 201
        return response

    def refused(parsed: Parsed, preview: Preview, message: str) -> Response:
        response = json_body({"error": message, **preview_body(parsed, preview)})
        response.status_code = 422
        return response

    @api.get("/collection")
    @spec.validate(
        query=CollectionQuery,
        resp=Documented(HTTP_200=payloads.Collection, HTTP_401=UNAUTHORIZED),
        tags=["collection"],
        operation_id="list_lots",
        security=BEARER,
    )
    def list_lots(query: CollectionQuery):
        """The token's lots, each with its id and value on the basis (format=csv&app=...: that app's CSV)"""
        user = g.user_id
        if query.format == "csv":
            try:
                text = write(query.app, importer.export(user))
            except CollectionFileError as exc:  # a value the app has no spelling for (a language it lacks)
                raise ApiError(422, f"app: {exc}") from None
            response = Response(text, mimetype="text/csv")
            response.headers["Content-Disposition"] = f'attachment; filename="collection-{query.app}.csv"'
            return response
        valued = {row["id"]: row for row in portfolio.lots(user, query.basis)}
        shown = []
        for lot in lots.list(user):
            row = valued.get(lot.id)
            if row is None:  # deleted between the two reads
                continue
            shown.append(
                {
                    **lot_body(lot, row),
                    **plain(
                        {
                            "unit_price": row["unit_price"],
                            "value": row["value"],
                            "value_currency": row["currency"],
                            "fallback": row["fallback"] if row["unit_price"] is not None else None,
                            "pnl": row["pnl"],
                        }
                    ),
                }
            )
        return json_body({"basis": query.basis, "lots": shown})

    @api.get("/collection/<lot_id>")
    @spec.validate(
        query=LotQuery,
        resp=Documented(HTTP_200=payloads.Lot, HTTP_401=UNAUTHORIZED, HTTP_404=NO_LOT),
        tags=["collection"],
        path_parameter_descriptions=LOT_ID,
        operation_id="get_lot",
        security=BEARER,
    )
    def get_lot(lot_id: str, query: LotQuery):
        """One of the token's lots"""
        lot = lots.get(g.user_id, owned_id(lot_id, "lot"))
        return json_body(lot_body(lot, printing(services, lot.card_id)))

    @api.patch("/collection/<lot_id>")
    @spec.validate(
        json=LotChanges,
        resp=Documented(HTTP_200=payloads.Lot, HTTP_401=UNAUTHORIZED, HTTP_404=NO_LOT),
        tags=["collection"],
        path_parameter_descriptions=LOT_ID,
        operation_id="change_lot",
        security=BEARER,
    )
    def change_lot(lot_id: str, json: LotChanges):
        """Change some of a lot's values (quantity, price, currency, acquired_on, notes, condition, finish, language)"""
        number = owned_id(lot_id, "lot")
        changes = {COLUMNS.get(name, name): getattr(json, name) for name in json.model_fields_set}
        try:
            lot = lots.update(g.user_id, number, changes)
        except InvalidLot as exc:
            raise ApiError(400, str(exc)) from None
        return json_body(lot_body(lot, printing(services, lot.card_id)))

    @api.delete("/collection/<lot_id>")
    @spec.validate(
        resp=Documented(HTTP_204=None, HTTP_401=UNAUTHORIZED, HTTP_404=NO_LOT),
        tags=["collection"],
        path_parameter_descriptions=LOT_ID,
        operation_id="delete_lot",
        security=BEARER,
    )
    def delete_lot(lot_id: str):
        """Remove a lot (its sales stay, for realized P&L)"""
        lots.delete(g.user_id, owned_id(lot_id, "lot"))
        return Response(status=204)

    @api.post("/collection/<lot_id>/sell")
    @spec.validate(
        json=Sale,
        resp=Documented(
            HTTP_201=payloads.SaleRecorded,
            HTTP_401=UNAUTHORIZED,
            HTTP_404=NO_LOT,
            HTTP_409=(payloads.ErrorBody, "More copies than the lot holds; nothing recorded."),
        ),
        tags=["collection"],
        path_parameter_descriptions=LOT_ID,
        operation_id="sell_lot",
        security=BEARER,
    )
    def sell_lot(lot_id: str, json: Sale):
        """Record a sale of copies of a lot (realized P&L); the lot keeps the rest, or goes"""
        number = owned_id(lot_id, "lot")
        try:
            sale = lots.sell(g.user_id, number, json.quantity, json.price, json.currency, json.sold_on)
        except NotEnoughCopies as exc:
            raise ApiError(409, f"quantity: {exc}") from None
        except InvalidLot as exc:
            raise ApiError(400, str(exc)) from None
        response = json_body(plain(sale))
        response.status_code = 201
        return response

    @api.get("/portfolio")
    @spec.validate(
        query=PortfolioQuery,
        resp=Documented(HTTP_200=payloads.Portfolio, HTTP_401=UNAUTHORIZED),
        tags=["portfolio"],
        operation_id="portfolio",
        security=BEARER,
    )
    def portfolio_summary(query: PortfolioQuery):
        """Value now on the basis, cost basis, unrealized and realized P&L (per currency), movers and unpriced lots"""
        summary = portfolio.summary(g.user_id, query.basis)
        movers = portfolio.movers(g.user_id, query.basis, "24h")
        summary["movers"] = {key: movers[key] for key in ("period", "gainers", "losers")}
        return json_body(plain(summary))

    @api.get("/portfolio/history")
    @spec.validate(
        query=PortfolioHistoryQuery,
        resp=Documented(HTTP_200=payloads.PortfolioHistory, HTTP_401=UNAUTHORIZED),
        tags=["portfolio"],
        operation_id="portfolio_history",
        security=BEARER,
    )
    def portfolio_history(query: PortfolioHistoryQuery):
        """The value of today's holdings on each of the last `days` days, per currency"""
        return json_body(plain(portfolio.history(g.user_id, query.basis, query.days)))
