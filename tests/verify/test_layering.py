"""helmdeck.verify is a domain package: stdlib, PyYAML and the domain packages only, and
every import at module level (so what a module depends on is visible at its top)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import helmdeck.verify

PACKAGE = Path(helmdeck.verify.__file__).parent
ALLOWED = ("helmdeck.errors", "helmdeck.values", "helmdeck.site", "helmdeck.verify", "yaml")


def imports(tree: ast.Module) -> list[tuple[str, bool]]:
    """(module, at module level) for every import of the file."""
    top = {id(n) for n in tree.body}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, id(node) in top) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.module, id(node) in top))
    return out


def test_verify_imports_only_domain_packages_at_module_level() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        for module, top_level in imports(ast.parse(path.read_text())):
            root = module.split(".")[0]
            allowed = root in sys.stdlib_module_names or root == "__future__" or any(
                module == a or module.startswith(f"{a}.") for a in ALLOWED)
            assert allowed, f"{path.name} imports {module}"
            assert top_level, f"{path.name} imports {module} inside a function"
