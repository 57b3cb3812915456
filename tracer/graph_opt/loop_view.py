"""A SCAN node taken apart into lists a loop rewrite edits, and the graph around it.

`Loop.of(scan)` gives the states (init, taps, tap params, new value), sequences and
non-sequences (outer value, body param), step outputs and stop condition of one
SCAN; a rewrite edits these lists and `build()` makes the new SCAN. `Outer` is
what a loop rewrite knows of the enclosing graph: who reads each node and which
SCAN_OUT nodes read each loop. A loop rewrite returns {old node: new value} for
the graph (each read SCAN_OUT of the old loop, or one of its readers), or None.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ir import Graph, Loc, Node, Op, make_node, substitute, toposort
from ..loops.spec import ScanSpec


# -- a loop taken apart ---------------------------------------------------------------------
@dataclass(eq=False)
class Carry:
    """A recurrent state: its init rows, taps, tap params and new value in the body."""

    init: Node
    taps: tuple[int, ...]
    params: list[Node]
    out: Node
    keep: bool
    index: int | None = None      # its SCAN_OUT index in the loop it came from


@dataclass(eq=False)
class Feed:
    """A sequence or a non-sequence: the outer value and the body param reading it."""

    value: Node
    param: Node


@dataclass(eq=False)
class Emit:
    """A step output."""

    out: Node
    keep: bool
    index: int | None = None


@dataclass(eq=False)
class Loop:
    """A SCAN as lists a rewrite edits; `build` makes the new SCAN."""

    states: list[Carry]
    seqs: list[Feed]
    nonseqs: list[Feed]
    emits: list[Emit]
    cond: Node | None
    n_steps: int
    reverse: bool
    truncate: int
    steps_index: int | None = None   # the old SCAN_OUT index of the steps run (until)
    loc: Loc | None = None

    @classmethod
    def of(cls, scan: Node) -> Loop:
        spec: ScanSpec = scan.attrs["spec"]
        ins, params, outs = scan.inputs, spec.body.inputs, spec.body.outputs
        n_s, n_q = spec.n_states, spec.n_seqs
        states, k = [], 0
        for i, taps in enumerate(spec.taps):
            states.append(Carry(ins[i], taps, list(params[k:k + len(taps)]), outs[i],
                                spec.keep[i], i))
            k += len(taps)
        seqs = [Feed(ins[n_s + j], params[k + j]) for j in range(n_q)]
        nonseqs = [Feed(x, p) for x, p in zip(ins[n_s + n_q:], params[k + n_q:])]
        emits = [Emit(outs[n_s + j], spec.keep[n_s + j], n_s + j) for j in range(spec.n_outs)]
        return cls(states, seqs, nonseqs, emits, outs[-1] if spec.until else None,
                   spec.n_steps, spec.reverse, spec.truncate,
                   n_s + spec.n_outs if spec.until else None, scan.loc)

    def body_outputs(self) -> list[Node]:
        return [s.out for s in self.states] + [e.out for e in self.emits] + \
            ([self.cond] if self.cond is not None else [])

    def feeds(self) -> list[Feed]:
        return self.seqs + self.nonseqs

    def substitute(self, mapping: dict[Node, Node]) -> None:
        """Rebuild every body output with `mapping` applied."""
        outs = iter(substitute(self.body_outputs(), mapping))
        for item in self.states + self.emits:
            item.out = next(outs)
        if self.cond is not None:
            self.cond = next(outs)

    def build(self) -> list[Node]:
        """The new loop's SCAN_OUT nodes: one per state and step output, in order, then
        the steps run (with a stop condition)."""
        params = [p for s in self.states for p in s.params] + \
            [f.param for f in self.seqs] + [f.param for f in self.nonseqs]
        body = Graph(tuple(params), tuple(self.body_outputs()))
        spec = ScanSpec(body, tuple(s.taps for s in self.states), len(self.seqs),
                        self.n_steps, reverse=self.reverse, until=self.cond is not None,
                        keep=tuple(x.keep for x in self.states + self.emits),
                        truncate=self.truncate)
        inputs = [s.init for s in self.states] + [f.value for f in self.feeds()]
        scan = make_node(Op.SCAN, inputs, {"spec": spec}, self.loc)
        return [make_node(Op.SCAN_OUT, [scan], {"index": k, "type": t}, self.loc)
                for k, t in enumerate(spec.output_types())]

    def mapping(self, new: list[Node]) -> dict[int, Node]:
        """{old SCAN_OUT index: new SCAN_OUT} for the items that came from the old loop."""
        items = self.states + self.emits
        got = {x.index: new[k] for k, x in enumerate(items) if x.index is not None}
        if self.steps_index is not None:
            got[self.steps_index] = new[-1]
        return got

    @property
    def last_row(self) -> int:
        """The stacked row that holds the last step's value."""
        return 0 if self.reverse else self.n_steps - 1


def last_of(stacked: Node, row: int) -> Node:
    """Row `row` of a stacked value, without its leading axis."""
    n = stacked.ndim
    cut = make_node(Op.SLICE, [stacked], {"starts": (row,) + (0,) * (n - 1),
                                          "steps": (1,) * n, "sizes": (1,) + stacked.shape[1:]})
    return make_node(Op.RESHAPE, [cut], {"shape": stacked.shape[1:]})


def read_params(outputs: list[Node]) -> set[Node]:
    return {n for n in toposort(outputs) if n.op is Op.PARAM}


# -- what the enclosing graph knows about its loops ----------------------------------------------
@dataclass
class Outer:
    """The graph around the loops: who reads each node, each scan's SCAN_OUT nodes."""

    graph: Graph
    readers: dict[Node, list[Node]]
    outputs: set[Node]
    scans: list[Node]
    outs: dict[Node, dict[int, Node]]     # scan -> {index: SCAN_OUT}

    @classmethod
    def of(cls, graph: Graph) -> Outer:
        nodes = graph.nodes()
        readers: dict[Node, list[Node]] = {}
        outs: dict[Node, dict[int, Node]] = {}
        for node in nodes:
            for inp in node.inputs:
                readers.setdefault(inp, []).append(node)
            if node.op is Op.SCAN_OUT:
                outs.setdefault(node.inputs[0], {})[node.attrs["index"]] = node
        scans = [n for n in nodes if n.op is Op.SCAN]
        return cls(graph, readers, set(graph.outputs), scans, outs)

    def used(self, scan: Node) -> set[int]:
        return set(self.outs.get(scan, {}))

    def replacing(self, scan: Node, new: dict[int, Node]) -> dict[Node, Node]:
        """{old SCAN_OUT: its new value} for the read outputs of `scan` that `new` has."""
        return {node: new[k] for k, node in self.outs.get(scan, {}).items() if k in new}


LoopRewrite = Callable[[Node, Outer], "dict[Node, Node] | None"]
