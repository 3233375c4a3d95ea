"""The sources page: each data source's newest run, its rows and errors, and how fresh it is."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from layouts.filters import ignored, read_query
from layouts.live import live_channels, refresh_counter

COLUMNS = [
    {"field": "source", "pinned": "left"},
    {"field": "freshness"},
    {"field": "age_hours", "headerName": "Data age (h)", "type": "rightAligned"},
    {"field": "every_hours", "headerName": "Every (h)", "type": "rightAligned"},
    {"field": "last_status", "headerName": "Last run"},
    {"field": "last_started", "headerName": "Started (UTC)"},
    {"field": "last_finished", "headerName": "Finished (UTC)"},
    {"field": "file_date", "headerName": "Provider's file date"},
    {"field": "rows_inserted", "headerName": "Inserted", "type": "rightAligned"},
    {"field": "rows_updated", "headerName": "Updated", "type": "rightAligned"},
    {"field": "rows_unchanged", "headerName": "Already present", "type": "rightAligned"},
    {"field": "rows_rejected", "headerName": "Rejected", "type": "rightAligned"},
    {"field": "last_error", "headerName": "Error", "flex": 2, "tooltipField": "last_error"},
]


def layout(**unknown: Any) -> html.Div:
    notes: list[str] = []
    read_query(notes, unknown)  # the page takes no parameters: any given is named
    return html.Div(
        [
            ignored(notes),
            dmc.Title("Data sources", order=2),
            dmc.Text(
                "A source is stale once its newest data is older than twice its collection interval.",
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
