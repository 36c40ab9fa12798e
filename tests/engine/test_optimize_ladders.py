"""The optimizer's sums count a ladder per exclusive group and keep classic's optima.

``Optimizer(exclusive=...)`` replaces a name's record terms, in the sum's bounds, by one
variable per coefficient level. These tests compare its optima with a brute force over every
assignment (classic's rule: the peak first when a coefficient exceeds 1, then the sum of the
terms not above it, each optimum kept), with and without the ladders, and follow terms that
arrive late into a laddered sum.
"""

from __future__ import annotations

import itertools
import random

import pytest

from conda_altsolver.engine.optimize import Optimizer
from conda_altsolver.engine.sat import SatSolver


def _random_problem(rng: random.Random):
    """Groups of 1-3 records (at most one each, some required), random clauses between
    records, and two objectives with coefficients 0-4 over the records."""
    groups = [[0] * rng.randint(1, 3) for _ in range(rng.randint(2, 4))]
    var = 0
    for group in groups:
        for index in range(len(group)):
            var += 1
            group[index] = var
    records = [v for group in groups for v in group]
    clauses = []
    for group in groups:
        clauses.extend([-a, -b] for a, b in itertools.combinations(group, 2))
        if rng.random() < 0.6:
            clauses.append(list(group))
    for _ in range(rng.randint(0, 5)):
        picked = rng.sample(records, min(len(records), rng.randint(2, 3)))
        clauses.append([v if rng.random() < 0.5 else -v for v in picked])
    objectives = [(label, [(v, rng.randint(0, 4)) for v in records]) for label in ("x", "y")]
    return groups, records, clauses, objectives


def _brute_force(records, clauses, objectives):
    """Classic's lexicographic optima over every model, or None when there is none."""
    models = []
    for bits in itertools.product((False, True), repeat=len(records)):
        true = {v for v, bit in zip(records, bits) if bit}
        if all(any((lit in true) if lit > 0 else (-lit not in true) for lit in c)
               for c in clauses):
            models.append(true)
    if not models:
        return None
    values = {}
    for label, terms in objectives:
        terms = [(v, c) for v, c in terms if c > 0]
        if terms and max(c for _, c in terms) > 1:
            peak = min(max((c for v, c in terms if v in m), default=0) for m in models)
            models = [m for m in models if all(v not in m for v, c in terms if c > peak)]
        cost = {id(m): sum(c for v, c in terms if v in m) for m in models}
        values[label] = min(cost.values())
        models = [m for m in models if cost[id(m)] == values[label]]
    return values


def _optimize(groups, clauses, objectives, laddered: bool):
    s = SatSolver()
    s.new_vars(sum(len(g) for g in groups))
    for clause in clauses:
        s.add_clause(clause)
    if not s.solve():
        return None
    group_of = {v: index for index, group in enumerate(groups) for v in group}
    optimizer = Optimizer(s, objectives, exclusive=group_of.get if laddered else None)
    optimizer.run(s.model())
    return optimizer.values


@pytest.mark.parametrize("seed", range(300))
def test_ladders_keep_the_optima_of_every_assignment(seed):
    groups, records, clauses, objectives = _random_problem(random.Random(seed))
    expected = _brute_force(records, clauses, objectives)
    assert _optimize(groups, clauses, objectives, laddered=True) == expected
    assert _optimize(groups, clauses, objectives, laddered=False) == expected


def test_a_ladder_has_a_variable_per_coefficient_level():
    """Levels 1 and 3 of one group: two ladder variables, the upper implying the lower, with
    weights 1 and 2; a model at level 3 counts 3 and at level 1 counts 1."""
    s = SatSolver()
    a, b, c = s.new_vars(3)
    s.add_clause([a, b, c])
    for x, y in itertools.combinations((a, b, c), 2):
        s.add_clause([-x, -y])
    s.add_clause([-a])  # a costs 1 and is out: b (3) and c (1) are left
    assert s.solve()
    before = s.num_vars
    optimizer = Optimizer(s, [("cost", [(a, 1), (b, 3), (c, 1)])], exclusive=lambda v: "g")
    optimizer.run(s.model())
    assert optimizer.values == {"cost": 1}
    assert s.num_vars - before >= 2  # the two levels (the probe's switch may add one)
    assert optimizer.model & {a, b, c} == {c}


def test_late_terms_join_a_laddered_sum():
    """Terms arriving during the sum's minimisation get ladders of their own, also in a group
    already laddered; the optimum counts them at their weight."""
    s = SatSolver()
    a1, a2, b, c1, c2, c3 = s.new_vars(6)
    s.add_clause([a1, a2])
    s.add_clause([-a1, -a2])
    for c in (c1, c2, c3):
        s.add_clause([-a2, c])  # a2 costs 4 (a2 and the three c)
    s.add_clause([-a1, b])  # a1 costs 1, and needs b, which brings the late names
    late = []

    def activate(_var):
        z1, z2, a3 = s.new_vars(3)
        late.extend((z1, z2, a3))
        group_of.update({z1: "z", z2: "z", a3: "a"})
        optimizer.extend("cost", [(z1, 1), (z2, 2), (a3, 1)])
        s.add_clause([-b, z1, z2])
        s.add_clause([-z1, -z2])
        s.add_clause([-z1])  # z1 is out: b costs 2 through z2, so a1 costs 3 in all
        s.add_clause([-a3, -a1])
        s.add_clause([-a3, -a2])

    group_of = {a1: "a", a2: "a"}
    s.on_true(b, activate)
    optimizer = Optimizer(s, exclusive=group_of.get)
    assert s.solve([a2]) and b not in s.model()  # the first model: a2, at 4, nothing late
    optimizer.model = s.model()
    terms = [(a1, 1), (a2, 1), (c1, 1), (c2, 1), (c3, 1)]  # all 1: no peak, the sum at once
    assert optimizer.minimize("cost", terms) == 3  # z2 counts 2, not 1
    z1, z2, a3 = late
    assert optimizer.model & {a1, a2, a3, z1, z2} == {a1, z2}
    assert not s.solve([a2])  # 4 > 3: the optimum stays as a bound
