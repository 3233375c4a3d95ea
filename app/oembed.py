"""oEmbed (https://oembed.com): `GET /oembed?url=<page url>&format=json` answers a `rich` object whose
html is the page's embed in an iframe; each page names that URL in its head (`discovery_link`), so a
blog engine pasted a page's address finds the embed by itself.

A URL of another host, or of no page with a chart, is a 404; a malformed request a 400; `format=xml`
a 501 (JSON only). Always a short JSON answer, never a 500."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from flask import Flask, Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from layouts.embed import HEIGHT, PROVIDER, WIDTH, iframe_html

ROUTE = "/oembed"
MAX_URL = 2048
MAX_SIZE = 10_000  # px: a maxwidth or maxheight beyond it is not a size anyone means
_ID = re.compile(r"[1-9][0-9]{0,17}")
# The full pages that have an embed, by path, and the path of their embed.
PAGES = {"/": "/embed/market", "/card": "/embed/card", "/compare": "/embed/compare"}


class NoEmbed(LookupError):
    """The URL names no page of ours that has an embed."""


class BadRequest(ValueError):
    """The oEmbed request itself is malformed."""


def embed_path(path: str, query: list[tuple[str, str]]) -> tuple[str, str, int | None]:
    """The embed of the page at `path` with `query`: its path and query string, and the card id of a
    card page. The page's parameters carry over as they are: the embed reads them as the page does."""
    if path not in PAGES:
        raise NoEmbed(f"no page with a chart at {path[:80]}")
    card = None
    embed = PAGES[path]
    if path == "/card":
        ids = [value for name, value in query if name == "id"]
        if len(ids) != 1 or not _ID.fullmatch(ids[0]):
            raise NoEmbed("a card page URL names one card: /card?id=<card id>")
        card = int(ids[0])
        embed += f"/{card}"
        query = [(name, value) for name, value in query if name != "id"]
    return embed, urlencode(query), card


def _size(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIZE:
        raise BadRequest(f"{name} must be a whole number of pixels from 1 to {MAX_SIZE}")
    return min(default, int(raw))


def answer(title_of: Callable[[int | None, str], str]) -> tuple[dict[str, Any], int]:
    """The oEmbed answer to the current request and its status. `title_of(card_id, path)` names the
    page (LookupError: no such card)."""
    try:
        url = request.args.get("url")
        if not url:
            raise BadRequest("url is required: /oembed?url=<the address of a CardCharts page>")
        if len(url) > MAX_URL or any(ord(c) < 32 for c in url):
            raise BadRequest(f"url must be a printable address of at most {MAX_URL} characters")
        wanted = request.args.get("format", "json")
        if wanted == "xml":
            return {"error": "only format=json is served"}, 501
        if wanted != "json":
            raise BadRequest("format must be json")
        width, height = _size("maxwidth", WIDTH), _size("maxheight", HEIGHT)
        try:
            parts = urlsplit(url)
            port_ok = parts.port is None or parts.port > 0
        except ValueError:
            raise BadRequest("url is not a valid address") from None
        if parts.scheme not in ("http", "https") or not parts.netloc or not port_ok:
            raise BadRequest("url must be an http or https address")
        if parts.netloc.lower() != request.host.lower():
            raise NoEmbed("url is not on this site")
        path, query, card = embed_path(parts.path or "/", _pairs(parts.query))
        title = title_of(card, parts.path or "/")
    except BadRequest as exc:
        return {"error": str(exc)}, 400
    except NoEmbed as exc:
        return {"error": str(exc)}, 404
    except LookupError:
        return {"error": "no such card"}, 404
    except SQLAlchemyError:
        return {"error": "the database is unavailable; try again shortly"}, 503
    src = f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "")
    return {
        "type": "rich",
        "version": "1.0",
        "title": title,
        "provider_name": PROVIDER,
        "provider_url": f"{parts.scheme}://{parts.netloc}/",
        "html": iframe_html(src, title, width, height),
        "width": width,
        "height": height,
    }, 200


def _pairs(query: str) -> list[tuple[str, str]]:
    try:
        return parse_qsl(query, keep_blank_values=True, max_num_fields=64)
    except ValueError:
        raise BadRequest("url has too many query parameters") from None


def discovery_link(title: str) -> str:
    """The <link> naming the current page's oEmbed URL (in its head), or "" on a page without an embed."""
    if request.path not in PAGES:
        return ""
    href = request.host_url.rstrip("/") + ROUTE + "?" + urlencode({"url": request.url, "format": "json"})
    return (
        f'<link rel="alternate" type="application/json+oembed" href="{escape(href, quote=True)}"'
        f' title="{escape(title, quote=True)}">'
    )


def register(server: Flask, title_of: Callable[[int | None, str], str]) -> None:
    @server.get(ROUTE)
    def oembed() -> tuple[Response, int]:
        body, status = answer(title_of)
        return jsonify(body), status
