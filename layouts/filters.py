"""Filter controls shared by the pages: range, condition, finish, language, currency."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc

from callbacks.params import shown
from data.domain import CONDITION_CODES, LANGUAGE_CODES, RANGES, Finish

ALL = [{"value": "all", "label": "All"}]
CONDITIONS = ALL + [
    {"value": code, "label": condition.value.replace("_", " ").title()} for condition, code in CONDITION_CODES.items()
]
FINISHES = ALL + [{"value": f.value, "label": f.value.title()} for f in Finish]
LANGUAGES = ALL + [{"value": code, "label": language.value} for language, code in LANGUAGE_CODES.items()]
CURRENCIES = [{"value": c, "label": c} for c in ("USD", "EUR", "TIX")]


Options = list[dict[str, str]] | list[str]
MAX_NAMED = 8  # ignored parameters a notice names; the rest are counted


def _values(options: Options) -> list[str]:
    return [o["value"] if isinstance(o, dict) else o for o in options]


def single(name: str, value: Any, notes: list[str]) -> str | None:
    """A parameter's one value; a repeated one (Dash pages passes it as a list) is noted and dropped."""
    if isinstance(value, list):
        notes.append(f"{name} given {len(value)} times (give it once)")
        return None
    return value


def read_query(
    notes: list[str], unknown: dict[str, Any], **given: tuple[Any, Options, str]
) -> dict[str, str]:
    """Each parameter's value if it is one of its options, else its default (noted, with the options);
    parameters this page does not take are noted too."""
    out = {}
    for name, (value, options, default) in given.items():
        allowed = _values(options)
        value = single(name, value, notes)
        if value is not None and value not in allowed:
            notes.append(f"{name}={shown(value)} (use one of: {', '.join(sorted(allowed))})")
        out[name] = value if value in allowed else default
    notes.extend(f"{shown(name)} (not a parameter of this page)" for name in unknown)
    return out


def ignored(notes: list[str]) -> dmc.Alert | None:
    """A notice naming the URL parameters that were ignored (the page shows the default instead)."""
    if not notes:
        return None
    named = "; ".join(notes[:MAX_NAMED]) + (f"; and {len(notes) - MAX_NAMED} more" if len(notes) > MAX_NAMED else "")
    return dmc.Alert(f"Ignored: {named}.", title="Unknown URL parameter", color="orange", mt="sm")


def select(id_: str, label: str, data: list[dict[str, str]], value: str, width: int = 170) -> dmc.Select:
    """A filter; an unknown value from a URL falls back to the first option, visibly."""
    known = {option["value"] for option in data}
    return dmc.Select(
        id=id_,
        label=label,
        data=data,
        value=value if value in known else data[0]["value"],
        allowDeselect=False,
        w=width,
    )


def range_control(id_: str, value: str) -> dmc.SegmentedControl:
    return dmc.SegmentedControl(id=id_, data=list(RANGES), value=value if value in RANGES else "30d")


def filter_bar(controls: list) -> dmc.Group:
    """A page's row of filters, aligned on their inputs."""
    return dmc.Group(controls, align="flex-end", gap="md", mt="md")


def chart_panel(graph_id: str, height: int) -> dmc.Paper:
    """A framed chart, without the Plotly logo."""
    return dmc.Paper(
        dcc.Graph(id=graph_id, config={"displaylogo": False, "responsive": True}, style={"height": f"{height}px"}),
        withBorder=True,
        p="xs",
        mt="md",
    )


def status(message: str | list | None, color: str = "blue", title: str = "No data") -> list[dmc.Alert]:
    return [] if message is None else [dmc.Alert(message, title=title, color=color, mt="md")]
