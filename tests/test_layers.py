"""The package's layers: each subpackage imports only the layers below it (as its __init__ says)."""

from __future__ import annotations

import ast
from pathlib import Path

import acgan

# Bottom to top; a module may import its own layer and those before it.
LAYERS = ["version", "errors", "data", "nets", "run", "sample", "judge", "train", "serve", "cli"]
ROOT = Path(acgan.__file__).parent


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "cli"  # `import acgan` itself: the public API, top


def acgan_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("acgan."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("acgan.")}
    return found


def test_every_module_imports_only_its_own_layer_and_those_below() -> None:
    offences = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.name in ("__init__.py", "__main__.py") and len(relative.parts) == 1:
            continue  # the package's front door may name anything
        own = relative.parts[0].removesuffix(".py")
        for module in acgan_imports(path):
            if LAYERS.index(layer_of(module)) > LAYERS.index(own):
                offences.append(f"{relative} imports {module}")
    assert not offences, "\n".join(offences)


def test_every_subpackage_says_what_it_owns_and_may_import() -> None:
    for package in LAYERS:
        init = ROOT / package / "__init__.py"
        if init.exists():
            doc = ast.get_docstring(ast.parse(init.read_text())) or ""
            assert "Owns:" in doc and "May import:" in doc, f"{package}/__init__.py"
