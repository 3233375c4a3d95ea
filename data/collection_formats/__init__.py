"""Collection CSV files of the card-collection apps (Moxfield, ManaBox, Deckbox, TCGplayer, Archidekt,
Dragon Shield, Delver Lens): recognise a file by its header, read its rows, and write holdings back in each
app's own shape. Pure code: no database."""

from data.collection_formats.errors import CollectionFileError
from data.collection_formats.formats import FORMATS, detect
from data.collection_formats.reading import MAX_BYTES, MAX_ROWS, Parsed, read
from data.collection_formats.rows import CollectionRow, RowProblem
from data.collection_formats.writing import write

__all__ = [
    "FORMATS",
    "MAX_BYTES",
    "MAX_ROWS",
    "CollectionFileError",
    "CollectionRow",
    "Parsed",
    "RowProblem",
    "detect",
    "read",
    "write",
]
