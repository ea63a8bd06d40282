"""A static web site that draws faces in the visitor's browser (`acgan site [RUN] -o site/`): no server behind it.

    site/index.html        the page `acgan serve` serves, told to run in the browser; beside it isolation-worker.js,
                           the service worker that adds the COOP/COEP headers a static host may not send, so the
                           page is cross-origin isolated and ONNX Runtime Web runs threads
    site/static/           its JavaScript and CSS: the same files as `acgan serve` (one page, two ways to draw)
    site/model/            generator.onnx (weights stored as float16, computed in float32), tagger.onnx (the
                           shipped tagger, when it knows the model's colours: the page reads them back) and
                           model.json (the contract GET /api/tags sends, sample/contract.py, and the files the
                           page loads)
    site/ort/              ONNX Runtime Web from npm (web/package.json pins it; `make site` installs it)

The page computes the noise of a seed in JavaScript exactly as acgan.sample.seeds does, so the site draws the faces
`acgan generate` draws. Any static host serves the folder; `python -m http.server -d site` does locally.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from acgan.errors import UserError
from acgan.sample.contract import contract_json
from acgan.sample.generator import FaceGenerator, load_onnx
from acgan.sample.shipped import shipped_tagger
from acgan.serve.page import static_folder
from acgan.version import __version__

ORT_PACKAGE = "onnxruntime-web"
ORT_ENV = "ACGAN_ORT_DIST"
NPM_INSTALL = "`npm ci --prefix web` (or `make web`)"
# The WASM build is all the page needs; the WebGPU build (twice the size) only with --webgpu.
ORT_WASM = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm")
ORT_WEBGPU = ("ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm")
MODEL_JSON = Path("model") / "model.json"
ISOLATION_WORKER = "isolation-worker.js"  # static/'s service worker, written beside index.html
SITE_MARKER = ".acgan-site.json"  # the files acgan site wrote, with their SHA-256: only those are replaced

# The page as served says mode "server" and allows no WebAssembly; the site swaps these two lines.
SERVER_MODE = '<meta name="acgan-mode" content="server">'
BROWSER_MODE = '<meta name="acgan-mode" content="browser">'
SERVER_SCRIPTS = "script-src 'self';"
BROWSER_SCRIPTS = "script-src 'self' 'wasm-unsafe-eval';"  # ONNX Runtime compiles its WebAssembly


@dataclass(frozen=True)
class Site:
    folder: Path
    sizes: dict[str, int]  # bytes per part: page, model, runtime
    ort_version: str

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    def summary(self) -> str:
        parts = ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in self.sizes.items())
        return (f"wrote {self.folder}/ ({self.total:,} bytes: {parts}; ONNX Runtime Web {self.ort_version})\n"
                f"try it: python -m http.server -d {self.folder} 8000, then open http://127.0.0.1:8000/")


def repo_web_folder() -> Path:
    """web/ of the source checkout this module sits in (src/acgan/serve/site.py -> the checkout's root)."""
    return Path(__file__).resolve().parents[3] / "web"


def find_ort(given: Path | None = None) -> Path:
    """The folder of ONNX Runtime Web's files: --ort, else $ACGAN_ORT_DIST, else the checkout's npm install."""
    env = os.environ.get(ORT_ENV)
    candidates = [given] if given is not None else [Path(env)] if env else [
        repo_web_folder() / "node_modules" / ORT_PACKAGE / "dist", Path("web/node_modules") / ORT_PACKAGE / "dist"]
    for folder in candidates:
        if all((folder / name).is_file() for name in ORT_WASM):
            return folder
    where = given if given is not None else env if env else candidates[0]
    raise UserError(f"ONNX Runtime Web is not installed ({where} lacks {ORT_WASM[-1]}): run {NPM_INSTALL}, "
                    f"or give --ort DIR / set {ORT_ENV}")


def ort_version(dist: Path) -> str:
    manifest = dist.parent / "package.json"
    return str(json.loads(manifest.read_text())["version"]) if manifest.is_file() else "unknown"


def page_html() -> str:
    """index.html as `acgan serve` serves it, switched to drawing in the browser."""
    html = (static_folder() / "index.html").read_text()
    for old, new in ((SERVER_MODE, BROWSER_MODE), (SERVER_SCRIPTS, BROWSER_SCRIPTS)):
        if html.count(old) != 1:
            raise RuntimeError(f"static/index.html must hold {old!r} once to be turned into the site's page")
        html = html.replace(old, new)
    return html


def write_page(folder: Path) -> None:
    """The page, its files in static/, and beside it the service worker that makes it cross-origin isolated (a
    worker serves only the folder it is in and below)."""
    (folder / "static").mkdir()
    for path in static_folder().iterdir():
        if path.suffix in (".js", ".css") and path.name != ISOLATION_WORKER:
            shutil.copy2(path, folder / "static" / path.name)
    shutil.copy2(static_folder() / ISOLATION_WORKER, folder / ISOLATION_WORKER)
    (folder / "index.html").write_text(page_html())


def write_runtime(folder: Path, dist: Path, webgpu: bool) -> dict[str, int]:
    (folder / "ort").mkdir()
    files = {}
    for name in ORT_WASM + (ORT_WEBGPU if webgpu else ()):
        if not (dist / name).is_file():
            raise UserError(f"{dist} lacks {name} (is it {ORT_PACKAGE}'s dist folder?): run {NPM_INSTALL}")
        shutil.copy2(dist / name, folder / "ort" / name)
        files[f"ort/{name}"] = (folder / "ort" / name).stat().st_size
    return files


def write_model(folder: Path, model: FaceGenerator) -> Path:
    """The generator as ONNX with float16-stored weights, checked against PyTorch before the page gets it."""
    from acgan.sample.export import export_onnx, max_difference

    path = export_onnx(model, folder / "model" / "generator.onnx", fp16_weights=True)
    gap = max_difference(model, load_onnx(path))
    if gap > 1e-3:
        raise RuntimeError(f"the exported generator differs from PyTorch by {gap:.1e}")
    return path


def write_tagger(folder: Path, model: FaceGenerator) -> Path | None:
    """The shipped tagger as ONNX, reading faces as the generator draws them, when it knows the model's colours
    (else None: the page then does not read colours back)."""
    from acgan.judge.tagger import load_tagger
    from acgan.judge.tagger_export import export_tagger

    tagger = load_tagger(shipped_tagger())
    if tagger.vocab != model.vocab:
        return None
    faces = model.generate_tensor(model.vocab.hair[0], model.vocab.eyes[0], n=16)
    return export_tagger(tagger, model.resolution, folder / "model" / "tagger.onnx", faces)


def tagger_json(path: Path, model: FaceGenerator) -> dict[str, Any]:
    data = path.read_bytes()
    return {"file": "model/tagger.onnx", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
            "input": "image float32 (batch, 3, resolution, resolution) in [-1, 1]: the generator's output",
            "outputs": {"hair": "float32 (batch, n_hair) logits, in the contract's hair order",
                        "eyes": "float32 (batch, n_eyes) logits"}}


def model_json(model: FaceGenerator, onnx_path: Path, runtime: dict[str, int], version: str,
               webgpu: bool) -> dict[str, Any]:
    """What the page needs to know before it loads anything: model.json, the contract and the files to load."""
    onnx_bytes = onnx_path.read_bytes()
    return {
        "format": 2, "acgan": __version__, "z_dim": model.runner.cfg.z_dim,
        **contract_json(model.vocab, model.resolution, model.public_source, model.step),
        "generator": {"file": "model/generator.onnx", "bytes": len(onnx_bytes),
                      "sha256": hashlib.sha256(onnx_bytes).hexdigest(),
                      "inputs": {"z": "float32 (batch, z_dim)", "hair": "float32 (batch, n_hair) colour weights",
                                 "eyes": "float32 (batch, n_eyes) colour weights"},
                      "output": "image float32 (batch, 3, resolution, resolution) in [-1, 1]"},
        "runtime": {"package": ORT_PACKAGE, "version": version, "files": runtime, "webgpu": webgpu},
    }


def manifest(folder: Path) -> dict[str, str]:
    """Every regular file under `folder` (relative path -> SHA-256), links and other special files named as such."""
    files = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            files[name] = "not a regular file"
        elif path.is_file():
            files[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def not_ours(folder: Path) -> str | None:
    """Why `folder` is not exactly a site acgan wrote (a file it did not write, or changed since), or None."""
    marker = folder / SITE_MARKER
    try:
        written = json.loads(marker.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"it has no {SITE_MARKER} from acgan site"
    if not isinstance(written, dict):
        return f"its {SITE_MARKER} is damaged"
    found = manifest(folder)
    found.pop(SITE_MARKER, None)
    stranger = next((name for name, digest in found.items() if written.get(name) != digest), None)
    if stranger is not None:
        changed = stranger in written and found[stranger] != "not a regular file"
        return f"{stranger} {'was changed since acgan wrote it' if changed else 'was not written by acgan'}"
    return None


def check_target(out: Path) -> None:
    """Refuse an -o that acgan cannot replace without losing something: only a folder that is exactly a site acgan
    wrote (every file in its marker's list, unchanged) or an empty folder is replaced."""
    if out.exists() and not out.is_dir():
        raise UserError(f"-o {out}: exists and is not a folder; choose a new folder")
    if out.is_dir() and any(out.iterdir()):
        reason = not_ours(out)
        if reason is not None:
            raise UserError(f"-o {out}: not replaced, {reason}; choose another folder or empty this one "
                            "(acgan never deletes what it did not write)")


def build_site(model: FaceGenerator, out: Path, ort: Path | None = None, webgpu: bool = False) -> Site:
    """Write the static site for `model` into `out`: built in a new folder of its own beside it, then swapped in,
    so a failed build leaves an earlier site as it was and nothing that acgan did not write is ever deleted."""
    out = out.resolve()
    check_target(out)
    dist = find_ort(ort)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        building = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".building", dir=out.parent))
    except OSError as err:
        raise UserError(f"-o {out}: cannot write there ({err.strerror or err})") from None
    try:
        write_page(building)
        runtime = write_runtime(building, dist, webgpu)
        onnx_path = write_model(building, model)
        meta = model_json(model, onnx_path, runtime, ort_version(dist), webgpu)
        tagger_path = write_tagger(building, model)
        if tagger_path is not None:
            meta["tagger"] = tagger_json(tagger_path, model)
        (building / MODEL_JSON).write_text(json.dumps(meta, indent=1))
        # Written last: a folder with this marker is whole, and holds exactly the files it lists.
        (building / SITE_MARKER).write_text(json.dumps({"acgan": __version__, "files": manifest(building)}))
        swap_in(building, out)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    page = sum(p.stat().st_size for p in [out / "index.html", out / ISOLATION_WORKER, *(out / "static").iterdir()])
    model_bytes = sum(p.stat().st_size for p in (out / "model").iterdir())
    return Site(out, {"page": page, "model": model_bytes, "runtime": sum(runtime.values())}, ort_version(dist))


def swap_in(building: Path, out: Path) -> None:
    """Rename `building` to `out`; an earlier site there is moved aside first and deleted only after checking again,
    under a lock on the parent folder, that it is still exactly what acgan wrote (two builds may race)."""
    with parent_locked(out.parent):
        check_target(out)
        if not out.exists():
            building.rename(out)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
        out.rename(old)  # onto the empty folder just made: POSIX rename replaces an empty directory
        building.rename(out)
    shutil.rmtree(old)


@contextlib.contextmanager
def parent_locked(folder: Path) -> Iterator[None]:
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
