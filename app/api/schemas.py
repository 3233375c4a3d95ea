"""The API's query parameters, declared once: they validate each request and describe it in the
OpenAPI document (app/api/openapi.py).

Each value is parsed by the same function the pages parse it with (callbacks/params.py, the
domain's `parse` methods, `parse_sub_index`), against the same lists of choices, so a value a page
accepts the API accepts, and the message naming a refused one is the page's. A parameter given
twice, or one the endpoint does not know, is refused too: a script's typo should not silently
read the default."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, model_validator

from callbacks import params
from callbacks.market import MARKET_CURRENCIES
from data.domain import CONDITION_CODES, LANGUAGE_CODES, RANGES, Condition, Finish, Language
from data.use_cases.market import MOVER_PERIODS
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
