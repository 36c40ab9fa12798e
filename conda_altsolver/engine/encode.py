"""Clauses for classic's SAT problem over the reduced index, created lazily.

Variables (DIMACS ints from ``SatSolver.new_var``): one per record of the reduced index, one
``installed(name)`` per name, one per tracked feature, one per "misfeature" term. A name's
variables are made when it is encoded, which a solve may leave until a clause first needs
its records (a conda-forge-sized index has tens of thousands of records that no record the
search tries depends on).
Constraint kinds and their ``reason`` tuples (kept for explanations):

* ``("one-of", name)``: at most one record per name (native at-most-one), ``installed(name)``
  iff one of its records (``Resolve.gen_clauses``' ExactlyOne);
* ``("requires", rid, dep_text)``: a chosen record needs a match of each dependency; created
  by ``on_true`` the first time the record becomes true (lazy encoding); dependencies on
  virtual packages (``__x``) get none (classic enforces them only through the reduction);
  an eager encoding may give one as binary clauses instead (``_implied_literals``), and
  gives a record with a dependency nothing provides that unit clause alone;
* ``("constrains", rid, dep_text)``: an optional dependency (``constrains``) forbids the
  non-matching records of an installed name;
* ``("request", index)``: a root spec, guarded by a selector variable so that failures give
  cores over the caller's specs (``Encoder.selectors``);
* ``("feature", f)``: ``feature(f)`` iff some record tracking ``f`` is installed.

The encoder also keeps the "requirements" the brancher looks at: (trigger literal, candidate
variables best first), so that the first model follows classic's preferences.
"""

from __future__ import annotations

from operator import attrgetter

#: an optional dependency forbids non-matching records one by one up to this many (binary
#: clauses propagate early); beyond it, one clause "¬rec ∨ ¬installed(n) ∨ matching..."
_BINARY_CONSTRAINS_LIMIT = 64


class Encoder:
    """Variables and clauses of one solve over the reduced index ``groups``."""

    def __init__(self, solver, pool, groups: dict, order_key, virtual_clauses: bool = False,
                 eager: bool = False, hot=None, free_features: bool = False,
                 clauses_of: dict | None = None):
        """``groups``: name -> reduced record ids best first; ``order_key(rid)``: the
        brancher's preference among a name's records (smaller first). ``eager`` creates every
        dependency clause up front: unit propagation then prunes like classic's reduction,
        which is what proving a conflict needs. ``free_features``: a record's ``features``
        need no tracker (the index has each feature's own record, ``Policy.index_roots``).
        ``clauses_of`` (eager encodings): record id -> the dependencies (a part of its
        ``Pool.deps``) whose clauses it gets; the other records get none. A weaker problem,
        so a refutation of it refutes the whole one.

        ``hot``: the names encoded at once (None: every name). Any other name is encoded the
        first time a clause needs its records, then ``on_activate(names)`` is called with
        the names encoded together, so that objectives can take their terms: a solve
        creates no variable for a name that no record it tried depends on (until then each
        of its records counts as false, which every clause over it allows). Names with
        records that track or have features are always encoded at once, since feature
        clauses span names."""
        self.solver = solver
        self.pool = pool
        self.groups = groups
        self.order_key = order_key
        self.virtual_clauses = virtual_clauses
        # whether a dependency is one "requires" clause over its reduced candidates
        self._is_plain = attrgetter("required" if virtual_clauses else "clause")
        self.eager = eager
        self.free_features = free_features
        self.clauses_of = clauses_of
        self.rec_var: dict[int, int] = {}
        self.var_rec: dict[int, int] = {}
        self.name_var: dict[str, int] = {}
        self.feature_var: dict[str, int] = {}
        self.trackers: dict[str, list] = {}
        self.requirements: list[tuple] = []  # (trigger var or 0, candidate vars best first)
        self.selectors: list[int] = []
        self._name_lits: dict[int, tuple] = {}
        self._roots: list[tuple] = []
        self._dep_cands: dict = {}  # Dep -> candidate variables (requires)
        self._dep_implied: dict = {}  # Dep -> literals a record implies instead (eager)
        self._dep_split: dict = {}  # Dep -> (matching, other) reduced ids (constrains)
        self._reduced: set | None = None  # every reduced id, for the rare glob-name spec
        self._waiting_constrains: dict = {}  # name not encoded yet -> (rid, var, dep) on it
        self.on_activate = None  # called with the names of each late encoding (a list)
        self._build(hot)

    # -- structure -----------------------------------------------------------------------------

    def _build(self, hot) -> None:
        groups = self.groups
        if hot is None:
            names = list(groups)
        else:
            hot = set(hot).union(self.pool.featured_names())
            names = [name for name in groups if name in hot]
        installed, records = self._encode_names(names)
        # the brancher only ever looks at requirements whose trigger has been true
        self.solver.on_true_many(installed, self._on_name_true)
        for feature in sorted(self.trackers):
            self._feature(feature)
        self._watch_records(records)

    def _encode_names(self, names: list) -> tuple[list, list]:
        """Variables and one-of constraints of ``names`` (sorted by preference first); their
        ``installed`` variables and their records' variables."""
        groups = self.groups
        order_key = self.order_key
        for name in names:
            groups[name] = sorted(groups[name], key=order_key)
        # per name: installed(name), then its records (one allocation for all of them)
        block = self.solver.new_vars(sum(len(groups[name]) + 1 for name in names))
        installed = []
        records = []
        start = 0
        for name in names:
            size = len(groups[name])
            lits = block[start + 1:start + 1 + size]
            installed.append(block[start])
            records.extend(lits)
            self._encode_name(name, block[start], lits)
            start += 1 + size
        return installed, records

    def _watch_records(self, records: list) -> None:
        """Dependency clauses of ``records``' variables: when each is first true, or now."""
        if self.eager:
            clauses_of = self.clauses_of
            if clauses_of is None:
                for var in records:
                    self._on_record_true(var)
                return
            var_rec = self.var_rec
            for var in records:
                rid = var_rec[var]
                if rid in clauses_of:
                    self._add_dep_clauses(rid, var, clauses_of[rid])
        else:
            self.solver.on_true_many(records, self._on_record_true)

    def _encode_name(self, name: str, installed: int, lits) -> None:
        """A name's one-of constraint over its (sorted) reduced records' variables."""
        solver = self.solver
        pool = self.pool
        rec_var = self.rec_var
        var_rec = self.var_rec
        trackers = self.trackers
        self.name_var[name] = installed
        for rid, var in zip(self.groups[name], lits):
            rec_var[rid] = var
            var_rec[var] = rid
            for feature in pool.track_features(rid):
                trackers.setdefault(feature, []).append(rid)
        reason = ("one-of", name)
        if len(lits) > 1:
            solver.add_at_most_one(lits, reason=reason)
        solver.add_clause([-installed, *lits], reason=reason)
        solver.add_implications(lits, installed, reason=reason)
        self._name_lits[installed] = tuple(lits)

    def _encoded(self, name: str) -> list:
        """The name's reduced records best first, encoding the name now if it was not."""
        if name not in self.name_var:
            self._activate([name])
        return self.groups[name]

    def _activate(self, names: list) -> None:
        """Encode names late (see ``hot``): their variables and one-of constraints, their
        objective terms (``on_activate``), then the constrains clauses that waited."""
        installed, records = self._encode_names(names)
        self.solver.on_true_many(installed, self._on_name_true)
        if self.on_activate is not None:
            self.on_activate(names)  # first: the terms must find their variables unassigned
        self._watch_records(records)
        waiting = self._waiting_constrains
        for name in names:
            for rid, var, dep in waiting.pop(name, ()):
                self._add_constrains(rid, var, dep)

    def detach(self) -> None:
        """Drop the solver and ``on_activate`` once solving is over. The solver's ``on_true``
        callbacks point back here, as the objectives ``on_activate`` feeds may (through the
        solver they bound); such a cycle, holding every clause, would wait for the cyclic
        GC (paused in a solve)."""
        self.solver = None
        self.on_activate = None

    def _on_name_true(self, var: int) -> None:
        self.requirements.append((var, self._name_lits[var]))

    def _feature(self, feature: str) -> int:
        var = self.feature_var.get(feature)
        if var is None:
            solver = self.solver
            var = self.feature_var[feature] = solver.new_var()
            tracker_vars = [self.rec_var[rid] for rid in self.trackers.get(feature, ())]
            reason = ("feature", feature)
            for tracker in tracker_vars:
                solver.add_clause([-tracker, var], reason=reason)
            solver.add_clause([-var] + tracker_vars, reason=reason)
        return var

    def installed_everywhere(self) -> list:
        """Names installed in every model of the clauses so far and to come, as far as the
        level-0 assignment shows (call between solves): each required request's name when
        its selector holds and its candidates share one name, then, name by name, the
        names that each of a name's possible records requires (a plain dependency: its
        "requires" clause holds whenever the record does). A record is possible unless it,
        or every candidate of one of its plain dependencies, is false at level 0; that
        second test is made only for a record that would narrow what the name's records
        before it (best first) require. An under-approximation: what the optimizer needs
        to prove a package count without a search (``Optimizer(held=...)``). Nothing for
        an encoding that gives some records only part of their clauses (``clauses_of``)."""
        if self.clauses_of is not None or not self.solver.propagate():
            return []
        vals = self.solver.assignment
        rec_var = self.rec_var
        names = self.pool.names
        todo = []
        for selector, cands in self._roots:
            if vals[2 * selector] == 1 and cands:
                rids = [self.var_rec[var] for var in cands]
                if len({names[rid] for rid in rids}) == 1:
                    todo.append(rids)
        found = dict.fromkeys(names[rids[0]] for rids in todo)
        groups = self.groups
        deps_of = self.pool.deps
        dead: dict = {}  # plain dependency -> every candidate false at level 0
        while todo:
            shared = None
            for rid in todo.pop():
                var = rec_var.get(rid)
                deps = None if var is not None and vals[2 * var] == 2 else deps_of(rid)
                if deps is None:  # false at level 0, or an invalid record (false as well)
                    continue
                these = self._required_names(deps)
                if shared is None:
                    shared = these
                elif not these >= shared and not self._ruled_out(deps, dead):
                    shared = shared & these
                if not shared:
                    break
            for name in shared or ():
                if name not in found:
                    found[name] = None
                    todo.append(groups[name])
        return list(found)

    def _required_names(self, deps) -> set:
        """Names of the reduced index that a record with ``deps`` needs installed."""
        groups = self.groups
        is_plain = self._is_plain
        return {dep.name for dep in deps if dep.name in groups and is_plain(dep)}

    def _ruled_out(self, deps, dead: dict) -> bool:
        """Some plain dependency among ``deps`` has every reduced candidate false at level 0
        (``dead`` remembers each verdict); a candidate of a name not encoded yet has no
        variable, so it is not false."""
        groups = self.groups
        for dep in deps:
            if dep.name not in groups or not self._is_plain(dep):
                continue
            verdict = dead.get(dep)
            if verdict is None:
                verdict = dead[dep] = self._candidates_false(dep)
            if verdict:
                return True
        return False

    def _candidates_false(self, dep) -> bool:
        vals = self.solver.assignment
        cands = self._dep_cands.get(dep)
        if cands is not None:
            return all(vals[2 * var] == 2 for var in cands)
        rec_var = self.rec_var
        return all(rid in rec_var and vals[2 * rec_var[rid]] == 2
                   for rid in self._group_matches(dep))

    def in_reduced(self, rid: int) -> bool:
        if self._reduced is None:
            self._reduced = {r for ids in self.groups.values() for r in ids}
        return rid in self._reduced

    def candidates(self, spec) -> list:
        """Reduced records the spec matches (``push_MatchSpec``'s ``libs``), best first."""
        pool = self.pool
        name = spec.name
        if name in self.groups:
            group = self._encoded(name)
            if spec.is_name_only:
                return list(group)
            mask = pool.match_mask(spec)
            return [rid for rid in group if (mask >> rid) & 1]
        found = [rid for rid in pool.matches(spec) if self.in_reduced(rid)]
        for other in sorted({pool.names[rid] for rid in found}):
            self._encoded(other)
        return sorted(found, key=self.order_key)

    # -- root specs ----------------------------------------------------------------------------

    def add_request(self, index: int, spec, optional: bool) -> int:
        """Guard the root spec by a fresh selector; return the selector variable."""
        solver = self.solver
        selector = solver.new_var()
        self.selectors.append(selector)
        reason = ("request", index)
        cands = [self.rec_var[rid] for rid in self.candidates(spec)]
        if optional:
            installed = self.name_var.get(spec.name)
            if installed is None or len(cands) == len(self.groups[spec.name]):
                return selector  # nothing to restrict (classic: TRUE)
            solver.add_clause([-selector, -installed] + cands, reason=reason)
        else:
            solver.add_clause([-selector] + cands, reason=reason)
            self._roots.append((selector, tuple(cands)))
            self.requirements.insert(len(self._roots) - 1, (selector, tuple(cands)))
        return selector

    # -- lazy dependency clauses ---------------------------------------------------------------

    def _on_record_true(self, var: int) -> None:
        rid = self.var_rec[var]
        self._add_dep_clauses(rid, var, self.pool.deps(rid))

    def _add_dep_clauses(self, rid: int, var: int, deps) -> None:
        if deps is None:  # an invalid spec: cannot happen for reduced records
            self.solver.add_clause([-var], reason=("invalid", rid))
            return
        known = self._dep_cands
        name_var = self.name_var
        groups = self.groups
        if len(name_var) < len(groups):  # else every name is encoded (eager encodings)
            late = [dep.name for dep in deps if dep.name not in name_var and dep.name in groups
                    and dep not in known and self._is_plain(dep)]
            if late:
                self._activate(list(dict.fromkeys(late)))  # together: one allocation, one call
        implied = self._dep_implied
        if self.eager:  # every dependency met before in its implied form: one call
            lits_list = list(map(implied.get, deps))
            if all(lits_list):
                self.solver.add_implied_group(var, lits_list, _Requires(rid, deps))
                return
        pairs = []  # (cands, reason) of plain dependencies, added in one solver call
        implications = []  # literals: the eager form of some (see _dep_vars), and their deps
        implying = []
        for dep in deps:
            cands = known.get(dep)  # known: a plain dependency met before
            if cands is None:
                if not self._is_plain(dep):
                    # clauses keep the dependencies' order: the ones gathered so far first
                    self._add_requires(rid, var, pairs, implications, implying)
                    pairs = []
                    implications = []
                    implying = []
                    self._add_other_dep(rid, var, dep)
                    continue
                cands = self._dep_vars(dep)
            if not cands and self.eager:
                # the record can never be installed: in an encoding made before any search,
                # this unit is all it needs (its other clauses would be satisfied for good)
                self.solver.add_clause([-var], reason=("requires", rid, dep.text))
                return
            lits = implied.get(dep)
            if lits:
                implications.append(lits)
                implying.append(dep)
            else:
                pairs.append((cands, ("requires", rid, dep.text)))
        self._add_requires(rid, var, pairs, implications, implying)

    def _add_requires(self, rid: int, var: int, pairs: list, implications: list,
                      implying: list) -> None:
        if pairs:
            self.solver.add_requires_many(var, pairs)
            self.requirements.extend([(var, cands) for cands, _reason in pairs if cands])
        if implications:  # eager encodings only, which are searched without the brancher
            self.solver.add_implied_group(var, implications, _Requires(rid, implying))

    def _add_other_dep(self, rid: int, var: int, dep) -> None:
        """What a dependency that is not plain adds: nothing for a virtual package (classic
        enforces those only through the reduction), a feature's or a constrains' clauses."""
        if dep.name.startswith("__") and not self.virtual_clauses:
            return
        if dep.feature is not None:
            if self.free_features:
                return  # the feature's own record meets it, and nothing else needs that
            # features: f is a hard dependency on any record tracking f ("contains")
            cands = [self.rec_var[t] for t in self.trackers.get(dep.feature, ())]
            self.solver.add_clause([-var] + cands, reason=("requires", rid, dep.text))
            self.requirements.append((var, tuple(cands)))
            return
        self._add_constrains(rid, var, dep)

    def _dep_vars(self, dep) -> tuple:
        """Variables of a dependency's reduced candidates, best first; many records share a
        dependency, so each is computed once per encoding."""
        cands = self._dep_cands.get(dep)
        if cands is None:
            rec_var = self.rec_var
            cands = self._dep_cands[dep] = tuple(rec_var[r] for r in self._dep_candidates(dep))
            if self.eager:
                self._dep_implied[dep] = self._implied_literals(dep, cands)
        return cands

    def _implied_literals(self, dep, cands: tuple):
        """An eager encoding's form of "needs one of ``cands``" when the name's other records
        are no more than those: ``installed(name)`` and "not r" for each other record r, each
        implied by the record (the same models, given one record per name). Unit propagation
        then rules the others out as soon as the record is chosen, as classic's reduction
        does; the clause would wait for the name to be decided. None: keep the clause."""
        group = self.groups.get(dep.name)
        if group is None or not cands:
            return None
        rec_var = self.rec_var
        matching = set(cands)
        others = [-rec_var[rid] for rid in group if rec_var[rid] not in matching]
        if len(others) > len(cands):
            return None
        return (self.name_var[dep.name], *others)

    def _dep_candidates(self, dep) -> list:
        if dep.name not in self.groups or dep.spec.is_name_only:
            return self.candidates(dep.spec)
        self._encoded(dep.name)
        return self._group_matches(dep)

    def _group_matches(self, dep) -> list:
        """The reduced records of ``dep``'s name (one of ``groups``) that it matches, in
        group order; encodes nothing."""
        group = self.groups[dep.name]
        if dep.spec.is_name_only:
            return group
        mask = self.pool.dep_mask(dep)
        return [rid for rid in group if (mask >> rid) & 1]

    def _add_constrains(self, rid: int, var: int, dep) -> None:
        group = self.groups.get(dep.name)
        if group is None:
            return
        if dep.name not in self.name_var:
            # nothing of the name can be installed before it is encoded: wait till then
            self._waiting_constrains.setdefault(dep.name, []).append((rid, var, dep))
            return
        split = self._dep_split.get(dep)
        if split is None:
            mask = self.pool.dep_mask(dep)
            split = self._dep_split[dep] = (
                tuple(r for r in group if (mask >> r) & 1),
                tuple(r for r in group if not (mask >> r) & 1),
            )
        matching, others = split
        if not others:
            return
        solver = self.solver
        rec_var = self.rec_var
        reason = ("constrains", rid, dep.text)
        if len(others) <= _BINARY_CONSTRAINS_LIMIT:
            for other in others:
                solver.add_clause([-var, -rec_var[other]], reason=reason)
        else:
            lits = [-var, -self.name_var[dep.name]]
            lits.extend(rec_var[r] for r in matching)
            solver.add_clause(lits, reason=reason)

    # -- objective terms -----------------------------------------------------------------------

    def misfeature_terms(self) -> list:
        """Classic's ``generate_feature_metric``: ``rec AND feature(f)`` for each record that
        lacks ``features: f`` in a name that has builds with it, f being tracked."""
        solver = self.solver
        pool = self.pool
        terms = []
        for name, ids in self.groups.items():
            if name not in self.name_var:
                continue  # not encoded yet, so without features (see ``hot``)
            active = set()
            for rid in ids:
                active.update(pool.features(rid))
            for feature in sorted(active.intersection(self.trackers)):
                feature_var = self.feature_var[feature]
                for rid in ids:
                    if feature in pool.features(rid):
                        continue
                    var = self.rec_var[rid]
                    term = solver.new_var()
                    reason = ("misfeature", rid, feature)
                    solver.add_clause([-var, -feature_var, term], reason=reason)
                    solver.add_clause([-term, var], reason=reason)
                    solver.add_clause([-term, feature_var], reason=reason)
                    terms.append((term, 1))
        return terms

    # -- reading a model -----------------------------------------------------------------------

    def chosen(self, model) -> list:
        """Record ids true in ``model`` (a set of true variables)."""
        var_rec = self.var_rec
        return [var_rec[v] for v in model if v in var_rec]


class _Requires:
    """The ``("requires", rid, dep_text)`` reasons of a record's ``deps``, made only when a
    refutation cites one (an eager encoding gives the solver tens of thousands)."""

    __slots__ = ("rid", "deps")

    def __init__(self, rid: int, deps: list):
        self.rid = rid
        self.deps = deps

    def __getitem__(self, index: int) -> tuple:
        return "requires", self.rid, self.deps[index].text

    def __len__(self) -> int:
        return len(self.deps)


def make_brancher(encoder):
    """The decision rule: the first open requirement's first non-false candidate.

    Requirements are kept in discovery order (root specs first, then each dependency the
    first time its record is true, each name the first time it is installed), which roughly
    follows dependency depth; candidates are in the role-specific preference order. A
    requirement whose trigger never was true cannot be open, so it is not even listed. When
    nothing is open the solver sets every remaining variable false: a subset-minimal install.

    A requirement is settled while the assignment that settles it holds (its trigger false,
    or a candidate true, whatever its trigger). Each call remembers how far the run of
    settled requirements at the front reached, per decision level of what settled them
    (``marks``); a backtrack undoes only the levels above the one it went back to
    (``kept_level``), so the next call resumes after the part of the run those levels
    settled, not at the first requirement.
    """
    requirements = encoder.requirements
    roots = encoder._roots  # root requirements are inserted at the front, not appended
    marks: list = []  # (index, level): requirements[:index] settled at levels <= level
    seen_roots = [len(roots)]

    def brancher(solver):
        kept = solver.kept_level()
        if seen_roots[0] != len(roots):  # the front moved: nothing known holds
            seen_roots[0] = len(roots)
            marks.clear()
        while marks and marks[-1][1] > kept:
            marks.pop()
        start, top = marks[-1] if marks else (0, 0)
        vals = solver.assignment
        first_open = solver.first_open
        true_level = solver.true_level
        settled = True  # every requirement before ``index`` is settled
        for index in range(start, len(requirements)):
            trigger, cands = requirements[index]
            state = vals[2 * trigger]
            if state == 1:
                pick = first_open(cands)
                if pick:
                    if settled:
                        _mark(marks, index, top)
                    return pick
                if not settled:
                    continue
                level = true_level(cands)  # a true candidate settles it, whatever the trigger
                if level < 0:  # every candidate false: left to propagation, not settled
                    _mark(marks, index, top)
                    settled = False
                    continue
            elif not state:  # may become true: later calls must see it
                if settled:
                    _mark(marks, index, top)
                    settled = False
                continue
            elif not settled:
                continue
            else:
                level = true_level((-trigger,))
            if level > top:
                _mark(marks, index, top)
                top = level
        if settled:
            _mark(marks, len(requirements), top)
        return 0

    return brancher


def _mark(marks: list, index: int, level: int) -> None:
    """Note that ``requirements[:index]`` are settled at levels up to ``level``."""
    if marks and marks[-1][1] == level:
        marks[-1] = (index, level)
    else:
        marks.append((index, level))
