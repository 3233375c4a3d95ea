"""TCGplayer's API (v1.39.0), used only when credentials are configured.

Prices per SKU: a SKU is one (product, condition, language, printing). Etched
printings are separate products (Scryfall's `tcgplayer_etched_id`). Every
endpoint answers {"success", "errors", "results"}; batches take at most 250 ids;
an empty result may come back as a 404. No price is ever a real 0.
Stored tiers: price = marketPrice (else the lowest listing), low = lowPrice,
market = marketPrice.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from data.domain import Condition, Finish, IdentityKind, Language, MalformedInput, PriceObservation, Rejected
from workers.http import Fetcher
from workers.sources.prices import BadPrice, price

SOURCE = "tcgplayer"
API = "https://api.tcgplayer.com"
VERSION = "v1.39.0"
BATCH = 250

# conditionId 6 is "Unopened": sealed product, not a single card.
CONDITIONS = {
    1: Condition.NEAR_MINT,
    2: Condition.LIGHTLY_PLAYED,
    3: Condition.MODERATELY_PLAYED,
    4: Condition.HEAVILY_PLAYED,
    5: Condition.DAMAGED,
}
LANGUAGES = {
    1: Language.ENGLISH,
    2: Language.CHINESE_SIMPLIFIED,
    3: Language.CHINESE_TRADITIONAL,
    4: Language.FRENCH,
    5: Language.GERMAN,
    6: Language.ITALIAN,
    7: Language.JAPANESE,
    8: Language.KOREAN,
    9: Language.PORTUGUESE,
    10: Language.RUSSIAN,
    11: Language.SPANISH,
}
PRINTINGS = {1: Finish.NONFOIL, 2: Finish.FOIL}


class TcgplayerClient:
    def __init__(self, fetcher: Fetcher, public_key: str, private_key: str) -> None:
        self.fetcher = fetcher
        self.public_key = public_key
        self.private_key = private_key
        self._token: str | None = None
        self._expires = 0.0

    def _headers(self) -> dict[str, str]:
        if self._token is None or time.monotonic() > self._expires:
            answer = self.fetcher.json(
                "POST",
                f"{API}/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.public_key,
                    "client_secret": self.private_key,
                },
            )
            answer = answer if isinstance(answer, dict) else {}
            token, expires_in = answer.get("access_token"), answer.get("expires_in", 3600)
            if not isinstance(token, str) or not isinstance(expires_in, int | float):
                raise MalformedInput("TCGplayer's token answer has no access_token or expires_in")
            self._token = token
            self._expires = time.monotonic() + min(float(expires_in), 14 * 86400) - 300
        return {"Authorization": f"bearer {self._token}", "Accept": "application/json"}

    def results(self, path: str, ids: Iterable[int], **params: Any) -> Iterator[Any]:
        ids = list(ids)
        for start in range(0, len(ids), BATCH):
            chunk = ",".join(str(i) for i in ids[start : start + BATCH])
            response = self.fetcher.request(
                "GET", f"{API}/{VERSION}/{path}/{chunk}", stream=True, headers=self._headers(), params=params
            )
            if response.status_code == 404:  # TCGplayer's way of saying "no results"
                response.close()
                continue
            answer = self.fetcher.parse_json(response)
            results = answer.get("results") if isinstance(answer, dict) else None
            yield from results if isinstance(results, list) else []


def _id(value: Any) -> int | None:
    """An id from the API (a number, or its digits as text); None for anything else."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    return value if type(value) is int else None


def read(client: TcgplayerClient, products: dict[int, bool], as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    """Prices of every SKU of these products ({productId: is the etched product})."""
    skus: dict[int, dict[str, Any]] = {}
    for product in client.results("catalog/products", products, includeSkus="true"):
        listed = product.get("skus") if isinstance(product, dict) else None
        for sku in listed if isinstance(listed, list) else []:
            if isinstance(sku, dict) and (sku_id := _id(sku.get("skuId"))) is not None:
                skus[sku_id] = sku
    for row in client.results("pricing/sku", skus):
        sku = skus.get(_id(row.get("skuId"))) if isinstance(row, dict) else None
        if sku is None:
            continue
        where = f"tcgplayer sku {row['skuId']}"
        condition = CONDITIONS.get(_id(sku.get("conditionId")))
        language = LANGUAGES.get(_id(sku.get("languageId")))
        finish = PRINTINGS.get(_id(sku.get("printingId")))
        product = _id(sku.get("productId"))
        if condition is None or language is None or finish is None or product is None:
            yield Rejected(where, "condition, language, printing or product outside the stored values")
            continue
        try:
            market = price(row.get("marketPrice"), zero_is_missing=True)
            low = price(row.get("lowPrice"), zero_is_missing=True)
            listing = price(row.get("lowestListingPrice"), zero_is_missing=True)
        except BadPrice as exc:
            yield Rejected(where, str(exc).split(":")[0])
            continue
        headline = market or listing or low
        if headline is None:
            continue
        etched = products.get(product, False)
        yield PriceObservation(
            identity=IdentityKind.TCGPLAYER_ETCHED_PRODUCT_ID if etched else IdentityKind.TCGPLAYER_PRODUCT_ID,
            key=str(product),
            marketplace="tcgplayer",
            time=as_of,
            price=headline,
            price_low=low,
            price_market=market,
            currency="USD",
            condition=condition,
            language=language,
            finish=Finish.ETCHED if etched else finish,
        )
