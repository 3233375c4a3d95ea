"""ManaBox export: 15 columns; the binder form adds Binder Name and Binder Type in front, newer exports
append Added.

Header and values from StepKie/MtgCsvHelper Resources/SampleCsvs/Tests/manabox-real-export.csv,
Collection/manabox-collection.csv and appsettings.json. The only app whose file names the price's
currency ("Purchase price currency"). Binder Name, when present, reads as the row's notes; we write the
15-column export form, which has no place for notes or dates.
"""

from __future__ import annotations

from collections.abc import Sequence

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NOTES, NUMBER, SET_CODE, AppFormat, Holding, RowReader
from data.collection_formats.values import Vocabulary
from data.collection_formats.vocabulary import SEVEN_STEPS, coded_languages, conditions
from data.domain import Condition, Finish, Language

HEADER = (
    "Name", "Set code", "Set name", "Collector number", "Foil", "Rarity", "Quantity", "ManaBox ID",
    "Scryfall ID", "Purchase price", "Misprint", "Altered", "Condition", "Language", "Purchase price currency",
)  # fmt: skip

CONDITIONS = conditions(
    dict(SEVEN_STEPS),
    {
        Condition.MINT: "mint",
        Condition.NEAR_MINT: "near_mint",
        Condition.LIGHTLY_PLAYED: "excellent",
        Condition.MODERATELY_PLAYED: "good",
        Condition.HEAVILY_PLAYED: "played",
        Condition.DAMAGED: "poor",
    },
)
LANGUAGES = coded_languages(
    {
        Language.ENGLISH: "en",
        Language.GERMAN: "de",
        Language.FRENCH: "fr",
        Language.ITALIAN: "it",
        Language.SPANISH: "es",
        Language.PORTUGUESE: "pt",
        Language.JAPANESE: "ja",
        Language.KOREAN: "ko",
        Language.RUSSIAN: "ru",
        Language.CHINESE_SIMPLIFIED: "zh_CN",
        Language.CHINESE_TRADITIONAL: "zh_TW",
    }
)
FINISHES = Vocabulary(
    "finish",
    {"normal": Finish.NONFOIL, "foil": Finish.FOIL, "etched": Finish.ETCHED},
    {Finish.NONFOIL: "normal", Finish.FOIL: "foil", Finish.ETCHED: "etched"},
    default=Finish.NONFOIL,
)


def read_row(row: RowReader) -> CollectionRow | None:
    return row.row(
        quantity=row.parse("Quantity", values.quantity),
        name=row.text("Name"),
        set_code=row.text("Set code", SET_CODE),
        collector_number=row.text("Collector number", NUMBER),
        scryfall_id=row.parse("Scryfall ID", values.scryfall_id),
        finish=row.parse("Foil", FINISHES.read),
        condition=row.parse("Condition", CONDITIONS.read),
        language=row.parse("Language", LANGUAGES.read),
        price=row.parse("Purchase price", values.price),
        currency=row.parse("Purchase price currency", values.currency),
        acquired_on=row.parse("Added", values.iso_date),
        notes=row.text("Binder Name", NOTES),
    )


def write_row(holding: Holding) -> Sequence[str]:
    return (
        holding.name, holding.set_code.upper(), holding.set_name, holding.collector_number,
        FINISHES.write(holding.finish, "ManaBox"), "", str(holding.quantity), "", holding.scryfall_id or "",
        holding.price_text, "false", "false", CONDITIONS.write(holding.condition, "ManaBox"),
        LANGUAGES.write(holding.language, "ManaBox"), (holding.currency or "") if holding.price is not None else "",
    )  # fmt: skip


FORMAT = AppFormat(
    name="manabox",
    label="ManaBox",
    header=HEADER,
    fingerprint=frozenset({"ManaBox ID"}),
    required=frozenset({"Quantity", "Name", "Set code", "Collector number"}),
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
        ]
    ),
    read_row=read_row,
    write_row=write_row,
)
