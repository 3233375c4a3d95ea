"""Staged entries (data/staged.py) in an import run: when they must go row by row. Their write is
`IngestPrices.write_batch`."""

from __future__ import annotations

from collections.abc import Mapping

from data.domain import Condition, IdentityKind, Language, PriceObservation
from data.staged import StagedPrices


def resolve_staged(
    prices: list[PriceObservation | StagedPrices], ids: Mapping[IdentityKind, Mapping[str, int]]
) -> list[PriceObservation | StagedPrices]:
    """The batch, with its staged entries expanded to observations when one of their series is
    also among the batch's observations (a row by row part of an entry, or another file's view of
    the same printing): a price given twice in a batch is counted, and the last one kept, in file
    order, which only the row by row write keeps apart."""
    observed = {
        (card_id, item.marketplace, item.condition, item.finish, item.language)
        for item in prices
        if isinstance(item, PriceObservation) and (card_id := ids[item.identity].get(item.key)) is not None
    }
    if not observed:
        return prices
    staged = {
        (card_id, series.marketplace, Condition.NEAR_MINT, series.finish, Language.ENGLISH)
        for item in prices
        if isinstance(item, StagedPrices) and (card_id := ids[item.identity].get(item.key)) is not None
        for series in item.series
    }
    if observed.isdisjoint(staged):
        return prices
    return [part for item in prices for part in (item.expand() if isinstance(item, StagedPrices) else (item,))]
