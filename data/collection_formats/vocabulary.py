"""Value spellings several apps share. Each app module picks these or declares its own."""

from __future__ import annotations

from data.collection_formats.values import Vocabulary
from data.domain import Condition, Language

# Moxfield, Deckbox and TCGplayer write languages by English name, Chinese as "Chinese" and
# "Traditional Chinese" (StepKie/MtgCsvHelper appsettings.json and real exports). On reading we also
# take our own spellings and Scryfall's codes, which users type into hand-edited files.
_ENGLISH_NAMES = {
    Language.ENGLISH: "English",
    Language.JAPANESE: "Japanese",
    Language.GERMAN: "German",
    Language.FRENCH: "French",
    Language.ITALIAN: "Italian",
    Language.SPANISH: "Spanish",
    Language.PORTUGUESE: "Portuguese",
    Language.KOREAN: "Korean",
    Language.CHINESE_SIMPLIFIED: "Chinese",
    Language.CHINESE_TRADITIONAL: "Traditional Chinese",
    Language.RUSSIAN: "Russian",
}


def _language_reads(writes: dict[Language, str]) -> dict[str, Language]:
    reads: dict[str, Language] = {}
    for language in Language:
        reads[language.value] = language
        reads[language.code] = language
    reads["Chinese"] = Language.CHINESE_SIMPLIFIED
    reads["Simplified Chinese"] = Language.CHINESE_SIMPLIFIED
    reads["Traditional Chinese"] = Language.CHINESE_TRADITIONAL
    reads.update({text: language for language, text in writes.items()})
    return reads


def english_languages(**overrides: str) -> Vocabulary[Language]:
    writes = dict(_ENGLISH_NAMES)
    writes.update({Language[key]: text for key, text in overrides.items()})
    return Vocabulary("language", _language_reads(writes), writes, default=Language.ENGLISH)


def coded_languages(writes: dict[Language, str]) -> Vocabulary[Language]:
    return Vocabulary("language", _language_reads(writes), writes, default=Language.ENGLISH)


def conditions(spelled: dict[str, Condition], writes: dict[Condition, str]) -> Vocabulary[Condition]:
    """An app's condition words; an empty cell is Near Mint, the app default everywhere."""
    return Vocabulary("condition", spelled, writes, default=Condition.NEAR_MINT)


# ManaBox and Dragon Shield grade on Cardmarket's seven-step scale. Our six steps follow TCGplayer's;
# the usual correspondence: Excellent ~ Lightly Played, Good and Light Played ~ Moderately Played,
# Played ~ Heavily Played, Poor ~ Damaged. We write Good for Moderately Played.
SEVEN_STEPS = {
    "mint": Condition.MINT,
    "near_mint": Condition.NEAR_MINT,
    "excellent": Condition.LIGHTLY_PLAYED,
    "good": Condition.MODERATELY_PLAYED,
    "light_played": Condition.MODERATELY_PLAYED,
    "played": Condition.HEAVILY_PLAYED,
    "poor": Condition.DAMAGED,
}
