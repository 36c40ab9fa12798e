"""Classic's objectives (``Resolve.solve``), in classic's order, minimised lexicographically.

Each objective is a list of (literal, coefficient) terms. Classic minimises the peak (largest
active coefficient) first when some coefficient exceeds 1, then the sum over the terms not
above the peak, and keeps each optimum as a constraint while the next objective is minimised.
We do the same in one incremental solver (``engine-algorithms.md`` §3.5, option A):

* peak: re-solve assuming every term at or above the current peak false, until that fails;
  then forbid the terms above the peak for good (classic's ``Prevent``);
* sum: keep a permanent bound ``sum <= v`` and probe ``sum <= v - 1`` through a bound switched
  on by an activation literal (assumed), tightening both after each better model; when the
  probe fails, the activation literal is set false for good.

A lower bound (``lower_bound``) skips the final failing probe when the model already meets it.
So do terms known to hold in every model (``held``, per objective: classic's package count
over the names every model installs): when the model's true terms are only those, it is
optimal without a probe, and the other terms are forbidden for good (units, not a bound).

The sum's bounds count a ladder per exclusive group (``exclusive``: a name's records): one
variable per coefficient level, "the group's true term weighs at least this", each implying
the level below, with weight the step between the two. The bound means the same (a group
has one true term at most), but a learnt clause can then say "this name is at version rank 2
or worse" instead of naming records; without that, proving an optimum over a few dozen names
that each have two or three acceptable records takes the solver longer than any user waits
(R stacks of ``index4.json``: no answer in minutes before, 0.03-0.2 s a solve now).
"""

from __future__ import annotations

from .policy import KEY_BUILD_NUMBER, KEY_CHANNEL, KEY_NOARCH, KEY_TIMESTAMP, KEY_VERSION


def rank_records(ids, keys, ignore_timestamps: bool) -> dict:
    """Classic's rank walk (``generate_version_metrics``) over one name's reduced records,
    best first, with their order keys (aligned with ``ids``): rid -> (channel, version,
    build number, noarch, timestamp) ranks."""
    ranks = {}
    previous = None
    ic = iv = ib = ia = it = 0
    for rid, key in zip(ids, keys):
        if previous is None:
            pass
        elif previous[0] != key[0] or previous[KEY_CHANNEL] != key[KEY_CHANNEL]:
            ic += 1
            iv = ib = ia = it = 0
        elif previous[KEY_VERSION] != key[KEY_VERSION]:
            iv += 1
            ib = ia = it = 0
        elif previous[KEY_BUILD_NUMBER] != key[KEY_BUILD_NUMBER]:
            ib += 1
            ia = it = 0
        elif previous[KEY_NOARCH] != key[KEY_NOARCH]:
            ia += 1
            it = 0
        elif not ignore_timestamps and previous[KEY_TIMESTAMP] != key[KEY_TIMESTAMP]:
            it += 1
        ranks[rid] = (ic, iv, ib, ia, it)
        previous = key
    return ranks


def version_terms(names, groups, ranks, rec_var) -> tuple:
    """Terms of each rank position (0 channel .. 4 timestamp) over the given names: five
    lists of (variable, coefficient), built in one walk over the names' records."""
    by_position = ([], [], [], [], [])
    for name in names:
        for rid in groups.get(name, ()):
            var = rec_var[rid]
            for terms, coeff in zip(by_position, ranks[rid]):
                if coeff:
                    terms.append((var, coeff))
    return by_position


#: conflicts a probe searches with the caller's brancher before the solver's own heuristic
#: takes over. Every probe of the tests and of conda's ``test_solve.py`` ends within 99 (half
#: within 0, 99% within 18), so their answers are the brancher's; a proof that took thousands
#: of conflicts under the brancher takes hundreds without it.
GUIDED_CONFLICTS = 100


class _Objective:
    """An objective once its minimisation has begun: what a late term must join."""

    __slots__ = ("bounds", "done", "terms")

    def __init__(self, terms: list):
        self.terms = terms  # (literal, coefficient > 0), extended in place by late terms
        self.bounds: list[int] = []  # PB handles over every term (the bound, the probe)
        self.done = False


class Optimizer:
    """Runs objectives one after the other on a solver that has a model.

    A lazy encoding creates a name's variables only when a clause first needs them, so an
    objective's terms on such a name arrive late (``extend``). Until then the name's records
    were all false, contributing nothing, and each optimum was proved on a subset of the full
    problem's clauses, so it is the full problem's optimum too. Hence a late term is false in
    every model that keeps the optima already found: whatever else holds, the terms present
    then already sum to at least the optimum. So late terms are forbidden for an objective
    already minimised, join the sum (and its bounds) of the one being minimised, and wait
    with the others.
    """

    def __init__(self, solver, objectives=(), exclusive=None, held=None):
        """``objectives``: (label, terms) in order; ``run`` minimises them. ``exclusive``:
        literal -> a group key or None; literals with the same key are never true together
        (the sums count them through a ladder). ``held``: label -> a function returning a
        set of literals true in every model of the clauses so far and to come (any subset
        of those is sound), called when that objective's minimisation starts."""
        self.solver = solver
        self.exclusive = exclusive
        self.held = held or {}
        self.objectives = list(objectives)
        self.model: set | None = None  # set of true variables
        self.values: dict[str, int] = {}
        self.solves = 0
        self._waiting = {label: terms for label, terms in self.objectives}
        self._started: dict[str, _Objective] = {}

    def run(self, model: set) -> None:
        """Minimise every objective, in order, from ``model`` (a first model's true vars)."""
        self.model = model
        for label, terms in self.objectives:
            self.minimize(label, terms)

    def extend(self, label: str, terms: list) -> None:
        """Add (literal, coefficient) terms over new variables, not true, to an objective."""
        terms = [(lit, coeff) for lit, coeff in terms if coeff > 0]
        if not terms:
            return
        objective = self._started.get(label)
        if objective is None:
            self._waiting[label].extend(terms)
        elif objective.done:  # "sum <= 0": a unit each, allowed in the middle of a search
            self.solver.add_pb_le([(1, lit) for lit, _ in terms], 0, reason=("objective", label))
        else:
            objective.terms.extend(terms)
            if objective.bounds:  # the sum's bounds exist: they count the new terms too
                pairs = self._sum_pairs(label, terms)
                for handle in objective.bounds:
                    self.solver.add_pb_terms(handle, pairs)

    def _true(self, lit: int) -> bool:
        return (lit in self.model) if lit > 0 else (-lit not in self.model)

    def _resolve(self, assumptions) -> bool:
        """One probe: classic's preferences decide for its first ``GUIDED_CONFLICTS``
        conflicts, which is where a better model is found when there is one; past them the
        probe is most likely a proof that there is none, which activity-driven decisions
        find faster, so the solver's own heuristic (VSIDS) finishes it."""
        self.solves += 1
        solver = self.solver
        brancher = solver.brancher
        if brancher is None:  # the solver's own heuristic from the start
            found = solver.solve(assumptions=assumptions)
        else:
            found = solver.solve(assumptions=assumptions, conflict_limit=GUIDED_CONFLICTS)
        if found is None:
            solver.set_brancher(None)
            try:
                found = solver.solve(assumptions=assumptions)
            finally:
                solver.set_brancher(brancher)
        if found:
            self.model = solver.model()
            return True
        return False

    def minimize(self, label: str, terms: list, lower_bound: int = 0) -> int:
        """Minimise one objective; keep its optimum as a constraint; return the optimum."""
        self._waiting.pop(label, None)
        objective = self._started[label] = _Objective(
            [(lit, coeff) for lit, coeff in terms if coeff > 0])
        self.values[label] = self._minimized(label, objective, lower_bound)
        objective.done = True
        objective.bounds = []
        return self.values[label]

    def _minimized(self, label: str, objective: _Objective, lower_bound: int) -> int:
        solver = self.solver
        true = self._true
        terms = objective.terms
        total = sum(coeff for lit, coeff in terms if true(lit))
        if total == 0:
            solver.add_units([-lit for lit, _ in terms], reason=("objective", label))
            return 0
        held = self._held(label, terms, total)
        if max(coeff for _, coeff in terms) > 1:
            self._minimize_peak(objective, held)
            terms = objective.terms
            total = sum(coeff for lit, coeff in terms if true(lit))
        floor = sum(coeff for lit, coeff in terms if lit in held)
        if floor == total:  # no model does better, nor equals it with another term true
            solver.add_units([-lit for lit, _ in terms if lit not in held],
                             reason=("objective", label))
            return total
        lower_bound = max(lower_bound, floor)
        pairs = self._sum_pairs(label, terms)
        permanent = solver.add_pb_le(pairs, total)  # classic keeps each optimum as a bound
        objective.bounds.append(permanent)
        if total > lower_bound:
            total = self._minimize_sum(label, objective, pairs, total, lower_bound, permanent)
        return total

    def _held(self, label: str, terms: list, total: int) -> set:
        """Literals of ``terms`` true in every model: the ones level 0 fixes, and when they
        do not account for the model's ``total``, what ``held[label]`` finds."""
        solver = self.solver
        if not solver.propagate():
            return set()
        value = solver.value
        held = {lit for lit, _ in terms if value(lit)}
        finder = self.held.get(label)
        if finder is not None and sum(coeff for lit, coeff in terms if lit in held) < total:
            held.update(finder())
        if not all(self._true(lit) for lit in held):
            raise RuntimeError(f"{label}: a literal said to hold in every model is false in "
                               f"the model found")
        return held

    def _minimize_peak(self, objective: _Objective, held: set) -> None:
        """Lower the largest true coefficient as far as it goes (not below a ``held`` term's);
        forbid the terms above it."""
        solver = self.solver
        true = self._true
        peak = max((coeff for lit, coeff in objective.terms if true(lit)), default=0)
        floor = max((coeff for lit, coeff in objective.terms if lit in held), default=0)
        while peak > floor:
            # terms joining during this solve are not assumed false; the next round sees them
            if not self._resolve([-lit for lit, coeff in objective.terms if coeff >= peak]):
                break
            peak = max((coeff for lit, coeff in objective.terms if self._true(lit)), default=0)
        solver.add_units([-lit for lit, coeff in objective.terms if coeff > peak],
                         reason=("objective-peak", peak))
        objective.terms = [(lit, coeff) for lit, coeff in objective.terms if coeff <= peak]

    def _sum_pairs(self, label: str, terms: list) -> list:
        """The (coefficient, literal) pairs the sum's bounds count for ``terms``: a ladder
        per exclusive group of two terms or more, the other terms themselves. (Late terms of
        a group get a ladder of their own: one true term at most across the group still
        means one ladder counting at most.)"""
        exclusive = self.exclusive
        pairs = []
        groups: dict = {}
        for lit, coeff in terms:
            key = None if exclusive is None else exclusive(lit)
            if key is None:
                pairs.append((coeff, lit))
            else:
                groups.setdefault(key, []).append((lit, coeff))
        solver = self.solver
        reason = ("objective-ladder", label)
        for members in groups.values():
            if len(members) == 1:
                lit, coeff = members[0]
                pairs.append((coeff, lit))
                continue
            step = {}
            below = 0
            for level in sorted({coeff for _, coeff in members}):
                var = solver.new_var()
                if below:
                    solver.add_clause([-var, step[below]], reason=reason)
                pairs.append((level - below, var))
                step[level] = var
                below = level
            for lit, coeff in members:
                solver.add_clause([-lit, step[coeff]], reason=reason)
        return pairs

    def _minimize_sum(self, label, objective, pairs, total, lower_bound, permanent) -> int:
        solver = self.solver
        switch = solver.new_var()
        big = sum(coeff for coeff, _ in pairs)
        # switch true: sum <= total - 1; switch false: implied by the permanent bound
        # (sum <= total), late terms included, since big >= 1
        probe = solver.add_pb_le(pairs + [(big, switch)], total - 1 + big)
        objective.bounds.append(probe)
        while total > lower_bound:
            if not self._resolve([switch]):
                break
            better = sum(coeff for lit, coeff in objective.terms if self._true(lit))
            if better >= total:  # the bounds count every term at least once: cannot happen
                raise RuntimeError(f"{label}: a model at {better} passed the probe "
                                   f"for {total - 1}")
            total = better
            solver.set_pb_bound(permanent, total)
            if total > lower_bound:
                solver.set_pb_bound(probe, total - 1 + big)
        solver.add_clause([-switch], reason=("objective-done", label))
        return total
