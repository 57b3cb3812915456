"""The VM's schedule: which values a compiled graph materializes, in what order,
and after which step each buffer is dead.

A backend decides what a step is (a fused loop, a reduction, a view); the
schedule only knows how each step's value relates to memory:

- "leaf": a graph input or constant, owned by the caller: never freed;
- "view": aliases its first input's memory (transpose, broadcast, slice);
- "maybe_view": aliases its input when it can, else owns a copy (reshape);
- "compute": owns a fresh buffer (or writes straight into an output buffer).

Steps run in order; a conditional step (lazy ifelse) can later hold its own
sub-schedules and skip one, since every buffer is freed by the step after its
last reader, never by a global pass at the end.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..ir import Graph, Node

KINDS = ("leaf", "view", "maybe_view", "compute")


@dataclass
class Step:
    node: Node
    kind: str
    reads: tuple[Node, ...]
    frees: list[Node] = field(default_factory=list)


@dataclass
class Schedule:
    steps: list[Step]
    direct: dict[Node, int]               # node -> output slot its step writes into
    copies: list[tuple[int, Node]]        # output slots filled by copying a value
    owned: list[Node]                     # nodes whose step allocates a buffer
    final_frees: list[Node]               # buffers still alive after the copies


def build_schedule(graph: Graph, kind: Callable[[Node], str],
                   reads: Callable[[Node], Sequence[Node]],
                   materialized: Sequence[Node]) -> Schedule:
    """Order `materialized` (a topological subset of graph.nodes()) into steps.

    `kind(node)` is one of KINDS; `reads(node)` the values its step reads.
    """
    direct: dict[Node, int] = {}
    copies: list[tuple[int, Node]] = []
    for slot, out in enumerate(graph.outputs):
        if kind(out) == "compute" and out not in direct:
            direct[out] = slot
        else:
            copies.append((slot, out))
    roots: dict[Node, frozenset[Node]] = {}
    steps = []
    for node in materialized:
        k = kind(node)
        if k not in KINDS:
            raise ValueError(f"step kind {k!r} of {node!r} is not one of {KINDS}")
        mine = frozenset() if k == "leaf" or node in direct else frozenset({node})
        if k in ("view", "maybe_view"):
            mine = mine | roots[node.inputs[0]]
        if k == "view":
            mine = roots[node.inputs[0]]
        roots[node] = mine
        steps.append(Step(node, k, tuple(reads(node))))
    owned = [s.node for s in steps
             if (s.kind == "compute" and s.node not in direct) or s.kind == "maybe_view"]
    last: dict[Node, int] = {}
    for i, step in enumerate(steps):
        for value in step.reads:
            for root in roots[value]:
                last[root] = i
    alive_at_end = {r for _, out in copies for r in roots[out]}
    final = []
    for root in owned:
        if root in alive_at_end or root not in last:
            final.append(root)
        else:
            steps[last[root]].frees.append(root)
    return Schedule(steps, direct, copies, owned, final)
