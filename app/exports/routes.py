"""The /export routes: a chart of a page as PNG, SVG or PDF (rendered outside the web worker, cached),
or its numbers as CSV or JSON."""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from app.api.responses import CACHE_CONTROL, ApiError, csv_body, error, json_body
from app.bootstrap import Services
from app.exports import PREFIX, charts
from app.exports.captions import dress
from app.exports.image_cache import ImageCache, image_key
from app.exports.query import FORMATS, IMAGES, Export, parse
from app.exports.renderer import Renderer, RenderFailed
from data.domain import NotFound

log = logging.getLogger(__name__)
RETRY_SECONDS = 5


def _image(export: Export, chart: charts.Chart, renderer: Renderer, cache: ImageCache) -> Response:
    figure = dress(chart.figure, chart.title, chart.caption, export.theme)
    key = image_key(figure, export.fmt, export.width, export.height, export.scale)
    body = cache.get(key)
    hit = body is not None
    if body is None:
        body = renderer.render(figure, export.fmt, export.width, export.height, export.scale)
        cache.set(key, body)
    response = Response(body, mimetype=FORMATS[export.fmt])
    response.headers["X-Export-Cache"] = "hit" if hit else "miss"
    response.set_etag(key[:32])  # the render's key: the same figure and size give the same bytes
    return response.make_conditional(request)


def blueprint(services: Services, renderer: Renderer) -> Blueprint:
    exports = Blueprint("exports", __name__, url_prefix=PREFIX)
    cache = ImageCache(services.cache)

    def answer(kind: str, fmt: str, path_args: dict[str, str]) -> Response:
        export = parse(kind, fmt, request.args, path_args)
        chart = charts.BUILDERS[kind](services, export)
        if fmt in IMAGES:
            response = _image(export, chart, renderer, cache)
        elif fmt == "csv":
            response = csv_body(*chart.table, chart.name)
        else:
            response = json_body(chart.payload)
        response.headers["Content-Disposition"] = f'attachment; filename="{chart.name}.{fmt}"'
        response.headers["Cache-Control"] = CACHE_CONTROL
        return response

    @exports.get("/card/<card_id>.<fmt>")
    def card(card_id: str, fmt: str) -> Response:
        return answer("card", fmt, {"id": card_id})

    @exports.get("/compare.<fmt>")
    def compare(fmt: str) -> Response:
        return answer("compare", fmt, {})

    @exports.get("/market.<fmt>")
    def market(fmt: str) -> Response:
        return answer("market", fmt, {})

    @exports.route("/", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    @exports.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def unknown(rest: str) -> Response:
        return error(
            404, "no such export; use /export/card/<id>.<format>, /export/compare.<format> or /export/market.<format>"
        )

    @exports.errorhandler(ApiError)
    def refused(exc: ApiError) -> Response:
        return error(exc.status, exc.message)

    @exports.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return error(404, str(exc))

    @exports.errorhandler(RenderFailed)
    def not_rendered(exc: RenderFailed) -> Response:
        log.warning("export %s: %s", request.path, exc)
        response = error(503, str(exc))
        response.headers["Retry-After"] = str(RETRY_SECONDS)
        return response

    @exports.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        return error(exc.code or 400, exc.description or exc.name)

    @exports.errorhandler(SQLAlchemyError)
    def database_down(exc: SQLAlchemyError) -> Response:
        log.warning("export %s: database error: %s", request.path, type(exc).__name__)
        return error(503, "the price database is unreachable or too slow; retry shortly")

    return exports
