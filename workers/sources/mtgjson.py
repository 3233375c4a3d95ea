"""MTGJSON v5: AllPrices (90 days) / AllPricesToday, and identity files.

Prices: {"meta": {"date"}, "data": {uuid: {"paper": {provider: {"retail"|"buylist":
{"normal"|"foil"|"etched": {"YYYY-MM-DD": number}}, "currency"}}, "mtgo":
{"cardhoarder": ...}}}} (mtgjson.com/data-models/price). Empty maps are normal.
A buylist is its own marketplace series (`<provider>-buylist`). MTGO prices are
in tix whatever the file's currency says. Identities come from AllIdentifiers,
AllPrintings or per-set files: uuid -> Scryfall id. A file without a single price
(or identity) is not an MTGJSON price (or identifiers) file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from contextlib import suppress
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from data.domain import (
    _CURRENCY,
    FUTURE_SLACK,
    MAGIC_EPOCH,
    MARKETPLACES,
    Finish,
    IdentityKind,
    PriceObservation,
    Rejected,
    is_uuid,
)
from data.staged import MTGJSON_PRICES, StagedPrices, StagedSeries
from workers.sources.files import (
    Unsupported,
    json_kvitems,
    json_paths,
    json_raw_members,
    json_value,
    of_format,
    stated_time,
)
from workers.sources.prices import MAX_PRICE, BadPrice, price

SOURCE = "mtgjson"
FORMATS = ("paper", "mtgo")
FINISHES = {"normal": Finish.NONFOIL, "foil": Finish.FOIL, "etched": Finish.ETCHED}


def file_date(path: Path) -> datetime | None:
    meta = json_value(path, "meta")
    return stated_time(path, "meta.date", meta.get("date")) if isinstance(meta, dict) else None


def read(path: Path) -> Iterator[PriceObservation | Rejected]:
    """One observation per (uuid, provider, retail/buylist, finish, date) price."""
    return of_format(_read(path), f"{path}: not an MTGJSON price file (not one price under 'data')")


def read_staged(path: Path, now: datetime | None = None) -> Iterator[StagedPrices | PriceObservation | Rejected]:
    """The same prices and rejections as `read`, each entry that needs no row-by-row look as
    one StagedPrices (its raw JSON), the rest of it as observations and rejections."""
    return of_format(
        _read_staged(path, now or datetime.now(UTC)), f"{path}: not an MTGJSON price file (not one price under 'data')"
    )


def _read(path: Path, first: int = 0) -> Iterator[PriceObservation | Rejected]:
    for index, (uuid, formats) in enumerate(json_kvitems(path, "data")):
        if index >= first:
            yield from _entry(path, uuid, formats)


def _entry(path: Path, uuid: str, formats: Any, fast: _Fast | None = None) -> Iterator[Any]:
    """An entry's observations and rejections, in file order; with `fast`, the series that need
    no row-by-row look are gathered there instead."""
    where = f"{path} data.{uuid[:40]}"
    if not isinstance(formats, dict) or not set(formats) <= set(FORMATS):
        yield Rejected(where, "not a price entry (an object of paper and mtgo prices)")
        return
    if not is_uuid(uuid):
        yield Rejected(where, "uuid is not a UUID")
        return
    for fmt, providers in formats.items():
        if not isinstance(providers, dict):
            yield Rejected(f"{where}.{fmt}", "providers are not an object")
            continue
        for provider, lists in providers.items():
            yield from _provider(f"{where}.{fmt}.{provider[:40]}", uuid, fmt, provider, lists, fast)


def _provider(
    where: str, uuid: str, fmt: str, provider: str, lists: Any, fast: _Fast | None = None
) -> Iterator[PriceObservation | Rejected]:
    if provider not in MARKETPLACES:
        yield Rejected(where, f"unknown provider {provider[:40]!r}")
        return
    if not isinstance(lists, dict):
        yield Rejected(where, "provider prices are not an object")
        return
    stated = lists.get("currency")
    currency = "TIX" if fmt == "mtgo" else str(stated or MARKETPLACES[provider].currency)[:8]
    if fast is not None and not fast.takes(fmt, provider, stated):
        fast.skip.append(f"{fmt}/{provider}")  # the whole provider row by row
        fast = None
    for side in ("retail", "buylist"):
        slug = provider if side == "retail" else f"{provider}-buylist"
        finishes = lists.get(side) or {}
        if not isinstance(finishes, dict):
            yield Rejected(f"{where}.{side}", "finishes are not an object")
            continue
        for finish_name, points in finishes.items():
            finish = FINISHES.get(finish_name)
            if finish is None:
                yield Rejected(f"{where}.{side}.{finish_name[:40]}", "unknown finish")
                continue
            if not isinstance(points, dict):
                yield Rejected(f"{where}.{side}.{finish_name}", "prices are not an object of dates")
                continue
            if fast is not None:
                if fast.series((fmt, provider, side, finish_name), slug, finish, currency, points):
                    continue
                fast.skip.append(f"{fmt}/{provider}/{side}/{finish_name}")
            yield from _points(f"{where}.{side}.{finish_name}", uuid, slug, finish, currency, points)


def _points(
    where: str, uuid: str, slug: str, finish: Finish, currency: str, points: dict
) -> Iterator[PriceObservation | Rejected]:
    for day, value in points.items():
        try:
            amount = price(value)
            moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
        except (BadPrice, ValueError) as exc:
            yield Rejected(f"{where}.{day[:40]}", str(exc).split(":")[0])
            continue
        if amount is not None:
            yield PriceObservation(
                identity=IdentityKind.MTGJSON_UUID,
                key=uuid,
                marketplace=slug,
                time=moment,
                price=amount,
                # MTGJSON's TCGplayer retail price is TCGplayer's market price.
                price_market=amount if slug == "tcgplayer" else None,
                currency=currency,
                finish=finish,
            )


# -- the bulk path: entries whose every price is plain, as raw JSON for the store to expand --

# Providers the store expands itself. A `<shop>-buylist` provider's retail series would share
# its marketplace with `<shop>`'s buylist: row by row, as the per-row path keeps them apart.
_STAGED_PROVIDERS = frozenset(slug for slug in MARKETPLACES if not slug.endswith("-buylist"))
_NUMBERS = frozenset({Decimal, int})
_NUMBERS_OR_NULL = frozenset({Decimal, int, type(None)})
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class _Days:
    """Date keys as instants, each read once per file (a file repeats the same 90 dates)."""

    def __init__(self, now: datetime) -> None:
        self.latest = now + FUTURE_SLACK - timedelta(hours=1)  # the run's own check has the final word
        self.moments: dict[str, datetime | None] = {}

    def moment(self, day: str) -> datetime | None:
        """The instant of a plain YYYY-MM-DD day, None for any other text."""
        if day not in self.moments:
            moment = None
            if _DAY.fullmatch(day):
                with suppress(ValueError):
                    moment = datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC)
            self.moments[day] = moment
        return self.moments[day]

    def plain(self, days: Iterable[str], priced: Iterable[str]) -> bool:
        """Every key a plain day (the per-row path reads each key, priced or not), and every
        priced one a possible time of a price."""
        moment = self.moment
        if any(moment(day) is None for day in days):
            return False
        return all(MAGIC_EPOCH <= moment(day) <= self.latest for day in priced)


class _Fast:
    """One entry's series that the store can expand: every value a number in range, every day plain."""

    def __init__(self, days: _Days) -> None:
        self.days = days
        self.skip: list[str] = []
        self.leaves: list[tuple[str, str, str, str]] = []
        self.series_: list[StagedSeries] = []
        self.rows = 0
        self.times: set[datetime] = set()

    @staticmethod
    def takes(fmt: str, provider: str, stated: Any) -> bool:
        if provider not in _STAGED_PROVIDERS:
            return False
        # A currency the store reads as the per-row path does: absent, null, "" or a valid code.
        return (
            fmt == "mtgo"
            or stated is None
            or (type(stated) is str and (not stated or bool(_CURRENCY.fullmatch(stated))))
        )

    def series(self, leaf: tuple[str, str, str, str], slug: str, finish: Finish, currency: str, points: dict) -> bool:
        """Take one series (True), or leave it to the per-row path (False)."""
        kinds = set(map(type, points.values()))
        if kinds <= _NUMBERS:
            priced = points
        elif kinds <= _NUMBERS_OR_NULL:
            priced = {day: value for day, value in points.items() if value is not None}
        else:
            return False
        if priced:
            values = priced.values()
            if min(values) < 0 or max(values) > MAX_PRICE:
                return False
        if not self.days.plain(points, priced):
            return False
        if not priced:
            return True  # nothing to store, nothing to reject
        newest = max(priced)  # plain days sort as dates
        amount = price(priced[newest])
        moment = self.days.moment
        self.leaves.append(leaf)
        self.rows += len(priced)
        self.times.update(moment(day) for day in priced)
        self.series_.append(
            StagedSeries(slug, finish, moment(newest), amount, amount if slug == "tcgplayer" else None, currency)
        )
        return True


def _read_staged(path: Path, now: datetime) -> Iterator[StagedPrices | PriceObservation | Rejected]:
    days = _Days(now)
    done = 0
    try:
        for uuid, raw, formats in json_raw_members(path, "data"):
            fast = _Fast(days)
            yield from _entry(path, uuid, formats, fast)
            if fast.rows:
                leaves = tuple(fast.leaves)
                yield StagedPrices(
                    layout=MTGJSON_PRICES,
                    identity=IdentityKind.MTGJSON_UUID,
                    key=uuid,
                    raw=raw,
                    rows=fast.rows,
                    times=frozenset(fast.times),
                    series=tuple(fast.series_),
                    skip=tuple(fast.skip),
                    expand=partial(_expand, path, uuid, raw, leaves),
                )
            done += 1
    except Unsupported as stop:
        # From here on the careful reader, which reads (or refuses) anything exactly as it always has.
        yield from _read(path, first=stop.member)


def _expand(path: Path, uuid: str, raw: str, leaves: tuple[tuple[str, str, str, str], ...]) -> Iterator[Any]:
    """A staged entry's prices as observations, as the per-row path reads them."""
    formats = json.loads(raw, parse_float=Decimal)
    where = f"{path} data.{uuid[:40]}"
    for fmt, provider, side, finish_name in leaves:
        lists = formats[fmt][provider]
        slug = provider if side == "retail" else f"{provider}-buylist"
        currency = "TIX" if fmt == "mtgo" else str(lists.get("currency") or MARKETPLACES[provider].currency)[:8]
        points = lists[side][finish_name]
        yield from _points(
            f"{where}.{fmt}.{provider[:40]}.{side}.{finish_name}", uuid, slug, FINISHES[finish_name], currency, points
        )


# Where each identity file keeps its printings: AllIdentifiers {uuid: {identifiers}},
# AllPrintings {set: {cards: [...]}}, a per-set file {cards: [...]}.
_IDENTITY_PATHS = ("data.*.identifiers", "data.*.cards.item", "data.cards.item")


def read_identities(path: Path) -> Iterator[tuple[str, str] | Rejected]:
    """(MTGJSON uuid, Scryfall id) from AllIdentifiers, AllPrintings or a per-set file."""
    refusal = f"{path}: not an MTGJSON identifiers file (AllIdentifiers, AllPrintings or a set file)"
    return of_format(_read_identities(path), refusal)


def _read_identities(path: Path) -> Iterator[tuple[str, str] | Rejected]:
    for trail, value in json_paths(path, _IDENTITY_PATHS):
        if trail[-1] == "identifiers":
            uuid, identifiers = trail[1], value
        elif isinstance(value, dict):
            uuid, identifiers = value.get("uuid"), value.get("identifiers")
        else:
            continue
        if not isinstance(identifiers, dict):
            continue
        scryfall_id = identifiers.get("scryfallId")
        if uuid and scryfall_id:
            if is_uuid(uuid) and is_uuid(scryfall_id):
                yield uuid, scryfall_id
            else:
                yield Rejected(f"{path} {'.'.join(trail)[:80]}", "uuid or scryfallId is not a UUID")
