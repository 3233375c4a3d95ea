"""Filter controls shared by the pages: range, condition, finish, language, currency."""

from __future__ import annotations

import dash_mantine_components as dmc
from dash import dcc

from data.domain import CONDITION_CODES, LANGUAGE_CODES, RANGES, Finish

ALL = [{"value": "all", "label": "All"}]
CONDITIONS = ALL + [
    {"value": code, "label": condition.value.replace("_", " ").title()} for condition, code in CONDITION_CODES.items()
]
FINISHES = ALL + [{"value": f.value, "label": f.value.title()} for f in Finish]
LANGUAGES = ALL + [{"value": code, "label": language.value} for language, code in LANGUAGE_CODES.items()]
CURRENCIES = [{"value": c, "label": c} for c in ("USD", "EUR", "TIX")]


def ignored(**given: tuple[str, list[dict[str, str]] | list[str]]) -> dmc.Alert | None:
    """A notice naming URL parameters whose values are unknown (the page shows the default instead)."""
    bad = []
    for name, (value, options) in given.items():
        allowed = {o["value"] if isinstance(o, dict) else o for o in options}
        if value is not None and value not in allowed:
            bad.append(f"{name}={value!r} (use one of: {', '.join(sorted(allowed))})")
    if not bad:
        return None
    return dmc.Alert("Ignored: " + "; ".join(bad) + ".", title="Unknown URL parameter", color="orange", mt="sm")


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
