"""Tests for the CDCL core (``conda_altsolver/engine/sat.py``), mostly against brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from conda_altsolver.engine.sat import SatSolver


# ---------------------------------------------------------------------------- helpers


def random_cnf(rng: random.Random, num_vars: int, num_clauses: int, width=(1, 4)):
    clauses = []
    for _ in range(num_clauses):
        size = rng.randint(*width)
        chosen = rng.sample(range(1, num_vars + 1), min(size, num_vars))
        clauses.append([v if rng.random() < 0.5 else -v for v in chosen])
    return clauses


def satisfies(true_vars, clause) -> bool:
    return any((lit > 0) == (abs(lit) in true_vars) for lit in clause)


def brute_force_models(num_vars, clauses, amos=(), pbs=()):
    """Every model, as a set of true variables (small instances only)."""
    for bits in itertools.product((False, True), repeat=num_vars):
        true_vars = {v + 1 for v, bit in enumerate(bits) if bit}
        if not all(satisfies(true_vars, c) for c in clauses):
            continue
        if any(sum(satisfies(true_vars, [lit]) for lit in amo) > 1 for amo in amos):
            continue
        if any(
            sum(c for c, lit in terms if satisfies(true_vars, [lit])) > bound
            for terms, bound in pbs
        ):
            continue
        yield true_vars


def brute_force_sat(num_vars, clauses, amos=(), pbs=()) -> bool:
    return next(brute_force_models(num_vars, clauses, amos, pbs), None) is not None


def build(num_vars, clauses, reasons=False) -> SatSolver:
    solver = SatSolver()
    for _ in range(num_vars):
        solver.new_var()
    for i, clause in enumerate(clauses):
        solver.add_clause(clause, reason=i if reasons else None)
    return solver


def check_model(solver, clauses, amos=(), pbs=()):
    model = solver.model()
    for clause in clauses:
        assert satisfies(model, clause), clause
    for amo in amos:
        assert sum(satisfies(model, [lit]) for lit in amo) <= 1, amo
    for terms, bound in pbs:
        assert sum(c for c, lit in terms if satisfies(model, [lit])) <= bound


def pigeonhole(pigeons: int, holes: int, amo: bool = False):
    """Clauses of PHP(pigeons, holes); var(p, h) = p * holes + h + 1."""
    def var(p, h):
        return p * holes + h + 1
    clauses = [[var(p, h) for h in range(holes)] for p in range(pigeons)]
    amos = []
    for h in range(holes):
        column = [var(p, h) for p in range(pigeons)]
        if amo:
            amos.append(column)
        else:
            clauses += [[-a, -b] for a, b in itertools.combinations(column, 2)]
    return pigeons * holes, clauses, amos


SUDOKU = (
    "53..7...."
    "6..195..."
    ".98....6."
    "8...6...3"
    "4..8.3..1"
    "7...2...6"
    ".6....28."
    "...419..5"
    "....8..79"
)


def sudoku_cnf(grid: str):
    def var(r, c, d):
        return r * 81 + c * 9 + d + 1

    clauses = []
    units = []
    for r in range(9):
        for c in range(9):
            clauses.append([var(r, c, d) for d in range(9)])
            units.append([var(r, c, d) for d in range(9)])
    for d in range(9):
        for r in range(9):
            units.append([var(r, c, d) for c in range(9)])
        for c in range(9):
            units.append([var(r, c, d) for r in range(9)])
        for br in range(3):
            for bc in range(3):
                units.append(
                    [var(3 * br + i, 3 * bc + j, d) for i in range(3) for j in range(3)]
                )
    for group in units:
        clauses += [[-a, -b] for a, b in itertools.combinations(group, 2)]
    for i, ch in enumerate(grid):
        if ch != ".":
            clauses.append([var(i // 9, i % 9, int(ch) - 1)])
    return 729, clauses


# ---------------------------------------------------------------------------- clauses


@pytest.mark.parametrize("seed", range(60))
def test_random_cnf_matches_brute_force(seed):
    rng = random.Random(seed)
    num_vars = rng.randint(3, 10)
    clauses = random_cnf(rng, num_vars, rng.randint(5, 45))
    solver = build(num_vars, clauses)
    expected = brute_force_sat(num_vars, clauses)
    assert solver.solve() is expected
    if expected:
        check_model(solver, clauses)
    else:
        assert solver.core() == []


def test_empty_clause_is_unsat_with_empty_core():
    solver = build(2, [[1, 2]])
    solver.add_clause([], reason="nothing")
    assert solver.solve([1]) is False
    assert solver.core() == []
    assert solver.conflict_reasons() == ["nothing"]


def test_level0_contradiction():
    solver = build(1, [[1], [-1]], reasons=True)
    assert solver.solve() is False
    assert solver.core() == []
    assert sorted(solver.conflict_reasons()) == [0, 1]


def test_tautology_and_duplicates():
    solver = build(2, [[1, -1], [2, 2]])
    assert solver.solve()
    assert 2 in solver.model()


def test_bad_literal_rejected():
    solver = build(2, [])
    with pytest.raises(ValueError):
        solver.add_clause([3])
    with pytest.raises(ValueError):
        solver.add_clause([0])


def test_value_during_and_after_solve():
    solver = build(3, [[1], [-1, 2]])
    assert solver.value(3) is None
    assert solver.solve()
    assert solver.value(1) is True and solver.value(2) is True
    assert {1, 2} <= solver.model()


# ---------------------------------------------------------------------------- incremental


@pytest.mark.parametrize("seed", range(40))
def test_incremental_clauses_and_assumptions(seed):
    rng = random.Random(1000 + seed)
    num_vars = rng.randint(4, 9)
    clauses = random_cnf(rng, num_vars, rng.randint(3, 12))
    solver = build(num_vars, clauses)
    for _ in range(6):
        assumptions = [v if rng.random() < 0.5 else -v
                       for v in rng.sample(range(1, num_vars + 1), rng.randint(0, 4))]
        expected = brute_force_sat(num_vars, clauses + [[a] for a in assumptions])
        assert solver.solve(assumptions) is expected
        if expected:
            check_model(solver, clauses + [[a] for a in assumptions])
        else:
            core = solver.core()
            assert set(core) <= set(assumptions)
            assert not brute_force_sat(num_vars, clauses + [[a] for a in core])
            assert solver.solve(core) is False
        new = random_cnf(rng, num_vars, rng.randint(1, 4))
        for clause in new:
            solver.add_clause(clause)
        clauses += new


def test_core_is_failing_subset():
    solver = build(6, [[-1, -2], [3, 4], [-5, 6]])
    assert solver.solve([5, 1, 3, 2, 6]) is False
    core = solver.core()
    assert sorted(core) == [1, 2]
    assert solver.solve(core) is False
    assert solver.solve([1, 3]) is True


def test_contradictory_assumptions():
    solver = build(2, [])
    assert solver.solve([1, 2, -1]) is False
    assert sorted(solver.core()) == [-1, 1]


def test_assumption_false_at_level0():
    solver = build(2, [[-2]])
    assert solver.solve([1, 2]) is False
    assert solver.core() == [2]


def test_learned_clauses_kept_across_solves():
    num_vars, clauses, _ = pigeonhole(5, 4)
    solver = build(num_vars + 1, [[-(num_vars + 1)] + c for c in clauses])
    assert solver.solve([num_vars + 1]) is False
    assert solver.core() == [num_vars + 1]
    first = solver.stats["conflicts"]
    assert solver.solve([num_vars + 1]) is False
    assert solver.stats["conflicts"] - first < first
    assert solver.solve() is True


# ---------------------------------------------------------------------------- at-most-one


@pytest.mark.parametrize("seed", range(40))
def test_at_most_one_matches_brute_force(seed):
    rng = random.Random(2000 + seed)
    num_vars = rng.randint(4, 10)
    clauses = random_cnf(rng, num_vars, rng.randint(2, 20), width=(1, 3))
    amos = []
    for _ in range(rng.randint(1, 4)):
        chosen = rng.sample(range(1, num_vars + 1), rng.randint(2, min(5, num_vars)))
        amos.append([v if rng.random() < 0.8 else -v for v in chosen])
    solver = build(num_vars, clauses)
    for amo in amos:
        solver.add_at_most_one(amo)
    expected = brute_force_sat(num_vars, clauses, amos)
    assert solver.solve() is expected
    if expected:
        check_model(solver, clauses, amos)


def test_at_most_one_added_with_two_true_is_unsat():
    solver = build(4, [[1], [2]])
    solver.add_at_most_one([1, 2, 3], reason="amo")
    assert solver.solve() is False
    assert solver.core() == []


def test_pigeonhole_6_5_unsat():
    num_vars, clauses, _ = pigeonhole(6, 5)
    solver = build(num_vars, clauses)
    assert solver.solve() is False


def test_pigeonhole_6_5_with_native_amo_unsat():
    num_vars, clauses, amos = pigeonhole(6, 5, amo=True)
    solver = build(num_vars, clauses)
    for amo in amos:
        solver.add_at_most_one(amo, reason="hole")
    assert solver.solve() is False
    assert "hole" in solver.conflict_reasons()


def test_pigeonhole_5_5_sat():
    num_vars, clauses, amos = pigeonhole(5, 5, amo=True)
    solver = build(num_vars, clauses)
    for amo in amos:
        solver.add_at_most_one(amo)
    assert solver.solve() is True
    check_model(solver, clauses, amos)


# ---------------------------------------------------------------------------- sudoku


def test_sudoku_unique_solution():
    num_vars, clauses = sudoku_cnf(SUDOKU)
    solver = build(num_vars, clauses)
    assert solver.solve()
    model = solver.model()
    check_model(solver, clauses)
    assert len(model) == 81
    solver.add_clause([-v for v in sorted(model)])  # block it: no other solution
    assert solver.solve() is False


# ---------------------------------------------------------------------------- brancher, callbacks


def test_brancher_zero_sets_everything_false():
    solver = build(5, [[1, 2], [-1, 3]])
    decisions = iter([1])
    solver.set_brancher(lambda s: next(decisions, 0))
    assert solver.solve()
    assert solver.model() == {1, 3}


def test_brancher_fill_keeps_propagating_correctly():
    # with nothing decided, filling with false must still satisfy [4 or 5] and [-5 or 2]
    clauses = [[4, 5], [-5, 2], [-2, -4]]
    solver = build(5, clauses)
    solver.set_brancher(lambda s: 0)
    assert solver.solve()
    check_model(solver, clauses)


def test_brancher_with_assigned_literal_is_an_error():
    solver = build(2, [[1]])
    solver.set_brancher(lambda s: 1)
    with pytest.raises(ValueError):
        solver.solve()


def test_on_true_lazy_clause_immediately_falsified():
    # 2 is false when 1 turns true; the callback's clause [-1, 2] is falsified at once
    solver = build(3, [])
    solver.add_clause([1, 3], reason="1or3")
    solver.add_clause([-3], reason="not3")
    solver.set_brancher(lambda s: 0)
    calls = []

    def lazy(var):
        calls.append(var)
        solver.add_clause([-1, 2], reason="lazy")

    solver.add_clause([-2], reason="not2")
    solver.on_true(1, lazy)
    assert solver.solve() is False
    assert calls == [1]
    assert solver.conflict_reasons() == ["1or3", "not3", "not2", "lazy"]


def test_on_true_lazy_encoding_at_depth():
    # choose 1 by decision; its lazy requirement must flip the search elsewhere
    solver = build(6, [])
    solver.add_clause([1, 2], reason="root")
    decided = []

    def brancher(s):
        for lit in (1, 4, 5):
            if s.value(abs(lit)) is None:
                decided.append(lit)
                return lit
        return 0

    def on_one(var):
        solver.add_clause([-1, 3], reason="1 needs 3")

    def on_five(var):
        solver.add_clause([-5, -3], reason="5 conflicts with 3")
        solver.add_clause([-4, -1], reason="4 conflicts with 1")

    solver.on_true(1, on_one)
    solver.on_true(5, on_five)
    solver.set_brancher(brancher)
    assert solver.solve()
    model = solver.model()
    clauses = [[1, 2], [-1, 3], [-5, -3], [-4, -1]]
    for clause in clauses:
        assert satisfies(model, clause)


def test_callback_adds_variables_and_constraints():
    solver = build(2, [[1]])
    made = []

    def grow(var):
        new = solver.new_var()
        made.append(new)
        solver.add_clause([-1, new])
        solver.add_at_most_one([new, 2, solver.new_var()])

    solver.on_true(1, grow)
    assert solver.solve()
    model = solver.model()
    assert made and made[0] in model and 2 not in model


@pytest.mark.parametrize("seed", range(30))
def test_random_lazy_clauses_match_brute_force(seed):
    """Clauses hidden behind on_true of their first positive literal's variable."""
    rng = random.Random(3000 + seed)
    num_vars = rng.randint(4, 9)
    clauses = random_cnf(rng, num_vars, rng.randint(4, 30), width=(2, 4))
    solver = SatSolver()
    for _ in range(num_vars):
        solver.new_var()
    hidden: dict[int, list] = {}
    eager = []
    for clause in clauses:
        negatives = [lit for lit in clause if lit < 0]
        if negatives and rng.random() < 0.7:
            hidden.setdefault(-negatives[0], []).append(clause)  # active only when var true
        else:
            eager.append(clause)
            solver.add_clause(clause)
    for var, group in sorted(hidden.items()):
        solver.on_true(var, lambda v, group=group: [solver.add_clause(c) for c in group])
    if rng.random() < 0.5:
        solver.set_brancher(lambda s: 0)
    expected = brute_force_sat(num_vars, clauses)
    assert solver.solve() is expected
    if expected:
        check_model(solver, clauses)


# ---------------------------------------------------------------------------- pseudo-boolean


@pytest.mark.parametrize("seed", range(40))
def test_pb_optimisation_loop_finds_brute_force_optimum(seed):
    rng = random.Random(4000 + seed)
    num_vars = rng.randint(4, 10)
    clauses = random_cnf(rng, num_vars, rng.randint(3, 25), width=(1, 3))
    terms = [(rng.randint(-3, 6), v if rng.random() < 0.7 else -v)
             for v in range(1, num_vars + 1)]
    models = list(brute_force_models(num_vars, clauses))
    solver = build(num_vars, clauses)

    def cost(model):
        return sum(c for c, lit in terms if satisfies(model, [lit]))

    if not models:
        assert solver.solve() is False
        return
    best = min(cost(m) for m in models)
    assert solver.solve()
    value = cost(solver.model())
    handle = solver.add_pb_le(terms, value - 1, reason="objective")
    while solver.solve():
        check_model(solver, clauses, pbs=[(terms, value - 1)])
        value = cost(solver.model())
        solver.set_pb_bound(handle, value - 1)
    assert value == best
    assert solver.core() == []


@pytest.mark.parametrize("seed", range(25))
def test_pb_with_amo_and_assumptions(seed):
    rng = random.Random(5000 + seed)
    num_vars = rng.randint(4, 9)
    clauses = random_cnf(rng, num_vars, rng.randint(2, 15), width=(1, 3))
    amos = [rng.sample(range(1, num_vars + 1), 3)]
    pbs = [([(rng.randint(1, 4), rng.choice([v, -v])) for v in range(1, num_vars + 1)],
            rng.randint(0, 8))]
    solver = build(num_vars, clauses)
    solver.add_at_most_one(amos[0])
    solver.add_pb_le(*pbs[0])
    for _ in range(3):
        assumptions = [rng.choice([v, -v]) for v in rng.sample(range(1, num_vars + 1), 2)]
        expected = brute_force_sat(num_vars, clauses + [[a] for a in assumptions], amos, pbs)
        assert solver.solve(assumptions) is expected
        if expected:
            check_model(solver, clauses, amos, pbs)
        else:
            core = solver.core()
            assert not brute_force_sat(num_vars, clauses + [[a] for a in core], amos, pbs)


def test_pb_violated_at_add_time_is_unsat():
    solver = build(3, [[1], [2]])
    solver.add_pb_le([(2, 1), (2, 2), (1, 3)], 3, reason="budget")
    assert solver.solve() is False
    assert solver.core() == []
    assert "budget" in solver.conflict_reasons()


def test_pb_tightened_below_forced_sum_is_unsat():
    solver = build(3, [[1, 2]])
    handle = solver.add_pb_le([(1, 1), (1, 2), (1, 3)], 3)
    assert solver.solve()
    solver.set_pb_bound(handle, 1)
    assert solver.solve()
    assert len(solver.model() & {1, 2, 3}) == 1
    solver.set_pb_bound(handle, 0)
    assert solver.solve() is False
    with pytest.raises(ValueError):
        solver.set_pb_bound(handle, 2)


def test_pb_negative_bound_is_unsat():
    solver = build(2, [])
    solver.add_pb_le([(1, 1)], -1)
    assert solver.solve() is False


def test_pb_tightened_during_search_from_callback():
    solver = build(4, [[1]])
    handle = solver.add_pb_le([(1, 2), (1, 3), (1, 4)], 3)
    solver.add_clause([2, 3])
    solver.add_clause([3, 4])
    solver.on_true(1, lambda v: solver.set_pb_bound(handle, 1))
    assert solver.solve()
    model = solver.model()
    assert model & {2, 3, 4} == {3}


# ---------------------------------------------------------------------------- explanations


@pytest.mark.parametrize("seed", range(40))
def test_conflict_reasons_are_an_unsat_subset(seed):
    rng = random.Random(6000 + seed)
    num_vars = rng.randint(5, 10)
    clauses = random_cnf(rng, num_vars, rng.randint(25, 60), width=(2, 3))
    if brute_force_sat(num_vars, clauses):
        clauses += [[v] for v in range(1, num_vars + 1)] + [[-v] for v in (1, 2)]
    solver = build(num_vars, clauses, reasons=True)
    assert solver.solve() is False
    reasons = solver.conflict_reasons()
    assert all(isinstance(r, int) for r in reasons)
    assert len(set(reasons)) == len(reasons)
    subset = [clauses[r] for r in reasons]
    assert not brute_force_sat(num_vars, subset)


@pytest.mark.parametrize("seed", range(20))
def test_conflict_reasons_under_assumptions(seed):
    rng = random.Random(7000 + seed)
    num_vars = rng.randint(5, 9)
    clauses = random_cnf(rng, num_vars, rng.randint(8, 25), width=(2, 3))
    solver = build(num_vars, clauses, reasons=True)
    for _ in range(5):
        assumptions = [rng.choice([v, -v]) for v in rng.sample(range(1, num_vars + 1), 4)]
        if solver.solve(assumptions):
            continue
        subset = [clauses[r] for r in solver.conflict_reasons()]
        assert not brute_force_sat(num_vars, subset + [[a] for a in solver.core()])


def test_conflict_reasons_php_with_amo_and_unrelated_clauses():
    num_vars, clauses, amos = pigeonhole(5, 4, amo=True)
    solver = build(num_vars + 3, [])
    for i, clause in enumerate(clauses):
        solver.add_clause(clause, reason=("pigeon", i))
    for h, amo in enumerate(amos):
        solver.add_at_most_one(amo, reason=("hole", h))
    solver.add_clause([num_vars + 1, num_vars + 2], reason="unrelated")
    assert solver.solve() is False
    reasons = solver.conflict_reasons()
    assert "unrelated" not in reasons
    assert sorted(reasons) == sorted(
        [("pigeon", i) for i in range(5)] + [("hole", h) for h in range(4)]
    )


def test_unhashable_reasons():
    solver = build(1, [])
    solver.add_clause([1], reason=["a"])
    solver.add_clause([-1], reason={"b": 1})
    assert solver.solve() is False
    assert solver.conflict_reasons() == [["a"], {"b": 1}]


# ---------------------------------------------------------------------------- determinism


def test_same_answer_every_time():
    rng = random.Random(99)
    clauses = random_cnf(rng, 40, 150, width=(3, 3))
    models = []
    for _ in range(2):
        solver = build(40, clauses)
        assert solver.solve()
        models.append(sorted(solver.model()))
    assert models[0] == models[1]


DETERMINISM_SCRIPT = """
from conda_altsolver.engine.sat import SatSolver
s = SatSolver()
vs = [s.new_var() for _ in range(8)]
s.add_clause([1, 2, 3], reason="r-a")
s.add_at_most_one([1, 2, 3], reason=frozenset({"x", "y"}))
s.add_clause([-1, 4], reason="r-b")
s.add_clause([-2, 4], reason="r-c")
s.add_clause([-3, 4], reason="r-d")
s.add_pb_le([(1, 4), (2, 5), (1, 6)], 2, reason="pb")
print(s.solve(), sorted(s.model()))
s.add_clause([5], reason="five")
print(s.solve(), s.conflict_reasons())
"""


def test_independent_of_hash_seed():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    outputs = set()
    for seed in ("0", "1", "12345"):
        result = subprocess.run(
            [sys.executable, "-c", DETERMINISM_SCRIPT],
            capture_output=True, text=True, check=True, cwd=root,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        )
        outputs.add(result.stdout)
    assert len(outputs) == 1, outputs


def test_value_accepts_negative_literals_and_first_open():
    solver = build(4, [[1], [-2]])
    assert solver.solve()
    assert solver.value(-1) is False and solver.value(-2) is True and solver.value(-3) is None
    assert solver.first_open([2, 3, 4]) == 3
    assert solver.first_open([2, -4, 1]) == 0
    assert solver.first_open([-1, 2]) == 0 == solver.first_open([])


def test_brancher_asked_again_when_fill_makes_something_true():
    solver = build(4, [[1, 2]])  # filling 1 false makes 2 true, which "opens" a requirement

    def brancher(s):
        if s.value(2) is True and s.value(3) is None:
            return 3
        return 0

    solver.set_brancher(brancher)
    assert solver.solve()
    assert solver.model() == {2, 3}


def test_lazy_clause_unit_at_lower_level_backjumps():
    # 1 decided at level 1, 2 at level 2, 3 at level 3; 3's callback adds [-1, 4], which was
    # unit since level 1: 4 must come out true and the search stay consistent.
    solver = build(5, [[-4, 5]])
    order = iter([1, 2, 3])
    solver.set_brancher(lambda s: next((v for v in order if s.value(v) is None), 0))
    solver.on_true(3, lambda v: solver.add_clause([-1, 4], reason="late"))
    assert solver.solve()
    assert {1, 4, 5} <= solver.model()


def test_lazy_unit_clause_holds_after_backjumps():
    solver = build(4, [[-2, -3], [2, 3, 4]])
    solver.on_true(1, lambda v: solver.add_clause([-4], reason="unit"))
    decisions = iter([1, 4])
    solver.set_brancher(lambda s: next((v for v in decisions if s.value(v) is None), 0))
    assert solver.solve()
    model = solver.model()
    assert 4 not in model and (2 in model) != (3 in model)


def test_solver_usable_after_callback_raises():
    solver = build(3, [[1, 2]])

    def broken(var):
        raise RuntimeError("boom")

    solver.on_true(1, broken)
    solver.set_brancher(lambda s: 1 if s.value(1) is None else 0)
    with pytest.raises(RuntimeError):
        solver.solve()
    solver.set_brancher(None)
    assert solver.solve([-1])
    assert 2 in solver.model()


def test_on_true_rejects_negative_literal():
    solver = build(2, [])
    with pytest.raises(ValueError):
        solver.on_true(-1, print)


def test_learnt_clause_reduction_keeps_answers(monkeypatch):
    import conda_altsolver.engine.sat as sat_module

    monkeypatch.setattr(sat_module, "_REDUCE_FIRST", 20)
    monkeypatch.setattr(sat_module, "_REDUCE_STEP", 2)
    monkeypatch.setattr(sat_module, "_RESTART_UNIT", 4)
    num_vars, clauses, _ = pigeonhole(6, 5)
    solver = build(num_vars, clauses, reasons=True)
    assert solver.solve() is False
    assert solver._reductions > 0
    subset = [clauses[r] for r in solver.conflict_reasons()]
    assert build(num_vars, subset).solve() is False
    rng = random.Random(5)
    for _ in range(5):
        clauses = random_cnf(rng, 60, 240, width=(3, 3))
        solver = build(60, clauses)
        if solver.solve():
            check_model(solver, clauses)


def test_conflict_limit_gives_up_then_solver_still_works():
    num_vars, clauses, _ = pigeonhole(7, 6)
    solver = build(num_vars, clauses)
    assert solver.solve(conflict_limit=5) is None
    assert solver.core() == [] and solver.conflict_reasons() == []
    with pytest.raises(RuntimeError):
        solver.model()
    assert solver.solve() is False
    easy = build(3, [[1, 2]])
    assert easy.solve(conflict_limit=0) is True


# ---------------------------------------------------------------------------- bulk additions


@pytest.mark.parametrize("seed", range(40))
def test_bulk_additions_match_one_by_one(seed):
    """new_vars / add_implications / add_units / on_true_many give the same answers as
    new_var / add_clause / on_true, whether their variables are fresh or already assigned."""
    rng = random.Random(7000 + seed)
    num_vars = rng.randint(4, 9)
    clauses = random_cnf(rng, num_vars, rng.randint(2, 10))
    target = rng.randint(1, num_vars)
    sources = rng.sample([v for v in range(1, num_vars + 1) if v != target],
                         rng.randint(1, num_vars - 1))
    units = [v if rng.random() < 0.5 else -v for v in rng.sample(range(1, num_vars + 1), 2)]
    expected_clauses = clauses + [[-s, target] for s in sources]
    bulk = SatSolver()
    assert bulk.new_vars(num_vars) == range(1, num_vars + 1)
    for clause in clauses:
        bulk.add_clause(clause)
    if rng.random() < 0.5:  # some variables already assigned when the bulk calls come
        bulk.solve()
    bulk.add_implications(sources, target)
    fired = []
    bulk.on_true_many(range(1, num_vars + 1), fired.append)
    first = bulk.solve()
    assert first is brute_force_sat(num_vars, expected_clauses)
    if first:
        check_model(bulk, expected_clauses)
        assert sorted(fired) == sorted(bulk.model())
    bulk.add_units(units)
    expected_clauses += [[u] for u in units]
    second = bulk.solve()
    assert second is brute_force_sat(num_vars, expected_clauses)
    if second:
        check_model(bulk, expected_clauses)


@pytest.mark.parametrize("seed", range(60))
def test_requires_many_mid_search_is_add_clause_one_by_one(seed):
    """add_requires_many from an on_true callback (assignments standing: the clauses are
    integrated as they come) searches exactly as add_clause([-var, *cands]) per pair does:
    clauses already met, units at the record's level, conflicts, empty candidate tuples,
    tautologies and repeats; the same answers, models, counters and refutations."""
    rng = random.Random(7500 + seed)
    num_vars = rng.randint(5, 10)
    clauses = random_cnf(rng, num_vars, rng.randint(2, 12), width=(2, 3))
    shared = [tuple(rng.sample(range(1, num_vars + 1), rng.randint(1, 3))) for _ in range(5)]
    shared += [(), (1, 1)]  # "needs nothing" (a unit), and a repeat
    hidden = {var: [(rng.choice(shared), ("requires", var, k)) for k in range(rng.randint(1, 4))]
              for var in rng.sample(range(1, num_vars + 1), rng.randint(1, num_vars))}
    extra = [[v if rng.random() < 0.5 else -v] for v in rng.sample(range(1, num_vars + 1), 2)]
    runs = []
    for bulk in (True, False):
        solver = build(num_vars, clauses, reasons=True)
        for var, pairs in hidden.items():
            if bulk:
                solver.on_true(var, lambda v, pairs=pairs: solver.add_requires_many(v, pairs))
            else:
                solver.on_true(var, lambda v, pairs=pairs: [
                    solver.add_clause([-v, *cands], reason) for cands, reason in pairs])
        answers = []
        for units in ([], extra):
            for unit in units:
                solver.add_clause(unit, reason=("unit", unit[0]))
            found = solver.solve()
            answers.append((found, sorted(solver.model()) if found else solver.conflict_reasons()))
        runs.append((answers, dict(solver.stats)))
    assert runs[0] == runs[1]
    every = clauses + [[-v, *cands] for v, pairs in hidden.items() for cands, _ in pairs]
    assert runs[0][0][0][0] is brute_force_sat(num_vars, every)


@pytest.mark.parametrize("seed", range(40))
def test_add_units_is_add_clause_one_by_one(seed):
    """add_units stores, assigns and refutes exactly as one add_clause([lit]) per literal:
    units already true or false at level 0 (from earlier units or propagation), repeats,
    and the answers, cores and refutation reasons that follow."""
    rng = random.Random(9100 + seed)
    num_vars = rng.randint(3, 8)
    clauses = random_cnf(rng, num_vars, rng.randint(1, 8))
    batches = [[rng.choice((1, -1)) * rng.randint(1, num_vars)
                for _ in range(rng.randint(1, 4))] for _ in range(3)]

    def run(bulk):
        solver = SatSolver()
        solver.new_vars(num_vars)
        for index, clause in enumerate(clauses):
            solver.add_clause(clause, ("clause", index))
        found = []
        for index, batch in enumerate(batches):
            if bulk:
                solver.add_units(batch, ("batch", index))
            else:
                for lit in batch:
                    solver.add_clause([lit], ("batch", index))
            result = solver.solve([1])
            found.append((result, sorted(solver.model()) if result else solver.core(),
                          solver.conflict_reasons() if not result else None))
        return found, solver._lits, solver._origin, list(solver._trail), solver._ok

    assert run(True) == run(False)


def test_bulk_additions_validate_their_literals():
    solver = SatSolver()
    solver.new_vars(3)
    for bad in ([4], [0], [-4]):
        with pytest.raises(ValueError):
            solver.add_units(bad)
        with pytest.raises(ValueError):
            solver.add_implications(bad, 1)
        with pytest.raises(ValueError):
            solver.add_at_most_one([1, *bad])
        with pytest.raises(ValueError):
            solver.on_true_many(bad, print)
    solver.add_implications([1], 1)  # a tautology, as add_clause([-1, 1]) drops it
    solver.add_at_most_one([1, -1, 2])  # complementary members: plain clauses
    assert solver.solve([1]) is True and 2 not in solver.model()


def test_on_true_many_shares_an_entry_and_keeps_earlier_callbacks():
    solver = SatSolver()
    solver.new_vars(3)
    calls = []
    solver.on_true(2, lambda v: calls.append(("first", v)))
    solver.on_true_many([1, 2, 3], lambda v: calls.append(("many", v)))
    solver.add_clause([1])
    solver.add_clause([2])
    assert solver.solve([-3])
    assert sorted(calls) == [("first", 2), ("many", 1), ("many", 2)]
