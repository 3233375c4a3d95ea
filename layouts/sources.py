"""The sources page: each data source's newest run, its rows and errors, and how fresh it is."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.filters import ignored, read_query
from layouts.freshness import age_text, data_date_text, utc_text
from layouts.live import live_channels, refresh_counter


def _marked(condition: str, color: str) -> dict[str, Any]:
    return {"styleConditions": [{"condition": condition, "style": {"color": color, "fontWeight": 600}}]}


# Key columns first (source pinned, freshness, age): what a phone shows without scrolling the grid.
# Short headers (their full meaning on hover) and times without " UTC" (the headers say it), so
# at 1440 px every column fits the grid, none cut off (tests/test_sources.py measures it).
COLUMNS = [
    {"field": "source", "pinned": "left", "minWidth": 112, "maxWidth": 130},
    {"field": "freshness", "minWidth": 96, "cellStyle": _marked("params.value === 'stale'", "#e8590c")},
    {"field": "age_text", "headerName": "Data age", "type": "rightAligned", "minWidth": 92},
    {
        "field": "data_date_text",
        "headerName": "Newest data (UTC)",
        "headerTooltip": "the provider's own date for its newest data",
        "minWidth": 150,
        "tooltipField": "data_date_title",
    },
    {"field": "every_hours", "headerName": "Every (h)", "type": "rightAligned", "minWidth": 88},
    {
        "field": "last_status",
        "headerName": "Last run",
        "minWidth": 100,
        "cellStyle": _marked("['failed', 'interrupted'].includes(params.value)", "#e03131"),
    },
    {"field": "last_started_text", "headerName": "Started (UTC)", "minWidth": 142},
    {"field": "last_finished_text", "headerName": "Finished (UTC)", "minWidth": 142},
    {"field": "rows_inserted", "headerName": "New", "headerTooltip": "rows inserted", "type": "rightAligned"},
    {"field": "rows_updated", "headerName": "Updated", "headerTooltip": "rows updated", "type": "rightAligned"},
    {"field": "rows_unchanged", "headerName": "Same", "headerTooltip": "rows already present", "type": "rightAligned"},
    {"field": "rows_rejected", "headerName": "Rejected", "headerTooltip": "rows rejected", "type": "rightAligned"},
    {"field": "last_error", "headerName": "Error", "flex": 2, "minWidth": 140, "tooltipField": "last_error"},
]


NEVER_RAN = [
    "No collection has run yet: ",
    dmc.Code("cardcharts collect scryfall"),
    ", or import a file (",
    dmc.Code("cardcharts import scryfall FILE"),
    ").",
]


def grid_row(row: dict[str, Any]) -> dict[str, Any]:
    """A status row with its dates and age in words for the grid (the data date's caveat on hover)."""
    date = utc_text(row["data_date"], "") if row["data_date"] else "never delivered"
    return {
        **row,
        "data_date_text": date if row["data_dated"] or not row["data_date"] else f"{date} (run end)",
        "data_date_title": data_date_text(row),
        "age_text": age_text(row["age_hours"]),
        "last_started_text": utc_text(row["last_started"], ""),
        "last_finished_text": utc_text(row["last_finished"], ""),
    }


def layout(**unknown: Any) -> html.Div:
    notes: list[str] = []
    read_query(notes, unknown)  # the page takes no parameters: any given is named
    return html.Div(
        [
            ignored(notes),
            dmc.Title("Data sources", order=2),
            dmc.Text(
                "A source is stale once its newest data is older than twice its collection interval,"
                " whatever ran since: its data's age counts from the provider's own date for it"
                " (the file or as-of date), not from when the run finished. Times are UTC.",
                c="dimmed",
                size="sm",
                mb="md",
            ),
            html.Div(id="sources-status"),
            dag.AgGrid(
                id="sources-grid",
                columnDefs=COLUMNS,
                rowData=[],
                className="compact-grid",
                defaultColDef={
                    "sortable": True,
                    "resizable": True,
                    "flex": 1,
                    "minWidth": 80,
                    "wrapHeaderText": True,
                    "autoHeaderHeight": True,
                },
                dashGridOptions={
                    "domLayout": "autoHeight",
                    "suppressColumnVirtualisation": True,
                },
            ),
            dcc.Interval(id="sources-refresh", interval=60_000),
            # A run that settles publishes a market update: the table refreshes then too.
            live_channels({"channel": "market"}),
            refresh_counter("sources-live"),
        ]
    )
