"""The two graph-to-graph transforms: push tangents forward, pull cotangents back.

Both work on nodes, not on Graphs: `wrt` nodes are usually fresh params, and
every other leaf (including nodes of an enclosing trace) is a constant of the
derivative. The results are ordinary nodes, so they can be transformed again.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..ir import Node, toposort
from .build import MaybeNode, TupleCotangent, add
from .rules import JVP_RULES, VJP_RULES, is_differentiable


def jvp_nodes(outputs: Sequence[Node], tangents: Mapping[Node, MaybeNode]) -> list[MaybeNode]:
    """The R-operator: tangents of `outputs` given tangents of some nodes (None = 0)."""
    memo: dict[Node, MaybeNode] = dict(tangents)
    for node in toposort(outputs):
        if node in memo:
            continue
        found = None
        if node.inputs and is_differentiable(node):
            ins = [memo[i] for i in node.inputs]
            if any(t is not None for t in ins):
                found = JVP_RULES[node.op](node, ins)
        memo[node] = found
    return [memo[o] for o in outputs]


def _live(order: Sequence[Node], wrt: Sequence[Node]) -> set[Node]:
    """The nodes that depend differentiably on `wrt`: the only ones worth a rule."""
    live = {w for w in wrt if w.dtype.kind in "fc"}
    for node in order:
        if node not in live and is_differentiable(node) and any(i in live for i in node.inputs):
            live.add(node)
    return live


def _accumulate(total: Any, ct: Any) -> Any:
    """Sum of cotangents; a scan's (one per output read, autodiff/scan.py) merge."""
    if isinstance(ct, TupleCotangent):
        return ct if total is None else total.plus(ct)
    return add(total, ct)


def vjp_nodes(outputs: Sequence[Node], cotangents: Sequence[MaybeNode],
              wrt: Sequence[Node]) -> list[MaybeNode]:
    """The L-operator: cotangents of `wrt` given cotangents of `outputs` (None = 0)."""
    order = toposort(outputs)
    live = _live(order, wrt)
    targets = set(wrt)
    acc: dict[Node, MaybeNode] = {}
    for out, ct in zip(outputs, cotangents):
        if out in live:
            acc[out] = add(acc.get(out), ct)
    for node in reversed(order):
        if node in targets:
            continue
        ct = acc.pop(node, None)
        if ct is None:
            continue
        for inp, inp_ct in zip(node.inputs, VJP_RULES[node.op](node, ct)):
            if inp_ct is not None and inp in live:
                acc[inp] = _accumulate(acc.get(inp), inp_ct)
    return [acc.get(w) for w in wrt]
