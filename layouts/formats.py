"""Human names of Scryfall's format keys ("paupercommander" -> "Pauper Commander"): the one table
every page label and chart takes them from. A key not in it is title-cased."""

from __future__ import annotations

FORMAT_NAMES = {
    "standard": "Standard",
    "pioneer": "Pioneer",
    "modern": "Modern",
    "legacy": "Legacy",
    "vintage": "Vintage",
    "commander": "Commander",
    "pauper": "Pauper",
    "paupercommander": "Pauper Commander",
    "predh": "PreDH",
    "standardbrawl": "Standard Brawl",
    "brawl": "Brawl",
    "historic": "Historic",
    "timeless": "Timeless",
    "alchemy": "Alchemy",
    "explorer": "Explorer",
    "oldschool": "Old School",
    "premodern": "Premodern",
    "duel": "Duel Commander",
    "oathbreaker": "Oathbreaker",
    "gladiator": "Gladiator",
    "penny": "Penny Dreadful",
    "future": "Future",
}


def format_name(key: str) -> str:
    """The name players use for a format key; an unknown key of letters, digits and underscores title-cased
    ("newformat" -> "Newformat"), anything else as the provider wrote it (for the charts to escape)."""
    if key in FORMAT_NAMES:
        return FORMAT_NAMES[key]
    return key.replace("_", " ").title() if key.replace("_", "").isalnum() and key.isascii() else key
