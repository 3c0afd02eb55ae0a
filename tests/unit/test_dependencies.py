"""Every package the code and the tests import is declared in pyproject.toml.

A package that only happens to be installed (by another package, or on the developer's machine)
can disappear from a user's environment at any upgrade; CI's fresh virtual environment and this
test together keep the declared list honest.
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("dashboard", "tests", "docs")
LOCAL = {"dashboard", "tests", "benchmarks"}


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    requirements += [r for extra in project.get("optional-dependencies", {}).values() for r in extra]
    return {_name(r) for r in requirements}


def top_level_imports(folder: Path) -> dict[str, Path]:
    """Top-level module name → first file importing it (absolute imports only)."""
    found: dict[str, Path] = {}
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], path)
    return found


def test_every_import_is_standard_library_local_or_declared():
    distributions = metadata.packages_distributions()
    allowed = declared()
    siblings = {p.stem for folder in SCANNED for p in (ROOT / folder).rglob("*.py")}
    undeclared = []
    for folder in SCANNED:
        for module, path in top_level_imports(ROOT / folder).items():
            if module in sys.stdlib_module_names or module in LOCAL or module in siblings:
                continue
            providers = {d.lower().replace("_", "-") for d in distributions.get(module, [])}
            if not providers & allowed:
                undeclared.append(f"{module} (imported by {path.relative_to(ROOT)}; "
                                  f"installed from {sorted(providers) or 'nothing'})")
    assert not undeclared, "imported but not declared in pyproject.toml: " + "; ".join(undeclared)


def test_the_scan_sees_real_imports():
    # Guards the test above against silently scanning nothing.
    imports = top_level_imports(ROOT / "dashboard")
    assert {"dash", "sqlalchemy", "pandas"} <= set(imports)
