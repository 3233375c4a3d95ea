"""Sources page callbacks: the runs table, refreshed every minute and after each run."""

from __future__ import annotations

from dash import ClientsideFunction, Dash, Input, Output, State
from sqlalchemy.exc import SQLAlchemyError

from callbacks.faults import database_error
from data.use_cases.sources import SourceQueries
from layouts.filters import status
from layouts.sources import NEVER_RAN, grid_row


def register(app: Dash, sources: SourceQueries) -> None:
    @app.callback(
        Output("sources-grid", "rowData"),
        Output("sources-status", "children"),
        Input("sources-refresh", "n_intervals"),
        Input("sources-live", "data"),
    )
    def update_sources(_interval, _live):
        try:
            rows = [grid_row(row) for row in sources.status()]
        except SQLAlchemyError as exc:
            return [], database_error("sources page", exc, "The database is unreachable; no runs can be shown.")
        if not any(row["last_status"] for row in rows):
            return rows, status(NEVER_RAN)
        alerts = []
        failed = [f"{row['source']} ({row['last_status']})" for row in rows if row["last_failed"]]
        if failed:
            alerts += status(f"Last run failed: {', '.join(failed)}. The error is in the table.", "red", "Failed runs")
        stale = [f"{row['source']} ({row['age_text']} old)" for row in rows if row["freshness"] == "stale"]
        if stale:
            alerts += status(f"Stale: {', '.join(stale)}.", "orange", "Some data is old")
        return rows, alerts

    app.clientside_callback(
        ClientsideFunction("live", "marketRefresh"),
        Output("sources-live", "data"),
        Input("live-message", "data"),
        State("sources-live", "data"),
        prevent_initial_call=True,
    )
