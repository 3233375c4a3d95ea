"""What each app's module declares (`AppFormat`), and the per-row helper its reader uses (`RowReader`)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from data.collection_formats import values
from data.collection_formats.rows import CollectionRow, RowProblem
from data.domain import CARD_TEXT_LIMITS, Condition, Finish, Language

SET_CODE = CARD_TEXT_LIMITS["set_code"]
NUMBER = CARD_TEXT_LIMITS["collector_number"]
NOTES = 1000


@dataclass(frozen=True)
class Holding:
    """One holding to write, checked (writing.py builds these from the caller's dicts)."""

    name: str
    set_code: str
    set_name: str
    collector_number: str
    scryfall_id: str | None
    quantity: int
    finish: Finish
    condition: Condition
    language: Language
    price: Decimal | None
    currency: str | None
    acquired_on: date | None
    notes: str

    @property
    def front_face(self) -> str:
        return self.name.split(" // ")[0]

    @property
    def price_text(self) -> str:
        return "" if self.price is None else f"{self.price.quantize(values.CENT)}"


@dataclass(frozen=True)
class AppFormat:
    """One collection app's CSV: how to recognise it, read a row, and write holdings."""

    name: str  # our key: "moxfield"
    label: str  # the app's name for messages: "Moxfield"
    header: tuple[str, ...]  # exactly what we write
    fingerprint: frozenset[str]  # columns that, all present, identify the app
    required: frozenset[str]  # columns a file must have to be read
    carries: frozenset[str]  # holding fields that survive write-then-read
    read_row: Callable[[RowReader], CollectionRow | Sequence[CollectionRow] | None]  # a row may hold two finishes
    write_row: Callable[[Holding], Sequence[str]]
    quote_all: bool = False
    quote_cells: bool = False  # every data cell quoted, the header not (Delver Lens)
    line_end: str = "\n"
    preamble: str = ""  # a line written before the header (Dragon Shield's "sep=,")
    absent: frozenset[str] = field(default_factory=frozenset)  # fingerprint columns that must NOT be present
    also: tuple[frozenset[str], ...] = ()  # other column sets that identify the app on their own
    one_of: tuple[frozenset[str], ...] = ()  # quantity column groups, one of which the file must have

    def matches(self, columns: set[str]) -> bool:
        if self.absent & columns:
            return False
        return any(fingerprint <= columns for fingerprint in (self.fingerprint, *self.also))

    @property
    def recognised_by(self) -> str:
        """The fingerprint columns, for messages: "ManaBox ID"; "Collector's number or QuantityX"."""
        return " or ".join(", ".join(sorted(columns)) for columns in (self.fingerprint, *self.also))

    def write(self, holdings: Sequence[Holding]) -> str:
        out = io.StringIO()
        out.write(self.preamble)
        header_quoting = csv.QUOTE_ALL if self.quote_all else csv.QUOTE_MINIMAL
        cell_quoting = csv.QUOTE_ALL if self.quote_all or self.quote_cells else csv.QUOTE_MINIMAL
        csv.writer(out, lineterminator=self.line_end, quoting=header_quoting).writerow(self.header)
        writer = csv.writer(out, lineterminator=self.line_end, quoting=cell_quoting)
        for holding in holdings:
            writer.writerow(self.write_row(holding))
        return out.getvalue()


class RowReader:
    """One data row, by column name; collects every cell problem so a row reports all of them at once."""

    def __init__(self, line: int, cells: Mapping[str, str]) -> None:
        self.line = line
        self.cells = cells
        self.problems: list[RowProblem] = []

    def text(self, column: str, limit: int = CARD_TEXT_LIMITS["name"]) -> str:
        """The cell, stripped; longer than `limit` characters is a problem (and reads as empty)."""
        value = self.cells.get(column, "").strip()
        if len(value) > limit:
            self.problem(column, f"longer than {limit} characters")
            return ""
        return value

    def parse(self, column: str, parser: Callable[[str], Any], default: Any = None) -> Any:
        """`parser` applied to the cell; a CellError becomes a problem and the result is `default`."""
        if column not in self.cells:
            return _absent(parser, default)
        try:
            return parser(self.cells[column])
        except values.CellError as error:
            self.problems.append(RowProblem(self.line, column, str(error)))
            return default

    def problem(self, column: str | None, message: str) -> None:
        self.problems.append(RowProblem(self.line, column, message))

    def row(
        self,
        *,
        quantity: int | None,
        name: str | None,
        set_code: str | None,
        collector_number: str | None,
        scryfall_id: str | None,
        finish: Finish | None,
        condition: Condition | None,
        language: Language | None,
        price: Decimal | None = None,
        currency: str | None = None,
        acquired_on: date | None = None,
        notes: str = "",
    ) -> CollectionRow | None:
        """The row, or None when a cell was at fault (its problems are in `problems`)."""
        if not (name or scryfall_id or (set_code and collector_number)):
            self.problem(None, "the row names no card (no name, Scryfall ID, or set and collector number)")
        if self.problems or quantity is None or finish is None or condition is None or language is None:
            return None
        return CollectionRow(
            line=self.line,
            quantity=quantity,
            name=name or None,
            set_code=(set_code or "").lower() or None,
            collector_number=collector_number or None,
            scryfall_id=scryfall_id,
            finish=finish,
            condition=condition,
            language=language,
            price=price,
            currency=currency if price is not None else None,
            acquired_on=acquired_on,
            notes=notes,
        )


def _absent(parser: Callable[[str], Any], default: Any) -> Any:
    """An optional column the file does not have reads as its empty value (a Vocabulary's default)."""
    try:
        return parser("")
    except values.CellError:
        return default


def ascii_fold(text: str) -> str:
    """`Lim-Dûl's Vault` -> `Lim-Dul's Vault`, as TCGplayer's Simple Name spells it."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
