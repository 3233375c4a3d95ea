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

from data.domain import Condition, Finish, IdentityKind, Language, PriceObservation, Rejected
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
            self._token = answer["access_token"]
            self._expires = time.monotonic() + float(answer.get("expires_in", 3600)) - 300
        return {"Authorization": f"bearer {self._token}", "Accept": "application/json"}

    def results(self, path: str, ids: Iterable[int], **params: Any) -> Iterator[dict[str, Any]]:
        ids = list(ids)
        for start in range(0, len(ids), BATCH):
            chunk = ",".join(str(i) for i in ids[start : start + BATCH])
            response = self.fetcher.request(
                "GET", f"{API}/{VERSION}/{path}/{chunk}", headers=self._headers(), params=params
            )
            if response.status_code == 404:  # TCGplayer's way of saying "no results"
                continue
            response.raise_for_status()
            yield from response.json().get("results") or []


def read(client: TcgplayerClient, products: dict[int, bool], as_of: datetime) -> Iterator[PriceObservation | Rejected]:
    """Prices of every SKU of these products ({productId: is the etched product})."""
    skus: dict[int, dict[str, Any]] = {}
    for product in client.results("catalog/products", products, includeSkus="true"):
        for sku in product.get("skus") or []:
            skus[int(sku["skuId"])] = sku
    for row in client.results("pricing/sku", skus):
        sku = skus.get(int(row["skuId"]))
        if sku is None:
            continue
        where = f"tcgplayer sku {row['skuId']}"
        condition = CONDITIONS.get(int(sku.get("conditionId") or 0))
        language = LANGUAGES.get(int(sku.get("languageId") or 0))
        finish = PRINTINGS.get(int(sku.get("printingId") or 0))
        if condition is None or language is None or finish is None:
            yield Rejected(where, "condition, language or printing outside the stored enums")
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
        product = int(sku["productId"])
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
