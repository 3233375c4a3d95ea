"""Deckbox export: 19 columns by default (mtgban/mtgban-website api_deckbox.go), 24 in a real export
(StepKie/MtgCsvHelper Resources/SampleCsvs/Tests/deckbox-real-export.csv), more with "all columns".

We write the 24-column real-export form. Values:
- `Edition Code` is Deckbox's own code (`1e`, `ap`, `plist`, `ex_127` for tokens), not always Scryfall's:
  the reader passes it on lowercased; the Scryfall ID column, when present, is the reliable key.
- `My Price` is in US dollars, written `$5.48`; Deckbox writes `$0.00` for "no price", so zero reads as
  None. Only USD (or currency-less) prices are written; others are left at `$0.00`.
- `Foil` is `foil` or blank. Deckbox's importer refuses `etched`, so etched holdings are written as foil
  (etched reads back as foil); a file that says `etched` still reads as etched.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NOTES, NUMBER, SET_CODE, AppFormat, Holding, RowReader
from data.collection_formats.values import Vocabulary
from data.collection_formats.vocabulary import conditions, english_languages
from data.domain import Condition, Finish

HEADER = (
    "Count", "Tradelist Count", "Name", "Edition", "Edition Code", "Card Number", "Condition", "Language", "Foil",
    "Signed", "Artist Proof", "Altered Art", "Misprint", "Promo", "Textless", "Printing Id", "Printing Note",
    "Tags", "My Price", "Cost", "Rarity", "Price", "TcgPlayer ID", "Scryfall ID",
)  # fmt: skip

CONDITIONS = conditions(
    {
        "Mint": Condition.MINT,
        "Near Mint": Condition.NEAR_MINT,
        "Good (Lightly Played)": Condition.LIGHTLY_PLAYED,
        "Played": Condition.MODERATELY_PLAYED,
        "Heavily Played": Condition.HEAVILY_PLAYED,
        "Poor": Condition.DAMAGED,
    },
    {
        Condition.MINT: "Mint",
        Condition.NEAR_MINT: "Near Mint",
        Condition.LIGHTLY_PLAYED: "Good (Lightly Played)",
        Condition.MODERATELY_PLAYED: "Played",
        Condition.HEAVILY_PLAYED: "Heavily Played",
        Condition.DAMAGED: "Poor",
    },
)
LANGUAGES = english_languages()
FINISHES = Vocabulary(
    "finish",
    {"foil": Finish.FOIL, "etched": Finish.ETCHED},
    {Finish.NONFOIL: "", Finish.FOIL: "foil", Finish.ETCHED: "foil"},
    default=Finish.NONFOIL,
)
CURRENCY = "USD"


def _my_price(text: str) -> Decimal | None:
    amount = values.price(text, symbols=("$",))
    return None if amount == 0 else amount


def read_row(row: RowReader) -> CollectionRow | None:
    amount = row.parse("My Price", _my_price)
    return row.row(
        quantity=row.parse("Count", values.quantity),
        name=row.text("Name"),
        set_code=row.text("Edition Code", SET_CODE),
        collector_number=row.text("Card Number", NUMBER),
        scryfall_id=row.parse("Scryfall ID", values.scryfall_id),
        finish=row.parse("Foil", FINISHES.read),
        condition=row.parse("Condition", CONDITIONS.read),
        language=row.parse("Language", LANGUAGES.read),
        price=amount,
        currency=CURRENCY,
        notes=row.text("Tags", NOTES),
    )


def write_row(holding: Holding) -> Sequence[str]:
    in_dollars = holding.price is not None and holding.currency in (None, CURRENCY)
    my_price = f"${holding.price_text}" if in_dollars else "$0.00"
    return (
        str(holding.quantity), "0", holding.name, holding.set_name, holding.set_code.lower(),
        holding.collector_number, CONDITIONS.write(holding.condition, "Deckbox"),
        LANGUAGES.write(holding.language, "Deckbox"), FINISHES.write(holding.finish, "Deckbox"),
        "", "", "", "", "", "", "", "", holding.notes, my_price, "", "", "", "", holding.scryfall_id or "",
    )  # fmt: skip


FORMAT = AppFormat(
    name="deckbox",
    label="Deckbox",
    header=HEADER,
    fingerprint=frozenset({"Printing Id", "Artist Proof", "Altered Art"}),
    required=frozenset({"Count", "Name", "Edition Code", "Card Number"}),
    carries=frozenset(
        [
            "name",
            "set_code",
            "collector_number",
            "scryfall_id",
            "quantity",
            "finish",
            "condition",
            "language",
            "price",
            "currency",
            "notes",
        ]
    ),
    read_row=read_row,
    write_row=write_row,
)
