"""What the compare page asks: several printings' histories on one scale."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from data.domain import Condition, Finish, Language, NotFound
from data.use_cases.cards import CardQueries, line_points, wider_ranges

MAX_PRINTINGS = 8


def normalized(prices: list[str | None]) -> list[str | None]:
    """The series as a percentage of its first price (100 at the start); gaps stay gaps."""
    first = next((Decimal(p) for p in prices if p is not None), None)
    if first is None or first == 0:
        return [None for _ in prices]
    return [None if p is None else str(round(100 * Decimal(p) / first, 2)) for p in prices]


class CompareQueries:
    def __init__(self, cards: CardQueries) -> None:
        self.cards = cards

    def compare(
        self,
        card_ids: list[int],
        range_name: str,
        currency: str,
        condition: Condition | None,
        language: Language | None,
        finish: Finish | None,
        normalize: bool,
    ) -> dict[str, Any]:
        """Each printing's series (one per marketplace and variant left by the filters),
        labelled with the printing, in price or normalized to 100 at each series' start.

        `sparse` is None when the chart has a line (a series with two prices or more); else
        {range, points, asof (the newest data end among the printings), wider (the nearest
        longer range whose chart has a line, or None)}."""
        out, missing, asof = self._series(card_ids, range_name, currency, condition, language, finish, normalize)
        sparse = None
        if card_ids and len(missing) < len(card_ids) and line_points(out) < 2:
            wider = next(
                (
                    name
                    for name in wider_ranges(range_name)
                    if line_points(self._series(card_ids, name, currency, condition, language, finish, False)[0]) >= 2
                ),
                None,
            )
            sparse = {
                "range": range_name,
                "points": line_points(out),
                "asof": asof,
                "wider": wider,
            }
        return {"series": out, "missing": missing, "normalized": normalize, "currency": currency, "sparse": sparse}

    def _series(
        self,
        card_ids: list[int],
        range_name: str,
        currency: str,
        condition: Condition | None,
        language: Language | None,
        finish: Finish | None,
        normalize: bool,
    ) -> tuple[list[dict[str, Any]], list[int], str | None]:
        """The series, the unknown card ids, and the newest data end among the known printings."""
        if len(card_ids) > MAX_PRINTINGS:
            raise ValueError(f"compare takes at most {MAX_PRINTINGS} printings, got {len(card_ids)}")
        out, missing, ends = [], [], []
        for card_id in card_ids:
            try:
                detail = self.cards.detail(card_id)
            except NotFound:
                missing.append(card_id)
                continue
            history = self.cards.history(card_id, range_name, condition=condition, language=language, finish=finish)
            card = detail["card"]
            ends.append(history["asof"])
            for series in history["series"]:
                if series["currency"] != currency:
                    continue
                out.append(
                    {
                        **series,
                        "card_id": card_id,
                        "printing": f"{card['name']} ({card['set_code'].upper()} #{card['collector_number']})",
                        "value": normalized(series["price"]) if normalize else series["price"],
                        "resolution": history["resolution"],
                    }
                )
        return out, missing, max((end for end in ends if end), default=None)
