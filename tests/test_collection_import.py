"""Collection import on the real Scryfall sample: rows matched by Scryfall id, set and number, or name
(narrowed by set and language), ambiguity and misses reported with their reason, in one statement
for the whole file; a preview writes nothing; a commit is all or nothing (or skips the unmatched rows
only when told to); the export gives the lots back."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event, text

from data.collection_formats.rows import CollectionRow
from data.domain import Condition, Finish, Language
from data.repositories.card_matches import CardMatchRepository
from data.repositories.lots import LotRepository
from data.use_cases.collection import CollectionImport, ImportRefused
from tests.conftest import FIXTURES
from workers.imports import import_scryfall

CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"  # MID 44 (Consider is also MID 388)
ALRUND = "Alrund, God of the Cosmos // Hakka, Whispering Raven"  # KHM 40 in eleven languages, KHM 302, PRM, PKHM


def row(line: int, quantity: int = 1, **values) -> CollectionRow:
    base = {
        "name": None,
        "set_code": None,
        "collector_number": None,
        "scryfall_id": None,
        "finish": Finish.NONFOIL,
        "condition": Condition.NEAR_MINT,
        "language": Language.ENGLISH,
        "price": None,
        "currency": None,
        "acquired_on": None,
        "notes": "",
    }
    return CollectionRow(line=line, quantity=quantity, **{**base, **values})


@pytest.fixture
def catalog(services):
    import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
    return services


@pytest.fixture
def importer(catalog) -> CollectionImport:
    return CollectionImport(CardMatchRepository(catalog.engine), LotRepository(catalog.engine))


@pytest.fixture
def user(catalog) -> int:
    with catalog.engine.begin() as conn:
        return conn.execute(
            text("INSERT INTO users (email, password_hash) VALUES (:email, 'x') RETURNING id"),
            {"email": f"{uuid.uuid4().hex}@example.com"},
        ).scalar_one()


def lot_count(services) -> int:
    with services.engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM lots")).scalar_one()


GOOD = [
    # The Scryfall id wins over a wrong name.
    row(2, 4, scryfall_id=CONSIDER.upper(), name="Not Consider", price=Decimal("0.25"), currency="USD"),
    row(3, 2, set_code="mid", collector_number="62", finish=Finish.FOIL, condition=Condition.LIGHTLY_PLAYED),
    row(4, 1, set_code="khm", collector_number="40", language=Language.JAPANESE, price=Decimal("3.10"), currency="EUR"),
    row(5, 1, name=ALRUND.upper(), set_code="prm", acquired_on=date(2024, 5, 1), notes="promo"),  # the set narrows
    # No such number: the name decides (a double-faced card by its front face).
    row(6, 3, name="beloved beggar", set_code="mid", collector_number="9999", finish=Finish.FOIL),
]
BAD = [
    row(7, 1, name="Consider"),  # MID 44 and MID 388
    row(8, 1, name="alrund, god of the cosmos", set_code="khm"),  # front face: KHM 40 and 302
    row(9, 1, name="No Such Card"),
    row(10, 1, set_code="mid", collector_number="385"),  # Champion of the Perished 385 is foil only
    row(11, 0, scryfall_id=CONSIDER),
    row(12, 1, scryfall_id="not-a-uuid"),
    row(13, 1, name="Consider", set_code="khm"),
    row(14, 1, scryfall_id=CONSIDER, price=Decimal("0.125")),
    row(15, 1),
]


def test_preview_matches_each_row_and_writes_nothing(catalog, importer, user):
    preview = importer.preview(user, GOOD + BAD)
    matched = [
        (m.row.line, m.matched_by, m.card["name"], m.card["set_code"], m.card["collector_number"], m.card["lang"])
        for m in preview.matched
    ]
    assert matched == [
        (2, "scryfall_id", "Consider", "mid", "44", "en"),
        (3, "number", "Memory Deluge", "mid", "62", "en"),
        (4, "number", ALRUND, "khm", "40", "ja"),
        (5, "name", ALRUND, "prm", "88238", "en"),
        (6, "name", "Beloved Beggar // Generous Soul", "mid", "3", "en"),
    ]
    reasons = {u.row.line: u.reason for u in preview.unmatched}
    assert reasons == {
        7: "'Consider' has 2 printings (sets mid); add the set",
        8: "'alrund, god of the cosmos' has 2 printings in set 'khm' (numbers 302, 40); add the collector number",
        9: "no printing matches name 'No Such Card'",
        10: "mid #385 has no nonfoil finish (it has foil)",
        11: "invalid: quantity must be a whole number from 1 to 1,000,000",
        12: "Scryfall id 'not-a-uuid' is not a UUID",
        13: "no printing of 'Consider' in set 'khm' (it is in mid)",
        14: "invalid: acquired price finer than a cent (0.125)",
        15: "the row names no card (no Scryfall id, set and number, or name)",
    }
    first = preview.as_dict()["matched"][0]
    assert first == {
        "line": 2,
        "matched_by": "scryfall_id",
        "card_id": catalog.cards.get_by_scryfall_id(CONSIDER).id,
        "name": "Consider",
        "set_code": "mid",
        "set_name": "Innistrad: Midnight Hunt",
        "collector_number": "44",
        "scryfall_id": CONSIDER,
        "quantity": 4,
        "finish": Finish.NONFOIL,
        "condition": Condition.NEAR_MINT,
        "language": Language.ENGLISH,
        "price": Decimal("0.25"),
        "currency": "USD",
        "acquired_on": None,
        "notes": "",
    }
    assert lot_count(catalog) == 0


def test_a_name_in_several_printings_of_a_set_is_ambiguous_and_the_number_settles_it(importer, user):
    preview = importer.preview(
        user,
        [
            row(2, name="Memory Deluge", set_code="mid"),
            row(3, name="Memory Deluge", set_code="mid", collector_number="337"),
        ],
    )
    assert [(u.row.line, u.reason) for u in preview.unmatched] == [
        (2, "'Memory Deluge' has 2 printings in set 'mid' (numbers 337, 62); add the collector number")
    ]
    assert [(m.row.line, m.matched_by, m.card["collector_number"]) for m in preview.matched] == [(3, "number", "337")]


def test_matching_is_one_statement_whatever_the_file_size(catalog, importer, user):
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(catalog.engine, "before_cursor_execute", count)
    try:
        importer.preview(user, GOOD[:1])
        one = len(statements)
        statements.clear()
        importer.preview(user, (GOOD + BAD) * 20)
        many = len(statements)
    finally:
        event.remove(catalog.engine, "before_cursor_execute", count)
    assert one == many == 1


def test_commit_refuses_a_file_with_unmatched_rows_and_writes_nothing(catalog, importer, user):
    with pytest.raises(ImportRefused, match="9 row") as refused:
        importer.commit(user, GOOD + BAD)
    assert [u.row.line for u in refused.value.unmatched] == list(range(7, 16))
    assert lot_count(catalog) == 0


def test_commit_writes_every_row_in_one_transaction_and_export_gives_them_back(catalog, importer, user):
    result = importer.commit(user, GOOD, default_currency="EUR")
    assert (len(result["lot_ids"]), result["copies"], result["skipped"]) == (5, 11, [])
    exported = importer.export(user)
    assert [
        (
            h["name"],
            h["set_code"],
            h["collector_number"],
            h["quantity"],
            h["finish"],
            h["condition"],
            h["language"],
            h["price"],
            h["currency"],
            h["acquired_on"],
            h["notes"],
        )
        for h in exported
    ] == [
        (
            "Consider",
            "mid",
            "44",
            4,
            Finish.NONFOIL,
            Condition.NEAR_MINT,
            Language.ENGLISH,
            Decimal("0.25"),
            "USD",
            None,
            "",
        ),
        (
            "Memory Deluge",
            "mid",
            "62",
            2,
            Finish.FOIL,
            Condition.LIGHTLY_PLAYED,
            Language.ENGLISH,
            None,
            "EUR",
            None,
            "",
        ),
        (
            ALRUND,
            "khm",
            "40",
            1,
            Finish.NONFOIL,
            Condition.NEAR_MINT,
            Language.JAPANESE,
            Decimal("3.10"),
            "EUR",
            None,
            "",
        ),
        (
            ALRUND,
            "prm",
            "88238",
            1,
            Finish.NONFOIL,
            Condition.NEAR_MINT,
            Language.ENGLISH,
            None,
            "EUR",
            date(2024, 5, 1),
            "promo",
        ),
        (
            "Beloved Beggar // Generous Soul",
            "mid",
            "3",
            3,
            Finish.FOIL,
            Condition.NEAR_MINT,
            Language.ENGLISH,
            None,
            "EUR",
            None,
            "",
        ),
    ]
    assert set(exported[0]) == {
        "name",
        "set_code",
        "set_name",
        "collector_number",
        "scryfall_id",
        "quantity",
        "finish",
        "condition",
        "language",
        "price",
        "currency",
        "acquired_on",
        "notes",
    }
    assert exported[0]["scryfall_id"] == CONSIDER and exported[0]["set_name"] == "Innistrad: Midnight Hunt"


def test_commit_with_an_explicit_skip_writes_only_the_matched_rows(catalog, importer, user):
    result = importer.commit(user, GOOD[:2] + BAD, skip_unmatched=True)
    assert result["copies"] == 6
    assert [skipped["line"] for skipped in result["skipped"]] == list(range(7, 16))
    assert lot_count(catalog) == 2


def test_a_failure_while_writing_leaves_nothing(catalog, importer, user):
    # The catalog loses a printing (KHM 40 in Japanese) between the preview and the write: the batch's
    # reference check, inside the transaction, refuses the whole batch.
    lots = LotRepository(catalog.engine)
    matched = importer.preview(user, GOOD).matched
    gone = matched[2].card
    with catalog.engine.begin() as conn:
        conn.execute(text("DELETE FROM card_identities WHERE card_id = :id"), {"id": gone["id"]})
        conn.execute(text("DELETE FROM cards WHERE id = :id"), {"id": gone["id"]})
    with pytest.raises(ValueError, match=f"unknown card ids \\[{gone['id']}\\]"):
        lots.add_many(user, [m.lot for m in matched])
    assert lot_count(catalog) == 0
    # A commit matches again: a row naming only that printing is unmatched now, and nothing is written.
    with pytest.raises(ImportRefused, match="line 20: no printing matches Scryfall id"):
        importer.commit(user, [*GOOD, row(20, scryfall_id=gone["scryfall_id"])])
    assert lot_count(catalog) == 0


def test_other_users_see_nothing_of_an_import(catalog, importer, user):
    importer.commit(user, GOOD[:1])
    with catalog.engine.begin() as conn:
        other = conn.execute(
            text("INSERT INTO users (email, password_hash) VALUES (:email, 'x') RETURNING id"),
            {"email": f"{uuid.uuid4().hex}@example.com"},
        ).scalar_one()
    assert importer.export(other) == [] and len(importer.export(user)) == 1
