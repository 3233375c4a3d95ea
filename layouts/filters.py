"""Filter controls shared by the pages: range, condition, finish, language, currency, scale."""

from __future__ import annotations

from typing import Any

import dash_mantine_components as dmc
from dash import dcc, html

from callbacks.figures import SCALES
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


def read_query(notes: list[str], unknown: dict[str, Any], **given: tuple[Any, Options, str]) -> dict[str, str]:
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


def fluid(width: int) -> dict[str, Any]:
    """A filter input's props: `width` px is its basis in the row, from which it shrinks and wraps
    (assets/cardcharts.css `.filter-input`); never a fixed width, so a phone row never overflows."""
    return {"className": "filter-input", "style": {"--filter-width": f"{width}px"}}


def select(id_: str, label: str, data: list[dict[str, str]], value: str, width: int = 170) -> dmc.Select:
    """A filter; an unknown value from a URL falls back to the first option, visibly."""
    known = {option["value"] for option in data}
    return dmc.Select(
        id=id_,
        label=label,
        data=data,
        value=value if value in known else data[0]["value"],
        allowDeselect=False,
        **fluid(width),
    )


def printing_search(id_: str, label: str, **props: Any) -> dmc.Select:
    """A box that finds one printing as the user types (callbacks/search.py `search_box` fills it)."""
    return dmc.Select(
        id=id_,
        label=label,
        placeholder="Type a card name, or a set code and number…",
        searchable=True,
        clearable=True,
        data=[],
        # null, not unset: the first options to arrive turn an unset value into null, and
        # Mantine empties the typed text on that change ("jace" became "ce").
        value=None,
        w=520,
        maw="100%",
        # The server has matched the words already (accents and typos aside): show what it found.
        filter={"function": "cardSearchKeepAll"},
        nothingFoundMessage="No printing by that name",
        **props,
    )


def range_control(id_: str, value: str) -> dmc.SegmentedControl:
    return dmc.SegmentedControl(id=id_, data=list(RANGES), value=value if value in RANGES else "30d")


def scale_switch(id_: str, value: str) -> html.Div:
    """A "Log scale" switch for charts whose series span orders of magnitude. The store `id_` holds
    "log" or "linear" (what the URL keeps and the chart callback reads); callbacks/chart_controls.py
    `follow_scale_switch` keeps it in step with the switch `<id_>-switch`."""
    value = value if value in SCALES else "linear"
    return html.Div(
        [
            dmc.Switch(id=f"{id_}-switch", label="Log scale", checked=value == "log", mb=8),
            dcc.Store(id=id_, data=value),
        ]
    )


def range_hint(sparse: dict[str, Any], range_id: str, which: str = "") -> list:
    """Why a chart has no line (`which` qualifies its prices), and a button `<range_id>-wider` to the
    nearest range that has one, which the store `<range_id>-wider-range` names (callbacks/chart_controls.py
    `follow_range_hint` sets the range from them). Plain ids, not pattern-matching ones: there is one
    button at a time, and a plain id is all the callback body checks of app/callback_bodies.py accept."""
    span = "in all the stored history" if sparse["range"] == "all" else f"in the last {sparse['range']}"
    count = "No prices" if sparse["points"] == 0 else "Only one price"
    text = " ".join(part for part in (count, which, span) if part)
    if sparse["asof"]:
        text += f": its data ends {sparse['asof'][:10]}"
    if sparse["wider"] is None:
        return [text + "; no range has two prices to draw a line."]
    return [
        text + f"; try {sparse['wider']}. ",
        dmc.Button(f"Show {sparse['wider']}", id=f"{range_id}-wider", size="xs", variant="light"),
        dcc.Store(id=f"{range_id}-wider-range", data=sparse["wider"]),
    ]


def filter_bar(controls: list, **props: Any) -> dmc.Group:
    """A page's row of filters, aligned on their inputs, wrapping onto more rows on a narrow screen."""
    return dmc.Group(controls, align="flex-end", gap="md", wrap="wrap", **({"mt": "md"} | props))


# Modebar buttons that send the figure to a service outside this server (Plotly's Chart Studio):
# plotly.js 4 shows "sendChartToCloud" unless showSendToCloud is false; older names for good measure.
EXTERNAL_BUTTONS = ["sendChartToCloud", "sendDataToCloud", "editInChartStudio"]


def graph_config(filename: str) -> dict[str, Any]:
    """A chart's Plotly config: fills its container, no logo, nothing sent to an outside service, and
    the camera saves `<filename>.png` at twice the size (callbacks name the file after what is shown)."""
    return {
        "displaylogo": False,
        "responsive": True,
        "showSendToCloud": False,
        "showEditInChartStudio": False,  # settings of earlier plotly.js releases, off there too
        "showLink": False,
        "modeBarButtonsToRemove": EXTERNAL_BUTTONS,
        "toImageButtonOptions": {"format": "png", "filename": filename, "scale": 2},
    }


def chart_panel(graph_id: str, height: int, filename: str = "cardcharts", **props: Any) -> dmc.Paper:
    """A framed chart, as wide as its container (`filename` until a callback names the export)."""
    return dmc.Paper(
        dcc.Graph(id=graph_id, config=graph_config(filename), style={"height": f"{height}px", "width": "100%"}),
        withBorder=True,
        p="xs",
        **({"mt": "md"} | props),
    )


def status(message: str | list | None, color: str = "blue", title: str = "No data") -> list[dmc.Alert]:
    return [] if message is None else [dmc.Alert(message, title=title, color=color, mt="md")]
