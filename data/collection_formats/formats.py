"""The apps we read and write, and recognising a file's app by its header."""

from __future__ import annotations

from collections.abc import Sequence

from data.collection_formats import archidekt, deckbox, delverlens, dragonshield, manabox, moxfield, tcgplayer
from data.collection_formats.errors import CollectionFileError
from data.collection_formats.spec import AppFormat

# Order matters only where fingerprints could overlap: Deckbox before Moxfield (both have Tradelist Count).
# Delver Lens comes last: its columns are the user's choice. Its fingerprint columns (Collector's number,
# QuantityX) are in no other app's export, and no other fingerprint fits a Delver Lens shape we know.
FORMATS: dict[str, AppFormat] = {
    f.name: f
    for f in (
        manabox.FORMAT,
        tcgplayer.FORMAT,
        archidekt.FORMAT,
        dragonshield.FORMAT,
        deckbox.FORMAT,
        moxfield.FORMAT,
        delverlens.FORMAT,
    )
}

# Exports we recognise but cannot read, so the message can say what the file is.
_RECOGNISED_ONLY = (
    (frozenset({"ID #", "Premium"}), "an MTGO collection export"),
    (frozenset({"idProduct", "groupCount"}), "a Cardmarket stock file"),
    (frozenset({"Card", "Set ID", "Set Name"}), "an MTGGoldfish collection export"),
    (frozenset({"QUANTITY", "SETCODE"}), "a TopDecked export"),
    (frozenset({"TCGplayer Id", "Product Line"}), "a TCGplayer seller inventory export"),
)


def detect(header: Sequence[str]) -> str:
    """The format name ("moxfield", ...) whose fingerprint columns the header has."""
    return detect_format(header).name


def detect_format(header: Sequence[str], line: int = 1) -> AppFormat:
    columns = {column.strip() for column in header}
    for app in FORMATS.values():
        if app.matches(columns):
            return app
    shown = ", ".join(repr(column) for column in list(header)[:12]) + (", ..." if len(header) > 12 else "")
    known = "; ".join(f"{app.label} ({app.recognised_by})" for app in FORMATS.values())
    for fingerprint, what in _RECOGNISED_ONLY:
        if fingerprint <= columns:
            raise CollectionFileError(
                f"this looks like {what}, which CardCharts cannot import yet; known formats: {known}", line=line
            )
    raise CollectionFileError(
        f"unrecognised header: found columns {shown or 'none'}; known formats, by their columns: {known}", line=line
    )
