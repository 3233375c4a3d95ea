"""Moxfield collection ("haves") export: 13 columns, every cell quoted.

Header and values from StepKie/MtgCsvHelper Resources/SampleCsvs/Tests/moxfield-real-export.csv and
appsettings.json. The older 10-column form (no Alter, Proxy, Purchase Price) reads too. Moxfield prices
are in the user's display currency, which the file does not say: currency is None.
"""

from __future__ import annotations

from collections.abc import Sequence

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NOTES, NUMBER, SET_CODE, AppFormat, Holding, RowReader
from data.collection_formats.values import Vocabulary
from data.collection_formats.vocabulary import conditions, english_languages
from data.domain import Condition, Finish

HEADER = (
    "Count", "Tradelist Count", "Name", "Edition", "Condition", "Language", "Foil", "Tags", "Last Modified",
    "Collector Number", "Alter", "Proxy", "Purchase Price",
)  # fmt: skip

CONDITIONS = conditions(
    {
        "Mint": Condition.MINT,
        "Near Mint": Condition.NEAR_MINT,
        "Good (Lightly Played)": Condition.LIGHTLY_PLAYED,
        "Played": Condition.MODERATELY_PLAYED,
        "Heavily Played": Condition.HEAVILY_PLAYED,
        "Damaged": Condition.DAMAGED,
        # Moxfield's other collection export abbreviates (SITE_BEHAVIOR.md): take the short codes too
        "M": Condition.MINT,
        "NM": Condition.NEAR_MINT,
        "LP": Condition.LIGHTLY_PLAYED,
        "MP": Condition.MODERATELY_PLAYED,
        "HP": Condition.HEAVILY_PLAYED,
        "D": Condition.DAMAGED,
    },
    {
        Condition.MINT: "Mint",
        Condition.NEAR_MINT: "Near Mint",
        Condition.LIGHTLY_PLAYED: "Good (Lightly Played)",
        Condition.MODERATELY_PLAYED: "Played",
        Condition.HEAVILY_PLAYED: "Heavily Played",
        Condition.DAMAGED: "Damaged",
    },
)
LANGUAGES = english_languages()
FINISHES = Vocabulary(
    "finish",
    {"foil": Finish.FOIL, "etched": Finish.ETCHED},
    {Finish.NONFOIL: "", Finish.FOIL: "foil", Finish.ETCHED: "etched"},
    default=Finish.NONFOIL,
)


def read_row(row: RowReader) -> CollectionRow | None:
    return row.row(
        quantity=row.parse("Count", values.quantity),
        name=row.text("Name"),
        set_code=row.text("Edition", SET_CODE),
        collector_number=row.text("Collector Number", NUMBER),
        scryfall_id=None,
        finish=row.parse("Foil", FINISHES.read),
        condition=row.parse("Condition", CONDITIONS.read),
        language=row.parse("Language", LANGUAGES.read),
        price=row.parse("Purchase Price", values.price),
        acquired_on=row.parse("Last Modified", values.iso_date),
        notes=row.text("Tags", NOTES),
    )


def write_row(holding: Holding) -> Sequence[str]:
    modified = f"{holding.acquired_on.isoformat()} 00:00:00.000000" if holding.acquired_on else ""
    return (
        str(holding.quantity), "0", holding.name, holding.set_code.lower(),
        CONDITIONS.write(holding.condition, "Moxfield"), LANGUAGES.write(holding.language, "Moxfield"),
        FINISHES.write(holding.finish, "Moxfield"), holding.notes, modified, holding.collector_number,
        "False", "False", holding.price_text,
    )  # fmt: skip


FORMAT = AppFormat(
    name="moxfield",
    label="Moxfield",
    header=HEADER,
    fingerprint=frozenset({"Count", "Tradelist Count", "Edition", "Last Modified", "Collector Number"}),
    absent=frozenset({"Printing Id"}),
    required=frozenset({"Count", "Name", "Edition", "Collector Number"}),
    carries=frozenset(
        [
            "name",
            "set_code",
            "collector_number",
            "quantity",
            "finish",
            "condition",
            "language",
            "price",
            "acquired_on",
            "notes",
        ]
    ),
    read_row=read_row,
    write_row=write_row,
    quote_all=True,
)
