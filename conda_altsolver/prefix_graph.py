"""conda's ``PrefixGraph``, with its edges read by the engine's specs and its install order
worked out in one pass over the cycles.

conda orders a solution (and classic's ``solve_final_state`` returns it in that order) by
levels: the records whose dependencies are all placed, by name, then the next level. When
every record left is in a cycle, it takes the one with the fewest parents left (ties: the
smaller ``dist_str()``) and goes on. It asks every record left for its ``dist_str()`` at each
such break, and each answer builds a ``Dist`` (about 0.15 ms): 0.5 s for a solution that is
one big cycle, such as the sudoku channel's 81 packages. Its edges come from a ``MatchSpec``
parsed per dependency: 12 ms for the 107 records of ``index``'s answer, whose dependencies
the solve has just parsed with the engine's own specs.

``PrefixGraph`` here is conda's (its methods are conda's too): the same edges, read with the
engine's specs where each dependency is a spec the engine matches as conda does, and the
same order, asking each record for its ``dist_str()`` once. The tests in
``tests/adapter/test_prefix_graph.py`` hold the two graphs side by side.
"""

from __future__ import annotations

from conda.base.context import context
from conda.models.prefix_graph import PrefixGraph as CondaPrefixGraph

from .engine import EngineError
from .engine.spec import parse_spec


class PrefixGraph(CondaPrefixGraph):
    """``conda.models.prefix_graph.PrefixGraph``, its edges read with the engine's specs
    (``plain_edges``) and ordered by ``install_order``."""

    def __init__(self, records, specs=()):
        records = tuple(records)
        graph = plain_edges(records)
        if graph is None:
            super().__init__(records, specs)
            return
        # conda's constructor, with those edges
        self.graph = graph
        self.spec_matches = {}
        specs = set(specs)
        for node in records:
            matching = dict.fromkeys(spec for spec in specs if spec.match(node))
            if matching:
                self.spec_matches[node] = matching
        self._toposort()

    def _toposort(self):
        if not context.allow_cycles:  # conda raises on the first cycle: its own code does
            return super()._toposort()
        graph = {node: dict.fromkeys(parents) for node, parents in self.graph.items()}
        self._toposort_prepare_graph(graph)  # conda's special edges (pip, menuinst, conda)
        order = install_order(graph)
        if order is None:
            return super()._toposort()
        original = self.graph
        self.graph = {node: original[node] for node in order}
        return order


def install_order(graph: dict) -> tuple | None:
    """The nodes of ``graph`` (node -> its parents) in conda's order when cycles are allowed
    (``PrefixGraph._topo_sort_handle_cycles``); None when two nodes a cycle break compares
    have the same ``dist_str()`` (conda would compare the records themselves).

    Self-edges do not count. Nodes that are nobody's parent and have none go first, by
    name. Then level by level: the nodes left without parents, by name (ties in graph
    order); when none is, the one with the fewest parents left, then the smallest
    ``dist_str()``. A level's nodes leave the graph before the next level is looked for."""
    position = {node: index for index, node in enumerate(graph)}

    def by_name(node):
        return node.name, position[node]

    parents = {node: set(found) - {node} for node, found in graph.items()}
    children: dict = {node: [] for node in graph}
    for node, found in parents.items():
        for parent in found:
            children[parent].append(node)
    order = sorted((node for node in graph if not parents[node] and not children[node]),
                   key=by_name)
    placed = set(order)
    left = dict.fromkeys(graph)
    ready = [node for node in graph if not parents[node]]
    ranks: dict = {}  # node -> dist_str(), asked at the first break
    while left:
        if ready:
            level = sorted(ready, key=by_name)
        else:
            if not ranks:
                ranks = {node: node.dist_str() for node in left}
                if len(set(ranks.values())) < len(ranks):
                    return None
            level = [min(left, key=lambda node: (len(parents[node]), ranks[node]))]
        ready = []
        for node in level:
            del left[node]
            if node not in placed:
                placed.add(node)
                order.append(node)
        for node in level:
            for child in children[node]:
                found = parents[child]
                found.discard(node)
                if not found and child in left:
                    ready.append(child)
    return tuple(order)


def plain_edges(records: tuple) -> dict | None:
    """conda's edges (record -> the records its dependencies match, in dependency order,
    then record order), each dependency read by the engine's spec parser: the solve has
    read them already, where conda would parse each again. None when a dependency is not
    a spec of an exact name, a version, a build and a build number (whose matching the
    engine shares with conda: ``tests/engine/test_oracle.py``), or when the engine cannot
    read a dependency or a version (conda's code then says what it says)."""
    by_name: dict = {}
    for record in records:
        by_name.setdefault(record.name, []).append(record)
    graph: dict = {}
    try:
        for node in records:
            parents: dict = {}
            for text in node.depends:
                spec = parse_spec(text)
                if spec.name == "*" or spec.needs_record:
                    return None
                for candidate in by_name.get(spec.name, ()):
                    if spec.match_version(candidate.version) and spec.match_build(
                            candidate.build, candidate.build_number):
                        parents[candidate] = None
            graph[node] = parents
    except EngineError:
        return None
    return graph
