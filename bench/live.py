"""Real-time benchmark: many subscribed WebSocket clients on the production server.

    python bench/live.py [--clients 1000] [--messages 30]

Starts the production web server (gunicorn, gevent workers, `app.gunicorn_conf`)
on a database and a Redis of its own, connects --clients WebSocket clients (one
asyncio process, compression on as browsers negotiate it), each subscribed to the
market channel, then publishes --messages updates on Redis, one every 0.5 s, each
stamped with its send time. Prints:
- publish-to-receipt latency p50 / p95 / max over every receipt (target p95 <= 250 ms);
- memory per connection: the workers' RSS growth divided by the clients;
- the latency of an ordinary page request (GET /) idle, with the clients connected,
  and while updates fan out, as ratios to the idle figure (target <= 2x).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil
import websockets
from redis import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.embedded import EmbeddedRedis
from bench.foundation import percentile, scratch_database
from tests.helpers import web_server

SECRET = "bench-secret-that-is-long-enough-to-validate"


def page_latencies(base: str, count: int) -> list[float]:
    timings = []
    with httpx.Client() as client:
        for _ in range(count):
            started = time.perf_counter()
            assert client.get(f"http://{base}/").status_code == 200
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def workers_rss(port: int) -> int:
    """Resident memory of the gunicorn workers serving `port` (the master excluded)."""
    for process in psutil.process_iter(["cmdline"]):
        ours = "app.gunicorn_conf" in " ".join(process.info["cmdline"] or []) and process.children()
        if ours and process.environ().get("CARDCHARTS_PORT") == str(port):
            return sum(child.memory_info().rss for child in process.children())
    raise RuntimeError("gunicorn not found")


async def run_clients(url: str, clients: int, latencies: list[float], connected: asyncio.Event, done: asyncio.Event):
    ready = 0
    gate = asyncio.Semaphore(100)  # connect in waves: the listen backlog is finite

    async def client() -> None:
        nonlocal ready
        async with gate:
            socket = await websockets.connect(url, max_queue=None, open_timeout=60)
            await socket.send(json.dumps({"action": "subscribe", "channel": "market"}))
            assert json.loads(await socket.recv())["type"] == "subscribed"
        ready += 1
        if ready == clients:
            connected.set()
        try:
            while not done.is_set():
                try:
                    raw = await asyncio.wait_for(socket.recv(), 1)
                except TimeoutError:
                    continue
                message = json.loads(raw)
                if message["type"] == "market_update" and "sent_at" in message["data"]:
                    latencies.append((time.time() - message["data"]["sent_at"]) * 1000)
        finally:
            await socket.close()

    await asyncio.gather(*(client() for _ in range(clients)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65_536)), hard))

    redis_server = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-")))
    try:
        redis_url = redis_server.start()
        with scratch_database() as url, web_server(url, redis_url, SECRET, CARDCHARTS_WEB_WORKERS="2") as base:
            port = int(base.rsplit(":", 1)[1])
            page_latencies(base, 20)  # warm up both workers
            idle = page_latencies(base, args.requests)
            rss_before = workers_rss(port)

            latencies: list[float] = []
            loop = asyncio.new_event_loop()
            connected, done = asyncio.Event(), asyncio.Event()
            started = time.perf_counter()
            clients = threading.Thread(
                target=loop.run_until_complete,
                args=(run_clients(f"ws://{base}/ws", args.clients, latencies, connected, done),),
            )
            clients.start()
            while not connected.is_set():
                assert clients.is_alive(), "the clients failed"
                time.sleep(0.1)
            print(f"{args.clients} clients connected and subscribed in {time.perf_counter() - started:.1f} s")
            time.sleep(2)
            per_connection = (workers_rss(port) - rss_before) / args.clients
            connected_idle = page_latencies(base, args.requests)

            publisher = Redis.from_url(redis_url)
            during: list[float] = []
            probe = threading.Thread(target=lambda: during.extend(page_latencies(base, args.requests)))
            probe.start()
            for _ in range(args.messages):
                publisher.publish("channel:prices:market", json.dumps({"sent_at": time.time()}))
                time.sleep(0.5)
            probe.join()
            time.sleep(3)
            loop.call_soon_threadsafe(done.set)
            clients.join(60)

        expected = args.clients * args.messages
        print(
            f"publish-to-receipt: p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms,"
            f" max {max(latencies):.1f} ms over {len(latencies):,} receipts of {expected:,} (target p95 <= 250 ms)"
        )
        print(f"memory per connection: {per_connection / 1024:.1f} KiB (worker RSS growth / clients)")
        base_p50, base_p95 = statistics.median(idle), percentile(idle, 0.95)
        for label, timings in (("idle", idle), ("clients connected", connected_idle), ("during fan-out", during)):
            p50, p95 = statistics.median(timings), percentile(timings, 0.95)
            print(f"GET / {label:<18} p50 {p50:6.1f} ms ({p50 / base_p50:.2f}x)", end="  ")
            print(f"p95 {p95:6.1f} ms ({p95 / base_p95:.2f}x)")
    finally:
        redis_server.stop()


if __name__ == "__main__":
    main()
