"""A user's lots and sales. Every method takes the user it acts for, and every statement filters on
it: another user's lot id behaves exactly as a missing one (NotFound)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Engine, text

from data.domain import Condition, Finish, Language, NotFound, UnknownReference
from data.holdings import (
    CHANGEABLE,
    InvalidLot,
    Lot,
    NewLot,
    NotEnoughCopies,
    currency_problem,
    date_problem,
    lot_problem,
    money_problem,
    quantity_problem,
    value_problem,
)

_COLUMNS = (
    "id, user_id, card_id, finish::text AS finish, condition::text AS condition, language::text AS language,"
    " quantity, acquired_price, currency, acquired_on, notes"
)
# One statement for the whole batch: parallel arrays, unnested server side.
_INSERT = text(
    """
    INSERT INTO lots (user_id, card_id, finish, condition, language, quantity, acquired_price, currency,
                      acquired_on, notes)
    SELECT :user_id, card_id, CAST(finish AS card_finish), CAST(condition AS card_condition),
           CAST(language AS card_language), quantity, acquired_price, currency, acquired_on, notes
    FROM unnest(CAST(:card_ids AS int[]), CAST(:finishes AS text[]), CAST(:conditions AS text[]),
                CAST(:languages AS text[]), CAST(:quantities AS int[]), CAST(:prices AS numeric[]),
                CAST(:currencies AS text[]), CAST(:dates AS date[]), CAST(:notes AS text[]))
         WITH ORDINALITY AS n(card_id, finish, condition, language, quantity, acquired_price, currency,
                              acquired_on, notes, position)
    ORDER BY position
    RETURNING id
    """
)
_ENUMS = {"finish": "card_finish", "condition": "card_condition", "language": "card_language"}


def _lot(row: Any) -> Lot:
    values = dict(row._mapping)
    values["finish"] = Finish(values["finish"])
    values["condition"] = Condition(values["condition"])
    values["language"] = Language(values["language"])
    return Lot(**values)


def _select_one(conn: Connection, user_id: int, lot_id: int, lock: bool = False) -> Lot:
    row = conn.execute(
        text(f"SELECT {_COLUMNS} FROM lots WHERE user_id = :user_id AND id = :id{' FOR UPDATE' if lock else ''}"),
        {"user_id": user_id, "id": lot_id},
    ).first()
    if row is None:
        raise NotFound(f"no lot with id {lot_id}")
    return _lot(row)


def _check_id(value: object, what: str) -> None:
    # An id from outside that no INTEGER column can hold is missing, like any unknown id.
    if type(value) is not int or not 1 <= value <= 2**31 - 1:
        raise NotFound(f"no {what} with id {value!r:.20}")


class LotRepository:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add_many(self, user_id: int, lots: Iterable[NewLot]) -> list[int]:
        """Write the lots in one transaction, all or nothing; their ids in the given order.

        Raises InvalidLot (naming the lot's position) or UnknownReference (a card not stored),
        writing nothing."""
        batch = list(lots)
        for position, lot in enumerate(batch, start=1):
            if problem := lot_problem(lot):
                raise InvalidLot(f"lot {position}: {problem}")
        if not batch:
            return []
        params = {
            "user_id": user_id,
            "card_ids": [lot.card_id for lot in batch],
            "finishes": [lot.finish.value for lot in batch],
            "conditions": [lot.condition.value for lot in batch],
            "languages": [lot.language.value for lot in batch],
            "quantities": [lot.quantity for lot in batch],
            "prices": [lot.acquired_price for lot in batch],
            "currencies": [lot.currency for lot in batch],
            "dates": [lot.acquired_on for lot in batch],
            "notes": [lot.notes for lot in batch],
        }
        with self.engine.begin() as conn:
            missing = conn.execute(
                text(
                    "SELECT ARRAY(SELECT DISTINCT w.id FROM unnest(CAST(:ids AS int[])) AS w(id)"
                    " WHERE NOT EXISTS (SELECT 1 FROM cards c WHERE c.id = w.id) ORDER BY w.id)"
                ),
                {"ids": params["card_ids"]},
            ).scalar_one()
            if missing:
                raise UnknownReference(f"lots refused: unknown card ids {missing[:10]}")
            if not conn.execute(text("SELECT EXISTS (SELECT 1 FROM users WHERE id = :id)"), {"id": user_id}).scalar():
                raise NotFound(f"no user with id {user_id}")
            return list(conn.execute(_INSERT, params).scalars())

    def list(self, user_id: int) -> list[Lot]:
        """The user's lots, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(f"SELECT {_COLUMNS} FROM lots WHERE user_id = :user_id ORDER BY id"), {"user_id": user_id}
            )
            return [_lot(row) for row in rows]

    def get(self, user_id: int, lot_id: int) -> Lot:
        _check_id(lot_id, "lot")
        with self.engine.connect() as conn:
            return _select_one(conn, user_id, lot_id)

    def update(self, user_id: int, lot_id: int, changes: Mapping[str, Any]) -> Lot:
        """Change some of a lot's values (any of `data.holdings.CHANGEABLE`); the lot as stored after.

        Raises InvalidLot for an unknown field or a bad value, NotFound for a lot that is not the
        user's; nothing is written then."""
        _check_id(lot_id, "lot")
        unknown = sorted(set(changes) - CHANGEABLE)
        if unknown:
            raise InvalidLot(f"cannot change {', '.join(unknown)}; changeable: {', '.join(sorted(CHANGEABLE))}")
        for column, value in changes.items():
            if problem := value_problem(column, value):
                raise InvalidLot(problem)
        if not changes:
            return self.get(user_id, lot_id)
        assignments = ", ".join(
            f"{column} = CAST(:{column} AS {_ENUMS[column]})" if column in _ENUMS else f"{column} = :{column}"
            for column in sorted(changes)
        )
        params = {column: getattr(value, "value", value) for column, value in changes.items()}
        with self.engine.begin() as conn:
            row = conn.execute(
                text(
                    f"UPDATE lots SET {assignments}, updated_at = now() WHERE user_id = :user_id AND id = :id"
                    f" RETURNING {_COLUMNS}"
                ),
                {**params, "user_id": user_id, "id": lot_id},
            ).first()
        if row is None:
            raise NotFound(f"no lot with id {lot_id}")
        return _lot(row)

    def delete(self, user_id: int, lot_id: int) -> None:
        """Remove a lot (its sales stay, for realized P&L). Raises NotFound."""
        _check_id(lot_id, "lot")
        with self.engine.begin() as conn:
            deleted = conn.execute(
                text("DELETE FROM lots WHERE user_id = :user_id AND id = :id"), {"user_id": user_id, "id": lot_id}
            ).rowcount
        if not deleted:
            raise NotFound(f"no lot with id {lot_id}")

    def sell(
        self, user_id: int, lot_id: int, quantity: int, price: Decimal, currency: str, sold_on: date
    ) -> dict[str, Any]:
        """Record a sale of `quantity` copies at `price` each and take them out of the lot (deleting
        it when none remain), in one transaction. The sale keeps the lot's cost per copy when the lot
        was bought in the sale's currency; in another currency its cost is unknown (no rate is
        guessed). Returns the sale's id and the copies left. Raises NotFound, InvalidLot or
        NotEnoughCopies, writing nothing."""
        _check_id(lot_id, "lot")
        for problem in (
            quantity_problem(quantity),
            money_problem(price, "sale price"),
            currency_problem(currency),
            date_problem(sold_on, "sale date") if sold_on is not None else "sale date is required",
        ):
            if problem:
                raise InvalidLot(problem)
        with self.engine.begin() as conn:
            lot = _select_one(conn, user_id, lot_id, lock=True)  # a concurrent sale waits, then sees what is left
            if quantity > lot.quantity:
                raise NotEnoughCopies(f"cannot sell {quantity} copies: lot {lot_id} holds {lot.quantity}")
            cost = lot.acquired_price if lot.currency == currency else None
            sale_id = conn.execute(
                text(
                    """
                    INSERT INTO sales (user_id, lot_id, card_id, finish, condition, language, quantity, price, cost,
                                       currency, sold_on)
                    SELECT user_id, id, card_id, finish, condition, language, :quantity, :price, :cost,
                           :currency, :sold_on
                    FROM lots WHERE id = :id
                    RETURNING id
                    """
                ),
                {
                    "id": lot_id,
                    "quantity": quantity,
                    "price": price,
                    "cost": cost,
                    "currency": currency,
                    "sold_on": sold_on,
                },
            ).scalar_one()
            left = lot.quantity - quantity
            if left:
                conn.execute(
                    text("UPDATE lots SET quantity = :left, updated_at = now() WHERE id = :id"),
                    {"left": left, "id": lot_id},
                )
            else:
                conn.execute(text("DELETE FROM lots WHERE id = :id"), {"id": lot_id})
        return {"sale_id": sale_id, "lot_id": lot_id, "remaining": left, "cost": cost}

    def sales(self, user_id: int) -> list[dict[str, Any]]:
        """The user's sales, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT id, lot_id, card_id, finish::text AS finish, condition::text AS condition,
                           language::text AS language, quantity, price, cost, currency, sold_on
                    FROM sales WHERE user_id = :user_id ORDER BY id
                    """
                ),
                {"user_id": user_id},
            )
            return [dict(row) for row in rows.mappings()]

    def holdings(self, user_id: int) -> list[dict[str, Any]]:
        """The user's lots with their printing's name, set and numbers, for an export."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                text(
                    """
                    SELECT c.name, c.set_code, c.set_name, c.collector_number, c.scryfall_id::text AS scryfall_id,
                           l.quantity, l.finish::text AS finish, l.condition::text AS condition,
                           l.language::text AS language, l.acquired_price AS price, l.currency, l.acquired_on,
                           l.notes
                    FROM lots l JOIN cards c ON c.id = l.card_id
                    WHERE l.user_id = :user_id
                    ORDER BY l.id
                    """
                ),
                {"user_id": user_id},
            )
            return [dict(row) for row in rows.mappings()]
