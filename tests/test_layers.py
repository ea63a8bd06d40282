"""The package's layers as each package declares them in its __init__: every module imports only its own package
and what "May import:" names, the declared imports all point down the order acgan/__init__ lists, and "Owns:"
names every module of the package and nothing that is not there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import acgan

ROOT = Path(acgan.__file__).parent
PACKAGES = sorted(init.parent.name for init in ROOT.glob("*/__init__.py"))
# The modules at the top of acgan/ have no __init__ of their own to declare what they may import.
TOP_MODULES: dict[str, set[str] | None] = {
    "version": set(), "errors": set(), "atomic": {"errors"},
    "cli": None, "__init__": None,  # the command and the package's front door may name anything
    "__main__": {"cli"},
}


def docstring(path: Path) -> str:
    return ast.get_docstring(ast.parse(path.read_text())) or ""


def declared(package: str) -> tuple[str, str]:
    """The "Owns:" and "May import:" paragraphs of a package's docstring."""
    doc = docstring(ROOT / package / "__init__.py")
    found = re.search(r"Owns:(.*?)May import:(.*)", doc, re.DOTALL)
    assert found, f"{package}/__init__.py must say 'Owns:' and then 'May import:'"
    return found[1], found[2]


def may_import(package: str) -> set[str]:
    """The acgan packages and modules a package's "May import:" names (acgan.errors -> "errors")."""
    return set(re.findall(r"\bacgan\.(\w+)", declared(package)[1]))


def layer_order() -> list[str]:
    """The packages and top modules, bottom to top, as acgan/__init__'s docstring lists them."""
    return re.findall(r"^    (\w+) {2,}\S", docstring(ROOT / "__init__.py"), re.MULTILINE)


def acgan_imports(path: Path) -> set[str]:
    """The acgan packages or top modules a file imports: "sample" for `from acgan.sample.seeds import ...`."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [
            alias.name for alias in node.names] if isinstance(node, ast.Import) else []
        found |= {name.split(".")[1] for name in names if name.startswith("acgan.")}
    return found


def test_every_module_imports_only_its_package_and_what_the_package_may_import() -> None:
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        own = relative.parts[0].removesuffix(".py")
        allowed = TOP_MODULES[own] if len(relative.parts) == 1 else may_import(own) | {own}
        if allowed is None:
            continue
        offences += [f"{relative} imports acgan.{name}" for name in sorted(acgan_imports(path) - allowed)]
    assert not offences, "\n".join(offences)


def test_the_declared_imports_point_down_the_listed_order() -> None:
    order = layer_order()
    assert sorted(order) == sorted([*PACKAGES, *(name for name in TOP_MODULES if not name.startswith("__"))])
    for package in PACKAGES:
        for name in may_import(package):
            assert name in order and order.index(name) < order.index(package), f"{package} may import {name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_owns_names_every_module_of_its_package_and_nothing_else(package: str) -> None:
    owns = declared(package)[0]
    modules = {path.name for path in (ROOT / package).glob("*.py")} - {"__init__.py"}
    assert set(re.findall(r"\b\w+\.py\b", owns)) == modules
    for folder in re.findall(r"\b(\w+)/", owns):
        assert (ROOT / package / folder).is_dir(), f"{package} owns {folder}/, which is not there"


def test_the_declarations_are_read_as_written() -> None:
    """The parsing above, on what serve declares: no acgan name is lost or invented."""
    assert may_import("serve") == {"version", "errors", "data", "sample", "judge"}
    assert layer_order()[:3] == ["version", "errors", "atomic"] and layer_order()[-1] == "cli"


def page_imports() -> dict[str, set[str]]:
    """Each of the page's modules and the modules it imports, dynamic imports included."""
    static = ROOT / "serve" / "static"
    pattern = r"""(?:\bfrom|\bimport\s*\()\s*["']\./([\w-]+\.js)["']"""
    return {path.name: set(re.findall(pattern, path.read_text())) for path in static.glob("*.js")}


def test_the_page_modules_import_in_no_circle_and_the_shared_names_sit_in_a_leaf() -> None:
    graph = page_imports()
    assert graph["contract.js"] == set() and "contract.js" in graph["browser.js"] & graph["server.js"]
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, " -> ".join((*path, name))
        if name not in done:
            for imported in graph[name]:
                visit(imported, (*path, name))
            done.add(name)

    for name in graph:
        visit(name, ())
