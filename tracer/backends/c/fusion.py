"""Loop fusion: which nodes are computed inside their consumer's loop.

Walking from the outputs back, an elementwise node joins its consumers' fused
loop when every consumer is in one loop, and it is not a graph output;
otherwise it roots a loop of its own and is materialized. All elementwise
members of an ordinary loop have one shape, each member is computed once per
element, and no value is recomputed.

A 1-d loop also takes in SLICEs (unit step) and CONCATENATEs: they read their
input at a shifted position (a slice x[a:] reads x at i + a, a concatenation's
piece j at i - offset_j), which is what the reverse rules of slicing build
(the cotangent of x[1:] is a concatenation with zeros). Each member then
carries a window: the range of positions, relative to the root's position,
at which some consumer needs it. A member needed at several shifts is
computed over a block plus a small halo (at most MAX_HALO elements), so the
gradient of a stencil stays one pass over memory.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ...ir import Graph, Node, Op
from ...ir.ops import ELEMENTWISE
from .complex_c import in_numpy

MAX_HALO = 64     # extra elements per block a shifted member may be computed over
_SHIFTING = (Op.SLICE, Op.CONCATENATE)


@dataclass(frozen=True)
class FusedLoop:
    root: Node
    members: tuple[Node, ...]   # topological, root last
    leaves: tuple[Node, ...]    # materialized values the loop reads, first-use order
    # node -> (lo, hi): needed at root positions i + lo .. i + hi; empty for an
    # ordinary loop (no member slices or concatenates)
    windows: dict[Node, tuple[int, int]] = field(default_factory=dict)

    @property
    def shifted(self) -> bool:
        return bool(self.windows)


def _shifts(user: Node, node: Node) -> list[int]:
    """Where `user`, at position i, reads `node`: at i + shift for each shift."""
    if user.op is Op.SLICE:
        return [user.attrs["starts"][0]]
    if user.op is Op.CONCATENATE:
        out, acc = [], 0
        for piece in user.inputs:
            if piece is node:
                out.append(-acc)
            acc += piece.shape[0]
        return out
    return [0]


def _joinable(node: Node) -> bool:
    """Could `node` be computed inside a consumer's loop?"""
    if node.op in ELEMENTWISE:
        return not in_numpy(node)
    if node.op is Op.SLICE:     # a slice of an input stays a view, read in place
        return (node.ndim == 1 and node.attrs["steps"][0] == 1
                and (node.inputs[0].op in ELEMENTWISE or node.inputs[0].op in _SHIFTING))
    return node.op is Op.CONCATENATE and node.ndim == 1


def _window(node: Node, users: list[Node], window: dict) -> tuple[int, int] | None:
    """The positions (lo, hi) `node` is needed at, or None past MAX_HALO."""
    offsets = [o for u in users for s in _shifts(u, node) for o in (window[u][0] + s,
                                                                     window[u][1] + s)]
    lo, hi = min(offsets), max(offsets)
    return (lo, hi) if hi - lo <= MAX_HALO else None


def _assign(graph: Graph, consumers: dict, claimed: frozenset) -> tuple[dict, dict]:
    """node -> root of its loop, and node -> window, walking from the outputs back."""
    outputs = set(graph.outputs)
    root_of: dict[Node, Node] = {}
    window: dict[Node, tuple[int, int]] = {}
    for node in reversed(graph.nodes()):
        if not _joinable(node) or node in claimed:
            continue
        users = consumers[node]
        if node not in outputs and users and all(u in root_of for u in users):
            roots = {root_of[u] for u in users}
            root = roots.pop() if len(roots) == 1 else None
            shifting = node.op in _SHIFTING or any(u.op in _SHIFTING for u in users)
            if root is not None and (not shifting or (root.ndim == 1 and node.ndim == 1)):
                win = _window(node, users, window)
                if win is not None:
                    root_of[node], window[node] = root, win
                    continue
        if node.op in ELEMENTWISE and not in_numpy(node):
            root_of[node], window[node] = node, (0, 0)
    return root_of, window


def fuse(graph: Graph, claimed: frozenset = frozenset()) -> dict[Node, FusedLoop]:
    """Root node -> its fused loop, for every materialized elementwise node not
    `claimed` by a reduction program (fuse_reduce.py)."""
    nodes = graph.nodes()
    consumers: dict[Node, list[Node]] = {n: [] for n in nodes}
    for node in nodes:
        for inp in dict.fromkeys(node.inputs):
            consumers[inp].append(node)
    root_of, window = _assign(graph, consumers, claimed)
    members: dict[Node, list[Node]] = {}
    for node in nodes:
        if node in root_of:
            members.setdefault(root_of[node], []).append(node)
    loops = {}
    for root, group in members.items():
        inside = set(group)
        leaves = dict.fromkeys(i for n in group for i in n.inputs if i not in inside)
        shifted = any(n.op in _SHIFTING for n in group)
        windows = {n: window[n] for n in group} if shifted else {}
        loops[root] = FusedLoop(root, tuple(group), tuple(leaves), windows)
    return loops
