"""The README's pictures of the page, drawn again: the shipped model in chromium, in both modes.

    python docs/page_screenshots.py            # writes docs/page-*.png (needs chromium, Playwright, make web)

page-browser-*.png: the static site (`acgan site`), light; page-server-*.png: `acgan serve`, dark; each on a desktop
(1280 px wide) and a phone (390 px). page-variations.png: More like this, a face picked twice, at variety 0.8.
Every picture starts from a fresh browser profile with the same few draws in Recent, so the pictures change only
when the page does.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the servers the benchmarks and the tests use

from benchmarks.page_speed import static_host
from tests.test_serve import running_server

from acgan.sample.generator import load
from acgan.serve.app import create_app
from acgan.serve.site import build_site

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parent
RECENT = ["hair=pink&eyes=green&n=8&seed=3", "hair=white&eyes=aqua&n=8&seed=11",
          "hair=blonde&eyes=blue&n=8&seed=40"]  # drawn first, so Recent shows them
SHOWN = "hair=blue&eyes=red&n=8&seed=7"
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}



def drawn(page: Page, url: str) -> None:
    """Open `url` and wait until its faces are on the page, every picture decoded."""
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_function("""() => {
        const images = [...document.querySelectorAll('#results img')];
        return images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0)
            && document.querySelector('#results').getAttribute('aria-busy') === 'false';
    }""")


def shoot_page(playwright, base: str, name: str, scheme: str, heights: dict[str, int]) -> None:
    """The top of the page on a desktop and on a phone, with Recent filled."""
    for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        with tempfile.TemporaryDirectory() as profile:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, viewport=viewport, color_scheme=scheme,
                args=["--no-sandbox"])
            page = context.pages[0]
            for query in [*RECENT, SHOWN]:
                drawn(page, f"{base}/?{query}")
            page.reload()
            drawn(page, f"{base}/?{SHOWN}")
            page.evaluate("window.scrollTo(0, 0)")
            page.screenshot(path=DOCS / f"page-{name}-{device}.png", full_page=True,
                            clip={"x": 0, "y": 0, "width": viewport["width"], "height": heights[device]})
            context.close()


def shoot_variations(playwright, base: str) -> None:
    """More like this: face 8 picked, then its variation 3, then that one's variation 5, at variety 0.8."""
    with tempfile.TemporaryDirectory() as profile:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, viewport=DESKTOP, args=["--no-sandbox"])
        page = context.pages[0]
        drawn(page, f"{base}/?{SHOWN}&truncation=0.8")
        page.get_by_role("button", name="More faces like face 8").click()
        for moves, index in enumerate((3, 5)):
            page.wait_for_selector(f"#variations[data-done='8:{moves}:0.4']")
            page.get_by_title(f"Variation {index}: make it the face").click()
        page.wait_for_selector("#variations[data-done='8:2:0.4']")
        page.wait_for_function("() => [...document.querySelectorAll('#draw img')].every(i => i.complete)")
        page.locator("#draw").screenshot(path=DOCS / "page-variations.png")
        context.close()


def main() -> None:
    model = load()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        site = build_site(model, Path(folder) / "site").folder
        with static_host(site, isolate=False) as base:
            shoot_page(playwright, base, "browser", "light", {"desktop": 1260, "phone": 1500})
            shoot_variations(playwright, base)
        with running_server(create_app(model)) as base:
            shoot_page(playwright, base, "server", "dark", {"desktop": 1000, "phone": 1500})


if __name__ == "__main__":
    main()
