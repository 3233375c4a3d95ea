"""Importing a provider's file: pick the adapter, date the run, stream it into the store."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from app.bootstrap import Services
from data.domain import IdentityKind, MalformedInput
from data.use_cases.imports import RunReport
from workers.sources import cardkingdom, cardmarket, mtgjson, scryfall

log = logging.getLogger(__name__)
LINK_BATCH = 20_000


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int], None] | None]:
    """A progress bar on a terminal; nothing in logs and tests."""
    if not sys.stderr.isatty():
        yield None
        return
    from tqdm import tqdm

    with tqdm(desc=label, unit=" prices", unit_scale=True) as bar:
        yield bar.update


def _require(path: Path) -> None:
    if not path.is_file():
        raise MalformedInput(f"{path}: no such file")


def _dated(path: Path, date_of: Callable[[Path], datetime | None], as_of: datetime | None) -> datetime:
    """The time a file's prices were taken: given, else stated by the file, else its mtime."""
    _require(path)
    if as_of is not None:
        return as_of
    found = date_of(path)
    if found is not None:
        return found
    stamp = datetime.fromtimestamp(os.path.getmtime(path), UTC)
    log.warning("%s: no date in the file or its name; using its modification time %s", path, stamp)
    return stamp


def _run(services: Services, source: str, path: Path, items: Iterable, file_date: datetime) -> RunReport:
    with _progress(f"{source} {path.name}") as progress:
        return services.imports(source, items, file_name=path.name, file_date=file_date, progress=progress)


def import_scryfall(services: Services, path: Path, as_of: datetime | None = None) -> RunReport:
    moment = _dated(path, scryfall.file_date, as_of)
    return _run(services, scryfall.SOURCE, path, scryfall.read(path, moment), moment)


def import_cardmarket(services: Services, path: Path, as_of: datetime | None = None) -> RunReport:
    moment = _dated(path, cardmarket.file_date, as_of)
    return _run(services, cardmarket.SOURCE, path, cardmarket.read(path, moment), moment)


def import_cardkingdom(services: Services, path: Path, as_of: datetime | None = None) -> RunReport:
    moment = _dated(path, cardkingdom.file_date, as_of)
    return _run(services, cardkingdom.SOURCE, path, cardkingdom.read(path, moment), moment)


def link_mtgjson_identities(services: Services, paths: Iterable[Path]) -> int:
    """Record MTGJSON uuids of catalogued printings; returns how many were linked."""
    linked = 0
    for path in paths:
        _require(path)
        pairs = mtgjson.read_identities(path)
        while chunk := dict(islice(pairs, LINK_BATCH)):
            linked += services.cards.link(IdentityKind.MTGJSON_UUID, chunk)
    return linked


def import_mtgjson(services: Services, prices: Path, identifiers: Iterable[Path] = ()) -> RunReport:
    _require(prices)
    linked = link_mtgjson_identities(services, identifiers)
    log.info("mtgjson: %d uuids linked to catalogued printings", linked)
    moment = mtgjson.file_date(prices)
    return _run(services, mtgjson.SOURCE, prices, mtgjson.read(prices), moment)
