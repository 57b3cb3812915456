"""The VM's schedule: which values a compiled graph materializes, in what order,
and after which step each buffer is dead.

A backend decides what a step is (a fused loop, a reduction, a view); the
schedule only knows how each step's value relates to memory:

- "leaf": a graph input or constant, owned by the caller: never freed;
- "view": aliases its first input's memory (transpose, broadcast, slice);
- "maybe_view": aliases its input when it can, else owns a copy (reshape);
- "alias": is one of its inputs after the first, chosen at run time (ifelse);
- "compute": owns a fresh buffer (or writes straight into an output buffer).

Lazy ifelse (vm/branches.py) makes the steps a structured program: marker
steps "if" (reads its cond), "else" and "end" enclose the steps only one branch
needs. A buffer is freed after the last step that may read it on any path,
lifted to the innermost block that holds its allocation and all its readers;
a buffer allocated in an untaken branch is still null, and freeing null is a
no-op, so one free serves both paths and the cleanup at the end stays simple.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..ir import Graph, Node, Op
from .branches import MARKERS, Guard, free_points, guards, program

KINDS = ("leaf", "view", "maybe_view", "alias", "compute")


@dataclass
class Step:
    node: Node                            # for a marker step: the branch's cond
    kind: str                             # one of KINDS or MARKERS
    reads: tuple[Node, ...]
    frees: list[Node] = field(default_factory=list)


@dataclass
class Schedule:
    steps: list[Step]
    direct: dict[Node, int]               # node -> output slot its step writes into
    copies: list[tuple[int, Node]]        # output slots filled by copying a value
    owned: list[Node]                     # nodes whose step allocates a buffer
    final_frees: list[Node]               # buffers still alive after the copies


def _slots(graph: Graph, kind: Callable[[Node], str], guard: dict[Node, Guard]):
    """Output slots written in place, and those filled by a copy at the end.

    A branch value that only its ifelse output reads is written straight into
    that output's slot; the final copy then sees the same pointer and skips.
    """
    direct: dict[Node, int] = {}
    copies: list[tuple[int, Node]] = []
    for slot, out in enumerate(graph.outputs):
        if kind(out) == "compute" and out not in direct:
            direct[out] = slot
        else:
            copies.append((slot, out))
    outputs = set(graph.outputs)
    for slot, out in copies:
        if out.op is not Op.IFELSE or guard.get(out) != ():
            continue
        for side, value in ((True, out.inputs[1]), (False, out.inputs[2])):
            mine = guard.get(value) == ((out.inputs[0], side),)
            if mine and kind(value) == "compute" and value not in direct and value not in outputs:
                direct[value] = slot
    return direct, copies


def build_schedule(graph: Graph, kind: Callable[[Node], str],
                   reads: Callable[[Node], Sequence[Node]],
                   materialized: Sequence[Node]) -> Schedule:
    """Order `materialized` (a topological subset of graph.nodes()) into steps.

    `kind(node)` is one of KINDS; `reads(node)` the values its step reads.
    """
    guard = guards(graph.nodes(), graph.outputs)
    direct, copies = _slots(graph, kind, guard)
    entries = program(materialized, guard, reads)
    roots: dict[Node, frozenset[Node]] = {}
    steps = []
    for entry in entries:
        node = entry.node
        if entry.kind in MARKERS:
            steps.append(Step(node, entry.kind, (node,) if entry.kind == "if" else ()))
            continue
        k = kind(node)
        if k not in KINDS:
            raise ValueError(f"step kind {k!r} of {node!r} is not one of {KINDS}")
        roots[node] = _roots(node, k, roots, direct)
        steps.append(Step(node, k, tuple(reads(node))))
    owned = [s.node for s in steps
             if (s.kind == "compute" and s.node not in direct) or s.kind == "maybe_view"]
    touches: dict[Node, list[int]] = {root: [] for root in owned}
    index = {s.node: i for i, s in enumerate(steps) if s.kind not in MARKERS}
    for i, step in enumerate(steps):
        for value in step.reads:
            for root in roots[value]:
                touches[root].append(i)
    alive_at_end = {r for _, out in copies for r in roots[out]}
    final = [r for r in owned if r in alive_at_end or not touches[r]]
    read = {r: [index[r]] + where for r, where in touches.items() if r not in final}
    for root, i in free_points(entries, read).items():
        steps[i].frees.append(root)
    return Schedule(steps, direct, copies, owned, final)


def _roots(node: Node, k: str, roots: dict[Node, frozenset[Node]],
           direct: dict[Node, int]) -> frozenset[Node]:
    """The owned buffers whose memory `node`'s value may live in."""
    if k == "view":
        return roots[node.inputs[0]]
    if k == "alias":   # an input not yet scheduled is one this path can never take
        none: frozenset[Node] = frozenset()
        return roots.get(node.inputs[1], none) | roots.get(node.inputs[2], none)
    mine = frozenset() if k == "leaf" or node in direct else frozenset({node})
    if k == "maybe_view":
        mine = mine | roots[node.inputs[0]]
    return mine


def reusable_inputs(graph: Graph, schedule: Schedule,
                    in_place: Callable[[Node, Node], bool]) -> dict[int, int]:
    """Output slot -> index of the graph input whose buffer that output may take when the
    caller donates it (jax.jit's donate_argnums), decided once per graph.

    The output's own step writes the donated memory, so that is sound when every step
    that reads the input, or a view of it, runs no later than that step; the final
    copies never read it; and, when the writing step reads it too, it reads the input
    itself only at the index it writes (`in_place(node, param)`, the backend's say:
    a plain fused loop, gemm_acc's accumulator). Each input goes to at most one output
    of exactly its type; a value written straight into another slot is never an input's.
    """
    params = {p: i for i, p in enumerate(graph.inputs)}
    last, at = _param_reads(schedule, params)
    taken: set[int] = set()
    reuse: dict[int, int] = {}
    for slot, out in enumerate(graph.outputs):
        if schedule.direct.get(out) != slot:
            continue
        s = at[out]
        for p, i in params.items():
            if i in taken or p.type != out.type or last.get(i, -1) > s:
                continue
            readers = [r for r in schedule.steps[s].reads if i in _param_roots(r, params)]
            if readers in ([], [p]) and (not readers or in_place(out, p)):
                reuse[slot] = i
                taken.add(i)
                break
    return reuse


def _param_roots(node: Node, params: dict[Node, int]) -> frozenset[int]:
    """The graph inputs whose memory `node`'s value may live in (views, ifelse aliases)."""
    if node.op is Op.PARAM:
        return frozenset({params[node]})
    if node.op in (Op.TRANSPOSE, Op.BROADCAST_TO, Op.SLICE, Op.RESHAPE):
        return _param_roots(node.inputs[0], params)
    if node.op is Op.IFELSE:
        return _param_roots(node.inputs[1], params) | _param_roots(node.inputs[2], params)
    return frozenset()


def _param_reads(schedule: Schedule, params: dict[Node, int]):
    """(input -> index of the last step reading it, node -> its step); a final copy
    reading an input counts as a read after every step."""
    last: dict[int, int] = {}
    at: dict[Node, int] = {}
    for k, step in enumerate(schedule.steps):
        if step.kind not in MARKERS:
            at[step.node] = k
        for value in step.reads:
            for i in _param_roots(value, params):
                last[i] = k
    for _, out in schedule.copies:
        for i in _param_roots(out, params):
            last[i] = len(schedule.steps)
    return last, at
