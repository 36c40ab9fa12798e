"""Classic's reduced index (``Resolve.get_reduced_index``) on record ids.

The reduced index is the universe classic's SAT problem is built over: which records may be
chosen at all. Its ranks, its virtual-package enforcement (dependencies on ``__x`` get no
clause, so a record whose ``__x`` dependency has no match survives only if the reduction
keeps it) and its strict channel filter all change answers, so it is ported step by step:

1. hide feature pseudo-records that were not requested (we only create requested ones);
2. under strict priority, drop records not from the name's top channel;
3. two passes of ``filter_group`` from the explicit specs (most exact first): drop records
   that contradict an explicit spec or have a required dependency with no survivor, and
   recurse into dependency names shared by every survivor of a group;
4. collect what is reachable from the explicit specs through valid records, not following
   ``track_features`` dependencies nor specs broader than the ones already seen for a name
   (the "broadening" guard, ``Resolve._broader``).

``filter_out`` maps a record id to ``False`` (kept) or a reason string, like classic's.
"""

from __future__ import annotations

import sys
from collections import deque

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
    """

    __slots__ = ("_by_record",)

    def __init__(self):
        self._by_record: dict[int, tuple[dict, dict[int, bool]]] = {}

    def verdicts(self, record: dict) -> dict[int, bool]:
        """Dependency position -> verdict for ``record`` (held with it, so its id stays its)."""
        entry = self._by_record.get(id(record))
        if entry is None or entry[0] is not record:
            entry = self._by_record[id(record)] = (record, {})
        return entry[1]


class Reduction:
    """One reduced-index computation over ``pool`` for the given explicit specs."""

    def __init__(self, pool, strict: bool, memo: ValidityMemo | None = None):
        self.pool = pool
        self.strict = strict
        self.memo = memo
        if memo is not None:
            self.is_valid = self._is_valid_remembered
        self.filter_out: dict[int, object] = {}
        self.dead = 0  # bitset of the ids filter_out rejects (a reason, not False)
        self.drops = 0  # how many times a record was rejected: "has anything changed?"
        self._quiet: dict[tuple, int] = {}  # filter_group call -> drops when it found nothing
        self._strict_channel: dict[str, str | None] = {}

    # -- helpers -----------------------------------------------------------------------------

    def strict_channel(self, name: str):
        """The channel of the name's best priority (ties: the best record's channel)."""
        try:
            return self._strict_channel[name]
        except KeyError:
            pass
        pool = self.pool
        best = None
        best_priority = None
        priorities = pool.policy.channel_priorities()
        for rid in pool.group(name):
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
        record's dependencies are walked once (the provisional mark stops re-entry), so no
        per-dependency memo is needed; the walk is the reduction's hottest loop.
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
        dep_matches = self.pool.dep_matches
        is_valid = self.is_valid
        for dep in deps:
            if dep.optional:
                continue
            for other in dep_matches(dep):  # any() in match order, as classic evaluates it
                known = filter_out.get(other)
                if known is None:
                    if is_valid(other):
                        break
                elif not known:
                    break
            else:
                self._drop(rid, "invalid depends specs")
                return False
        return True

    def _is_valid_remembered(self, rid: int) -> bool:
        """``is_valid`` with the verdicts of earlier reductions taken as they were."""
        filter_out = self.filter_out
        value = filter_out.get(rid)
        if value is not None:
            return not value
        filter_out[rid] = False
        deps = self.pool.deps(rid)
        if deps is None:
            self._drop(rid, "invalid dep specs")
            return False
        verdicts = self.memo.verdicts(self.pool.records[rid])
        for position, dep in enumerate(deps):
            if dep.optional:
                continue
            verdict = verdicts.get(position)
            if verdict is None:
                verdict = verdicts[position] = self._has_valid_match(dep)
            if not verdict:
                self._drop(rid, "invalid depends specs")
                return False
        return True

    def _has_valid_match(self, dep) -> bool:
        filter_out = self.filter_out
        for other in self.pool.dep_matches(dep):
            known = filter_out.get(other)
            if known is None:
                if self.is_valid(other):
                    return True
            elif not known:
                return True
        return False

    def _drop(self, rid: int, reason: str) -> str:
        self.filter_out[rid] = reason
        self.dead |= 1 << rid
        self.drops += 1
        return reason

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
        self.snames = set()
        self.cp_filter_applied = set()
        for _ in range(2):
            self.snames.clear()
            queue = deque(explicit)
            while queue:
                dep = queue.popleft()
                if self._filter_group([dep]):
                    queue.append(dep)
        return self._collect(explicit, features)

    def _exactness(self, dep) -> int:
        strictness = dep.spec.strictness
        if strictness != 3:
            return strictness
        value = 3
        found = self.pool.matches(dep.spec)
        if found:
            for text in self.pool.records[found[0]].get("depends") or ():
                value += parse_spec(text).strictness
        return value

    def _filter_group(self, specs) -> bool | None:
        """Classic's nested ``filter_group``: True if it pruned something, None on a dead end."""
        pool = self.pool
        filter_out = self.filter_out
        name = next(iter(specs)).name
        key = (name, *specs)
        if name in self.snames and self._quiet.get(key) == self.drops:
            return False  # nothing dropped since this exact call found nothing to drop
        group = pool.group(name) if _plain_name(name) else ()
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
                    self._drop(rid, "unsatisfiable dependencies " + " ".join(d.text for d in missing))
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
            for deps in self._shared_deps(survivors):
                result = self._filter_group(deps)
                if result:
                    reduced = True
                elif result is None:
                    return None
        if not reduced and self.drops == drops:
            # nothing dropped in this call nor below it: until the next drop anywhere, a
            # repeat would find nothing again (and not recurse, the name being in snames)
            self._quiet[key] = drops
        return reduced

    def _shared_deps(self, survivors: list) -> list:
        """The required dependencies every survivor has on one name, per name, in classic's
        order (names by first appearance, deps in group order, duplicates dropped).

        A record depends on each name at most once, so a name all survivors share is one of
        the first survivor's, and intersecting name sets finds them without a tally."""
        required = self.pool.required_by_name
        first = required(survivors[0])
        names = list(first)
        for rid in survivors[1:]:
            if not names:
                return []
            by_name = required(rid)
            names = [n for n in names if n in by_name]
        shared = []
        for name in names:
            shared.append(list(dict.fromkeys([required(rid)[name] for rid in survivors])))
        return shared

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
        seen = set()
        pending = list(dict.fromkeys(root_deps))
        pending_set = set(pending)
        while pending:
            dep = pending.pop()
            pending_set.discard(dep)
            seen.add(dep)
            for rid in pool.dep_matches(dep):
                if rid in index or not self.is_valid(rid):
                    continue
                if strict and self.strict_channel(pool.names[rid]) != self._channel(rid):
                    continue
                index[rid] = None
                for new in pool.deps(rid) or ():
                    if new in seen or new in pending_set:
                        continue
                    known = specs_by_name.get(new.name)
                    broader = bool(known) and new.spec.strictness < known[0].spec.strictness
                    if new.feature is None and _no_track_features(new) and not broader:
                        pending.append(new)
                        pending_set.add(new)
                    else:
                        seen.add(new)


def _plain_name(name: str) -> bool:
    return bool(name) and "*" not in name and "?" not in name and "[" not in name


def _no_track_features(dep) -> bool:
    return dep.spec.get("track_features") is None
