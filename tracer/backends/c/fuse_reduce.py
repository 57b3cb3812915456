"""Reduction programs: reductions with the elementwise work around them, in one kernel.

A program lives on a domain: a full shape F and the axes its reductions reduce, which
are F's last axes (a row of F is what one reduction result summarizes). Its members are

* full-level nodes, of shape F: elementwise ops, and broadcasts of a row-level value
  back over the reduced axes (`x - x.max(-1, keepdims=True)`'s broadcast);
* row-level nodes, one value per row (of F's kept shape K, or K with the reduced
  axes kept as 1): the reductions of full-level values, elementwise ops on them, and
  reshapes between the two row shapes.

Walking from the outputs back (as fusion.py does for elementwise loops), a node joins
its consumers' program when all its consumers are in that one program and it is not a
graph output; otherwise it may start a program of its own, as its root: the one value
the program writes (a full array, softmax's; or one value per row, log-sum-exp's).
Programs without a reduction, or with nothing but a lone reduction, are dropped (the
elementwise fusion and the plain reduction kernel do those). What a program reads is
materialized before it runs: its leaves.

Stages order the reductions: a reduction whose input needs another's result runs after
it; reductions of one stage share a pass over the row (render_reduce.py). So softmax is
two reduction stages (max, then the sum of exp(x - max)) and a final pass writing
exp(x - max) / sum, all over one row while it is in cache.
"""
from __future__ import annotations

from dataclasses import dataclass

from ...ir import Graph, Node, Op
from ...ir.ops import ELEMENTWISE, REDUCTION
from .complex_c import touches_complex

FULL, ROW = "full", "row"


@dataclass(frozen=True)
class Domain:
    full: tuple[int, ...]     # F
    axes: tuple[int, ...]     # F's reduced axes: its last len(axes) axes

    @property
    def kept(self) -> tuple[int, ...]:
        """K: F without the reduced axes."""
        return self.full[:len(self.full) - len(self.axes)]

    @property
    def keepdims(self) -> tuple[int, ...]:
        """K with the reduced axes kept as 1."""
        return self.kept + (1,) * len(self.axes)

    def row_shape(self, shape: tuple[int, ...]) -> bool:
        return shape in (self.kept, self.keepdims)


@dataclass(frozen=True)
class Program:
    root: Node
    domain: Domain
    members: tuple[Node, ...]          # topological, root last
    leaves: tuple[Node, ...]           # materialized values read, first-use order
    level: dict[Node, str]             # member -> FULL or ROW; leaves too
    stage: dict[Node, int]             # reduction -> its pass (1, 2, ...); row member ->
                                       # the pass after which it is known (0: at once)

    @property
    def stages(self) -> int:
        return max((s for n, s in self.stage.items() if n.op in REDUCTION), default=0)


def _domain_of(node: Node) -> Domain | None:
    """The domain a reduction node lives on, when its axes are its input's last ones."""
    if node.op not in REDUCTION:
        return None
    full, axes = node.inputs[0].shape, tuple(node.attrs["axes"])
    n = len(full)
    if not axes or axes != tuple(range(n - len(axes), n)):
        return None
    dom = Domain(full, axes)
    return dom if dom.keepdims != full else None     # reduced axes of size 1: nothing to do


def _member_level(node: Node, dom: Domain) -> str | None:
    """FULL or ROW when `node` may be a member of a program on `dom`, else None."""
    op = node.op
    if touches_complex(node):     # complex work stays in plain fused loops
        return None
    if op in REDUCTION:
        return ROW if _domain_of(node) == dom else None
    if op is Op.POW and node.dtype.kind in "iu":    # may raise: left to the fused loops
        return None
    if op in ELEMENTWISE:
        if node.shape == dom.full:
            return FULL
        return ROW if dom.row_shape(node.shape) else None
    if op is Op.BROADCAST_TO and node.shape == dom.full:
        src = node.inputs[0].shape
        ok = src == dom.keepdims or (src == dom.kept and len(dom.kept) == 0)
        return FULL if ok else None
    if op is Op.RESHAPE and dom.row_shape(node.shape) and dom.row_shape(node.inputs[0].shape):
        return ROW
    return None


def _can_root(node: Node) -> bool:
    return (node.op in ELEMENTWISE or node.op in REDUCTION) and not touches_complex(node)


def _assign(graph: Graph, dom: Domain, consumers: dict, taken: set) -> dict[Node, Node]:
    """member -> its program's root, for the programs on `dom` (walking outputs first)."""
    outputs = set(graph.outputs)
    root_of: dict[Node, Node] = {}
    for node in reversed(graph.nodes()):
        if node in taken or _member_level(node, dom) is None:
            continue
        users = consumers[node]
        roots = {root_of.get(u) for u in users}
        if node not in outputs and users and len(roots) == 1 and None not in roots:
            root_of[node] = roots.pop()
        elif _can_root(node):
            root_of[node] = node
    return root_of


def _stages(members: list[Node], level: dict[Node, str]) -> dict[Node, int]:
    """Each reduction's pass, each row member's first pass after which it is known."""
    inside = set(members)
    stage: dict[Node, int] = {}
    for node in members:                    # topological
        deps = [stage.get(i, 0) for i in node.inputs if i in inside]
        if node.op in REDUCTION:
            stage[node] = _known(node.inputs[0], stage, inside) + 1
        elif level[node] == ROW:
            stage[node] = max(deps, default=0)
        else:
            stage[node] = max(deps, default=0)   # full members: the rows they need
    return stage


def _known(node: Node, stage: dict[Node, int], inside: set) -> int:
    return stage.get(node, 0) if node in inside else 0


def _build(root: Node, group: list[Node], dom: Domain) -> Program | None:
    if not any(n.op in REDUCTION for n in group) or len(group) < 2:
        return None
    inside = set(group)
    level = {n: _member_level(n, dom) for n in group}
    leaves = list(dict.fromkeys(i for n in group for i in n.inputs if i not in inside))
    for leaf in leaves:
        if leaf.shape == dom.full:
            level[leaf] = FULL
        elif dom.row_shape(leaf.shape):
            level[leaf] = ROW
        else:
            return None
    return Program(root, dom, tuple(group), tuple(leaves), level, _stages(group, level))


def plan(graph: Graph) -> dict[Node, Program]:
    """Root -> its program, for every reduction program worth one kernel."""
    nodes = graph.nodes()
    consumers: dict[Node, list[Node]] = {n: [] for n in nodes}
    for node in nodes:
        for inp in dict.fromkeys(node.inputs):
            consumers[inp].append(node)
    programs: dict[Node, Program] = {}
    taken: set[Node] = set()
    for seed in reversed(nodes):
        dom = _domain_of(seed)
        if dom is None or seed in taken:
            continue
        root_of = _assign(graph, dom, consumers, taken)
        groups: dict[Node, list[Node]] = {}
        for node in nodes:                     # topological, root last
            if node in root_of:
                groups.setdefault(root_of[node], []).append(node)
        for root, group in groups.items():
            prog = _build(root, group, dom)
            if prog is not None:
                programs[root] = prog
                taken.update(group)
        taken.add(seed)                        # tried: never a seed again
    return programs
