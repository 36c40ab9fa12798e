"""The architecture's one boundary, checked: the engine never imports conda.

Also that importing the engine does not drag conda in at run time, so the engine's tests
mean the same thing with or without conda installed.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ENGINE = Path(__file__).resolve().parent.parent / "conda_altsolver" / "engine"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_engine_sources_never_import_conda():
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m.split(".")[0] == "conda")
        for path in sorted(ENGINE.glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_importing_the_engine_loads_no_conda():
    code = (
        "import sys, conda_altsolver.engine, conda_altsolver.cli; "
        "print(sorted(m for m in sys.modules if m == 'conda' or m.startswith('conda.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
