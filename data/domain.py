"""The vocabulary of card prices. Pure Python: imports nothing from the project."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
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
    """The market index (and the average price beside it) has no raw form: hourly up to 90 days,
    daily beyond, the two resolutions the chained index is kept at."""
    return Resolution.DAY if span is None or span > timedelta(days=90) else Resolution.HOUR


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
    lang: str | None = None  # Scryfall's language code of the printing (en, ja, zhs…)
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
        if not isinstance(self.currency, str) or not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"currency must be a 3-letter ISO code, got {self.currency!r:.20}")
        for count in (self.num_listings, self.total_quantity):
            if count is not None and not (isinstance(count, int) and 0 <= count <= INT4_MAX):
                raise ValueError(f"count out of range: {count!r:.20}")

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


INT4_MAX = 2**31 - 1  # INTEGER columns: provider product ids, listing counts and quantities
_CURRENCY = re.compile(r"[A-Z]{3}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
MAGIC_EPOCH = datetime(1993, 8, 5, tzinfo=UTC)  # Alpha's release: no card had a price before
FUTURE_SLACK = timedelta(days=1)  # providers' clocks and time zones; further ahead is a wrong date


def is_uuid(value: object) -> bool:
    """A UUID as text in its canonical 8-4-4-4-12 hex form (how Scryfall and MTGJSON write them)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def price_time_problem(moment: datetime, now: datetime) -> str | None:
    """Why a price cannot have been taken at `moment`, or None when it can."""
    if moment.tzinfo is None:
        return "time without a time zone"
    if moment < MAGIC_EPOCH:
        return "dated before Magic existed (1993-08-05)"
    if moment > now + FUTURE_SLACK:
        return "dated in the future"
    return None


# Text a printing may hold, in characters: several times the longest real value
# (a 141-character card name, 6-character set codes, 10-character collector numbers).
CARD_TEXT_LIMITS = {
    "name": 500,
    "set_code": 16,
    "collector_number": 32,
    "set_name": 500,
    "rarity": 32,
    "type_line": 500,
    "image_url": 2000,
    "lang": 8,
}
_REQUIRED_TEXT = ("name", "set_code", "collector_number")
_PRODUCT_IDS = ("tcgplayer_product_id", "tcgplayer_etched_product_id", "cardmarket_id")


def _text_problem(column: str, value: object, limit: int) -> str | None:
    if not isinstance(value, str):
        return f"{column} is not text"
    if len(value) > limit:
        return f"{column} longer than {limit} characters"
    if "\x00" in value:  # PostgreSQL text cannot hold NUL
        return f"{column} contains a NUL character"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, from a JSON escape such as \ud800
            return f"{column} is not valid Unicode"
    return None


def card_problem(card: Card) -> str | None:
    """Why a printing cannot be stored (a field of the wrong type or beyond its column), or None."""
    if not is_uuid(card.scryfall_id):
        return "id is not a UUID"
    for column in ("oracle_id", "mtgjson_uuid"):
        value = getattr(card, column)
        if value is not None and not is_uuid(value):
            return f"{column} is not a UUID"
    for column in _PRODUCT_IDS:
        value = getattr(card, column)
        if value is not None and not (type(value) is int and 0 < value <= INT4_MAX):
            return f"{column} is not a product id"
    for column, limit in CARD_TEXT_LIMITS.items():
        value = getattr(card, column)
        if column in _REQUIRED_TEXT and not value:
            return f"{column} is missing"
        if value is not None and (problem := _text_problem(column, value, limit)):
            return problem
    if card.released_at is not None and not isinstance(card.released_at, date):
        return "released_at is not a date"
    if not isinstance(card.legalities, dict) or len(card.legalities) > 100:
        return "legalities is not an object of formats"
    for fmt, legality in card.legalities.items():
        if _text_problem("legalities", fmt, 64) or _text_problem("legalities", legality, 64):
            return "legalities is not an object of formats"
    if not isinstance(card.finishes, tuple) or len(card.finishes) > 16:
        return "finishes is not a list of finishes"
    if any(_text_problem("finishes", finish, 32) for finish in card.finishes):
        return "finishes is not a list of finishes"
    return None


def stored_id(value: object) -> int | None:
    """An INTEGER key (a card, a marketplace, a provider's product id): a JSON integer or a string
    of ASCII digits, from 1 to INT4_MAX; None for anything else. The one rule for ids from outside:
    '²'.isdigit() is True but int() refuses it, and int() refuses strings past 4,300 digits."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and 0 < len(value) <= len(str(INT4_MAX)) and value.isascii() and value.isdigit():
        number = int(value)
    else:
        return None
    return number if 1 <= number <= INT4_MAX else None


def identity_problem(kind: IdentityKind, key: object) -> str | None:
    """Why `key` cannot be a provider's identity of the given kind, or None."""
    if kind in (IdentityKind.SCRYFALL_ID, IdentityKind.MTGJSON_UUID):
        return None if is_uuid(key) else f"{kind.value} is not a UUID"
    if isinstance(key, str) and stored_id(key) is not None:
        return None
    return f"{kind.value} is not a product id"


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
