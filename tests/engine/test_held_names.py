"""Optima proved without a search: terms that hold in every model.

Once the first model is found, the optimizer minimises classic's objectives one by one; a
sum the model already has at its floor needs no failing probe to prove it. The floor counts
the terms fixed at level 0 (``SatSolver.propagate``) and, for the package count, the names
every model installs (``Encoder.installed_everywhere``): the requests' names, then the names
that every still-possible record of such a name requires. These tests pin the three calls
down, check on random channels that every name said to be installed everywhere is (no model
leaves it out) and that answers do not change, and that the shapes this is for (conda's
``index.json``, a metapackage's builds) are proved without a probe.
"""

from __future__ import annotations

import importlib
import random
import sys
from pathlib import Path

import pytest

from conda_altsolver.engine import PackagesNotFound, Policy, Repo, SpecRequest, Unsatisfiable
from conda_altsolver.engine.optimize import Optimizer
from conda_altsolver.engine.sat import SatSolver

solve_module = importlib.import_module("conda_altsolver.engine.solve")


@pytest.fixture(autouse=True)
def _searched(monkeypatch):
    """Solves here go through the optimizer's proofs, even one whose answer the objectives
    force (``forced.py``, tested in ``test_forced.py``)."""
    monkeypatch.setattr(solve_module._Solve, "forcing", False)


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from engine_data import load_test_index  # noqa: E402
from random_channels import random_records  # noqa: E402

NAMES = ["a", "b", "c", "d", "e", "f"]


# -- SatSolver.propagate ------------------------------------------------------------------------


def test_propagate_closes_level_0_between_solves():
    s = SatSolver()
    a, b, c = s.new_var(), s.new_var(), s.new_var()
    s.add_clause([-a, b])
    s.add_clause([-b, c])
    assert s.solve()
    s.add_clause([a])  # a unit is assigned, not propagated, until something asks
    assert s.level0_value(c) is None
    assert s.propagate() is True
    assert (s.level0_value(b), s.level0_value(c)) == (True, True)


def test_propagate_reports_a_level_0_conflict_and_the_solver_stays_unsatisfiable():
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    s.add_clause([-a, b], reason="a needs b")
    s.add_clause([-b], reason="no b")
    s.add_clause([a], reason="a")
    assert s.propagate() is False
    assert s.solve() is False
    assert sorted(s.conflict_reasons()) == ["a", "a needs b", "no b"]


# -- Optimizer(held=...) ------------------------------------------------------------------------


def _run(solver, objectives, held=None) -> Optimizer:
    optimizer = Optimizer(solver, objectives, held=held)
    assert solver.solve()
    optimizer.run(solver.model())
    return optimizer


def test_terms_fixed_at_level_0_prove_the_optimum_and_forbid_the_rest():
    s = SatSolver()
    a, b, c = s.new_var(), s.new_var(), s.new_var()
    s.add_clause([a])
    s.add_clause([-a, b])  # b holds in every model, through propagation only
    optimizer = _run(s, [("count", [(a, 1), (b, 2), (c, 1)])])
    assert optimizer.values == {"count": 3} and optimizer.solves == 0
    assert s.level0_value(c) is False


def test_held_literals_prove_the_optimum_without_a_search():
    """Two ways to install b's dependency: level 0 knows neither, ``held`` knows both need
    x. The model's count (b, x) is the floor, so no probe runs."""
    s = SatSolver()
    b1, b2, x, y = s.new_var(), s.new_var(), s.new_var(), s.new_var()
    s.add_clause([b1, b2])
    s.add_clause([-b1, x])
    s.add_clause([-b2, x])
    calls = []

    def held():
        calls.append(1)
        return {x}

    optimizer = _run(s, [("count", [(x, 1), (y, 1)])], held={"count": held})
    assert calls == [1]
    assert optimizer.values == {"count": 1} and optimizer.solves == 0
    assert s.level0_value(y) is False  # another term true would exceed the optimum


def test_a_floor_below_the_model_still_searches_down_to_it():
    s = SatSolver()
    a, b, c = s.new_var(), s.new_var(), s.new_var()
    s.add_clause([a])
    s.set_brancher(lambda _solver: next((v for v in (b, c) if s.value(v) is None), 0))
    optimizer = _run(s, [("count", [(a, 1), (b, 1), (c, 1)])], held={"count": set})
    assert optimizer.values == {"count": 1} and optimizer.solves >= 1
    assert optimizer.model & {a, b, c} == {a}


def test_a_held_literal_false_in_the_model_is_a_bug_not_an_answer():
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    s.add_clause([a, b])
    s.add_clause([-a, -b])
    s.set_brancher(lambda _solver: a if s.value(a) is None else 0)
    with pytest.raises(RuntimeError, match="hold in every model"):
        _run(s, [("count", [(a, 1), (b, 1)])], held={"count": lambda: {b}})


# -- Encoder.installed_everywhere ---------------------------------------------------------------


def _record(name, version, build="0", depends=(), **extra):
    return {"name": name, "version": version, "build": build, "build_number": 0,
            "depends": list(depends), "channel": "one", "subdir": "noarch", **extra}


class _Checked(solve_module.Encoder):
    """Checks each name it reports: no model of the whole problem leaves it out (the solver
    is complete, and adds a record's clauses whenever the record is tried)."""

    reports: list = []

    def installed_everywhere(self):
        found = super().installed_everywhere()
        for name in found:
            var = self.name_var.get(name)
            assert var is not None, f"{name} reported before any record of it was tried"
            assert self.solver.solve([-var]) is False, f"a model without {name}"
        self.reports.append(found)
        return found


def _answer(repos, specs, policy) -> tuple:
    run = solve_module._Solve(repos, specs, policy)
    try:
        records = run.run(False, solve_module._Phases(None))
    except (PackagesNotFound, Unsatisfiable) as exc:
        return type(exc).__name__, None
    found = sorted((r["name"], r["version"], r["build"], r["channel"]) for r in records)
    return (found, run.stats["values"]), run.stats["solves"]


_HELD = Optimizer._held


def _asking_always(self, label, terms, total):
    """``Optimizer._held`` that asks ``held[label]`` even when level 0 proves the optimum."""
    finder = self.held.get(label)
    if finder is not None:
        finder()
    return _HELD(self, label, terms, total)


def _without_held(monkeypatch):
    """Every optimum proved by a failing probe, as before ``held``: no term counts as held."""
    monkeypatch.setattr(Optimizer, "_held", lambda self, label, terms, total: set())


def _check_seed(monkeypatch, seed) -> list:
    """Random requests on a seeded channel, solved three ways: with every name the finder
    reports checked against the complete search (and the finder asked at every objective),
    with every optimum proved by a probe, and as shipped. Returns what the finder
    reported."""
    rnd = random.Random(seed)
    records = random_records(rnd, NAMES, versions=4, builds=3, missing=0.05)
    repo = Repo.from_records(records)
    _Checked.reports = []
    for strict in (True, False):
        policy = Policy(channel_order=("one", "two"),
                        channel_priority="strict" if strict else "flexible")
        for _ in range(3):
            specs = [SpecRequest(rnd.choice([n, f"{n} >={rnd.randint(1, 3)}"]))
                     for n in rnd.sample(NAMES, rnd.randint(1, 2))]
            with monkeypatch.context() as patch:
                patch.setattr(solve_module, "Encoder", _Checked)
                patch.setattr(Optimizer, "_held", _asking_always)
                checked, _ = _answer([repo], specs, policy)
            with monkeypatch.context() as patch:
                _without_held(patch)
                searched, _ = _answer([repo], specs, policy)
            plain, _ = _answer([repo], specs, policy)
            assert plain == searched == checked, (seed, [s.spec for s in specs])
    return _Checked.reports


@pytest.mark.parametrize("seed", range(150))
def test_names_installed_everywhere_are_and_answers_do_not_change(monkeypatch, seed):
    _check_seed(monkeypatch, seed)


def test_the_random_channels_give_the_finder_names_beyond_the_requests(monkeypatch):
    """Not a vacuous check above: most seeds have solves where the finder reports more
    names than the (one or two) requested ones."""
    beyond = [any(len(found) > 2 for found in _check_seed(monkeypatch, seed))
              for seed in range(20)]
    assert sum(beyond) >= 10, beyond


def test_builds_of_a_metapackage_prove_the_count_even_when_one_needs_a_dead_version():
    """``meta``'s two builds pin different ``y`` versions, and only the preferred one (b1)
    needs ``z``. Once "others-version" has ruled ``y 1`` out, b0 cannot be installed, so
    every model installs ``x``, ``y`` and ``z``: the model's count, proved with no probe."""
    records = [
        _record("meta", "1", "b1", ["x", "y 2", "z"]),
        _record("meta", "1", "b0", ["x", "y 1"]),
        _record("x", "1"), _record("y", "1"), _record("y", "2"), _record("z", "1"),
    ]
    repo = Repo.from_records(records)
    policy = Policy(channel_order=("one",))
    (found, values), solves = _answer([repo], [SpecRequest("meta")], policy)
    assert [name for name, *_ in found] == ["meta", "x", "y", "z"]
    assert values["package-count"] == 3
    assert solves == 1  # the first model, and no probe after it


@pytest.mark.data
def test_conda_index_anaconda_is_optimal_at_its_first_model(data_dir):
    """conda's ``index.json``: ``anaconda 1.5.0`` with ``python 2.7*``, 107 packages; every
    objective is proved without a search (a probe took a seventh of the solve)."""
    repo = Repo.from_records(load_test_index(data_dir, "index.json"))
    policy = Policy(channel_order=("channel-1",))
    specs = [SpecRequest("anaconda 1.5.0"), SpecRequest("python 2.7*")]
    (found, values), solves = _answer([repo], specs, policy)
    assert len(found) == 107 and values["package-count"] == 105
    assert solves == 1
