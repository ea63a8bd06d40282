"""The page in a real browser: Debian's chromium, headless, driven by Playwright, in both of its modes.

"server": `acgan serve`'s app behind a strict Content-Security-Policy header (no inline script or style, no eval).
"site": the static folder `acgan site` writes, served by a plain HTTP server; the generator runs in the browser.
Every request that is not for 127.0.0.1 is aborted and fails the test, as does any console error or CSP violation.

The same flows run in both modes: faces are the Python API's pixels (server: within 1 level, from batch rounding;
site: ONNX Runtime Web's WebAssembly against PyTorch, measured at most 1 level in at most 0.03% of channel values),
another colour redraws, the link round-trips, recent draws survive a reload, downloads come at the size asked for
from a face's preview, a PNG acgan wrote opens to draw its face again, the table of every pair, Keep, Morph, bad
input explained (links included), cross-origin isolation (the site's through its service worker), and phone layouts
(375 px; at 390 x 844 a colour tap brings the new faces on screen). Then what only one mode has: the server gone (a
message and a retry), every link of the served page answering, the model loading (a progress bar) or failing to load
or its model.json unusable, and the noise computed in JavaScript bit for bit. The test skips, naming what is
missing, only where chromium, Playwright or (for the site) ONNX Runtime Web from npm cannot be had; under CI
(CI=true) such a skip fails (tests/conftest.py).
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import io
import json
import os
import re
import shutil
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

import acgan
from acgan.cli import app as cli
from acgan.judge.readback import agreeing_faces
from acgan.judge.tagger import load_tagger
from acgan.sample.contract import MAX_FACES, MAX_SEED, Face
from acgan.sample.generator import FaceGenerator
from acgan.sample.seeds import colours_for, noise_for_faces, noise_for_seeds, random_colours, truncated
from acgan.sample.shipped import shipped_tagger
from acgan.serve.app import create_app
from tests.test_serve import build_tiny_run, decode_png, pixels, running_server

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
# WebGPU without a GPU: chromium's software Vulkan (SwiftShader) as the adapter.
SOFTWARE_WEBGPU = ("--enable-unsafe-webgpu", "--use-webgpu-adapter=swiftshader", "--enable-features=Vulkan")
# What `acgan serve` must work under; the static site carries the same policy in a meta tag, plus WebAssembly.
STRICT_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
              "connect-src 'self'")
REPORT_CSP_VIOLATIONS = """document.addEventListener("securitypolicyviolation",
    (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`));"""
MIME = {".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
        ".json": "application/json", ".wasm": "application/wasm", ".onnx": "application/octet-stream"}


def find_chromium() -> str:
    """$ACGAN_CHROMIUM when set (it names the browser, or hides it: no other is tried), else Debian's chromium;
    skips, naming what is missing, when there is none."""
    given = os.environ.get("ACGAN_CHROMIUM")
    candidates = [given] if given else ["/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    if given:
        pytest.skip(f"chromium is missing: ACGAN_CHROMIUM={given} is not an executable")
    pytest.skip("chromium is missing: apt-get install chromium (make test does, as root), or set ACGAN_CHROMIUM")


# --- the two modes ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_run(tmp_path_factory)


@pytest.fixture(scope="module")
def model(run_dir: Path) -> FaceGenerator:
    return acgan.load(run_dir)


@pytest.fixture(scope="module")
def server_url(model: FaceGenerator) -> Iterator[str]:
    app = create_app(model)

    @app.middleware("http")
    async def strict_policy(request, call_next):  # the header a deployment adds; the page must need no more
        response = await call_next(request)
        response.headers["Content-Security-Policy"] = STRICT_CSP
        return response

    with running_server(app) as url:
        yield url


class StaticSite(http.server.ThreadingHTTPServer):
    """A plain HTTP server for one folder, as any static host; `slow` holds the WebAssembly back a moment, and a
    path in `failing` is answered 503. (The host fails, not the test's routes: requests the site's service worker
    makes pass by Playwright's routing.)"""

    daemon_threads = True
    slow = False
    failing: frozenset[str] = frozenset()

    def handle_error(self, request, client_address) -> None:
        pass  # a browser that closes a connection early is not a failure of the page


class StaticFiles(http.server.SimpleHTTPRequestHandler):
    extensions_map = MIME

    def log_message(self, format, *args) -> None:
        pass

    def send_head(self):
        if self.path.endswith(".wasm") and self.server.slow:
            threading.Event().wait(1.5)
        if self.path in self.server.failing:
            self.send_error(503)
            return None
        return super().send_head()


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[StaticSite]:
    server = StaticSite(("127.0.0.1", 0), functools.partial(StaticFiles, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def built_site(model: FaceGenerator, folder: Path, webgpu: bool = False) -> Path:
    from acgan.errors import UserError
    from acgan.serve.site import build_site

    try:
        return build_site(model, folder, webgpu=webgpu).folder
    except UserError as err:
        pytest.skip(f"cannot build the static site: {err}")


@pytest.fixture(scope="module")
def site_folder(model: FaceGenerator, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_site(model, tmp_path_factory.mktemp("static") / "site")


@pytest.fixture(scope="module")
def static_site(site_folder: Path) -> Iterator[StaticSite]:
    with serving(site_folder) as server:
        yield server


@pytest.fixture(scope="module")
def site_url(static_site: StaticSite) -> str:
    return f"http://127.0.0.1:{static_site.server_port}"


@pytest.fixture(params=["server", "site"])
def base_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue(f"{request.param}_url")


class ConsoleErrors(list):
    """Console errors seen; a test that provokes some on purpose names what they may contain."""

    def __init__(self) -> None:
        super().__init__()
        self.allowed: list[str] = []

    def unexpected(self) -> list[str]:
        return [e for e in self if not any(a in e for a in self.allowed)]


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@contextlib.contextmanager
def browser_page(profile: Path, console_errors: ConsoleErrors, extra_args: tuple[str, ...] = (),
                 service_workers: str = "allow") -> Iterator:
    """A fresh headless chromium page that may reach 127.0.0.1 only; console errors and CSP violations collected."""
    executable = find_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is missing: pip install -e '.[dev]'")
    elsewhere: list[str] = []

    def only_this_machine(route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=[*CHROMIUM_ARGS, *extra_args],
            viewport={"width": 1280, "height": 900}, accept_downloads=True, service_workers=service_workers)
        context.set_default_timeout(30_000)
        context.route("**/*", only_this_machine)
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
        try:
            yield page
        finally:
            context.close()
        assert console_errors.unexpected() == []
        assert elsewhere == []


@pytest.fixture
def page(tmp_path: Path, console_errors: ConsoleErrors):
    with browser_page(tmp_path / "profile", console_errors) as opened:
        yield opened


# --- helpers -------------------------------------------------------------------------------------------------------


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
            seeds: figures.map(f => f.dataset.seed),
            sources: figures.map(f => f.querySelector('img').src),
            decoded: figures.map(f => f.querySelector('img').complete && f.querySelector('img').naturalWidth),
        };
    }""")


def wait_for_faces(page, n: int, first_seed: int, hair: str, eyes: str) -> dict:
    """Wait until the grid shows exactly these faces, every image decoded."""
    wait_until(page, """([n, seed, hair, eyes]) => {
        const figures = [...document.querySelectorAll('#results figure')];
        return figures.length === n
            && figures[0].dataset.seed === seed
            && figures.every(f => f.textContent.includes(hair + ' hair') && f.textContent.includes(eyes + ' eyes'))
            && figures.every(f => { const i = f.querySelector('img'); return i.complete && i.naturalWidth > 0; });
    }""", arg=[n, str(first_seed), hair, eyes])
    return grid_state(page)


def download_from_preview(page, index: int):
    """Click face `index`: its preview opens (no download yet); download it from there and close the preview."""
    downloads: list = []

    def seen(download) -> None:
        downloads.append(download)

    page.on("download", seen)
    page.locator("#results figure").nth(index).get_by_role("link").click()
    preview = page.get_by_role("dialog")
    preview.wait_for()
    seed = page.locator("#results figure").nth(index).get_attribute("data-seed")
    assert preview.get_by_role("heading").inner_text() == f"Face #{seed}" and downloads == []
    with page.expect_download() as download:
        preview.get_by_role("link", name=re.compile("^Download PNG")).click()
    preview.get_by_role("button", name="Close").click()
    assert not preview.is_visible()
    page.remove_listener("download", seen)
    return download


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='true']")


def data_url_pixels(url: str) -> np.ndarray:
    assert url.startswith("data:image/png;base64,")
    return decode_png(base64.b64decode(url.split(",", 1)[1]))


def choose(page, attribute: str, colour: str) -> None:
    page.get_by_role("group", name="Hair" if attribute == "hair" else "Eyes").get_by_role(
        "radio", name=colour, exact=True).check()


def same_face(a: np.ndarray, b: np.ndarray, level: int = 1) -> bool:
    """The same face up to rounding: at most `level` apart anywhere and in at most 1% of channel values. The server
    draws a request's faces in one batch, the API one by one, and the CPU's convolutions round a batch differently
    (measured: one channel of one pixel off by 1 of 255); ONNX Runtime Web's WebAssembly kernels round differently
    from PyTorch's (measured over 64 faces of the shipped and the test model: at most 1 level, in at most 0.03% of
    channel values)."""
    if a.shape != b.shape:
        return False
    gap = np.abs(a.astype(int) - b.astype(int))
    return int(gap.max()) <= level and float((gap > 0).mean()) <= 0.01


def python_face(model: FaceGenerator, hair: str, eyes: str, seed: int, size: int | None = None) -> np.ndarray:
    image = model.generate(hair, eyes, 1, seed)[0]
    return pixels(image if size is None else image.resize((size, size), Image.Resampling.LANCZOS))


def png_record(data: bytes) -> dict:
    with Image.open(io.BytesIO(data)) as image:
        return json.loads(image.text["acgan"])


# --- the same flows in both modes ------------------------------------------------------------------------------


def test_the_page_draws_the_python_faces_keeps_them_and_morphs(page, base_url: str, model: FaceGenerator,
                                                             tmp_path: Path) -> None:
    open_page(page, base_url + "/")
    page.wait_for_selector("#results img")  # the page draws a first batch by itself

    choose(page, "hair", "blue")
    choose(page, "eyes", "red")
    page.get_by_label("Faces", exact=True).fill("4")
    page.get_by_label("Seed", exact=True).first.fill("7")
    page.get_by_role("button", name="Generate", exact=True).click()
    blue = wait_for_faces(page, 4, 7, "blue", "red")
    assert all(width == 32 for width in blue["decoded"])  # naturalWidth: the PNGs decoded at their own size
    assert blue["seeds"] == ["7", "8", "9", "10"]
    for k, source in enumerate(blue["sources"]):  # what the page shows is what the Python API draws
        assert same_face(data_url_pixels(source), python_face(model, "blue", "red", 7 + k))

    choose(page, "hair", "green")  # a swatch redraws at once
    green = wait_for_faces(page, 4, 7, "green", "red")
    assert not np.array_equal(data_url_pixels(green["sources"][0]), data_url_pixels(blue["sources"][0]))
    assert same_face(data_url_pixels(green["sources"][0]), python_face(model, "green", "red", 7))

    first = page.locator("#results figure").first
    download = download_from_preview(page, 0)
    assert download.value.suggested_filename == "acgan-7-green-hair-red-eyes.png"
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert np.array_equal(decode_png(saved.read_bytes()), data_url_pixels(green["sources"][0]))
    assert {k: png_record(saved.read_bytes())[k] for k in ("seed", "hair", "eyes")} == {
        "seed": 7, "hair": "green", "eyes": "red"}  # `acgan generate --like` can draw it again

    first.get_by_role("button", name="Keep face 7 and change its colours").click()
    wait_until(page, """(n) => {
        const images = [...document.querySelectorAll('#keep-hair img')];
        return images.length === n && images.every(i => i.complete && i.naturalWidth > 0);
    }""", arg=len(model.vocab.hair))
    assert page.locator("#keep-eyes img").count() == len(model.vocab.eyes)
    assert "green" in page.locator("#keep-hair figure.current").inner_text()
    blue_kept = page.locator("#keep-hair figure", has_text="blue").locator("img").get_attribute("src")
    assert same_face(data_url_pixels(blue_kept), python_face(model, "blue", "red", 7))

    page.locator("#results figure").nth(1).get_by_role("button", name="End the morph with face 8").click()
    page.wait_for_function("() => document.querySelector('#morph-gif').alt.includes('to face 8')")
    frames = page.locator("#morph-frames img")
    assert frames.count() == 8
    assert all(w == 32 for w in frames.evaluate_all("images => images.map(i => i.naturalWidth)"))
    last = frames.nth(7).get_attribute("src")
    assert same_face(data_url_pixels(last), python_face(model, "green", "red", 8))  # the morph ends on face 8
    assert page.locator("#morph-gif").evaluate("i => i.naturalWidth") == 128
    gif = page.get_by_role("link", name="Download GIF").get_attribute("href")
    with Image.open(io.BytesIO(base64.b64decode(gif.split(",", 1)[1]))) as animation:
        assert animation.format == "GIF" and animation.n_frames == 14 and animation.info["loop"] == 0

    page.set_viewport_size({"width": 375, "height": 812})
    page.evaluate("window.scrollTo(0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing sticks out sideways


def test_the_link_round_trips_and_recent_draws_survive_a_reload(page, base_url: str) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    open_page(page, base_url + "/?hair=blue&eyes=red&n=3&seed=21")
    linked = wait_for_faces(page, 3, 21, "blue", "red")
    assert page.locator("#draw-form input[name=hair]:checked").get_attribute("value") == "blue"

    choose(page, "eyes", "green")
    wait_for_faces(page, 3, 21, "blue", "green")
    assert parse_qs(urlsplit(page.url).query) == {"hair": ["blue"], "eyes": ["green"], "n": ["3"], "seed": ["21"]}
    page.get_by_role("button", name="Copy link").click()
    page.wait_for_function("() => document.querySelector('#tools-note').textContent.includes('copied')")
    assert page.evaluate("() => navigator.clipboard.readText()") == page.url

    page.goto(base_url + "/?hair=blue&eyes=red&n=3&seed=21")  # the first link again: the same pictures
    assert wait_for_faces(page, 3, 21, "blue", "red")["sources"] == linked["sources"]

    page.reload()
    wait_for_faces(page, 3, 21, "blue", "red")  # the link's own draw, done: it would put back what is removed
    recent = page.locator("#history-list li")
    page.wait_for_function("() => document.querySelectorAll('#history-list li').length === 2")
    assert "seed 21, blue hair, red eyes" in recent.nth(0).get_by_role("button").first.get_attribute("aria-label")
    page.get_by_role("button", name="Remove 3 faces from seed 21, blue hair, red eyes from recent").click()
    page.wait_for_function("() => document.querySelectorAll('#history-list li').length === 1")  # count() waits not
    page.goto(base_url + "/")
    page.wait_for_selector("body[data-ready='true']")
    assert recent.count() == 1  # the removal was kept; a visit without a link adds nothing
    recent.first.get_by_role("button", name=re.compile("^Draw again")).click()
    wait_for_faces(page, 3, 21, "blue", "green")


def test_each_face_says_whether_its_colours_read_back(page, base_url: str, model: FaceGenerator) -> None:
    """The shipped tagger reads every face the page draws (the server's PyTorch tagger, or the site's tagger.onnx
    in the browser): its line under each face is what the tagger reads in Python's drawing of that face."""
    open_page(page, base_url + "/?hair=blue&eyes=gray&n=6&seed=40")
    wait_for_faces(page, 6, 40, "blue", "gray")
    lines = page.locator("#results figure .read-back").all_inner_texts()
    tagger = load_tagger(shipped_tagger())
    hair, eyes, _ = tagger.run(model.draw_faces(model.requested("blue", "gray", 6, 40)))
    expected = []
    for h, e in zip(hair, eyes, strict=True):
        missed = [f"{read} {name}" for name, read, asked in (("hair", tagger.vocab.hair[h], "blue"),
                                                             ("eyes", tagger.vocab.eyes[e], "gray")) if read != asked]
        expected.append(f"Reads as {', '.join(missed)}" if missed else "✓ Reads as asked")
    assert lines == expected


def test_only_faces_whose_colours_read_back_keeps_pythons_choice(page, base_url: str, model: FaceGenerator) -> None:
    """"Only faces whose colours read back" keeps the faces judge/readback.agreeing_faces keeps: each face that does
    not read back replaced by the same candidate (its moves say which), in the link, and off again on a click."""
    tagger = load_tagger(shipped_tagger())
    hair, eyes, _ = tagger.run(model.draw_faces(model.requested("random", "random", 24, 0)))
    pairs = Counter(zip(hair.tolist(), eyes.tolist(), strict=True))  # a pair the tagger reads often in this model
    asked = (tagger.vocab.hair[pairs.most_common(1)[0][0][0]], tagger.vocab.eyes[pairs.most_common(1)[0][0][1]])
    chosen = agreeing_faces(model, model.requested(*asked, 6, 40), tagger)
    assert chosen.replaced > 0  # some faces are replaced, so the test sees the filter work
    open_page(page, base_url + f"/?hair={asked[0]}&eyes={asked[1]}&n=6&seed=40&readback=only")
    wait_for_faces(page, 6, 40, *asked)
    sources = grid_state(page)["sources"]
    records = [png_record(base64.b64decode(source.split(",", 1)[1])) for source in sources]
    assert [record.get("moves", []) for record in records] == [[list(m) for m in face.moves] for face in chosen.faces]
    assert "readback=only" in page.url and "only faces whose colours read back" in page.locator(
        "#results-summary").inner_text()
    page.get_by_label("Only faces whose colours read back").uncheck()
    page.wait_for_function("() => !location.search.includes('readback')")
    wait_for_faces(page, 6, 40, *asked)
    replaced = sources[[bool(face.moves) for face in chosen.faces].index(True)]
    page.wait_for_function("(src) => ![...document.querySelectorAll('#results img')].some(i => i.src === src)",
                           arg=replaced)  # the face asked for is back in the replaced one's place


def test_recent_draws_show_their_colours_and_whole_seed_and_draw_again(page, server_url: str,
                                                                        model: FaceGenerator) -> None:
    """Issue 23: the Recent strip cut long seeds ("#1234567…") and showed no colours."""
    seed = 123_456_789_012_345_678
    hair = colours_for(model.vocab, seed, "random", "red")[0]
    open_page(page, f"{server_url}/?hair=random&eyes=red&n=1&seed={seed}")
    wait_for_faces(page, 1, seed, hair, "red")
    open_page(page, f"{server_url}/?hair=blue&eyes=green&n=2&seed=5")
    wait_for_faces(page, 2, 5, "blue", "green")
    page.wait_for_function("() => document.querySelectorAll('#history-list li').length === 2")
    long_one = page.locator("#history-list li").nth(1)
    seed_text = long_one.locator(".history-seed")
    assert seed_text.inner_text().replace("\n", "") == f"#{seed}"
    assert seed_text.evaluate("(e) => e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight")
    assert long_one.locator(".history-colours").inner_text().split() == [hair, "red"]  # "random" as drawn
    long_one.get_by_role("button", name=re.compile("^Draw again")).click()
    wait_for_faces(page, 1, seed, hair, "red")
    assert page.get_by_label("Seed", exact=True).first.input_value() == str(seed)


def test_a_png_acgan_wrote_opens_to_draw_its_face_again(page, base_url: str, run_dir: Path, tmp_path: Path) -> None:
    """The page's `--like`: a PNG from `acgan generate`, by the file picker or dropped on the page (a grid: its first
    face); a PNG without acgan's metadata is one clear line, and the faces on show stay."""
    for args, name in ((["--hair", "blue", "--eyes", "red", "-n", "1", "--seed", "31"], "face.png"),
                       (["--hair", "pink", "--eyes", "blue", "-n", "4", "--seed", "50"], "grid.png")):
        result = CliRunner().invoke(cli, ["generate", str(run_dir), *args, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    open_page(page, base_url + "/?hair=aqua&eyes=gray&n=2&seed=3")
    wait_for_faces(page, 2, 3, "aqua", "gray")

    page.get_by_label("Open a face").set_input_files(tmp_path / "face.png")
    opened = wait_for_faces(page, 2, 31, "blue", "red")
    assert same_face(data_url_pixels(opened["sources"][0]), decode_png((tmp_path / "face.png").read_bytes()))

    page.evaluate("""([name, b64]) => {
        const files = new DataTransfer();
        files.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], name, {type: 'image/png'}));
        document.querySelector('main').dispatchEvent(new DragEvent('drop', {dataTransfer: files, bubbles: true,
            cancelable: true}));
    }""", ["grid.png", base64.b64encode((tmp_path / "grid.png").read_bytes()).decode()])
    wait_for_faces(page, 2, 50, "pink", "blue")

    Image.new("RGB", (8, 8)).save(tmp_path / "plain.png")
    page.get_by_label("Open a face").set_input_files(tmp_path / "plain.png")
    alert = page.locator("#draw-error")
    alert.wait_for()
    assert alert.inner_text() == "plain.png: no acgan metadata (only faces acgan wrote as PNG can be drawn again)."
    assert grid_state(page)["seeds"] == ["50", "51"]


def face_pixels(page, selector: str) -> list[np.ndarray]:
    """The pictures of the faces `selector` finds, once every one has decoded."""
    wait_until(page, """(selector) => {
        const images = [...document.querySelectorAll(selector)];
        return images.length > 0 && images.every(i => i.complete && i.naturalWidth > 0);
    }""", arg=selector)
    return [data_url_pixels(src) for src in page.locator(selector).evaluate_all("images => images.map(i => i.src)")]


def variations_shown(page, face: Face, distance: float) -> list[np.ndarray]:
    """Wait for the row of variations of `face` at `distance`; their pictures."""
    page.wait_for_selector(f"#variations[data-done='{face.seed}:{len(face.moves)}:{distance}']")
    return face_pixels(page, "#variations img")


def test_more_like_this_varies_a_face_and_its_variations_again(page, base_url: str, model: FaceGenerator,
                                                               tmp_path: Path) -> None:
    """Issue 23's refine loop: the row is Python's `model.variations`; a variation picked is the face (two moves
    after two picks), drawn as Python draws it, in its link, its PNG, the Recent strip, the morph, Keep, a colour
    change and a reload."""
    open_page(page, base_url + "/?hair=blue&eyes=red&n=2&seed=7")
    wait_for_faces(page, 2, 7, "blue", "red")
    page.get_by_role("button", name="More faces like face 8").click()
    wait_for_faces(page, 1, 8, "blue", "red")
    face = Face(8, "blue", "red")
    row = variations_shown(page, face, 0.4)
    python = [pixels(image) for image in model.variations(face, n=8, distance=0.4)]
    assert len(row) == 8 and all(same_face(a, b) for a, b in zip(row, python, strict=True))
    assert not same_face(row[3], python_face(model, "blue", "red", 8))  # a variation is another face

    for index in (3, 5):  # each pick makes that variation the face, whose own variations then show
        page.get_by_title(f"Variation {index}: make it the face").click()
        face = face._replace(moves=(*face.moves, (index, 0.4)))
        row = variations_shown(page, face, 0.4)
    assert same_face(row[0], pixels(model.variations(face, n=1, distance=0.4)[0]))
    assert parse_qs(urlsplit(page.url).query) == {"hair": ["blue"], "eyes": ["red"], "n": ["1"], "seed": ["8"],
                                                  "moves": ["3:0.4,5:0.4"], "distance": ["0.4"]}
    shown = face_pixels(page, "#results img")[0]
    assert same_face(shown, pixels(model.faces([face])[0]))
    assert "2 moves" in page.locator("#history-list li").first.inner_text()

    download = download_from_preview(page, 0)
    assert download.value.suggested_filename == "acgan-8-v3.5-blue-hair-red-eyes.png"
    data = Path(download.value.path()).read_bytes()
    assert {k: png_record(data)[k] for k in ("seed", "hair", "eyes", "moves")} == {
        "seed": 8, "hair": "blue", "eyes": "red", "moves": [[3, 0.4], [5, 0.4]]}
    assert same_face(decode_png(data), pixels(model.faces([face])[0]))

    page.locator("#results figure").first.get_by_role("button", name="End the morph with face 8").click()
    page.wait_for_function("() => document.querySelector('#morph-gif').alt.includes('to face 8')")
    last = page.locator("#morph-frames img").last.get_attribute("src")
    assert same_face(data_url_pixels(last), pixels(model.faces([face])[0]))  # the morph ends on the variation

    page.locator("#results figure").first.get_by_role("button", name="Keep face 8 and change its colours").click()
    page.locator("#keep-hair img").first.wait_for()
    kept = face_pixels(page, "#keep-hair img")[model.vocab.hair.index("pink")]
    assert same_face(kept, pixels(model.faces([face._replace(hair="pink")])[0]))  # Keep recolours the variation

    page.evaluate("window.scrollTo(0, 0)")
    choose(page, "hair", "green")  # a colour change keeps the moves
    wait_for_faces(page, 1, 8, "green", "red")
    green = face._replace(hair="green")
    assert same_face(face_pixels(page, "#results img")[0], pixels(model.faces([green])[0]))
    variations_shown(page, green, 0.4)

    before = face_pixels(page, "#results img")[0]
    page.reload()
    wait_for_faces(page, 1, 8, "green", "red")
    assert np.array_equal(face_pixels(page, "#results img")[0], before)
    variations_shown(page, green, 0.4)

    page.get_by_role("button", name="Back to the seed's face").click()
    variations_shown(page, Face(8, "green", "red"), 0.4)
    assert "moves" not in parse_qs(urlsplit(page.url).query)
    assert same_face(face_pixels(page, "#results img")[0], python_face(model, "green", "red", 8))


def test_the_variety_slider_draws_at_that_truncation_and_a_variations_png_reopens(
        page, base_url: str, model: FaceGenerator, run_dir: Path, tmp_path: Path) -> None:
    """Variety is Python's truncation, in every draw (variations too), in the link and in the PNG; a variation's PNG
    that `acgan generate --variations` wrote (at a truncation) opens to draw that variation again."""
    open_page(page, base_url + "/?hair=pink&eyes=blue&n=2&seed=40&truncation=0.7")
    wait_for_faces(page, 2, 40, "pink", "blue")
    assert page.locator("#variety-value").inner_text() == "0.7"
    python = [pixels(image) for image in model.generate("pink", "blue", 2, 40, truncation=0.7)]
    assert all(same_face(a, b) for a, b in zip(face_pixels(page, "#results img"), python, strict=True))
    assert not same_face(python[0], python_face(model, "pink", "blue", 40))

    page.get_by_label("Variety").fill("0.5")  # the slider redraws at once
    page.wait_for_function("() => location.search.includes('truncation=0.5')")
    wait_until(page, "() => document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    python = [pixels(image) for image in model.generate("pink", "blue", 2, 40, truncation=0.5)]
    assert all(same_face(a, b) for a, b in zip(face_pixels(page, "#results img"), python, strict=True))
    data = Path(download_from_preview(page, 1).value.path()).read_bytes()
    assert png_record(data)["truncation"] == 0.5 and png_record(data)["seed"] == 41

    page.locator("#results figure").nth(1).get_by_role("link").click()  # More like this, from the preview
    page.get_by_role("dialog").get_by_role("button", name="More like this").click()
    row = variations_shown(page, Face(41, "pink", "blue"), 0.4)
    python = [pixels(image) for image in model.with_truncation(0.5).variations(Face(41, "pink", "blue"))]
    assert all(same_face(a, b) for a, b in zip(row, python, strict=True))  # variations at that truncation too

    args = ["--hair", "blue", "--eyes", "red", "--seed", "31", "--variations", "3", "--distance", "0.7",
            "--truncation", "0.6", "--separate"]
    result = CliRunner().invoke(cli, ["generate", str(run_dir), *args, "-o", str(tmp_path / "face.png")])
    assert result.exit_code == 0, result.output
    written = tmp_path / "face-31-v2.png"
    assert png_record(written.read_bytes())["moves"] == [[2, 0.7]]
    page.get_by_label("Open a face").set_input_files(written)
    wait_for_faces(page, 1, 31, "blue", "red")
    page.wait_for_function("() => location.search.includes('moves=2:0.7')")
    assert page.locator("#variety-value").inner_text() == "0.6"
    assert same_face(face_pixels(page, "#results img")[0], decode_png(written.read_bytes()))


def test_downloads_come_at_the_size_asked_for(page, base_url: str, model: FaceGenerator, tmp_path: Path) -> None:
    open_page(page, base_url + "/?hair=pink&eyes=blue&n=2&seed=40")
    wait_for_faces(page, 2, 40, "pink", "blue")
    sizes = page.locator("#download-size option").all_inner_texts()
    assert sizes == ["32 px (as drawn)", "64 px (upscaled)", "128 px (upscaled)", "256 px (upscaled)"]

    page.get_by_label("Download size").select_option("128")
    download = download_from_preview(page, 0)
    assert download.value.suggested_filename == "acgan-40-pink-hair-blue-eyes-128px.png"
    data = Path(download.value.path()).read_bytes()
    # Lanczos as Pillow does it, on a face within a level of Python's: measured at most 1 level apart.
    assert same_face(decode_png(data), python_face(model, "pink", "blue", 40, size=128), level=2)
    assert png_record(data)["seed"] == 40

    page.get_by_label("Download size").select_option("256")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download all (zip)").click()
    assert download.value.suggested_filename == "acgan-40-2-faces-256px.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert archive.testzip() is None
        assert archive.namelist() == [f"acgan-{seed}-pink-hair-blue-eyes-256px.png" for seed in (40, 41)]
        assert all(decode_png(archive.read(name)).shape == (256, 256, 3) for name in archive.namelist())


def test_on_a_phone_a_colour_tap_shows_the_new_faces_and_a_face_opens_its_preview(page, base_url: str) -> None:
    """Issue 23: on a 390 x 844 phone the new faces started 1.3 screens below the colour tapped, and tapping a face
    downloaded it at once."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_page(page, base_url + "/?hair=blue&eyes=red&n=8&seed=7")
    wait_for_faces(page, 8, 7, "blue", "red")
    page.evaluate("window.scrollTo(0, 0)")
    choose(page, "hair", "green")
    wait_for_faces(page, 8, 7, "green", "red")
    wait_until(page, """() => {
        const box = document.querySelector('#results figure').getBoundingClientRect();
        return box.top >= 0 && box.bottom <= innerHeight;
    }""", timeout=5)
    download = download_from_preview(page, 1)
    assert download.value.suggested_filename == "acgan-8-green-hair-red-eyes.png"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_table_shows_one_face_in_every_colour_pair(page, base_url: str, model: FaceGenerator) -> None:
    open_page(page, base_url + "/")
    page.wait_for_selector("#results img")
    page.get_by_label("Seed", exact=True).nth(1).fill("5")
    page.get_by_role("button", name="Draw the table").click()
    page.wait_for_selector("#pairs-table[data-done='5']")
    rows = page.locator("#pairs-table tbody tr")
    assert rows.count() == len(model.vocab.hair)
    assert rows.first.locator("img").count() == len(model.vocab.eyes)
    row = model.vocab.hair.index("blue")
    column = model.vocab.eyes.index("red")
    cell = rows.nth(row).locator("td").nth(column).locator("img").get_attribute("src")
    assert same_face(data_url_pixels(cell), python_face(model, "blue", "red", 5))  # one noise: seed 5 everywhere
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # the table scrolls inside its card


def test_bad_input_is_explained_on_the_page(page, base_url: str, model: FaceGenerator) -> None:
    open_page(page, base_url + "/")
    page.wait_for_selector("#results img")
    alert = page.locator("#draw-error")
    for typed in ("twelve", "-3", "1.5"):
        page.get_by_label("Seed", exact=True).first.fill(typed)
        page.get_by_role("button", name="Generate", exact=True).click()
        assert alert.inner_text() == "Seed: a whole number, 0 or more." and alert.is_visible()
    assert page.get_by_label("Seed", exact=True).first.get_attribute("aria-invalid") == "true"
    page.get_by_label("Seed", exact=True).first.fill(str(MAX_SEED))
    page.get_by_label("Faces", exact=True).fill("2")
    page.get_by_role("button", name="Generate", exact=True).click()
    assert alert.inner_text() == f"Seed: at most {MAX_SEED - 1} for 2 faces."
    page.get_by_label("Seed", exact=True).first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # the form works from the keyboard alone
    page.wait_for_function("() => document.querySelector('#results figure').dataset.seed === '3'")
    assert not alert.is_visible()

    open_page(page, base_url + "/?hair=teal&eyes=red&n=1&seed=2")  # a link from another model's page
    wait_for_faces(page, 1, 2, colours_for(model.vocab, 2, "random", "red")[0], "red")
    assert alert.inner_text() == 'This model has no hair colour "teal": random instead.'

    # Issue 21 #18: a count or seed in a link is digits only; Number() would read "1e1" as 10 and the rest as 1.
    for query, refusal in (("n=1e1&seed=3", f"Faces: a whole number from 1 to {MAX_FACES}."),
                           ("n=0.9999999999999999999&seed=3", f"Faces: a whole number from 1 to {MAX_FACES}."),
                           ("n=2&seed=1e1", "Seed: a whole number, 0 or more."),
                           ("n=1&seed=3&moves=3:0.4,5", "Moves: index:distance pairs joined by commas (as "
                            "3:0.4,5:0.4), at most 64 moves, each an index from 0 to 9999 and a distance above 0, "
                            "at most 1."),
                           ("n=1&seed=3&truncation=0", "Variety (truncation): a number above 0, at most 1.")):
        open_page(page, f"{base_url}/?hair=blue&eyes=red&{query}")
        alert.wait_for()
        assert alert.inner_text() == refusal
        assert page.locator("#results figure").count() == 0  # nothing drawn from a link read wrongly


def test_the_page_is_cross_origin_isolated_so_onnx_runtime_can_run_threads(page, base_url: str) -> None:
    """The server sends COOP and COEP; a static host sends neither (the test's), so the site's service worker adds
    them and the page loads once more through it."""
    open_page(page, base_url + "/?hair=blue&eyes=red&n=2&seed=7")
    wait_for_faces(page, 2, 7, "blue", "red")
    assert page.evaluate("() => crossOriginIsolated") is True
    in_browser = page.evaluate("() => document.body.dataset.mode") == "browser"
    assert page.evaluate("() => navigator.serviceWorker.controller !== null") == in_browser


def test_where_service_workers_are_off_the_site_draws_all_the_same(site_url: str, tmp_path: Path,
                                                                    console_errors: ConsoleErrors) -> None:
    """Not isolated (so one thread), and no wait for a worker that cannot come."""
    with browser_page(tmp_path / "profile", console_errors, service_workers="block") as page:
        open_page(page, site_url + "/?hair=blue&eyes=red&n=2&seed=7")
        wait_for_faces(page, 2, 7, "blue", "red")
        assert page.evaluate("() => [crossOriginIsolated, navigator.serviceWorker.controller]") == [False, None]


# --- what one mode has -----------------------------------------------------------------------------------------


def test_a_server_that_is_gone_is_a_message_and_a_retry(page, server_url: str,
                                                       console_errors: ConsoleErrors) -> None:
    console_errors.allowed.append("Failed to load resource")  # the requests this test aborts
    open_page(page, server_url + "/?hair=aqua&eyes=gray&n=2&seed=3")
    wait_for_faces(page, 2, 3, "aqua", "gray")
    page.route("**/api/**", lambda route: route.abort())
    page.get_by_label("Seed", exact=True).first.fill("4")
    page.get_by_role("button", name="Generate", exact=True).click()
    status = page.get_by_role("alert").filter(has_text="not answering")
    status.wait_for()
    assert "is `acgan serve` still running?" in status.inner_text()
    assert "Failed to fetch" not in page.locator("body").inner_text()
    assert page.locator("#results figure").count() == 2  # the faces already drawn stay
    page.unroute("**/api/**")
    page.get_by_role("button", name="Try again").click()
    wait_for_faces(page, 2, 4, "aqua", "gray")
    assert not page.locator("#status").is_visible()


def test_the_site_shows_the_model_loading_and_a_retry_when_it_cannot(page, site_url: str, static_site: StaticSite,
                                                                    console_errors: ConsoleErrors) -> None:
    static_site.slow = True
    try:
        page.goto(site_url + "/?hair=red&eyes=blue&n=1&seed=9")
        page.wait_for_selector("#status-progress:visible")
        assert page.locator("#status-text").inner_text().startswith("Loading the model into your browser")
    finally:
        static_site.slow = False
    wait_for_faces(page, 1, 9, "red", "blue")
    assert not page.locator("#status").is_visible()
    assert page.locator("#run-info").inner_text() == "32 px · step 4 · in your browser (WebAssembly)"
    assert "API" not in page.locator("footer").inner_text()  # no server, no API links

    console_errors.allowed.append("Failed to load resource")
    static_site.failing = frozenset({"/model/generator.onnx"})
    try:
        page.reload()
        page.get_by_role("alert").filter(has_text="The model could not be loaded").wait_for()
    finally:
        static_site.failing = frozenset()
    page.get_by_role("button", name="Try again").click()
    wait_for_faces(page, 1, 9, "red", "blue")


def test_every_link_on_the_served_page_answers(page, server_url: str) -> None:
    """Issue 21 #13: the footer linked to /docs, which the server leaves off (its page loads scripts from CDNs)."""
    open_page(page, server_url + "/")
    links = page.evaluate("() => [...document.querySelectorAll('a[href]')].map((a) => a.href)")
    pages = [url for url in links if url.startswith(server_url) and "#" not in url]
    assert pages  # the API description at least
    assert {url: page.request.get(url).status for url in pages} == dict.fromkeys(pages, 200)


def test_a_site_whose_model_json_is_unusable_says_the_model_could_not_start(
        page, site_folder: Path, tmp_path: Path, console_errors: ConsoleErrors) -> None:
    """Issue 21 #17: a model.json with no hair colours drew a page that broke at its first face."""
    folder = tmp_path / "site"
    shutil.copytree(site_folder, folder)
    meta_path = folder / "model" / "model.json"
    meta = json.loads(meta_path.read_text())
    for damage, said in ((lambda m: m.update(hair=[]), "model/model.json lists no hair colours"),
                         (lambda m: m["limits"].pop("max_faces"),
                          "model/model.json has no whole number 1 or more as limits.max_faces")):
        broken = json.loads(json.dumps(meta))
        damage(broken)
        meta_path.write_text(json.dumps(broken))
        with serving(folder) as server:
            page.goto(f"http://127.0.0.1:{server.server_port}/")
            alert = page.get_by_role("alert").filter(has_text="could not start")
            alert.wait_for()
            assert page.locator("#status-text").inner_text() == f"The model could not start here: {said}"
            assert page.get_by_role("button", name="Try again").is_visible()
            assert page.locator("#run-info").inner_text() == "not connected"


def test_the_browser_computes_the_same_noise_bit_for_bit(page, site_url: str, model: FaceGenerator) -> None:
    open_page(page, site_url + "/")
    rng = np.random.default_rng(16)
    seeds = [*range(300), 5 + 2**32, 2**53 + 1, MAX_SEED, *(int(s) for s in rng.integers(0, MAX_SEED, 50))]
    found = page.evaluate("""async (seeds) => {
        const noise = await import('./static/noise.js');
        return seeds.map((s) => ({
            bits: Array.from(new Uint32Array(noise.noiseForSeed(BigInt(s), 100).buffer)),
            colours: noise.randomColours(BigInt(s), 12, 11),
        }));
    }""", [str(s) for s in seeds])
    expected = noise_for_seeds(seeds, 100).numpy().view(np.uint32)
    assert [row["bits"] for row in found] == expected.tolist()
    assert [tuple(row["colours"]) for row in found] == [random_colours(model.vocab, s) for s in seeds]

    # Variations ("Variations of a face"): moves in float64 before the one rounding, then the truncation in float32.
    walk = tuple((int(k), float(d)) for k, d in zip(rng.integers(0, 256, 64), rng.uniform(1e-9, 1, 64), strict=True))
    faces = [Face(7, "", "", ((3, 0.4),)), Face(7, "", "", ((3, 0.4), (5, 0.4))), Face(7, "", "", ((5, 0.4), (3, 0.4))),
             Face(MAX_SEED, "", "", ((255, 1.0),)), Face(2**53 + 1, "", "", ((0, 1e-300), (1, 5e-324))),
             Face(5, "", "", walk), Face(0, "", "", walk[:63]), Face(9, "", "", ((0, 0.1),) * 64)]
    for truncation in (1.0, 0.7, 0.05, 0.123456789):
        found = page.evaluate("""async ([faces, truncation]) => {
            const noise = await import('./static/noise.js');
            return faces.map(([seed, moves]) => Array.from(new Uint32Array(noise.truncated(
                noise.noiseForFace({seed: BigInt(seed), moves}, 100), truncation).buffer)));
        }""", [[[str(f.seed), [list(m) for m in f.moves]] for f in faces], truncation])
        assert found == truncated(noise_for_faces(faces, 100), truncation).numpy().view(np.uint32).tolist()


def test_the_site_offers_webgpu_where_the_browser_has_it(model: FaceGenerator, tmp_path: Path,
                                                        console_errors: ConsoleErrors) -> None:
    """Built with --webgpu, the site offers the GPU when navigator.gpu has an adapter (here chromium's software
    one); the choice is kept, and the faces are the Python API's (measured: the same pixels on SwiftShader)."""
    folder = built_site(model, tmp_path / "site", webgpu=True)
    with serving(folder) as server, browser_page(tmp_path / "profile", console_errors, SOFTWARE_WEBGPU) as page:
        url = f"http://127.0.0.1:{server.server_port}/?hair=blue&eyes=red&n=2&seed=7"
        open_page(page, url)
        if not page.evaluate("async () => Boolean(navigator.gpu && await navigator.gpu.requestAdapter())"):
            pytest.skip("this chromium has no WebGPU adapter, not even SwiftShader's")
        wait_for_faces(page, 2, 7, "blue", "red")
        assert page.locator("#run-info").inner_text().endswith("(WebAssembly)")  # the CPU unless asked
        page.get_by_label("Run on").select_option("webgpu")  # the page reloads with the WebGPU runtime
        page.wait_for_function("() => document.querySelector('#run-info').textContent.endsWith('(WebGPU)')")
        faces = wait_for_faces(page, 2, 7, "blue", "red")
        for k, source in enumerate(faces["sources"]):
            assert same_face(data_url_pixels(source), python_face(model, "blue", "red", 7 + k))
        page.reload()
        page.wait_for_function("() => document.querySelector('#run-info').textContent.endsWith('(WebGPU)')")
