"""Prose is code: every acgan name that the docs (README.md, docs/*.md), the docstrings and the page's comments cite
exists, so a note never sends a reader to a function, module or file that is gone.

Checked: dotted names in backticks (`train.step.TrainStep`, `FaceGenerator.generate`, `engine.leave`), any
acgan.x.y, "Name (module.py)" in a docstring, and every file name ending in .py or .js. A dotted name is an acgan
name when its first part is acgan, an acgan package or module (modules have unique names), or a class or function
defined in acgan; anything else (`torch.compile`, `gc.collect()`) is not ours to check."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import acgan

PACKAGE = Path(acgan.__file__).parent
REPO = PACKAGE.parents[1]
FILE_KINDS = ("json", "jsonl", "csv", "onnx", "png", "gif", "md", "safetensors", "npz", "html", "css", "mjs",
              "wasm", "txt", "zip", "toml", "py", "js", "jpg", "yaml")
DOTTED = r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+"


def module_names() -> dict[str, str]:
    """Every acgan module by its dotted name from acgan and by its own name (seeds -> acgan.sample.seeds)."""
    names = {}
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__main__.py":  # importing it runs the command
            continue
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        dotted = ".".join(("acgan", *parts)).removesuffix(".__init__")
        names[dotted.removeprefix("acgan.")] = dotted
        names.setdefault(parts[-1] if parts[-1] != "__init__" else parts[-2] if len(parts) > 1 else "acgan", dotted)
    return names


MODULES = module_names()


def definitions() -> dict[str, list[Any]]:
    """Every class, function and constant defined at the top of an acgan module, by name."""
    found: dict[str, list[Any]] = {}
    for dotted in set(MODULES.values()):
        module = importlib.import_module(dotted)
        for name, value in vars(module).items():
            ours = getattr(value, "__module__", dotted) == dotted and not inspect.ismodule(value)
            if ours and not name.startswith("__"):
                found.setdefault(name, []).append(value)
    return found


DEFINED = definitions()


def has(owner: Any, name: str) -> bool:
    """Whether `owner` (a module or class) has `name`: an attribute, a dataclass field, or one set in a method."""
    if hasattr(owner, name) or name in getattr(owner, "__dataclass_fields__", {}):
        return True
    return inspect.isclass(owner) and re.search(rf"\bself\.{name}\b", inspect.getsource(owner)) is not None


def resolves(owner: Any, parts: list[str]) -> bool:
    for part in parts:
        if not has(owner, part):
            return False
        owner = getattr(owner, part, None)
    return True


def exists(name: str) -> bool | None:
    """Whether an acgan dotted name exists; None when it is not an acgan name."""
    parts = name.removeprefix("acgan.").split(".") if name != "acgan" else []
    for cut in range(len(parts), 0, -1):
        dotted = MODULES.get(".".join(parts[:cut]))
        if dotted is not None and (cut > 1 or "." in dotted.removeprefix("acgan.") or name.startswith("acgan.")
                                   or parts[0] in MODULES):
            return resolves(importlib.import_module(dotted), parts[cut:])
    if name.startswith("acgan."):
        return resolves(acgan, parts)
    if parts[0] in DEFINED:
        return any(resolves(owner, parts[1:]) for owner in DEFINED[parts[0]])
    return None


def docstrings() -> Iterator[tuple[str, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node)
                if doc:
                    yield f"{path.relative_to(REPO)}:{getattr(node, 'lineno', 1)}", doc


def texts() -> Iterator[tuple[str, str]]:
    """(where, text) for each piece of prose that cites names."""
    for path in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        yield str(path.relative_to(REPO)), path.read_text()
    yield from docstrings()
    for path in sorted((PACKAGE / "serve" / "static").glob("*.js")):
        yield str(path.relative_to(REPO)), "\n".join(re.findall(r"//[^\n]*|/\*.*?\*/", path.read_text(), re.DOTALL))


def cited_names(text: str) -> set[str]:
    backticked = {found for found in re.findall(rf"`({DOTTED})(?:\(\))?`", text)
                  if found.rsplit(".", 1)[1] not in FILE_KINDS}
    return backticked | set(re.findall(r"\bacgan(?:\.[A-Za-z_]\w*)+(?![:\w])", text))  # not a key: acgan.x:...


def cited_files(text: str) -> set[str]:
    return set(re.findall(r"(?<![\w/.-])([\w./-]*\w\.(?:py|js))\b", text))


def file_exists(name: str) -> bool:
    if "/" in name:
        return any((root / name).exists() for root in (REPO, REPO / "src", PACKAGE, PACKAGE / "serve",
                                                        PACKAGE / "serve" / "static"))
    return any(True for root in ("src", "tests", "benchmarks", "web") for _ in (REPO / root).rglob(name)
               if "node_modules" not in _.parts)


def test_no_two_modules_share_a_name() -> None:
    """Unless a module of the page is the JavaScript side of the Python module of its name, and says so."""
    python = [path for path in PACKAGE.rglob("*.py") if path.stem not in ("__init__", "__main__")]
    assert len({path.stem for path in python}) == len(python)
    for script in (PACKAGE / "serve" / "static").glob("*.js"):
        twin = next((path for path in python if path.stem == script.stem), None)
        if twin is not None:
            assert str(twin.relative_to(PACKAGE.parent)) in script.read_text(), f"{script.name} and {twin}"


def test_every_cited_name_exists() -> None:
    missing = [f"{where}: {name}" for where, text in texts() for name in sorted(cited_names(text))
               if exists(name) is False]
    assert missing == []


def test_every_cited_file_exists() -> None:
    missing = [f"{where}: {name}" for where, text in texts() for name in sorted(cited_files(text))
               if not file_exists(name)]
    assert missing == []


def test_a_class_named_beside_its_module_is_defined_there() -> None:
    wrong = []
    for where, text in docstrings():
        for name, module in re.findall(r"`?\b([A-Z][a-z]\w*[A-Z]\w*|[A-Z][a-z]+)`? \((\w+)\.py\)", text):
            owner = MODULES.get(module)
            if owner is not None and not hasattr(importlib.import_module(owner), name):
                wrong.append(f"{where}: {name} ({module}.py)")
    assert wrong == []


@pytest.mark.parametrize(("text", "expected"), [
    ("`train.step.train_step`", False),  # gone: TrainStep.update does the step
    ("`train.step.TrainStep.update`", True),
    ("`TrainStep.draw`", True),
    ("`FaceGenerator.runner`", True),  # a dataclass field
    ("`TrainStep.counters`", True),  # set in __init__
    ("`engine.leave`", True),
    ("`optim.GuardedAdam`", True),
    ("`torch.compile`", None),
    ("acgan.sample.faces", False),
])
def test_names_are_told_apart(text: str, expected: bool | None) -> None:
    (name,) = cited_names(text)
    assert exists(name) is expected


def test_files_and_classes_are_told_apart() -> None:
    assert cited_files("see faces.py and static/backend.js, and acgan/serve/static/noise.js") == {
        "faces.py", "static/backend.js", "acgan/serve/static/noise.js"}
    assert not file_exists("faces.py") and not file_exists("static/backend.js")
    assert file_exists("acgan/serve/static/noise.js") and file_exists("seeds.py")
