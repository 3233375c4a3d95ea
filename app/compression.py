"""Smaller responses: compressed bodies, and the lighter plotly.js bundle.

Every text response (HTML, JavaScript, CSS, JSON callback answers) over 500 bytes goes out
brotli- or gzip-compressed, whichever the browser prefers (flask-compress). Brotli quality 6
compresses the 4.8 MB full plotly.js to 1.27 MB in 0.3 s; quality 11 saves 0.15 MB more but
takes 23 s, far too slow for the first request. Static files (component suites, assets) are
compressed once per process and kept: there are a few dozen of them, their compressed size
is a few megabytes. Callback answers are compressed per response and never kept.

Two of Dash's files are answered with lighter ones that do the same job for us (`SUBSTITUTES`):
- dcc.Graph loads plotly.js itself, from the fixed URL PLOTLY_URL, only once a graph is on the
  page. We answer it with plotly.js's official basic partial bundle (scatter, bar, pie: every
  trace callbacks/figures.py draws), 1.2 MB instead of 4.8 MB.
- Dash puts @babel/polyfill 7 (core-js 2 and regenerator-runtime) before React. Of it, the
  component bundles use only the global `regeneratorRuntime` (their lazy-loading helper); the
  ES2015-2017 features core-js adds are native in every browser that runs React 18. We answer it
  with regenerator-runtime alone: running core-js's feature checks took 130 to 200 ms of every
  page load's main thread.
"""

from __future__ import annotations

import hashlib
import threading
from functools import cache
from importlib.resources import files

import dash
from flask import Response, request
from flask_compress import Compress

# Where Dash's renderer fetches plotly.js from when serving locally (dash-renderer's Graph loader).
PLOTLY_URL = "_dash-component-suites/plotly/package_data/plotly.min.js"
# Dash's polyfill URL, up to its fingerprint (".v4_4_1m1712345.12.1.min.js").
POLYFILL_URL = "_dash-component-suites/dash/deps/polyfill@7."
# The start of a URL (after the app's prefix) and the app/vendor file answering it.
SUBSTITUTES = {PLOTLY_URL: "plotly-basic.min.js", POLYFILL_URL: "regenerator-runtime.js"}
STATIC_PREFIXES = ("/_dash-component-suites/", "/assets/")
MIMETYPES = [
    "text/html",
    "text/css",
    "text/plain",
    "text/csv",
    "text/javascript",
    "application/javascript",
    "application/json",
    "image/svg+xml",
]


class _StaticCache:
    """flask-compress's cache, holding only static files' compressed bodies (keys from `_cache_key`)."""

    def __init__(self) -> None:
        self._bodies: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        return self._bodies.get(key)

    def set(self, key: str, value: bytes) -> None:
        if not key.endswith(";"):  # a dynamic response: its key is empty
            with self._lock:
                self._bodies[key] = value


def _cache_key(req) -> str:
    """A static file's full path and query (its fingerprint); '' for everything else."""
    if req.method == "GET" and req.path.startswith(STATIC_PREFIXES):
        return req.full_path
    return ""


@cache
def vendored(name: str) -> tuple[bytes, str]:
    """An app/vendor file and its ETag."""
    body = files("app.vendor").joinpath(name).read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:32]


def compress(app: dash.Dash) -> None:
    """Compress `app`'s responses and serve the lighter substitutes (call once, where the app is built)."""
    server = app.server
    prefix = app.config.requests_pathname_prefix
    substitutes = {prefix + start: name for start, name in SUBSTITUTES.items()}

    @server.before_request
    def substitute():
        name = next((name for start, name in substitutes.items() if request.path.startswith(start)), None)
        if name is None:
            return None
        body, etag = vendored(name)
        response = Response(body, mimetype="application/javascript")
        response.set_etag(etag)
        return response.make_conditional(request)

    server.config.update(
        COMPRESS_MIMETYPES=MIMETYPES,
        COMPRESS_ALGORITHM=["br", "gzip"],
        COMPRESS_BR_LEVEL=6,
        COMPRESS_LEVEL=6,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_CACHE_BACKEND=_StaticCache,
        COMPRESS_CACHE_KEY=_cache_key,
        COMPRESS_STREAMS=False,
    )
    Compress(server)
