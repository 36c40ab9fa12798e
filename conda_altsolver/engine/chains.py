"""Classic's conflict chains: what conda's ``UnsatisfiableError`` prints and its tests check.

``classic_chains`` follows the semantics of conda's ``Resolve.build_conflict_map`` and
``breadth_first_search_for_dep_graph`` (shortest dependency paths from each request to a name
that several requests reach, same-length paths merged by uniting their last specs);
``classify_chains`` sorts them as ``_classify_bad_deps`` does. Everything is spec strings: the
adapter turns them into conda objects.
"""

from __future__ import annotations

from collections import Counter, deque
from itertools import chain as _chain

from .request import role_of
from .spec import parse_spec

#: classic's ``unsatisfiable_hints_check_depth`` default
CHECK_DEPTH = 2
#: above this many requests the chains are seeded from the conflicting ones only (classic
#: seeds them from every spec and can take minutes)
CHAIN_SEED_LIMIT = 64


class _DepGraph:
    """Spec strings -> the specs their matches depend on (raw ``depends``), cached, and the
    name of every spec it hands out (the searches below compare names at every node)."""

    def __init__(self, pool):
        self.pool = pool
        self.children_of: dict[str, tuple] = {}
        self._matches_of: dict[str, tuple] = {}  # node -> the records its children are from
        self._record_children: dict[int, tuple] = {}  # rid -> its depends, canonical
        # raw depends text -> canonical (False: invalid), and spec text -> its name: both
        # start from what the pool has parsed, which is most of what the searches meet
        self._canonical, self._names = pool.parsed_texts()
        self._named: dict[str, dict] = {}  # name -> {rid: its depends of that name}

    def name_of(self, text: str) -> str:
        """``_spec_name``, remembered: the searches below ask it of every node they visit."""
        name = self._names.get(text)
        if name is None:
            name = self._names[text] = _spec_name(text)
        return name

    def matches(self, node: str) -> tuple:
        """The records a spec string matches (none when it does not parse), cached."""
        found = self._matches_of.get(node)
        if found is None:
            dep = self.pool.dep_of_text(node)  # most nodes are depends the pool has parsed
            if dep is not None:
                found = self.pool.dep_matches(dep)
            else:
                try:
                    found = self.pool.matches(parse_spec(node))
                except ValueError:
                    found = ()
            self._matches_of[node] = found
        return found

    def children(self, node: str) -> tuple:
        """The specs ``node``'s matches depend on, in first appearance order, each once."""
        found = self.children_of.get(node)
        if found is None:
            found = self.children_of[node] = tuple(self._depends_of(self.matches(node)))
        return found

    def _depends_of(self, rids) -> dict:
        """The records' depends in first appearance order (dict keys), each record's once."""
        return dict.fromkeys(_chain.from_iterable(self._records_children(rids)))

    def _records_children(self, rids):
        """``_own_children`` of each of ``rids``, in order. The searches walk the same records
        from many nodes: the ones met for the first time are parsed, and the rest are read
        from the cache in one pass, without a call per record."""
        known = self._record_children
        for rid in set(rids).difference(known):
            self._own_children(rid)
        return map(known.__getitem__, rids)

    def _has_children(self, node: str) -> bool:
        """Whether ``children(node)`` is not empty, without building it (the searches
        queue most nodes without ever walking their children one by one)."""
        found = self.children_of.get(node)
        if found is not None:
            return bool(found)
        return any(map(self._own_children, self.matches(node)))

    def _own_children(self, rid: int) -> tuple:
        """One record's ``depends`` as canonical spec strings (invalid ones left out);
        records are shared by many nodes' matches, so each is parsed once."""
        found = self._record_children.get(rid)
        if found is None:
            depends = self.pool.records[rid].get("depends") or ()
            canonical_of = self._canonical.get  # many records share a dependency's text
            texts = list(map(canonical_of, depends))
            if not all(texts):  # a text met for the first time (None) or invalid (False)
                texts = []
                for text in depends:
                    canonical = canonical_of(text)
                    if canonical is None:
                        canonical = self._canonicalize(text)
                    if canonical is not False:
                        texts.append(canonical)
            found = self._record_children[rid] = tuple(texts)
        return found

    def _canonicalize(self, text: str):
        """A depends text's canonical spec string (False when invalid), remembered with its
        name: the texts the pool had not parsed when the graph was made
        (``parsed_texts`` gave the others)."""
        try:
            canonical = str(parse_spec(text))
        except ValueError:
            canonical = False
        else:
            self.name_of(canonical)
        self._canonical[text] = canonical
        return canonical

    def _children_named(self, node: str, name: str) -> dict:
        """``children(node)`` named ``name``, in order (as dict keys): the same dedup over
        the matches' depends, kept to one name before it, so a search for one name does
        not look at every child (sudoku's nodes have ~170 children, a handful named alike)."""
        named = self._named.get(name)
        if named is None:
            named = self._named[name] = {}
        texts = []
        for rid in self.matches(node):
            own = named.get(rid)
            if own is None:
                own = named[rid] = self._own_named(rid, name)
            texts.append(own)
        return dict.fromkeys(_chain.from_iterable(texts))

    def _own_named(self, rid: int, name: str) -> tuple:
        """One record's canonical depends named ``name``."""
        names = self._names
        return tuple([text for text in self._own_children(rid) if names[text] == name])

    def reachable(self, root: str, depth: int) -> list:
        """Every spec in the root's graph (classic expands paths up to ``depth`` long), in
        the order of classic's breadth-first walk: level by level, each node's children in
        order, a spec where it first appears."""
        return list(self._reach(root, depth))

    def _reach(self, root: str, depth: int) -> dict:
        """``reachable`` as dict keys. A level's specs are its nodes' records' depends in
        first appearance order: a node or a record met twice on one level adds nothing new
        the second time, so each is taken once, and no node's own children are built."""
        found: dict[str, None] = {}
        level = (root,)
        matches = self.matches
        for length in range(1, depth + 1):
            rids = dict.fromkeys(_chain.from_iterable(map(matches, level)))
            below = _chain.from_iterable(self._records_children(rids))
            if length == depth:  # the last level, straight into a copy (no level dict)
                return dict.fromkeys(_chain(found, below))
            level = dict.fromkeys(below)
            found.update(level)
        return found

    def reached_set(self, root: str, depth: int) -> set:
        """``reachable`` as a set: the same specs, without the order (cheaper to build)."""
        found: set = set()
        level = (root,)
        matches = self.matches
        for _ in range(depth):
            rids = set(_chain.from_iterable(map(matches, level)))
            level = set().union(*self._records_children(rids))
            found |= level
        return found

    def shortest_paths(self, root: str, target: str, wanted: int, depth: int) -> list:
        """Classic's ``breadth_first_search_for_dep_graph``: paths to specs named ``target``;
        paths of equal length are merged by uniting their last specs (visited specs are
        skipped, which is why a later path may show only the versions not seen before)."""
        # The queue holds batches (parent entry, path length): the parent's children, or the
        # root alone, neither copied nor queued one by one (nor built until walked). A path's
        # entry is (node, length, parent entry), spelled out only when it reaches the target.
        queue = deque([(None, 1)])
        visited: set = set()
        paths: list = []
        self.name_of(root)
        names = self._names  # the root's, and every child's since it was parsed
        while queue:
            parent, length = queue.popleft()
            if length <= depth and len(paths) < wanted:
                candidates = self.children(parent[0]) if parent else (root,)
            elif parent:
                # Nothing is expanded from here on (lengths only grow, paths only add up):
                # a spec of another name changes nothing, marked visited or not, since every
                # later look at ``visited`` is for a spec named ``target``.
                candidates = self._children_named(parent[0], target)
            else:
                candidates = (root,) if names[root] == target else ()
            for node in candidates:
                if node in visited:
                    continue
                visited.add(node)
                entry = (node, length, parent)
                if names[node] == target:
                    path = _spell(entry)
                    if not paths:
                        paths.append(path)
                    if len(paths[-1]) == length:
                        paths[-1][-1] = _union_specs(node, paths[-1][-1])
                    else:
                        paths.append(path)
                    # what is still queued: the rest of this batch (same length), then queue
                    done = len(paths) == wanted and any(b[1] != length for b in queue)
                    if done or (not queue and node == self._last_of(parent, root)):
                        return paths
                if length <= depth and len(paths) < wanted and self._has_children(node):
                    queue.append((entry, length + 1))
        return paths

    def _last_of(self, parent, root: str) -> str:
        """The last spec of a ``shortest_paths`` batch (its specs are distinct)."""
        return self.children(parent[0])[-1] if parent else root


def _spell(entry) -> list:
    """The path a ``shortest_paths`` queue entry stands for, root first."""
    path = []
    while entry is not None:
        path.append(entry[0])
        entry = entry[2]
    path.reverse()
    return path


def _spec_name(text: str) -> str:
    try:
        return parse_spec(text).name
    except ValueError:
        return text.split()[0]


def _union_specs(first: str, second: str) -> str:
    """``MatchSpec.union`` of two same-name specs, as classic prints it."""
    if first == second:
        return first
    a, b = parse_spec(first), parse_spec(second)
    fields = {}
    for key in ("version", "build"):
        va, vb = a.get(key), b.get(key)
        if va is not None and vb is not None:
            fields[key] = "|".join(sorted({str(va), str(vb)}))
        elif va is not None or vb is not None:
            fields[key] = str(va if va is not None else vb)
    if not fields:
        return str(a)
    inner = ",".join(f"{k}='{v}'" for k, v in fields.items())
    return str(parse_spec(f"{a.name}[{inner}]"))


def _seed_specs(pool, requests: list) -> list:
    """Classic's roots: the request specs (one match: that record's dependencies instead)."""
    roots = list(dict.fromkeys(str(r.spec) for r in requests
                               if r.dep is not None and not r.spec.name.startswith("__")))
    if len(roots) == 1:
        matches = pool.matches(parse_spec(roots[0]))
        if len(matches) == 1:
            deps = pool.deps(matches[0]) or ()
            roots = list(dict.fromkeys(d.text for d in deps if not d.optional and not d.feature))
    return roots


def unprovided_root(pool, requests: list) -> str | None:
    """A root of classic's conflict map that no record matches, or None. classic's
    ``build_conflict_map`` takes each root's package pool first, so such a root (a
    dependency of the one record a single request matches) stops it with
    ``ResolvePackageNotFound`` before any chain is drawn."""
    optional = {str(r.spec) for r in requests if r.request.optional}
    for root in _seed_specs(pool, requests):
        if root not in optional and not pool.matches(parse_spec(root)):
            return root
    return None


def classic_chains(pool, requests: list, depth: int = CHECK_DEPTH) -> list:
    """Classic's conflict chains: tuples of spec strings from a root to a dependency."""
    graph = _DepGraph(pool)
    roots = _seed_specs(pool, requests)
    users = _users(graph, roots, depth)
    for name in [n for n in users if n.startswith("__")]:
        for rid in pool.group(name):
            if pool.records[rid].get("channel") == "@":
                system = _system_spec(pool.records[rid])
                _count(users[name], system, 1)
                users.setdefault(system, {})
    groups: dict[frozenset, list] = {}
    for name, using in users.items():
        distinct = frozenset(using)
        if len(distinct) > 1:
            groups.setdefault(distinct, []).append(name)
        elif name.startswith("__") and any(_spec_name(s) != name for s in distinct):
            groups[distinct] = [name]
    chains: list = []
    order = {root: i for i, root in enumerate(roots)}
    for group_roots, names in groups.items():
        ordered = sorted(group_roots, key=lambda r: (order.get(r, -1), r))
        _group_chains(graph, users, ordered, names, chains, depth)
    return [tuple(c) for c in chains]


def _users(graph, roots: list, depth: int) -> dict:
    """Classic's map of each name to the roots reaching it, once per distinct spec of that
    name, held as ``{root: that count}``: the chains only ask which roots and how many
    times each, and counting a root's names at once (``Counter``) spares a step per spec.
    Names come in the order classic first meets them (a root's own name before its graph)."""
    users: dict[str, dict] = {}
    names = graph._names  # every reachable spec was named when its record was parsed
    for root in roots:
        _count(users.setdefault(graph.name_of(root), {}), root, 1)
        reached = Counter(map(names.__getitem__, graph.reached_set(root, depth)))
        if not users.keys() >= reached.keys():
            # a name met for the first time: classic's order decides where it goes
            reached = Counter(map(names.__getitem__, graph._reach(root, depth)))
        for name, times in reached.items():
            using = users.get(name)
            if using is None:
                users[name] = {root: times}
            else:
                _count(using, root, times)
    return users


def _count(using: dict, user: str, times: int) -> None:
    """Adds ``times`` uses by ``user`` to one name's ``{user: count}``."""
    using[user] = using.get(user, 0) + times


def _system_spec(record: dict) -> str:
    return f"{record.get('name')}=={record.get('version')}={record.get('build')}"


def _group_chains(graph, users, roots, names, chains, depth) -> None:
    root_names = {_spec_name(r) for r in roots}
    requested = [n for n in names if n in root_names]
    if requested:
        chains.append([r for r in roots if _spec_name(r) in requested])
        target = _spec_name(chains[-1][0])
        for root in roots:
            if root != chains[0][0]:
                wanted = users[target].get(root, 0)
                chains.extend(graph.shortest_paths(root, target, wanted, depth))
        return
    shortest = None
    shortest_name = None
    for name in names:
        found = graph.shortest_paths(roots[0], name, users[name].get(roots[0], 0), depth)
        chains.extend(found)
        if shortest is None or len(found) < len(shortest):
            shortest, shortest_name = found, name
    for root in roots[1:]:
        wanted = users[shortest_name].get(root, 0)
        chains.extend(graph.shortest_paths(root, shortest_name, wanted, depth))


def classify_chains(pool, chains: list, requests: list) -> dict:
    """Classic's ``_classify_bad_deps``: chains by kind, each with the spec it clashes with."""
    classes: dict[str, set] = {
        "python": set(), "request_conflict_with_history": set(), "direct": set(),
        "virtual_package": set(),
    }
    to_add = {str(r.spec) for r in requests if role_of(r) == "requested"}
    history = [str(r.spec) for r in requests if role_of(r) == "history"]
    python_roots = [c[0] for c in chains if _spec_name(c[0]) == "python"]
    requested_python = any(_spec_name(s) == "python" for s in to_add)
    for chain in chains:
        last = _spec_name(chain[-1])
        if len(chain) > 1 and last == "python" and not requested_python and python_roots:
            own = set(pool.matches(parse_spec(python_roots[0])))
            if not own & set(pool.matches(parse_spec(chain[-1]))):
                classes["python"].add(((chain[0], chain[-1]), python_roots[0]))
        elif last.startswith("__"):
            system = [pool.records[r] for r in pool.group(last)
                      if pool.records[r].get("channel") == "@"]
            version = system[0].get("version") if system else "not available"
            classes["virtual_package"].add((chain, version))
        elif chain[0] in to_add:
            clashes = [h for h in history if _spec_name(h) == last]
            for spec in clashes:
                classes["request_conflict_with_history"].add((chain, spec))
            if not clashes:
                classes["direct"].add((chain, chain[0]))
        elif len(chain) > 1 or any(c and c[0] == chain[0] for c in chains):
            classes["direct"].add((chain, chain[0]))
    if classes["python"]:
        classes["direct"] = {d for d in classes["direct"]
                             if d[1].startswith("python ") or len(d[0]) > 1}
    return classes


def unsatisfiable_entries(bad_deps: dict) -> list:
    """What conda's ``UnsatisfiableError(bad_deps).unsatisfiable`` holds: the "direct"
    chains whose last spec's name is shared by more than one chain."""
    by_last: dict[str, list] = {}
    for chain, _ in bad_deps.get("direct", ()):
        by_last.setdefault(_spec_name(chain[-1]), []).append(chain)
    return sorted(c for chains in by_last.values() if len(chains) > 1 for c in chains)
