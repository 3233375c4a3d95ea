"""TCGplayer app collection export: 12 columns; variants add `External ID` and `Price,Price Each`.

Header and values from StepKie/MtgCsvHelper Resources/SampleCsvs/Tests/tcgplayer-real-export.csv and
Collection/tcgplayer-collection*.csv; the 15-column variant from nicho92/MtgDesktopCompanion issue #157.
- `Name` may carry a variant tag, "Okaun, Eye of Chaos (Showcase)"; the reader drops a trailing
  parenthesised tag that `Simple Name` does not have. `Simple Name` is the front face, ASCII-folded.
- `Printing` is Normal or Foil; a condition may end in " Foil" ("Near Mint Foil"), which also means foil.
  TCGplayer has no etched printing: etched holdings are written as Foil.
- The Price columns are TCGplayer's market prices, not what the owner paid: they are not read.
- No dates, notes or Scryfall IDs. Product ID and SKU are TCGplayer's; we leave them blank on writing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NUMBER, SET_CODE, AppFormat, Holding, RowReader, ascii_fold
from data.collection_formats.values import Vocabulary
from data.collection_formats.vocabulary import conditions, english_languages
from data.domain import Condition, Finish

HEADER = (
    "Quantity", "Name", "Simple Name", "Set", "Card Number", "Set Code", "Printing", "Condition", "Language",
    "Rarity", "Product ID", "SKU",
)  # fmt: skip

CONDITIONS = conditions(
    {
        "Mint": Condition.MINT,
        "Near Mint": Condition.NEAR_MINT,
        "Lightly Played": Condition.LIGHTLY_PLAYED,
        "Moderately Played": Condition.MODERATELY_PLAYED,
        "Heavily Played": Condition.HEAVILY_PLAYED,
        "Damaged": Condition.DAMAGED,
    },
    {
        Condition.MINT: "Mint",
        Condition.NEAR_MINT: "Near Mint",
        Condition.LIGHTLY_PLAYED: "Lightly Played",
        Condition.MODERATELY_PLAYED: "Moderately Played",
        Condition.HEAVILY_PLAYED: "Heavily Played",
        Condition.DAMAGED: "Damaged",
    },
)
LANGUAGES = english_languages()
PRINTINGS = Vocabulary(
    "printing",
    {"Normal": Finish.NONFOIL, "Foil": Finish.FOIL},
    {Finish.NONFOIL: "Normal", Finish.FOIL: "Foil", Finish.ETCHED: "Foil"},
    default=Finish.NONFOIL,
)
_TAG = re.compile(r"^(?P<name>.+?) \((?P<tag>[^()]+)\)$")
_FOIL_SUFFIX = " foil"


def _name(full: str, simple: str) -> str:
    tagged = _TAG.match(full)
    if tagged and not simple.endswith(")"):
        return tagged["name"]
    return full


def read_row(row: RowReader) -> CollectionRow | None:
    finish = row.parse("Printing", PRINTINGS.read)
    condition_text = row.text("Condition")
    if condition_text.casefold().endswith(_FOIL_SUFFIX):
        condition_text = condition_text[: -len(_FOIL_SUFFIX)]
        finish = Finish.FOIL if finish is not None else None
    condition = row.parse("Condition", lambda _: CONDITIONS.read(condition_text))
    return row.row(
        quantity=row.parse("Quantity", values.quantity),
        name=_name(row.text("Name"), row.text("Simple Name")),
        set_code=row.text("Set Code", SET_CODE),
        collector_number=row.text("Card Number", NUMBER),
        scryfall_id=None,
        finish=finish,
        condition=condition,
        language=row.parse("Language", LANGUAGES.read),
    )


def write_row(holding: Holding) -> Sequence[str]:
    return (
        str(holding.quantity), holding.name, ascii_fold(holding.front_face), holding.set_name,
        holding.collector_number, holding.set_code.upper(), PRINTINGS.write(holding.finish, "TCGplayer"),
        CONDITIONS.write(holding.condition, "TCGplayer"), LANGUAGES.write(holding.language, "TCGplayer"),
        "", "", "",
    )  # fmt: skip


FORMAT = AppFormat(
    name="tcgplayer",
    label="TCGplayer",
    header=HEADER,
    fingerprint=frozenset({"Simple Name", "Product ID", "SKU"}),
    required=frozenset({"Quantity", "Name", "Set Code", "Card Number"}),
    carries=frozenset(["name", "set_code", "collector_number", "quantity", "finish", "condition", "language"]),
    read_row=read_row,
    write_row=write_row,
)
