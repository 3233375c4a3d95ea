"""Page-load benchmark: bytes transferred and time to the first chart with data, in headless Chromium.

    python bench/pages.py [--runs 3]

Builds a database of its own from the repository's real data (the Scryfall sample of
tests/fixtures, with the MTGJSON sample's dated prices for a few of its printings), starts
the production web server twice on it (gunicorn, gevent workers, as `cardcharts run` does):
the baseline (`create_server(compressed=False)`: no compression, the full plotly.js) and the
final one. For `/`, `/card?id=…` and `/compare?ids=…` it loads each page with a cold browser
cache (cleared before each load) and a warm one (the same page just loaded), and prints, as
the median of --runs loads:
- bytes transferred (the Resource Timing transferSize of the document and every resource:
  headers and encoded bodies, 0 for what came from the browser's cache);
- the time to the first chart with data, from navigation start to the first animation frame
  in which a .js-plotly-plot holds a trace with points. The server draws each page's first
  chart into the page's first layout (app/first_layout.py, callbacks/first_draw.py), with
  the data its callback would send; the page's grids are drawn after it (assets/first_layout.js),
  within the second this benchmark waits after the chart, so their bytes are counted.
Each server is warmed with one untimed load of each page first (its compressed-file cache,
the query cache): "cold" is the browser's cache. Targets: cold <= 1.0 s and < 2.5 MB, warm <= 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from app.bootstrap import bootstrap
from app.embedded import EmbeddedRedis
from app.settings import Settings
from bench.foundation import scratch_database
from tests.helpers import web_server
from workers.imports import import_mtgjson, import_scryfall

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SECRET = "bench-secret-that-is-long-enough-to-validate"
CONSIDER = "a211d505-4d40-4914-a9da-220770d6ddbc"
TARGETS = {"cold_seconds": 1.0, "cold_bytes": 2.5e6, "warm_seconds": 0.5}

# Runs in every document before its own scripts: stamps the first frame that shows a chart with data.
FIRST_CHART = """
(function watch() {
  const drawn = Array.from(document.querySelectorAll('.js-plotly-plot')).some(
    (plot) => (plot.data || []).some((trace) => (trace.x || trace.values || []).length > 0));
  if (drawn) { window.__firstChart = performance.now(); return; }
  requestAnimationFrame(watch);
})();
"""
TRANSFERRED = """
const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
return entries.reduce((sum, entry) => sum + (entry.transferSize || 0), 0);
"""


def seed(settings: Settings) -> dict[str, str]:
    """Import the real samples; the page paths to measure."""
    services = bootstrap(settings)
    try:
        import_scryfall(services, FIXTURES / "scryfall-cards-2025-11-01.jsonl.gz")
        mtgjson = FIXTURES / "mtgjson"
        import_mtgjson(services, mtgjson / "AllPrices-sample.json", [mtgjson / "AllIdentifiers-sample.json"])
        with services.engine.connect() as conn:
            ids = (
                conn.exec_driver_sql(
                    "SELECT card_id FROM price_snapshots GROUP BY card_id ORDER BY count(DISTINCT time) DESC, card_id"
                    " LIMIT 3"
                )
                .scalars()
                .all()
            )
    finally:
        services.close()
    return {"/": "/", "/card": f"/card?id={ids[0]}", "/compare": "/compare?ids=" + ",".join(map(str, ids))}


def browser() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1440,900"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": FIRST_CHART})
    return driver


def load(driver: webdriver.Chrome, url: str, cold: bool) -> tuple[float, int]:
    """Seconds to the first chart with data, and bytes transferred, for one load of `url`."""
    if cold:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + 30
    while (first := driver.execute_script("return window.__firstChart")) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url}: no chart with data after 30 s")
        time.sleep(0.02)
    time.sleep(1.0)  # what the page still fetches after its first chart (grids, images) counts too
    return first / 1000, driver.execute_script(TRANSFERRED)


def measure(base: str, pages: dict[str, str], runs: int) -> dict[str, dict[str, float]]:
    driver = browser()
    try:
        for path in pages.values():  # warm the server, not the browser
            load(driver, f"http://{base}{path}", cold=True)
        results = {}
        for name, path in pages.items():
            url = f"http://{base}{path}"
            cold = [load(driver, url, cold=True) for _ in range(runs)]
            warm = []
            for _ in range(runs):
                load(driver, url, cold=True)
                warm.append(load(driver, url, cold=False))
            results[name] = {
                "cold_seconds": statistics.median(t for t, _ in cold),
                "cold_bytes": statistics.median(b for _, b in cold),
                "warm_seconds": statistics.median(t for t, _ in warm),
                "warm_bytes": statistics.median(b for _, b in warm),
            }
        return results
    finally:
        driver.quit()


@contextmanager
def served(database_url: str, redis_url: str, factory: str | None):
    """tests.helpers.web_server, with another WSGI factory call in gunicorn's command line when given."""
    import app.web

    command = app.web.GUNICORN
    if factory is not None:
        app.web.GUNICORN = [*command[:-1], factory]
    try:
        with web_server(database_url, redis_url, SECRET) as base:
            yield base
    finally:
        app.web.GUNICORN = command


@contextmanager
def stores():
    with scratch_database() as database_url:
        redis = EmbeddedRedis(Path(tempfile.mkdtemp(prefix="cc-bench-pages-")))
        try:
            yield database_url, redis.start()
        finally:
            redis.stop()


def report(label: str, results: dict[str, dict[str, float]]) -> None:
    print(f"\n{label}")
    print(f"  {'page':<10} {'cold s':>7} {'cold MB':>8} {'warm s':>7} {'warm MB':>8}")
    for page, r in results.items():
        flags = [key for key, limit in TARGETS.items() if r[key] > limit or (key == "cold_bytes" and r[key] >= limit)]
        print(
            f"  {page:<10} {r['cold_seconds']:>7.2f} {r['cold_bytes'] / 1e6:>8.2f}"
            f" {r['warm_seconds']:>7.2f} {r['warm_bytes'] / 1e6:>8.2f}"
            + (f"   over target: {', '.join(flags)}" if flags else "   within targets")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=3, help="loads per page and cache state (the median is shown)")
    args = parser.parse_args()
    with stores() as (database_url, redis_url):
        pages = seed(Settings(database_url=database_url, redis_url=redis_url, secret_key=SECRET))
        print(f"pages: {', '.join(pages.values())}; median of {args.runs} loads each, Chromium headless 1440x900")
        print("targets: cold <= 1.0 s and < 2.5 MB transferred, warm <= 0.5 s")
        variants = {
            "baseline (no compression, full plotly.js)": "app.web:create_server(compressed=False)",
            "final (brotli/gzip, basic plotly.js bundle, immutable fingerprinted assets)": None,
        }
        for label, factory in variants.items():
            with served(database_url, redis_url, factory) as base:
                report(label, measure(base, pages, args.runs))


if __name__ == "__main__":
    main()
