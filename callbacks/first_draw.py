"""A page's first draw, done by the server as it builds the page's layout.

On load, the renderer posts each of a page's callbacks once, with the values the layout starts
with, and draws what comes back: a round trip and a second render before the first chart. A
callback registered with `FirstDraw.callback` runs instead in the server, as the page's layout is
built, with those same values, and its outputs are written into the layout. Dash registers it with
`prevent_initial_call=True`, so the browser runs it only when one of its inputs changes later (a
filter, the theme, a live update). The same function on the same values: the page shows what the
callback would have drawn.

A callback runs on a layout when the layout holds every component it reads and writes, besides the
shell's, whose values the app gives (`given`, e.g. the colour scheme). The callbacks of a layout run
side by side, so none of them may read what another writes (its first run in the browser would never
happen). One that raises leaves its outputs as the layout has them, and the page is served without
them, as when its request fails in the browser; the error is logged."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import wraps
from typing import Any

from dash import Dash, Input, NoUpdate, Output, State
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

log = logging.getLogger(__name__)

Prop = tuple[str, str]  # (component id, property)


@dataclass(frozen=True)
class _Drawn:
    outputs: list[Prop]
    arguments: list[Prop]  # inputs, then states: the function's parameters in order
    function: Callable[..., Any]


def _prop(dependency: Output | Input | State) -> Prop:
    return dependency.component_id_str(), dependency.component_property


class FirstDraw:
    """The callbacks whose first run is done in the server, on the page's layout."""

    def __init__(self, app: Dash) -> None:
        self.app = app
        self._drawn: list[_Drawn] = []

    def callback(self, *dependencies: Output | Input | State) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """`app.callback(*dependencies)`, first run on the layout rather than by the browser on load."""
        outputs = [_prop(d) for d in dependencies if isinstance(d, Output)]
        arguments = [_prop(d) for d in dependencies if isinstance(d, Input)]
        arguments += [_prop(d) for d in dependencies if isinstance(d, State)]

        def register(function: Callable[..., Any]) -> Callable[..., Any]:
            self._drawn.append(_Drawn(outputs, arguments, function))
            return self.app.callback(*dependencies, prevent_initial_call=True)(function)

        return register

    def layout(self, page: Callable[..., Component], given: Callable[[], dict[Prop, Any]]) -> Callable[..., Component]:
        """The page's layout function with the first draw done on what it returns; `given()` values
        the shell's components (read when the page is built, in the request that asks for it)."""

        @wraps(page)
        def drawn(**query: Any) -> Component:
            tree = page(**query)
            self.draw(tree, given())
            return tree

        return drawn

    def draw(self, tree: Component, given: dict[Prop, Any]) -> None:
        """Run each callback the tree holds the components of, and write its outputs into the tree.

        They run side by side, as the browser posts them: each may wait on the database (a connection
        timeout, in an outage), and the page waits for the slowest, not for their sum."""
        components = {c.id: c for c in (tree, *tree._traverse()) if isinstance(getattr(c, "id", None), str)}
        runs = [
            (drawn, [given[p] if p in given else getattr(components[p[0]], p[1], None) for p in drawn.arguments])
            for drawn in self._drawn
            if all(id_ in components for id_, _ in drawn.outputs)
            and all(prop in given or prop[0] in components for prop in drawn.arguments)
        ]
        if not runs:
            return
        with ThreadPoolExecutor(max_workers=len(runs)) as pool:
            results = list(pool.map(lambda run: _run(*run), runs))
        for (drawn, _), result in zip(runs, results, strict=True):
            if result is None:
                continue
            for (id_, name), value in zip(drawn.outputs, result, strict=True):
                if not NoUpdate.is_no_update(value):
                    setattr(components[id_], name, value)


def _run(drawn: _Drawn, values: list[Any]) -> list[Any] | None:
    """The callback's outputs, in order; None when it prevented its update or failed (logged)."""
    try:
        result = drawn.function(*values)
    except PreventUpdate:
        return None
    except Exception:  # a failed callback: its outputs stay as the layout has them, as in the browser
        log.exception("first draw of %s failed", ", ".join(".".join(output) for output in drawn.outputs))
        return None
    return list(result) if len(drawn.outputs) > 1 else [result]
