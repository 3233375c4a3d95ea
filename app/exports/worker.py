"""The renderer process: a fresh interpreter (never a fork of a gevent worker, where kaleido hangs)
holding one warm kaleido browser, started once without MathJax (fetched from a CDN, it stalls offline).

It reads requests from its end of a pipe and answers each with the image's bytes, one at a time
(one browser renders one export at a time). It exits when the web worker's end closes."""

from __future__ import annotations

import json
import os
import sys
from multiprocessing.connection import Connection

import kaleido

OK, FAILED = b"0", b"1"


NICENESS = 19  # below the web workers: on a small machine a render waits, a page request does not


def serve(conn: Connection) -> None:
    os.nice(NICENESS)  # before Chromium starts: its processes inherit it
    kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    try:
        while True:
            try:
                request = json.loads(conn.recv_bytes())
            except EOFError:
                return
            try:
                options = {key: request[key] for key in ("format", "width", "height", "scale")}
                image = kaleido.calc_fig_sync(request["figure"], opts=options)
            except Exception as exc:
                conn.send_bytes(FAILED + f"{type(exc).__name__}: {exc}"[:500].encode())
                continue
            conn.send_bytes(OK + image)
    finally:
        kaleido.stop_sync_server(silence_warnings=True)


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])))
