"""The renderer process: a fresh interpreter (never a fork of a gevent worker, where kaleido hangs)
holding one warm kaleido browser, started once without MathJax (fetched from a CDN, it stalls offline).

It reads requests from its end of a pipe and answers each with the image's bytes, one at a time.
It exits when the web worker's end closes.

Kaleido reloads its tab after every image, to start each from a clean page, and answers only once
the reload is done: plotly.js parsed again, ~210 ms against ~75 ms for the image itself (measured
here). plotly.js's toImage already removes the graph it drew, so a tab here is reloaded after every
RELOAD_EVERY images only, in the background once the image is answered, while the other tab serves."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
from multiprocessing.connection import Connection
from typing import Any

import kaleido

OK, FAILED = b"0", b"1"
TABS = 2  # one renders while the other reloads
RELOAD_EVERY = 25  # images a tab draws between reloads
NICENESS = 19  # below the web workers: on a small machine a render waits, a page request does not
AUTOGROUP = "/proc/self/autogroup"

log = logging.getLogger(__name__)


class _Kaleido(kaleido.Kaleido):
    """kaleido.Kaleido returning a used tab to its queue at once, and every RELOAD_EVERY images after
    a reload run in the background: the image is answered first."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._drawn: dict[int, int] = {}  # images drawn by each tab (by id), since the browser started
        self._reloads: set[asyncio.Task[None]] = set()  # running reloads, kept referenced: asyncio holds tasks weakly

    async def _return_kaleido_tab(self, tab: Any) -> None:
        self._drawn[id(tab)] = drawn = self._drawn.get(id(tab), 0) + 1
        if drawn % RELOAD_EVERY:
            await self.tabs_ready.put(tab)
            return
        reload = asyncio.create_task(super()._return_kaleido_tab(tab))  # reloads, then puts it back
        self._reloads.add(reload)
        reload.add_done_callback(self._reloaded)

    def _reloaded(self, reload: asyncio.Task[None]) -> None:
        self._reloads.discard(reload)
        if not reload.cancelled() and reload.exception() is not None:
            # A tab that cannot reload never returns to the queue: end this renderer, and the web
            # worker starts another at its next export (it sees the pipe close).
            log.error("an export tab failed to reload: %s", reload.exception())
            os._exit(1)


def lower_priority() -> None:
    """Run below the web workers, Chromium included (its processes inherit both settings).

    The renderer is in a session of its own, and Linux's autogroup scheduler (on by default on
    desktops and many servers) gives each session an equal share of the CPU whatever its tasks'
    nice values: so the session's own weight is lowered too, where the kernel has autogroups."""
    os.nice(NICENESS)
    try:
        with open(AUTOGROUP, "w") as group:
            group.write(str(NICENESS))
    except OSError:  # no autogroups (a kernel without them, or a read-only /proc): nice alone applies
        pass


async def serve(conn: Connection) -> None:
    loop = asyncio.get_running_loop()
    async with _Kaleido(n=TABS, mathjax=False) as browser:
        while True:
            try:  # waiting in a thread keeps the loop free for the tabs' reloads
                request = json.loads(await loop.run_in_executor(None, conn.recv_bytes))
            except EOFError:
                return
            try:
                options = {key: request[key] for key in ("format", "width", "height", "scale")}
                image = await browser.calc_fig(request["figure"], opts=options)
            except Exception as exc:
                conn.send_bytes(FAILED + f"{type(exc).__name__}: {exc}"[:500].encode())
                continue
            conn.send_bytes(OK + image)


if __name__ == "__main__":
    lower_priority()  # before Chromium starts
    asyncio.run(serve(Connection(int(sys.argv[1]))))
