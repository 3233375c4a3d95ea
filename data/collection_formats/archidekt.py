"""Archidekt collection export: 13 columns by default (the columns are user-selectable; we read by name).

Header and values from StepKie/MtgCsvHelper Resources/SampleCsvs/Tests/archidekt-real-export.csv
and Reference/archidekt.csv. Archidekt has no importer for its own format (it imports Moxfield, ManaBox,
Deckbox, Dragon Shield, Delver Lens...), so a file we write is for other tools and spreadsheets.
- Conditions NM, LP, MP, HP, D: no Mint, so Mint holdings are written as NM.
- Languages as Archidekt codes: JP not JA, KR not KO, CS/CT for Chinese.
- Prices are in the user's chosen currency, which the file does not say: currency is None.
- `Multiverse Id` is 0 when the printing has none; we write 0.
"""

from __future__ import annotations

from collections.abc import Sequence

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NOTES, NUMBER, SET_CODE, AppFormat, Holding, RowReader
from data.collection_formats.values import Vocabulary
from data.collection_formats.vocabulary import coded_languages, conditions
from data.domain import Condition, Finish, Language

HEADER = (
    "Quantity", "Name", "Finish", "Condition", "Date Added", "Language", "Purchase Price", "Tags", "Edition Name",
    "Edition Code", "Multiverse Id", "Scryfall ID", "Collector Number",
)  # fmt: skip

CONDITIONS = conditions(
    {
        "M": Condition.MINT,
        "NM": Condition.NEAR_MINT,
        "LP": Condition.LIGHTLY_PLAYED,
        "MP": Condition.MODERATELY_PLAYED,
        "HP": Condition.HEAVILY_PLAYED,
        "D": Condition.DAMAGED,
    },
    {
        Condition.MINT: "NM",
        Condition.NEAR_MINT: "NM",
        Condition.LIGHTLY_PLAYED: "LP",
        Condition.MODERATELY_PLAYED: "MP",
        Condition.HEAVILY_PLAYED: "HP",
        Condition.DAMAGED: "D",
    },
)
LANGUAGES = coded_languages(
    {
        Language.ENGLISH: "EN",
        Language.GERMAN: "DE",
        Language.FRENCH: "FR",
        Language.ITALIAN: "IT",
        Language.SPANISH: "ES",
        Language.PORTUGUESE: "PT",
        Language.RUSSIAN: "RU",
        Language.JAPANESE: "JP",
        Language.KOREAN: "KR",
        Language.CHINESE_SIMPLIFIED: "CS",
        Language.CHINESE_TRADITIONAL: "CT",
    }
)
FINISHES = Vocabulary(
    "finish",
    {"Normal": Finish.NONFOIL, "Foil": Finish.FOIL, "Etched": Finish.ETCHED},
    {Finish.NONFOIL: "Normal", Finish.FOIL: "Foil", Finish.ETCHED: "Etched"},
    default=Finish.NONFOIL,
)


def read_row(row: RowReader) -> CollectionRow | None:
    return row.row(
        quantity=row.parse("Quantity", values.quantity),
        name=row.text("Name"),
        set_code=row.text("Edition Code", SET_CODE),
        collector_number=row.text("Collector Number", NUMBER),
        scryfall_id=row.parse("Scryfall ID", values.scryfall_id),
        finish=row.parse("Finish", FINISHES.read),
        condition=row.parse("Condition", CONDITIONS.read),
        language=row.parse("Language", LANGUAGES.read),
        price=row.parse("Purchase Price", values.price),
        acquired_on=row.parse("Date Added", values.iso_date),
        notes=row.text("Tags", NOTES),
    )


def write_row(holding: Holding) -> Sequence[str]:
    return (
        str(holding.quantity), holding.name, FINISHES.write(holding.finish, "Archidekt"),
        CONDITIONS.write(holding.condition, "Archidekt"),
        holding.acquired_on.isoformat() if holding.acquired_on else "", LANGUAGES.write(holding.language, "Archidekt"),
        holding.price_text, holding.notes, holding.set_name, holding.set_code.lower(), "0",
        holding.scryfall_id or "", holding.collector_number,
    )  # fmt: skip


FORMAT = AppFormat(
    name="archidekt",
    label="Archidekt",
    header=HEADER,
    fingerprint=frozenset({"Edition Name", "Edition Code", "Date Added"}),
    required=frozenset({"Quantity", "Name"}),
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
            "acquired_on",
            "notes",
        ]
    ),
    read_row=read_row,
    write_row=write_row,
)
