"""Delver Lens (Android card scanner) list export. The user picks the columns, their order and the
delimiter in the app (nicho92/MtgDesktopCompanion issue #172, Cockatrice/Cockatrice issue #4222), so there
is no one header: we read by column name and recognise the file by either column no other app writes,
`Collector's number` or `QuantityX`. Shapes seen in public code (sources in
tests/fixtures/collections/README.md):
- `Name, Edition, Price, Language, Collector's number, Condition, Currency, Edition code, Foil, List name,
  Quantity, Scryfall ID`: nicho92/MtgDesktopCompanion DelverLensExport.java. We write these 12 columns,
  comma-separated (as every other source), header bare and every cell quoted (as sample exports show).
- `Name, Edition code, Collector's number, QuantityX, Foil, Scryfall ID`, QuantityX written `2x`.
- `Edition code, Collector's number, Name, Non-foil quantity, Foil quantity, Scryfall ID`: one line holds
  both finishes and reads as one row per non-zero count.
- tab-separated, with `(Condition,Language)` cells like `(NM, Japanese)` and `Edition (code)` cells like
  `(2xm)` in older exports, separate `Condition` and `Language` columns in newer ones.
Values:
- Foil is `Foil` or empty. No etched finish is known: etched holdings are written as Foil.
- Conditions Near Mint, Slightly Played, Moderatly Played (sic), Heavily Played, from MtgDesktopCompanion's
  pluginsAliases.json, which writes Mint as Near Mint and Damaged as Heavily Played; so do we. Empty is Near
  Mint. The correct spelling "Moderately Played" and the codes NM, SP, MP, HP read too.
- Languages by English name, Chinese as "Chinese Simplified" / "Chinese Traditional"; empty is English.
- Edition code is upper case (`ORI`); Edition is the set's name.
- Price and Currency are the app's market price of the card, not what was paid: not read, written empty.
- List name (the Delver list the card is in) reads as notes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow
from data.collection_formats.spec import NOTES, NUMBER, SET_CODE, AppFormat, Holding, RowReader
from data.collection_formats.values import CellError, Vocabulary
from data.collection_formats.vocabulary import conditions, english_languages
from data.domain import Condition, Finish, Language

HEADER = (
    "Name", "Edition", "Price", "Language", "Collector's number", "Condition", "Currency", "Edition code", "Foil",
    "List name", "Quantity", "Scryfall ID",
)  # fmt: skip
QUANTITY_X = "QuantityX"
NONFOIL_COUNT, FOIL_COUNT = "Non-foil quantity", "Foil quantity"
COMBINED = "(Condition,Language)"
WRAPPED_CODE = "Edition (code)"

CONDITIONS = conditions(
    {
        "Near Mint": Condition.NEAR_MINT,
        "Slightly Played": Condition.LIGHTLY_PLAYED,
        "Moderatly Played": Condition.MODERATELY_PLAYED,
        "Moderately Played": Condition.MODERATELY_PLAYED,
        "Heavily Played": Condition.HEAVILY_PLAYED,
        "NM": Condition.NEAR_MINT,
        "SP": Condition.LIGHTLY_PLAYED,
        "MP": Condition.MODERATELY_PLAYED,
        "HP": Condition.HEAVILY_PLAYED,
    },
    {
        Condition.MINT: "Near Mint",
        Condition.NEAR_MINT: "Near Mint",
        Condition.LIGHTLY_PLAYED: "Slightly Played",
        Condition.MODERATELY_PLAYED: "Moderatly Played",
        Condition.HEAVILY_PLAYED: "Heavily Played",
        Condition.DAMAGED: "Heavily Played",
    },
)
LANGUAGES = english_languages(CHINESE_SIMPLIFIED="Chinese Simplified", CHINESE_TRADITIONAL="Chinese Traditional")
FINISHES = Vocabulary(
    "finish",
    {"Foil": Finish.FOIL},
    {Finish.NONFOIL: "", Finish.FOIL: "Foil", Finish.ETCHED: "Foil"},
    default=Finish.NONFOIL,
)


def _quantity_x(text: str) -> int:
    """`2x`, as QuantityX writes a count; a bare `2` reads too."""
    value = text.strip()
    digits = value[:-1] if value[-1:] in ("x", "X") else value
    if value and not (digits.isascii() and digits.isdigit()):
        raise CellError(f"quantity {value[:64]!r} is not a count like 2x")
    return values.quantity(digits)


def _count(text: str) -> int:
    """One finish's count in the two-column form, where 0 (or empty) means none of that finish."""
    return 0 if text.strip() in ("", "0") else values.quantity(text)


def _set_code(row: RowReader) -> str:
    if WRAPPED_CODE in row.cells and "Edition code" not in row.cells:
        return row.text(WRAPPED_CODE, SET_CODE + 2).removeprefix("(").removesuffix(")").strip()
    return row.text("Edition code", SET_CODE)


def _condition_and_language(row: RowReader) -> tuple[Condition | None, Language | None]:
    if COMBINED not in row.cells or "Condition" in row.cells or "Language" in row.cells:
        return row.parse("Condition", CONDITIONS.read), row.parse("Language", LANGUAGES.read)
    text = row.cells[COMBINED].strip()
    if text and not (len(text) >= 2 and text[0] == "(" and text[-1] == ")"):
        row.problem(COMBINED, f"{text[:64]!r} is not a condition and language like (NM, English)")
        return None, None
    condition, _, language = text[1:-1].partition(",")
    return (
        row.parse(COMBINED, lambda _: CONDITIONS.read(condition)),
        row.parse(COMBINED, lambda _: LANGUAGES.read(language)),
    )


def read_row(row: RowReader) -> CollectionRow | list[CollectionRow] | None:
    condition, language = _condition_and_language(row)
    card = dict(
        name=row.text("Name"),
        set_code=_set_code(row),
        collector_number=row.text("Collector's number", NUMBER),
        scryfall_id=row.parse("Scryfall ID", values.scryfall_id),
        condition=condition,
        language=language,
        notes=row.text("List name", NOTES),
    )
    if QUANTITY_X in row.cells or "Quantity" in row.cells:
        column, parser = (QUANTITY_X, _quantity_x) if QUANTITY_X in row.cells else ("Quantity", values.quantity)
        return row.row(quantity=row.parse(column, parser), finish=row.parse("Foil", FINISHES.read), **card)
    normal, foil = row.parse(NONFOIL_COUNT, _count), row.parse(FOIL_COUNT, _count)
    if normal == 0 and foil == 0:
        row.problem(NONFOIL_COUNT, f"no copies: {NONFOIL_COUNT} and {FOIL_COUNT} are both 0")
    counts = [(count, finish) for count, finish in ((normal, Finish.NONFOIL), (foil, Finish.FOIL)) if count]
    first = row.row(quantity=counts[0][0] if counts else None, finish=counts[0][1] if counts else None, **card)
    if first is None:
        return None
    return [first, *(dataclasses.replace(first, quantity=count, finish=finish) for count, finish in counts[1:])]


def write_row(holding: Holding) -> Sequence[str]:
    return (
        holding.name, holding.set_name, "", LANGUAGES.write(holding.language, "Delver Lens"),
        holding.collector_number, CONDITIONS.write(holding.condition, "Delver Lens"), "", holding.set_code.upper(),
        FINISHES.write(holding.finish, "Delver Lens"), holding.notes, str(holding.quantity),
        holding.scryfall_id or "",
    )  # fmt: skip


FORMAT = AppFormat(
    name="delverlens",
    label="Delver Lens",
    header=HEADER,
    fingerprint=frozenset({"Collector's number"}),
    also=(frozenset({QUANTITY_X}),),
    required=frozenset({"Name"}),
    one_of=(frozenset({QUANTITY_X}), frozenset({"Quantity"}), frozenset({NONFOIL_COUNT, FOIL_COUNT})),
    carries=frozenset(
        ["name", "set_code", "collector_number", "scryfall_id", "quantity", "finish", "condition", "language", "notes"]
    ),
    read_row=read_row,
    write_row=write_row,
    quote_cells=True,
)
