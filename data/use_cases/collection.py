"""Importing a collection file into a user's lots, and exporting the lots back out.

A file's rows (`CollectionRow`, from any reader in `data.collection_formats`) are matched to printings
by the first key that names one: the Scryfall id, else the set code and collector number, else the
exact name (case aside). A name several printings carry is narrowed by the row's set, then by its
language (the printing in that language, else the English one); a name still ambiguous is unmatched,
with the sets or numbers that would settle it.

A confirmed import is all or nothing: `commit` writes every row in one transaction, and refuses
(ImportRefused, nothing written) when any row is unmatched or invalid, unless the caller passes
`skip_unmatched=True` after showing the user what `preview` left out; then exactly the matched rows
are written, still in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from data.collection_formats.rows import CollectionRow
from data.domain import Condition, Finish, Language, is_uuid
from data.holdings import NewLot, lot_problem
from data.repositories.card_matches import CardMatchRepository, Lookup
from data.repositories.lots import LotRepository

MAX_ROWS = 50_000  # one file; past this the preview and its single transaction grow without bound
DEFAULT_CURRENCY = "USD"
KEY_LABELS = {"scryfall_id": "Scryfall id", "number": "set and collector number", "name": "name"}


@dataclass(frozen=True)
class Matched:
    row: CollectionRow
    card: dict[str, Any]  # id, name, set_code, set_name, collector_number, scryfall_id, lang
    matched_by: str  # 'scryfall_id', 'number' or 'name'
    lot: NewLot

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.row.line,
            "matched_by": self.matched_by,
            "card_id": self.card["id"],
            "name": self.card["name"],
            "set_code": self.card["set_code"],
            "set_name": self.card["set_name"],
            "collector_number": self.card["collector_number"],
            "scryfall_id": self.card["scryfall_id"],
            "quantity": self.lot.quantity,
            "finish": self.lot.finish,
            "condition": self.lot.condition,
            "language": self.lot.language,
            "price": self.lot.acquired_price,
            "currency": self.lot.currency,
            "acquired_on": self.lot.acquired_on,
            "notes": self.lot.notes,
        }


@dataclass(frozen=True)
class Unmatched:
    row: CollectionRow
    reason: str

    def as_dict(self) -> dict[str, Any]:
        row = self.row
        return {
            "line": row.line,
            "reason": self.reason,
            "name": row.name,
            "set_code": row.set_code,
            "collector_number": row.collector_number,
            "scryfall_id": row.scryfall_id,
            "quantity": row.quantity,
        }


@dataclass(frozen=True)
class Preview:
    matched: list[Matched]
    unmatched: list[Unmatched]

    def as_dict(self) -> dict[str, Any]:
        return {
            "matched": [m.as_dict() for m in self.matched],
            "unmatched": [u.as_dict() for u in self.unmatched],
            "copies": sum(m.lot.quantity for m in self.matched),
        }


class ImportRefused(ValueError):
    """A commit with unmatched or invalid rows and no explicit skip; nothing was written."""

    def __init__(self, unmatched: list[Unmatched]) -> None:
        self.unmatched = unmatched
        first = ", ".join(f"line {u.row.line}: {u.reason}" for u in unmatched[:3])
        super().__init__(f"import refused, nothing written: {len(unmatched)} row(s) unmatched or invalid ({first})")


def _lang_order(card: dict[str, Any], language: Language) -> int:
    return 0 if card["lang"] == language.code else 1 if card["lang"] in (None, "en") else 2


def _narrow(cards: list[dict[str, Any]], row: CollectionRow) -> list[dict[str, Any]]:
    """The printings of one key left once the row's language picks among the same card's languages."""
    if len(cards) < 2:
        return cards
    best = min(_lang_order(card, row.language) for card in cards)
    return [card for card in cards if _lang_order(card, row.language) == best]


def _choose(row: CollectionRow, found: dict[str, list[dict[str, Any]]]) -> tuple[str, dict[str, Any]] | str:
    """(key, printing) for the row, or why there is none."""
    if row.scryfall_id and found.get("scryfall_id"):
        return "scryfall_id", found["scryfall_id"][0]
    if row.set_code and row.collector_number:
        numbered = _narrow(found.get("number", []), row)
        if len(numbered) == 1:
            return "number", numbered[0]
    if row.name:
        named = found.get("name", [])
        if row.set_code:
            in_set = [card for card in named if card["set_code"] == row.set_code.lower()]
            if not in_set and named:
                sets = sorted({card["set_code"] for card in named})
                return f"no printing of {row.name!r} in set {row.set_code!r} (it is in {', '.join(sets[:10])})"
            named = in_set
        named = _narrow(named, row)
        if len(named) == 1:
            return "name", named[0]
        if len(named) > 1:
            if row.set_code:
                numbers = sorted(card["collector_number"] for card in named)
                return (
                    f"{row.name!r} has {len(named)} printings in set {row.set_code!r}"
                    f" (numbers {', '.join(numbers[:10])}); add the collector number"
                )
            sets = sorted({card["set_code"] for card in named})
            return f"{row.name!r} has {len(named)} printings (sets {', '.join(sets[:10])}); add the set"
    return _no_match(row)


def _no_match(row: CollectionRow) -> str:
    tried = []
    if row.scryfall_id:
        tried.append(f"Scryfall id {row.scryfall_id}")
    if row.set_code and row.collector_number:
        tried.append(f"{row.set_code} #{row.collector_number}")
    if row.name:
        tried.append(f"name {row.name!r}")
    if not tried:
        return "the row names no card (no Scryfall id, set and number, or name)"
    return "no printing matches " + ", ".join(tried)


class CollectionImport:
    def __init__(self, matches: CardMatchRepository, lots: LotRepository) -> None:
        self.matches = matches
        self.lots = lots

    def preview(self, user_id: int, rows: list[CollectionRow], default_currency: str = DEFAULT_CURRENCY) -> Preview:
        """Each row matched to a printing with the lot it would write, or unmatched with the reason
        (no printing, an ambiguous name, a finish the printing lacks, or a value a lot cannot hold).
        Reads the catalog in one statement; writes nothing. A price without a currency is taken in
        `default_currency`."""
        if len(rows) > MAX_ROWS:
            raise ValueError(f"a file of {len(rows):,} rows is over the limit of {MAX_ROWS:,}; split it")
        lookups = [
            Lookup(
                position,
                row.scryfall_id.lower() if row.scryfall_id and is_uuid(row.scryfall_id) else None,
                row.set_code,
                row.collector_number,
                row.name,
            )
            for position, row in enumerate(rows)
        ]
        found = self.matches.candidates(lookups)
        matched, unmatched = [], []
        for position, row in enumerate(rows):
            if row.scryfall_id and not is_uuid(row.scryfall_id):
                unmatched.append(Unmatched(row, f"Scryfall id {row.scryfall_id!r:.60} is not a UUID"))
                continue
            choice = _choose(row, found.get(position, {}))
            if isinstance(choice, str):
                unmatched.append(Unmatched(row, choice))
                continue
            key, card = choice
            if card["finishes"] and row.finish.value not in card["finishes"]:
                unmatched.append(
                    Unmatched(
                        row,
                        f"{card['set_code']} #{card['collector_number']} has no {row.finish} finish"
                        f" (it has {', '.join(card['finishes'])})",
                    )
                )
                continue
            lot = NewLot(
                card_id=card["id"],
                quantity=row.quantity,
                finish=row.finish,
                condition=row.condition,
                language=row.language,
                acquired_price=row.price,
                currency=row.currency or default_currency,
                acquired_on=row.acquired_on,
                notes=row.notes,
            )
            if problem := lot_problem(lot):
                unmatched.append(Unmatched(row, f"invalid: {problem}"))
                continue
            matched.append(Matched(row, card, key, lot))
        return Preview(matched, unmatched)

    def commit(
        self,
        user_id: int,
        rows: list[CollectionRow],
        skip_unmatched: bool = False,
        default_currency: str = DEFAULT_CURRENCY,
    ) -> dict[str, Any]:
        """Match the rows again (the catalog may have moved since the preview) and write the matched
        ones as lots in one transaction. Raises ImportRefused, writing nothing, when a row is unmatched
        and `skip_unmatched` is False. Returns the new lot ids and the rows left out."""
        preview = self.preview(user_id, rows, default_currency)
        if preview.unmatched and not skip_unmatched:
            raise ImportRefused(preview.unmatched)
        ids = self.lots.add_many(user_id, [m.lot for m in preview.matched])
        return {
            "lot_ids": ids,
            "copies": sum(m.lot.quantity for m in preview.matched),
            "skipped": [u.as_dict() for u in preview.unmatched],
        }

    def export(self, user_id: int) -> list[dict[str, Any]]:
        """The user's lots as holdings for the CSV writers: name, set_code, set_name, collector_number,
        scryfall_id, quantity, finish, condition, language, price (one copy's cost, None when unknown),
        currency, acquired_on, notes."""
        return [
            {
                **holding,
                "finish": Finish(holding["finish"]),
                "condition": Condition(holding["condition"]),
                "language": Language(holding["language"]),
            }
            for holding in self.lots.holdings(user_id)
        ]
