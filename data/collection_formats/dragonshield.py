"""Dragon Shield MTG Card Manager export: a `"sep=,"` line, then 15 columns, CRLF line endings.

Header and values from StepKie/MtgCsvHelper Resources/SampleCsvs/Tests/dragonshield-real-export.csv,
appsettings.json and SITE_BEHAVIOR.md (Dragon Shield's importer silently refuses files that differ from
its export: the sep line, all 15 columns and CRLF are required). The official 12-column template (no
LOW, MID, MARKET) and older exports with AVG, LOW, TREND read too.
- Printing: Normal, Foil, Etched, and named foil treatments ("Rainbow Foil", "Gilded Foil", ...), which
  all read as foil.
- Prices are in the app's chosen currency, not named in the file: currency is None. Dragon Shield writes
  0.00 where no price was entered, so zero reads as None.
- Dates are `yyyy-MM-dd` or `M/d/yyyy`. Folder Name reads as notes; we write notes as the folder
  (or "CardCharts" when a holding has none, since every Dragon Shield card lives in a folder).
- Simplified Chinese is written "Simplified Chinese" (the notes' spelling); "Chinese" reads too.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NOTES, NUMBER, SET_CODE, AppFormat, Holding, RowReader
from data.collection_formats.values import CellError, Vocabulary
from data.collection_formats.vocabulary import SEVEN_STEPS, conditions, english_languages
from data.domain import Condition, Finish

HEADER = (
    "Folder Name", "Quantity", "Trade Quantity", "Card Name", "Set Code", "Set Name", "Card Number", "Condition",
    "Printing", "Language", "Price Bought", "Date Bought", "LOW", "MID", "MARKET",
)  # fmt: skip
DEFAULT_FOLDER = "CardCharts"

_SPELLING = {
    "mint": "Mint",
    "near_mint": "NearMint",
    "excellent": "Excellent",
    "good": "Good",
    "light_played": "LightPlayed",
    "played": "Played",
    "poor": "Poor",
}
CONDITIONS = conditions(
    {_SPELLING[key]: condition for key, condition in SEVEN_STEPS.items()},
    {
        Condition.MINT: "Mint",
        Condition.NEAR_MINT: "NearMint",
        Condition.LIGHTLY_PLAYED: "Excellent",
        Condition.MODERATELY_PLAYED: "Good",
        Condition.HEAVILY_PLAYED: "Played",
        Condition.DAMAGED: "Poor",
    },
)
LANGUAGES = english_languages(CHINESE_SIMPLIFIED="Simplified Chinese")
PRINTINGS = Vocabulary(
    "printing",
    {"Normal": Finish.NONFOIL, "Foil": Finish.FOIL, "Etched": Finish.ETCHED, "Etched Foil": Finish.ETCHED},
    {Finish.NONFOIL: "Normal", Finish.FOIL: "Foil", Finish.ETCHED: "Etched"},
    default=Finish.NONFOIL,
)


def _printing(text: str) -> Finish:
    try:
        return PRINTINGS.read(text)
    except CellError:
        if text.strip().casefold().endswith(" foil"):  # Rainbow Foil, Double Rainbow Foil, Gilded Foil, ...
            return Finish.FOIL
        raise


def _price_bought(text: str) -> Decimal | None:
    amount = values.price(text)
    return None if amount == 0 else amount


def _date_bought(text: str) -> object:
    return values.dated(text, ("%Y-%m-%d", "%m/%d/%Y"), "2026-05-15 or 5/15/2026")


def read_row(row: RowReader) -> CollectionRow | None:
    return row.row(
        quantity=row.parse("Quantity", values.quantity),
        name=row.text("Card Name"),
        set_code=row.text("Set Code", SET_CODE),
        collector_number=row.text("Card Number", NUMBER),
        scryfall_id=None,
        finish=row.parse("Printing", _printing),
        condition=row.parse("Condition", CONDITIONS.read),
        language=row.parse("Language", LANGUAGES.read),
        price=row.parse("Price Bought", _price_bought),
        acquired_on=row.parse("Date Bought", _date_bought),
        notes=row.text("Folder Name", NOTES),
    )


def write_row(holding: Holding) -> Sequence[str]:
    return (
        holding.notes or DEFAULT_FOLDER, str(holding.quantity), "0", holding.name, holding.set_code.upper(),
        holding.set_name, holding.collector_number, CONDITIONS.write(holding.condition, "Dragon Shield"),
        PRINTINGS.write(holding.finish, "Dragon Shield"), LANGUAGES.write(holding.language, "Dragon Shield"),
        holding.price_text or "0.00", holding.acquired_on.isoformat() if holding.acquired_on else "", "", "", "",
    )  # fmt: skip


FORMAT = AppFormat(
    name="dragonshield",
    label="Dragon Shield",
    header=HEADER,
    fingerprint=frozenset({"Folder Name", "Card Name", "Printing", "Trade Quantity"}),
    required=frozenset({"Quantity", "Card Name", "Set Code", "Card Number"}),
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
    line_end="\r\n",
    preamble='"sep=,"\r\n',
)
