"""Classic's reduced index (``Resolve.get_reduced_index``) on record ids.

The reduced index is the universe classic's SAT problem is built over: which records may be
chosen at all. Its ranks, its virtual-package enforcement (dependencies on ``__x`` get no
clause, so a record whose ``__x`` dependency has no match survives only if the reduction
keeps it) and its strict channel filter all change answers, so it is ported step by step:

1. hide feature pseudo-records that were not requested (we only create requested ones);
2. under strict priority, drop records not from the name's top channel;
3. two passes of ``filter_group`` from the explicit specs (most exact first): drop records
   that contradict an explicit spec or have a required dependency with no survivor, and
   recurse into dependency names shared by every survivor of a group (each record's support
   is kept by watches, and a call that provably changes nothing returns at once: same
   answers, without re-testing every record on every call; a record whose dependency on a
   name an explicit spec narrows has no live match is dropped before the rest of its
   dependencies are parsed);
4. collect what is reachable from the explicit specs through valid records, not following
   ``track_features`` dependencies nor specs broader than the ones already seen for a name
   (the "broadening" guard, ``Resolve._broader``). Verdicts are final by then, so a
   dependency whose valid match is final, or whose every match the walk has settled, is not
   walked again: the same answers, without re-reading every match per explicit root.

When a required explicit spec keeps no record, ``Reduction.refuting_drops`` says which drops
the requests alone justify: a failed solve refutes those few clauses, not the whole index.

``filter_out`` maps a record id to ``False`` (kept) or a reason string, like classic's.
"""

from __future__ import annotations

import sys
from collections import deque
from typing import NamedTuple

from .errors import InvalidSpec, InvalidVersion
from .pool import MIXED, id_mask
from .spec import parse_spec


class ValidityMemo:
    """What classic's ``Resolve`` remembers between reductions: whether each dependency of a
    record has a valid match.

    classic memoises ``is_valid_spec`` on the dependency ``MatchSpec`` objects it keeps per
    record (``Resolve.ms_depends_``), so the first reduction that judges a record's dependency
    fixes the verdict for every later reduction of the same ``Resolve``, whatever those prune.
    conda's solver runs several reductions per solve (the request's package pool, the conflict
    checks, the final solve); handing one memo to those engine calls, in classic's order,
    gives classic's answers where the carried verdicts matter. Without a memo each reduction
    judges afresh.

    A ``Resolve`` also keeps its parsed index, and so does the memo: ``shared_pool`` gives
    the engine calls of one solve one pool. It also keeps answers that are a function of
    that pool and a request (``known``/``remember``), which conda's solver asks for more
    than once per solve: reduced indexes (``reduced_ids``) and minimal conflicts.
    """

    __slots__ = ("_by_record", "_all_valid", "_pool", "_answers")

    def __init__(self):
        self._by_record: dict[int, tuple[dict, dict[int, bool]]] = {}
        # most records have every required dependency found valid: one entry each, not a
        # dict of True per position (a third of the memory on a conda-forge-sized solve)
        self._all_valid: dict[int, dict] = {}
        self._pool: tuple | None = None  # (repos, policy, the pool made for them)
        self._answers: dict[tuple, tuple] = {}  # (kind, request...) -> (pool, answer)

    def shared_pool(self, repos, policy, make):
        """The pool ``make(repos, policy)`` made for the first call; calls with the same repos
        (the same objects, in order) and an equal policy get it too, others a new one."""
        repos = tuple(repos)
        if self._pool is None:
            self._pool = (repos, policy, make(repos, policy))
        known_repos, known_policy, pool = self._pool
        if len(known_repos) == len(repos) and all(
                a is b for a, b in zip(known_repos, repos)) and known_policy == policy:
            return pool
        return make(repos, policy)

    def known(self, pool, key: tuple):
        """What ``remember`` kept for ``key`` on this very pool, or None."""
        known = self._answers.get(key)
        return known[1] if known is not None and known[0] is pool else None

    def remember(self, pool, key: tuple, answer) -> None:
        self._answers[key] = (pool, answer)

    def answers(self, pool, kind: str) -> list:
        """(key, answer) of what ``remember`` kept on this very pool under ``kind``."""
        return [(key, known[1]) for key, known in self._answers.items()
                if key[0] == kind and known[0] is pool]

    def verdicts(self, record: dict) -> dict[int, bool]:
        """Dependency position -> verdict for ``record`` (held with it, so its id stays its)."""
        if self._all_valid.get(id(record)) is record:
            raise ValueError("every verdict of this record is True: ask all_valid")
        entry = self._by_record.get(id(record))
        if entry is None or entry[0] is not record:
            entry = self._by_record[id(record)] = (record, {})
        return entry[1]

    def held_verdicts(self, record: dict) -> dict[int, bool] | None:
        """``verdicts(record)`` when a reduction has recorded one, else None."""
        entry = self._by_record.get(id(record))
        return entry[1] if entry is not None and entry[0] is record else None

    def all_valid(self, record: dict) -> bool:
        """Whether ``record`` was judged with every required dependency valid."""
        return self._all_valid.get(id(record)) is record

    def set_all_valid(self, record: dict) -> None:
        """Every required dependency of ``record`` has a True verdict: keep just that."""
        self._all_valid[id(record)] = record
        entry = self._by_record.get(id(record))
        if entry is not None and entry[0] is record:
            del self._by_record[id(record)]


def reduced_ids(pool, strict: bool, explicit: list, features: list,
                memo: ValidityMemo | None = None, why: list | None = None) -> list:
    """``Reduction(pool, strict, memo).run(explicit, features)``; with a memo, a reduction
    asked before on the same pool for the same explicit specs (in any order: the reduction
    sorts them) and features is given again, and one asked for them plus leaf requests
    (``_with_leaves``) is worked out from it.

    ``why``, when given, receives one item: ``Reduction.refuting_drops``' answer, the
    dependency clauses that refute the requests when the reduction left a required one
    without a record and the requests alone explain it (few, where the whole index has
    many), else None.

    Repeating it would give the same ids. Its filter passes do not read the memo, and its
    last walk reads each record's validity as the verdicts the memo holds for it; a
    verdict, once held, never changes, and every verdict the repeat would read was set by
    the first run, which walked the same way: so whatever other reductions added in
    between, the repeat judges every record as the first run did.
    """
    if memo is None:
        reduction = Reduction(pool, strict)
        kept = reduction.run(explicit, features)
        if why is not None:
            why.append(reduction.refuting_drops(explicit))
        return kept
    key = ("reduction", strict, tuple(sorted(map(id, explicit))), tuple(features))
    known = memo.known(pool, key)  # Deps are the pool's own objects: ids stay theirs
    if known is None:
        known = _with_leaves(pool, key, explicit, memo)
        if known is None:
            reduction = Reduction(pool, strict, memo)
            kept = tuple(reduction.run(explicit, features))
            known = _Reduced(kept, reduction.refuting_drops(explicit), reduction.dead,
                             frozenset(dep.name for dep in explicit))
        memo.remember(pool, key, known)
    if why is not None:
        why.append(known.refuting)
    return list(known.kept)


class _Reduced(NamedTuple):
    """A reduction as the memo keeps it."""

    kept: tuple  # the reduced index's ids
    refuting: list | None  # ``refuting_drops``' answer
    dead: int  # the bitset of the ids it dropped
    names: frozenset  # its explicit specs' names


def _with_leaves(pool, key: tuple, explicit: list, memo: ValidityMemo) -> _Reduced | None:
    """The reduction ``key`` asks for, from one the memo holds on the same pool for part of
    ``explicit``, when each spec of the rest is a leaf request (``_leaf_ids``) and every
    required spec keeps a live record (so ``refuting_drops`` has nothing to look for);
    else None. conda's solver asks this of the virtual packages: its conflict check reduces
    the request's specs plus one per virtual package, after the package pool reduced the
    request's specs alone.

    Running the reduction gives the same. A leaf request's filter passes drop nothing: the
    name's records all match it, share one channel and have nothing to check. They do not change
    another call's drops either: they mark the name as seen, which lets a later call on it
    skip only when it would drop nothing and has no dependencies to recurse into. Its
    explicit pool keeps every record of the name, so it bars nothing. Its seed for the
    last walk is a name-only spec, the least strict there is, so it bars no dependency as
    broader. So every record is dropped as without it, and the walk adds the same records
    plus the name's live ones, each a root with nothing below it.
    """
    strict, features = key[1], key[3]
    for (_kind, its_strict, ids, its_features), reduced in memo.answers(pool, "reduction"):
        if its_strict != strict or its_features != features:
            continue
        base = set(ids)
        if not base.issubset(map(id, explicit)):
            continue
        rest = [dep for dep in explicit if id(dep) not in base]
        added = _leaf_ids(pool, strict, rest, reduced) if rest else None
        if added is None:
            continue
        alive = ~reduced.dead
        if not all(pool.dep_mask(dep) & alive for dep in explicit
                   if not dep.optional and dep.plain):
            continue  # refuting_drops would look for a refutation: None would not be its
        kept = set(reduced.kept)
        return _Reduced(reduced.kept + tuple(rid for rid in added if rid not in kept), None,
                        reduced.dead, reduced.names.union(dep.name for dep in rest))
    return None


def _leaf_ids(pool, strict: bool, specs: list, reduced: _Reduced) -> list | None:
    """The live ids of ``specs``' names when each spec is a leaf request, else None.

    A leaf request is a required, name-only spec on a name the reduction had no explicit
    spec for, whose records have no dependency, constraint, feature or tracked feature
    (under strict priority, all from one channel)."""
    names = []
    for dep in specs:
        if (not dep.plain or dep.optional or dep.feature is not None
                or len(dep.spec.components) != 1 or dep.name in reduced.names):
            return None
        if dep.name not in names:
            names.append(dep.name)
    records, dead = pool.records, reduced.dead
    added = []
    for name in names:
        group = pool.group(name)
        if name in pool.featured_names() or any(pool.deps(rid) != () for rid in group):
            return None
        if strict and len({records[rid].get("channel") for rid in group}) > 1:
            return None
        added.extend(rid for rid in group if not (dead >> rid) & 1)
    return added


class Reduction:
    """One reduced-index computation over ``pool`` for the given explicit specs."""

    def __init__(self, pool, strict: bool, memo: ValidityMemo | None = None):
        self.pool = pool
        self.strict = strict
        self.memo = memo
        self.filter_out: dict[int, object] = {}
        self.dead = 0  # bitset of the ids filter_out rejects (a reason, not False)
        self.drops = 0  # how many times a record was rejected: "has anything changed?"
        self._quiet: dict[tuple, int] = {}  # filter_group call -> drops when it found nothing
        self._narrowed: set[str] = set()  # see _run and _fails_early
        self._strict_channel: dict[str, str | None] = {}
        self._open: set[int] = set()  # ids is_valid is judging (their False is provisional)
        self._valid_deps: set = set()  # plain-name Deps with a final valid match (see below)
        self._exhausted: set = set()  # Deps whose every match _expand has settled
        # filter_group's recursions: (name, its survivors, a name they all require), for
        # refuting_drops (a list reference each: the survivors are the call's own list)
        self._passed: list[tuple] = []

    def refuting_drops(self, explicit: list) -> list | None:
        """Why a required explicit spec has no record left, as (id, dependencies) pairs:
        dependency clauses that, with the requests, rule out every record of a name that
        must be installed; None if every such spec kept a record (the usual case, told at
        once), or if the requests and those clauses do not suffice.

        A name must be installed when a required explicit spec names it, or when every
        record of a name that must be installed, but those ruled out, depends on it (what
        classic's ``filter_group`` passes down). A record is ruled out when it contradicts
        a required explicit spec of its name, when it matches none of the dependencies such
        a name's remaining records have on its name (those dependencies' clauses are
        listed), or when one of its required dependencies matches only records ruled out
        (that dependency's clause is listed; None for an invalid spec). The other drops of
        classic's reduction (the strict channel filter, a verdict a memo carried) are not
        used, so the clauses listed refute the requests without any other record's."""
        pool = self.pool
        alive = ~self.dead
        required = [dep for dep in explicit if not dep.optional and dep.plain]
        if all(pool.dep_mask(dep) & alive for dep in required):
            return None
        # every record the reduction dropped, whatever for (one it dropped for contradicting
        # a spec may also need what nothing provides, which needs no request to tell); a
        # record's dependencies load after it, so their drops have larger ids: go down
        pending = sorted((rid for rid, why in self.filter_out.items() if why), reverse=True)
        found: list = []
        # first what no request has a part in (a dependency nothing provides, and what
        # needs those): a conflict that holds without a request is then told without it
        live, pending = self._rule_out(pending, -1, found)
        by_name: dict[str, int] = {}
        for dep in required:
            by_name[dep.name] = by_name.get(dep.name, -1) & pool.dep_mask(dep)
        for name, mask in by_name.items():
            live &= ~(self._group_mask(name) & ~mask)
        live, pending = self._rule_out(pending, live, found)
        installed = set(by_name)  # names that must be installed
        used: set[int] = set()  # the recursions whose clauses are listed
        more = True
        while more:  # to the end, not to the first contradiction: the core is shrunk from
            # these clauses, and a later one may need fewer requests
            more, live = self._passed_down(installed, used, live, found)
            live, pending = self._rule_out(pending, live, found)
        if any(not self._group_mask(name) & live for name in installed):
            return found
        return None

    def _passed_down(self, installed: set, used: set, live: int, found: list) -> tuple:
        """``refuting_drops``' use of ``filter_group``'s recursions: for each from a name
        that must be installed whose live records all are the recursion's survivors, the
        name they all require must be installed too, with a record matching one of their
        dependencies on it. Whether one was new, and the new ``live``."""
        pool = self.pool
        required_by_name = pool.required_by_name
        more = False
        for index, (parent, survivors, name) in enumerate(self._passed):
            if index in used or parent not in installed:
                continue
            if self._group_mask(parent) & live & ~id_mask(survivors):
                continue  # a record of the parent that may be chosen needs nothing of name
            used.add(index)
            more = True
            installed.add(name)
            allowed = 0
            for rid in survivors:
                dep = required_by_name(rid)[name]
                allowed |= pool.dep_mask(dep)
                found.append((rid, (dep,)))
            live &= ~(self._group_mask(name) & ~allowed)
        return more, live

    def _rule_out(self, pending: list, live: int, found: list) -> tuple[int, list]:
        """``refuting_drops``' closure: each pending id with a required dependency whose
        matches are all outside ``live`` is ruled out (appended to ``found`` with that
        dependency) until none is; the new ``live`` and the ids left."""
        pool = self.pool
        while pending:
            left = []
            for rid in pending:
                if not (live >> rid) & 1:
                    continue  # ruled out already
                deps = pool.deps(rid)
                if deps is not None:
                    for dep in deps:
                        if not dep.optional and dep.plain and not pool.dep_mask(dep) & live:
                            deps = (dep,)
                            break
                    else:
                        left.append(rid)
                        continue
                live &= ~(1 << rid)
                found.append((rid, deps))
            if len(left) == len(pending):
                break
            pending = left
        return live, pending

    def _group_mask(self, name: str) -> int:
        """The bitset of the name's group: ``_visit``'s, kept for every name filter_group saw."""
        mask = self._group_masks.get(name)
        if mask is None:
            mask = self._group_masks[name] = id_mask(self.pool.group(name))
        return mask

    # -- helpers -----------------------------------------------------------------------------

    def strict_channel(self, name: str):
        """The channel of the name's best priority (ties: the best record's channel)."""
        if name in self._strict_channel:  # its value may be None
            return self._strict_channel[name]
        pool = self.pool
        group = pool.group(name)
        best = pool.one_channel(name)
        if best is not MIXED:
            self._strict_channel[name] = best
            return best
        best = None
        best_priority = None
        priorities = pool.policy.channel_priorities()
        for rid in group:
            channel = pool.records[rid].get("channel")
            priority = priorities.get(channel, 1)
            if best_priority is None or priority < best_priority:
                best, best_priority = channel, priority
        self._strict_channel[name] = best
        return best

    def _channel(self, rid: int):
        return self.pool.records[rid].get("channel")

    def is_valid(self, rid: int) -> bool:
        """Classic's ``valid2``: every dependency has a valid match; cycles count as valid.

        It marks what it proves invalid in ``filter_out`` as it goes (classic does too). Each
        record's dependencies are walked once (the provisional mark stops re-entry); with a
        ``ValidityMemo``, a dependency judged by an earlier reduction keeps its verdict.
        """
        filter_out = self.filter_out
        value = filter_out.get(rid)
        if value is not None:
            return not value
        filter_out[rid] = False  # provisional: a cycle back here is assumed valid
        deps = self.pool.deps(rid)
        if deps is None:
            self._drop(rid, "invalid dep specs")
            return False
        self._open.add(rid)
        if self.memo is not None:
            valid = self._memo_valid(self.pool.records[rid], deps)
        else:
            has_valid_match = self._has_valid_match  # the reduction's hottest loop
            known_valid = self._valid_deps
            valid = True
            for dep in deps:
                if not dep.optional and dep not in known_valid and not has_valid_match(dep):
                    valid = False
                    break
        self._open.discard(rid)
        if not valid:
            self._drop(rid, "invalid depends specs")
        return valid

    def _memo_valid(self, record: dict, deps) -> bool:
        """``_remembered_valid`` through the memo; a record found with every required
        dependency valid is remembered as such (what its True per position would say).

        A record no reduction has judged yet (most are) is judged by the plain loop, and
        the verdicts ``_remembered_valid`` would have recorded on the way are recorded at
        the end: True up to the first dependency without a valid match, False there.
        Nothing reads them in between: ``is_valid``'s provisional mark keeps the walks
        below out of this record."""
        memo = self.memo
        if memo.all_valid(record):
            return True
        verdicts = memo.held_verdicts(record)
        if verdicts is None:
            has_valid_match = self._has_valid_match
            known_valid = self._valid_deps
            for position, dep in enumerate(deps):
                if not dep.optional and dep not in known_valid and not has_valid_match(dep):
                    verdicts = memo.verdicts(record)
                    for before in range(position):
                        if not deps[before].optional:
                            verdicts[before] = True
                    verdicts[position] = False
                    return False
        elif not self._remembered_valid(verdicts, deps):
            return False
        memo.set_all_valid(record)  # every required position holds True
        return True

    def _remembered_valid(self, verdicts: dict, deps) -> bool:
        """``all`` over the required deps, reading and recording verdicts by position."""
        for position, dep in enumerate(deps):
            if dep.optional:
                continue
            verdict = verdicts.get(position)
            if verdict is None:
                verdict = verdicts[position] = self._has_valid_match(dep)
            if not verdict:
                return False
        return True

    def _has_valid_match(self, dep) -> bool:
        """classic's ``is_valid_spec``: any match valid, tried in match order.

        When the match found valid is final (judged to the end, not a provisional mark of a
        record being judged), every match before it has been found invalid, and verdicts
        are final: a repeat would walk to the same match and answer True without judging
        anything. So the dependency is remembered as valid (plain names only: a feature's
        matches grow as names load)."""
        if dep in self._valid_deps:
            return True
        filter_out = self.filter_out
        for other in self.pool.dep_matches(dep):
            known = filter_out.get(other)
            if known is None:
                if self.is_valid(other):
                    if dep.found is not None:
                        self._valid_deps.add(dep)
                    return True
            elif not known:
                if dep.found is not None and other not in self._open:
                    self._valid_deps.add(dep)
                return True
        return False

    def _drop(self, rid: int, reason: str) -> str:
        self.filter_out[rid] = reason
        self.dead |= 1 << rid
        self.drops += 1
        if self._watchers is not None:
            watchers = self._watchers.pop(rid, None)
            if watchers:
                self._rewatch(watchers)
        return reason

    # -- which records still have a live match for every required dependency ----------------
    #
    # filter_group asks this of every live record of a group on every call, and the answer
    # only changes when a match dies. So each dependency a checked record requires watches
    # one live match (the first in match order; many records share a Dep); when a watched
    # record is dropped, its dependencies move on to their next live match or, having none,
    # die and leave the records requiring them unsupported (arc consistency with watched
    # supports; drops are final, so a dependency's cursor only moves forward). The answers
    # are the direct check's, at a fraction of the work.

    _watchers: dict | None = None  # watched id -> the Deps it is the live match of

    def _start_watching(self) -> None:
        self._watchers = {}
        self._cursor: dict = {}  # Dep -> position of its live match in its matches; -1: none
        self._users: dict = {}  # Dep -> watched ids requiring it
        self._watched: set[int] = set()  # ids whose dependencies are all watched
        self._unsupported: set[int] = set()  # watched ids that lost every match of one
        self._visited: dict[str, tuple] = {}  # names filter_group has seen -> their group
        self._group_masks: dict[str, int] = {}  # name -> bitset of its group
        self._calls: dict[tuple, tuple] = {}  # filter_group call -> _call(specs)
        self._weak: set[str] = set()  # names with a checked record that lost support since
        self._covering: set = set()  # Deps matching every live record of their name
        self._direct_names: set[str] = set()  # names with records checked directly (_watch)

    def _stop_watching(self) -> None:
        """The filter passes are over: nothing asks ``_supported`` again, so let go."""
        self._watchers = None
        self._cursor = self._users = self._calls = self._covering = None

    def _visit(self, name: str) -> tuple:
        """filter_group's first look at a name: classic's strict channel filter, and every
        record of the group marked as seen (``filter_out.setdefault(rid, False)``, which
        classic repeats per call and which ``is_valid`` later reads as "valid")."""
        pool = self.pool
        group = pool.group(name) if _plain_name(name) else ()
        if group and self.strict and name not in self.cp_filter_applied:
            if pool.one_channel(name) is MIXED:
                channel = self.strict_channel(name)
                for rid in group:
                    if self._channel(rid) != channel:
                        self._drop(rid, "removed due to strict channel priority")
            self.cp_filter_applied.add(name)
        setdefault = self.filter_out.setdefault
        for rid in group:
            setdefault(rid, False)
        self._visited[name] = group
        self._group_masks[name] = id_mask(group)
        return group

    def _supported(self, rid: int) -> bool:
        """Every required dependency of a live record has a live match; if not, drop it with
        classic's reason and return False."""
        if rid in self._watched:
            if rid not in self._unsupported:
                return True
        else:
            if self._fails_early(rid):
                self._drop(rid, "unsatisfiable dependencies")
                return False
            deps = self.pool.deps(rid)
            if deps is None:
                self._drop(rid, "invalid dep specs")
                return False
            if self._watch(rid, deps):
                return True
        # classic's reason lists every dependency without a match; nothing reads it, and
        # listing them would match (and load) dependencies the watches never needed
        self._drop(rid, "unsatisfiable dependencies")
        return False

    def _fails_early(self, rid: int) -> bool:
        """Whether a record not parsed yet has a dependency, on a name the explicit specs
        narrow (none of them name-only), without a live match: ``_watch`` would find one
        among its dependencies after parsing them all, and many such records (a
        metapackage's builds for other pythons) have a hundred. Only those dependencies are
        parsed and watched here.

        A record with ``constrains`` is left to ``_watch``: a constraint may replace a
        dependency. A repeated name is merged into a narrower spec, which fails too; a
        feature adds a dependency, and takes none away. A record this drops has the reason
        "unsatisfiable dependencies" even when another of its dependencies is invalid
        (``_supported`` would say "invalid dep specs"; nothing reads the reason)."""
        narrowed = self._narrowed
        pool = self.pool
        if not narrowed or pool.has_deps(rid):
            return False
        record = pool.records[rid]
        if record.get("constrains"):
            return False
        depends = record.get("depends") or ()
        if depends.__class__ is not list and depends.__class__ is not tuple:
            return False  # not a list: _supported's Pool.deps names the record
        cursor = self._cursor
        for text in depends:
            try:
                name = text.partition(" ")[0]  # "name 1.2 build": the usual dependency's shape
            except AttributeError:  # an entry that is no string: _supported's Pool.deps names it
                return False
            if name in narrowed:
                try:
                    dep = pool.text_dep(text)
                except (InvalidSpec, InvalidVersion, ValueError):
                    continue  # _supported's full check names it
                if not dep.plain or dep.name != name:
                    continue
                position = cursor.get(dep)
                if position is None:
                    position = self._start_watching_dep(dep)
                if position < 0:
                    return True
        return False

    def _watch(self, rid: int, deps) -> bool:
        """Watch one live match per required dependency; False when one has none. Records
        with a feature dependency (whose matches grow as names load) are checked directly."""
        pool = self.pool
        required = pool.required_plain(deps)
        if required is None:  # a feature's "*": its matches grow as names load
            self._direct_names.add(pool.names[rid])
            alive = ~self.dead
            return all(mask & alive for mask in pool.required_masks(rid))
        cursor = self._cursor
        for dep in required:
            position = cursor.get(dep)
            if position is None:
                position = self._start_watching_dep(dep)
            if position < 0:
                return False
        users = self._users
        for dep in required:
            users[dep].append(rid)
        self._watched.add(rid)
        return True

    def _start_watching_dep(self, dep) -> int:
        """A dependency no record has watched yet: no users so far, and its first live
        match's position, or -1."""
        self._users[dep] = []
        return self._watch_dep(dep, 0)

    def _watch_dep(self, dep, start: int) -> int:
        """Watch the dependency's first live match from ``start`` on; its position, or -1
        (kept: the dependency stays without a match)."""
        found = dep.found  # the pool keeps a plain name's matches on the Dep
        if found is None:
            found = self.pool.dep_matches(dep)
        filter_out = self.filter_out
        for position in range(start, len(found)):
            other = found[position]
            if not filter_out.get(other):  # dropped ids hold their reason
                watching = self._watchers.get(other)
                if watching is None:
                    self._watchers[other] = [dep]
                else:
                    watching.append(dep)
                self._cursor[dep] = position
                return position
        self._cursor[dep] = -1
        return -1

    def _rewatch(self, watchers: list) -> None:
        """A watched record was dropped: each dependency it was the live match of moves on to
        its next one; a dependency with none leaves the records requiring it unsupported."""
        filter_out = self.filter_out
        unsupported = self._unsupported
        names = self.pool.names
        for dep in watchers:
            if self._watch_dep(dep, self._cursor[dep] + 1) >= 0:
                continue
            for rid in self._users[dep]:  # the dependency died: so did their support
                if not filter_out.get(rid) and rid not in unsupported:
                    unsupported.add(rid)
                    self._weak.add(names[rid])

    # -- the reduction --------------------------------------------------------------------------

    def run(self, explicit: list, features: list) -> list:
        """Return the reduced index as a list of record ids (explicit: ``Dep``s)."""
        limit = sys.getrecursionlimit()
        if limit < 20000:
            sys.setrecursionlimit(20000)  # valid2 and filter_group recurse along dep chains
        try:
            return self._run(explicit, features)
        finally:
            sys.setrecursionlimit(limit)

    def _run(self, explicit: list, features: list) -> list:
        pool = self.pool
        filter_out = self.filter_out
        for feature in features:
            filter_out[pool.add_feature_record(feature)] = False
        explicit = sorted(explicit, key=lambda dep: (self._exactness(dep), dep.text), reverse=True)
        self.explicit_pool = {}
        for dep in explicit:
            self.explicit_pool[dep.name] = self.explicit_pool.get(dep.name, 0) | pool.match_mask(dep.spec)
        # names whose records the explicit specs narrow (a name-only one on a name keeps all)
        self._narrowed = {dep.name for dep in explicit}.difference(
            [dep.name for dep in explicit if dep.spec.is_name_only])
        self.snames = set()
        self.cp_filter_applied = set()
        self._start_watching()
        for _ in range(2):
            self.snames.clear()
            queue = deque(explicit)
            while queue:
                dep = queue.popleft()
                if self._filter_group([dep]):
                    queue.append(dep)
        self._stop_watching()
        return self._collect(explicit, features)

    def _exactness(self, dep) -> int:
        strictness = dep.spec.strictness
        if strictness != 3:
            return strictness
        value = 3
        found = self.pool.matches(dep.spec)
        if found:
            self.pool.deps(found[0])  # an entry that is no spec string: InvalidRecord, here
            for text in self.pool.records[found[0]].get("depends") or ():
                value += parse_spec(text).strictness
        return value

    def _filter_group(self, specs, key: tuple | None = None) -> bool | None:
        """Classic's nested ``filter_group``: True if it pruned something, None on a dead end."""
        filter_out = self.filter_out
        name = specs[0].name
        if key is None:
            key = (name, *specs)
        call = self._calls.get(key)
        if call is None:
            call = self._calls[key] = self._call(specs)
        match_mask, optional = call
        required_mask = self.explicit_pool.get(name)
        if name in self.snames:
            if self._quiet.get(key) == self.drops:
                return False  # nothing dropped since this exact call found nothing to drop
            # the name's loop has run (snames), so every live record has been checked
            if name not in self._weak and name not in self._direct_names:
                live = self._group_masks[name] & ~self.dead
                outside = ~match_mask | (~required_mask if required_mask else 0)
                if live and not live & outside:
                    return False  # the loop below would keep them all, and not recurse
        group = self._visited.get(name)
        if group is None:
            group = self._visit(name)

        old = 0
        survivors = []
        self._weak.discard(name)  # every live record is checked below
        for rid in group:
            if filter_out[rid]:  # a reason: dropped (every id has an entry since _visit)
                continue
            old += 1
            if not (match_mask >> rid) & 1 or (required_mask and not (required_mask >> rid) & 1):
                self._drop(rid, "incompatible with required spec")
            elif self._supported(rid):
                survivors.append(rid)

        new = len(survivors)
        reduced = new < old
        drops = self.drops
        if optional:
            if not reduced:
                self._quiet[key] = drops
            return reduced
        if new == 0:
            return None
        if reduced or name not in self.snames:
            snames = self.snames
            snames.add(name)
            weak, direct = self._weak, self._direct_names
            names, maps = self._shared_names(survivors)
            for dep_name in names:
                if (dep_name in snames and dep_name not in weak and dep_name not in direct
                        and self._keeps_all(dep_name, maps)):
                    continue  # the call's own first test would return False: skip the call
                deps = list(dict.fromkeys([by_name[dep_name] for by_name in maps]))
                self._passed.append((name, survivors, dep_name))
                result = self._filter_group(deps, (dep_name, *deps))
                if result:
                    reduced = True
                elif result is None:
                    return None
        if not reduced and self.drops == drops:
            # nothing dropped in this call nor below it: until the next drop anywhere, a
            # repeat would find nothing again (and not recurse, the name being in snames)
            self._quiet[key] = drops
        return reduced

    def _call(self, specs) -> tuple:
        """A filter_group call's fixed parts: its specs' match bitset, and whether one of them
        is optional."""
        dep_mask = self.pool.dep_mask
        match_mask = 0
        optional = False
        for dep in specs:
            match_mask |= dep_mask(dep)
            if dep.optional:
                optional = True
        return match_mask, optional

    def _shared_names(self, survivors: list) -> tuple[list, list]:
        """The names every survivor requires, in classic's order (by first appearance), and
        the survivors' name -> required dependency maps (a name's deps, in group order, are
        ``[by_name[name] for by_name in maps]``).

        A record depends on each name at most once, so a name all survivors share is one of
        the first survivor's, and intersecting name sets finds them without a tally."""
        required = self.pool.required_by_name
        maps = [required(rid) for rid in survivors]
        names = list(maps[0])
        for by_name in maps[1:]:
            if not names:
                break
            names = [n for n in names if n in by_name]
        return names, maps

    def _keeps_all(self, name: str, maps: list) -> bool:
        """Whether every live record of ``name`` (already filtered once) matches the
        survivors' dependency on it (from their ``maps``) and the name's explicit specs:
        ``filter_group`` on those dependencies would drop nothing."""
        live = self._group_masks[name] & ~self.dead
        if not live:
            return False
        required_mask = self.explicit_pool.get(name)
        if required_mask and live & ~required_mask:
            return False
        covering = self._covering
        dep_mask = self.pool.dep_mask
        left = live
        for by_name in maps:  # a few dependencies usually cover them all: stop there
            dep = by_name[name]
            if dep in covering:
                return True
            mask = dep.mask
            if mask is None:
                mask = dep_mask(dep)
            if not live & ~mask:
                covering.add(dep)  # drops are final: it covers the name from now on
                return True
            left &= ~mask
            if not left:
                return True
        return False

    def _collect(self, explicit: list, features: list) -> list:
        """Step 4: everything reachable from the explicit specs through valid records."""
        pool = self.pool
        strict = self.strict
        index: dict[int, None] = {}
        for feature in features:
            index[pool.feature_records[feature]] = None
        seed: dict[str, list] = {}
        for dep in explicit:
            seed.setdefault(dep.name, []).append(dep)
        for root in explicit:
            adding = [rid for rid in pool.matches(root.spec) if rid not in index and self.is_valid(rid)]
            if strict and adding:
                channel = self.strict_channel(pool.names[adding[0]])
                adding = [rid for rid in adding if self._channel(rid) == channel]
            for rid in adding:
                index[rid] = None
            for rid in adding:
                self._expand(rid, seed, index)
        return list(index)

    def _expand(self, root: int, seed: dict, index: dict) -> None:
        pool = self.pool
        strict = self.strict
        specs_by_name = {name: list(deps) for name, deps in seed.items()}
        root_deps = pool.deps(root) or ()
        for dep in root_deps:
            known = specs_by_name.get(dep.name, [])
            if dep not in known and (not known or dep.spec.strictness >= known[0].spec.strictness):
                known.insert(0, dep)
            specs_by_name[dep.name] = known
        pending = list(dict.fromkeys(root_deps))
        met = set(pending)  # deps pending or done (classic's dep_specs and seen_specs)
        exhausted = self._exhausted
        is_valid, deps_of, names, records = self.is_valid, pool.deps, pool.names, pool.records
        # a name whose records share one channel has nothing for the strict filter to refuse
        strict_of, one_channel = self._strict_channel, pool.one_channel
        while pending:
            dep = pending.pop()
            if dep in exhausted:
                continue  # every match is in the index or was refused: nothing to add
            for rid in pool.dep_matches(dep):
                if rid in index or not is_valid(rid):
                    continue
                if strict and one_channel(names[rid]) is MIXED:
                    name = names[rid]
                    channel = strict_of[name] if name in strict_of else self.strict_channel(name)
                    if channel != records[rid].get("channel"):
                        continue
                index[rid] = None
                for new in deps_of(rid) or ():
                    if new in met:
                        continue
                    met.add(new)
                    if new.pulls:
                        known = specs_by_name.get(new.name)
                        if not known or new.spec.strictness >= known[0].spec.strictness:
                            pending.append(new)
            if dep.found is not None:
                # refusals are final here (is_valid's, the strict channel's) and so is the
                # index: a later walk reaching this dep would find nothing to add
                exhausted.add(dep)


def _plain_name(name: str) -> bool:
    return bool(name) and "*" not in name and "?" not in name and "[" not in name
