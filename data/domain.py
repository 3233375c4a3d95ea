"""The vocabulary of card prices. Pure Python: imports nothing from the project."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal


class Condition(enum.StrEnum):
    """Values of the `card_condition` enum, in the design's order (best first)."""

    MINT = "MINT"
    NEAR_MINT = "NEAR_MINT"
    LIGHTLY_PLAYED = "LIGHTLY_PLAYED"
    MODERATELY_PLAYED = "MODERATELY_PLAYED"
    HEAVILY_PLAYED = "HEAVILY_PLAYED"
    DAMAGED = "DAMAGED"

    @property
    def code(self) -> str:
        return CONDITION_CODES[self]

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Accept the enum name or its short code (NM, LP, ...), in any case."""
        key = text.strip().upper()
        for condition, code in CONDITION_CODES.items():
            if key in (condition.value, code):
                return condition
        codes = ", ".join(CONDITION_CODES.values())
        raise ValueError(f"unknown condition {text!r}; use one of {codes}")


CONDITION_CODES = {
    Condition.MINT: "M",
    Condition.NEAR_MINT: "NM",
    Condition.LIGHTLY_PLAYED: "LP",
    Condition.MODERATELY_PLAYED: "MP",
    Condition.HEAVILY_PLAYED: "HP",
    Condition.DAMAGED: "DMG",
}


class Language(enum.StrEnum):
    """Values of the `card_language` enum; `code` is Scryfall's language code."""

    ENGLISH = "English"
    JAPANESE = "Japanese"
    GERMAN = "German"
    FRENCH = "French"
    ITALIAN = "Italian"
    SPANISH = "Spanish"
    PORTUGUESE = "Portuguese"
    KOREAN = "Korean"
    CHINESE_SIMPLIFIED = "Chinese Simplified"
    CHINESE_TRADITIONAL = "Chinese Traditional"
    RUSSIAN = "Russian"
    PHYREXIAN = "Phyrexian"

    @property
    def code(self) -> str:
        return LANGUAGE_CODES[self]

    @classmethod
    def parse(cls, text: str) -> Language:
        """Accept the enum value or Scryfall's code (en, ja, zhs, ph...)."""
        key = text.strip().lower()
        for language, code in LANGUAGE_CODES.items():
            if key in (language.value.lower(), code):
                return language
        codes = ", ".join(LANGUAGE_CODES.values())
        raise ValueError(f"unknown language {text!r}; use one of {codes}")


LANGUAGE_CODES = {
    Language.ENGLISH: "en",
    Language.JAPANESE: "ja",
    Language.GERMAN: "de",
    Language.FRENCH: "fr",
    Language.ITALIAN: "it",
    Language.SPANISH: "es",
    Language.PORTUGUESE: "pt",
    Language.KOREAN: "ko",
    Language.CHINESE_SIMPLIFIED: "zhs",
    Language.CHINESE_TRADITIONAL: "zht",
    Language.RUSSIAN: "ru",
    Language.PHYREXIAN: "ph",
}


class Finish(enum.StrEnum):
    """A printing's surface. Foil and etched are distinct price series."""

    NONFOIL = "nonfoil"
    FOIL = "foil"
    ETCHED = "etched"

    @property
    def is_foil(self) -> bool:
        return self is not Finish.NONFOIL

    @classmethod
    def parse(cls, text: str) -> Finish:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValueError(f"unknown finish {text!r}; use nonfoil, foil or etched") from None


class MarketplaceKind(enum.StrEnum):
    RETAIL = "retail"
    BUYLIST = "buylist"


class Resolution(enum.Enum):
    """How finely a series is read: raw snapshots or a rollup bucket width."""

    RAW = None
    MIN30 = timedelta(minutes=30)
    HOUR = timedelta(hours=1)
    DAY = timedelta(days=1)


@dataclass(frozen=True)
class TimeRange:
    """A named chart range. `span` None means all history."""

    name: str
    span: timedelta | None


RANGES: dict[str, TimeRange] = {
    r.name: r
    for r in (
        TimeRange("24h", timedelta(hours=24)),
        TimeRange("7d", timedelta(days=7)),
        TimeRange("30d", timedelta(days=30)),
        TimeRange("90d", timedelta(days=90)),
        TimeRange("1y", timedelta(days=365)),
        TimeRange("all", None),
    )
}


def parse_range(name: str) -> TimeRange:
    try:
        return RANGES[name]
    except KeyError:
        raise ValueError(f"unknown range {name!r}; use one of {', '.join(RANGES)}") from None


def card_history_resolution(span: timedelta | None) -> Resolution:
    """Raw up to 48 hours, 30-minute buckets to 7 days, hourly to 90 days, daily beyond."""
    if span is None or span > timedelta(days=90):
        return Resolution.DAY
    if span > timedelta(days=7):
        return Resolution.HOUR
    if span > timedelta(hours=48):
        return Resolution.MIN30
    return Resolution.RAW


def market_index_resolution(span: timedelta | None) -> Resolution:
    """The market index has no raw form: 30-minute buckets to 7 days, hourly to 90, daily beyond."""
    if span is None or span > timedelta(days=90):
        return Resolution.DAY
    if span > timedelta(days=7):
        return Resolution.HOUR
    return Resolution.MIN30


@dataclass(frozen=True)
class VariantFilter:
    """Which variants of a card (or of the market) to read; None means all."""

    marketplace_id: int | None = None
    condition: Condition | None = None
    language: Language | None = None
    finish: Finish | None = None
    currency: str | None = None


ALL_VARIANTS = VariantFilter()


@dataclass(frozen=True)
class Marketplace:
    slug: str
    name: str
    currency: str
    kind: MarketplaceKind = MarketplaceKind.RETAIL
    id: int | None = None


@dataclass(frozen=True)
class Card:
    """One printing, with the identities each provider knows it by."""

    name: str
    set_code: str
    collector_number: str
    scryfall_id: str | None = None
    oracle_id: str | None = None
    mtgjson_uuid: str | None = None
    tcgplayer_product_id: int | None = None
    tcgplayer_etched_product_id: int | None = None
    cardmarket_id: int | None = None
    set_name: str | None = None
    rarity: str | None = None
    released_at: date | None = None
    type_line: str | None = None
    legalities: dict[str, str] = field(default_factory=dict)
    finishes: tuple[str, ...] = ()
    image_url: str | None = None
    id: int | None = None


@dataclass(slots=True, kw_only=True)  # not frozen: millions are built per import, and frozen init is slow
class PricePoint:
    """A price of one variant at one time. Absent tiers are None, never zero."""

    time: datetime
    price: Decimal
    currency: str
    condition: Condition = Condition.NEAR_MINT
    language: Language = Language.ENGLISH
    finish: Finish = Finish.NONFOIL
    price_low: Decimal | None = None
    price_mid: Decimal | None = None
    price_high: Decimal | None = None
    price_market: Decimal | None = None
    num_listings: int | None = None
    total_quantity: int | None = None


@dataclass(slots=True, kw_only=True)
class PriceSnapshot(PricePoint):
    """A price point of a stored printing on a stored marketplace, ready to be written."""

    card_id: int
    marketplace_id: int
    source_run_id: int | None = None

    def __post_init__(self) -> None:
        if self.time.tzinfo is None:
            raise ValueError("snapshot time must be timezone-aware")
        if self.price < 0:
            raise ValueError(f"negative price {self.price}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"currency must be a 3-letter ISO code, got {self.currency!r}")

    @property
    def variant_key(self) -> tuple:
        return (self.card_id, self.marketplace_id, self.condition, self.finish, self.language)


@dataclass(frozen=True)
class UpsertResult:
    """What a bulk upsert did, and which cards and instants it touched."""

    inserted: int
    updated: int
    unchanged: int
    card_ids: frozenset[int]
    times: frozenset[datetime]

    @property
    def received(self) -> int:
        return self.inserted + self.updated + self.unchanged


class NotFound(LookupError):
    """Something asked for by id does not exist (an unknown card, say)."""


class UnknownReference(ValueError):
    """A batch names a card or marketplace that is not stored; nothing was written."""


class IdentityKind(enum.StrEnum):
    """Which provider identity a price names its printing by."""

    SCRYFALL_ID = "scryfall_id"
    MTGJSON_UUID = "mtgjson_uuid"
    CARDMARKET_ID = "cardmarket_id"
    TCGPLAYER_PRODUCT_ID = "tcgplayer_product_id"
    TCGPLAYER_ETCHED_PRODUCT_ID = "tcgplayer_etched_product_id"


@dataclass(slots=True, kw_only=True)
class PriceObservation(PricePoint):
    """A price as a provider states it: the printing by the provider's identity, the
    marketplace by slug. The ingest path resolves both to ids."""

    identity: IdentityKind
    key: str
    marketplace: str


@dataclass(frozen=True)
class Rejected:
    """An input row that cannot be stored, with where it is and why."""

    position: str
    reason: str


class MalformedInput(ValueError):
    """A file that cannot be read on (truncated, not JSON, wrong shape); says where."""


# Every marketplace a source writes to: slug -> (name, currency, kind).
MARKETPLACES: dict[str, Marketplace] = {
    m.slug: m
    for m in (
        Marketplace("tcgplayer", "TCGplayer", "USD"),
        Marketplace("cardmarket", "Cardmarket", "EUR"),
        Marketplace("cardkingdom", "Card Kingdom", "USD"),
        Marketplace("cardkingdom-buylist", "Card Kingdom buylist", "USD", MarketplaceKind.BUYLIST),
        Marketplace("manapool", "Mana Pool", "USD"),
        Marketplace("cardsphere", "Cardsphere", "USD"),
        Marketplace("cardhoarder", "Cardhoarder (MTGO, tix)", "TIX"),
    )
}


def marketplace_for(slug: str) -> Marketplace:
    """The known marketplace for a slug; `<known>-buylist` is that shop's buylist."""
    if slug in MARKETPLACES:
        return MARKETPLACES[slug]
    base = slug.removesuffix("-buylist")
    if base != slug and base in MARKETPLACES:
        shop = MARKETPLACES[base]
        return Marketplace(slug, f"{shop.name} buylist", shop.currency, MarketplaceKind.BUYLIST)
    raise ValueError(f"unknown marketplace {slug!r}")
