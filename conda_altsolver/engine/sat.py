"""An incremental CDCL SAT solver in pure Python: the engine's search core.

Owns variables, clauses, native at-most-one and pseudo-boolean (``<=``) constraints, the hooks
that let the encoder work lazily (``on_true`` callbacks, a pluggable brancher), solving under
assumptions, failed-assumption cores and the original reasons behind a refutation. The
contract is ``docs/dev/engine-api.md`` ("The SAT core"); the design is
``../shared/notes/engine-algorithms.md`` §3.3. Beyond the contract: ``reason=`` on
``add_at_most_one``/``add_pb_le``, ``add_requires`` (a dependency clause, its candidate tuple
translated once however many records share it) and its bulk forms, ``add_implied_group`` (a
record's dependencies as literals it implies, with reasons read only when a proof cites
them), ``first_open`` and ``level0_value`` for branchers, ``num_vars`` and ``stats``.

Internals, for speed in CPython:

- a literal is ``2*var + sign`` (sign 1 = negative), so negation is ``lit ^ 1``;
- ``_vals[lit]`` (a bytearray) is 0 unassigned, 1 true, 2 false;
- every constraint has an id indexing ``_lits`` (its literals), ``_kind`` and ``_origin`` (the
  caller's ``reason``); a variable's ``_reason`` is the id that implied it (-1: decision);
- clauses of 3+ literals use two watched literals, ``_lits[id][0:2]`` (MiniSat); binary
  clauses sit in per-literal implication lists;
- at-most-one and PB constraints are propagators triggered per literal (``_special`` flags);
  their reasons are built only when conflict analysis asks (``_raux`` says which trigger);
- an ``IMPLIED`` constraint ``[-v, l1, l2, ...]`` stands for the binary clauses ``-v or li``
  (``add_implied_group``: every dependency of a record at once), which its id watches in the
  implication lists: one id and kind per call, not per clause. Its reasons are rebuilt from
  the assignment (propagation notes in ``_raux`` which literal ruled ``v`` out), and a proof
  records the literal it used, which tells the part, and so the reason, apart;
- learnt clauses keep the ids they were resolved from, so a refutation can be expanded back
  to original constraints (resolvo's ``analyze_unsolvable``); the worse half of long learnt
  clauses stops being watched every few thousand conflicts.

Constraints added during search (from callbacks or the brancher) are checked against the
current assignment. A clause that is already unit or falsified backtracks to the level where
that happened and is propagated or analysed there (a unit clause goes to level 0). At-most-one
and PB constraints assign what they force at the current level, and report a violation as a
conflict; a later violation is caught by their propagators.
"""

from __future__ import annotations

from bisect import bisect_right, insort
from heapq import heapify, heappop, heappush
from operator import itemgetter

CLAUSE, LEARNT, AT_MOST_ONE, PSEUDO_BOOLEAN, IMPLIED = 0, 1, 2, 3, 4
# _special flag bits, per literal: which native propagators the literal becoming true wakes.
_AMO, _PB, _CALLBACK = 1, 2, 4
_RESTART_UNIT = 128
_ACTIVITY_DECAY = 1 / 0.95
_REDUCE_FIRST, _REDUCE_STEP = 2000, 300  # conflicts between learnt-clause clean-ups: 2000 + 300k
_PROOF_ORDER = itemgetter(0, 1)  # (id, part, reason): constraints in the order added


def _luby(index: int) -> int:
    """The Luby sequence 1 1 2 1 1 2 4 ... (MiniSat's formulation)."""
    size, exponent = 1, 0
    while size < index + 1:
        exponent += 1
        size = 2 * size + 1
    while size - 1 != index:
        size = (size - 1) >> 1
        exponent -= 1
        index %= size
    return 1 << exponent


def _largest_first(term: tuple[int, int]) -> tuple[int, int]:
    """A PB term's sort key: largest coefficient first, then by literal."""
    return (-term[0], term[1])


class _ImpliedReasons:
    """The reasons of an ``IMPLIED`` constraint made of several parts (``add_implied_group``):
    part ``k`` holds the group's literals up to ``ends[k]`` and has ``reasons[first + k]``."""

    __slots__ = ("ends", "reasons", "first")

    def __init__(self, ends: list, reasons, first: int):
        self.ends = ends
        self.reasons = reasons
        self.first = first

    def part_of(self, group: list, lit: int) -> int:
        """The part of ``group`` (the constraint's literals) that holds ``lit``."""
        return self.first + bisect_right(self.ends, group.index(lit, 1) - 1)


class _PbConstraint:
    """State of one ``sum(coeff * lit) <= bound`` constraint (coefficients > 0)."""

    __slots__ = ("bound", "coef", "offset", "stack", "terms", "total")

    def __init__(self, terms: list[tuple[int, int]], bound: int, offset: int):
        self.terms = sorted(terms, key=_largest_first)
        self.coef = {lit: coeff for coeff, lit in terms}
        self.bound = bound
        self.offset = offset  # constant folded out of the terms at normalisation
        self.stack: list[int] = []  # true terms, in trail order (processed ones only)
        self.total = 0  # sum of coefficients on the stack


def _push(lists: list, lit: int, entry: tuple) -> None:
    """Extend a literal's watch, binary or PB-occurrence list by ``entry``, creating the list
    if need be."""
    known = lists[lit]
    if known is None:
        lists[lit] = list(entry)
    else:
        known += entry


class SatSolver:
    """Incremental CDCL solver; see the module docstring and docs/dev/engine-api.md."""

    def __init__(self) -> None:
        self._num_vars = 0
        self._vals = bytearray(2)
        self._level = [0]
        self._reason = [-1]
        self._raux = [0]  # per var: the trigger of a native or IMPLIED reason (see _reason_lits)
        self._seen = bytearray(1)
        self._activity = [0.0]
        self._phase = bytearray(1)  # saved sign for default decisions; 1 = false first
        self._in_heap = bytearray(1)
        self._heap: list[tuple[float, int]] = []
        self._var_inc = 1.0
        # per literal: long clauses watching it (None until the first: most literals of a
        # big encoding never watch anything, and an empty list per literal adds up)
        self._watches: list[list[int] | None] = [None, None]
        # per literal: its binary clauses, flat as other, id, other, id, ... (a pair of ints
        # per clause, not a tuple: encoders add one binary clause per record)
        self._binaries: list[list[int] | None] = [None, None]  # None until the first
        self._special = bytearray(2)
        self._amo_occ: list[list[int] | None] = [None, None]
        self._pb_occ: list[list[tuple[int, int]] | None] = [None, None]
        self._callbacks: dict[int, tuple] = {}  # var -> callbacks, shared by on_true_many
        self._cands: dict[int, tuple] = {}  # id(cands) -> (cands, internal, set): add_requires
        self._implied: dict[int, tuple] = {}  # id(lits) -> (lits, internal, variables)
        self._grouped: set[int] = set()  # IMPLIED ids of several parts (_ImpliedReasons)
        self._pending: list[int] = []
        self._trail: list[int] = []
        self._trail_lim: list[int] = []
        self._qhead = 0
        self._lits: list[list[int]] = []
        self._kind = bytearray()
        self._origin: list[object] = []
        self._chains: dict[int, tuple[list[int], list[int]]] = {}
        self._pbs: dict[int, _PbConstraint] = {}
        self._learnts: list[int] = []  # learnt clauses of 3+ literals still watched
        self._lbd: dict[int, int] = {}  # their literal block distance (levels when learnt)
        self._reduce_at = _REDUCE_FIRST
        self._reductions = 0
        self._confl_lits: list[int] = []
        self._brancher = None
        self._ok = True
        self._root_proof: tuple[list[int], list[int]] | None = None
        self._final: tuple[list[int], list[int]] | None = None
        self._model: set[int] | None = None
        self._core: list[int] = []
        self._changes = 0  # bumped by every add_*: lets decide() notice lazy additions
        self._backtracks = 0
        self._kept = 0  # lowest level backtracked to since the last kept_level() call
        self._conflicts = 0
        self._fill_epoch: tuple[int, int, int] | None = None
        self._fill_mark = 0
        self._fill_ptr = 1
        self.stats = dict.fromkeys(
            ("conflicts", "decisions", "propagations", "visits", "restarts"), 0
        )

    # ------------------------------------------------------------------ building the problem

    def new_var(self) -> int:
        """A fresh variable, numbered 1, 2, ..."""
        self._num_vars += 1
        var = self._num_vars
        self._vals += b"\0\0"
        self._special += b"\0\0"
        self._level.append(0)
        self._reason.append(-1)
        self._raux.append(0)
        self._seen.append(0)
        self._activity.append(0.0)
        self._phase.append(1)
        self._in_heap.append(1)
        heappush(self._heap, (-0.0, var))
        self._watches += (None, None)
        self._binaries += (None, None)
        self._amo_occ.append(None)
        self._amo_occ.append(None)
        self._pb_occ.append(None)
        self._pb_occ.append(None)
        return var

    def new_vars(self, count: int) -> range:
        """``count`` fresh variables at once (what ``new_var`` does, in bulk): their range."""
        first = self._num_vars + 1
        self._num_vars += count
        pairs = 2 * count
        self._vals += bytes(pairs)
        self._special += bytes(pairs)
        self._level += [0] * count
        self._reason += [-1] * count
        self._raux += [0] * count
        self._seen += bytes(count)
        self._activity += [0.0] * count
        self._phase += b"\1" * count
        self._in_heap += b"\1" * count
        # every key in the heap is <= -0.0 and every earlier variable is smaller, so new
        # entries appended in order keep the heap property without sifting
        self._heap += [(-0.0, var) for var in range(first, first + count)]
        self._watches += [None] * pairs
        self._binaries += [None] * pairs
        self._amo_occ += [None] * pairs
        self._pb_occ += [None] * pairs
        return range(first, first + count)

    @property
    def num_vars(self) -> int:
        return self._num_vars

    @property
    def backtracks(self) -> int:
        """How many times assignments were undone; branchers may cache what holds between."""
        return self._backtracks

    def kept_level(self) -> int:
        """For branchers: every assignment made at this decision level or below before the
        previous call still holds (the lowest level backtracked to since then; 0 on a
        solve's first call). Branchers may keep what those assignments settled."""
        kept = self._kept
        self._kept = len(self._trail_lim)
        return kept

    def _internal(self, lit: int) -> int:
        var = lit if lit > 0 else -lit
        if lit == 0 or var > self._num_vars:
            raise ValueError(f"literal {lit} names no variable (have {self._num_vars})")
        return 2 * var + (lit < 0)

    def _new_constraint(self, kind: int, lits: list[int], reason: object) -> int:
        cid = len(self._lits)
        self._lits.append(lits)
        self._kind.append(kind)
        self._origin.append(reason)
        self._changes += 1
        return cid

    def add_clause(self, lits, reason: object = None) -> int:
        """Add the clause ``OR(lits)``; returns its id. Tautologies are dropped (id -1)."""
        # the encoders add tens of thousands of clauses: the common case (valid literals, no
        # variable twice) goes without a per-literal call
        if not isinstance(lits, (list, tuple)):
            lits = list(lits)  # read twice when the checked path is needed
        limit = self._num_vars
        internal = [2 * lit if 0 < lit <= limit else 1 - 2 * lit for lit in lits]
        size = len(internal)
        if (not size or len({ilit >> 1 for ilit in internal}) != size
                or min(internal) < 2 or max(internal) > 2 * limit + 1):
            return self._add_clause_checked(lits, reason)
        return self._add_internal_clause(internal, reason)

    def add_requires(self, var: int, cands: tuple, reason: object = None) -> int:
        """``add_clause([-var, *cands])`` for a variable and candidate variables: "``var``
        needs one of ``cands``". Encoders pass the same ``cands`` tuple for every record that
        shares a dependency, so it is validated and translated once per tuple."""
        known = self._cands.get(id(cands))
        if known is None or known[0] is not cands:
            if not isinstance(cands, tuple) or not all(0 < v <= self._num_vars for v in cands):
                return self.add_clause([-var, *cands], reason)
            known = self._cands[id(cands)] = (cands, [2 * v for v in cands], set(cands))
        if not 0 < var <= self._num_vars or var in known[2] or len(known[1]) != len(known[2]):
            return self.add_clause([-var, *cands], reason)  # tautology, repeats or an error
        internal = [2 * var + 1]
        internal += known[1]
        return self._add_internal_clause(internal, reason)

    def add_requires_many(self, var: int, pairs: list) -> None:
        """``add_requires(var, cands, reason)`` for each ``(cands, reason)`` of ``pairs``:
        every dependency clause of one record in one call (an eager encoding adds tens of
        thousands). With nothing assigned, each clause is stored and watched directly; with
        assignments (the search asking for a record's clauses), each is integrated at once."""
        if not self._ok or not 0 < var <= self._num_vars:
            self._add_each(self.add_requires, var, pairs)
            return
        if self._trail:
            self._add_requires_integrated(var, pairs)
            return
        known_cands = self._cands
        clause_lits = self._lits
        kinds = self._kind
        origin = self._origin
        watches = self._watches
        head = 2 * var + 1
        for index, (cands, reason) in enumerate(pairs):
            known = known_cands.get(id(cands))
            if (known is None or known[0] is not cands or var in known[2]
                    or len(cands) < 2 or len(known[2]) != len(cands)):
                # new cands, a tautology, repeats or a unit/binary clause
                if self._add_general(self.add_requires, var, pairs, index):
                    break
                continue
            internal = [head]
            internal += known[1]
            cid = len(clause_lits)
            clause_lits.append(internal)
            kinds.append(CLAUSE)
            origin.append(reason)
            for lit in (head, internal[1]):
                watching = watches[lit]
                if watching is None:
                    watches[lit] = [cid]
                else:
                    watching.append(cid)
        self._changes += 1

    def _add_requires_integrated(self, var: int, pairs: list) -> None:
        """``add_requires_many`` while the search has assignments (a record turned true asks
        for its dependencies' clauses): a clause of one candidate that is true or now made
        true (most of them: a sudoku adds thousands) is stored and watched here, as
        ``add_requires`` would; the others go through it."""
        clause_lits = self._lits
        kinds = self._kind
        origin = self._origin
        vals = self._vals
        level = self._level
        binaries = self._binaries
        limit = self._num_vars
        head = 2 * var + 1
        for cands, reason in pairs:
            if (cands.__class__ is tuple and len(cands) == 1 and vals[head] == 2 and self._ok
                    and 0 < cands[0] <= limit and cands[0] != var):
                # the common cases, as ``_integrate_clause`` has them for a true ``var``: a
                # binary clause that its candidate meets or that makes the candidate true
                # (at ``var``'s level), watched with the candidate first
                lit = 2 * cands[0]
                value = vals[lit]
                if value != 2:
                    cid = len(clause_lits)
                    clause_lits.append([lit, head])
                    kinds.append(CLAUSE)
                    origin.append(reason)
                    self._changes += 1
                    _push(binaries, lit, (head, cid))
                    _push(binaries, head, (lit, cid))
                    if not value:
                        self._backtrack(level[var])
                        self._assign(lit, cid)
                    continue
            self.add_requires(var, cands, reason)

    def add_implied_group(self, var: int, lits_list: list, reasons) -> None:
        """``add_clause([-var, lit], reasons[k])`` for each literal of each ``lits_list[k]``:
        a record's dependencies in one call (an eager encoding has tens of thousands).

        ``reasons`` is indexed only when a refutation cites one of them, so a caller may
        build them on demand. Encoders pass the same tuple for every record that shares a
        dependency: it is validated and translated once. With nothing assigned, the call
        makes one ``IMPLIED`` constraint ``[-var, every literal]`` whose binary clauses are
        watched directly; a refutation tells its parts apart by the literal it used."""
        if self._trail or not self._ok or not 0 < var <= self._num_vars:
            self._add_implied_each(var, lits_list, reasons, 0)
            return
        known_lits = self._implied  # an entry holds its tuple: no other object has that id
        head = 2 * var + 1
        group = [head]
        ends: list[int] = []  # per part: how many implied literals the group has by its end
        first = 0  # the group's first part
        for index, lits in enumerate(lits_list):
            known = known_lits.get(id(lits)) or self._implied_entry(lits)
            if known[1] is None or var in known[2]:  # a bad literal, or var among them
                # the general path for this part, after the parts before it (their order)
                self._store_implied(group, ends, reasons, first)
                self._add_implied(var, lits, reasons[index])
                if self._trail or not self._ok:  # it assigned: no direct path holds
                    self._add_implied_each(var, lits_list, reasons, index + 1)
                    return
                group = [head]
                ends = []
                first = index + 1
                continue
            group += known[1]
            ends.append(len(group) - 1)
        self._store_implied(group, ends, reasons, first)

    def _store_implied(self, group: list, ends: list, reasons, first: int) -> None:
        """Record an ``add_implied_group`` constraint and watch its binary clauses: the
        head's list gets ``literal, id`` per implied literal and each literal's list
        ``head, id``, in the order one ``add_clause`` per literal would add them."""
        if not ends:
            return
        cid = len(self._lits)
        head = group[0]
        tails = group[1:]
        binaries = self._binaries
        pairs = [cid] * (2 * len(tails))
        pairs[::2] = tails
        head_binaries = binaries[head]
        if head_binaries is None:
            binaries[head] = pairs
        else:
            head_binaries += pairs
        entry = (head, cid)
        for implied in map(binaries.__getitem__, tails):  # made by _implied_entry
            implied += entry
        self._lits.append(group)
        self._kind.append(IMPLIED)
        if len(ends) == 1:
            self._origin.append(reasons[first])
        else:
            self._origin.append(_ImpliedReasons(ends, reasons, first))
            self._grouped.add(cid)
        self._changes += 1

    def _add_implied_each(self, var: int, lits_list: list, reasons, start: int) -> None:
        for index in range(start, len(lits_list)):
            self._add_implied(var, lits_list[index], reasons[index])

    def _implied_entry(self, lits) -> tuple:
        """``(lits, internal literals or None if one is invalid, their variables)``, kept per
        tuple for ``add_implied_group`` (another sequence is checked each time)."""
        variables = {abs(lit) for lit in lits}
        if not isinstance(lits, tuple):
            return lits, None, variables
        limit = self._num_vars
        internal = None
        if all(0 < v <= limit for v in variables):
            internal = [2 * lit if lit > 0 else 1 - 2 * lit for lit in lits]
            binaries = self._binaries
            for lit in internal:  # lists _store_implied extends without looking
                if binaries[lit] is None:
                    binaries[lit] = []
        entry = self._implied[id(lits)] = (lits, internal, variables)
        return entry

    def _add_implied(self, var: int, lits, reason: object) -> None:
        for lit in lits:
            self.add_clause([-var, lit], reason)

    def _add_general(self, add, var: int, pairs: list, index: int) -> bool:
        """A bulk call's general path for ``pairs[index]`` (``add(var, *pair)``). That may
        assign (a unit), after which no direct path holds: then the rest of ``pairs`` goes
        the general way too, and the answer is True (the caller stops)."""
        add(var, *pairs[index])
        if self._trail or not self._ok:
            self._add_each(add, var, pairs[index + 1:])
            return True
        return False

    @staticmethod
    def _add_each(add, var: int, pairs) -> None:
        for first, reason in pairs:
            add(var, first, reason)

    def add_units(self, lits, reason: object = None) -> None:
        """``add_clause([lit])`` for each of ``lits``, validated once (objectives forbid
        thousands of terms at a time)."""
        limit = self._num_vars
        internal = [2 * lit if 0 < lit <= limit else 1 - 2 * lit for lit in lits]
        if internal and (min(internal) < 2 or max(internal) > 2 * limit + 1):
            for lit in lits:
                self.add_clause([lit], reason)
            return
        # _add_internal_clause per unit, its storing inlined (a unit needs no watches)
        clause_lits = self._lits
        kinds = self._kind
        origin = self._origin
        for ilit in internal:
            cid = len(clause_lits)
            clause_lits.append([ilit])
            kinds.append(CLAUSE)
            origin.append(reason)
            if self._ok:
                self._integrate_unit(cid)
        self._changes += len(internal)

    def add_implications(self, sources, target: int, reason: object = None) -> None:
        """``add_clause([-source, target])`` for each of ``sources`` (variables): each implies
        ``target``. Validated once; encoders add one such clause per record."""
        limit = self._num_vars
        if not 0 < target <= limit or not all(0 < v <= limit and v != target for v in sources):
            for source in sources:
                self.add_clause([-source, target], reason)
            return
        head = 2 * target
        vals = self._vals
        if not self._ok or vals[head] or any(vals[2 * v] for v in sources):
            for source in sources:
                self._add_internal_clause([2 * source + 1, head], reason)
            return
        # nothing assigned (the usual case: fresh variables): store and watch directly
        clause_lits = self._lits
        kinds = self._kind
        origin = self._origin
        binaries = self._binaries
        head_binaries = binaries[head]
        if head_binaries is None:
            head_binaries = binaries[head] = []
        for source in sources:
            cid = len(clause_lits)
            tail = 2 * source + 1
            clause_lits.append([tail, head])
            kinds.append(CLAUSE)
            origin.append(reason)
            _push(binaries, tail, (head, cid))
            head_binaries += (tail, cid)
        self._changes += 1

    def _add_internal_clause(self, internal: list[int], reason: object) -> int:
        cid = self._new_constraint(CLAUSE, internal, reason)
        if self._ok:
            self._integrate_clause(cid)
        return cid

    def _add_clause_checked(self, lits, reason: object) -> int:
        """``add_clause`` with repeated or complementary literals, or a bad one (raises)."""
        internal: list[int] = []
        present: set[int] = set()
        for lit in lits:
            ilit = self._internal(lit)
            if ilit in present:
                continue
            if ilit ^ 1 in present:
                return -1
            present.add(ilit)
            internal.append(ilit)
        return self._add_internal_clause(internal, reason)

    def add_at_most_one(self, lits, reason: object = None) -> int:
        """At most one of ``lits`` is true, as a native propagator; returns its id."""
        limit = self._num_vars
        members = [2 * lit if 0 < lit <= limit else 1 - 2 * lit for lit in lits]
        if members and (min(members) < 2 or max(members) > 2 * limit + 1):
            members = [self._internal(lit) for lit in lits]  # raises for the bad literal
        present = set(members)
        if len(present) != len(members) or any(m ^ 1 in present for m in members):
            return self._add_degenerate_amo(members, reason)
        if len(members) <= 2:
            if len(members) < 2:
                return -1
            return self.add_clause([self._external(m ^ 1) for m in members], reason)
        cid = self._new_constraint(AT_MOST_ONE, members, reason)
        amo_occ = self._amo_occ
        special = self._special
        for member in members:
            occ = amo_occ[member]
            if occ is None:
                amo_occ[member] = [cid]
            else:
                occ.append(cid)
            special[member] |= _AMO
        if self._ok:
            self._integrate_amo(cid)
        return cid

    def _add_degenerate_amo(self, members: list[int], reason: object) -> int:
        """At-most-one with repeated or complementary literals, as plain clauses."""
        cid = -1
        for i, first in enumerate(members):
            for second in members[i + 1 :]:
                if first == second:
                    cid = self.add_clause([self._external(first ^ 1)], reason)
                elif first != second ^ 1:
                    cid = self.add_clause(
                        [self._external(first ^ 1), self._external(second ^ 1)], reason
                    )
        return cid

    def add_pb_le(self, terms, bound: int, reason: object = None) -> int:
        """``sum(coeff for coeff, lit in terms if lit is true) <= bound``; returns a handle."""
        by_lit: dict[int, int] = {}
        for coeff, lit in terms:
            ilit = self._internal(lit)
            by_lit[ilit] = by_lit.get(ilit, 0) + coeff
        offset = 0
        normal: dict[int, int] = {}
        for ilit in sorted(by_lit):
            coeff = by_lit[ilit]
            if coeff < 0:  # c*l == c - c*(~l): flip to a positive coefficient on ~l
                offset += coeff
                ilit, coeff = ilit ^ 1, -coeff
            if coeff == 0:
                continue
            if ilit ^ 1 in normal:  # a*l + b*~l == min(a,b) + |a-b| on the heavier literal
                other = normal.pop(ilit ^ 1)
                common = min(coeff, other)
                offset += common
                coeff, other = coeff - common, other - common
                if other:
                    normal[ilit ^ 1] = other
                if not coeff:
                    continue
            normal[ilit] = normal.get(ilit, 0) + coeff
        pb_terms = [(coeff, ilit) for ilit, coeff in normal.items()]
        cid = self._new_constraint(PSEUDO_BOOLEAN, [lit for _, lit in pb_terms], reason)
        pb = _PbConstraint(pb_terms, bound - offset, offset)
        self._pbs[cid] = pb
        for coeff, ilit in pb_terms:
            _push(self._pb_occ, ilit, ((cid, coeff),))
            self._special[ilit] |= _PB
        vals = self._vals
        for lit in self._trail[: self._qhead]:  # terms already true and propagated
            if lit in pb.coef and vals[lit] == 1:
                pb.stack.append(lit)
                pb.total += pb.coef[lit]
        if self._ok:
            self._check_pb(cid)
        return cid

    def add_pb_terms(self, handle: int, terms) -> None:
        """Add ``(coeff, lit)`` terms to the PB constraint ``handle`` (from ``add_pb_le``),
        keeping its bound: for variables created after it (a lazy encoding's late names),
        which must not be true yet (the constraint counts true terms as they propagate).
        What the constraint now forces is assigned at once, at the current level (as
        ``set_pb_bound`` does)."""
        pb = self._pbs[handle]
        vals = self._vals
        added: dict[int, int] = {}  # literal -> coefficient, in the caller's order
        for coeff, lit in terms:
            ilit = self._internal(lit)
            if (coeff <= 0 or vals[ilit] == 1 or ilit in pb.coef or ilit ^ 1 in pb.coef
                    or ilit in added or ilit ^ 1 in added):
                raise ValueError(f"add_pb_terms takes new literals, each once, not true, with "
                                 f"a positive coefficient, not {coeff} * {lit}")
            added[ilit] = coeff
        if not added:
            return
        key = _largest_first
        for ilit, coeff in added.items():
            insort(pb.terms, (coeff, ilit), key=key)
            pb.coef[ilit] = coeff
            _push(self._pb_occ, ilit, ((handle, coeff),))
            self._special[ilit] |= _PB
        self._lits[handle].extend(added)
        self._changes += 1
        if self._ok:
            self._check_pb(handle)

    def set_pb_bound(self, handle: int, bound: int) -> None:
        """Tighten a PB constraint's bound in place (a looser bound is an error)."""
        pb = self._pbs[handle]
        new = bound - pb.offset
        if new > pb.bound:
            raise ValueError(f"set_pb_bound may only tighten: {bound} > {pb.bound + pb.offset}")
        if new == pb.bound:
            return
        pb.bound = new
        self._changes += 1
        if self._ok:
            self._check_pb(handle)

    def on_true(self, var: int, callback) -> None:
        """Run ``callback(var)`` once, the first time ``var`` is true (after propagation)."""
        self.on_true_many((var,), callback)

    def on_true_many(self, variables, callback) -> None:
        """``on_true(var, callback)`` for each of ``variables``; they share one entry."""
        shared = (callback,)
        callbacks = self._callbacks
        special = self._special
        vals = self._vals
        limit = self._num_vars
        for var in variables:
            if not 0 < var <= limit:
                raise ValueError(f"on_true takes a variable (1..{limit}), not {var}")
            known = callbacks.get(var)
            callbacks[var] = shared if known is None else known + shared
            special[2 * var] |= _CALLBACK
            if vals[2 * var] == 1:
                self._pending.append(var)

    @property
    def brancher(self):
        """The decision function ``set_brancher`` gave, or None (activity-driven decisions)."""
        return self._brancher

    def set_brancher(self, brancher) -> None:
        """Decide with ``brancher(solver) -> literal``; 0 means "nothing open".

        After a 0, unassigned variables are set false one by one (lowest first), with
        propagation between them. The brancher is asked again after a conflict, an added
        constraint, a backtrack or any variable becoming true; otherwise false assignments
        alone cannot open anything, so the fill goes on without asking.
        """
        self._brancher = brancher
        if brancher is None:
            self._rebuild_heap()  # activities moved while the brancher was deciding

    # ------------------------------------------------------------------ reading results

    def value(self, var: int):
        """True / False / None under the current assignment (level 0 between solves).

        Also accepts a negative literal. Kept cheap (no validation beyond indexing) because
        branchers call it in their inner loops.
        """
        val = self._vals[2 * var] if var > 0 else self._vals[1 - 2 * var]
        return None if val == 0 else val == 1

    def first_open(self, lits) -> int:
        """For branchers: 0 if some literal of ``lits`` is true, else the first unassigned one
        (0 when every literal is false). One call instead of a ``value()`` per literal."""
        vals = self._vals
        pick = 0
        for lit in lits:
            val = vals[2 * lit] if lit > 0 else vals[1 - 2 * lit]
            if val == 1:
                return 0
            if val == 0 and not pick:
                pick = lit
        return pick

    @property
    def assignment(self) -> bytearray:
        """For branchers, read only: ``assignment[2 * var]`` is 1 when ``var`` is true, 2 when
        false, 0 when unassigned (``value`` without a call per variable)."""
        return self._vals

    def true_level(self, lits) -> int:
        """For branchers: the decision level of the first true literal of ``lits``, or -1
        when none is true."""
        vals = self._vals
        for lit in lits:
            if (vals[2 * lit] if lit > 0 else vals[1 - 2 * lit]) == 1:
                return self._level[lit if lit > 0 else -lit]
        return -1

    def model(self) -> set[int]:
        """The true variables of the last satisfying solve."""
        if self._model is None:
            raise RuntimeError("model() needs a preceding solve() that returned True")
        return set(self._model)

    def core(self) -> list[int]:
        """After a False solve: the failed assumptions (empty when the formula is UNSAT)."""
        return list(self._core)

    def conflict_reasons(self) -> list:
        """After a False solve: the reasons of the original constraints in the refutation."""
        if self._final is None:
            return []
        return self._expand_proof(*self._final)

    def propagate(self) -> bool:
        """Between solves: close the level-0 assignment (``assignment``, ``level0_value``)
        under propagation, callbacks aside (they run in the next ``solve``). False when
        that proves the formula unsatisfiable."""
        if self._ok:
            self._backtrack(0)
            confl = self._propagate()
            if confl >= 0:  # at level 0: unsatisfiable, with its proof kept for core()
                self._set_unsat(confl, self._lits[confl] if self._kind[confl] <= LEARNT
                                else self._confl_lits)
        return self._ok

    def level0_value(self, var: int):
        """The value fixed at level 0 (true in every model), or None."""
        ilit = self._internal(var)
        if self._vals[ilit] == 0 or self._level[var] != 0:
            return None
        return self._vals[ilit] == 1

    @staticmethod
    def _external(lit: int) -> int:
        return -(lit >> 1) if lit & 1 else lit >> 1

    # ------------------------------------------------------------------ assignment

    def _assign(self, lit: int, reason: int, aux: int = 0) -> None:
        vals = self._vals
        vals[lit] = 1
        vals[lit ^ 1] = 2
        var = lit >> 1
        self._level[var] = len(self._trail_lim)
        self._reason[var] = reason
        self._raux[var] = aux
        self._trail.append(lit)

    def _decide(self, lit: int) -> None:
        self._trail_lim.append(len(self._trail))
        self._assign(lit, -1)
        self.stats["decisions"] += 1

    def _backtrack(self, level: int) -> None:
        """Undo every assignment above ``level``; save phases; pop PB stacks; refill the heap."""
        trail_lim = self._trail_lim
        if len(trail_lim) <= level:
            return
        self._backtracks += 1
        if level < self._kept:
            self._kept = level
        trail = self._trail
        vals = self._vals
        special = self._special
        phase = self._phase
        in_heap = self._in_heap
        heap = self._heap
        activity = self._activity
        pb_occ = self._pb_occ
        pbs = self._pbs
        limit = trail_lim[level]
        for i in range(len(trail) - 1, limit - 1, -1):
            lit = trail[i]
            vals[lit] = 0
            vals[lit ^ 1] = 0
            var = lit >> 1
            phase[var] = lit & 1
            if special[lit] & _PB:
                for cid, coeff in pb_occ[lit]:
                    pb = pbs[cid]
                    if pb.stack and pb.stack[-1] == lit:  # only propagated terms were pushed
                        pb.stack.pop()
                        pb.total -= coeff
            if not in_heap[var]:
                in_heap[var] = 1
                heappush(heap, (-activity[var], var))
        del trail[limit:]
        del trail_lim[level:]
        if self._qhead > limit:
            self._qhead = limit
        self._fill_ptr = 1

    # ------------------------------------------------------------------ propagation

    def _propagate(self) -> int:
        """Propagate to a fixpoint; return the id of a falsified constraint, or -1.

        Steps, per trail literal ``p`` (now true): (1) if ``p`` wakes native propagators
        (at-most-one, PB, callbacks) run them; (2) binary clauses with ``~p``: assign the other
        literal or report the conflict; (3) longer clauses watching ``~p``: keep the watch if
        the other watch is true, else move it to a non-false literal, else the clause is unit
        (assign the other watch) or falsified (conflict: stop).
        """
        trail = self._trail
        vals = self._vals
        watches = self._watches
        binaries = self._binaries
        clause_lits = self._lits
        level = self._level
        reason = self._reason
        raux = self._raux
        special = self._special
        qhead = self._qhead
        dlevel = len(self._trail_lim)
        start = qhead
        visits = 0
        while qhead < len(trail):
            p = trail[qhead]
            qhead += 1
            if special[p]:
                confl = self._propagate_native(p, dlevel)
                if confl >= 0:
                    self._qhead = qhead
                    self._count(qhead - start, visits)
                    return confl
            false_lit = p ^ 1
            implied = binaries[false_lit]
            if implied:
                visits += len(implied) >> 1
                pairs = iter(implied)
                for other, cid in zip(pairs, pairs):
                    val = vals[other]
                    if val == 1:
                        continue
                    if val == 2:
                        self._confl_lits = [other, false_lit]  # the clause, if cid is IMPLIED
                        self._qhead = qhead
                        self._count(qhead - start, visits)
                        return cid
                    vals[other] = 1
                    vals[other ^ 1] = 2
                    var = other >> 1
                    level[var] = dlevel
                    reason[var] = cid
                    raux[var] = false_lit  # which literal of an IMPLIED group ruled var out
                    trail.append(other)
            watching = watches[false_lit]
            if not watching:
                continue
            visits += len(watching)
            kept: list[int] = []
            watches[false_lit] = kept
            rest = iter(watching)
            for cid in rest:
                c = clause_lits[cid]
                other = c[0]
                if other == false_lit:  # the watches are c[0] and c[1], in either order
                    other = c[1]
                    pos = 0
                else:
                    pos = 1
                if vals[other] == 1:
                    kept.append(cid)
                    continue
                for k in range(2, len(c)):
                    lit = c[k]
                    if vals[lit] != 2:
                        c[pos] = lit
                        c[k] = false_lit
                        moved = watches[lit]
                        if moved is None:
                            watches[lit] = [cid]
                        else:
                            moved.append(cid)
                        break
                else:
                    kept.append(cid)
                    if vals[other] == 2:
                        kept.extend(rest)
                        self._qhead = qhead
                        self._count(qhead - start, visits)
                        return cid
                    vals[other] = 1
                    vals[other ^ 1] = 2
                    var = other >> 1
                    level[var] = dlevel
                    reason[var] = cid
                    trail.append(other)
        self._qhead = qhead
        self._count(qhead - start, visits)
        return -1

    def _count(self, propagations: int, visits: int) -> None:
        stats = self.stats
        stats["propagations"] += propagations
        stats["visits"] += visits

    def _propagate_native(self, p: int, dlevel: int) -> int:
        """Run the at-most-one, PB and callback hooks of literal ``p``; -1 or a conflict id."""
        flags = self._special[p]
        vals = self._vals
        if flags & _AMO:
            trail = self._trail
            level = self._level
            reason = self._reason
            raux = self._raux
            for cid in self._amo_occ[p]:
                for member in self._lits[cid]:
                    val = vals[member]
                    if val == 0:  # inlined _assign(member ^ 1, cid, p)
                        vals[member] = 2
                        vals[member ^ 1] = 1
                        var = member >> 1
                        level[var] = dlevel
                        reason[var] = cid
                        raux[var] = p
                        trail.append(member ^ 1)
                    elif val == 1 and member != p:
                        self._confl_lits = [p ^ 1, member ^ 1]
                        return cid
        if flags & _PB:
            for cid, coeff in self._pb_occ[p]:
                pb = self._pbs[cid]
                pb.stack.append(p)
                pb.total += coeff
                slack = pb.bound - pb.total
                if slack < 0:
                    self._confl_lits = self._pb_excess(pb, len(pb.stack), pb.bound)
                    return cid
                depth = len(pb.stack)
                for term_coeff, lit in pb.terms:
                    if term_coeff <= slack:
                        break
                    if vals[lit] == 0:
                        self._assign(lit ^ 1, cid, depth)
        if flags & _CALLBACK:  # only ever set on positive literals
            self._pending.append(p >> 1)
        return -1

    @staticmethod
    def _pb_excess(pb: _PbConstraint, depth: int, need: int) -> list[int]:
        """Negations of the shortest prefix of ``pb.stack[:depth]`` whose sum exceeds ``need``."""
        coef = pb.coef
        lits = []
        total = 0
        for lit in pb.stack[:depth]:
            lits.append(lit ^ 1)
            total += coef[lit]
            if total > need:
                break
        return lits

    def _reason_lits(self, var: int, cid: int) -> list[int]:
        """The clause that implied ``var`` (it contains the true literal of ``var``)."""
        kind = self._kind[cid]
        if kind <= LEARNT:
            return self._lits[cid]
        lit = 2 * var if self._vals[2 * var] == 1 else 2 * var + 1
        if kind == AT_MOST_ONE:
            return [lit, self._raux[var] ^ 1]
        if kind == IMPLIED:
            head = self._lits[cid][0]
            # a head was ruled out by the literal that propagated it (see _propagate)
            return [lit, head] if lit != head else [lit, self._raux[var]]
        pb = self._pbs[cid]
        return [lit] + self._pb_excess(pb, self._raux[var], pb.bound - pb.coef[lit ^ 1])

    # ------------------------------------------------------------------ integrating additions

    def _integrate_clause(self, cid: int) -> None:
        """Watch a new clause; propagate or analyse it if the assignment makes it unit/false."""
        c = self._lits[cid]
        vals = self._vals
        level = self._level
        if len(c) <= 1:
            self._integrate_unit(cid)
            return
        if not self._trail or not any(map(vals.__getitem__, c)):
            self._watch(cid, c)  # nothing of it assigned: the ranking below keeps c as it is
            return
        dlevel = len(self._trail_lim)
        # rank: true (lowest level first) < unassigned < false (highest level first)
        best = second = 3 * dlevel + 9
        best_i = second_i = 0
        for i, lit in enumerate(c):
            val = vals[lit]
            if val == 0:
                score = dlevel + 1
            elif val == 1:
                score = level[lit >> 1]
            else:
                score = 2 * dlevel + 2 - level[lit >> 1]
            if score < best:
                second, second_i = best, best_i
                best, best_i = score, i
            elif score < second:
                second, second_i = score, i
        if best_i == 1 and second_i == 0:
            c[0], c[1] = c[1], c[0]
        else:
            c[0], c[best_i] = c[best_i], c[0]
            if second_i == 0:
                second_i = best_i
            c[1], c[second_i] = c[second_i], c[1]
        self._watch(cid, c)
        first_val, second_val = vals[c[0]], vals[c[1]]
        if first_val == 1 or second_val != 2:
            return
        high = level[c[1] >> 1]
        if first_val == 0:  # unit: it would have propagated at level `high`
            self._backtrack(high)
            self._assign(c[0], cid)
            return
        self._conflict_found(cid, c)

    def _watch(self, cid: int, c: list[int]) -> None:
        """Start watching ``c[0]`` and ``c[1]`` (binary clauses live in their own lists)."""
        first, second = c[0], c[1]
        if len(c) == 2:
            _push(self._binaries, first, (second, cid))
            _push(self._binaries, second, (first, cid))
        else:
            _push(self._watches, first, (cid,))
            _push(self._watches, second, (cid,))

    def _integrate_unit(self, cid: int) -> None:
        c = self._lits[cid]
        if not c:
            self._set_unsat(cid, c)
            return
        lit = c[0]
        var = lit >> 1
        if self._vals[lit] and self._level[var] == 0:
            if self._vals[lit] == 2:
                self._set_unsat(cid, c)
            return
        self._backtrack(0)  # a unit has no watches: it must hold at level 0
        self._assign(lit, cid)

    def _integrate_amo(self, cid: int) -> None:
        """Check a new at-most-one against the assignment: conflict or implied falsities."""
        vals = self._vals
        level = self._level
        members = self._lits[cid]
        true_members = sorted(
            (level[m >> 1], m) for m in members if vals[m] == 1
        )
        if len(true_members) >= 2:
            self._conflict_found(cid, [true_members[0][1] ^ 1, true_members[1][1] ^ 1])
            return
        if not true_members:
            return
        # Implied falsities go to the current level (no backjump): should one be undone while
        # the trigger stays true, that member turning true again meets the trigger here.
        trigger = true_members[0][1]
        for member in members:
            if member != trigger and vals[member] == 0:
                self._assign(member ^ 1, cid, trigger)

    def _check_pb(self, cid: int) -> None:
        """After adding or tightening a PB constraint: conflict, or propagate what it forces.

        Forced literals are assigned at the current level, which may be later than the level
        where they became forced; that only delays propagation after a backjump, and a term
        becoming true again is caught by the PB propagator.
        """
        pb = self._pbs[cid]
        slack = pb.bound - pb.total
        if slack < 0:
            self._conflict_found(cid, self._pb_excess(pb, len(pb.stack), pb.bound))
            return
        depth = len(pb.stack)
        vals = self._vals
        for coeff, lit in pb.terms:
            if coeff <= slack:
                break
            if vals[lit] == 0:
                self._assign(lit ^ 1, cid, depth)

    def _conflict_found(self, cid: int, lits: list[int]) -> None:
        """A constraint falsified outside propagation: analyse it (or the instance is UNSAT)."""
        self._conflicts += 1
        self._resolve_conflict(cid, lits)

    # ------------------------------------------------------------------ conflicts

    def _set_unsat(self, cid: int, lits: list[int]) -> None:
        self._ok = False
        step = self._step(cid, lits) if cid in self._grouped else cid
        self._root_proof = ([step], [lit >> 1 for lit in lits])

    def _resolve_conflict(self, cid: int, lits: list[int]) -> None:
        """Analyse the falsified constraint ``cid``, learn, backjump and assert."""
        level = self._level
        high = max((level[lit >> 1] for lit in lits), default=0)
        if high == 0:
            self._set_unsat(cid, lits)
            return
        self._backtrack(high)
        learnt, chain, zero = self._analyze(cid, lits)
        back = level[learnt[1] >> 1] if len(learnt) > 1 else 0
        self._backtrack(back)
        new = len(self._lits)
        self._lits.append(learnt)
        self._kind.append(LEARNT)
        self._origin.append(None)
        self._chains[new] = (chain, zero)
        if len(learnt) > 1:
            self._watch(new, learnt)
        if len(learnt) > 2:
            self._learnts.append(new)
            self._lbd[new] = len({level[lit >> 1] for lit in learnt})
        self._assign(learnt[0], new)
        self._var_inc *= _ACTIVITY_DECAY

    def _analyze(self, cid: int, lits: list[int]):
        """First-UIP learning with recursive minimisation.

        Returns the learnt clause (asserting literal first, the highest other level second),
        the ids resolved (conflict first) and the level-0 variables whose values were used.
        """
        seen = self._seen
        level = self._level
        reason = self._reason
        trail = self._trail
        clause_lits = self._lits
        kind = self._kind
        dlevel = len(self._trail_lim)
        learnt = [0]
        grouped = self._grouped
        chain = [self._step(cid, lits) if cid in grouped else cid]
        zero: list[int] = []
        marked: list[int] = []
        bumped: list[int] = []
        pending = 0
        index = len(trail) - 1
        while True:
            for lit in lits:
                var = lit >> 1
                if seen[var]:
                    continue  # also skips the implied literal of a reason
                seen[var] = 1
                marked.append(var)
                var_level = level[var]
                if var_level == 0:
                    zero.append(var)
                    continue
                bumped.append(var)
                if var_level >= dlevel:
                    pending += 1
                else:
                    learnt.append(lit)
            while not seen[trail[index] >> 1]:
                index -= 1
            p = trail[index]
            index -= 1
            pending -= 1
            if pending <= 0:
                break
            var = p >> 1
            cause = reason[var]
            if kind[cause] <= LEARNT:
                lits = clause_lits[cause]
                chain.append(cause)
            else:
                lits = self._reason_lits(var, cause)
                if cause in grouped:  # _step, inline: the loop runs per literal resolved
                    tail = lits[1] if lits[0] == clause_lits[cause][0] else lits[0]
                    chain.append((cause, tail))
                else:
                    chain.append(cause)
        learnt[0] = p ^ 1
        self._bump(bumped)
        learnt = self._minimize(learnt, chain, zero, marked)
        for var in marked:
            seen[var] = 0
        if len(learnt) > 2:  # the highest remaining level goes to the second watch
            best = max(range(1, len(learnt)), key=lambda i: level[learnt[i] >> 1])
            learnt[1], learnt[best] = learnt[best], learnt[1]
        return learnt, chain, zero

    def _minimize(self, learnt, chain, zero, marked) -> list[int]:
        """Drop literals implied by the rest of the clause (MiniSat's recursive minimisation)."""
        level = self._level
        reason = self._reason
        abstract = 0
        for lit in learnt[1:]:
            abstract |= 1 << (level[lit >> 1] & 31)
        kept = [learnt[0]]
        for lit in learnt[1:]:
            var = lit >> 1
            if reason[var] == -1 or not self._redundant(var, abstract, chain, zero, marked):
                kept.append(lit)
        return kept

    def _redundant(self, var, abstract, chain, zero, marked) -> bool:
        """Is ``var``'s literal implied by literals already in the clause (or level 0)?"""
        seen = self._seen
        level = self._level
        reason = self._reason
        grouped = self._grouped
        stack = [var]
        marked_top, zero_top, chain_top = len(marked), len(zero), len(chain)
        while stack:
            current = stack.pop()
            cid = reason[current]
            lits = self._reason_lits(current, cid)
            if cid in grouped:  # _step, inline
                chain.append((cid, lits[1] if lits[0] == self._lits[cid][0] else lits[0]))
            else:
                chain.append(cid)
            for lit in lits:
                other = lit >> 1
                if seen[other]:
                    continue
                other_level = level[other]
                if other_level == 0:
                    seen[other] = 1
                    marked.append(other)
                    zero.append(other)
                elif reason[other] != -1 and (1 << (other_level & 31)) & abstract:
                    seen[other] = 1
                    marked.append(other)
                    stack.append(other)
                else:
                    for undo in marked[marked_top:]:
                        seen[undo] = 0
                    del marked[marked_top:]
                    del zero[zero_top:]
                    del chain[chain_top:]
                    return False
        return True

    def _analyze_final(self, failed: int) -> tuple[list[int], list[int], list[int]]:
        """Assumption ``failed`` is false: which assumptions imply that (MiniSat)."""
        seen = self._seen
        level = self._level
        reason = self._reason
        var = failed >> 1
        core = [failed]
        chain: list[int] = []
        zero: list[int] = []
        if level[var] == 0:
            return core, chain, [var]
        seen[var] = 1
        trail = self._trail
        for i in range(len(trail) - 1, self._trail_lim[0] - 1, -1):
            lit = trail[i]
            current = lit >> 1
            if not seen[current]:
                continue
            seen[current] = 0
            cid = reason[current]
            if cid == -1:
                core.append(lit)
                continue
            lits = self._reason_lits(current, cid)
            chain.append(self._step(cid, lits) if cid in self._grouped else cid)
            for other_lit in lits:
                other = other_lit >> 1
                if other == current:
                    continue
                if level[other] > 0:
                    seen[other] = 1
                else:
                    zero.append(other)
        return core, chain, zero

    def _expand_proof(self, ids: list, zero_vars: list[int]) -> list:
        """Original constraints behind a proof: learnt chains and level-0 reasons, expanded."""
        kind = self._kind
        chains = self._chains
        reason = self._reason
        grouped = self._grouped
        seen_ids: set = set()
        seen_vars: set[int] = set()
        originals: list = []
        id_stack = list(ids)
        var_stack = list(zero_vars)
        while id_stack or var_stack:
            if var_stack:
                var = var_stack.pop()
                if var in seen_vars:
                    continue
                seen_vars.add(var)
                cid = reason[var]
                if cid < 0:
                    continue
                lits = self._reason_lits(var, cid)
                id_stack.append(self._step(cid, lits) if cid in grouped else cid)
                var_stack.extend(lit >> 1 for lit in lits)
                continue
            cid = id_stack.pop()
            if cid in seen_ids:
                continue
            seen_ids.add(cid)
            if type(cid) is tuple:  # a part of a grouped constraint (see _step)
                originals.append(self._part(*cid))
            elif cid >= 0 and kind[cid] == LEARNT:
                chain, zero = chains[cid]
                id_stack.extend(chain)
                var_stack.extend(zero)
            elif cid >= 0:
                originals.append((cid, 0, self._origin[cid]))
        result: list = []
        hashable: set = set()
        identities: set[int] = set()
        for _cid, _part, origin in sorted(originals, key=_PROOF_ORDER):
            if origin is None:
                continue
            try:
                if origin in hashable:
                    continue
                hashable.add(origin)
            except TypeError:
                if id(origin) in identities:
                    continue
                identities.add(id(origin))
            result.append(origin)
        return result

    def _step(self, cid: int, lits: list[int]) -> tuple[int, int]:
        """A proof's record of grouped constraint ``cid`` used with ``lits`` (the literals of
        the binary clause it acted as): its id and the literal other than its head, which
        tells which part, and so which reason, it was."""
        head = self._lits[cid][0]
        return cid, lits[1] if lits[0] == head else lits[0]

    def _part(self, cid: int, lit: int) -> tuple:
        """``(cid, part, reason)`` of a ``_step``: ordered as the parts were added."""
        part = self._origin[cid].part_of(self._lits[cid], lit)
        return cid, part, self._origin[cid].reasons[part]

    # ------------------------------------------------------------------ decisions

    def _bump(self, variables: list[int]) -> None:
        """Raise the activity of the variables in a conflict (VSIDS)."""
        activity = self._activity
        inc = self._var_inc
        highest = 0.0
        for var in variables:
            activity[var] += inc
            if activity[var] > highest:
                highest = activity[var]
        if highest > 1e100:
            self._rescale()
        elif self._brancher is None:  # the heap only serves default decisions
            in_heap = self._in_heap
            heap = self._heap
            for var in variables:
                in_heap[var] = 1
                heappush(heap, (-activity[var], var))

    def _rescale(self) -> None:
        activity = self._activity
        for var in range(1, self._num_vars + 1):
            activity[var] *= 1e-100
        self._var_inc *= 1e-100
        self._rebuild_heap()

    def _rebuild_heap(self) -> None:
        vals = self._vals
        in_heap = self._in_heap
        heap = []
        for var in range(1, self._num_vars + 1):
            unassigned = vals[2 * var] == 0
            in_heap[var] = unassigned
            if unassigned:
                heap.append((-self._activity[var], var))
        heapify(heap)
        self._heap = heap

    def _pick_by_activity(self) -> int:
        """The unassigned variable of highest activity (lowest number on ties), saved phase."""
        heap = self._heap
        activity = self._activity
        vals = self._vals
        in_heap = self._in_heap
        if len(heap) > 4 * self._num_vars + 1000:
            self._rebuild_heap()
            heap = self._heap
        while heap:
            neg_activity, var = heappop(heap)
            if -neg_activity != activity[var]:
                continue  # stale entry: the variable was bumped since
            in_heap[var] = 0
            if vals[2 * var] == 0:
                return 2 * var + self._phase[var]
        return self._first_unassigned(1)

    def _first_unassigned(self, sign: int) -> int:
        vals = self._vals
        var = self._fill_ptr
        limit = self._num_vars
        while var <= limit and vals[2 * var]:
            var += 1
        self._fill_ptr = var
        return 0 if var > limit else 2 * var + sign

    def _pick_by_brancher(self) -> int:
        """The brancher's literal; 0: fill with false; -1: the brancher changed the state."""
        epoch = (self._conflicts, self._changes, self._backtracks)
        if self._fill_epoch == epoch and not any(
            not lit & 1 for lit in self._trail[self._fill_mark :]
        ):
            self._fill_mark = len(self._trail)
            return self._first_unassigned(1)
        self._fill_epoch = None
        ext = self._brancher(self)
        if (self._conflicts, self._changes, self._backtracks) != epoch or not self._ok:
            return -1
        if ext:
            lit = self._internal(ext)
            if self._vals[lit]:
                raise ValueError(f"brancher returned {ext}, which is already assigned")
            return lit
        self._fill_epoch = epoch
        self._fill_mark = len(self._trail)
        return self._first_unassigned(1)

    # ------------------------------------------------------------------ the search

    def solve(self, assumptions=(), conflict_limit: int | None = None) -> bool | None:
        """Search for a model under ``assumptions`` (literals); True when one exists.

        With ``conflict_limit``, give up after that many conflicts and return None (neither
        a model nor a core): a budget for optional work such as core minimisation.
        """
        self._model = None
        self._core = []
        self._final = None
        internal = [self._internal(lit) for lit in assumptions]
        if not self._ok:
            self._final = self._root_proof
            return False
        self._backtrack(0)
        budget = -1 if conflict_limit is None else self._conflicts + conflict_limit
        try:
            result = self._search(internal, budget)
            if result:
                vals = self._vals
                self._model = {v for v in range(1, self._num_vars + 1) if vals[2 * v] == 1}
            elif result is False and not self._ok:
                self._final = self._root_proof
        finally:  # also when a callback or the brancher raised: leave a clean level 0
            self._fill_epoch = None
            self._backtrack(0)
        return result

    def _search(self, assumptions: list[int], budget: int) -> bool | None:
        """The CDCL loop: propagate, resolve conflicts, run callbacks, restart, decide.

        Returns None once ``self._conflicts`` reaches ``budget`` (-1: no budget)."""
        restarts = 0
        restart_at = _luby(0) * _RESTART_UNIT
        since_restart = 0
        vals = self._vals
        while True:
            confl = self._propagate()
            if confl >= 0:
                self._conflicts += 1
                self.stats["conflicts"] += 1
                since_restart += 1
                lits = self._lits[confl] if self._kind[confl] <= LEARNT else self._confl_lits
                self._resolve_conflict(confl, lits)
                if not self._ok:
                    return False
                if 0 <= budget <= self._conflicts:
                    return None
                continue
            if self._pending:
                self._run_callbacks()
                if not self._ok:
                    return False
                continue
            if since_restart >= restart_at:
                restarts += 1
                self.stats["restarts"] += 1
                since_restart = 0
                restart_at = _luby(restarts) * _RESTART_UNIT
                self._backtrack(0)
                if self._conflicts >= self._reduce_at:
                    self._reduce_learnts()
                continue
            dlevel = len(self._trail_lim)
            if dlevel < len(assumptions):
                lit = assumptions[dlevel]
                if vals[lit] == 1:
                    self._trail_lim.append(len(self._trail))  # an empty level keeps numbering
                    continue
                if vals[lit] == 2:
                    self._fail_assumption(lit, assumptions)
                    return False
                self._decide(lit)
                continue
            if self._brancher is not None:
                lit = self._pick_by_brancher()
                if lit < 0:
                    continue
            else:
                lit = self._pick_by_activity()
            if lit == 0:
                return True
            self._decide(lit)

    def _reduce_learnts(self) -> None:
        """Stop watching the worse half of the long learnt clauses (highest LBD, oldest first).

        Runs at level 0 (after a restart), where the only locked clauses are reasons of
        level-0 assignments. A dropped clause keeps its literals and chain, since later
        learnt clauses and level-0 reasons may cite it in a proof.
        """
        self._reductions += 1
        self._reduce_at = self._conflicts + _REDUCE_FIRST + _REDUCE_STEP * self._reductions
        lbd = self._lbd
        reason = self._reason
        locked = {reason[lit >> 1] for lit in self._trail}
        ranked = sorted(
            (cid for cid in self._learnts if lbd[cid] > 2 and cid not in locked),
            key=lambda cid: (-lbd[cid], cid),
        )
        dropped = set(ranked[: len(ranked) // 2])
        if not dropped:
            return
        self._learnts = [cid for cid in self._learnts if cid not in dropped]
        for cid in dropped:
            del lbd[cid]
        watches = self._watches
        for lit in range(2, len(watches)):
            watching = watches[lit]
            if watching:
                watches[lit] = [cid for cid in watching if cid not in dropped]

    def _fail_assumption(self, lit: int, assumptions: list[int]) -> None:
        core, chain, zero = self._analyze_final(lit)
        order = {a: i for i, a in reversed(list(enumerate(assumptions)))}
        failed = sorted(set(core), key=lambda a: order.get(a, len(order)))
        self._core = [self._external(a) for a in failed]
        self._final = (chain, zero)

    def _run_callbacks(self) -> None:
        """Run callbacks of variables still true; others wait for their next time true."""
        batch, self._pending = self._pending, []
        batch.reverse()  # pop() from the end, in the order the variables turned true
        try:
            while batch and self._ok:
                var = batch.pop()
                if self._vals[2 * var] != 1 or var not in self._callbacks:
                    continue
                callbacks = self._callbacks.pop(var)
                self._special[2 * var] &= ~_CALLBACK
                for callback in callbacks:
                    callback(var)
        finally:  # after a raising callback, the variables not reached keep their turn
            batch.reverse()
            self._pending[:0] = batch
