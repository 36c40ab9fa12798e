"""The lazy per-name encoding gives the answers of the encoding of every name.

A solve encodes the request's names at once and every other name the first time a clause
needs its records (``Encoder(hot=...)``); objectives take a late name's terms through
``Optimizer.extend`` and, for a bound already set, ``SatSolver.add_pb_terms``. These tests
compare the two encodings answer for answer and optimum for optimum, and pin down the two
new calls on their own.
"""

from __future__ import annotations

import importlib
import itertools
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
    """Solves here go through the lazy encoding, even one whose answer the objectives
    force (``forced.py``, tested in ``test_forced.py``)."""
    monkeypatch.setattr(solve_module._Solve, "forcing", False)


HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from random_channels import random_records  # noqa: E402

NAMES = ["a", "b", "c", "d", "e", "f", "g"]


# -- the SAT call -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(40))
def test_pb_terms_added_late_equal_a_pb_made_with_them(seed):
    """A PB bound made over some terms, then given the others as their variables appear,
    allows exactly the assignments the bound made over all of them allows."""
    rnd = random.Random(seed)
    size = rnd.randint(3, 8)
    coeffs = [rnd.randint(1, 4) for _ in range(size)]
    bound = rnd.randint(0, sum(coeffs))
    early = rnd.randint(0, size)

    whole = SatSolver()
    whole_vars = list(whole.new_vars(size))
    whole.add_pb_le(list(zip(coeffs, whole_vars)), bound)

    late = SatSolver()
    late_vars = list(late.new_vars(early))
    handle = late.add_pb_le(list(zip(coeffs[:early], late_vars)), bound)
    extra = list(late.new_vars(size - early))
    late.add_pb_terms(handle, list(zip(coeffs[early:], extra)))
    late_vars += extra

    for values in itertools.product((True, False), repeat=size):
        assumptions = [v if on else -v for v, on in zip(range(1, size + 1), values)]
        allowed = sum(c for c, on in zip(coeffs, values) if on) <= bound
        assert whole.solve(assumptions) is allowed
        assert late.solve(assumptions) is allowed


def test_pb_terms_propagate_what_the_bound_forces_at_once():
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    handle = s.add_pb_le([(2, a), (1, b)], 2)
    s.add_clause([a])
    assert s.solve()  # a true at level 0, propagated: the bound has 0 left
    c, d = s.new_var(), s.new_var()
    s.add_pb_terms(handle, [(2, c), (1, d)])
    assert s.level0_value(c) is False and s.level0_value(d) is False
    assert s.solve() and s.model() == {a}


def test_pb_terms_refuse_a_true_literal_or_one_already_there():
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    handle = s.add_pb_le([(1, a)], 1)
    with pytest.raises(ValueError):
        s.add_pb_terms(handle, [(1, a)])
    with pytest.raises(ValueError):
        s.add_pb_terms(handle, [(0, b)])
    with pytest.raises(ValueError):
        s.add_pb_terms(handle, [(1, b), (2, b)])
    s.add_clause([b])
    with pytest.raises(ValueError):
        s.add_pb_terms(handle, [(1, b)])


# -- the optimizer's late terms ---------------------------------------------------------------


def _optimizer(solver, objectives):
    optimizer = Optimizer(solver, objectives)
    assert solver.solve()
    optimizer.run(solver.model())
    return optimizer


@pytest.mark.parametrize("forced", [0, 1, 2])
def test_late_terms_of_a_minimised_objective_are_forbidden(forced):
    """Whatever the optimum (0, or a bound others fill), nothing new may add to it."""
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    for var in (a, b)[:forced]:
        s.add_clause([var])
    optimizer = _optimizer(s, [("version", [(a, 1), (b, 3)])])
    assert optimizer.values == {"version": 3 * (forced == 2) + (forced > 0)}
    late = s.new_var()
    optimizer.extend("version", [(late, 1)])
    assert not s.solve([late])
    assert s.solve([-late])


def test_late_terms_join_the_objective_being_minimised():
    """A term whose variable appears in the middle of a minimisation (as a late name's, when
    a record depending on it is first tried) counts in the sum it is minimising."""
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    s.add_clause([a, b])
    s.add_clause([-a, -b])
    late = []

    def activate(var):  # b needs a name not encoded yet: encode it, as the encoder does
        z = s.new_var()
        late.append(z)
        optimizer.extend("cost", [(z, 1)])
        s.add_clause([-b, z])

    s.on_true(b, activate)
    optimizer = Optimizer(s, [("cost", [(a, 3)])])
    assert s.solve([a])
    optimizer.run(s.model())
    assert late and optimizer.values == {"cost": 1}
    assert optimizer.model == {b, late[0]}


def test_late_terms_join_the_bound_of_the_objective_being_minimised():
    """A late term that arrives while a sum is minimised joins its bound, which every later
    objective must keep."""
    s = SatSolver()
    a, b, c = s.new_var(), s.new_var(), s.new_var()
    s.add_clause([a, b])
    s.add_clause([-a, -b])
    s.add_clause([-a, c])  # a costs 2 (a and c); b costs 1, through the late z
    late = []

    def activate(var):
        z = s.new_var()
        late.append(z)
        optimizer.extend("cost", [(z, 1)])
        s.add_clause([-b, z])

    s.on_true(b, activate)
    optimizer = Optimizer(s)
    assert s.solve([a])
    optimizer.model = s.model()
    assert optimizer.minimize("cost", [(a, 1), (c, 1)], lower_bound=1) == 1
    assert late and late[0] in optimizer.model
    # c is wanted next, but with z it would make the cost 2
    assert optimizer.minimize("want-c", [(-c, 1)]) == 1
    assert c not in optimizer.model


def test_late_terms_wait_for_an_objective_not_yet_run():
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    s.add_clause([a, b])
    terms = [(a, 1)]
    optimizer = Optimizer(s, [("first", [(b, 1)]), ("second", terms)])
    optimizer.extend("second", [(b, 5)])
    assert terms == [(a, 1), (b, 5)]
    assert s.solve()
    optimizer.run(s.model())
    assert optimizer.values == {"first": 0, "second": 1}


# -- whole solves, lazy against every name at once ---------------------------------------------


class _EveryName(solve_module.Encoder):
    def __init__(self, *args, hot=None, **kwargs):
        super().__init__(*args, **kwargs)


def _answer(repos, specs, policy):
    """Records, every objective's optimum and the alternatives, or the error's kind."""
    alternatives: list = []
    run = solve_module._Solve(repos, specs, policy)
    try:
        records = run.run(False, solve_module._Phases(None), alternatives)
    except (PackagesNotFound, Unsatisfiable) as exc:
        return type(exc).__name__
    def idents(found):
        return sorted((r["name"], r["version"], r["build"], r["channel"]) for r in found)
    others = sorted(idents(found) for found in alternatives)
    if len(alternatives) >= solve_module.MAX_ALTERNATIVES:
        others = "many"  # which ten are found first is the search's business
    return idents(records), run.stats["values"], others


def _both(monkeypatch, repos, specs, policy):
    lazy = _answer(repos, specs, policy)
    with monkeypatch.context() as patch:
        patch.setattr(solve_module, "Encoder", _EveryName)
        every = _answer(repos, specs, policy)
    return lazy, every


@pytest.mark.parametrize("seed", range(80))
def test_lazy_names_give_the_answers_of_every_name_on_random_channels(monkeypatch, seed):
    rnd = random.Random(seed)
    records = random_records(rnd, NAMES, versions=5, builds=2)
    if seed % 2:  # featured names are always encoded at once: most channels go without
        for record in records:
            record.pop("features", None)
            record.pop("track_features", None)
    repo = Repo.from_records(records)
    for strict in (True, False):
        policy = Policy(channel_order=("one", "two"),
                        channel_priority="strict" if strict else "flexible")
        for _ in range(3):
            specs = [SpecRequest(rnd.choice([n, f"{n} >={rnd.randint(1, 3)}",
                                             f"{n} <{rnd.randint(2, 5)}"]))
                     for n in rnd.sample(NAMES, rnd.randint(1, 2))]
            if rnd.random() < 0.5:  # an installed record to keep if it can
                target = rnd.choice(records)
                specs.append(SpecRequest(target["name"], optional=True, target=target))
            lazy, every = _both(monkeypatch, [repo], specs, policy)
            assert lazy == every, (seed, [s.spec for s in specs])


@pytest.mark.data
def test_lazy_names_give_the_answers_of_every_name_on_real_channels(monkeypatch, data_dir):
    """Every third recorded case of ``test_solve_classic`` (conda's test indexes, the real
    channels), solved both ways: the same records, optima and alternatives. (All of them
    agree too; a third keeps this under ten seconds.)"""
    import test_solve_classic as recorded

    cases = (recorded._cases("test_indexes") + recorded._cases("channels"))[::3]
    assert cases
    differ = []
    for case in cases:
        if case["expected"] == {"error": "classic-timeout"}:
            continue
        answers = []
        for encoder in (solve_module.Encoder, _EveryName):
            with monkeypatch.context() as patch:
                patch.setattr(solve_module, "Encoder", encoder)
                patch.setattr(recorded, "solve", _recording_solve(answers))
                recorded.engine_answer(data_dir, case)
        if answers[0] != answers[1]:
            differ.append(case["id"])
    assert not differ


def _recording_solve(answers: list):
    """``solve`` for ``engine_answer``: keeps ``_answer``'s fuller answer instead."""
    def record(repos, specs, policy=None):
        answers.append(_answer(repos, specs, policy))
        return []
    return record
