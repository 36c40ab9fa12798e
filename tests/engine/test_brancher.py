"""The brancher resumes after what stays settled, and picks what a full scan picks.

``encode.make_brancher`` keeps, per decision level, how far the run of settled requirements
at the front reached, and ``SatSolver.kept_level`` says which levels a backtrack left alone.
Here every decision it makes during random searches (conflicts, backtracks, restarts,
requirements added while searching, several solves under assumptions) is checked against a
scan of every requirement from the first.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from conda_altsolver.engine.encode import make_brancher
from conda_altsolver.engine.sat import SatSolver


def _full_scan(solver, requirements) -> int:
    """The rule itself: the first open requirement's first non-false candidate, or 0."""
    for trigger, cands in requirements:
        if solver.value(trigger) is True:
            pick = solver.first_open(cands)
            if pick:
                return pick
    return 0


def _random_search(seed: int) -> int:
    rnd = random.Random(seed)
    s = SatSolver()
    count = rnd.randint(10, 40)
    s.new_vars(count)
    for _ in range(rnd.randint(count, 4 * count)):
        size = rnd.randint(2, 3)
        s.add_clause([v if rnd.random() < 0.5 else -v
                      for v in rnd.sample(range(1, count + 1), size)])
    requirements: list = []
    encoder = SimpleNamespace(requirements=requirements, _roots=[])

    def requirement():
        trigger = rnd.randint(1, count)
        cands = tuple(rnd.sample(range(1, count + 1), rnd.randint(1, 4)))
        return trigger, cands

    requirements.extend(requirement() for _ in range(rnd.randint(5, 25)))
    late = rnd.sample(range(1, count + 1), 3)

    def add_later(_var):  # as the encoder does when a record is first true
        requirements.append(requirement())

    s.on_true_many(late, add_later)
    brancher = make_brancher(encoder)
    decisions = []

    def checked(solver):
        pick = brancher(solver)
        assert pick == _full_scan(solver, requirements)
        decisions.append(pick)
        return pick

    s.set_brancher(checked)
    for _ in range(5):  # incremental solves under different assumptions
        assumptions = [v if rnd.random() < 0.5 else -v
                       for v in rnd.sample(range(1, count + 1), rnd.randint(0, 3))]
        s.solve(assumptions=assumptions)
    return len(decisions), s.backtracks


@pytest.mark.parametrize("seed", range(200))
def test_brancher_picks_what_a_full_scan_picks(seed):
    _random_search(seed)  # checks every decision


def test_the_random_searches_decide_and_backtrack():
    """The searches above decide and undo assignments often (a solve's start and end
    included), so the resumption is checked after backtracks, not only along one descent."""
    decisions, backtracks = map(sum, zip(*(_random_search(seed) for seed in range(200))))
    assert decisions > 1000 and backtracks > 500
