"""Runs cut short: a killed process or a failed settle never leaves committed rows out of the rollups."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import text

from data.repositories.source_runs import RunTotals
from data.use_cases.recovery import RecoverRuns
from tests.helpers import T0, add_cards, add_marketplaces, snap

# A process that starts a run, commits one batch of prices, and is killed before it settles.
KILLED_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from decimal import Decimal
    from app.bootstrap import bootstrap
    from app.settings import load_settings
    from data.domain import PriceSnapshot

    services = bootstrap(load_settings())
    run_id = services.runs.start("mtgjson", "AllPrices.json")
    card_ids, market = [int(x) for x in sys.argv[1].split(",")], int(sys.argv[2])
    services.ingest.write(
        PriceSnapshot(time=datetime.fromisoformat(sys.argv[3]), card_id=card, marketplace_id=market,
                      price=Decimal("1.50"), currency="USD", source_run_id=run_id)
        for card in card_ids
    )
    print(run_id, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def _killed_import(services, card_ids: list[int], market: int) -> int:
    env = {
        **os.environ,
        "DATABASE_URL": services.settings.database_url,
        "REDIS_URL": services.settings.redis_url,
        "SECRET_KEY": services.settings.secret_key,
    }
    args = [",".join(map(str, card_ids)), str(market), T0.isoformat()]
    done = subprocess.run([sys.executable, "-c", KILLED_IMPORT, *args], env=env, capture_output=True, text=True)
    assert done.returncode == -signal.SIGKILL, done.stderr
    return int(done.stdout.split()[0])


def _rolled_up(services) -> tuple[int, int]:
    with services.engine.connect() as conn:
        hourly = conn.execute(text("SELECT COALESCE(sum(samples), 0) FROM card_prices_hourly")).scalar()
        latest = conn.execute(text("SELECT count(*) FROM latest_prices")).scalar()
    return hourly, latest


def _run(services, run_id: int) -> tuple[str, str | None, bool]:
    with services.engine.connect() as conn:
        return tuple(
            conn.execute(
                text("SELECT status, error, settled_at IS NOT NULL FROM source_runs WHERE id = :id"), {"id": run_id}
            ).one()
        )


def test_the_rows_of_a_killed_run_are_settled_by_the_next_recovery(services, scryfall_objects):
    markets = add_marketplaces(services)
    card_ids = list(add_cards(services, scryfall_objects, 20).values())
    run_id = _killed_import(services, card_ids, markets["tcgplayer"])
    assert _run(services, run_id) == ("running", None, False)
    assert _rolled_up(services) == (0, 0)  # committed, never settled

    assert RecoverRuns(services.runs, services.ingest)() == [run_id]
    assert _rolled_up(services) == (20, 20)
    status, error, settled = _run(services, run_id)
    assert (status, settled) == ("interrupted", True)
    assert "20 stored rows were settled" in error
    assert RecoverRuns(services.runs, services.ingest)() == []  # settled once


def test_a_live_run_is_never_taken_for_a_dead_one(services, scryfall_objects):
    markets = add_marketplaces(services)
    card_id = next(iter(add_cards(services, scryfall_objects, 1).values()))
    run_id = services.runs.start("cardkingdom", "pricelist.json")
    services.ingest.write([snap(card_id, markets["tcgplayer"], "2.00", source_run_id=run_id)])
    assert RecoverRuns(services.runs, services.ingest)() == []  # this process holds it
    assert _run(services, run_id) == ("running", None, False)
    services.ingest.settle([T0], [card_id], {"run_id": run_id})
    services.runs.finish(run_id, "succeeded", RunTotals(inserted=1))
    assert _run(services, run_id) == ("succeeded", None, True)
    assert RecoverRuns(services.runs, services.ingest)() == []


def test_a_run_whose_settle_failed_is_settled_later(services, scryfall_objects):
    markets = add_marketplaces(services)
    card_ids = list(add_cards(services, scryfall_objects, 3).values())
    run_id = services.runs.start("cardmarket", "price_guide_1.json")
    services.ingest.write(
        [
            snap(card, markets["tcgplayer"], "3.00", T0 + timedelta(hours=n), source_run_id=run_id)
            for n, card in enumerate(card_ids)
        ]
    )
    services.runs.finish(run_id, "failed", RunTotals(inserted=3), "settle failed: database restarted", settled=False)
    assert _rolled_up(services) == (0, 0)
    assert RecoverRuns(services.runs, services.ingest)() == [run_id]
    assert _rolled_up(services) == (3, 3)
    assert _run(services, run_id) == ("failed", "settle failed: database restarted", True)
