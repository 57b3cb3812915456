"""Loop fusion: which elementwise nodes are computed inside their consumer's loop.

Walking from the outputs back, an elementwise node joins its consumers' fused
loop when every consumer is elementwise and in one loop, and it is not a graph
output; otherwise it roots a loop of its own and is materialized. All members
of a loop have one shape (elementwise primitives need identical shapes), each
member is computed once per element, and no value is recomputed.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...ir import Graph, Node
from ...ir.ops import ELEMENTWISE


@dataclass(frozen=True)
class FusedLoop:
    root: Node
    members: tuple[Node, ...]   # topological, root last
    leaves: tuple[Node, ...]    # materialized values the loop reads, first-use order


def fuse(graph: Graph) -> dict[Node, FusedLoop]:
    """Root node -> its fused loop, for every materialized elementwise node."""
    nodes = graph.nodes()
    consumers: dict[Node, list[Node]] = {n: [] for n in nodes}
    for node in nodes:
        for inp in dict.fromkeys(node.inputs):
            consumers[inp].append(node)
    outputs = set(graph.outputs)
    root_of: dict[Node, Node] = {}
    for node in reversed(nodes):
        if node.op not in ELEMENTWISE:
            continue
        users = consumers[node]
        if node not in outputs and users and all(u in root_of for u in users):
            roots = {root_of[u] for u in users}
            if len(roots) == 1:
                root_of[node] = roots.pop()
                continue
        root_of[node] = node
    members: dict[Node, list[Node]] = {}
    for node in nodes:
        if node in root_of:
            members.setdefault(root_of[node], []).append(node)
    loops = {}
    for root, group in members.items():
        inside = set(group)
        leaves = dict.fromkeys(i for n in group for i in n.inputs if i not in inside)
        loops[root] = FusedLoop(root, tuple(group), tuple(leaves))
    return loops
