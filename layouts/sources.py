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


COLUMNS = [
    {"field": "source", "pinned": "left"},
    {"field": "freshness", "cellStyle": _marked("params.value === 'stale'", "#e8590c")},
    {"field": "data_date_text", "headerName": "Newest data from", "minWidth": 170, "tooltipField": "data_date_text"},
    {"field": "age_text", "headerName": "Data age", "type": "rightAligned"},
    {"field": "every_hours", "headerName": "Every (h)", "type": "rightAligned"},
    {
        "field": "last_status",
        "headerName": "Last run",
        "cellStyle": _marked("['failed', 'interrupted'].includes(params.value)", "#e03131"),
    },
    {"field": "last_started_text", "headerName": "Started", "minWidth": 150},
    {"field": "last_finished_text", "headerName": "Finished", "minWidth": 150},
    {"field": "rows_inserted", "headerName": "Inserted", "type": "rightAligned"},
    {"field": "rows_updated", "headerName": "Updated", "type": "rightAligned"},
    {"field": "rows_unchanged", "headerName": "Already present", "type": "rightAligned"},
    {"field": "rows_rejected", "headerName": "Rejected", "type": "rightAligned"},
    {"field": "last_error", "headerName": "Error", "flex": 2, "tooltipField": "last_error"},
]


def grid_row(row: dict[str, Any]) -> dict[str, Any]:
    """A status row with its dates and age in words for the grid."""
    return {
        **row,
        "data_date_text": data_date_text(row),
        "age_text": age_text(row["age_hours"]),
        "last_started_text": utc_text(row["last_started"]),
        "last_finished_text": utc_text(row["last_finished"]),
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
                defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 110},
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
