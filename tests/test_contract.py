"""One contract: the rules of drawing are defined once in Python (acgan.sample.contract), sent by GET /api/tags and
written into a static site's model.json, and the page reads them from there (static/contract.js) and copies none."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

import acgan
from acgan.sample import contract
from acgan.sample.contract import contract_json
from acgan.serve.app import create_app
from acgan.serve.page import static_folder
from acgan.serve.site import model_json

# A static site's model.json holds the contract and what only a site needs: the files to load and how.
SITE_ONLY = {"format", "acgan", "z_dim", "generator", "runtime"}


@pytest.fixture(scope="module")
def model() -> acgan.FaceGenerator:
    return acgan.load()


def test_the_api_and_the_site_send_the_same_contract(model: acgan.FaceGenerator, tmp_path: Path) -> None:
    with warnings.catch_warnings():  # starlette's TestClient warns that it will move to httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    tags = TestClient(create_app(model), base_url="http://localhost").get("/api/tags").json()
    assert tags == contract_json(model.vocab, model.resolution, model.public_source, model.step)
    onnx = tmp_path / "generator.onnx"
    onnx.write_bytes(b"stand-in")
    meta = model_json(model, onnx, {}, "0", webgpu=False)
    assert set(meta) - set(tags) == SITE_ONLY
    assert {key: meta[key] for key in tags} == tags


def leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for inner in value.values() for leaf in leaves(inner)]
    if isinstance(value, list):
        return [leaf for inner in value for leaf in leaves(inner)]
    return [value]


def test_every_rule_defined_is_sent(model: acgan.FaceGenerator) -> None:
    sent = contract_json(model.vocab, model.resolution, model.source, model.step)
    values = leaves(sent)
    for name in (name for name in vars(contract) if name.isupper()):
        value = getattr(contract, name)
        if isinstance(value, tuple):  # a face: (seed, hair, eyes)
            assert contract.face_json(value) in sent["defaults"].values(), name
        else:
            assert value in values or str(value) in values, f"{name} = {value!r} is not in the contract"


def camel(value: Any) -> Any:
    if isinstance(value, dict):
        return {re.sub(r"_([a-z])", lambda m: m[1].upper(), key): camel(inner) for key, inner in value.items()}
    return [camel(inner) for inner in value] if isinstance(value, list) else value


def test_the_page_reads_every_rule_as_python_defines_it(model: acgan.FaceGenerator) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is missing: the page's reading of the contract is not checked")
    sent = contract_json(model.vocab, model.resolution, model.source, model.step)
    script = ("import { readContract } from './contract.js';\n"
              "const read = readContract(JSON.parse(process.argv[1]));\n"
              "console.log(JSON.stringify(read, (key, v) => (typeof v === 'bigint' ? `${v}n` : v)));\n")
    out = subprocess.run([node, "--input-type=module", "-e", script, json.dumps(sent)], cwd=static_folder(),
                         capture_output=True, text=True, check=True).stdout
    expected = camel(sent)
    expected["seeds"] |= {"max": f"{contract.MAX_SEED}n", "newBelow": f"{contract.NEW_SEED_BELOW}n"}
    for end in ("morphFrom", "morphTo"):
        expected["defaults"][end]["seed"] = f"{expected['defaults'][end]['seed']}n"
    assert json.loads(out) == expected


def copies(code: str) -> list[str]:
    """The rules of sample/contract.py that a piece of JavaScript writes out itself instead of reading them (its
    comments may name them). Numbers as common as 8, 64 or 256 are left out: bit widths and sizes use them too."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", "", code, flags=re.DOTALL)
    names = {contract.RANDOM, *contract.MORPH_FROM[1:3], *contract.MORPH_TO[1:3]}
    found = [name for name in names if re.search(rf"""["'`]{name}["'`]""", text)]
    numbers = {contract.GIF_HOLD_MS, contract.GIF_FRAME_MS, contract.GIF_HOLD_MS // 10, contract.MAX_MORPH_PIXELS,
               contract.MAX_SEED, contract.NEW_SEED_BELOW}
    for number in numbers:
        spelled = {str(number), f"{number:_}", f"{number:.0e}".replace("+0", "").replace("+", "")}
        found += [spelling for spelling in spelled if re.search(rf"(?<![\w.]){re.escape(spelling)}(?![\w.])", text)]
    if re.search(r"1n\s*<<\s*63n\)\s*-\s*1n|2n\s*\*\*\s*63n", text):
        found.append("2**63 - 1")
    return found


def test_the_page_copies_no_rule() -> None:
    code = {path.name: path.read_text() for path in static_folder().glob("*.js")}
    assert {name: copies(text) for name, text in code.items() if copies(text)} == {}
    html = (static_folder() / "index.html").read_text()
    assert not re.search(r"""<input[^>]*\b(max|value)="\d""", html)  # the contract sets limits and defaults


def test_a_copied_rule_is_found() -> None:
    """What the test above looks for, shown on the copies the page had before the contract."""
    assert copies('const RANDOM = "random"; // "random" in a comment is fine') == ["random"]
    assert copies("delays = i === 0 ? 70 : 12") == ["70"]
    assert copies("% 1_000_000_000") == ["1_000_000_000"]
    assert copies("export const MAX_SEED = (1n << 63n) - 1n;") == ["2**63 - 1"]
    assert copies("const MASK = (1n << 64n) - 1n; key + (stream << 63n)") == []


def test_the_morphs_default_ends_fall_back_to_colours_the_vocabulary_has() -> None:
    """A run whose vocabulary lacks the default ends' colours starts at its first colours and ends at its second,
    so the two ends differ; colours it has are kept."""
    from acgan.data.vocab import Vocabulary

    other = Vocabulary(hair=("red", "black", "white"), eyes=("gray", "brown", "blue"))
    assert contract.morph_ends(other) == (contract.Face(1, "red", "blue"), contract.Face(2, "black", "brown"))


def test_the_bounds_the_page_is_told_are_the_bounds_the_api_keeps(model: acgan.FaceGenerator) -> None:
    """The page checks a truncation, a variation's distance and a move's index against the contract before it asks
    (and the site, with no server, only against it): each bound the contract states is where the API itself
    starts refusing. Guards: the contract's `above`, `max` and `max_index` sent wrong."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    client = TestClient(create_app(model), base_url="http://localhost")
    rules = client.get("/api/tags").json()
    face = {"seed": 1, "hair": "blue", "eyes": "red"}

    def status(path: str, body: dict[str, Any]) -> int:
        return client.post(path, json={**body, "format": "json"}).status_code

    truncation = rules["truncation"]
    assert status("/api/generate", {**face, "truncation": truncation["max"]}) == 200
    assert status("/api/generate", {**face, "truncation": truncation["max"] + 1e-9}) == 422
    assert status("/api/generate", {**face, "truncation": truncation["above"]}) == 422
    assert status("/api/generate", {**face, "truncation": truncation["above"] + 1e-3}) == 200
    variations = rules["variations"]
    like = {"like": face, "n": 1}
    assert status("/api/variations", {**like, "distance": variations["max"]}) == 200
    assert status("/api/variations", {**like, "distance": variations["max"] + 1e-9}) == 422
    assert status("/api/variations", {**like, "distance": variations["above"]}) == 422
    top = variations["max_index"]
    assert status("/api/variations", {"like": {**face, "moves": [[top, 0.5]]}, "n": 1}) == 200
    assert status("/api/variations", {"like": {**face, "moves": [[top + 1, 0.5]]}, "n": 1}) == 422
