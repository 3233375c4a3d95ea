"""The one error the collection readers and writers raise."""

from __future__ import annotations


class CollectionFileError(ValueError):
    """A collection file that cannot be read at all (or holdings that cannot be written), with where."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None) -> None:
        parts = (f"line {line}" if line else "", f"column {column!r}" if column else "")
        where = ", ".join(part for part in parts if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.line = line
        self.column = column
