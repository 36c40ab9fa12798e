"""Micro benchmark of the CDCL core (``conda_altsolver/engine/sat.py``) alone.

    python benchmarks/bench_sat.py            # every case, best of 3
    python benchmarks/bench_sat.py --repeat 1 --cases php8-7,random3-150

Prints, per case: the answer, the best CPU time (``process_time``: the machine may be shared),
conflicts, and propagations and clause visits (watch-list entries looked at) per CPU second.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conda_altsolver.engine.sat import SatSolver  # noqa: E402

SUDOKU_EASY = (
    "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79"
)
SUDOKU_HARD = (  # "AI Escargot"-like: few givens, needs real search
    "1....7.9..3..2...8..96..5....53..9...1..8...26....4...3......1..4......7..7...3.."
)


def pigeonhole(solver: SatSolver, pigeons: int, holes: int, amo: bool) -> None:
    var = {(p, h): solver.new_var() for p in range(pigeons) for h in range(holes)}
    for p in range(pigeons):
        solver.add_clause([var[p, h] for h in range(holes)])
    for h in range(holes):
        column = [var[p, h] for p in range(pigeons)]
        if amo:
            solver.add_at_most_one(column)
        else:
            for a, b in itertools.combinations(column, 2):
                solver.add_clause([-a, -b])


def random_3sat(solver: SatSolver, num_vars: int, ratio: float, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(num_vars):
        solver.new_var()
    for _ in range(int(num_vars * ratio)):
        chosen = rng.sample(range(1, num_vars + 1), 3)
        solver.add_clause([v if rng.random() < 0.5 else -v for v in chosen])


def sudoku(solver: SatSolver, grid: str, amo: bool) -> None:
    var = {(r, c, d): solver.new_var() for r in range(9) for c in range(9) for d in range(9)}
    groups = [[var[r, c, d] for d in range(9)] for r in range(9) for c in range(9)]
    for d in range(9):
        groups += [[var[r, c, d] for c in range(9)] for r in range(9)]
        groups += [[var[r, c, d] for r in range(9)] for c in range(9)]
        groups += [
            [var[3 * br + i, 3 * bc + j, d] for i in range(3) for j in range(3)]
            for br in range(3)
            for bc in range(3)
        ]
    for group in groups:
        solver.add_clause(group)
        if amo:
            solver.add_at_most_one(group)
        else:
            for a, b in itertools.combinations(group, 2):
                solver.add_clause([-a, -b])
    for i, ch in enumerate(grid):
        if ch != ".":
            solver.add_clause([var[i // 9, i % 9, int(ch) - 1]])


def lazy_chain(solver: SatSolver, names: int, versions: int) -> None:
    """A conda-like shape: name i's versions each lazily require some versions of name i+1."""
    rng = random.Random(7)
    var = [[solver.new_var() for _ in range(versions)] for _ in range(names)]
    for group in var:
        solver.add_at_most_one(group)
    solver.add_clause(var[0])

    requirements: list[list[int]] = [var[0]]

    def requires(i, j):
        def add(_var):
            if i + 1 < names:
                lo = rng.randrange(versions)
                clause = [-var[i][j]] + var[i + 1][lo : lo + versions // 3 + 1]
                solver.add_clause(clause)
                requirements.append(clause)
        return add

    for i in range(names):
        for j in range(versions):
            solver.on_true(var[i][j], requires(i, j))

    def brancher(s):
        """The first open requirement's first unassigned candidate (as the engine's does)."""
        value = s.value
        for clause in requirements:
            if clause[0] < 0 and value(-clause[0]) is not True:
                continue
            cands = clause[1:] if clause[0] < 0 else clause
            if any(value(c) is True for c in cands):
                continue
            for c in cands:
                if value(c) is None:
                    return c
        return 0

    solver.set_brancher(brancher)


def pb_minimise(solver: SatSolver, num_vars: int, seed: int) -> None:
    """Random 3-SAT (ratio 3) plus the optimiser's loop: fewest true variables, by PB bound.

    The loop runs inside ``solve``'s timing by wrapping ``solve``."""
    random_3sat(solver, num_vars, 3.0, seed)
    plain_solve = solver.solve
    terms = [(1 + var % 3, var) for var in range(1, num_vars + 1)]

    def optimise(assumptions=()):
        if not plain_solve(assumptions):
            return False
        cost = sum(c for c, v in terms if v in solver.model())
        handle = solver.add_pb_le(terms, cost - 1)
        while plain_solve(assumptions):
            cost = sum(c for c, v in terms if v in solver.model())
            solver.set_pb_bound(handle, cost - 1)
        return True

    solver.solve = optimise


CASES = {
    "php8-7": lambda s: pigeonhole(s, 8, 7, amo=False),
    "php8-7-amo": lambda s: pigeonhole(s, 8, 7, amo=True),
    "random3-150": lambda s: random_3sat(s, 150, 4.26, seed=1),
    "random3-150b": lambda s: random_3sat(s, 150, 4.26, seed=2),
    "random3-200": lambda s: random_3sat(s, 200, 4.26, seed=3),
    "sudoku": lambda s: sudoku(s, SUDOKU_EASY, amo=False),
    "sudoku-hard": lambda s: sudoku(s, SUDOKU_HARD, amo=False),
    "sudoku-hard-amo": lambda s: sudoku(s, SUDOKU_HARD, amo=True),
    "lazy-chain": lambda s: lazy_chain(s, 200, 30),
    "pb-minimise-80": lambda s: pb_minimise(s, 80, seed=5),
}


def run_case(build) -> tuple[float, float, bool, dict]:
    start = time.process_time()
    solver = SatSolver()
    build(solver)
    built = time.process_time()
    answer = solver.solve()
    done = time.process_time()
    return built - start, done - built, answer, dict(solver.stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    args = parser.parse_args()
    print(f"{'case':16} {'answer':6} {'build s':>8} {'solve s':>8} {'confl':>7} "
          f"{'props/s':>9} {'visits/s':>9}")
    for name in args.cases.split(","):
        runs = [run_case(CASES[name]) for _ in range(args.repeat)]
        build_time, solve_time, answer, stats = min(runs, key=lambda run: run[1])
        rate = 1 / solve_time if solve_time else 0.0
        print(f"{name:16} {str(answer):6} {build_time:8.3f} {solve_time:8.3f} "
              f"{stats['conflicts']:7d} {stats['propagations'] * rate:9.0f} "
              f"{stats['visits'] * rate:9.0f}")


if __name__ == "__main__":
    main()
