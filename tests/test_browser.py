"""The page in a real browser: Debian's chromium, headless, driven by Playwright against a server the test starts.

Choose colours, press Generate, wait for the faces, check that they decoded and are the pixels the Python API
draws, that another colour draws another picture, that Keep and Morph fill their sections, that a click downloads
the PNG, and that the page fits a 375 px phone. Screenshots land in the test's tmp folder. The test skips, saying
why, only where no chromium (or no Playwright) can be had.
"""

from __future__ import annotations

import base64
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import acgan
from acgan.sample.generator import FaceGenerator
from acgan.serve.app import create_app
from tests.test_serve import build_tiny_run, decode_png, pixels, running_server, same_face

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("ACGAN_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> FaceGenerator:
    return acgan.load(build_tiny_run(tmp_path_factory))


@pytest.fixture(scope="module")
def base_url(model: FaceGenerator) -> Iterator[str]:
    with running_server(create_app(model)) as url:
        yield url


@pytest.fixture
def page(tmp_path: Path):
    executable = find_chromium()
    if executable is None:
        pytest.skip("no chromium found (apt-get install chromium, or set ACGAN_CHROMIUM to a chromium binary)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=executable, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.set_default_timeout(30_000)
        errors: list[str] = []
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        try:
            yield page
        finally:
            context.close()
        assert errors == [], errors


def wait_until(page, function: str, arg: object = None, timeout: float = 30.0) -> None:
    """Poll `function` in the page until it returns true. (Playwright's wait_for_function compiles its predicate
    with eval, which the server's Content-Security-Policy rightly forbids; evaluate calls a function directly.)"""
    deadline = time.monotonic() + timeout
    while not page.evaluate(function, arg):
        assert time.monotonic() < deadline, f"timed out waiting for {function[:80]}"
        time.sleep(0.05)


def grid_state(page) -> dict:
    return page.evaluate("""() => {
        const figures = [...document.querySelectorAll('#results figure')];
        return {
            seeds: figures.map(f => Number(f.dataset.seed)),
            sources: figures.map(f => f.querySelector('img').src),
            decoded: figures.map(f => f.querySelector('img').complete && f.querySelector('img').naturalWidth),
        };
    }""")


def wait_for_faces(page, n: int, first_seed: int, hair: str, eyes: str) -> dict:
    """Wait until the grid shows exactly these faces, every image decoded."""
    wait_until(page, """([n, seed, hair, eyes]) => {
        const figures = [...document.querySelectorAll('#results figure')];
        return figures.length === n
            && figures[0].dataset.seed === String(seed)
            && figures.every(f => f.textContent.includes(hair + ' hair') && f.textContent.includes(eyes + ' eyes'))
            && figures.every(f => { const i = f.querySelector('img'); return i.complete && i.naturalWidth > 0; });
    }""", [n, first_seed, hair, eyes])
    return grid_state(page)


def data_url_pixels(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return decode_png(base64.b64decode(url.split(",", 1)[1]))


def choose(page, attribute: str, colour: str) -> None:
    page.get_by_role("group", name="Hair" if attribute == "hair" else "Eyes").get_by_role(
        "radio", name=colour, exact=True).check()


def test_the_page_draws_faces_keeps_them_and_morphs(page, base_url: str, model: FaceGenerator,
                                                    tmp_path: Path) -> None:
    page.goto(base_url + "/")
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_selector("#results img")  # the page draws a first batch by itself

    choose(page, "hair", "blue")
    choose(page, "eyes", "red")
    page.get_by_label("Faces", exact=True).fill("4")
    page.get_by_label("Seed", exact=True).first.fill("7")
    with page.expect_response(lambda r: r.url.endswith("/api/generate") and r.status == 200):
        page.get_by_role("button", name="Generate", exact=True).click()
    blue = wait_for_faces(page, 4, 7, "blue", "red")
    assert all(width == 32 for width in blue["decoded"])  # naturalWidth: the PNGs decoded at their own size
    assert blue["seeds"] == [7, 8, 9, 10]
    for k, source in enumerate(blue["sources"]):  # what the page shows is what the Python API draws
        assert same_face(data_url_pixels(source), pixels(model.generate("blue", "red", 1, 7 + k)[0]))

    choose(page, "hair", "green")  # a swatch redraws at once; Generate gives the same faces again
    page.get_by_role("button", name="Generate", exact=True).click()
    green = wait_for_faces(page, 4, 7, "green", "red")
    assert not np.array_equal(data_url_pixels(green["sources"][0]), data_url_pixels(blue["sources"][0]))
    assert same_face(data_url_pixels(green["sources"][0]), pixels(model.generate("green", "red", 1, 7)[0]))
    page.screenshot(path=str(tmp_path / "desktop-generate.png"), full_page=True)

    first = page.locator("#results figure").first
    with page.expect_download() as download:
        first.get_by_role("link").click()
    assert download.value.suggested_filename == "acgan-7-green-hair-red-eyes.png"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert np.array_equal(decode_png(saved.read_bytes()), data_url_pixels(green["sources"][0]))

    first.get_by_role("button", name="Keep face 7 and change its colours").click()
    wait_until(page, """(n) => {
        const images = [...document.querySelectorAll('#keep-hair img')];
        return images.length === n && images.every(i => i.complete && i.naturalWidth > 0);
    }""", arg=len(model.vocab.hair))
    assert page.locator("#keep-eyes img").count() == len(model.vocab.eyes)
    assert "green" in page.locator("#keep-hair figure.current").inner_text()

    page.locator("#results figure").nth(1).get_by_role("button", name="End the morph with face 8").click()
    wait_until(page, "() => document.querySelector('#morph-gif').alt.includes('to face 8')")
    frames = page.locator("#morph-frames img")
    assert frames.count() == 8
    assert all(w == 32 for w in frames.evaluate_all("images => images.map(i => i.naturalWidth)"))
    assert page.locator("#morph-gif").evaluate("i => i.naturalWidth") == 128
    assert page.get_by_role("link", name="Download GIF").get_attribute("href").startswith("data:image/gif;base64,")
    page.screenshot(path=str(tmp_path / "desktop.png"), full_page=True)

    page.set_viewport_size({"width": 375, "height": 812})
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing sticks out sideways
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    assert (tmp_path / "phone.png").stat().st_size > 0


def test_bad_input_is_explained_on_the_page(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.wait_for_selector("#results img")
    page.get_by_label("Seed", exact=True).first.fill("twelve")
    page.get_by_role("button", name="Generate", exact=True).click()
    alert = page.locator("#draw-error")
    assert "Seed" in alert.inner_text() and alert.is_visible()
    assert page.get_by_label("Seed", exact=True).first.get_attribute("aria-invalid") == "true"
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # the form works from the keyboard alone
    wait_until(page, "() => document.querySelector('#results figure').dataset.seed === '3'")
    assert not alert.is_visible()
