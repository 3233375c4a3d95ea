"""Card search on real PostgreSQL over the 461 real Scryfall printings of the fixture: word-based,
accents, case and punctuation aside, one entry per printing with its language, best match first."""

from __future__ import annotations

import pytest

from callbacks.search import label, search_options
from data.names import fold
from data.use_cases.cards import MAX_SEARCH_CHARS
from tests.conftest import FIXTURES
from tests.helpers import add_cards
from workers.imports import import_scryfall

JACE = "Jace, Vryn's Prodigy // Jace, Telepath Unbound"
# Every printing of Jace in the fixture: English ones newest first, then ORI's ten other languages.
JACE_PRINTINGS = [
    f"{JACE} — PIO #60 · en",
    f"{JACE} — PLST #ORI-60 · en",
    f"{JACE} — V17 #12 · en",
    f"{JACE} — ORI #60 · en",
    f"{JACE} — PORI #60s · en",
    f"{JACE} — PS15 #60 · en",
    *(f"{JACE} — ORI #60 · {lang}" for lang in ("de", "es", "fr", "it", "ja", "ko", "pt", "ru", "zhs", "zht")),
]


@pytest.fixture
def catalog(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    return services


def _labels(services, text: str, limit: int = 20) -> list[str]:
    return [label(card) for card in services.card_queries.search(text, limit)]


def test_fold_drops_accents_case_apostrophes_and_punctuation():
    assert fold(JACE) == "jace vryns prodigy jace telepath unbound"
    assert fold("Lim-Dûl's Vault") == "lim duls vault"
    assert fold("Æther Vial") == "aether vial"
    assert fold("  JÖTUN\tgrunt ") == "jotun grunt"


@pytest.mark.parametrize("typed", ["jace", "vryn", "jace vryn", "Jace, Vryns", "vryns", "JACE VRYN'S", "jacé"])
def test_words_of_the_name_find_every_printing_english_and_newest_first(catalog, typed):
    assert _labels(catalog, typed) == JACE_PRINTINGS


def test_a_word_start_finds_names_starting_with_it_first(catalog):
    # Names starting with the word first (the closest, shortest, first), then names with a later word
    # starting with it.
    assert _labels(catalog, "cath") == [
        "Cathar's Call — MID #11 · en",
        "Cathar Commando — MID #10 · en",
        "Cathartic Pyre — MID #133 · en",
        "Clarion Cathars — MID #14 · en",
        "Brutal Cathar // Moonrage Brute — MID #7 · en",
        "Brutal Cathar // Moonrage Brute — MID #286 · en",
        "Adeline, Resplendent Cathar — MID #1 · en",
        "Adeline, Resplendent Cathar — MID #312 · en",
        "Ambitious Farmhand // Seasoned Cathar — MID #2 · en",
    ]
    assert _labels(catalog, "consider") == ["Consider — MID #44 · en", "Consider — MID #388 · en"]


def test_words_in_any_order_and_a_typo(catalog):
    assert _labels(catalog, "commando cathar") == ["Cathar Commando — MID #10 · en"]
    assert _labels(catalog, "cathar comando") == ["Cathar Commando — MID #10 · en"]  # no word matches: typos
    assert _labels(catalog, "jace vyrn") == JACE_PRINTINGS
    assert _labels(catalog, "vryn zzzz") == []  # every word must match: a word no name has finds nothing


def test_set_code_and_number_find_the_printing_in_each_language(catalog):
    assert _labels(catalog, "ori 60") == [f"{JACE} — ORI #60 · en", *JACE_PRINTINGS[6:]]
    assert _labels(catalog, "MID #44") == ["Consider — MID #44 · en"]


@pytest.mark.parametrize(
    "typed",
    ["%", "_", "\\", "'", "%%%_\\'", "\x00jace", "j\ud800ace", "a" * 100_000, "🃏", "' OR 1=1 --", "jace " * 500],
)
def test_hostile_text_answers_without_an_error(catalog, typed):
    found = catalog.card_queries.search(typed)
    assert isinstance(found, list) and len(found) <= 20


def test_search_text_is_cut_and_a_cut_name_still_finds_its_card(catalog):
    assert _labels(catalog, (JACE + " ") * 3)[:1] == [f"{JACE} — PIO #60 · en"]
    assert len(catalog.card_queries.search("x" * (MAX_SEARCH_CHARS + 50))) == 0


def test_options_of_the_search_box_carry_the_printing_id(catalog):
    options = search_options(catalog.card_queries, "jace vryn", "test")
    ori_en = catalog.cards.get_by_scryfall_id(
        next(c.scryfall_id for c in catalog.cards.search("ori 60") if c.lang == "en")
    )
    assert {"value": str(ori_en.id), "label": f"{JACE} — ORI #60 · en"} in options
    assert search_options(catalog.card_queries, "j", "test") is None  # too little text


def test_a_printing_upserted_again_keeps_its_search_name_and_language(services, scryfall_objects):
    ids = add_cards(services, [o for o in scryfall_objects if o["name"] == JACE and o["lang"] == "ja"])
    assert [label(card) for card in services.card_queries.search("vryn")] == [f"{JACE} — ORI #60 · ja"]
    assert len(ids) == 1


@pytest.mark.parametrize("width", [390, 1440])
def test_the_search_box_offers_what_the_server_found(dash_duo, catalog, width):
    """Mantine's own filter would hide "Jace, Vryn's Prodigy" for "jace vryn": the box keeps every option."""
    from app.server import create_app

    dash_duo.start_server(create_app(catalog))
    dash_duo.driver.set_window_size(width, 900)
    for typed, first in (
        ("jace vryn", JACE_PRINTINGS[0]),
        ("Jace, Vryns", JACE_PRINTINGS[0]),
        ("cath", "Cathar's Call — MID #11 · en"),
        ("ori 60", f"{JACE} — ORI #60 · en"),
    ):
        dash_duo.wait_for_page(f"{dash_duo.server_url}/card")
        box = dash_duo.find_element("#card-search")
        box.send_keys(typed)
        dash_duo.wait_for_contains_text("body", first, timeout=15)
        options = dash_duo.driver.execute_script(
            "return [...document.querySelectorAll('[role=option]')].map(o => o.textContent)"
        )
        assert options[0] == first, typed
    # The typed text survives the first options arriving, so a user can go on refining it.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/card")
    box = dash_duo.find_element("#card-search")
    box.send_keys("jac")
    dash_duo.wait_for_contains_text("body", JACE_PRINTINGS[0], timeout=15)
    box.send_keys("e vryn")
    dash_duo.wait_for_contains_text("body", JACE_PRINTINGS[0], timeout=15)
    assert box.get_attribute("value") == "jace vryn"
    logs = [log for log in dash_duo.get_logs() if "cards.scryfall.io" not in log["message"]]
    assert logs == []
