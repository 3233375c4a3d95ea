"""Embeds: `/embed/card/<id>`, `/embed/compare` and `/embed/market`, each a page's chart alone (layouts/embed.py).

Each embed's layout is its page's own layout function read for the same query (so the same parameters
mean the same thing and bad ones get the same notice), cut down to the chart, its status and the
page's filter values; the page's callbacks draw it, with their first draw done here in the server, in
the scheme of the embed's `theme=` rather than the browser's cookie (which a cross-site frame does not
send). Who may frame them is CARDCHARTS_EMBED_ORIGINS (app/security.py `frame_ancestors`)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
import dash_mantine_components as dmc
from dash.development.base_component import Component
from flask import request
from sqlalchemy.exc import SQLAlchemyError

from app import first_layout, oembed
from app.bootstrap import Services
from app.security import EMBED_ORIGINS, EMBED_PREFIX
from callbacks import card as card_callbacks
from callbacks import compare as compare_callbacks
from callbacks import embed as embed_callbacks
from callbacks import market as market_callbacks
from callbacks.first_draw import FirstDraw
from callbacks.params import BadInput, card_id, scheme
from data.use_cases.cards import CardQueries
from layouts import card as card_layout
from layouts import compare as compare_layout
from layouts import embed
from layouts import market as market_layout
from layouts.filters import ignored

SITE = "CardCharts"
MAX_NAMED = 3  # printings an embedded comparison names in its title


class Embeds:
    """The embeds' layouts, and the names of what they show."""

    def __init__(self, cards: CardQueries, first_draw: FirstDraw) -> None:
        self.cards = cards
        self.first_draw = first_draw

    def _drawn(self, tree: Component, theme: str) -> Component:
        self.first_draw.draw(tree, {("color-scheme", "data"): theme})
        return tree

    def _name(self, raw: Any) -> str | None:
        """A card's name and set, e.g. Consider (MID); None for a bad or unknown id, or a database fault."""
        try:
            summary = self.cards.summary(card_id(raw))
        except (BadInput, SQLAlchemyError):
            return None
        return f"{summary['card']['name']} ({summary['card']['set_code'].upper()})" if summary else None

    def card(self, id: Any = None, theme: Any = "light", title: Any = "1", **query: Any) -> Component:
        scheme_, titled, notes = embed.own_options(theme, title)
        query.pop("id", None)  # the path names the card (a pushed URL repeats it in the query)
        page = card_layout.layout(id=id, **query)
        values = embed.components(page)
        name = self._name(id)
        heading = " · ".join(p for p in (name, values["card-range"].value, values["card-currency"].value) if p)
        market = values["card-market"].value  # options come with the card's details, which the embed does not draw
        hidden = embed.stand_ins(
            page,
            [*_ids(card_callbacks.URL_PARAMS), "live-channels", "card-detail-refresh", "card-history-refresh"],
            {"card-market": dmc.Select(id="card-market", data=[market], value=market)},
        )
        tree = embed.body(
            "card-history-graph",
            "card-status",
            heading if titled and name else None,
            (f"{SITE} · {name or 'card prices'}", self._full("/card", {"id": id, **query})),
            # card-header: read (with the range) to name the chart's PNG export (callbacks/chart_controls.py).
            [*hidden, embed.header_stand_in("card-header", name)],
            [ignored(notes), embed.notice(page)],
        )
        return self._drawn(tree, scheme_)

    def compare(self, theme: Any = "light", title: Any = "1", **query: Any) -> Component:
        scheme_, titled, notes = embed.own_options(theme, title)
        page = compare_layout.layout(**query)
        values = embed.components(page)
        names = [name for name in map(self._name, values["compare-ids"].data[:MAX_NAMED]) if name]
        more = len(values["compare-ids"].data) - len(names)
        named = ", ".join(names) + (f" and {more} more" if more > 0 and names else "")
        # compare-search: read by the page's options callback, which fires with compare-ids.
        hidden = embed.stand_ins(page, [*_ids(compare_callbacks.URL_PARAMS), "compare-refresh", "compare-search"])
        tree = embed.body(
            "compare-graph",
            "compare-status",
            f"Compare: {named} · {values['compare-range'].value}" if titled and named else None,
            (f"{SITE} · {named or 'compare printings'}", self._full("/compare", query)),
            hidden,
            [ignored(notes), embed.notice(page)],
        )
        return self._drawn(tree, scheme_)

    def market(self, theme: Any = "light", title: Any = "1", **query: Any) -> Component:
        scheme_, titled, notes = embed.own_options(theme, title)
        page = market_layout.layout(**query)
        values = embed.components(page)
        # market-volume-graph: its export name follows the market's currency (callbacks/chart_controls.py).
        extra = ["live-channels", "market-refresh", "market-collect-tick", "market-volume-graph"]
        hidden = embed.stand_ins(page, [*_ids(market_callbacks.URL_PARAMS), *extra])
        index = values["market-index"].value
        heading = f"Market index{'' if index == 'all' else f' ({index})'} · {values['market-range'].value}"
        tree = embed.body(
            "market-index-graph",
            "market-status",
            heading if titled else None,
            (f"{SITE} · market index", self._full("/", query)),
            [*hidden, embed.hidden_div("market-overview")],
            [ignored(notes), embed.notice(page)],
        )
        return self._drawn(tree, scheme_)

    @staticmethod
    def _full(path: str, query: dict[str, Any]) -> str:
        """The full page's URL for the embed's query (single values only: a repeated one was noted)."""
        kept = {name: value for name, value in query.items() if isinstance(value, str) and value != ""}
        return path + (f"?{urlencode(kept)}" if kept else "")

    def title_of(self, card: int | None, path: str) -> str:
        """What the page at `path` shows (oEmbed titles); LookupError for an unknown card."""
        if path == "/compare":
            return f"Compare printings · {SITE}"
        if card is None:
            return f"Market index · {SITE}"
        summary = self.cards.summary(card)
        if summary is None:
            raise LookupError(card)
        return card_layout.page_title(summary["card"])

    def title(self, id: Any = None, **_query: Any) -> str:
        name = self._name(id) if id is not None else None
        return f"{name} · {SITE}" if name else f"Card · {SITE}"


def _ids(params: dict[str, tuple[str, str]]) -> list[str]:
    """The component ids of a page's URL parameters (callbacks' URL_PARAMS)."""
    return [component for component, _prop in params.values()]


def register(app: dash.Dash, services: Services, first_draw: FirstDraw) -> Embeds:
    """Register the embed pages, the Embed buttons' callbacks, /oembed and the pages' discovery links,
    and the origins that may frame the embeds."""
    app.server.config[EMBED_ORIGINS] = services.settings.embed_frame_origins
    embeds = Embeds(services.card_queries, first_draw)
    common = {"loads": (first_layout.CHARTS,)}
    dash.register_page(
        "embed_card",
        path_template="/embed/card/<id>",
        name="Card embed",
        title=embeds.title,
        description="A card's price history, embedded.",
        layout=embeds.card,
        **common,
    )
    dash.register_page(
        "embed_compare",
        path="/embed/compare",
        name="Compare embed",
        title=f"Compare · {SITE}",
        description="Printings' prices on one chart, embedded.",
        layout=embeds.compare,
        **common,
    )
    dash.register_page(
        "embed_market",
        path="/embed/market",
        name="Market embed",
        title=f"Market · {SITE}",
        description="The market index, embedded.",
        layout=embeds.market,
        **common,
    )
    embed_callbacks.register(app)
    oembed.register(app.server, embeds.title_of)
    _install_discovery(app, embeds)
    return embeds


def _install_discovery(app: dash.Dash, embeds: Embeds) -> None:
    """Each page with a chart names its oEmbed URL in its head."""
    build = app.interpolate_index

    def interpolate_index(**parts: Any) -> str:
        if request.path in oembed.PAGES:
            try:
                card = card_id(request.args.get("id")) if request.path == "/card" else None
                named = embeds.title_of(card, request.path)
            except (BadInput, LookupError, SQLAlchemyError):
                named = None
            if named is not None:
                parts["metas"] += "\n" + oembed.discovery_link(named)
        return build(**parts)

    app.interpolate_index = interpolate_index


def frame(app: dash.Dash) -> Component | None:
    """The bare frame, holding its page, when the layout is asked for by an embed (the layout request's
    Referer, app/first_layout.py); None otherwise, for the app's own shell."""
    opened = first_layout.opened_url()
    if opened is None or not opened[0].startswith(EMBED_PREFIX):
        return None
    try:
        theme = dict(parse_qsl(opened[1].lstrip("?"), max_num_fields=64)).get("theme")
    except ValueError:  # too many parameters: the page's notice says what it ignored
        theme = None
    return embed.frame(scheme(theme if theme in embed.SCHEMES else None), first_layout.page_container(app))
