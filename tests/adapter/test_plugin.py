"""The plugin registration: conda lists ``altsolver`` and hands out ``AltSolver`` for it."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

pytest.importorskip("conda")

from conda.base.context import context, reset_context  # noqa: E402
from conda.core.solve import Solver  # noqa: E402

from conda_altsolver.solver import AltSolver  # noqa: E402

pytestmark = pytest.mark.conda


def test_solver_is_registered():
    solvers = context.plugin_manager.get_solvers()
    assert solvers["altsolver"].backend is AltSolver


def _clear_backend_cache():
    cached = getattr(context.plugin_manager, "get_cached_solver_backend", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def test_selected_by_environment_variable(monkeypatch):
    monkeypatch.setenv("CONDA_SOLVER", "altsolver")
    reset_context()
    _clear_backend_cache()
    try:
        # a subclass when conda binds sharded repodata (build_repodata_subset) to it
        assert issubclass(context.plugin_manager.get_solver_backend(), AltSolver)
    finally:
        monkeypatch.delenv("CONDA_SOLVER")
        reset_context()
        _clear_backend_cache()


def test_backend_keeps_the_solver_signature():
    assert issubclass(AltSolver, Solver)
    params = inspect.signature(AltSolver.__init__).parameters
    assert list(params)[:8] == [
        "self", "prefix", "channels", "subdirs", "specs_to_add", "specs_to_remove",
        "repodata_fn", "command",
    ]
    assert params["build_repodata_subset"].kind is inspect.Parameter.KEYWORD_ONLY
    final = inspect.signature(AltSolver.solve_final_state).parameters
    assert list(final) == [
        "self", "update_modifier", "deps_modifier", "prune", "ignore_pinned", "force_remove",
        "should_retry_solve",
    ]


def test_cli_offers_the_solver():
    out = subprocess.run(
        [sys.executable, "-m", "conda", "create", "--help"], capture_output=True, text=True
    )
    assert "altsolver" in out.stdout


def test_user_agent_names_the_solver_once(monkeypatch):
    monkeypatch.setenv("CONDA_SOLVER", "altsolver")
    reset_context()
    agent = context.user_agent
    monkeypatch.delenv("CONDA_SOLVER")
    reset_context()
    assert agent.count("solver/altsolver") == 1
    assert "conda-altsolver/" in agent
