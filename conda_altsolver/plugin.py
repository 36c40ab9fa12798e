"""The conda plugin hook: registers ``AltSolver`` under the solver name ``altsolver``.

conda finds this module through the ``conda`` entry-point group declared in pyproject.toml;
``conda create --solver=altsolver`` or ``CONDA_SOLVER=altsolver`` then selects it.
"""

from __future__ import annotations

from conda.plugins import hookimpl
from conda.plugins.types import CondaSolver

SOLVER_NAME = "altsolver"


@hookimpl
def conda_solvers():
    """Yield the one solver this package provides."""
    # Imported here so that merely loading the plugin (every conda start) stays cheap.
    from .solver import AltSolver

    yield CondaSolver(name=SOLVER_NAME, backend=AltSolver)
