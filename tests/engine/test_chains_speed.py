"""``classic_chains``'s fast paths give exactly the chains of the plain walk they replace.

The reference below is ``chains.py`` as it was before the fast paths (names looked up one call
per visited spec, every node of every queued batch walked, per-root lists of users); the
differential tests compare whole outputs (same chains, same order) on seeded random channels
(virtual packages, missing and invalid dependencies, cycles) and on the real sudoku, pytorch
and r channels (skipped without ../shared/data).
"""

from __future__ import annotations

import random
import sys
from collections import deque
from itertools import chain as _chain
from pathlib import Path

import pytest

from conda_altsolver.engine import Policy, Repo
from conda_altsolver.engine.chains import _DepGraph, classic_chains
from conda_altsolver.engine.pool import Pool
from conda_altsolver.engine.solve import _parse_requests
from conda_altsolver.engine.spec import parse_spec

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine_data import SUDOKU_GIVENS, load_channel  # noqa: E402
from random_channels import random_records  # noqa: E402

# -- the reference: chains.py before the fast paths ---------------------------------------------


class _RefDepGraph:
    def __init__(self, pool):
        self.pool = pool
        self.children_of: dict[str, tuple] = {}
        self._record_children: dict[int, tuple] = {}
        self._names: dict[str, str] = {}

    def name_of(self, text: str) -> str:
        name = self._names.get(text)
        if name is None:
            name = self._names[text] = _ref_spec_name(text)
        return name

    def children(self, node: str) -> tuple:
        found = self.children_of.get(node)
        if found is None:
            try:
                matches = self.pool.matches(parse_spec(node))
            except ValueError:
                matches = ()
            own = self._own_children
            found = tuple(dict.fromkeys(_chain.from_iterable([own(rid) for rid in matches])))
            self.children_of[node] = found
        return found

    def _own_children(self, rid: int) -> tuple:
        found = self._record_children.get(rid)
        if found is None:
            texts = []
            for text in self.pool.records[rid].get("depends") or ():
                try:
                    texts.append(str(parse_spec(text)))
                except ValueError:
                    continue
            found = self._record_children[rid] = tuple(texts)
        return found

    def reachable(self, root: str, depth: int) -> list:
        found: dict[str, None] = {}
        level = [root]
        for length in range(1, depth + 1):
            below = list(_chain.from_iterable([self.children(node) for node in level]))
            found.update(dict.fromkeys(below))
            if length < depth:
                level = list(dict.fromkeys(below))
        return list(found)

    def shortest_paths(self, root: str, target: str, wanted: int, depth: int) -> list:
        queue = deque([(None, (root,), 1)])
        visited: set = set()
        paths: list = []
        name_of = self.name_of
        while queue:
            parent, nodes, length = queue.popleft()
            for index, node in enumerate(nodes):
                if node in visited:
                    continue
                visited.add(node)
                entry = (node, length, parent)
                if name_of(node) == target:
                    path = _ref_spell(entry)
                    if not paths:
                        paths.append(path)
                    if len(paths[-1]) == length:
                        paths[-1][-1] = _ref_union_specs(node, paths[-1][-1])
                    else:
                        paths.append(path)
                    done = len(paths) == wanted and any(b[2] != length for b in queue)
                    if (index + 1 == len(nodes) and not queue) or done:
                        return paths
                if length <= depth and len(paths) < wanted:
                    children = self.children(node)
                    if children:
                        queue.append((entry, children, length + 1))
        return paths


def _ref_spell(entry) -> list:
    path = []
    while entry is not None:
        path.append(entry[0])
        entry = entry[2]
    path.reverse()
    return path


def _ref_spec_name(text: str) -> str:
    try:
        return parse_spec(text).name
    except ValueError:
        return text.split()[0]


def _ref_union_specs(first: str, second: str) -> str:
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


def _ref_seed_specs(pool, requests: list) -> list:
    roots = list(dict.fromkeys(str(r.spec) for r in requests
                               if r.dep is not None and not r.spec.name.startswith("__")))
    if len(roots) == 1:
        matches = pool.matches(parse_spec(roots[0]))
        if len(matches) == 1:
            deps = pool.deps(matches[0]) or ()
            roots = list(dict.fromkeys(d.text for d in deps if not d.optional and not d.feature))
    return roots


def reference_chains(pool, requests: list, depth: int = 2) -> list:
    graph = _RefDepGraph(pool)
    roots = _ref_seed_specs(pool, requests)
    users: dict[str, list] = {}
    name_of = graph.name_of
    for root in roots:
        users.setdefault(name_of(root), []).append(root)
        for name in map(name_of, graph.reachable(root, depth)):
            using = users.get(name)
            if using is None:
                users[name] = [root]
            else:
                using.append(root)
    for name in [n for n in users if n.startswith("__")]:
        for rid in pool.group(name):
            if pool.records[rid].get("channel") == "@":
                system = _ref_system_spec(pool.records[rid])
                users[name].insert(0, system)
                users.setdefault(system, [])
    groups: dict[frozenset, list] = {}
    for name, using in users.items():
        distinct = frozenset(using)
        if len(distinct) > 1:
            groups.setdefault(distinct, []).append(name)
        elif name.startswith("__") and any(_ref_spec_name(s) != name for s in distinct):
            groups[distinct] = [name]
    chains: list = []
    order = {root: i for i, root in enumerate(roots)}
    for group_roots, names in groups.items():
        ordered = sorted(group_roots, key=lambda r: (order.get(r, -1), r))
        _ref_group_chains(graph, users, ordered, names, chains, depth)
    return [tuple(c) for c in chains]


def _ref_system_spec(record: dict) -> str:
    return f"{record.get('name')}=={record.get('version')}={record.get('build')}"


def _ref_group_chains(graph, users, roots, names, chains, depth) -> None:
    root_names = {_ref_spec_name(r) for r in roots}
    requested = [n for n in names if n in root_names]
    if requested:
        chains.append([r for r in roots if _ref_spec_name(r) in requested])
        target = _ref_spec_name(chains[-1][0])
        for root in roots:
            if root != chains[0][0]:
                wanted = users[target].count(root)
                chains.extend(graph.shortest_paths(root, target, wanted, depth))
        return
    shortest = None
    shortest_name = None
    for name in names:
        found = graph.shortest_paths(roots[0], name, users[name].count(roots[0]), depth)
        chains.extend(found)
        if shortest is None or len(found) < len(shortest):
            shortest, shortest_name = found, name
    for root in roots[1:]:
        wanted = users[shortest_name].count(root)
        chains.extend(graph.shortest_paths(root, shortest_name, wanted, depth))


# -- random channels ----------------------------------------------------------------------------

NAMES = ["a", "b", "c", "d", "e", "f"]
VIRTUAL = [{"name": "__v", "version": str(v), "build": "0", "build_number": 0, "depends": [],
            "channel": "@", "subdir": "noarch"} for v in (1, 3)]


def _random_channel(rnd: random.Random) -> list:
    """``random_records`` plus dependencies on a virtual package (present or not on the
    system), on a missing name, invalid ones and exact pins (so same-length paths merge)."""
    records = random_records(rnd, NAMES, versions=rnd.randint(2, 5), builds=rnd.randint(1, 2),
                             missing=rnd.choice([0.0, 0.1]))
    extras = ["__v >=2", "__v", "__w >=1", "a ==1", "b 2.*", "c >=1,<3", "f[version='>=2']",
              "d >=<1", "e ===", "missing_too"]
    for record in records:
        if rnd.random() < 0.25:
            record["depends"].append(rnd.choice(extras))
    if rnd.random() < 0.7:
        records.extend(dict(r) for r in VIRTUAL[: rnd.randint(1, 2)])
    return records


def _random_specs(rnd: random.Random) -> list:
    specs = []
    for _ in range(rnd.randint(1, 7)):
        name = rnd.choice([*NAMES, *NAMES, "__v", "missing"])
        low = rnd.randint(1, 4)
        specs.append(rnd.choice([name, f"{name} >={low}", f"{name} <{low}", f"{name} =={low}",
                                 f"{name} !={low}"]))
    return specs


def _pool(records, strict=False):
    priority = "strict" if strict else "flexible"
    return Pool([Repo.from_records(records)], Policy(channel_order=("one", "two"),
                                                     channel_priority=priority))


@pytest.mark.parametrize("seed", range(150))
def test_classic_chains_match_the_reference_on_random_channels(seed):
    rnd = random.Random(seed)
    records = _random_channel(rnd)
    for _ in range(6):
        depth = rnd.choice([1, 2, 2, 2, 3])
        specs = _random_specs(rnd)
        pool = _pool(records, rnd.random() < 0.5)
        requests = _parse_requests(pool, specs)
        expected = reference_chains(_pool(records), _parse_requests(_pool(records), specs), depth)
        assert classic_chains(pool, requests, depth) == expected, (specs, depth)
        assert classic_chains(pool, requests, depth) == expected  # the pool's caches warm


@pytest.mark.parametrize("seed", range(20))
def test_the_pools_parsed_texts_are_what_parsing_gives(seed):
    """The chains start from the pool's parsed depends: each raw text's canonical string,
    its Dep (found by that string) and its name are what parsing the text gives."""
    rnd = random.Random(900 + seed)
    pool = _pool(_random_channel(rnd))
    for name in NAMES:
        for rid in pool.group(name):
            pool.deps(rid)
    canonical, names = pool.parsed_texts()
    assert canonical
    for text, printed in canonical.items():
        spec = parse_spec(text)
        assert printed == str(spec)
        dep = pool.dep_of_text(printed)
        assert str(dep.spec) == printed and not dep.optional and dep.feature is None
        assert names[printed] == spec.name
    canonical.clear()  # a new table each time
    assert pool.parsed_texts()[0]


@pytest.mark.parametrize("seed", range(40))
def test_graph_walks_match_the_reference(seed):
    """Both walks, either first: what one leaves cached (built children or not) must not
    change what the other finds."""
    rnd = random.Random(900 + seed)
    records = _random_channel(rnd)
    pool = _pool(records)
    graph, reference = _DepGraph(pool), _RefDepGraph(pool)
    for _ in range(15):
        root = rnd.choice([*NAMES, f"{rnd.choice(NAMES)} >={rnd.randint(1, 3)}", "missing"])
        target = rnd.choice([*NAMES, "__v", "missing"])
        wanted = rnd.randint(0, 4)
        depth = rnd.randint(0, 4)
        walks = [
            lambda g: g.reachable(root, depth),
            lambda g: g.shortest_paths(root, target, wanted, depth),
        ]
        rnd.shuffle(walks)
        for walk in walks:
            assert walk(graph) == walk(reference), (root, target, wanted, depth)


# -- the real channels --------------------------------------------------------------------------

LINUX_VIRTUAL = (("__glibc", "2.28", "0"), ("__unix", "0", "0"), ("__linux", "5.15", "0"),
                 ("__archspec", "1", "x86_64"))
REAL = {  # channel -> (subdirs, the benchmark's specs)
    "sudoku": (("noarch",), SUDOKU_GIVENS),
    "pytorch": (("linux-64", "noarch"), ["pytorch"]),
    "r": (("linux-64", "noarch"), ["r-base"]),
}


def _real_records(data_dir, channel):
    subdirs, _ = REAL[channel]
    records = load_channel(data_dir, channel, subdirs=subdirs, add_pip=False)
    if "linux-64" in subdirs:
        records += [{"name": n, "version": v, "build": b, "build_number": 0, "depends": [],
                     "channel": "@", "subdir": "linux-64"} for n, v, b in LINUX_VIRTUAL]
    return records


def _real_spec_sets(channel, records, rnd):
    """The benchmark's specs, then seeded picks of the channel's names (some pinned to a
    version the channel has)."""
    _, specs = REAL[channel]
    yield specs
    by_name: dict[str, list] = {}
    for record in records:
        by_name.setdefault(record["name"], []).append(record["version"])
    names = sorted(by_name)
    for _ in range(6):
        picked = []
        for name in rnd.sample(names, rnd.randint(1, 8)):
            version = rnd.choice(by_name[name])
            picked.append(rnd.choice([name, f"{name} =={version}", f"{name} >={version}",
                                      f"{name} !={version}"]))
        yield picked


@pytest.mark.data
@pytest.mark.parametrize("channel", sorted(REAL))
def test_classic_chains_match_the_reference_on_real_channels(data_dir, channel):
    records = _real_records(data_dir, channel)
    policy = Policy(channel_order=(channel,), channel_priority="strict")
    rnd = random.Random(channel)
    for specs in _real_spec_sets(channel, records, rnd):
        pool = Pool([Repo.from_records(records)], policy)
        requests = _parse_requests(pool, specs)
        for depth in (1, 2):
            expected = reference_chains(pool, requests, depth)
            assert classic_chains(pool, requests, depth) == expected, (specs, depth)
