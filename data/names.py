"""Card names as search compares them: no accents, no case, no punctuation.

"Jace, Vryn's Prodigy" becomes "jace vryns prodigy" and "Lim-Dûl's Vault" "lim duls vault":
accents are dropped, apostrophes removed (so that "vryns" finds Vryn's), and any other punctuation
separates words. The catalog stores each name folded (`cards.search_name`, filled on upsert) and
typed text is folded the same way, so matching needs no extension beyond pg_trgm."""

from __future__ import annotations

import unicodedata

# ' and its look-alikes: right and left single quotation marks, grave and acute accents, modifier apostrophe
APOSTROPHES = "'\u2019\u2018`\u00b4\u02bc"
# Letters that NFKD does not split into a base letter and a mark.
LIGATURES = str.maketrans({"æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "\u0131": "i"})  # dotless i


def fold(text: str) -> str:
    """Lower-case words of letters and digits, accents removed, separated by one space."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold().translate(LIGATURES)
    kept = "".join("" if char in APOSTROPHES else char if char.isalnum() else " " for char in plain)
    return " ".join(kept.split())
