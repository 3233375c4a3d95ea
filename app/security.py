"""What every request and response passes through, applied once where the app is built.

Response headers (a Content-Security-Policy, nosniff, a referrer policy, a Cache-Control) on every response,
a cap on request bodies, only asset files from the assets folder, and a 400 with a short
message for a callback request Dash could not dispatch, instead of a 500 and a traceback.
"""

from __future__ import annotations

import base64
import hashlib
import re

import dash
from dash.fingerprint import check_fingerprint
from flask import Response, abort, jsonify, request
from werkzeug.exceptions import BadRequest, HTTPException, RequestEntityTooLarge

from app.api.responses import CACHE_CONTROL as API_CACHE_CONTROL
from app.api.responses import PREFIX as API_PREFIX
from app.callback_bodies import MalformedCallback, check_callback_body, check_text
from app.exports import PREFIX as EXPORT_PREFIX
from layouts.images import IMAGE_HOSTS

# The largest callback body our pages send is under 1 kB (measured by the browser test in
# tests/test_server_hardening.py); a larger one only ties up a worker and the database.
MAX_BODY_BYTES = 1024 * 1024
# Nothing else in the assets folder (a Python package, so that wheels carry it) is served.
ASSET_SUFFIXES = (".css", ".js", ".ico", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff2")
CALLBACK_PATH = "/_dash-update-component"
# A Host header fit to name our own WebSocket origin in connect-src.
_HOST = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")


class Dash(dash.Dash):
    """dash.Dash whose page config does not name the Python version (Dash puts sys.version there)."""

    def _config(self):
        config = super()._config()
        config.pop("python_version", None)
        return config

    def inline_scripts(self) -> list[str]:
        """The inline <script> bodies of the index page: the renderer's start and inline clientside callbacks."""
        return [self.renderer, *self._inline_scripts]


def content_security_policy(script_hashes: list[str], host: str | None, frame_ancestors: str = "'self'") -> str:
    """The policy for our pages: everything from our own origin, card images from their hosts.

    Dash starts its renderer and defines inline clientside callbacks in inline scripts: those
    exact scripts are allowed by their hashes, never 'unsafe-inline'. Mantine and AG Grid inject
    <style> elements at run time, hence 'unsafe-inline' for styles only."""
    websockets = f" ws://{host} wss://{host}" if host and _HOST.fullmatch(host) else ""
    directives = {
        "default-src": "'self'",
        "script-src": " ".join(["'self'", *script_hashes]),
        "style-src": "'self' 'unsafe-inline'",
        # blob: the chart's camera button draws its SVG through a blob: URL (made by the page itself).
        "img-src": " ".join(["'self'", "data:", "blob:", *(f"https://{image_host}" for image_host in IMAGE_HOSTS)]),
        "connect-src": "'self'" + websockets,
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": frame_ancestors,
    }
    return "; ".join(f"{name} {sources}" for name, sources in directives.items())


# Paths under this prefix are the embeds (app/embeds.py): the only responses other sites may frame.
EMBED_PREFIX = "/embed/"
# The Flask config key holding the origins that may frame the embeds (CARDCHARTS_EMBED_ORIGINS).
EMBED_ORIGINS = "CARDCHARTS_EMBED_ORIGINS"


def frame_ancestors(path: str, embed_origins: tuple[str, ...] = ()) -> str:
    """Who may frame the response at `path`: our own pages, and for an embed also `embed_origins`
    (validated origins, or "*" for any site). Everything else stays ours only (clickjacking)."""
    if not path.startswith(EMBED_PREFIX) or not embed_origins:
        return "'self'"
    return "*" if "*" in embed_origins else " ".join(["'self'", *embed_origins])


# A file whose URL names its version (Dash's component suites `name.v4_4_1m1712345.js`, assets `?m=mtime`)
# never changes under that URL: browsers keep it for a year without asking again.
IMMUTABLE = "public, max-age=31536000, immutable"
# Anything else is asked for again each time (HTML, callbacks, layout) or revalidated by its ETag.
REVALIDATE = "no-cache"
_MTIME = re.compile(r"\d+(\.\d+)?")  # Dash's asset fingerprint: the file's modification time
# Never kept: the account pages (one shows a new API token) and the API's writes (a token, an account).
NO_STORE = "no-store"
PRIVATE_PATHS = ("/login", "/register", "/logout", "/account")


def cache_control(
    path: str, args: dict[str, str], assets_prefix: str, method: str = "GET", authorized: bool = False
) -> str:
    """How long browsers may keep the response at `path` (with query `args`) to a `method` request;
    `authorized`: the request carried credentials (its answer is one user's: never kept by anyone)."""
    if path in PRIVATE_PATHS or path.startswith("/account/"):
        return NO_STORE
    if path.startswith(API_PREFIX + "/") and (method not in ("GET", "HEAD") or authorized):
        return NO_STORE
    if path.startswith((API_PREFIX + "/", EXPORT_PREFIX + "/")):  # exports are cached as API answers
        return API_CACHE_CONTROL
    if "/_dash-component-suites/" in path and check_fingerprint(path)[1]:
        return IMMUTABLE
    if path.startswith(assets_prefix) and _MTIME.fullmatch(args.get("m", "")):
        return IMMUTABLE
    return REVALIDATE


def script_hash(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def harden(app: Dash) -> None:
    """Apply the headers, limits and request checks to every route of `app`'s Flask server."""
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    assets_prefix = app.get_asset_url("")
    hashes: dict[tuple[str, ...], list[str]] = {}

    @server.before_request
    def only_assets():
        if request.path.startswith(assets_prefix):
            name = request.path[len(assets_prefix) :]
            if "__pycache__" in name or not name.lower().endswith(ASSET_SUFFIXES) or "\x00" in name:
                abort(404)

    @server.before_request
    def body_within_limit():
        # A body sent without a Content-Length (chunked) is cut at the limit by werkzeug, silently:
        # one that reaches it is refused here rather than parsed truncated.
        chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
        if chunked and request.content_length is None and len(request.get_data()) >= MAX_BODY_BYTES:
            raise RequestEntityTooLarge()

    @server.before_request
    def dispatchable_callback():
        if request.path != CALLBACK_PATH or request.method != "POST":
            return
        if not request.is_json:
            raise BadRequest("a callback request must be application/json")
        try:
            check_text(request.get_data())
        except MalformedCallback as exc:
            raise BadRequest(str(exc)) from None
        try:
            body = request.get_json()  # parsed once: Dash's own get_json() reads this cached value
        except BadRequest:
            raise BadRequest("the body is not valid JSON") from None
        except RecursionError:
            raise BadRequest("the body nests too deep for a callback request") from None
        try:
            check_callback_body(body, app.callback_map)
        except MalformedCallback as exc:
            raise BadRequest(str(exc)) from None

    @server.after_request
    def headers(response: Response) -> Response:
        scripts = tuple(app.inline_scripts())
        if scripts not in hashes:
            hashes.clear()
            hashes[scripts] = [script_hash(script) for script in scripts]
        framers = frame_ancestors(request.path, server.config.get(EMBED_ORIGINS, ()))
        policy = content_security_policy(hashes[scripts], request.host, framers)
        response.headers["Content-Security-Policy"] = policy
        if request.path.startswith(EMBED_PREFIX):  # frame-ancestors decides; an X-Frame-Options would contradict it
            response.headers.pop("X-Frame-Options", None)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
        if response.status_code in (200, 304):
            response.headers["Cache-Control"] = cache_control(
                request.path, request.args, assets_prefix, request.method, "Authorization" in request.headers
            )
        else:
            response.headers["Cache-Control"] = "no-store"
        return response

    @server.errorhandler(dash.exceptions.DependencyException)
    def unknown_component_file(exc: dash.exceptions.DependencyException):
        """/_dash-component-suites/ paths that name no file of a registered package: a 404, not a 500."""
        return jsonify(error="no such component file"), 404

    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        """A short JSON error, never an HTML page or a traceback (413: the body is over the limit)."""
        if exc.code == 413:
            message = f"the request body is larger than the {MAX_BODY_BYTES // 1024} KiB limit"
        else:
            message = exc.description or exc.name
        return jsonify(error=message), exc.code
