"""The rewrite engine: ordered lists of small rewrites, run bottom-up to a fixpoint.

A rewrite is a plain function `rule(node, ctx) -> replacement or None` whose
docstring states the identity it applies (`neg(neg(x)) -> x`). The engine
rebuilds the graph bottom-up with `ir.graph.rewrite`, so every rule sees a
node whose inputs are already rewritten, and applies the rules again to each
replacement until none fires. Sweeps repeat until the outputs stop changing;
nodes are interned, so "unchanged" is identity and merging equal subgraphs is
free. Source locations follow the replaced node (ir.graph.rewrite does it).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from ..ir import Graph, Node, make_node
from ..ir.graph import rewrite

MAX_SWEEPS = 32
MAX_LOCAL = 64


@dataclass(frozen=True)
class Context:
    """What a rule may know beyond its node: how many times each value is read
    in the graph at the start of this sweep (outputs count as readers)."""

    uses: dict[Node, int]

    def used_once(self, node: Node) -> bool:
        return self.uses.get(node, 0) == 1


Rule = Callable[[Node, Context], "Node | None"]


class RewriteError(TypeError):
    """A rule built a replacement of another type than the node it replaces."""


def count_uses(outputs: Sequence[Node], nodes: Sequence[Node]) -> dict[Node, int]:
    uses: dict[Node, int] = {}
    for node in nodes:
        for inp in node.inputs:
            uses[inp] = uses.get(inp, 0) + 1
    for out in outputs:
        uses[out] = uses.get(out, 0) + 1
    return uses


def apply_rules(node: Node, rules: Sequence[Rule], ctx: Context) -> Node:
    """`node` with the first matching rule applied, again and again, until none fires."""
    for _ in range(MAX_LOCAL):
        for rule in rules:
            new = rule(node, ctx)
            if new is not None and new is not node:
                if new.type != node.type:
                    raise RewriteError(f"rewrite {rule.__name__} turned {node} into {new}")
                node = new
                break
        else:
            return node
    return node


def sweep(graph: Graph, rules: Sequence[Rule]) -> Graph:
    """One bottom-up rebuild of `graph` with `rules`."""
    ctx = Context(count_uses(graph.outputs, graph.nodes()))

    def fn(node: Node, inputs: tuple[Node, ...]) -> Node | None:
        if inputs != node.inputs:
            node = make_node(node.op, inputs, node.attrs, node.loc)
        return apply_rules(node, rules, ctx)

    return Graph(graph.inputs, tuple(rewrite(graph.outputs, fn)))


def run_pass(graph: Graph, rules: Sequence[Rule]) -> Graph:
    """Sweep until the outputs are the same nodes as before (a fixpoint)."""
    for _ in range(MAX_SWEEPS):
        new = sweep(graph, rules)
        if new.outputs == graph.outputs:
            return new
        graph = new
    return graph
