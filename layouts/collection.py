"""The collection page: the signed-in user's lots in an editable grid, and forms to add, sell, delete,
import (preview first) and export them. A signed-out visitor is asked to log in."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_mantine_components as dmc
from dash import dcc, html

from data.collection_formats import FORMATS
from data.domain import CONDITION_CODES, LANGUAGE_CODES, Finish
from layouts.filters import fluid, ignored, printing_search, read_query
from layouts.live import live_channels
from layouts.portfolio import BASES, basis_control
from layouts.signed_in import sign_in_prompt, signed_in_user

PATH = "/collection"
SHOWN = "_shown"  # a row's `<field>_shown` is the field as the grid shows it ("1.40 USD")
UPLOAD_BYTES = 700_000  # a callback body is at most 1 MiB, and an upload travels base64-encoded (4/3)
FINISH_CODES = [f.value for f in Finish]
CONDITION_OPTIONS = [{"value": code, "label": code} for code in CONDITION_CODES.values()]
LANGUAGE_OPTIONS = [{"value": code, "label": f"{code} ({lang.value})"} for lang, code in LANGUAGE_CODES.items()]
CURRENCY_OPTIONS = ["USD", "EUR", "GBP", "CAD", "AUD", "JPY", "CHF"]
FORMAT_OPTIONS = [{"value": name, "label": app.label} for name, app in FORMATS.items()]


def _money_column(field: str, header: str, **props: Any) -> dict[str, Any]:
    """An exact amount, sorted by its number and shown as the callback formatted it (with its currency)."""
    return {
        "field": field,
        "headerName": header,
        "type": "rightAligned",
        "valueGetter": {"function": f"params.data.{field} == null ? null : Number(params.data.{field})"},
        "valueFormatter": {"function": f"params.data.{field}{SHOWN} == null ? '' : params.data.{field}{SHOWN}"},
        **props,
    }


def _select_editor(values: list[str]) -> dict[str, Any]:
    return {"editable": True, "cellEditor": "agSelectCellEditor", "cellEditorParams": {"values": values}}


EDITED = {"cellClass": "cc-editable", "editable": True}
# A column's own cellClass replaces its type's: a right-aligned editable column names both classes.
EDITED_RIGHT = {"type": "rightAligned", "cellClass": ["cc-editable", "ag-right-aligned-cell"], "editable": True}
COLUMNS = [
    {
        "field": "name",
        "headerName": "Card",
        "pinned": "left",
        "minWidth": 150,
        "cellRenderer": "CardLink",
        "tooltipField": "name",
    },
    {"field": "set", "headerName": "Set", "minWidth": 72, "maxWidth": 90},
    {"field": "number", "headerName": "#", "minWidth": 64, "maxWidth": 90},
    {"field": "finish", "headerName": "Finish", "minWidth": 96, **_select_editor(FINISH_CODES), **EDITED},
    {
        "field": "condition",
        "headerName": "Cond.",
        "minWidth": 80,
        **_select_editor(list(CONDITION_CODES.values())),
        **EDITED,
    },
    {
        "field": "language",
        "headerName": "Lang.",
        "minWidth": 80,
        **_select_editor(list(LANGUAGE_CODES.values())),
        **EDITED,
    },
    {"field": "quantity", "headerName": "Qty", "minWidth": 72, **EDITED_RIGHT},
    {"field": "cost", "headerName": "Cost (1 copy)", "minWidth": 110, **EDITED_RIGHT},
    {"field": "cost_currency", "headerName": "Cur.", "minWidth": 72, **EDITED},
    {"field": "acquired_on", "headerName": "Acquired", "minWidth": 116, **EDITED},
    _money_column("unit_price", "Price (1 copy)", minWidth=120, tooltipField="price_note"),
    _money_column("value", "Value", minWidth=110, tooltipField="price_note"),
    {"field": "notes", "headerName": "Notes", "minWidth": 140, "flex": 2, "tooltipField": "notes", **EDITED},
]


def _grid() -> dag.AgGrid:
    return dag.AgGrid(
        id="collection-grid",
        columnDefs=COLUMNS,
        rowData=[],
        getRowId="params.data.id",
        className="compact-grid",
        defaultColDef={"sortable": True, "resizable": True, "flex": 1, "minWidth": 80},
        dashGridOptions={
            "domLayout": "autoHeight",
            "rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True},
            "stopEditingWhenCellsLoseFocus": True,
            "singleClickEdit": False,
            "tooltipShowDelay": 300,
        },
    )


def _lots_panel(basis: str) -> list:
    return [
        dmc.Group(
            [
                basis_control("collection-basis", basis),
                dmc.Group(
                    [
                        dmc.Button("Sell…", id="collection-sell-open", variant="light", disabled=True),
                        dmc.Button("Delete…", id="collection-delete-open", variant="light", color="red", disabled=True),
                    ],
                    gap="xs",
                ),
            ],
            justify="space-between",
            align="flex-end",
            gap="sm",
            mt="sm",
        ),
        dmc.Text(
            "Select a row to sell or delete it; double-click a highlighted cell to edit it.",
            size="sm",
            c="dimmed",
            mt="xs",
        ),
        html.Div(id="collection-edit-status"),
        html.Div(id="collection-status"),
        html.Div(_grid(), style={"marginTop": "0.5rem"}),
    ]


def _add_panel() -> list:
    return [
        printing_search("collection-add-card", "Card", mt="sm"),
        dmc.Group(
            [
                dmc.NumberInput(
                    id="collection-add-quantity", label="Quantity", value=1, min=1, allowDecimal=False, **fluid(110)
                ),
                dmc.Select(
                    id="collection-add-finish", label="Finish", data=FINISH_CODES, value="nonfoil", **fluid(130)
                ),
                dmc.Select(
                    id="collection-add-condition", label="Condition", data=CONDITION_OPTIONS, value="NM", **fluid(110)
                ),
                dmc.Select(
                    id="collection-add-language",
                    label="Language",
                    data=LANGUAGE_OPTIONS,
                    value="en",
                    searchable=True,
                    **fluid(170),
                ),
            ],
            align="flex-end",
            gap="md",
            mt="sm",
        ),
        dmc.Group(
            [
                dmc.TextInput(id="collection-add-cost", label="Cost of one copy", placeholder="12.50", **fluid(130)),
                dmc.Select(
                    id="collection-add-currency", label="Currency", data=CURRENCY_OPTIONS, value="USD", **fluid(100)
                ),
                dmc.TextInput(id="collection-add-date", label="Acquired", placeholder="YYYY-MM-DD", **fluid(140)),
                dmc.TextInput(id="collection-add-notes", label="Notes", **fluid(220)),
            ],
            align="flex-end",
            gap="md",
            mt="sm",
        ),
        dmc.Button("Add to collection", id="collection-add", mt="md"),
        html.Div(id="collection-add-status"),
    ]


def _import_panel() -> list:
    apps = ", ".join(app.label for app in FORMATS.values())
    return [
        dmc.Text(
            f"A CSV export of {apps}: the app is recognised by the file's header. You see what would be"
            " imported first; nothing is written until you confirm, and then all of it or nothing.",
            size="sm",
            c="dimmed",
            mt="sm",
        ),
        dcc.Upload(
            id="collection-upload",
            children=html.Div(["Drop a CSV here, or ", html.A("choose a file")]),
            className="cc-upload",
            max_size=UPLOAD_BYTES,
            accept=".csv,text/csv,text/plain",
            multiple=False,
        ),
        dmc.Text(
            f"Up to {UPLOAD_BYTES // 1000} KB here; larger files go through the API (POST /api/v1/collection/import).",
            size="xs",
            c="dimmed",
        ),
        html.Div(id="collection-import-preview"),
        dmc.Group(
            [
                dmc.Button("Import", id="collection-import-confirm", color="green"),
                dmc.Button("Cancel", id="collection-import-cancel", variant="default"),
            ],
            id="collection-import-actions",
            gap="sm",
            mt="sm",
            style={"display": "none"},
        ),
        html.Div(id="collection-import-status"),
    ]


def _export_panel() -> list:
    return [
        dmc.Text("Your lots as a CSV in a collection app's own format.", size="sm", c="dimmed", mt="sm"),
        dmc.Group(
            [
                dmc.Select(
                    id="collection-export-format",
                    label="Format",
                    data=FORMAT_OPTIONS,
                    value="moxfield",
                    allowDeselect=False,
                    **fluid(180),
                ),
                dmc.Button("Download CSV", id="collection-export"),
            ],
            align="flex-end",
            gap="md",
            mt="sm",
        ),
        html.Div(id="collection-export-status"),
        dcc.Download(id="collection-download"),
    ]


def _modals() -> list:
    return [
        dmc.Modal(
            id="collection-delete-modal",
            title="Delete this lot?",
            opened=False,
            children=[
                dmc.Text(id="collection-delete-text"),
                dmc.Text("Its sales stay in your realized P&L.", size="sm", c="dimmed", mt="xs"),
                dmc.Group(
                    [
                        dmc.Button("Delete", id="collection-delete-confirm", color="red"),
                        dmc.Button("Keep it", id="collection-delete-cancel", variant="default"),
                    ],
                    mt="md",
                ),
            ],
        ),
        dmc.Modal(
            id="collection-sell-modal",
            title="Sell copies",
            opened=False,
            children=[
                dmc.Text(id="collection-sell-text"),
                dmc.NumberInput(id="collection-sell-quantity", label="Quantity", value=1, min=1, allowDecimal=False),
                dmc.Group(
                    [
                        dmc.TextInput(
                            id="collection-sell-price", label="Price of one copy", placeholder="12.50", **fluid(130)
                        ),
                        dmc.Select(
                            id="collection-sell-currency",
                            label="Currency",
                            data=CURRENCY_OPTIONS,
                            value="USD",
                            **fluid(100),
                        ),
                    ],
                    align="flex-end",
                    gap="md",
                    mt="sm",
                ),
                dmc.TextInput(id="collection-sell-date", label="Sold on", placeholder="YYYY-MM-DD", mt="sm"),
                html.Div(id="collection-sell-status"),
                dmc.Group(
                    [
                        dmc.Button("Record the sale", id="collection-sell-confirm"),
                        dmc.Button("Cancel", id="collection-sell-cancel", variant="default"),
                    ],
                    mt="md",
                ),
            ],
        ),
    ]


def layout(basis: str = "tcgplayer", **unknown: Any) -> html.Div:
    notes: list[str] = []
    q = read_query(notes, unknown, basis=(basis, list(BASES), "tcgplayer"))
    user = signed_in_user()
    if user is None:
        return html.Div([dmc.Title("Collection", order=2), sign_in_prompt(PATH, "collection"), live_channels()])
    return html.Div(
        [
            ignored(notes),
            dmc.Title("Collection", order=2),
            dcc.Store(id="collection-changed", data=0),
            live_channels(),  # the page follows no prices: the badge says so
            dmc.Tabs(
                id="collection-tabs",
                value="lots",
                children=[
                    dmc.TabsList(
                        [
                            dmc.TabsTab("Lots", value="lots"),
                            dmc.TabsTab("Add", value="add"),
                            dmc.TabsTab("Import", value="import"),
                            dmc.TabsTab("Export", value="export"),
                        ]
                    ),
                    dmc.TabsPanel(_lots_panel(q["basis"]), value="lots"),
                    dmc.TabsPanel(_add_panel(), value="add"),
                    dmc.TabsPanel(_import_panel(), value="import"),
                    dmc.TabsPanel(_export_panel(), value="export"),
                ],
                mt="sm",
            ),
            *_modals(),
        ]
    )
