"""Importing a provider's file: pick the adapter, date the run, stream it into the store."""

from __future__ import annotations

import logging
import os
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from app.bootstrap import Services
from data.domain import IdentityKind, MalformedInput, Rejected
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
    if not path.exists():
        raise MalformedInput(f"{path}: no such file")
    if not path.is_file():  # a directory, or a pipe or device that would never end
        raise MalformedInput(f"{path}: not a regular file")


def _dated(path: Path, date_of: Callable[[Path], datetime | None], as_of: datetime | None) -> datetime:
    """The time a file's prices were taken: given, else stated by the file, else its mtime."""
    if as_of is not None:
        return as_of
    found = date_of(path)
    if found is not None:
        return found
    stamp = datetime.fromtimestamp(os.path.getmtime(path), UTC)
    log.warning("%s: no date in the file or its name; using its modification time %s", path, stamp)
    return stamp


@contextmanager
def _refusing(services: Services, source: str, path: Path) -> Iterator[None]:
    """A file refused before its run starts is still recorded as a failed run of its source."""
    try:
        yield
    except MalformedInput as exc:
        services.imports.refuse(source, path.name, exc)
        raise


def _run(services: Services, source: str, path: Path, items: Iterable, file_date: datetime | None) -> RunReport:
    with _progress(f"{source} {path.name}") as progress:
        return services.imports(source, items, file_name=path.name, file_date=file_date, progress=progress)


def _import_file(services: Services, adapter: ModuleType, path: Path, as_of: datetime | None) -> RunReport:
    with _refusing(services, adapter.SOURCE, path):
        _require(path)
        moment = _dated(path, adapter.file_date, as_of)
    return _run(services, adapter.SOURCE, path, adapter.read(path, moment), moment)


def import_scryfall(services: Services, path: Path, as_of: datetime | None = None) -> RunReport:
    return _import_file(services, scryfall, path, as_of)


def import_cardmarket(services: Services, path: Path, as_of: datetime | None = None) -> RunReport:
    return _import_file(services, cardmarket, path, as_of)


def import_cardkingdom(services: Services, path: Path, as_of: datetime | None = None) -> RunReport:
    return _import_file(services, cardkingdom, path, as_of)


def link_mtgjson_identities(services: Services, paths: Iterable[Path]) -> int:
    """Record MTGJSON uuids of catalogued printings; returns how many were linked."""
    linked = 0
    for path in paths:
        _require(path)
        chunk: dict[str, str] = {}
        rejected: Counter = Counter()
        for item in mtgjson.read_identities(path):
            if isinstance(item, Rejected):
                rejected[item.reason] += 1
                continue
            chunk[item[0]] = item[1]
            if len(chunk) >= LINK_BATCH:
                linked += services.cards.link(IdentityKind.MTGJSON_UUID, chunk)
                chunk = {}
        linked += services.cards.link(IdentityKind.MTGJSON_UUID, chunk)
        for reason, count in rejected.items():
            log.warning("%s: %d identities skipped: %s", path, count, reason)
    return linked


def import_mtgjson(services: Services, prices: Path, identifiers: Iterable[Path] = ()) -> RunReport:
    with _refusing(services, mtgjson.SOURCE, prices):
        _require(prices)
        linked = link_mtgjson_identities(services, identifiers)
        # Quiet unless it is wrong: a file whose uuids name no catalogued printing can import nothing.
        level = logging.DEBUG if linked else logging.WARNING
        log.log(level, "mtgjson: %d uuids linked to catalogued printings", linked)
        moment = mtgjson.file_date(prices)
    return _run(services, mtgjson.SOURCE, prices, mtgjson.read_staged(prices), moment)
