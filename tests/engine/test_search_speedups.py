"""The fast paths of the search give the answers of the plain algorithms they replace.

* ``Reduction``: watched supports and the "nothing to drop" check in ``filter_group`` against
  the step-by-step port of classic's ``filter_group`` (kept here as the reference), on seeded
  random channels with self-dependencies, features, constrains and two channels;
* ``SatSolver.add_requires``, ``add_requires_many``, ``add_implied_group`` and
  ``add_clause``'s fast path against the checked path;
* ``_DepGraph.shortest_paths`` (batched queue) against classic's path-copying search, and
  ``_DepGraph.reachable`` (level by level) against its queue walk;
* the brancher that resumes after the requirements it found settled against a full scan;
* ``Pool.matches``' slices of a group in version order against each record's own match.
"""

from __future__ import annotations

import importlib
import random
import sys
from collections import deque
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, Repo
from conda_altsolver.engine.chains import _DepGraph, _spec_name, _union_specs
from conda_altsolver.engine.pool import Pool
from conda_altsolver.engine.reduce import Reduction
from conda_altsolver.engine.sat import SatSolver
from conda_altsolver.engine import encode as encode_module
from conda_altsolver.engine.solve import _parse_requests, _requested_features

# the module, not the ``solve`` function that ``conda_altsolver.engine`` exports by that name
solve_module = importlib.import_module("conda_altsolver.engine.solve")


@pytest.fixture(autouse=True)
def _searched(monkeypatch):
    """Solves here go through the search, even one whose answer the objectives
    force (``forced.py``, tested in ``test_forced.py``)."""
    monkeypatch.setattr(solve_module._Solve, "forcing", False)


# -- the reduction ------------------------------------------------------------------------------


class _ReferenceReduction(Reduction):
    """classic's ``filter_group`` as first ported: every live record's masks tested per call."""

    def _filter_group(self, specs):
        pool = self.pool
        filter_out = self.filter_out
        name = specs[0].name
        key = (name, *specs)
        if name in self.snames and self._quiet.get(key) == self.drops:
            return False
        group = pool.group(name) if _plain(name) else ()
        if group and self.strict and name not in self.cp_filter_applied:
            channel = self.strict_channel(name)
            for rid in group:
                if self._channel(rid) != channel:
                    self._drop(rid, "removed due to strict channel priority")
            self.cp_filter_applied.add(name)
        match_mask = 0
        for dep in specs:
            match_mask |= pool.dep_mask(dep)
        required_mask = self.explicit_pool.get(name)
        old = 0
        survivors = []
        alive = ~self.dead
        for rid in group:
            if filter_out.setdefault(rid, False):
                continue
            old += 1
            if not (match_mask >> rid) & 1 or (required_mask and not (required_mask >> rid) & 1):
                self._drop(rid, "incompatible with required spec")
                alive = ~self.dead
                continue
            deps = pool.deps(rid)
            if deps is None:
                self._drop(rid, "invalid dep specs")
                alive = ~self.dead
                continue
            for mask in pool.required_masks(rid):
                if not mask & alive:
                    missing = [d for d in deps if not d.optional and not pool.dep_mask(d) & alive]
                    texts = " ".join(d.text for d in missing)
                    self._drop(rid, "unsatisfiable dependencies " + texts)
                    alive = ~self.dead
                    break
            else:
                filter_out[rid] = False
                survivors.append(rid)
        new = len(survivors)
        reduced = new < old
        drops = self.drops
        if any(dep.optional for dep in specs):
            if not reduced:
                self._quiet[key] = drops
            return reduced
        if new == 0:
            return None
        if reduced or name not in self.snames:
            self.snames.add(name)
            for deps in self._reference_shared_deps(survivors):
                result = self._filter_group(deps)
                if result:
                    reduced = True
                elif result is None:
                    return None
        if not reduced and self.drops == drops:
            self._quiet[key] = drops
        return reduced

    def _reference_shared_deps(self, survivors):
        """Per name every survivor requires, the distinct deps on it, by a tally."""
        names = {}
        for rid in survivors:
            for dep in self.pool.required_by_name(rid).values():
                names.setdefault(dep.name, []).append(dep)
        return [list(dict.fromkeys(deps)) for deps in names.values()
                if len(deps) == len(survivors)]


def _plain(name):
    return bool(name) and not any(c in name for c in "*?[")


sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_channels import random_records  # noqa: E402

NAMES = ["a", "b", "c", "d", "e"]


def _random_records(rnd: random.Random) -> list:
    return random_records(rnd, NAMES)


def _pool(records, strict):
    priority = "strict" if strict else "flexible"
    policy = Policy(channel_order=("one", "two"), channel_priority=priority)
    return Pool([Repo.from_records(records)], policy)


def _reduce(cls, records, specs, strict, pool=None):
    pool = pool or _pool(records, strict)
    requests = _parse_requests(pool, specs)
    reduction = cls(pool, strict)
    kept = reduction.run([r.dep for r in requests if r.dep is not None],
                         _requested_features(requests))

    def ident(rid):  # ids follow the pool's load order: compare records instead
        record = pool.records[rid]
        return record["name"], record["version"], record["build"]

    return [ident(rid) for rid in kept], {ident(r): _kind(why)
                                          for r, why in reduction.filter_out.items()}


def _kind(why):
    """A drop's reason without classic's list of the dependencies left without a match,
    which the reference spells out and the engine no longer does (nothing reads it)."""
    if isinstance(why, str) and why.startswith("unsatisfiable dependencies"):
        return "unsatisfiable dependencies"
    return why


@pytest.mark.parametrize("seed", range(60))
def test_reduction_matches_the_step_by_step_port(seed):
    rnd = random.Random(seed)
    records = _random_records(rnd)
    for strict in (True, False):
        for _ in range(4):
            specs = [rnd.choice([n, f"{n} >={rnd.randint(1, 3)}", f"{n} {rnd.randint(1, 3)}.*"])
                     for n in rnd.sample(NAMES, rnd.randint(1, 3))]
            if rnd.random() < 0.2:
                specs.append("fx@")
            assert _reduce(Reduction, records, specs, strict) == _reduce(
                _ReferenceReduction, records, specs, strict)


@pytest.mark.parametrize("shape", [{}, {"versions": 5, "builds": 2, "missing": 0.05}])
@pytest.mark.parametrize("strict", [True, False])
def test_reductions_sharing_a_pool_match_fresh_ones(shape, strict):
    """Later reductions on one pool (as the conflict search, and the calls of one conda
    solve, run them) find its records loaded and its matches computed, in the order earlier
    reductions loaded them; they must not depend on that. (A feature's trackers were once
    tried in load order: 146 of these 6000 reductions judged other records or listed them in
    another order, and 3 kept other records.)"""
    for seed in range(300):
        rnd = random.Random(seed)
        records = random_records(rnd, NAMES, **shape)
        pool = _pool(records, strict)
        for _ in range(5):
            specs = [rnd.choice(NAMES) for _ in range(rnd.randint(1, 3))]
            assert _reduce(Reduction, records, specs, strict, pool) == _reduce(
                Reduction, records, specs, strict)


def test_eager_encoding_rules_out_a_record_by_its_first_unmet_dependency_alone():
    # a record whose dependency nothing provides gets one unit clause, blaming the first such
    # dependency in merged (text) order, and no clause for its other dependencies: they would
    # hold for good
    records = [
        {"name": "a", "version": "1", "build": "0", "depends": ["nowhere", "b", "missing"]},
        {"name": "a", "version": "2", "build": "0", "depends": ["b"]},
        {"name": "b", "version": "1", "build": "0", "depends": []},
    ]
    pool = _pool(records, strict=True)
    groups = {name: list(pool.group(name)) for name in ("a", "b")}
    solver = SatSolver()
    encoder = encode_module.Encoder(solver, pool, groups, lambda rid: rid,
                                    virtual_clauses=True, eager=True)
    old = next(rid for rid in groups["a"] if pool.records[rid]["version"] == "1")
    reasons = [r for r in solver._origin if isinstance(r, tuple) and r[:2] == ("requires", old)]
    assert reasons == [("requires", old, "missing")]
    assert solver.level0_value(encoder.rec_var[old]) is False
    new = next(rid for rid in groups["a"] if pool.records[rid]["version"] == "2")
    assert solver.solve([encoder.rec_var[new]])


# -- the SAT core -------------------------------------------------------------------------------


def test_add_requires_is_the_clause_not_var_or_cands():
    s = SatSolver()
    a, b, c = s.new_var(), s.new_var(), s.new_var()
    cands = (b, c)
    s.add_requires(a, cands, reason="r1")
    s.add_clause([-b])
    assert s.solve([a]) and s.model() == {a, c}
    s.add_requires(c, (), reason="r2")  # nothing to choose from: c is false
    assert not s.solve([a])
    assert set(s.conflict_reasons()) >= {"r1", "r2"}


def test_add_requires_tautology_repeats_and_errors_as_add_clause():
    s = SatSolver()
    a, b = s.new_var(), s.new_var()
    assert s.add_requires(a, (a, b)) == -1  # a needs a: always true
    cid = s.add_requires(a, (b, b))
    assert s._lits[cid] == [2 * a + 1, 2 * b]  # repeats dropped, as add_clause does
    with pytest.raises(ValueError):
        s.add_requires(a, (b, 7))
    with pytest.raises(ValueError):
        s.add_requires(0, (b,))


@pytest.mark.parametrize("seed", range(20))
def test_add_requires_and_add_clause_search_alike(seed):
    rnd = random.Random(seed)
    clauses = []
    for _ in range(60):
        var = rnd.randint(1, 20)
        clauses.append((var, tuple(rnd.sample(range(1, 21), rnd.randint(0, 4)))))
    models = []
    for bulk in (True, False):
        s = SatSolver()
        for _ in range(20):
            s.new_var()
        for var, cands in clauses:
            if bulk:
                s.add_requires(var, cands)
            else:
                s.add_clause([-var, *cands])
        found = []
        for assumptions in ([1, 2], [3, -4, 5], [6, 7, 8, 9]):
            found.append(s.model() if s.solve(assumptions) else s.core())
        models.append(found)
    assert models[0] == models[1]


def _bulk_state(records, unit, add):
    """A 12-variable solver after ``add(solver, var, pairs)`` per record (a unit clause first
    when ``unit``): its clauses, reasons, watches and answers to three assumption sets."""
    s = SatSolver()
    s.new_vars(12)
    if unit is not None:
        s.add_clause([unit])  # something assigned at level 0
    for var, pairs in records:
        add(s, var, pairs)
    found = [s.model() if s.solve(a) else sorted(s.core()) for a in ([1, 2], [-3, 4], [5])]
    return s._lits, s._origin, s._watches, s._binaries, found


@pytest.mark.parametrize("seed", range(20))
def test_add_requires_many_is_add_requires_one_by_one(seed):
    """The bulk call stores the same clauses, in the same order, with the same watches and
    reasons, as one ``add_requires`` per pair: empty, unit, tautological and repeating
    candidate tuples included, shared tuples too, and with or without assignments."""
    rnd = random.Random(seed)
    shared = [tuple(rnd.sample(range(1, 13), rnd.randint(0, 4))) for _ in range(4)]
    shared.append((3, 3, 5))  # repeats
    records = []
    for index in range(10):
        var = rnd.randint(1, 12)
        pairs = [(rnd.choice(shared) if rnd.random() < 0.7 else
                  tuple(rnd.sample(range(1, 13), rnd.randint(0, 3))), ("r", index, k))
                 for k in range(rnd.randint(0, 5))]
        records.append((var, pairs))
    unit = rnd.randint(1, 12) if seed % 3 == 0 else None

    def one_by_one(s, var, pairs):
        for cands, reason in pairs:
            s.add_requires(var, cands, reason)

    assert _bulk_state(records, unit, SatSolver.add_requires_many) == _bulk_state(
        records, unit, one_by_one)


@pytest.mark.parametrize("seed", range(40))
def test_add_implied_group_is_add_clause_one_by_one(seed):
    """The bulk call (one ``IMPLIED`` constraint per call) searches exactly as one
    ``add_clause([-var, lit])`` per literal: the same answers, cores, refutation reasons and
    search statistics, under assumption sets that force conflicts, with the variable itself
    or its negation among the literals, repeats, and assignments made before, included."""
    rnd = random.Random(seed)
    size = 16
    records = []
    for index in range(14):
        var = rnd.randint(1, size)
        pairs = [(tuple(rnd.choice((1, -1)) * rnd.randint(1, size)
                        for _ in range(rnd.randint(1, 4))), ("r", index, k))
                 for k in range(rnd.randint(0, 4))]
        records.append((var, pairs))
    extra = [[rnd.choice((1, -1)) * rnd.randint(1, size) for _ in range(rnd.randint(2, 4))]
             for _ in range(12)]
    unit = rnd.randint(1, size) if seed % 3 == 0 else None
    assumption_sets = [[rnd.choice((1, -1)) * v for v in rnd.sample(range(1, size + 1), k)]
                       for k in (2, 4, 6, 8, 10)]

    def one_by_one(s, var, pairs):
        for lits, reason in pairs:
            for lit in lits:
                s.add_clause([-var, lit], reason)

    def run(add):
        s = SatSolver()
        s.new_vars(size)
        if unit is not None:
            s.add_clause([unit], ("unit",))
        for var, pairs in records:
            add(s, var, pairs)
        for index, clause in enumerate(extra):
            s.add_clause(clause, ("extra", index))
        found = []
        for assumptions in assumption_sets:
            if s.solve(assumptions):
                found.append(("model", sorted(s.model())))
            else:
                found.append(("core", sorted(s.core()), s.conflict_reasons()))
        return found, s.stats

    def grouped(s, var, pairs):
        s.add_implied_group(var, [lits for lits, _ in pairs], [reason for _, reason in pairs])

    assert run(grouped) == run(one_by_one)


def test_implied_reasons_explain_a_refutation():
    """A refutation through ``IMPLIED`` constraints names the pairs it used, both ways: a
    record that implies a false literal, and a literal implied true by a record."""
    s = SatSolver()
    a, b, c, d = s.new_vars(4)
    s.add_implied_group(a, [(b, -c)], ["a needs b, not c"])
    s.add_implied_group(d, [(c,)], ["d needs c"])
    assert s.solve([a, d]) is False
    assert sorted(s.core()) == [a, d]
    assert sorted(s.conflict_reasons()) == ["a needs b, not c", "d needs c"]
    assert s.solve([a]) and {a, b} <= s.model() and c not in s.model()
    assert s.solve([d, -b]) and d in s.model() and a not in s.model()


class _CountedReasons:
    """A reasons sequence that notes which entries were read."""

    def __init__(self):
        self.read = []

    def __getitem__(self, index):
        self.read.append(index)
        return f"a, part {index}"


def test_implied_group_cites_the_part_a_refutation_used():
    """One ``add_implied_group`` call is one constraint; a refutation still names the part
    (and only reads the reason of the part) that it used, in both directions."""
    s = SatSolver()
    a, b, c, d, e = s.new_vars(5)
    reasons = _CountedReasons()
    s.add_implied_group(a, [(b,), (-c, d), (-e,)], reasons)
    s.add_clause([c, -d], "d needs c")
    assert reasons.read == []
    assert s.solve([a]) is False  # a implies d and not c: part 1 against the clause
    assert s.conflict_reasons() == ["a, part 1", "d needs c"]
    assert set(reasons.read) == {1}
    assert s.solve([-a]) and s.solve([b, -c])

    s = SatSolver()
    a, b, c, d, e = s.new_vars(5)
    s.add_implied_group(a, [(b,), (-c, d), (-e,)], _CountedReasons())
    s.add_clause([e], "e")  # part 2 rules a out
    assert s.solve([a]) is False
    assert s.conflict_reasons() == ["a, part 2", "e"]


def test_add_clause_fast_path_still_validates():
    s = SatSolver()
    a = s.new_var()
    for bad in ([0], [a, 2], [-2, a]):
        with pytest.raises(ValueError):
            s.add_clause(bad)
    assert s.add_clause([a, -a]) == -1
    assert s.add_clause(iter([a, a])) >= 0  # a generator: read once, repeats dropped
    assert s.solve() and s.model() == {a}


# -- classic's chains ---------------------------------------------------------------------------


def _reference_shortest_paths(graph, root, target, wanted, depth):
    queue = deque([[root]])
    visited = set()
    paths = []
    while queue:
        path = queue.popleft()
        node = path[-1]
        if node in visited:
            continue
        visited.add(node)
        if _spec_name(node) == target:
            if not paths:
                paths.append(path)
            if len(paths[-1]) == len(path):
                paths[-1][-1] = _union_specs(path[-1], paths[-1][-1])
            else:
                paths.append(path)
            done = len(paths) == wanted and any(len(p) != len(path) for p in queue)
            if not queue or done:
                return paths
        children = graph.children(node) if len(path) <= depth else ()
        for child in children:
            if len(paths) < wanted:
                queue.append(path + [child])
    return paths


@pytest.mark.parametrize("seed", range(30))
def test_shortest_paths_match_classic_search(seed):
    rnd = random.Random(seed)
    policy = Policy(channel_order=("one", "two"))
    pool = Pool([Repo.from_records(_random_records(rnd))], policy)
    graph = _DepGraph(pool)
    for _ in range(10):
        root = rnd.choice(NAMES)
        target = rnd.choice(NAMES)
        wanted = rnd.randint(1, 3)
        depth = rnd.randint(1, 3)
        assert graph.shortest_paths(root, target, wanted, depth) == _reference_shortest_paths(
            graph, root, target, wanted, depth)


def _reference_reachable(graph, root, depth):
    """classic's walk as first ported: a queue of (node, length), duplicates and all."""
    found = {}
    queue = deque([(root, 1)])
    while queue:
        node, length = queue.popleft()
        children = graph.children(node)
        for child in children:
            found.setdefault(child)
        if length + 1 <= depth:
            queue.extend((child, length + 1) for child in children)
    return list(found)


@pytest.mark.parametrize("seed", range(30))
def test_reachable_matches_the_queue_walk(seed):
    rnd = random.Random(500 + seed)
    pool = Pool([Repo.from_records(_random_records(rnd))], Policy(channel_order=("one", "two")))
    graph = _DepGraph(pool)
    for _ in range(10):
        root = rnd.choice([*NAMES, f"{rnd.choice(NAMES)} >={rnd.randint(1, 3)}"])
        depth = rnd.randint(1, 4)
        expected = _reference_reachable(graph, root, depth)
        assert graph.reachable(root, depth) == expected
        assert graph.reached_set(root, depth) == set(expected)


# -- the brancher -------------------------------------------------------------------------------


def _full_scan_brancher(encoder):
    """``make_brancher`` before it resumed: every requirement looked at on every call."""
    requirements = encoder.requirements

    def brancher(solver):
        for trigger, cands in requirements:
            if solver.value(trigger) is not True:
                continue
            pick = solver.first_open(cands)
            if pick:
                return pick
        return 0

    return brancher


def _solve_recording(monkeypatch, make, records, specs):
    picks = []

    def recording(encoder):
        inner = make(encoder)

        def brancher(solver):
            pick = inner(solver)
            picks.append(pick)
            return pick

        return brancher

    monkeypatch.setattr(solve_module, "make_brancher", recording)
    pool_records = [dict(r) for r in records]
    policy = Policy(channel_order=("one", "two"), channel_priority="flexible")
    try:
        chosen = solve_module.solve([Repo.from_records(pool_records)], specs, policy=policy)
        answer = sorted((r["name"], r["version"], r["build"]) for r in chosen)
    except Exception as exc:  # the same failure is the same answer
        answer = type(exc).__name__
    return answer, picks


@pytest.mark.parametrize("seed", range(40))
def test_resuming_brancher_decides_as_a_full_scan(monkeypatch, seed):
    rnd = random.Random(4000 + seed)
    records = _random_records(rnd)
    for _ in range(3):
        specs = [rnd.choice([n, f"{n} >={rnd.randint(1, 3)}", f"{n} <{rnd.randint(2, 4)}"])
                 for n in rnd.sample(NAMES, rnd.randint(1, 4))]
        fast = _solve_recording(monkeypatch, encode_module.make_brancher, records, specs)
        slow = _solve_recording(monkeypatch, _full_scan_brancher, records, specs)
        assert fast == slow


# -- matching a group by slices -------------------------------------------------------------------


_VERSIONS = ["1", "1.0", "1.0.0", "1.0.1", "1.1", "1.2a", "1.2", "2", "2.0", "2.0.1", "3.0"]
_VERSION_SPECS = ["1.0", "1.0.*", ">=1.0", ">1.0,<2", "<=1.1", "!=1.0", "!=2", ">=3", "<1",
                  "1.*", "2", ">=1.2a,<2.0.1", "!=9", "1.0|2.0", "1.0.1 *", ">=1 1", "2.0 *_1"]


@pytest.mark.parametrize("seed", range(40))
def test_group_matches_are_the_records_each_spec_matches(seed):
    """``Pool._match_group`` takes a version run as a slice of the group when the group runs
    from the highest version down (``_version_cuts``), else tests each distinct version:
    both keep exactly the records the spec matches, in group order, whether the group is in
    version order (one channel) or not (two channels, flexible), with equal keys under
    different texts (``1``, ``1.0``, ``1.0.0``) and builds to match. The distinct versions
    it bisects are in key order (then text order), however the group runs: taken as they
    come when they already are, sorted when not."""
    from conda_altsolver.engine.spec import parse_spec
    from conda_altsolver.engine.version import version_key

    rng = random.Random(seed)
    channels = ["a"] if seed % 2 else ["a", "b"]
    records = [
        {"name": "x", "version": rng.choice(_VERSIONS), "build": f"h{i}_{rng.randint(0, 2)}",
         "build_number": rng.randint(0, 2), "depends": [], "subdir": "noarch",
         "channel": rng.choice(channels), "timestamp": rng.randint(0, 5)}
        for i in range(rng.randint(1, 14))
    ]
    policy = Policy(channel_order=tuple(channels), channel_priority="flexible")
    pool = Pool([Repo.from_records(records)], policy)
    group = pool.group("x")
    versions, distinct, keys, _cuts = pool._group_versions_of("x", group)
    pairs = sorted((version_key(text), text) for text in set(versions))
    assert (keys, distinct) == (tuple(k for k, _t in pairs), tuple(t for _k, t in pairs))
    for text in _VERSION_SPECS:
        spec = parse_spec(f"x {text}")
        expected = tuple(rid for rid in group if spec.match(pool.records[rid]))
        assert pool.matches(spec) == expected, text


# every field a spec may constrain that a repodata record carries, with values to match
_FIELD_SPECS = ["license_family=BSD", "license_family=bsd", "license_family='G*'",
                "license=MIT", "md5=m1", "sha256=s2", "subdir=noarch", "fn=x-1.0-h1_0.conda",
                "track_features=mkl", "features=mkl", "build_number=2", "build='h1*'",
                "version='>=1.0'", "channel=a", "flags=x", "url='*h1*'"]


@pytest.mark.parametrize("seed", range(20))
def test_group_matches_honour_every_record_field(seed):
    """``Pool._match_group`` checks versions and builds per distinct version and leaves the
    other fields to the record-by-record match: a field it skipped would match every record
    (``license_family`` and ``flags`` did, when a list of fields decided it; the spec now
    says whether it needs the whole record)."""
    from conda_altsolver.engine.spec import parse_spec

    rng = random.Random(seed)
    records = [
        {"name": "x", "version": rng.choice(_VERSIONS), "build": f"h{i}_{rng.randint(0, 2)}",
         "build_number": rng.randint(0, 2), "depends": [], "channel": "a",
         "subdir": rng.choice(["noarch", "linux-64"]), "fn": f"x-1.0-h{i}_0.conda",
         "license": rng.choice(["MIT", "BSD-3-Clause"]), "md5": f"m{i}", "sha256": f"s{i}",
         "license_family": rng.choice(["BSD", "GPL", "gpl3", None]),
         "track_features": rng.choice(["", "mkl"]), "features": rng.choice(["", "mkl"])}
        for i in range(rng.randint(1, 10))
    ]
    pool = Pool([Repo.from_records(records)], Policy(channel_order=("a",)))
    group = pool.group("x")
    for text in _FIELD_SPECS:
        spec = parse_spec(f"x[{text}]")
        expected = tuple(rid for rid in group if spec.match(pool.records[rid]))
        assert pool.matches(spec) == expected, text
