"""conda's generic solver test-suite (``conda.testing.solver_helpers.SolverTests``) on AltSolver.

The suite reads conda's test indexes from ``$CONDA_TEST_DATA_DIR``; they ship in the shared
test data (``conda-test-indexes``), and the module is skipped with a reason when absent.
"""

from __future__ import annotations

import os

import pytest

pytest.importorskip("conda")

from conftest import DATA  # noqa: E402  (tests/conftest.py, on sys.path under pytest)

INDEXES = DATA / "conda-test-indexes"
if not INDEXES.is_dir():
    pytest.skip(f"conda's test indexes not found at {INDEXES}", allow_module_level=True)
# conda.testing reads this when first imported, so it must be set before that import
os.environ.setdefault("CONDA_TEST_DATA_DIR", str(INDEXES))

from conda.testing.solver_helpers import SolverTests  # noqa: E402

pytestmark = pytest.mark.conda


class TestAltSolver(SolverTests):
    @property
    def solver_class(self):
        from conda_altsolver.solver import AltSolver

        return AltSolver
