"""conda's ``PrefixGraph`` with its install order worked out in one pass over the cycles.

conda orders a solution (and classic's ``solve_final_state`` returns it in that order) by
levels: the records whose dependencies are all placed, by name, then the next level. When
every record left is in a cycle, it takes the one with the fewest parents left (ties: the
smaller ``dist_str()``) and goes on. It asks every record left for its ``dist_str()`` at each
such break, and each answer builds a ``Dist`` (about 0.15 ms): 0.5 s for a solution that is
one big cycle, such as the sudoku channel's 81 packages.

``PrefixGraph`` here is conda's, edges and all (its methods are conda's too); only the order
is computed here, the same order, asking each record for its ``dist_str()`` once.
``tests/adapter/test_prefix_graph.py`` holds the two orders side by side.
"""

from __future__ import annotations

from conda.base.context import context
from conda.models.prefix_graph import PrefixGraph as CondaPrefixGraph


class PrefixGraph(CondaPrefixGraph):
    """``conda.models.prefix_graph.PrefixGraph``, ordered by ``install_order``."""

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
