"""write(): holdings to one app's CSV text, in exactly that app's header and value spellings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from data.collection_formats import values
from data.collection_formats.errors import CollectionFileError
from data.collection_formats.formats import FORMATS
from data.collection_formats.spec import Holding
from data.domain import Condition, Finish, Language, is_uuid


def write(format: str, holdings: Iterable[Mapping[str, Any]]) -> str:
    """Holdings (dicts with name, set_code, set_name, collector_number, scryfall_id, quantity, finish,
    condition, language, price, currency, acquired_on, notes) as `format`'s CSV. A holding that cannot
    be written (a bad value, a language the app lacks) raises CollectionFileError naming it; nothing is
    returned then."""
    app = FORMATS.get(format)
    if app is None:
        raise CollectionFileError(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    checked = [_holding(index, raw) for index, raw in enumerate(holdings, start=1)]
    try:
        return app.write(checked)
    except ValueError as error:  # a value the app has no spelling for
        raise CollectionFileError(f"cannot write {app.label}: {error}") from None


def _holding(index: int, raw: Mapping[str, Any]) -> Holding:
    def fail(key: str, why: str) -> CollectionFileError:
        return CollectionFileError(f"holding {index}: {key} {why}")

    if not isinstance(raw, Mapping):
        raise CollectionFileError(f"holding {index} is not a mapping")
    texts = {}
    for key in ("name", "set_code", "set_name", "collector_number", "notes"):
        value = raw.get(key) or ""
        if not isinstance(value, str):
            raise fail(key, "is not text")
        texts[key] = value.strip()
    for key in ("name", "set_code", "collector_number"):
        if not texts[key]:
            raise fail(key, "is missing")
    quantity = raw.get("quantity")
    if type(quantity) is not int or not 1 <= quantity <= values.QUANTITY_MAX:
        raise fail("quantity", f"must be a whole number from 1 to {values.QUANTITY_MAX:,}")
    price = raw.get("price")
    if price is not None and (not isinstance(price, Decimal | int) or isinstance(price, bool) or not price >= 0):
        raise fail("price", "must be a non-negative Decimal or None")
    if price is not None and price > values.PRICE_MAX:
        raise fail("price", f"is above {values.PRICE_MAX:,}")
    currency = raw.get("currency")
    if currency is not None and not (isinstance(currency, str) and len(currency) == 3 and currency.isalpha()):
        raise fail("currency", "must be a 3-letter code or None")
    acquired = raw.get("acquired_on")
    if isinstance(acquired, datetime):
        acquired = acquired.date()
    if acquired is not None and not isinstance(acquired, date):
        raise fail("acquired_on", "must be a date or None")
    scryfall_id = raw.get("scryfall_id") or None
    if scryfall_id is not None and not is_uuid(scryfall_id):
        raise fail("scryfall_id", "is not a UUID")
    try:
        finish = _enum(Finish, raw.get("finish", Finish.NONFOIL))
        condition = _enum(Condition, raw.get("condition", Condition.NEAR_MINT))
        language = _enum(Language, raw.get("language", Language.ENGLISH))
    except ValueError as error:
        raise CollectionFileError(f"holding {index}: {error}") from None
    return Holding(
        name=texts["name"],
        set_code=texts["set_code"],
        set_name=texts["set_name"],
        collector_number=texts["collector_number"],
        scryfall_id=scryfall_id.lower() if scryfall_id else None,
        quantity=quantity,
        finish=finish,
        condition=condition,
        language=language,
        price=None if price is None else Decimal(price),
        currency=currency.upper() if currency else None,
        acquired_on=acquired,
        notes=texts["notes"],
    )


def _enum(kind: type, value: object) -> Any:
    if isinstance(value, kind):
        return value
    if isinstance(value, str):
        return kind.parse(value)
    raise ValueError(f"{kind.__name__.lower()} {value!r:.40} is not a {kind.__name__}")
