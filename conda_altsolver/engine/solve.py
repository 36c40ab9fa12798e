"""The solve pipeline: ``solve`` (classic's ``Resolve.solve``) and ``conflicting_specs``.

``solve``: parse the requests, check every required spec has a candidate (classic's
``verify_specs``), reduce the index (``reduce.py``), rank each name's reduced records
(``optimize.rank_records``); take the answer the objectives force when they force one
(``forced.py``); otherwise encode lazily (``encode.py``), find a first model with a brancher
that follows classic's preferences, then minimise classic's objectives in classic's order
(``optimize.py``). Return the chosen record dicts.

``conflicting_specs``: classic's ``get_conflicting_specs``: none when the reduced index has a
model; else, over the unreduced pool, the explicit specs are held first and every other spec
is tried in turn against those kept so far (classic's ``minimal_unsatisfiable_subset``).
An ``Unsatisfiable`` error's core is shrunk by deletion instead (``_minimal_conflict``), over
the clauses the reduction found refuting the requests when it found some.
"""

from __future__ import annotations

from contextlib import contextmanager
from time import perf_counter

from .encode import Encoder, make_brancher
from .errors import PackagesNotFound, Unsatisfiable
from .forced import forced_answer
from .gcpause import gc_paused
from .optimize import Optimizer, rank_records, version_terms
from .policy import Policy
from .pool import Pool
from .repo import split_features
from .reduce import ValidityMemo, reduced_ids
from .request import _target_key, as_request
from .sat import SatSolver
from .spec import parse_spec

#: rank positions in ``rank_records`` tuples
_IC, _IV, _IB, _IA, _IT = range(5)
#: the objectives over every other name's ranks, in classic's order (timestamps come later)
_OTHERS = (("others-channel", _IC), ("others-version", _IV), ("others-build", _IB),
           ("others-arch", _IA))


class _PerName(dict):
    """rid -> a value worked out for the record's whole name at its first lookup
    (``fill(ids)`` gives ``{rid: value}`` for the name's reduced ids): a lazy encoding
    never asks about most names, so their ranks and positions are never computed."""

    __slots__ = ("_fill", "_groups", "_names")

    def __init__(self, groups: dict, names: list, fill):
        super().__init__()
        self._groups = groups
        self._names = names
        self._fill = fill

    def __missing__(self, rid: int):
        self.update(self._fill(self._groups[self._names[rid]]))
        return self[rid]


def _ranks(groups: dict, pool: Pool) -> _PerName:
    """rid -> its ``rank_records`` tuple among its name's reduced records, per name."""
    ignore_timestamps = pool.policy.ignore_timestamps
    return _PerName(groups, pool.names,
                    lambda ids: rank_records(ids, pool.keys_of(ids), ignore_timestamps))


def _positions(groups: dict, pool: Pool) -> _PerName:
    """rid -> its position in its name's reduced group (classic's order), per name."""
    return _PerName(groups, pool.names, lambda ids: {rid: i for i, rid in enumerate(ids)})


class _Request:
    """A caller's spec, parsed, with its index in the caller's list."""

    __slots__ = ("index", "request", "spec", "features", "dep")

    def __init__(self, index, request, spec, features, dep):
        self.index = index
        self.request = request
        self.spec = spec
        self.features = features
        self.dep = dep


def _parse_requests(pool: Pool, specs) -> list:
    """Parse and de-duplicate (classic solves ``set(specs)``), keeping the caller's order."""
    seen = set()
    parsed = []
    for index, item in enumerate(specs):
        request = as_request(item)
        key = (request.spec, request.optional, _target_key(request.target))
        if key in seen:
            continue
        seen.add(key)
        spec = parse_spec(request.spec)
        features = split_features(spec.get("track_features"))
        dep = None if features else pool._dep(spec, request.optional)
        parsed.append(_Request(index, request, spec, features, dep))
    return parsed


def _pool_for(repos, policy: Policy, memo: ValidityMemo | None, specs: list) -> Pool:
    """The pool a call works on: with a memo, the one every call given that memo shares, as
    classic's calls share one ``Resolve`` (records loaded, dependencies parsed and match sets
    computed once per conda solve, not once per call); otherwise a pool of its own.

    A call that requests a feature gets a pool of its own even with a memo: the feature's
    pseudo-record would otherwise stay in the index of the calls after it.
    """
    if memo is None or any(_names_features(item) for item in specs):
        return Pool(repos, policy)
    return memo.shared_pool(repos, policy, Pool)


def _names_features(item) -> bool:
    return bool(split_features(parse_spec(as_request(item).spec).get("track_features")))


def _check_found(pool: Pool, requests: list) -> None:
    """Classic's ``verify_specs``: a required, non-feature spec with no match at all."""
    _raise_not_found([r for r in requests if r.dep is not None and not r.request.optional
                      and not pool.matches(r.spec)])


def _raise_not_found(missing: list) -> None:
    if missing:
        texts = [str(r.spec) for r in missing]
        raise PackagesNotFound(texts, [(text,) for text in texts])


def _check_reduced(pool: Pool, requests: list, groups: dict) -> None:
    """Classic's ``Resolve.solve`` when its reduced index comes out empty: a spec whose name
    no repo has is not found; otherwise, when every spec is optional, the request is
    unsatisfiable. (Required specs that empty the index go on to the solve, whose
    refutation explains them; optional specs alone cannot be refuted, since installing
    nothing meets them, so they are explained here.)"""
    if groups or not requests:
        return
    _raise_not_found([r for r in requests if r.dep is not None and not pool.matches(r.spec)
                      and not pool.group(r.spec.name)])
    if any(not r.request.optional for r in requests):
        return
    reasons = []
    for r in requests:
        if r.dep is None:
            continue
        if pool.matches(r.spec):
            reasons.append(f"the packages matching {r.request.spec} are ruled out by the "
                           f"other constraints")
        else:
            reasons.append(f"no {r.spec.name} package matches {r.request.spec}")
    specs = [r.request.spec for r in requests]
    text = (f"You constrained {' and '.join(specs)} without requesting a package to install, "
            f"and no package can be installed under these constraints: {'; '.join(reasons)}. "
            f"Like conda's classic solver, this one reports that as unsatisfiable: request a "
            f"package, or relax the constraints.")
    raise Unsatisfiable(core=specs, chains=[(str(r.spec),) for r in requests], explanation=text)


class _Phases:
    """Seconds per engine phase (``reduce``, ``forced``, ``encode``, ``sat``, ``optimize``,
    ``explain``), added into the caller's ``stats`` dict; with no dict, timing is skipped."""

    __slots__ = ("stats",)

    def __init__(self, stats: dict | None):
        self.stats = stats

    @contextmanager
    def __call__(self, name: str):
        if self.stats is None:
            yield
            return
        start = perf_counter()
        try:
            yield
        finally:
            self.stats[name] = self.stats.get(name, 0.0) + perf_counter() - start


def _requested_features(requests: list) -> list:
    features = []
    for request in requests:
        for feature in request.features:
            if feature not in features:
                features.append(feature)
    return features


class _Solve:
    """One call of ``solve``: the pool, the reduced groups, the encoding and the objectives."""

    #: whether an answer the objectives force is taken without the search (``forced.py``);
    #: tests of the search and the optimizer switch it off
    forcing = True

    def __init__(self, repos, specs, policy: Policy | None, memo: ValidityMemo | None = None):
        self.policy = policy or Policy()
        specs = list(specs)
        self.pool = _pool_for(repos, self.policy, memo, specs)
        self.requests = _parse_requests(self.pool, specs)
        self.memo = memo
        self.refutation = None  # the reduction's ``refuting_drops`` (reduce.py)

    def reduced_groups(self) -> dict:
        pool = self.pool
        explicit = [r.dep for r in self.requests if r.dep is not None]
        features = _requested_features(self.requests)
        why: list = []
        kept = reduced_ids(pool, self.policy.strict, explicit, features, self.memo, why)
        self.refutation = why[0]
        kept_set = set(kept)
        groups = {}
        for name in sorted({pool.names[rid] for rid in kept}):
            groups[name] = [rid for rid in pool.group(name) if rid in kept_set]
        return groups

    def roles(self, groups: dict) -> None:
        """Spec groups as classic builds them (``specr``, ``speco``, ``speca``, ``specm``)."""
        self.specr_names = []
        self.speco_names = []
        self.speca_names = []
        self.target_rids = []
        missing = set(groups)
        for request in self.requests:
            name = request.spec.name
            missing.discard(name)
            if not request.request.optional:
                if request.request.target is not None:
                    self.speca_names.append(name)
                    self._add_target(groups, name, request.request.target)
                else:
                    self.specr_names.append(name)
            elif self._matches_reduced(groups, request.spec):
                self.speco_names.append(name)
                self.speca_names.append(name)
                if request.request.target is not None:
                    self._add_target(groups, name, request.request.target)
        self.specm_names = sorted(missing)
        self.speca_names.extend(self.specm_names)
        self._role_sets = (set(self.speca_names), set(self.specm_names))

    def _matches_reduced(self, groups, spec) -> bool:
        mask = self.pool.match_mask(spec)
        for ids in ([groups[spec.name]] if spec.name in groups else groups.values()):
            if any((mask >> rid) & 1 for rid in ids):
                return True
        return False

    def _add_target(self, groups, name, target) -> None:
        key = _target_key(target)
        for rid in groups.get(name, ()):
            record = self.pool.records[rid]
            if record is target or _target_key(record) == key:
                self.target_rids.append(rid)
                return

    def order_key(self, ranks: dict, groups: dict):
        """The brancher's per-name preference: classic's objective order seen from one name."""
        pool = self.pool
        requested = set(self.specr_names)
        targets = set(self.target_rids)
        targeted_names = {pool.names[rid] for rid in targets}
        position = _positions(groups, pool)

        def key(rid):
            ic, iv, ib, ia, it = ranks[rid]
            tracked = 1 if pool.track_features(rid) else 0
            name = pool.names[rid]
            if name in requested:
                return (ic, iv, tracked, ib, ia, it, position[rid])
            if name in targeted_names:
                return (tracked, rid not in targets, ic, iv, ib, ia, it, position[rid])
            return (tracked, ic, iv, ib, ia, it, position[rid])

        return key

    def run(self, remove: bool, phases: _Phases, alternatives: list | None = None) -> list:
        pool = self.pool
        _check_found(pool, self.requests)
        with phases("reduce"):
            groups = self.reduced_groups()
        _check_reduced(pool, self.requests, groups)
        with phases("encode"):
            self.roles(groups)
            ranks = _ranks(groups, pool)
        if self.forcing:
            with phases("forced"):
                forced = forced_answer(pool, groups, ranks, self.requests)
            if forced is not None:  # the only optimum: no search, and no alternative to it
                self.stats = {"solves": 0, "values": self._forced_values(forced, ranks, remove)}
                return [pool.records[rid] for rid in self._packages(forced)]
        with phases("encode"):
            solver = SatSolver()
            # the other names are encoded when a record the search tries depends on them
            hot = {request.spec.name for request in self.requests}
            encoder = Encoder(solver, pool, dict(groups), self.order_key(ranks, groups), hot=hot)
        try:
            chosen = self._optimal(solver, encoder, groups, ranks, remove, phases)
            chosen = self._packages(chosen)
            if alternatives is not None:
                with phases("optimize"):
                    alternatives.extend(self._other_optima(solver, encoder, chosen))
        finally:
            encoder.detach()
        return [pool.records[rid] for rid in chosen]

    def _packages(self, rids) -> list:
        """The real packages among chosen ids (no virtual package, no feature record), by
        name: classic's ``clean`` drops the ``@`` channel's records."""
        pool = self.pool
        found = [rid for rid in rids if pool.records[rid].get("channel") != "@"]
        found.sort(key=lambda rid: pool.names[rid])
        return found

    def _other_optima(self, solver, encoder, chosen: list) -> list:
        """classic's "Looking for alternate solutions": models that meet every objective's
        optimum, each barred from being the one found before it (up to
        ``MAX_ALTERNATIVES``); each as its record dicts."""
        rec_var = encoder.rec_var
        records = self.pool.records
        found = []
        current = chosen
        while len(found) < MAX_ALTERNATIVES:
            solver.add_clause([-rec_var[rid] for rid in current], reason=("alternative",))
            if not solver.solve():
                break
            current = self._packages(encoder.chosen(solver.model()))
            found.append([records[rid] for rid in current])
        return found

    def _optimal(self, solver, encoder, groups, ranks, remove: bool, phases: _Phases) -> list:
        """The record ids of classic's optimum: a first model, then each objective in turn."""
        with phases("encode"):
            for request in self.requests:
                encoder.add_request(request.index, request.spec, request.request.optional)
            # every objective's variables must exist before the first model is taken
            optimizer = Optimizer(solver, self.objectives(encoder, groups, ranks, remove),
                                  exclusive=self._name_of_record(encoder),
                                  held={"package-count": self._held_names(encoder)})
            late: list = []  # names encoded before the objectives run: their terms in bulk
            encoder.on_activate = late.extend
        with phases("sat"):
            solver.set_brancher(make_brancher(encoder))
            found = solver.solve(assumptions=encoder.selectors)
        if not found:
            with phases("explain"):
                raise self._unsatisfiable()
        for selector in encoder.selectors:
            solver.add_clause([selector], reason=("requests-hold",))
        with phases("optimize"):
            self._late_terms(encoder, optimizer, groups, ranks, late)
            encoder.on_activate = lambda names: self._late_terms(
                encoder, optimizer, groups, ranks, names)
            optimizer.run(solver.model())
        self.stats = {"solves": optimizer.solves + 1, "values": optimizer.values}
        return encoder.chosen(optimizer.model)

    def _name_of_record(self, encoder):
        """literal -> its record's name (a name has one record installed at most), or None
        for any other literal: the optimizer's exclusive groups."""
        var_rec = encoder.var_rec
        names = self.pool.names

        def name_of(lit: int):
            rid = var_rec.get(lit)
            return None if rid is None else names[rid]

        return name_of

    @staticmethod
    def _held_names(encoder):
        """The ``installed`` literals of the names every model installs, for the package
        count: most solves' counts are proved by them, not by a failing search."""
        def held() -> set:
            name_var = encoder.name_var
            return {name_var[name] for name in encoder.installed_everywhere()
                    if name in name_var}

        return held

    def objectives(self, encoder, groups, ranks, remove: bool) -> list:
        """Classic's objectives: (label, terms), in ``_objective_labels``' order."""
        rec_var = encoder.rec_var
        name_var = encoder.name_var  # the names encoded so far: the others join late
        specr = list(dict.fromkeys(self.specr_names))
        speca = list(dict.fromkeys(n for n in self.speca_names if n in name_var))
        speco = list(dict.fromkeys(n for n in self.speco_names if n in name_var))

        requested = version_terms(specr, groups, ranks, rec_var)
        others = version_terms(speca, groups, ranks, rec_var)

        terms = {}  # made in this order (new variables), minimised in _objective_labels'
        if remove:
            terms["removal"] = [(-name_var[n], 1) for n in speco]
        terms["requested-channel"] = requested[_IC]
        terms["requested-version"] = requested[_IV]
        terms["track-features"] = [(var, 1) for var in encoder.feature_var.values()]
        terms["misfeatures"] = encoder.misfeature_terms()
        terms["requested-build"] = requested[_IB]
        terms["requested-arch"] = requested[_IA]
        if not remove:
            terms["optional-installs"] = [(name_var[n], 1) for n in speco]
        terms["updates"] = [(-rec_var[rid], 1) for rid in dict.fromkeys(self.target_rids)]
        for label, position in _OTHERS:
            terms[label] = others[position]
        terms["package-count"] = [(self._count_literal(encoder, n), 1)
                                  for n in self.specm_names if n in name_var]
        timestamps = dict(others[_IT])
        timestamps.update(requested[_IT])
        terms["timestamps"] = list(timestamps.items())
        return [(label, terms[label]) for label in _objective_labels(remove)]

    def _forced_values(self, chosen: list, ranks, remove: bool) -> dict:
        """Every objective's optimum at a forced answer (``forced.py``): zero but for the
        package count (the names no request names) and the timestamps (their ranks)."""
        values = dict.fromkeys(_objective_labels(remove), 0)
        requested = set(self.specr_names)
        names = self.pool.names
        values["package-count"] = sum(1 for rid in chosen if names[rid] not in requested)
        values["timestamps"] = sum(ranks[rid][_IT] for rid in chosen)
        return values

    def _late_terms(self, encoder, optimizer, groups, ranks, names: list) -> None:
        """Names encoded late join the objectives that cover them. They are no request's
        names (those are encoded at once), so they are classic's ``specm``, so ``speca``."""
        speca, specm = self._role_sets
        others = version_terms([n for n in names if n in speca], groups, ranks, encoder.rec_var)
        for label, position in _OTHERS:
            optimizer.extend(label, others[position])
        optimizer.extend("timestamps", others[_IT])
        optimizer.extend("package-count", [(self._count_literal(encoder, name), 1)
                                           for name in names if name in specm])

    def _count_literal(self, encoder, name: str) -> int:
        """The literal classic's package count uses for a name: ``push_MatchSpec(name)``.

        For a feature pseudo-record's name ``f@`` that spec parses as ``*[track_features=f]``,
        so classic counts "some record tracking exactly f is installed", not the pseudo-record.
        """
        feature = name[:-1]
        if not name.endswith("@") or feature not in encoder.feature_var:
            return encoder.name_var[name]
        pool = self.pool
        exact = [rid for rid in encoder.trackers.get(feature, ())
                 if set(pool.track_features(rid)) == {feature}]
        if len(exact) == len(encoder.trackers.get(feature, ())):
            return encoder.feature_var[feature]
        solver = encoder.solver
        var = solver.new_var()
        for rid in exact:  # var >= any exact tracker: enough for a term that is minimised
            solver.add_clause([-encoder.rec_var[rid], var], reason=("feature", feature))
        return var

    def _unsatisfiable(self) -> Unsatisfiable:
        from .explain import explain_conflict  # the only user; keeps solve's imports as they are

        reasons: list = []
        core = _minimal_conflict(self.pool, self.requests, reasons, self.memo, self.refutation)
        found = explain_conflict(self.pool, self.requests, reasons, core)
        return Unsatisfiable(core=found.core, explanation=found.text, tree=found.tree,
                             classic=found.classic)


def _objective_labels(remove: bool) -> tuple:
    """Classic's objectives (``engine-algorithms.md`` §1.2), in the order it minimises them."""
    return (
        *(("removal",) if remove else ()),
        "requested-channel", "requested-version", "track-features", "misfeatures",
        "requested-build", "requested-arch",
        *(() if remove else ("optional-installs",)),
        "updates", *(label for label, _ in _OTHERS), "package-count", "timestamps",
    )


#: classic looks for other optimal solutions until it has this many besides its answer
MAX_ALTERNATIVES = 10


def solve(
    repos, specs, policy: Policy | None = None, remove: bool = False,
    memo: ValidityMemo | None = None, stats: dict | None = None,
    alternatives: list | None = None,
) -> list:
    """Classic's ``Resolve.solve(specs)``: the chosen record dicts, one per name.

    Raises ``PackagesNotFound`` when a required spec has no candidate at all and
    ``Unsatisfiable`` when no solution exists. ``memo``: see ``ValidityMemo``. ``stats``,
    when given, receives the seconds spent per phase (``reduce``, ``forced``: looking for
    an answer the objectives force, ``encode``, ``sat``, ``optimize``, ``explain``), added
    to what it holds. ``alternatives``, when given, receives the other solutions as good as
    the answer by every objective (each a list of record dicts), up to
    ``MAX_ALTERNATIVES``: what classic's "possible package resolutions" warning shows.
    """
    with gc_paused():
        return _Solve(repos, specs, policy, memo).run(remove, _Phases(stats), alternatives)


def reduced_index(
    repos, specs, policy: Policy | None = None, memo: ValidityMemo | None = None,
    stats: dict | None = None,
) -> dict:
    """Classic's ``get_reduced_index`` (as ``_get_package_pool``): name -> record dicts, best
    first. Raises ``PackagesNotFound`` like ``solve``. ``memo``, ``stats``: as ``solve``'s."""
    with gc_paused():  # the loading and the reduction: as a solve's (see gcpause.py)
        problem = _Solve(repos, specs, policy, memo)
        _check_found(problem.pool, problem.requests)
        records = problem.pool.records
        with _Phases(stats)("reduce"):
            groups = problem.reduced_groups()
        return {name: [records[rid] for rid in ids] for name, ids in groups.items()}


# -- conflicting specs --------------------------------------------------------------------------


def _full_groups(pool: Pool, requests: list) -> dict:
    """Every record reachable by name from the requests (classic's unreduced index)."""
    names = []
    seen = set()
    for request in requests:
        if request.dep is not None:
            found = pool.matches(request.spec)
            for rid in found:
                if pool.names[rid] not in seen:
                    seen.add(pool.names[rid])
                    names.append(pool.names[rid])
    for feature in _requested_features(requests):
        rid = pool.add_feature_record(feature)
        seen.add(pool.names[rid])
        names.append(pool.names[rid])
    index = 0
    while index < len(names):
        for rid in pool.group(names[index]):
            for dep in pool.deps(rid) or ():
                name = dep.name
                if name not in seen and name != "*" and not any(c in name for c in "*?["):
                    seen.add(name)
                    names.append(name)
        index += 1
    return {name: list(pool.group(name)) for name in sorted(seen) if pool.group(name)}


#: conflicts the deletion trials of one conflict may spend together (one budget per trial
#: would let a core of k specs spend k times as much) before each trial still to try gets
#: ``_TRIAL_FLOOR`` alone. An undecided trial keeps its spec, as a satisfiable one does, so
#: the budget buys only refutations that need a search: in this project's tests and conda's
#: test_solve.py, all 24 refuting trials took 0 or 1 conflicts, while satisfiable trials
#: spent up to 48 finding a model (with 16, a dozen of them end undecided: the same answers). A
#: refutation that needs a real search is out of any such budget's reach: a single given of
#: the unsatisfiable sudoku took 51,559 conflicts to refute. (Asking classic's reduction to
#: refute a trial instead was tried: it refuted none, cost 15-30 ms a trial, and judges the
#: reduced index, not the whole one.)
_TRIAL_BUDGET = 16
#: the conflicts a trial gets once the budget is spent: a refutation by propagation alone
#: takes none, and the one-conflict refutations the tests show still end within it
_TRIAL_FLOOR = 2


def _reduced_is_satisfiable(
    pool: Pool, requests: list, memo: ValidityMemo | None, phases: _Phases
) -> bool:
    """Classic's first check in ``get_conflicting_specs``: a model over the reduced index.
    With a memo, asked once per set of requests on the shared pool (whether a model exists
    depends on nothing else; conda's solver asks more than once)."""
    if memo is None:
        return _model_exists(pool, requests, memo, phases)
    key = ("satisfiable", *sorted((r.request.spec, r.request.optional) for r in requests))
    return _remembered(memo, pool, key, lambda: _model_exists(pool, requests, memo, phases))


def _model_exists(pool: Pool, requests: list, memo: ValidityMemo | None, phases: _Phases):
    explicit = [r.dep for r in requests if r.dep is not None]
    with phases("reduce"):
        kept = reduced_ids(pool, pool.policy.strict, explicit, _requested_features(requests),
                           memo)
    if not kept:
        return False
    with phases("encode"):
        kept_set = set(kept)
        groups = {}
        for name in sorted({pool.names[rid] for rid in kept}):
            groups[name] = [rid for rid in pool.group(name) if rid in kept_set]
    with phases("forced"):
        if forced_answer(pool, groups, _ranks(groups, pool), requests) is not None:
            return True  # a model of these very clauses (forced.py)
    with phases("encode"):
        solver = SatSolver()
        hot = {request.spec.name for request in requests}
        encoder = Encoder(solver, pool, groups, _positions(groups, pool).__getitem__, hot=hot)
        for request in requests:
            encoder.add_request(request.index, request.spec, request.request.optional)
    try:
        with phases("sat"):
            solver.set_brancher(make_brancher(encoder))
            return solver.solve(assumptions=encoder.selectors)
    finally:
        encoder.detach()


def _minimal_conflict(
    pool: Pool, requests: list, reasons: list | None = None, memo: ValidityMemo | None = None,
    refutation: list | None = None,
) -> list:
    """A small set of requests that cannot hold together (empty when they can); ``reasons``,
    when given, receives the clause reasons of the first refutation (for ``explain.py``).

    Refuted on the unreduced pool with every dependency clause present (unit propagation
    then prunes like classic's reduction), then shrunk by deletion; each deletion trial has
    a conflict budget, so the result is minimal except where proving it would be costly.
    ``refutation``: the dependency clauses that refute the requests, when the reduction
    found them (``Reduction.refuting_drops``); only those are encoded then.
    With a ``memo``, an answer found before for the same requests on the same pool is
    given again (conda's solver asks for it more than once).
    """
    def computed() -> tuple[list, list]:  # (positions in requests, the reasons)
        found: list = []
        core = _computed_conflict(pool, requests, found, refutation)
        position = {id(r): i for i, r in enumerate(requests)}
        return [position[id(r)] for r in core], found

    key = ("conflict", *((r.index, r.request.spec, r.request.optional) for r in requests))
    known = _remembered(memo, pool, key, computed)
    if reasons is not None:
        reasons.extend(known[1])
    return [requests[i] for i in known[0]]


def _computed_conflict(pool: Pool, requests: list, reasons: list | None,
                       refutation: list | None = None) -> list:
    """``_minimal_conflict`` without a memo: over ``refutation``'s clauses alone, when given
    (the weaker problem they make is unsatisfiable), else over the whole index."""
    groups = None if refutation is None else _refutation_groups(pool, requests, refutation)
    if groups is not None:
        solver, encoder, selectors = _whole_index_encoding(pool, requests, groups=groups,
                                                           clauses_of=_clauses_of(refutation))
        try:
            core = _shrunk_core(requests, reasons, solver, encoder, selectors)
        finally:
            encoder.detach()
        if core:  # (always, by refuting_drops' argument; the whole index is the fallback)
            return core
    solver, encoder, selectors = _whole_index_encoding(pool, requests)
    try:
        return _shrunk_core(requests, reasons, solver, encoder, selectors)
    finally:
        encoder.detach()


def _clauses_of(refutation: list) -> dict:
    """``refutation``'s (id, dependencies) pairs by id (an id may come more than once)."""
    clauses_of: dict = {}
    for rid, deps in refutation:
        known = clauses_of.get(rid, ())
        clauses_of[rid] = None if deps is None or known is None else tuple(
            dict.fromkeys((*known, *deps)))
    return clauses_of


def _refutation_groups(pool: Pool, requests: list, refutation: list) -> dict | None:
    """The names an encoding of ``refutation``'s clauses needs: the requests' and the
    records', and every name those clauses depend on, each with all its records (so that
    each clause is the whole encoding's own). None where such an encoding could say more
    than the whole one: a feature request, whose trackers span names."""
    names = set()
    for request in requests:
        if request.dep is None:
            return None
        names.update(pool.names[rid] for rid in pool.matches(request.spec))
    for rid, deps in refutation:
        names.add(pool.names[rid])
        names.update(dep.name for dep in deps or ())
    return {name: list(pool.group(name)) for name in sorted(names) if pool.group(name)}


def _whole_index_encoding(pool: Pool, requests: list, feature_records: bool = False,
                          groups: dict | None = None, clauses_of: dict | None = None) -> tuple:
    """(solver, encoder, a selector per request) over every record reachable by name from
    the requests, with every dependency clause present (classic's unreduced clauses).
    ``feature_records``: every feature has its ``feature@`` record (``Policy.index_roots``),
    so a feature dependency always holds. ``groups``, ``clauses_of``: a part of that
    encoding instead, over those names with only those records' dependency clauses (a
    weaker problem: what refutes it refutes the whole)."""
    if groups is None:
        groups = _full_groups(pool, requests)
    solver = SatSolver()
    order = {rid: i for ids in groups.values() for i, rid in enumerate(ids)}
    encoder = Encoder(solver, pool, groups, order.__getitem__, virtual_clauses=True, eager=True,
                      free_features=feature_records, clauses_of=clauses_of)
    if clauses_of is None:  # (a part's invalid records are among its clauses_of)
        for rid, var in encoder.rec_var.items():
            if pool.deps(rid) is None:
                solver.add_clause([-var], reason=("invalid", rid))
    selectors = [encoder.add_request(r.index, r.spec, r.request.optional) for r in requests]
    return solver, encoder, selectors


def _shrunk_core(requests: list, reasons: list | None, solver, encoder, selectors) -> list:
    """``_minimal_conflict``'s refutation and deletion trials over the eager encoding."""
    by_selector = dict(zip(selectors, requests))
    # no preference brancher here: proving a conflict wants the solver's activity heuristic
    active = list(selectors)
    if solver.solve(assumptions=active):
        return []
    if reasons is not None:
        reasons.extend(solver.conflict_reasons())
    core = set(solver.core() or active)
    kept = [s for s in active if s in core]
    budget = _TRIAL_BUDGET
    index = 0
    while index < len(kept):
        trial = kept[:index] + kept[index + 1:]
        outcome = True
        if trial:
            spent = solver.stats["conflicts"]
            outcome = solver.solve(trial, conflict_limit=max(budget, _TRIAL_FLOOR))
            budget -= solver.stats["conflicts"] - spent
        if outcome is False:
            smaller = set(solver.core() or trial)
            kept = [s for s in trial if s in smaller]
        else:
            index += 1
    return [by_selector[s] for s in kept]


#: conflicts the trials of one ``conflicting_specs`` search may spend together, and what each
#: trial gets once they are spent. classic gives its trials all the time they take; a trial
#: that a search must settle (the unsatisfiable sudoku's givens) would take seconds each.
#: Most trials are settled by the last model, or by propagation.
_CLASSIC_TRIAL_BUDGET = 1024
_CLASSIC_TRIAL_LIMIT = 128


def _classic_conflict(pool: Pool, requests: list, explicit: int, repeated: list) -> list:
    """The positions in ``requests`` of the ones that conflict, found as classic's
    ``minimal_unsatisfiable_subset`` finds them over its whole index: the first
    ``explicit`` requests are held when they agree, else they all conflict (and then those
    of them that the other specs repeat, ``repeated``, are tried again with those); every
    other request is then tried in order with the ones held so far: held when a model
    exists, reported when none does (or none was found within its conflict limit)."""
    solver, encoder, selectors = _whole_index_encoding(pool, requests,
                                                       feature_records=pool.policy.grown_index)
    try:
        held = selectors[:explicit]
        model = _model(solver, held, _CLASSIC_TRIAL_LIMIT)
        if model is None:
            found, held = list(range(explicit)), []
            model = _model(solver, held, _CLASSIC_TRIAL_LIMIT) or set()
            tried = [*repeated, *range(explicit, len(requests))]
        else:
            found, tried = [], range(explicit, len(requests))
        budget = _CLASSIC_TRIAL_BUDGET
        for index in tried:
            selector = selectors[index]
            if _meets(encoder, requests[index], model):
                held.append(selector)
                continue
            spent = solver.stats["conflicts"]
            limit = max(min(budget, _CLASSIC_TRIAL_LIMIT), _TRIAL_FLOOR)
            trial = _model(solver, [*held, selector], limit)
            budget -= solver.stats["conflicts"] - spent
            if trial is None:
                if index not in found:
                    found.append(index)
            else:
                held.append(selector)
                model = trial
        return found
    finally:
        encoder.detach()


def _model(solver, assumptions: list, limit: int) -> set | None:
    """A model under ``assumptions``, or None (none exists, or none within ``limit``)."""
    return solver.model() if solver.solve(assumptions, conflict_limit=limit) else None


def _meets(encoder, request, model: set) -> bool:
    """Whether ``model`` already satisfies the request's clause (so no search is needed)."""
    spec = request.spec
    if request.dep is None:  # a feature request: left to the solver
        return False
    rec_var = encoder.rec_var
    if any(rec_var[rid] in model for rid in encoder.candidates(spec)):
        return True
    installed = encoder.name_var.get(spec.name)
    return request.request.optional and (installed is None or installed not in model)


def _request_key(request) -> tuple:
    """What tells requests apart (classic: ``MatchSpec`` equality)."""
    request = getattr(request, "request", request)
    return request.spec, request.optional, _target_key(request.target)


def conflicting_specs(
    repos, specs, policy: Policy | None = None, memo: ValidityMemo | None = None,
    stats: dict | None = None, explicit=(),
) -> list:
    """classic's ``get_conflicting_specs(specs, explicit)``: empty when ``explicit`` and
    ``specs`` can all hold together; else the ones that conflict (see ``_classic_conflict``),
    as given. The explicit specs are the request's own: they are held first. A required
    spec that no record matches raises ``PackagesNotFound``, as classic's reduction does.

    ``memo`` (see ``ValidityMemo``) serves classic's reduction here, not the search that
    follows it: classic searches its whole index, without reducing. ``stats``: as
    ``solve``'s (the search is ``explain``).
    """
    policy = policy or Policy()
    explicit = list(explicit)
    items = [*explicit, *specs]
    pool = _pool_for(repos, policy, memo, items)
    phases = _Phases(stats)
    with gc_paused():
        requests = _parse_requests(pool, items)
        _check_found(pool, requests)  # classic's reduction starts with verify_specs
        if _reduced_is_satisfiable(pool, requests, memo, phases):
            return []
        held = sum(1 for r in requests if r.index < len(explicit))
        again = {_request_key(as_request(item)) for item in specs}
        repeated = [i for i in range(held) if _request_key(requests[i]) in again]
        key = ("classic conflict", held, *map(_request_key, requests))
        with phases("explain"):
            found = _remembered(memo, pool, key,
                                lambda: _classic_conflict(pool, requests, held, repeated))
            return [items[requests[i].index] for i in found]


def _remembered(memo: ValidityMemo | None, pool: Pool, key: tuple, compute):
    """``compute()``, or with a memo the answer it gave before for ``key`` on ``pool``."""
    if memo is None:
        return compute()
    known = memo.known(pool, key)
    if known is None:
        known = compute()
        memo.remember(pool, key, known)
    return known
