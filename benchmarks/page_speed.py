"""The page's speed in chromium: how long the first faces take to appear, a redraw of 8 faces after a colour tap,
and a row of 8 variations after a variation is picked (More like this).

    python benchmarks/page_speed.py                  # the shipped model, every mode
    python benchmarks/page_speed.py --modes site     # one mode; --run RUN for a run's generator instead

Modes: "server" (`acgan serve`: the API draws), "site" (the folder `acgan site` writes on a plain static
host that sends no headers; the page's service worker provides cross-origin isolation), "site-headers" (the same
folder on a host that sends COOP/COEP itself). First faces: from navigation to the first 8 faces on the page, in a
fresh browser profile (the site's includes loading the model, and the service worker's one reload). Redraw: the
median over --taps colour taps of the time from the tap to the 8 new faces on the page. Variations: the median over
--taps picks of a variation of the time from the click to its own row of 8 variations on the page. Numbers only: no
test asserts a time (docs/TESTING.md).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from acgan.sample.generator import load
from acgan.serve.site import build_site

CHROMIUM = "/usr/bin/chromium"
ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
# Every time the page marks a draw done (#draw-form's data-done) or a row of variations (#variations'), in ms since
# navigation.
RECORD_DRAWS = """window.__draws = [];
window.__rows = [];
new MutationObserver((changes) => changes.forEach((change) => (change.target.id === "variations" ? window.__rows
    : window.__draws).push(performance.now()))).observe(document, {
    subtree: true, attributes: true, attributeFilter: ["data-done"]});"""
TAP_AND_WAIT = """async (colour) => {
    const before = window.__draws.length;
    const start = performance.now();
    document.querySelector(`#hair-swatches input[value="${colour}"]`).click();
    while (window.__draws.length === before) await new Promise((resolve) => setTimeout(resolve, 2));
    return window.__draws[before] - start;
}"""
PICK_AND_WAIT = """async (index) => {
    const before = window.__rows.length;
    const start = performance.now();
    document.querySelector(`#variations figure[data-index="${index}"] a`).click();
    while (window.__rows.length === before) await new Promise((resolve) => setTimeout(resolve, 2));
    return window.__rows[before] - start;
}"""


class Folder(http.server.SimpleHTTPRequestHandler):
    extensions_map: ClassVar[dict[str, str]] = {
        ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json",
        ".css": "text/css", ".html": "text/html"}
    isolate = False

    def log_message(self, format: str, *args: object) -> None:
        pass

    def end_headers(self) -> None:
        if self.isolate:
            for name, value in ISOLATION.items():
                self.send_header(name, value)
        super().end_headers()


@contextlib.contextmanager
def static_host(folder: Path, isolate: bool) -> Iterator[str]:
    handler = type("Handler", (Folder,), {"isolate": isolate})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def acgan_serve(run: str | None) -> Iterator[str]:
    """`acgan serve` itself, on a free port, until the block ends."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    command = [str(Path(sys.executable).with_name("acgan")), "serve", *([run] if run else []), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            assert server.poll() is None, f"{' '.join(command)} stopped"
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/healthz", timeout=5)
                break
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(30)


def measure(url: str, hair: list[str], taps: int) -> dict[str, object]:
    """First faces and the median redraw of one page, in a fresh headless chromium profile."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"])
        context.set_default_timeout(120_000)
        context.add_init_script(RECORD_DRAWS)
        page = context.pages[0]
        page.goto(f"{url}/?hair={hair[0]}&eyes=blue&n=8&seed=7")
        page.wait_for_function("() => window.__draws && window.__draws.length > 0", polling=10)
        first = page.evaluate("() => window.__draws[0]")
        redraws = [page.evaluate(TAP_AND_WAIT, hair[1 + i % (len(hair) - 1)]) for i in range(taps)]
        page.locator("#results figure").first.get_by_role("button", name="More").click()  # the first row
        page.wait_for_function("() => window.__rows.length > 0", polling=10)
        rows = [page.evaluate(PICK_AND_WAIT, i % 8) for i in range(taps)]
        facts = page.evaluate("() => [crossOriginIsolated, navigator.hardwareConcurrency]")
        context.close()
    return {"first": first, "redraw": statistics.median(redraws), "variations": statistics.median(rows),
            "isolated": facts[0], "cores": facts[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", help="a run folder or checkpoint (default: the shipped model)")
    parser.add_argument("--modes", nargs="+", default=["server", "site", "site-headers"],
                        choices=["server", "site", "site-headers"])
    parser.add_argument("--taps", type=int, default=7)
    args = parser.parse_args()
    model = load(args.run)
    hair = list(model.vocab.hair)
    print(f"{model.source} ({model.resolution} px) | 8 faces a draw | "
          f"redraw: median of {args.taps} colour taps | variations: median of {args.taps} picks")
    print("| mode | cross-origin isolated | cores | first faces ms | redraw ms | 8 variations ms |")
    print("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        site = build_site(model, Path(folder) / "site").folder if set(args.modes) - {"server"} else None
        for mode in args.modes:
            with acgan_serve(args.run) if mode == "server" else static_host(site, mode == "site-headers") as url:
                result = measure(url, hair, args.taps)
            print(f"| {mode} | {result['isolated']} | {result['cores']} | {result['first']:.0f} | "
                  f"{result['redraw']:.0f} | {result['variations']:.0f} |")


if __name__ == "__main__":
    main()
