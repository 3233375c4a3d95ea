"""Rendering images outside the web workers: a pool of renderer processes (app/exports/worker.py),
each a fresh interpreter with a warm kaleido browser, and a bounded wait for each image.

Under gunicorn's gevent workers kaleido hangs, and a forked gevent worker carries its patched
modules and hub: so each renderer is a new interpreter (`python -m app.exports.worker`, talking over
an inherited socket pair), started lazily by the first export a web worker serves (after gunicorn's
fork). A request takes an idle renderer
from a queue (a gevent-aware wait once threading is patched), then the blocking pipe exchange runs
in a real OS thread (gevent's threadpool under gevent, else a small thread pool), and the request
waits for it with a timeout. A renderer that times out or dies is killed (its Chromium exits as
its control pipe closes: measured, no process left) and replaced by the next request that takes its
slot: the request gets RenderFailed (a 503), never a hung worker."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from multiprocessing.connection import Pipe
from pathlib import Path
from typing import Any

from app.exports import worker

# The default first-render allowance: a new renderer starts its interpreter and Chromium first (2 to 3 s).
FIRST_RENDER_SECONDS = 30.0
ROOT = str(Path(__file__).resolve().parents[2])  # where `app` is importable from


class RenderFailed(Exception):
    """The image could not be made now (busy, timed out, or the renderer failed); a 503."""


class _Child:
    """One renderer process and the web worker's end of its pipe."""

    def __init__(self) -> None:
        ours, theirs = Pipe()
        # Under gevent the pair is made by its socketpair, non-blocking: our reads run in a real
        # thread and must block there, and the renderer's must block too.
        for end in (ours, theirs):
            os.set_blocking(end.fileno(), True)
        # A fresh interpreter that imports only the worker module, in a session of its own: a Ctrl-C
        # on the server's terminal stops the server, whose exit closes the pipe, which ends the renderer.
        self.process = subprocess.Popen(
            [sys.executable, "-m", worker.__name__, str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            start_new_session=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))},
        )
        theirs.close()  # the renderer's death is then an EOF on our end
        self.conn = ours
        self.renders = 0

    def exchange(self, payload: bytes) -> bytes:
        self.conn.send_bytes(payload)
        return self.conn.recv_bytes()

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        for kill in (lambda: os.killpg(self.process.pid, signal.SIGKILL), self.process.kill):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.conn.close()


def _under_gevent() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return monkey.is_module_patched("threading")


class Renderer:
    """`workers` renderer processes (each renders one image at a time), started on first use."""

    def __init__(
        self,
        workers: int = 1,
        timeout: float = 15.0,
        queue_timeout: float = 15.0,
        start_timeout: float = FIRST_RENDER_SECONDS,
    ) -> None:
        self.workers = workers
        self.timeout = timeout
        self.start_timeout = start_timeout
        self.queue_timeout = queue_timeout
        self.renders = 0  # images rendered by this web worker's renderers (the tests read it)
        self._pid: int | None = None
        self._idle: queue.Queue[_Child | None] = queue.Queue()
        self._threads: ThreadPoolExecutor | None = None
        self._children: list[_Child] = []
        self._setup = threading.Lock()

    def _ready(self) -> None:
        """Slots for this process's renderers: made again in a forked child (its parent's are not its own)."""
        with self._setup:
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._idle = queue.Queue()
            for _ in range(self.workers):
                self._idle.put(None)
            self._children = []
            self._threads = None if _under_gevent() else ThreadPoolExecutor(self.workers, "export-render")

    def render(self, figure: dict[str, Any], fmt: str, width: int, height: int, scale: int) -> bytes:
        """The image's bytes; RenderFailed when no renderer is free in time, or the render fails or times out."""
        self._ready()
        try:
            child = self._idle.get(timeout=self.queue_timeout)
        except queue.Empty:
            raise RenderFailed("every image renderer is busy; retry shortly") from None
        payload = json.dumps(
            {"figure": figure, "format": fmt, "width": width, "height": height, "scale": scale}, separators=(",", ":")
        ).encode()
        try:
            # A renderer that died while idle (its pipe closes before the exit is reported) is replaced
            # and the image asked of a new one, once; one that fails on a fresh start gives the 503.
            for attempt in range(2):
                if child is None or not child.alive():
                    child = _Child()
                    self._children.append(child)
                idle_before = child.renders > 0
                timeout = self.timeout if child.renders else self.start_timeout
                try:
                    answer = self._wait(partial(child.exchange, payload), timeout)
                except (TimeoutError, EOFError, OSError) as exc:
                    child.kill()
                    self._children.remove(child)
                    child = None
                    if attempt == 0 and idle_before and not isinstance(exc, TimeoutError):
                        continue
                    reason = "timed out" if isinstance(exc, TimeoutError) else "stopped"
                    raise RenderFailed(f"the image renderer {reason}; retry shortly") from None
                break
            child.renders += 1
            self.renders += 1
        finally:
            self._idle.put(child)
        if answer[:1] != worker.OK:
            raise RenderFailed(f"the image could not be rendered: {answer[1:].decode(errors='replace')}")
        return answer[1:]

    def _wait(self, exchange: Callable[[], bytes], timeout: float) -> bytes:
        """Run the blocking exchange in a real OS thread; wait for it at most `timeout` seconds."""
        if self._threads is None:  # gevent: a native thread, and this greenlet yields while it waits
            import gevent

            try:
                return gevent.get_hub().threadpool.spawn(exchange).get(timeout=timeout)
            except gevent.Timeout:
                raise TimeoutError from None
        future = self._threads.submit(exchange)
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise TimeoutError from None

    def pids(self) -> list[int]:
        """The process ids of this process's renderers (running or not)."""
        return [child.process.pid for child in self._children]

    def close(self) -> None:
        """Stop this process's renderers (their Chromium with them)."""
        for child in self._children:
            child.kill()
        self._children = []
        self._pid = None
