"""The API's query parameters, declared once: they validate each request and describe it in the
OpenAPI document (app/api/openapi.py).

Each value is parsed by the same function the pages parse it with (callbacks/params.py, the
domain's `parse` methods, `parse_sub_index`), against the same lists of choices, so a value a page
accepts the API accepts, and the message naming a refused one is the page's. A parameter given
twice, or one the endpoint does not know, is refused too: a script's typo should not silently
read the default."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    WithJsonSchema,
    model_validator,
)

from callbacks import params
from callbacks.market import MARKET_CURRENCIES
from data.collection_formats import FORMATS as COLLECTION_APPS
from data.domain import CONDITION_CODES, INT4_MAX, LANGUAGE_CODES, RANGES, Condition, Finish, Language
from data.holdings import currency_problem, date_problem, money_problem, notes_problem, quantity_problem
from data.repositories.alerts import AlertKind
from data.use_cases.alerts import MAX_INBOX_PAGE
from data.use_cases.market import MOVER_PERIODS
from data.use_cases.portfolio import BASES, MAX_HISTORY_DAYS
from layouts.filters import CURRENCIES
from layouts.market import FORMATS

CARD_CURRENCIES = [c["value"] for c in CURRENCIES]
LEGAL_IN = [f["value"] for f in FORMATS]
OUTPUTS = ["json", "csv"]
SUB_FORMS = "all, format:NAME, rarity:NAME or set:CODE"
MIN_SEARCH_CHARS = 2  # as the search boxes: one letter matches half the catalogue


def _one_of(name: str, options: list[str], default: str, description: str) -> Any:
    """A text parameter that must be one of `options` exactly (params.choice, as the pages)."""
    return Annotated[
        str,
        AfterValidator(lambda value: params.choice(name, value, options)),
        Field(default, description=description, json_schema_extra={"enum": options}),
    ]


def _filter(parse: Any, name: str, options: list[str], description: str) -> Any:
    """A variant filter: 'all' (or nothing) for every value, else what `parse` accepts."""
    return Annotated[
        Any,
        BeforeValidator(
            lambda value: _listing(params.optional, f"one of all, {', '.join(options)}", parse, value, name)
        ),
        WithJsonSchema({"type": "string", "enum": ["all", *options], "description": description}),
        Field(None, json_schema_extra={"default": "all"}),  # None: every value (the schema names it 'all')
    ]


def _listing(parse: Any, allowed: str, *args: Any) -> Any:
    """`parse(*args)`, its refusal naming the values allowed: params.optional names none for a value too
    long to be one (the pages list them beside the box; an API client has only the message)."""
    try:
        return parse(*args)
    except params.BadInput as exc:
        if "; use " in str(exc):
            raise
        raise params.BadInput(f"{exc}; use {allowed}") from None


def _search_text(value: str) -> str:
    if len(value.strip()) < MIN_SEARCH_CHARS:
        raise ValueError(f"needs at least {MIN_SEARCH_CHARS} characters (words of a name, or a set code and number)")
    return value


Range = _one_of("range", list(RANGES), "30d", "How far back from the newest data; the resolution follows it.")
Output = _one_of("format", OUTPUTS, "json", "json, or csv: a header row, then the same numbers, units in the columns.")
JsonOnly = _one_of("format", ["json"], "json", "json (this endpoint has no table to give as CSV).")


class Query(BaseModel):
    """Every endpoint's parameters: each known, each given at most once."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="before")
    @classmethod
    def known_and_single(cls, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(cls.model_fields))
            if unknown:
                known = ", ".join(cls.model_fields) or "none"
                raise ValueError(f"unknown parameter {params.shown(unknown[0])}; this endpoint takes {known}")
            for name, value in data.items():
                if isinstance(value, list):
                    raise ValueError(f"{name} is given {len(value)} times; give it once")
        return data


class SearchQuery(Query):
    q: Annotated[
        str,
        AfterValidator(_search_text),
        Field(
            description="Words of a printing's name, each the start of a word, in any order (accents, case and"
            " punctuation aside), or a set code and number ('mid 44'); typos find close names. Text past 100"
            " characters is not read.",
            examples=["jace vryn"],
        ),
    ]
    limit: Annotated[int, Field(20, ge=1, le=50, description="At most this many printings, best match first.")]
    format: Output


class DetailQuery(Query):
    format: JsonOnly


class HistoryQuery(Query):
    range: Range
    currency: _one_of("currency", CARD_CURRENCIES, "USD", "The series priced in this currency (as the card page).")
    condition: _filter(Condition.parse, "condition", list(CONDITION_CODES.values()), "Condition code (or 'all').")
    finish: _filter(Finish.parse, "finish", [f.value for f in Finish], "Finish (or 'all').")
    language: _filter(Language.parse, "language", list(LANGUAGE_CODES.values()), "Language code (or 'all').")
    marketplace: Annotated[
        Any,
        BeforeValidator(params.marketplace_id),
        WithJsonSchema(
            {
                "type": "string",
                "pattern": "^(all|[0-9]+)$",
                "description": "A marketplace id (see /cards/{card_id}: `marketplaces`), or 'all'.",
            }
        ),
        Field(None, json_schema_extra={"default": "all"}),
    ]
    format: Output


class IndexQuery(Query):
    range: Range
    currency: _one_of("currency", MARKET_CURRENCIES, "USD", "The index of prices in this currency.")
    sub: Annotated[
        str,
        AfterValidator(lambda value: _listing(params.optional, SUB_FORMS, params.sub_index, value, "sub") or "all"),
        Field(
            "all",
            description="all, or one sub-index: format:NAME, rarity:NAME or set:CODE (lower case).",
            examples=["set:mid", "format:modern"],
            json_schema_extra={"pattern": "^(all|(format|rarity|set):[a-z0-9][a-z0-9_-]{0,39})$"},  # parse_sub_index's
        ),
    ]
    format: Output


class MoversQuery(Query):
    period: _one_of("period", list(MOVER_PERIODS), "24h", "The change over this period.")
    currency: _one_of("currency", MARKET_CURRENCIES, "USD", "Prices in this currency.")
    min_price: Annotated[
        Decimal,
        BeforeValidator(lambda value: params.price(value, "min_price")),
        WithJsonSchema(
            {
                "type": "string",
                "description": "Leave out prices under this (bulk): a number from 0 to 1,000,000, to the cent.",
            }
        ),
        Field(Decimal("1.00"), json_schema_extra={"default": "1.00"}),  # the market page's default
    ]
    legal_in: _one_of("legal_in", LEGAL_IN, "all", "Only cards legal in this format.")
    limit: Annotated[int, Field(10, ge=1, le=50, description="At most this many gainers, and as many losers.")]
    format: Output


class SourcesQuery(Query):
    format: Output


class Credentials(BaseModel):
    """An email and password, as a JSON body."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    email: Annotated[str, Field(max_length=254, description="The account's email.", examples=["you@example.com"])]
    password: Annotated[str, Field(max_length=1024, description="At least 10 characters to register.")]


class TokenRequest(Credentials):
    name: Annotated[str, Field("", max_length=100, description="A label to tell the token apart in /account.")]


# --- The authenticated API: collection, portfolio, alerts (app/api/collection.py, app/api/alerts.py) ------------
# Request bodies are checked by the very rules the repositories apply (data/holdings.py), so the API's message
# naming a refused value is the one a page shows; each is 'field: what is wrong' (a 400).

Flag = _one_of  # a "0"/"1" switch is a choice of two texts


def _problem(check: Any) -> Any:
    """An AfterValidator raising `check(value)`'s text, when it has one."""

    def run(value: Any) -> Any:
        if (problem := check(value)) is not None:
            raise ValueError(problem)
        return value

    return AfterValidator(run)


def _decimal(value: Any) -> Any:
    """Money as text ("12.50") or a JSON number (read by its text, never as binary)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError('give an amount such as "12.50"')
    try:
        return Decimal(value.strip() if isinstance(value, str) else repr(value))
    except ArithmeticError:
        raise ValueError(f"not an amount: {params.shown(value)}") from None


def _day(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("give a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(value) if len(value) == 10 else date.fromisoformat("invalid")
    except ValueError:
        raise ValueError(f"not a date as YYYY-MM-DD: {params.shown(value)}") from None


def _parsed(parse: Any) -> Any:
    def run(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError("give it as text")
        return parse(value)

    return BeforeValidator(run)


Quantity = Annotated[StrictInt, _problem(quantity_problem), Field(description="Copies, from 1 to 1,000,000.")]
Money = Annotated[
    Decimal,
    BeforeValidator(_decimal),
    _problem(money_problem),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$", "description": "One copy's price."}),
]
Currency = Annotated[str, _problem(currency_problem), Field(description="ISO 4217 code in capitals.", examples=["USD"])]
Day = Annotated[date, BeforeValidator(_day), WithJsonSchema({"type": "string", "format": "date"})]
ConditionIn = Annotated[
    Condition,
    _parsed(Condition.parse),
    WithJsonSchema({"type": "string", "description": "NEAR_MINT or its code (M, NM, LP, MP, HP, DMG)."}),
]
FinishIn = Annotated[
    Finish, _parsed(Finish.parse), WithJsonSchema({"type": "string", "enum": [f.value for f in Finish]})
]
LanguageIn = Annotated[
    Language, _parsed(Language.parse), WithJsonSchema({"type": "string", "description": "English, or its code (en)."})
]
Notes = Annotated[str, _problem(notes_problem), Field(description="Free text, up to 2,000 characters.")]
Basis = _one_of(
    "basis",
    list(BASES),
    "tcgplayer",
    "The price a copy is valued at: " + "; ".join(f"{name}: {label}" for name, (_, label) in BASES.items()),
)


class Body(BaseModel):
    """A JSON request body: each field known."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LotChanges(Body):
    """The values to change on a lot (any of them); `price` null: the cost is unknown."""

    quantity: Quantity | None = None
    price: Annotated[Money | None, Field(None, description="What one copy cost; null for unknown.")]
    currency: Currency | None = None
    acquired_on: Annotated[
        Day | None,
        _problem(lambda day: date_problem(day, "acquired date")),
        Field(None, description="When it was bought; null for unknown."),
    ]
    notes: Notes | None = None
    condition: ConditionIn | None = None
    finish: FinishIn | None = None
    language: LanguageIn | None = None

    @model_validator(mode="after")
    def no_nulls_but_price_and_date(self) -> LotChanges:
        for name in self.model_fields_set - {"price", "acquired_on"}:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class Sale(Body):
    quantity: Quantity
    price: Annotated[Money, Field(description="What one copy sold for.")]
    currency: Currency
    sold_on: Annotated[Day, _problem(lambda day: date_problem(day, "sale date"))]


class CollectionQuery(Query):
    basis: Basis
    format: Output
    app: Annotated[
        str | None,
        AfterValidator(lambda value: value if value is None else params.choice("app", value, list(COLLECTION_APPS))),
        WithJsonSchema(
            {
                "type": "string",
                "enum": list(COLLECTION_APPS),
                "description": "With format=csv: the app whose CSV to write.",
            }
        ),
        Field(None, json_schema_extra=lambda schema: schema.pop("default", None)),  # no default: JSON has no app
    ]

    @model_validator(mode="after")
    def csv_names_its_app(self) -> CollectionQuery:
        if self.format == "csv" and self.app is None:
            raise ValueError(f"app: format=csv needs app, one of {', '.join(COLLECTION_APPS)}")
        if self.format == "json" and self.app is not None:
            raise ValueError("app: only with format=csv")
        return self


class ImportQuery(Query):
    commit: Flag("commit", ["0", "1"], "0", "1: write the lots (all or nothing); 0: only the preview.")
    skip_unmatched: Flag(
        "skip_unmatched", ["0", "1"], "0", "With commit=1: write the matched rows and leave out the others."
    )


class ImportForm(BaseModel):
    """A multipart/form-data upload."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    file: Annotated[
        Any,
        WithJsonSchema({"type": "string", "format": "binary", "description": "A collection CSV (at most 10 MiB)."}),
    ]
    currency: Annotated[
        Currency | None, Field(None, description="The currency of prices the file gives without one (USD if unset).")
    ]


class LotQuery(Query):
    pass


class PortfolioQuery(Query):
    basis: Basis


class PortfolioHistoryQuery(Query):
    basis: Basis
    days: Annotated[int, Field(90, ge=1, le=MAX_HISTORY_DAYS, description="Days back from the newest price.")]


class NewAlert(Body):
    card_id: Annotated[StrictInt, Field(ge=1, le=INT4_MAX, description="The printing's id.")]
    kind: Annotated[str, Field(json_schema_extra={"enum": [k.value for k in AlertKind]})]
    level: Annotated[
        Any,
        WithJsonSchema({"type": "string", "description": "A price, or a percent for change_24h and change_7d."}),
    ]
    marketplace: Annotated[str | None, Field(None, max_length=64, description="A marketplace slug (tcgplayer...).")]
    finish: FinishIn | None = None
    condition: ConditionIn | None = None
    language: LanguageIn | None = None
    webhook: Annotated[str | None, Field(None, max_length=2048, description="An https URL (Discord-compatible).")]


class InboxQuery(Query):
    limit: Annotated[int, Field(50, ge=1, le=MAX_INBOX_PAGE, description="At most this many alerts, newest first.")]
    unread: Flag("unread", ["0", "1"], "0", "1: only the alerts not yet read.")


class MarkRead(Body):
    ids: Annotated[
        list[StrictInt] | None,
        Field(None, max_length=MAX_INBOX_PAGE, description="The alerts to mark read; leave out for all of them."),
    ]
