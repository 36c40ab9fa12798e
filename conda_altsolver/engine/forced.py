"""The answer classic's objectives force, when they force one: found without the SAT search.

Classic minimises its objectives in order (``solve.py``): the rank terms of the requested
names (channel, version, then features, build number, arch), the optional installs and
updates, the other names' rank terms, the package count, the timestamps. A record's rank
terms are all zero when it is ranked first of its name's reduced records on those four
(``rank_records``): its name's "best" records, a prefix of the name's group.

Follow the requests through best records: each requested name, and each name a record
chosen so far depends on, keeps its best records that match every spec the requests and
the chosen records put on it; a name left with several keeps those that can be installed
with best records below them (``_Forcing.viable``). When each name is left with exactly
one and the chosen records meet each other's dependencies and constrains, those records are
the solve's only optimum:

* they form a model whose terms before the package count are all zero, so every optimum's
  are too: an optimum installs best records only, so viable ones only;
* it installs the requested names, so the one record each has left, so (by induction, in
  the order they were chosen) every chosen record;
* the chosen records are a model, so its package count is at most theirs: it installs
  nothing else. (Timestamps come after the count and have nothing left to decide.)

The search would find that model too; finding it this way takes a walk over the answer's
dependencies. None when the requests are not all required, plain-named and untargeted
(optional installs and updates come before the other names' ranks), when a chosen record
has a feature or a dependency on something other than one plain name, or when the walk does
not single out one record per name: the search decides those.
"""

from __future__ import annotations

from .pool import id_mask

#: a record's first four ranks (channel, version, build number, arch) when it is best
_BEST = (0, 0, 0, 0)


def forced_answer(pool, groups: dict, ranks, requests: list) -> list | None:
    """The record ids of the only optimum, when the requests force one (see above), or
    None. ``groups``: name -> reduced ids best first; ``ranks``: rid -> its rank tuple;
    ``requests``: the solve's parsed requests (``solve._Request``)."""
    forcing = _Forcing(pool, groups, ranks)
    asked: dict[str, int] = {}  # name -> bitset of the ids every spec on it so far matches
    pending: list[str] = []
    for request in requests:
        dep = request.dep
        if (dep is None or request.request.optional or request.request.target is not None
                or not dep.plain):
            return None
        _ask(asked, pending, dep.name, pool.dep_mask(dep))
    chosen: dict[str, int] = {}
    while pending:
        undecided = []
        added: list[str] = []
        for name in pending:
            found = forcing.single(name, asked[name])
            if found is None:
                undecided.append(name)
            elif found < 0 or not forcing.choose(found, chosen, asked, added):
                return None
        if not added and len(undecided) == len(pending):
            return None  # nothing decided, nothing new: several records stay possible
        pending = undecided + added
    if not _meets_constrains(pool, chosen):
        return None
    return list(chosen.values())


def _ask(asked: dict, pending: list, name: str, mask: int) -> None:
    if name not in asked:
        asked[name] = mask
        pending.append(name)
    else:
        asked[name] &= mask


def _meets_constrains(pool, chosen: dict) -> bool:
    """Each chosen record's constrains on a chosen name match its chosen record (the
    encoding gives none for virtual packages, ``__x``)."""
    for rid in chosen.values():
        for dep in pool.deps(rid):
            if dep.optional and dep.name in chosen and not dep.name.startswith("__") and not (
                    pool.dep_mask(dep) >> chosen[dep.name]) & 1:
                return False
    return True


class _Forcing:
    """Best records per name, and which of them can be installed with best records only."""

    __slots__ = ("pool", "groups", "ranks", "_best", "_viable")

    def __init__(self, pool, groups: dict, ranks):
        self.pool = pool
        self.groups = groups
        self.ranks = ranks
        self._best: dict[str, tuple] = {}  # name -> (best ids, their bitset)
        self._viable: dict[int, bool] = {}

    def best(self, name: str) -> tuple:
        """The name's reduced records whose first four ranks are zero, and their bitset."""
        found = self._best.get(name)
        if found is None:
            ranks = self.ranks
            ids = []
            for rid in self.groups.get(name, ()):
                if ranks[rid][:4] != _BEST:
                    break  # ranks only grow along the group
                ids.append(rid)
            found = self._best[name] = ids, id_mask(ids)
        return found

    def single(self, name: str, asked: int) -> int | None:
        """The one best record of ``name`` that ``asked`` allows and that may be installed;
        -1 when there is none, None when several remain."""
        options = [rid for rid in self.best(name)[0] if (asked >> rid) & 1]
        if len(options) > 1:  # most ties end at a dependency with no best match at all
            options = [rid for rid in options if self._met_by_best(rid)]
        if len(options) > 1:
            try:
                options = [rid for rid in options if self.viable(rid)]
            except RecursionError:  # a dependency chain deeper than the stack: search it
                return None
        if not options:
            return -1
        return options[0] if len(options) == 1 else None

    def viable(self, rid: int) -> bool:
        """Whether each dependency the encoding gives a clause has a viable best match.

        A record being judged counts as viable to the records below it (a cycle), so a
        True may be too generous, which only keeps a record in play; a False is proved:
        each match of one of its dependencies was found not viable before."""
        known = self._viable.get(rid)
        if known is not None:
            return known
        self._viable[rid] = True
        deps = self.pool.deps(rid)
        verdict = deps is not None and all(self._met(dep) for dep in deps)
        self._viable[rid] = verdict
        return verdict

    def _met_by_best(self, rid: int) -> bool:
        """``viable`` one level deep: each dependency with a clause has a best match."""
        deps = self.pool.deps(rid)
        if deps is None:
            return False
        dep_mask = self.pool.dep_mask
        return all(dep_mask(dep) & self.best(dep.name)[1] for dep in deps
                   if dep.clause and dep.plain)

    def _met(self, dep) -> bool:
        if not dep.clause or not dep.plain:
            return True  # no clause (a constrains, a virtual package) or not judged here
        ids, mask = self.best(dep.name)
        matching = self.pool.dep_mask(dep) & mask
        return any(self.viable(rid) for rid in ids if (matching >> rid) & 1)

    def choose(self, rid: int, chosen: dict, asked: dict, added: list) -> bool:
        """Install ``rid``: what it depends on is asked of its names. False when it has a
        feature, a dependency the walk does not follow, or one a chosen record fails."""
        pool = self.pool
        deps = pool.deps(rid)
        if deps is None or pool.track_features(rid):
            return False
        chosen[pool.names[rid]] = rid
        for dep in deps:
            if dep.feature is not None or not dep.plain:
                return False
            if not dep.clause:
                continue  # a constrains (checked once all are chosen), a virtual package
            name = dep.name
            mask = pool.dep_mask(dep)
            if name in chosen:
                if not (mask >> chosen[name]) & 1:
                    return False
            else:
                _ask(asked, added, name, mask)
        return True
