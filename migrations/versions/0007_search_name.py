"""Word search on card names, and each printing's language.

`cards.search_name` holds the name folded (`data.names.fold`: no accents, case or punctuation), so
that "jace vryn" and "vryns" find "Jace, Vryn's Prodigy" on plain PostgreSQL with pg_trgm alone (the
`unaccent` extension is not in the embedded server). The repository fills it on every upsert; this
migration backfills it. Its trigram index serves both the per-word match (`LIKE '%word%'`) and the
typo match (`%>`, word similarity). `cards.lang` is Scryfall's language code of the printing (each
language is a printing of its own there), filled from the next Scryfall import: the earlier ones did
not keep it, so it is backfilled only where the printing's prices name one language.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from alembic import op
from sqlalchemy import text

from data.domain import LANGUAGE_CODES
from data.names import fold

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.execute("ALTER TABLE cards ADD COLUMN search_name TEXT NOT NULL DEFAULT '', ADD COLUMN lang TEXT")
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            text("SELECT id, name FROM cards WHERE id > :last ORDER BY id LIMIT :batch"),
            {"last": last, "batch": BATCH},
        ).all()
        if not rows:
            break
        conn.execute(
            text(
                "UPDATE cards c SET search_name = f.folded"
                " FROM unnest(CAST(:ids AS int[]), CAST(:names AS text[])) AS f(id, folded) WHERE c.id = f.id"
            ),
            {"ids": [row.id for row in rows], "names": [fold(row.name) for row in rows]},
        )
        last = rows[-1].id
    codes = ", ".join(f"('{language.value}', '{code}')" for language, code in LANGUAGE_CODES.items())
    op.execute(
        f"""
        UPDATE cards c SET lang = one.code
        FROM (
            SELECT p.card_id, min(codes.code) AS code
            FROM latest_prices p JOIN (VALUES {codes}) AS codes(language, code) ON codes.language = p.language::text
            GROUP BY p.card_id HAVING count(DISTINCT p.language) = 1
        ) AS one
        WHERE c.id = one.card_id
        """
    )
    op.execute("CREATE INDEX ix_cards_search_name_trgm ON cards USING gin (search_name gin_trgm_ops)")
    op.execute("DROP INDEX IF EXISTS ix_cards_name_trgm")  # the name search it served reads search_name now


def downgrade() -> None:
    op.execute("CREATE INDEX IF NOT EXISTS ix_cards_name_trgm ON cards USING gin (lower(name) gin_trgm_ops)")
    op.execute("DROP INDEX IF EXISTS ix_cards_search_name_trgm")
    op.execute("ALTER TABLE cards DROP COLUMN IF EXISTS search_name, DROP COLUMN IF EXISTS lang")
