"""A graph is a pure function: input params -> output nodes.

Graphs are values: the nodes are interned, so two graphs built the same way
share their nodes and compare equal. Every stage of the compiler takes a
Graph and returns a Graph.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from .node import Node, make_node
from .ops import Op
from .printer import graph_text
from .walk import toposort


def substitute(outputs: Sequence[Node], mapping: Mapping[Node, Node]) -> list[Node]:
    """Rebuild `outputs` with the nodes of `mapping` replaced by their values."""
    return rewrite(outputs, lambda node, inputs: mapping.get(node))


def rewrite(outputs: Sequence[Node],
            fn: Callable[[Node, tuple[Node, ...]], Node | None]) -> list[Node]:
    """Rebuild bottom-up; `fn(node, new_inputs)` may return a replacement or None.

    Source locations follow the node they replace, so no rule can lose them.
    """
    done: dict[Node, Node] = {}
    for node in toposort(outputs):
        inputs = tuple(done[i] for i in node.inputs)
        new = fn(node, inputs)
        if new is None:
            if inputs == node.inputs:
                new = node
            else:
                new = make_node(node.op, inputs, node.attrs, node.loc)
        elif new.loc is None and node.loc is not None and new is not node:
            new = _with_loc(new, node)
        done[node] = new
    return [done[o] for o in outputs]


def _with_loc(new: Node, old: Node) -> Node:
    # Nodes are shared; a location is filled in only where none was recorded.
    new.loc = old.loc
    return new


@dataclass(frozen=True)
class Graph:
    """`outputs` as a function of `inputs` (PARAM nodes)."""

    inputs: tuple[Node, ...]
    outputs: tuple[Node, ...]

    def __post_init__(self) -> None:
        for p in self.inputs:
            if p.op is not Op.PARAM:
                raise ValueError(f"graph input {p!r} is not a param")

    def nodes(self) -> list[Node]:
        """All nodes, inputs before their users; unused params included."""
        body = toposort(self.outputs)
        ids = {n.id for n in body}
        return [p for p in self.inputs if p.id not in ids] + body

    def ops(self) -> list[str]:
        return [n.op.value for n in self.nodes() if n.op not in (Op.PARAM, Op.CONST)]

    def replace(self, mapping: Mapping[Node, Node]) -> Graph:
        return Graph(self.inputs, tuple(substitute(self.outputs, mapping)))

    def apply(self, args: Sequence[Node]) -> list[Node]:
        """Inline this graph on `args`: its outputs with params bound to args."""
        if len(args) != len(self.inputs):
            raise ValueError(f"graph takes {len(self.inputs)} inputs, got {len(args)}")
        for p, a in zip(self.inputs, args):
            if p.type != a.type:
                raise TypeError(f"graph input {p.attrs['name'] or p.id} is {p.type}, got {a.type}")
        return substitute(self.outputs, dict(zip(self.inputs, args)))

    def __hash__(self) -> int:
        return hash((self.inputs, self.outputs))

    def __reduce__(self) -> tuple:
        """Pickled with its nodes listed inputs first: each node's inputs are already
        in pickle's memo when it is written, so a deep graph does not recurse deeply.
        The receiver re-interns the nodes, with fresh params (see ir.node)."""
        return (_load_graph, (tuple(self.nodes()), self.inputs, self.outputs))

    def as_text(self, numpy_step: Callable[[Node], bool] | None = None) -> str:
        """The text form; `numpy_step(node)` marks the steps a backend runs in numpy."""
        return graph_text(self.inputs, self.outputs, numpy_step)


def _load_graph(nodes: tuple[Node, ...], inputs: tuple[Node, ...],
                outputs: tuple[Node, ...]) -> Graph:
    return Graph(inputs, outputs)   # `nodes` only fixed the pickling order
