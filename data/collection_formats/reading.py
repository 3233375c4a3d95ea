"""read(): bytes of an uploaded collection CSV to rows and per-row problems, whatever app wrote it."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

import pandas as pd

from data.collection_formats.errors import CollectionFileError
from data.collection_formats.formats import detect_format
from data.collection_formats.rows import CollectionRow, RowProblem
from data.collection_formats.spec import AppFormat, RowReader

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 100_000
_SEP_LINE = re.compile(r'^"?sep=(.)"?\s*$')
_PANDAS_LINE = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class Parsed:
    format: str  # "moxfield", "manabox", ...
    rows: list[CollectionRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def read(data: bytes, filename: str | None = None) -> Parsed:
    """Every row of the file as a CollectionRow, or as RowProblems naming its line and column. A file that
    cannot be read at all (too big, not text, not CSV, an unknown app) raises CollectionFileError.

    Lines are the file's lines, header included, as an editor numbers them (Dragon Shield's sep line is
    line 1, its header line 2); a quoted cell spanning lines counts as one line. The delimiter is a comma
    unless a `sep=` line names another, or the header holds more tabs or semicolons than commas."""
    where = f"{filename}: " if filename else ""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CollectionFileError(f"{where}expected the file's bytes")
    if len(data) > MAX_BYTES:
        raise CollectionFileError(f"{where}the file is {len(data):,} bytes; the limit is {MAX_BYTES:,}")
    text = _decode(bytes(data), where)
    offset, delimiter = 0, ","
    first, _, rest = text.partition("\n")
    if sep := _SEP_LINE.match(first.strip()):
        offset, delimiter, text = 1, sep.group(1), rest
    else:
        delimiter = _delimiter(first)
    if not text.strip():
        raise CollectionFileError(f"{where}the file is empty: no header row", line=1 + offset)
    table = _table(text, delimiter, offset, where)
    header = [str(cell).strip() for cell in table[0]]
    header_line = 1 + offset
    app = detect_format(header, line=header_line)
    _check_header(header, app, header_line, where)
    parsed = Parsed(app.name)
    for index, cells in enumerate(table[1:], start=1):
        texts = ["" if not isinstance(cell, str) else cell for cell in cells]
        if not any(cell.strip() for cell in texts):
            continue  # blank lines and trailing empty rows
        reader = RowReader(header_line + index, dict(zip(header, texts, strict=True)))
        got = app.read_row(reader)
        if isinstance(got, CollectionRow):
            parsed.rows.append(got)
        elif got:
            parsed.rows.extend(got)  # one line, several holdings (Delver Lens's non-foil and foil counts)
        parsed.problems.extend(reader.problems)
    return parsed


def _delimiter(header: str) -> str:
    """A comma, unless the header line has more tabs or semicolons than commas: Delver Lens lets the user
    pick the delimiter (tab-separated exports are in public importers' tests) and Cardmarket writes
    semicolons. A comma header always has a comma once it has two columns."""
    commas = header.count(",")
    best = max(("\t", ";"), key=header.count)
    return best if header.count(best) > commas else ","


def _decode(data: bytes, where: str) -> str:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252 (Excel's Western default)."""
    if data.startswith(b"PK\x03\x04"):
        raise CollectionFileError(f"{where}this is a zip or Excel workbook; export the collection as CSV")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "cp1252")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CollectionFileError(f"{where}the file is not text: neither UTF-8 nor Windows-1252")
    if "\x00" in text:
        raise CollectionFileError(f"{where}the file is not text: it contains NUL bytes (is it binary?)")
    return text


def _table(text: str, delimiter: str, offset: int, where: str) -> list[list[object]]:
    """All records, header first. header=None so a row with more cells than the header is an error rather
    than silently shifting columns; rows with fewer cells are padded with empty cells."""
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
            nrows=MAX_ROWS + 2,
            engine="c",
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, csv.Error, OverflowError) as error:
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        found = _PANDAS_LINE.search(message)
        line = int(found.group(1)) + offset if found else None
        message = _PANDAS_LINE.sub("this line", message).removeprefix("Error tokenizing data. C error: ")
        raise CollectionFileError(f"{where}malformed CSV: {message}", line=line) from None
    if len(frame) > MAX_ROWS + 1:
        raise CollectionFileError(
            f"{where}more than {MAX_ROWS:,} rows; split the collection into smaller files",
            line=MAX_ROWS + 2 + offset,
        )
    return frame.values.tolist()


def _check_header(header: list[str], app: AppFormat, line: int, where: str) -> None:
    seen: set[str] = set()
    for column in header:
        if column and column in seen:
            raise CollectionFileError(f"{where}the column appears twice in the header", line=line, column=column)
        seen.add(column)
    if missing := sorted(app.required - seen):
        raise CollectionFileError(f"{where}the header lacks {', '.join(missing)}", line=line, column=missing[0])
    if app.one_of and not any(group <= seen for group in app.one_of):
        wanted = "; ".join(" and ".join(sorted(group)) for group in app.one_of)
        raise CollectionFileError(f"{where}the header lacks a quantity column: one of {wanted}", line=line)
